import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { blockAtLine, findDefinition, keywordCompletions, starterTcpFile, tcpOutline, variableCompletions } from '../../src/core/tcpFile/editing';
import { DIRECTIVES, parseTcpFile } from '../../src/core/tcpFile/parser';
import { locateNamedEntry, locateObjectKey, positionOf } from '../../src/app/settingsLocation';
import { DYNAMIC_VARIABLES } from '../../src/shared/variables';

const source = [
  '// Shared by every block',
  '@host = 127.0.0.1',
  '',
  '### Greeting',
  'CONNECT {{host}}:{{port}}',
  'SEND text hello',
  '# a comment inside the block',
  'EXPECT within 2s text hello',
  '',
  '',
  '@late = 5',
  '### Device',
  'LISTEN 127.0.0.1:0',
  'STARTTLS',
  'SEND file ./frame.bin',
  'EXPECT tls alpn h2',
];
const lines = source;
const file = parseTcpFile(source.join('\n'));

/** Where `needle` sits in the source: the cursor a test puts on it. */
function at(needle: string, offset = 0): { line: number; character: number } {
  const line = lines.findIndex((l) => l.includes(needle));
  assert.ok(line >= 0, needle);
  return { line, character: lines[line].indexOf(needle) + offset };
}

describe('.tcp editing: outline', () => {
  it('lists file variables and blocks in file order, each block with its target and steps', () => {
    const outline = tcpOutline(file, lines);
    assert.deepEqual(
      outline.map((s) => [s.kind, s.name, s.detail]),
      [
        ['variable', '@host', '127.0.0.1'],
        ['block', 'Greeting', 'CONNECT {{host}}:{{port}}'],
        ['variable', '@late', '5'],
        ['block', 'Device', 'LISTEN 127.0.0.1:0'],
      ],
    );
    const greeting = outline[1];
    assert.deepEqual(greeting.children.map((c) => [c.kind, c.name, c.detail]), [
      ['target', 'CONNECT {{host}}:{{port}}', ''],
      ['step', 'SEND text', 'hello'],
      ['step', 'EXPECT text', 'hello'],
    ]);
    assert.deepEqual(outline[3].children.map((c) => c.name), ['LISTEN 127.0.0.1:0', 'STARTTLS', 'SEND file', 'EXPECT tls alpn']);
  });

  it('spans a block from its ### header to its last non-blank line and selects its name', () => {
    const greeting = tcpOutline(file, lines)[1];
    // The block runs to the line before `### Device` in the parse (the @late line); the outline ends
    // it at its last EXPECT, so it neither swallows the blank lines nor overlaps @late beside it.
    assert.equal(greeting.range.startLine, 3);
    assert.equal(greeting.range.endLine, 7);
    assert.deepEqual(greeting.selection, { startLine: 3, startCol: 4, endLine: 3, endCol: '### Greeting'.length });
    const device = tcpOutline(file, lines)[3];
    assert.deepEqual([device.range.startLine, device.range.endLine, device.range.endCol], [11, 15, 'EXPECT tls alpn h2'.length]);
  });

  it('names a block without ### after its first directive line, and a file with nothing yields nothing', () => {
    const bare = ['CONNECT 127.0.0.1:7000', 'SEND text hi'];
    const outline = tcpOutline(parseTcpFile(bare.join('\n')), bare);
    assert.deepEqual(outline.map((s) => [s.name, s.range.startLine, s.range.endLine]), [['Block 1', 0, 1]]);
    assert.deepEqual(tcpOutline(parseTcpFile('# only a comment'), ['# only a comment']), []);
  });
});

describe('.tcp editing: which block the cursor is in', () => {
  it('finds the block from its header down to the line before the next ###, and none above the first', () => {
    assert.equal(blockAtLine(file, 0), undefined, 'a comment above every block');
    assert.equal(blockAtLine(file, 1), undefined, 'a file variable above every block');
    for (const line of [3, 4, 6, 7, 9]) assert.equal(blockAtLine(file, line)?.name, 'Greeting', `line ${line}`);
    for (const line of [11, 12, 15]) assert.equal(blockAtLine(file, line)?.name, 'Device', `line ${line}`);
    assert.equal(blockAtLine(file, 99), undefined);
  });

  it('without ###, the block starts at its first directive, below any leading variables', () => {
    const bare = parseTcpFile(['@p = 1', 'CONNECT 127.0.0.1:{{p}}', 'SEND text hi'].join('\n'));
    assert.equal(blockAtLine(bare, 0), undefined);
    assert.equal(blockAtLine(bare, 1)?.index, 0);
    assert.equal(blockAtLine(bare, 2)?.index, 0);
  });
});

