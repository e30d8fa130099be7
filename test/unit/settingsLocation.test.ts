import * as assert from 'node:assert/strict';
import { locateSettingEntry, positionOf } from '../../src/app/settingsLocation';

describe('settings file locations', () => {
  it('finds the line of one entry of a list setting, past comments, strings and nested values', () => {
    const text = [
      '{',
      '  // "tcpLab.presets": [ not this one ],',
      '  "editor.tabSize": 2,',
      '  "tcpLab.presets": [',
      '    { "name": "Echo", "kind": "listener", "host": "127.0.0.1", "port": 9000, "payloads": [{ "name": "a,b", "format": "text", "data": "]" }] },',
      '    /* the broken one */ { "name": "PLC", "kind": "client", "host": "plc.local", "port": "abc" },',
      '  ],',
      '}',
    ].join('\n');
    const at = (index: number) => {
      const offset = locateSettingEntry(text, 'tcpLab.presets', index);
      return offset === undefined ? undefined : positionOf(text, offset);
    };
    assert.deepEqual(at(0), { line: 4, character: 4 });
    assert.deepEqual(at(1), { line: 5, character: 25 });
    // The key itself for the whole setting, or an entry the file does not have.
    assert.deepEqual(at(-1), { line: 3, character: 2 });
    assert.deepEqual(at(5), { line: 3, character: 2 });
    assert.equal(locateSettingEntry('{ "editor.tabSize": 2 }', 'tcpLab.presets', 0), undefined);
    // A workspace file keeps settings one level down.
    const workspace = '{ "folders": [], "settings": {\n  "tcpLab.presets": [ {}, { "name": "x" } ] } }';
    assert.deepEqual(positionOf(workspace, locateSettingEntry(workspace, 'tcpLab.presets', 1)!), { line: 1, character: 26 });
  });
});
