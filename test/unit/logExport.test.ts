import * as assert from 'node:assert/strict';
import { toCsv, toJsonLines, type ExportRecord } from '../../src/app/logExport';

const records: ExportRecord[] = [
  { seq: 1, time: 0, dir: 'in', conn: 'C1', peer: '127.0.0.1:4000', bytes: new Uint8Array([0x68, 0x69, 0x00]) },
  { seq: 2, time: 1000, dir: 'out', conn: 'C2', bytes: new Uint8Array([0xff]) },
];

describe('log export', () => {
  it('writes JSON Lines that round-trip the bytes', () => {
    const lines = toJsonLines(records).trimEnd().split('\n').map((line) => JSON.parse(line));
    assert.equal(lines.length, 2);
    assert.deepEqual(new Uint8Array(Buffer.from(lines[0].base64, 'base64')), records[0].bytes);
    assert.equal(lines[0].peer, '127.0.0.1:4000');
    assert.equal(lines[1].iso, '1970-01-01T00:00:01.000Z');
    assert.equal(lines[1].dir, 'out');
  });

  it('writes CSV with a header, hex bytes and the text with escapes visible', () => {
    const rows = toCsv(records).trimEnd().split('\r\n');
    assert.equal(rows[0], 'seq,time,iso,dir,conn,peer,length,hex,text');
    assert.equal(rows[1], '1,0,1970-01-01T00:00:00.000Z,in,C1,127.0.0.1:4000,3,686900,hi\\0');
    assert.equal(rows[2], '2,1000,1970-01-01T00:00:01.000Z,out,C2,,1,ff,\\xFF');
  });

  it('decodes the CSV text column with the encoding it is given, quoting and defusing what needs it', () => {
    const gbk: ExportRecord = { seq: 7, time: 0, dir: 'in', conn: 'C1', bytes: new Uint8Array([0xc4, 0xe3, 0xba, 0xc3, 0x0d, 0x0a]) };
    const textOf = (csv: string): string => csv.trimEnd().split('\r\n')[1].split(',').at(-1) ?? '';
    assert.equal(textOf(toCsv([gbk], 'gbk')), '你好\\r\\n');
    assert.equal(textOf(toCsv([gbk], 'utf-8')), '\\xC4\\xE3\\xBA\\xC3\\r\\n');
    // Peer text that a spreadsheet would run as a formula stays text; commas and quotes are quoted.
    const tricky: ExportRecord = { seq: 8, time: 0, dir: 'in', conn: 'C1', bytes: new TextEncoder().encode('=1+2,"x"') };
    assert.ok(toCsv([tricky]).trimEnd().endsWith(`,"'=1+2,""x"""`), toCsv([tricky]));
  });
});
