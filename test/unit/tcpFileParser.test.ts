import * as assert from 'node:assert/strict';
import { parseTcpFile, parseDuration } from '../../src/core/tcpFile/parser';
import { environmentVariables, resolveVariables } from '../../src/core/tcpFile/variables';
import type { ExpectStep, TcpDiagnostic } from '../../src/core/tcpFile/model';

/** Diagnostics as `line:start-end severity` plus the message, easy to compare and to read on failure. */
function where(diagnostics: TcpDiagnostic[]): string[] {
  return diagnostics.map((d) => `${d.line}:${d.startCol}-${d.endCol} ${d.severity}`);
}

describe('tcp file parser', () => {
  it('parses blocks, targets, options, payloads and expectations of a well-formed file', () => {
    const file = parseTcpFile(
      [
        '# A comment before any block',
        '@host = 127.0.0.1',
        '@port = 7000',
        '',
        '### Greeting',
        'CONNECT {{host}}:{{port}}',
        'ENCODING latin1',
        'LINE-ENDING crlf',
        'TIMEOUT 2s',
        'SEND text HELO {{$uuid}}',
        'EXPECT within 750ms text 250 ok',
        '',
        '### Binary, framed',
        'LISTEN [::1]:0',
        'FRAMING u16be',
        'SEND hex 01 02',
        '  03 04',
        '// another comment style',
        'EXPECT hex ff',
        'EXPECT regex /^ok \\d+$/i',
        'EXPECT nothing 300ms',
        'EXPECT close',
        '###',
        'PRESET Echo server',
        'SEND file ./payload.bin',
      ].join('\n'),
      { presetNames: ['Echo server'] },
    );
    assert.deepEqual(file.diagnostics, []);
    assert.equal(file.variables.get('port')?.value, '7000');
    assert.deepEqual(
      file.blocks.map((b) => [b.name, b.headerLine, b.endLine, b.target?.kind]),
      [
        ['Greeting', 4, 11, 'connect'],
        ['Binary, framed', 12, 21, 'listen'],
        ['Block 3', 22, 24, 'preset'],
      ],
    );
    const [greeting, binary, preset] = file.blocks;
    assert.deepEqual(greeting.options, { encoding: 'latin1', lineEnding: 'crlf', timeoutMs: 2000 });
    const expectation = greeting.steps[1] as ExpectStep;
    assert.equal(expectation.match, 'text');
    assert.equal(expectation.body.text, '250 ok');
    assert.equal(expectation.timeoutMs, 750);

    const send = binary.steps[0];
    assert.equal(send.kind, 'send');
    assert.equal(send.kind === 'send' && send.body.text, '01 02 03 04');
    const regex = binary.steps[2] as ExpectStep;
    assert.equal(regex.body.text, '^ok \\d+$');
    assert.equal(regex.flags, 'i');
    assert.equal((binary.steps[3] as ExpectStep).windowMs, 300);
    assert.equal((binary.steps[4] as ExpectStep).match, 'close');
    assert.deepEqual(preset.target, { kind: 'preset', name: 'Echo server', range: { line: 23, startCol: 7, endCol: 18 } });
    assert.deepEqual(preset.steps[0], { kind: 'sendFile', path: './payload.bin', range: { line: 24, startCol: 0, endCol: 23 } });
  });

  it('joins indented text continuation lines with a line feed', () => {
    const file = parseTcpFile('###\nCONNECT 127.0.0.1:1\nSEND text GET / HTTP/1.0\\r\n    Host: x\\r\n\n');
    const step = file.blocks[0].steps[0];
    assert.equal(step.kind === 'send' && step.body.text, 'GET / HTTP/1.0\\r\nHost: x\\r');
  });

  it('lets a payload start on the indented line below its keyword', () => {
    const file = parseTcpFile('###\nCONNECT 127.0.0.1:1\nSEND text\n  first\n  second\nEXPECT hex\n  0a 0b\n  0c');
    assert.deepEqual(file.diagnostics, []);
    const [send, expectation] = file.blocks[0].steps;
    assert.equal(send.kind === 'send' && send.body.text, 'first\nsecond');
    assert.equal((expectation as ExpectStep).body.text, '0a 0b 0c');
  });

  it('reports a payload keyword with nothing after it', () => {
    const file = parseTcpFile('###\nCONNECT 127.0.0.1:1\nSEND hex\nEXPECT text   ');
    assert.deepEqual(where(file.diagnostics), ['2:0-8 error', '3:0-11 error']);
    assert.match(file.diagnostics[0].message, /SEND hex has no payload/);
  });

  it('treats a file without ### as one block headed by its first directive, and CRLF files alike', () => {
    const file = parseTcpFile('# intro\r\n\r\nCONNECT localhost:80\r\nSEND text hi\r\n');
    assert.deepEqual(file.diagnostics, []);
    assert.equal(file.blocks.length, 1);
    assert.equal(file.blocks[0].headerLine, 2);
    const step = file.blocks[0].steps[0];
    assert.equal(step.kind === 'send' && step.body.text, 'hi');
  });

  it('underlines the exact bad hex digit, even on a continuation line', () => {
    const file = parseTcpFile('### x\nCONNECT 127.0.0.1:9\nSEND hex 0a 0b\n   0c zz');
    assert.deepEqual(where(file.diagnostics), ['3:6-7 error']);
    assert.match(file.diagnostics[0].message, /'z'/);
    assert.match(file.diagnostics[0].message, /at line 4, column 7/);
    assert.equal(file.blocks[0].hasErrors, true);
  });

  it('reports an unknown preset with the known names, over the name only', () => {
    const file = parseTcpFile('###\nPRESET  Nope \nSEND text a', { presetNames: ['Echo', 'Chat'] });
    assert.deepEqual(where(file.diagnostics), ['1:8-12 error']);
    assert.match(file.diagnostics[0].message, /Unknown preset 'Nope'.*Echo, Chat/);
  });

  it('reports a bad regex over its /pattern/flags', () => {
    const file = parseTcpFile('###\nCONNECT 127.0.0.1:9\nEXPECT regex /ab(c/');
    assert.deepEqual(where(file.diagnostics), ['2:13-19 error']);
    assert.match(file.diagnostics[0].message, /Invalid regular expression/);
  });

  it('reports unknown directives, formats, kinds and option values at the offending word', () => {
    const file = parseTcpFile(
      ['###', 'CONNECT 127.0.0.1:9', 'SNED text a', 'SEND octal 17', 'EXPECT banner x', 'ENCODING ebcdic', 'FRAMING  xml', 'TIMEOUT soon', 'EXPECT nothing forever'].join('\n'),
    );
    assert.deepEqual(where(file.diagnostics), ['2:0-4 error', '3:5-10 error', '4:7-13 error', '5:9-15 error', '6:9-12 error', '7:8-12 error', '8:15-22 error']);
    assert.match(file.diagnostics[0].message, /Unknown directive 'SNED'/);
  });

  it('reports a bad escape in text and an out-of-range port', () => {
    const file = parseTcpFile('###\nCONNECT 127.0.0.1:70000\n###\nCONNECT 127.0.0.1:7\nSEND text ok \\q');
    assert.equal(file.diagnostics[0].line, 1);
    assert.deepEqual([file.diagnostics[0].startCol, file.diagnostics[0].endCol], [8, 23]);
    assert.match(file.diagnostics[0].message, /out of range/);
    assert.equal(file.diagnostics[1].line, 4);
    assert.equal(file.diagnostics[1].startCol, 13);
  });

  it('requires a target, and only one', () => {
    const file = parseTcpFile('### lonely\nSEND text a\n### twice\nCONNECT 127.0.0.1:1\nLISTEN 127.0.0.1:2');
    assert.deepEqual(where(file.diagnostics), ['0:0-10 error', '4:0-6 error']);
  });

  it('warns about undefined variables unless the environment defines them, and rejects malformed dynamic ones', () => {
    const text = '###\nCONNECT {{server}}:{{port}}\nSEND text {{$randomInt 5 1}}';
    const without = parseTcpFile(text, { environment: { port: '1' } });
    assert.deepEqual(where(without.diagnostics), ['1:10-16 warning', '2:10-28 error']);
    const withEnv = parseTcpFile('###\nCONNECT {{server}}:1', { environment: { server: 'localhost' } });
    assert.deepEqual(withEnv.diagnostics, []);
  });

  it('flags a malformed variable line and duplicate definitions', () => {
    const file = parseTcpFile('@ = 1\n@a = 1\n@a = 2\n@b 3');
    assert.deepEqual(where(file.diagnostics), ['0:0-5 error', '2:1-2 warning', '3:0-4 error']);
    assert.equal(file.variables.get('a')?.value, '2');
  });
});

