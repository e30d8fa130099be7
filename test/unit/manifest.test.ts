// What package.json promises VS Code: virtual workspaces, keybindings, activation and setting scopes.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8'));
/** The English text of a `%key%` value (package.nls.json), as VS Code shows it in English. */
const nls = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'package.nls.json'), 'utf8')) as Record<string, string>;
const english = (value: string): string => value.replace(/^%([^%]+)%$/, (_whole, key: string) => nls[key] ?? value);
const settings: Record<string, { scope?: string }> = Object.assign(
  {},
  ...(manifest.contributes.configuration as { properties: Record<string, { scope?: string }> }[]).map((c) => c.properties),
);

describe('the extension manifest', () => {
  it('claims only limited support in virtual workspaces, and says why', () => {
    const virtual = manifest.capabilities.virtualWorkspaces;
    assert.equal(virtual.supported, 'limited', 'capture and .tcp files use the local file system');
    assert.match(english(virtual.description), /local file system/);
  });

  it('leaves Ctrl/Cmd+Alt+Enter to Replace All and notebook cells when those have focus', () => {
    const sendSelection = manifest.contributes.keybindings.find((k: { command: string }) => k.command === 'tcpLab.sendSelection');
    assert.equal(sendSelection.key, 'ctrl+alt+enter');
    assert.match(sendSelection.when, /!findWidgetVisible/);
    assert.match(sendSelection.when, /!notebookEditorFocused/);
  });

  it('activates in a workspace that contains a .tcp file, for the Testing view', () => {
    assert.ok(manifest.activationEvents.includes('workspaceContains:**/*.tcp'));
  });

  it('declares a scope for every setting, and keeps the restricted ones on the Restricted Mode list', () => {
    const known = new Set(['application', 'machine', 'machine-overridable', 'window', 'resource', 'language-overridable']);
    for (const [key, schema] of Object.entries(settings)) {
      assert.ok(schema.scope && known.has(schema.scope), `${key} declares a known scope (got ${schema.scope})`);
    }
    const restricted: string[] = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    for (const key of ['tcpLab.presets', 'tcpLab.listener.defaultHost', 'tcpLab.capture.directory', 'tcpLab.tls.keyLogFile', 'tcpLab.environments', 'tcpLab.tcpFiles.allowFilesOutsideWorkspace', 'tcpLab.proxy.api']) {
      assert.ok(restricted.includes(key), `${key} stays restricted`);
      assert.ok(settings[key], `${key} is a declared setting`);
    }
    // Local paths are per machine: Settings Sync must not carry them to another computer.
    assert.equal(settings['tcpLab.capture.directory'].scope, 'machine-overridable');
    assert.equal(settings['tcpLab.tls.keyLogFile'].scope, 'machine-overridable');
    // A local port too; and the API stays off unless asked for.
    assert.equal(settings['tcpLab.proxy.api'].scope, 'machine-overridable');
    assert.equal((settings['tcpLab.proxy.api'] as { default?: unknown }).default, '');
  });
});
