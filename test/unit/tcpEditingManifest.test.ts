// What package.json promises for .tcp editing and the walkthrough: every step's media ships in the
// .vsix, every link and completion event names a command the extension registers, and Send Block
// at Cursor has a chord of its own, only in .tcp editors.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));
/** package.json names its texts as %keys% of package.nls.json (localisation); the English is what links. */
const nls = JSON.parse(readFileSync(path.join(repo, 'package.nls.json'), 'utf8')) as Record<string, string>;
const english = (value: string): string => value.replace(/^%([^%]+)%$/, (whole, key: string) => nls[key] ?? whole);
const contributed = new Set<string>(manifest.contributes.commands.map((c: { command: string }) => c.command));

/** Every string literal in src/host that looks like a command id or context key: what registerCommand and setContext are given. */
function registeredIds(): Set<string> {
  const ids = new Set<string>();
  for (const file of readdirSync(path.join(repo, 'src', 'host'))) {
    const text = readFileSync(path.join(repo, 'src', 'host', file), 'utf8');
    for (const m of text.matchAll(/'(tcpLab\.[\w.]+)'/g)) ids.add(m[1]);
  }
  return ids;
}

interface Step {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string };
  completionEvents: string[];
}

describe('the walkthrough', () => {
  const [walkthrough] = manifest.contributes.walkthroughs as { id: string; steps: Step[] }[];
  const registered = registeredIds();

  it('walks through listen, connect, send hex, save a preset and run a .tcp file', () => {
    assert.equal(walkthrough.id, 'tcpLab.gettingStarted');
    assert.deepEqual(walkthrough.steps.map((s) => s.id), ['startListener', 'connect', 'sendHex', 'savePreset', 'runTcpFile']);
  });

  it('gives each step markdown media that exists and ships in the .vsix', () => {
    const ignore = readFileSync(path.join(repo, '.vscodeignore'), 'utf8').split('\n');
    assert.ok(ignore.includes('!media/walkthrough/*.md'), '.vscodeignore keeps media/walkthrough/*.md');
    for (const step of walkthrough.steps) {
      const file = step.media.markdown ?? '';
      assert.match(file, /^media\/walkthrough\/[\w-]+\.md$/, step.id);
      assert.ok(existsSync(path.join(repo, file)), file);
      assert.match(readFileSync(path.join(repo, file), 'utf8'), /^# /, `${file} starts with a heading`);
    }
  });

  it('links each step to a contributed command and completes it on a command or context key of the extension', () => {
    for (const step of walkthrough.steps) {
      const links = [...english(step.description).matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]);
      assert.equal(links.length, 1, `${step.id} has one command link`);
      assert.ok(contributed.has(links[0]), `${links[0]} is in contributes.commands`);
      assert.ok(registered.has(links[0]), `${links[0]} is registered in src/host`);
      assert.ok(step.completionEvents.length > 0, step.id);
      for (const event of step.completionEvents) {
        const [kind, id] = event.split(':');
        // onContext: a context key the extension sets (a client connecting from ncat completes "connect").
        assert.ok(kind === 'onCommand' || kind === 'onContext', event);
        assert.ok(registered.has(id), `${id} (completion of ${step.id}) is registered or set in src/host`);
      }
    }
  });
});

describe('.tcp editing in the manifest', () => {
  it('binds Send Block at Cursor to Ctrl/Cmd+Alt+R in .tcp editors only, a chord no other TCP Lab binding uses', () => {
    const bindings = manifest.contributes.keybindings as { command: string; key: string; mac?: string; when?: string }[];
    const send = bindings.find((k) => k.command === 'tcpLab.tcpFiles.sendBlockAtCursor');
    assert.ok(send);
    assert.deepEqual([send.key, send.mac], ['ctrl+alt+r', 'cmd+alt+r']);
    assert.match(send.when ?? '', /editorLangId == tcp/);
    assert.match(send.when ?? '', /editorTextFocus/);
    assert.equal(bindings.filter((k) => k.key === send.key || k.mac === send.mac).length, 1);
  });

  it('lists Send Block at Cursor, New .tcp File and the environment picker in the palette', () => {
    for (const id of ['tcpLab.tcpFiles.sendBlockAtCursor', 'tcpLab.tcpFiles.newFile', 'tcpLab.tcpFiles.selectEnvironment']) {
      const command = manifest.contributes.commands.find((c: { command: string }) => c.command === id);
      assert.ok(command, id);
      assert.equal(command.category, 'TCP');
    }
    const palette = manifest.contributes.menus.commandPalette as { command: string; when?: string }[];
    assert.equal(palette.find((m) => m.command === 'tcpLab.tcpFiles.sendBlockAtCursor')?.when, 'editorLangId == tcp');
  });
});
