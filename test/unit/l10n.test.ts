// Every user-facing string has a zh-CN and a Japanese translation: the `vscode.l10n.t` / `t` strings
// of the source in both bundles, every `%key%` of package.json in all three package.nls files, and
// the same placeholders in each translation. The checker itself is tested on a small fake repository,
// so a bundle that lacks a key is proven to fail.
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { checkL10n, extractSourceStrings, LOCALES } from '../../scripts/l10nKeys';
import { renderPanelHtml } from '../../src/app/panelHtml';
import { setL10nBundle, t } from '../../src/shared/l10n';

const repo = path.resolve(__dirname, '..', '..');

describe('localisation', () => {
  it('has every string of the source and the manifest translated in zh-CN and Japanese, placeholders included', () => {
    const report = checkL10n(repo);
    assert.deepEqual(report.problems, [], 'run `npm run l10n:check -- --missing` for what to translate');
  });

  it('finds the host, app and webview strings (the extraction is not vacuous)', () => {
    const { strings } = extractSourceStrings(repo);
    const files = new Set([...strings.values()].map((s) => s.where.split('/')[1]));
    for (const layer of ['host', 'app', 'webview']) assert.ok(files.has(layer), `strings found in src/${layer}`);
    assert.ok(strings.size > 200, `found ${strings.size} strings`);
  });

  describe('the checker, on a fake repository', () => {
    let root: string;
    const write = (file: string, content: unknown): void => {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), typeof content === 'string' ? content : JSON.stringify(content));
    };
    beforeEach(() => {
      root = mkdtempSync(path.join(tmpdir(), 'tcp-lab-l10n-'));
      write('package.json', { l10n: './l10n', contributes: { commands: [{ command: 'x.go', title: '%command.go%' }] } });
      write('package.nls.json', { 'command.go': 'Go' });
      write('src/host/a.ts', "import * as vscode from 'vscode';\nvscode.l10n.t('Sent {0} to {1}', n, where);\n");
      write('src/webview/b.ts', "import { t } from '../shared/l10n';\nt('Pause');\nformat('not a translation');\n");
      for (const locale of LOCALES) {
        write(`package.nls.${locale}.json`, { 'command.go': 'X' });
        write(`l10n/bundle.l10n.${locale}.json`, { 'Sent {0} to {1}': '{1} {0}', Pause: 'P' });
      }
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it('passes a complete set, whatever order the placeholders take', () => {
      assert.deepEqual(checkL10n(root).problems, []);
    });

    it('fails on a missing key in a bundle and lists it as missing', () => {
      write('l10n/bundle.l10n.ja.json', { Pause: 'P' });
      const report = checkL10n(root);
      assert.deepEqual(report.problems, ['l10n/bundle.l10n.ja.json: missing "Sent {0} to {1}".']);
      assert.deepEqual(report.missing, [{ file: 'l10n/bundle.l10n.ja.json', entries: { 'Sent {0} to {1}': 'Sent {0} to {1}' } }]);
    });

    it('fails on an extra key, a dropped placeholder and a missing nls key', () => {
      write('l10n/bundle.l10n.zh-cn.json', { 'Sent {0} to {1}': '{0}', Pause: 'P', Gone: 'G' });
      write('package.nls.ja.json', {});
      const problems = checkL10n(root).problems;
      assert.ok(problems.some((p) => p.startsWith('l10n/bundle.l10n.zh-cn.json: "Sent {0} to {1}" has placeholders {0}')), problems.join('\n'));
      assert.ok(problems.includes('l10n/bundle.l10n.zh-cn.json: "Gone" is not used any more; remove it.'), problems.join('\n'));
      assert.ok(problems.includes('package.nls.ja.json: missing "command.go".'), problems.join('\n'));
    });

    it('fails on a call whose text is not a literal, which no bundle could translate', () => {
      write('src/host/c.ts', "import * as vscode from 'vscode';\nvscode.l10n.t(`Sent ${n} bytes`);\n");
      assert.match(checkL10n(root).problems.join('\n'), /src\/host\/c\.ts:2: the text of this l10n call is not a literal/);
    });

    it('fails on a command title or setting description package.json writes out in English', () => {
      write('package.json', { l10n: './l10n', contributes: { commands: [{ command: 'x.go', title: '%command.go%' }, { command: 'x.new', title: 'New Thing' }], configuration: [{ properties: { 'x.on': { description: 'Turns it on.' } } }] } });
      const problems = checkL10n(root).problems;
      assert.ok(problems.some((p) => p.startsWith('package.json: the title of x.new is English text ("New Thing")')), problems.join('\n'));
      assert.ok(problems.some((p) => p.startsWith('package.json: the description of x.on is English text')), problems.join('\n'));
    });

    it('fails when package.json does not point VS Code at the bundles', () => {
      write('package.json', { contributes: { commands: [{ command: 'x.go', title: '%command.go%' }] } });
      assert.match(checkL10n(root).problems.join('\n'), /"l10n" must be "\.\/l10n"/);
    });
  });

  it('hands the panel its bundle in the page, escaped, with the page language', () => {
    const bundle = { 'Pause autoscroll': '暂停自动滚动', 'Quote " & <tag>': '“引号” & <标签>' };
    const html = renderPanelHtml({ cspSource: 'vscode-resource:', nonce: 'n0nce', scriptUri: 's.js', styleUri: 's.css', codiconsUri: 'c.css', title: 'TCP', language: 'zh-cn', l10n: bundle });
    assert.match(html, /<html lang="zh-cn">/);
    const attribute = /<body data-l10n="([^"]*)">/.exec(html)?.[1];
    assert.ok(attribute, 'the body carries the bundle');
    assert.ok(!attribute.includes('<'), 'no raw markup inside the attribute');
    const decoded = attribute.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    assert.deepEqual(JSON.parse(decoded), bundle);
  });

  describe('t (app and webview)', () => {
    afterEach(() => setL10nBundle(undefined));

    it('reads the installed bundle and fills placeholders in the translation’s own order', () => {
      setL10nBundle({ 'Sent {0} to {1}': '已向 {1} 发送 {0}' });
      assert.equal(t('Sent {0} to {1}', '3 bytes', 'C1'), '已向 C1 发送 3 bytes');
    });

    it('falls back to the English text, and leaves {{variables}} and unfilled placeholders alone', () => {
      assert.equal(t('Environment for {{variables}} in {0}', '.tcp'), 'Environment for {{variables}} in .tcp');
      assert.equal(t('Only {0} and {1}', 'one'), 'Only one and {1}');
    });
  });
});
