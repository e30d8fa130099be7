import * as assert from 'node:assert/strict';
import { parseJsonc } from '../../src/host/jsonc';

describe('settings file reader (JSONC)', () => {
  it('reads a settings file with comments and trailing commas', () => {
    const text = `{
      // Two presets for the team.
      "tcpLab.presets": [
        { "name": "Echo", /* local only */ "kind": "listener", "host": "127.0.0.1", "port": 9000, },
        { "name": "Device", "kind": "client", "host": "plc.local", "port": 502 },
      ],
      "editor.tabSize": 2,
    }`;
    assert.deepEqual(parseJsonc(text), {
      'tcpLab.presets': [
        { name: 'Echo', kind: 'listener', host: '127.0.0.1', port: 9000 },
        { name: 'Device', kind: 'client', host: 'plc.local', port: 502 },
      ],
      'editor.tabSize': 2,
    });
  });

  it('leaves comment markers, commas and escaped quotes inside strings alone', () => {
    const value = parseJsonc('{"a": "http://x/*y*/, ]", "b": "say \\"hi\\" // not a comment", "c": [1, 2]}');
    assert.deepEqual(value, { a: 'http://x/*y*/, ]', b: 'say "hi" // not a comment', c: [1, 2] });
  });

  it('still rejects text that is not JSON once comments are removed', () => {
    assert.throws(() => parseJsonc('{ "a": 1 "b": 2 }'), SyntaxError);
    assert.throws(() => parseJsonc('{ "a": [1,, 2] }'), SyntaxError);
    assert.throws(() => parseJsonc('{ "a": '), SyntaxError);
  });
});
