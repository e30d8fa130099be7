import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));

/** Collect every `match`/`begin`/`end` regex of a TextMate grammar. */
function grammarRegexes(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => grammarRegexes(n, out));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'match' || key === 'begin' || key === 'end') && typeof value === 'string') out.push(value);
      else grammarRegexes(value, out);
    }
  }
  return out;
}

describe('tcp language contribution', () => {
  it('points at files that exist, for the tcp language', () => {
    const { languages, grammars, snippets } = manifest.contributes;
    const tcp = languages.find((l: { id: string }) => l.id === 'tcp');
    assert.deepEqual(tcp.extensions, ['.tcp']);
    for (const file of [tcp.configuration, grammars[0].path, snippets[0].path, manifest.bin['tcp-lab-test']]) {
      if (file.startsWith('./dist/')) continue; // built, not committed
      assert.ok(existsSync(path.join(repo, file)), file);
    }
  });

  it('has a grammar whose patterns compile and colour directives, hex and placeholders', () => {
    const grammar = JSON.parse(readFileSync(path.join(repo, 'syntaxes', 'tcp.tmLanguage.json'), 'utf8'));
    assert.equal(grammar.scopeName, 'source.tcp');
    // Oniguruma's inline (?i:…) groups are not in Node 20's RegExp: test the rest with them as plain groups.
    const regexes = grammarRegexes(grammar).map((r) => r.replace(/\(\?i:/g, '(?:'));
    assert.ok(regexes.length > 10);
    for (const r of regexes) assert.doesNotThrow(() => new RegExp(r), r);
    const target = new RegExp(grammar.repository.target.match.replace(/\(\?i:/g, '(?:'), 'i');
    assert.ok(target.test('CONNECT {{host}}:7000'));
    const placeholder = new RegExp(grammar.repository.placeholder.match);
    assert.deepEqual('{{$randomInt 1 9}}'.match(placeholder)?.slice(1), ['{{', '$randomInt', ' 1 9', '}}']);
  });

  it('declares tcpLab.environments in its own configuration entry', () => {
    const entry = manifest.contributes.configuration.find((c: { properties: object }) => 'tcpLab.environments' in c.properties);
    assert.equal(entry.properties['tcpLab.environments'].type, 'object');
  });
});
