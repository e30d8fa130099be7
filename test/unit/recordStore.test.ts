import * as assert from 'node:assert/strict';
import { bytesOf, leadingBytesOf, RecordStore } from '../../src/webview/recordStore';

const wire = (seq: number, bytes: number[]) => ({ seq, time: seq, dir: 'in' as const, conn: 'C1', data: Buffer.from(bytes).toString('base64') });

describe('webview RecordStore', () => {
  it('forgets the oldest records beyond the record limit and counts them', () => {
    const store = new RecordStore(3, 1000);
    for (let seq = 1; seq <= 5000; seq++) store.append(wire(seq, [seq & 0xff]));
    assert.equal(store.size, 3);
    assert.equal(store.evicted, 4997);
    assert.deepEqual([...store].map((r) => r.seq), [4998, 4999, 5000]);
    assert.equal(store.firstSeq, 4998);
  });

  it('keeps retained bytes under the byte limit, but always the newest record', () => {
    const store = new RecordStore(100, 10);
    store.append(wire(1, [1, 2, 3, 4]));
    store.append(wire(2, [1, 2, 3, 4]));
    store.append(wire(3, [1, 2, 3, 4]));
    assert.deepEqual([...store].map((r) => r.seq), [2, 3]);
    assert.equal(store.bytes, 8);
    store.append(wire(4, Array.from({ length: 50 }, () => 0)));
    assert.deepEqual([...store].map((r) => r.seq), [4]);
  });

  it('knows lengths without decoding and decodes only the leading bytes it is asked for', () => {
    const store = new RecordStore(10, 1 << 20);
    const bytes = Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff);
    for (const length of [0, 1, 2, 3, 4, 1000]) assert.equal(store.append(wire(length, bytes.slice(0, length))).length, length);
    const record = [...store].at(-1)!;
    assert.deepEqual([...leadingBytesOf(record, 7)], bytes.slice(0, 7));
    assert.deepEqual([...leadingBytesOf(record, 5000)], bytes);
    assert.deepEqual([...bytesOf(record)], bytes);
  });
});
