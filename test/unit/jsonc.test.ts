import * as assert from 'node:assert/strict';
import { parseJsonc } from '../../src/app/jsonc';
import { parseTcpLabSettings } from '../../src/app/settingsFile';

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

  it('keeps ", ]" and ", }" inside strings, for the extension and the CLI alike', () => {
    const payload = 'list [1, 2, ] and {a, }';
    const text = `{
      // a payload that looks like trailing commas
      "tcpLab.presets": [
        { "name": "Tricky", "kind": "client", "host": "127.0.0.1", "port": 7000, /* inline */
          "payloads": [{ "name": "p", "format": "text", "data": ${JSON.stringify(payload)}, }], },
      ],
      "tcpLab.environments": { "local": { "list": ${JSON.stringify(payload)}, }, },
    }`;
    const parsed = parseJsonc(text) as { 'tcpLab.presets': Array<{ payloads: Array<{ data: string }> }> };
    assert.equal(parsed['tcpLab.presets'][0].payloads[0].data, payload);
    const settings = parseTcpLabSettings(text, 'settings.json');
    assert.equal((settings.presets[0] as unknown as { payloads: Array<{ data: string }> }).payloads[0].data, payload);
    assert.deepEqual(settings.environments, { local: { list: payload } });
  });

  it('names the file and the place when the CLI reads broken settings', () => {
    assert.throws(() => parseTcpLabSettings('{\n  "a": 1\n  "b": 2\n}', 'settings.json'), /Cannot read settings\.json: comma expected at line 3, column 3\. Fix the JSON/);
  });

  it('validates presets as the editor does and reads environments as the schema allows', () => {
    const settings = parseTcpLabSettings(`{
      "tcpLab.presets": [
        { "name": "Good", "kind": "client", "host": "127.0.0.1", "port": 7000 },
        { "name": "Far", "kind": "client", "host": "127.0.0.1", "port": 70000 },
        { "name": "Bad hex", "kind": "client", "host": "127.0.0.1", "port": 7000, "payloads": [{ "name": "p", "format": "hex", "data": "zz" }] },
      ],
      "tcpLab.environments": { "local": { "host": "127.0.0.1", "port": 7000, "tls": false, "nested": { "x": 1 } }, "broken": 3 },
    }`, 'settings.json');
    assert.deepEqual(settings.presets.map((p) => p.name), ['Good']);
    assert.equal(settings.problems.length, 2);
    assert.match(settings.problems[0], /"Far".*port/);
    assert.match(settings.problems[1], /"Bad hex"/);
    assert.deepEqual(settings.environments, { local: { host: '127.0.0.1', port: '7000', tls: 'false' } });
  });
});