describe('.tcp editing: keyword completion', () => {
  const labels = (text: string, character = text.length): string[] | undefined => keywordCompletions(text, character)?.map((c) => c.label);

  it('offers every directive the parser knows at the start of a line, indented or not', () => {
    assert.deepEqual(labels(''), [...DIRECTIVES]);
    assert.deepEqual(labels('  SE'), [...DIRECTIVES]);
    assert.ok(labels('')?.includes('TLS-SERVERNAME'));
  });

  it('offers the word that fits after a directive', () => {
    assert.deepEqual(labels('SEND '), ['text', 'hex', 'base64', 'file']);
    assert.deepEqual(labels('send h'), ['text', 'hex', 'base64', 'file'], 'directives are case-insensitive, as the parser reads them');
    assert.deepEqual(labels('EXPECT '), ['within', 'text', 'hex', 'regex', 'close', 'nothing', 'tls']);
    assert.deepEqual(labels('EXPECT within 2s '), ['text', 'hex', 'regex', 'close', 'nothing', 'tls']);
    assert.deepEqual(labels('EXPECT tls '), ['alpn', 'version', 'peer-name', 'cipher', 'verified']);
    assert.deepEqual(labels('ENCODING '), ['utf-8', 'latin1', 'ascii', 'utf-16le', 'gbk', 'gb18030', 'shift_jis']);
    assert.deepEqual(labels('LINE-ENDING '), ['none', 'lf', 'cr', 'crlf']);
    assert.deepEqual(labels('FRAMING '), ['none', 'line', 'u16be', 'u32be']);
    assert.deepEqual(labels('TLS-MIN '), ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);
  });

  it('stays quiet in comments, payloads, @lines, placeholders and addresses', () => {
    for (const text of ['# SEND ', '// EXPECT ', 'SEND text hello ', 'EXPECT text ', '@host = ', 'SEND text {{', 'CONNECT 127.0.0.1:7000 ', 'TIMEOUT 2s ']) {
      assert.equal(labels(text), undefined, text);
    }
  });

  it('looks only at the text before the cursor', () => {
    assert.deepEqual(labels('SEND hex 01 02', 'SEND '.length), ['text', 'hex', 'base64', 'file']);
  });
});

describe('.tcp editing: variable completion', () => {
  it('lists file variables, then environment ones the file does not override, then the dynamic ones', () => {
    const items = variableCompletions(file, { host: '10.0.0.9', port: '7000' }, 'staging');
    assert.deepEqual(
      items.map((i) => [i.label, i.kind, i.detail]).slice(0, 3),
      [
        ['host', 'variable', '127.0.0.1 (file)'],
        ['late', 'variable', '5 (file)'],
        ['port', 'environment', '7000 (staging)'],
      ],
    );
    assert.deepEqual(items.slice(3).map((i) => i.label), [...DYNAMIC_VARIABLES]);
    assert.match(items.find((i) => i.label === '$randomInt')?.snippet ?? '', /^\$randomInt \$\{1:0\} \$\{2:100\}$/);
  });

  it('names $shared as the source when no environment is selected', () => {
    const items = variableCompletions(parseTcpFile(''), { token: 'abc' }, undefined);
    assert.deepEqual(items[0], { label: 'token', kind: 'environment', detail: 'abc ($shared)' });
  });
});