describe('tcp file variables', () => {
  const file = new Map([
    ['host', { value: '{{base}}.example' }],
    ['loop', { value: '{{loop}}' }],
  ]);

  it('resolves file variables over environment variables, recursively', () => {
    const scope = { file, environment: { base: 'api', host: 'ignored' } };
    assert.deepEqual(resolveVariables('{{host}}:{{ base }}', scope), { ok: true, value: 'api.example:api' });
  });

  it('reports cycles and unknown names in one sentence', () => {
    const cycle = resolveVariables('{{loop}}', { file, environment: {} });
    assert.equal(cycle.ok, false);
    assert.match(!cycle.ok ? cycle.error : '', /refers to itself/);
    const unknown = resolveVariables('{{nope}}', { file, environment: {} });
    assert.match(!unknown.ok ? unknown.error : '', /'nope' is not defined/);
  });

  it('produces dynamic values from the injected clock and randomness', () => {
    const scope = { file, environment: {}, now: () => 1_700_000_000_999, random: () => 0.99, uuid: () => 'u-1' };
    assert.deepEqual(resolveVariables('{{$timestamp}} {{$randomInt 10 20}} {{$uuid}}', scope), { ok: true, value: '1700000000 19 u-1' });
    const real = resolveVariables('{{$uuid}}', { file, environment: {} });
    assert.match(real.ok ? real.value : '', /^[0-9a-f-]{36}$/);
  });

  it('layers the selected environment over $shared', () => {
    const envs = { $shared: { port: '1', host: 'h' }, dev: { port: '2' } };
    assert.deepEqual(environmentVariables(envs, 'dev'), { port: '2', host: 'h' });
    assert.deepEqual(environmentVariables(envs, undefined), { port: '1', host: 'h' });
  });

  it('reads durations', () => {
    assert.deepEqual(['500ms', '2s', '1.5s', '250', '1m', 'x', '-1s'].map(parseDuration), [500, 2000, 1500, 250, 60000, undefined, undefined]);
  });
});
