import * as assert from 'node:assert/strict';
import { bytesOf, isComplete, leadingBytesOf, RecordStore, setWholeBytes } from '../../src/webview/recordStore';

const wire = (seq: number, bytes: number[], length = bytes.length) => ({ seq, rec: seq, length, time: seq, dir: 'in' as const, conn: 'C1', data: Buffer.from(bytes).toString('base64') });

describe('webview RecordStore', () => {
  it('keeps a window of the newest records within the record limit', () => {
    const store = new RecordStore(3, 1000);
    for (let seq = 1; seq <= 5000; seq++) store.append(wire(seq, [seq & 0xff]));
    assert.equal(store.size, 3);
    assert.deepEqual([...store].map((r) => r.seq), [4998, 4999, 5000]);
    assert.equal(store.firstSeq, 4998);
    assert.equal(store.lastSeq, 5000);
  });

  it('keeps the bytes it holds under the byte limit, but always the newest record', () => {
    const store = new RecordStore(100, 10);
    store.append(wire(1, [1, 2, 3, 4]));
    store.append(wire(2, [1, 2, 3, 4]));
    store.append(wire(3, [1, 2, 3, 4]));
    assert.deepEqual([...store].map((r) => r.seq), [2, 3]);
    assert.equal(store.bytes, 8);
    store.append(wire(4, Array.from({ length: 50 }, () => 0)));
    assert.deepEqual([...store].map((r) => r.seq), [4]);
  });

  it('takes older rows in front and forgets the newest beyond the limits', () => {
    const store = new RecordStore(4, 1000);
    for (let seq = 10; seq <= 13; seq++) store.append(wire(seq, [seq]));
    store.prepend([wire(7, [7]), wire(8, [8]), wire(9, [9])]);
    assert.deepEqual([...store].map((r) => r.seq), [7, 8, 9, 10]);
  });

  it('knows a preview from a whole record and decodes only the leading bytes it is asked for', () => {
    const store = new RecordStore(10, 1 << 20);
    const bytes = Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff);
    const record = store.append(wire(1, bytes));
    assert.equal(isComplete(record), true);
    assert.deepEqual([...leadingBytesOf(record, 7)], bytes.slice(0, 7));
    assert.deepEqual([...leadingBytesOf(record, 5000)], bytes);
    assert.deepEqual([...bytesOf(record)], bytes);

    const preview = store.append(wire(2, bytes.slice(0, 100), 1000));
    assert.equal(isComplete(preview), false);
    assert.equal(bytesOf(preview).length, 100);
    setWholeBytes(preview, Uint8Array.from(bytes));
    assert.equal(isComplete(preview), true);
    assert.deepEqual([...bytesOf(preview)], bytes);
  });
});