describe('.tcp editing: go to definition', () => {
  const environments = { $shared: { port: '7000', host: 'shared-host' }, staging: { port: '7100' } };

  it('goes from {{host}} to its @host line; the file wins over the environment, as at run time', () => {
    const cursor = at('{{host}}', 3);
    const found = findDefinition(file, lines[cursor.line], cursor.character, environments, 'staging');
    assert.deepEqual(found, { kind: 'file', name: 'host', range: { line: 1, startCol: 1, endCol: 5 } });
  });

  it('works anywhere on the placeholder, braces included', () => {
    const cursor = at('{{host}}');
    for (const offset of [0, 1, 2, 6, 8]) assert.equal(findDefinition(file, lines[cursor.line], cursor.character + offset, environments, undefined)?.name, 'host', `offset ${offset}`);
    assert.equal(findDefinition(file, lines[cursor.line], 0, environments, undefined), undefined, 'on CONNECT itself');
  });

  it('goes to the selected environment when it defines the name, else to $shared', () => {
    const cursor = at('{{port}}', 2);
    assert.deepEqual(findDefinition(file, lines[cursor.line], cursor.character, environments, 'staging'), { kind: 'environment', name: 'port', environment: 'staging' });
    assert.deepEqual(findDefinition(file, lines[cursor.line], cursor.character, environments, undefined), { kind: 'environment', name: 'port', environment: '$shared' });
    assert.deepEqual(findDefinition(file, lines[cursor.line], cursor.character, { production: { port: '1' } }, 'production'), { kind: 'environment', name: 'port', environment: 'production' });
  });

  it('has nothing for an unknown name or a dynamic variable', () => {
    assert.equal(findDefinition(file, 'SEND text {{nope}}', 12, environments, 'staging'), undefined);
    assert.equal(findDefinition(file, 'SEND text {{$uuid}}', 12, environments, 'staging'), undefined);
  });

  it('goes from the name on a PRESET line to that preset, and finds its entry in the settings text', () => {
    const presetFile = parseTcpFile(['### Via a preset', 'PRESET plc bench', 'SEND text hi'].join('\n'));
    const line = 'PRESET plc bench';
    for (const character of [7, 10, 16]) assert.deepEqual(findDefinition(presetFile, line, character, {}, undefined), { kind: 'preset', name: 'plc bench' }, `column ${character}`);
    assert.equal(findDefinition(presetFile, line, 2, {}, undefined), undefined, 'on the keyword');
    const settings = [
      '{',
      '  "tcpLab.environments": { "x": { "name": "plc bench" } },',
      '  "tcpLab.presets": [',
      '    { "name": "echo", "kind": "client", "port": 7 },',
      '    // the bench',
      '    { "kind": "client", "port": 502, "name": "plc bench", "payloads": [{ "name": "read" }] }',
      '  ]',
      '}',
    ].join('\n');
    const at = locateNamedEntry(settings, 'tcpLab.presets', 'plc bench');
    assert.deepEqual(at === undefined ? undefined : positionOf(settings, at), { line: 5, character: 4 });
    assert.equal(locateNamedEntry(settings, 'tcpLab.presets', 'read'), undefined, 'a payload named "read" is no preset');
    assert.equal(locateNamedEntry(settings, 'tcpLab.presets', 'nope'), undefined);
    const workspaceFile = '{ "folders": [], "settings": { "tcpLab.presets": [{ "name": "echo" }] } }';
    assert.equal(locateNamedEntry(workspaceFile, 'tcpLab.presets', 'echo'), workspaceFile.indexOf('{ "name"'));
  });

  it('finds an environment entry in the settings file text, comments and all', () => {
    const settings = [
      '{',
      '  // the team\'s environments',
      '  "tcpLab.presets": [{ "name": "port" }],',
      '  "tcpLab.environments": {',
      '    "$shared": { "port": "7000" },',
      '    "staging": {',
      '      "host": "10.0.0.9", /* lab */',
      '      "port": "7100"',
      '    }',
      '  }',
      '}',
    ].join('\n');
    const offset = locateObjectKey(settings, ['tcpLab.environments', 'staging', 'port']);
    assert.deepEqual(offset === undefined ? undefined : positionOf(settings, offset), { line: 7, character: 6 });
    const shared = locateObjectKey(settings, ['tcpLab.environments', '$shared', 'port']);
    assert.deepEqual(shared === undefined ? undefined : positionOf(settings, shared), { line: 4, character: 17 });
    assert.equal(locateObjectKey(settings, ['tcpLab.environments', 'staging', 'token']), undefined);
    assert.equal(locateObjectKey(settings, ['tcpLab.environments', 'production', 'port']), undefined);
    // A key of the same name elsewhere (a preset named "port") is not an environment's entry.
    assert.equal(locateObjectKey('{ "tcpLab.presets": [{ "port": 1 }] }', ['tcpLab.environments', 'staging', 'port']), undefined);
  });
});

describe('.tcp language configuration', () => {
  it('toggles comments with //, which the parser reads as a comment like #', () => {
    const config = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'syntaxes', 'tcp.language-configuration.json'), 'utf8'));
    assert.equal(config.comments.lineComment, '//');
    const parsed = parseTcpFile(['### A', 'CONNECT 127.0.0.1:7000', '// SEND text not sent', '  // EXPECT text indented comment', '# SEND text neither'].join('\n'));
    assert.deepEqual(parsed.diagnostics, []);
    assert.equal(parsed.blocks[0].steps.length, 0);
  });
});

describe('.tcp editing: the starter file', () => {
  it('parses without a problem and targets the listener (a wildcard on loopback), or 7000 on this machine', () => {
    const cases = [
      [{ host: '127.0.0.1', port: 40123 }, '127.0.0.1:40123'],
      [{ host: '0.0.0.0', port: 40124 }, '127.0.0.1:40124'],
      [{ host: '::', port: 40125 }, '[::1]:40125'],
      [{ host: '::1', port: 40126 }, '[::1]:40126'],
      [undefined, '127.0.0.1:7000'],
    ] as const;
    for (const [listener, address] of cases) {
      const parsed = parseTcpFile(starterTcpFile(listener));
      assert.deepEqual(parsed.diagnostics, []);
      assert.deepEqual(parsed.blocks.map((b) => b.target?.kind === 'connect' && b.target.address), [address, address]);
      assert.equal(parsed.blocks[1].steps.at(-1)?.kind, 'expect');
    }
  });
});
