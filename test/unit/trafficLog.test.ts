// TrafficLog: bounded retention with exact totals, and the JSON Lines capture file.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { TcpError } from '../../src/core/errors';
import { TrafficLog, type TrafficRecord } from '../../src/core/trafficLog';
import type { Direction } from '../../src/core/types';

const bytes = (n: number, fill = 0): Uint8Array => new Uint8Array(n).fill(fill);

describe('TrafficLog', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'tcp-lab-log-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('numbers records from 1, stamps them with the clock and counts both directions', () => {
    let now = 1000;
    const log = new TrafficLog({}, () => now++);
    const a = log.append('in', bytes(3));
    const b = log.append('out', bytes(5));
    assert.deepEqual([a.seq, a.time, a.dir], [1, 1000, 'in']);
    assert.deepEqual([b.seq, b.time, b.dir], [2, 1001, 'out']);
    assert.deepEqual(log.totals, { bytesIn: 3, bytesOut: 5, messagesIn: 1, messagesOut: 1 });
    assert.deepEqual(log.records(), [a, b]);
  });

  it('stores the chunk it is given without copying it', () => {
    const log = new TrafficLog();
    const chunk = Buffer.from('abc');
    assert.equal(log.append('in', chunk).bytes, chunk);
  });

  it('evicts the oldest records beyond maxRecords and keeps totals exact', () => {
    const log = new TrafficLog({ maxRecords: 3 });
    for (let i = 1; i <= 10; i++) log.append(i % 2 ? 'in' : 'out', bytes(i));
    assert.deepEqual(log.records().map((r) => r.seq), [8, 9, 10]);
    assert.deepEqual(log.totals, { bytesIn: 1 + 3 + 5 + 7 + 9, bytesOut: 2 + 4 + 6 + 8 + 10, messagesIn: 5, messagesOut: 5 });
    assert.deepEqual(log.evicted, { records: 7, bytes: 1 + 2 + 3 + 4 + 5 + 6 + 7 });
    assert.deepEqual(log.retained, { records: 3, bytes: 27 });
  });

  it('evicts by bytes, and drops a single record larger than maxBytes at once', () => {
    const log = new TrafficLog({ maxBytes: 10 });
    log.append('in', bytes(4));
    log.append('in', bytes(4));
    log.append('in', bytes(4)); // 12 > 10: the first goes
    assert.deepEqual(log.records().map((r) => r.seq), [2, 3]);
    log.append('out', bytes(11));
    assert.deepEqual(log.records(), []);
    assert.deepEqual(log.evicted, { records: 4, bytes: 23 });
    assert.equal(log.totals.bytesIn + log.totals.bytesOut, 23);
  });

  it('matches a naive model under random appends, limits and clears (ring wrap-around)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 200 }),
        fc.array(fc.oneof(fc.record({ dir: fc.constantFrom<Direction>('in', 'out'), size: fc.integer({ min: 0, max: 50 }) }), fc.constant('clear' as const)), { maxLength: 200 }),
        (maxRecords, maxBytes, ops) => {
          const log = new TrafficLog({ maxRecords, maxBytes });
          let model: TrafficRecord[] = [];
          let total = 0;
          for (const op of ops) {
            if (op === 'clear') {
              log.clear();
              model = [];
              continue;
            }
            model.push(log.append(op.dir, bytes(op.size)));
            total += op.size;
            while (model.length > maxRecords || model.reduce((n, r) => n + r.bytes.length, 0) > maxBytes) model.shift();
          }
          assert.deepEqual(log.records(), model);
          const retainedBytes = model.reduce((n, r) => n + r.bytes.length, 0);
          assert.equal(log.totals.bytesIn + log.totals.bytesOut, total);
          assert.equal(log.evicted.bytes + retainedBytes, total);
          assert.equal(log.evicted.records + model.length, log.totals.messagesIn + log.totals.messagesOut);
          for (const record of model) assert.equal(log.recordAt(record.seq), record, 'each retained record is found by its number');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('setLimits() applies new limits at once, keeping the newest records', () => {
    const log = new TrafficLog({ maxRecords: 10 });
    for (let i = 0; i < 10; i++) log.append('in', bytes(2));
    log.setLimits({ maxRecords: 4 });
    assert.deepEqual(log.records().map((r) => r.seq), [7, 8, 9, 10]);
    log.setLimits({ maxBytes: 4 });
    assert.deepEqual(log.records().map((r) => r.seq), [9, 10]);
    assert.deepEqual(log.limits, { maxRecords: 4, maxBytes: 4 });
    assert.equal(log.totals.bytesIn, 20);
  });

  it('clear() drops retained records but not totals', () => {
    const log = new TrafficLog();
    log.append('in', bytes(7));
    log.clear();
    assert.deepEqual(log.records(), []);
    assert.equal(log.totals.bytesIn, 7);
    assert.equal(log.append('in', bytes(1)).seq, 2);
  });

  it('fires onDidAppend for every record', () => {
    const log = new TrafficLog({ maxRecords: 1 });
    const seen: number[] = [];
    log.onDidAppend((r) => seen.push(r.seq));
    log.append('in', bytes(1));
    log.append('out', bytes(1));
    assert.deepEqual(seen, [1, 2]);
  });

  it('captures every record as JSON Lines, in order, and every byte comes back', async () => {
    const file = path.join(dir, 'capture.jsonl');
    const log = new TrafficLog({ maxRecords: 2 }); // retention limits must not affect the capture
    log.append('in', bytes(1, 9)); // before the capture: not written
    await log.startCapture(file);
    assert.equal(log.capturing, true);
    const written: TrafficRecord[] = [];
    for (let i = 0; i < 500; i++) {
      const chunk = new Uint8Array(i % 37);
      for (let j = 0; j < chunk.length; j++) chunk[j] = (i * 31 + j) & 0xff;
      written.push(log.append(i % 3 ? 'in' : 'out', chunk));
    }
    await log.stopCapture();
    assert.equal(log.capturing, false);
    log.append('in', bytes(1)); // after the capture: not written
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'the file ends with a newline');
    assert.equal(lines.length, 500);
    lines.forEach((line, i) => {
      const parsed = JSON.parse(line) as { seq: number; time: number; dir: Direction; base64: string };
      assert.deepEqual(Object.keys(parsed), ['seq', 'time', 'dir', 'base64']);
      assert.equal(parsed.seq, written[i].seq);
      assert.equal(parsed.time, written[i].time);
      assert.equal(parsed.dir, written[i].dir);
      assert.deepEqual(new Uint8Array(Buffer.from(parsed.base64, 'base64')), written[i].bytes);
    });
  });

  it('a capture of large, tiny and continued records over several event loop turns keeps every record whole and in order', async () => {
    // Records of several MiB, runs of tiny and empty ones, continued slices and both directions,
    // appended across event loop turns: a lost, doubled, reordered or cut record would show up here.
    const file = path.join(dir, 'batches.jsonl');
    const log = new TrafficLog({ maxRecords: 4 });
    await log.startCapture(file);
    const expected: Array<{ dir: Direction; hex: string; continued: boolean }> = [];
    let fill = 0;
    for (let turn = 0; turn < 6; turn++) {
      for (const size of [3 * 1024 * 1024, 1, 0, 65536, 700 * 1024, ...Array<number>(200).fill(7)]) {
        const chunk = new Uint8Array(size);
        for (let j = 0; j < size; j++) chunk[j] = (fill + j * 13) & 0xff;
        fill++;
        const dir: Direction = fill % 2 ? 'in' : 'out';
        const continued = dir === 'out' && fill % 3 === 0;
        log.append(dir, chunk, continued);
        expected.push({ dir, hex: Buffer.from(chunk).toString('hex'), continued });
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await log.stopCapture();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, expected.length);
    lines.forEach((line, i) => {
      const parsed = JSON.parse(line) as { seq: number; dir: Direction; base64: string; continued?: true };
      assert.equal(parsed.seq, i + 1);
      assert.equal(parsed.dir, expected[i].dir);
      assert.equal(parsed.continued === true, expected[i].continued, `record ${i + 1}'s continued flag`);
      assert.equal(Buffer.from(parsed.base64, 'base64').toString('hex'), expected[i].hex, `record ${i + 1}'s bytes`);
    });
  });

  it('records appended while the capture file is still opening are not lost', async () => {
    const file = path.join(dir, 'early.jsonl');
    const log = new TrafficLog();
    const started = log.startCapture(file);
    log.append('in', Buffer.from('early'));
    await started;
    await log.stopCapture();
    const line = JSON.parse(readFileSync(file, 'utf8').trim()) as { base64: string };
    assert.equal(Buffer.from(line.base64, 'base64').toString(), 'early');
  });

  it('switching to a new capture file splits the records between the files without a gap', async () => {
    const first = path.join(dir, 'first.jsonl');
    const second = path.join(dir, 'second.jsonl');
    const log = new TrafficLog();
    await log.startCapture(first);
    log.append('in', Buffer.from('a'));
    const switched = log.startCapture(second);
    log.append('in', Buffer.from('b'));
    await switched;
    log.append('out', Buffer.from('c'));
    await log.stopCapture();
    const read = (file: string): string[] =>
      readFileSync(file, 'utf8').trim().split('\n').map((line) => Buffer.from((JSON.parse(line) as { base64: string }).base64, 'base64').toString());
    assert.deepEqual(read(first), ['a']);
    assert.deepEqual(read(second), ['b', 'c']);
  });

  it('rejects startCapture with one sentence when the file cannot be created', async () => {
    const log = new TrafficLog();
    const file = path.join(dir, 'missing-folder', 'capture.jsonl');
    await assert.rejects(log.startCapture(file), (err: TcpError) => {
      assert.ok(err instanceof TcpError);
      assert.equal(err.code, 'CAPTURE_FAILED');
      assert.ok(err.message.includes(file) && err.message.includes('ENOENT'));
      return true;
    });
    assert.equal(log.capturing, false);
    assert.equal(existsSync(file), false);
  });

  it('surfaces a write failure through onDidCaptureError and stopCapture', async function () {
    // The Linux full device accepts open() and fails every write with ENOSPC.
    const fullDevice = '/dev/full';
    if (!existsSync(fullDevice)) this.skip();
    const log = new TrafficLog();
    const failures: TcpError[] = [];
    log.onDidCaptureError((err) => failures.push(err));
    await log.startCapture(fullDevice);
    log.append('in', bytes(100));
    const deadline = Date.now() + 5000;
    while (failures.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(failures.length, 1);
    assert.equal(failures[0].code, 'CAPTURE_FAILED');
    assert.match(failures[0].message, /ENOSPC/);
    assert.equal(log.capturing, false);
    await assert.rejects(log.stopCapture(), (err: TcpError) => err === failures[0]);
    assert.equal(log.totals.bytesIn, 100, 'the log itself keeps counting');
  });
});
