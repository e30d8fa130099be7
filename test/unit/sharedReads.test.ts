// Plain sockets read into one reused buffer and the log copies each read into its store
// (socketReads.ts, receiveStore.ts): what a log retains must stay byte-exact however often the store
// goes round, what it lets go must only be what its limits (or the store's room) require, holds must
// still stop reading and deliver everything in order, and whoever keeps bytes longer gets copies.
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as fc from 'fast-check';
import type { CaptureEncoder } from '../../src/core/captureFormats';
import { Connection } from '../../src/core/connection';
import { Listener } from '../../src/core/listener';
import { TrafficLog, type TrafficRecord } from '../../src/core/trafficLog';
import { Cleanup, delay, rawClient, waitUntil } from './support/sockets';

/** The bytes of record number `seq` in the property: a pattern no other record has at that length. */
function patternOf(seq: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seq * 31 + i * 7) & 0xff;
  return out;
}

/** Byte equality whatever the view types (a store view is a Buffer, a pattern a Uint8Array). */
function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what = 'bytes'): void {
  const view = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.ok(view(actual).equals(view(expected)), `${what} differ`);
}

/**
 * What a socket does: asks the log where to read, reads `bytes` there (as much as the region takes)
 * and logs it. Returns how many bytes were read, or 0 when the log had no region (then it reads
 * into `scratch`, as the socket does, and the log keeps a copy).
 */
function readInto(log: TrafficLog, bytes: Uint8Array, scratch: Buffer): number {
  const region = log.receiveRegion();
  const target = region ?? scratch;
  const length = Math.min(bytes.byteLength, target.byteLength);
  target.set(bytes.subarray(0, length));
  log.appendReceived(Buffer.from(target.buffer, target.byteOffset, length));
  if (region === undefined) scratch.fill(0xee);
  return length;
}

describe('reads into the log store', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('keeps every retained received record byte-exact while the store goes round, whatever the sizes and limits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300_000 }),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.record({ dir: fc.constantFrom('in', 'in', 'in', 'copy', 'out'), length: fc.integer({ min: 1, max: 70_000 }) }), { minLength: 1, maxLength: 200 }),
        (maxBytes, maxRecords, steps) => {
          const log = new TrafficLog({ maxBytes, maxRecords });
          // The caller reuses one buffer for every read, as the socket does.
          const scratch = Buffer.alloc(64 * 1024);
          let bytesIn = 0;
          for (const step of steps) {
            const seq = log.lastSeq + 1;
            const bytes = patternOf(seq, step.length);
            if (step.dir === 'in') bytesIn += readInto(log, bytes, scratch);
            else if (step.dir === 'copy') {
              // A read handed to a receive listener: the region was read into, then a copy is logged.
              const region = log.receiveRegion();
              region?.fill(0xdd);
              log.appendReceived(Buffer.from(bytes));
              bytesIn += step.length;
            } else log.append('out', bytes);
            const records = log.records();
            // What is retained is the newest records, in order, within both limits.
            assert.ok(records.length <= maxRecords && log.retained.bytes <= maxBytes);
            records.forEach((record, i) => assert.equal(record.seq, log.lastSeq - records.length + 1 + i));
            for (const record of records) assertSameBytes(record.bytes, patternOf(record.seq, record.bytes.byteLength), `record #${record.seq}`);
          }
          assert.equal(log.totals.bytesIn, bytesIn);
          log.compact();
          for (const record of log.records()) assertSameBytes(record.bytes, patternOf(record.seq, record.bytes.byteLength), `compacted #${record.seq}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps a stream\'s well-filled store at close instead of copying it, and packs a sparse one; heldBytes counts what stays', () => {
    const scratch = Buffer.alloc(64 * 1024);
    const streamed = new TrafficLog({ maxBytes: 64 * 1024, maxRecords: 100_000 });
    for (let i = 0; i < 200; i++) readInto(streamed, patternOf(i + 1, 4096), scratch);
    const newest = streamed.records().at(-1) as TrafficRecord;
    const storeBuffer = newest.bytes.buffer;
    streamed.compact();
    assert.equal(newest.bytes.buffer, storeBuffer, 'the records stay where they were read');
    for (const record of streamed.records()) assertSameBytes(record.bytes, patternOf(record.seq, record.bytes.byteLength), `kept #${record.seq}`);
    const slack = streamed.heldBytes - streamed.retained.bytes;
    assert.ok(slack >= 0 && slack * 4 <= streamed.heldBytes, `${slack} of ${streamed.heldBytes} held bytes unused`);

    const sparse = new TrafficLog({ maxBytes: 64 * 1024 });
    // 16 KiB first (read elsewhere, as a new connection's are), then one small read into the store.
    readInto(sparse, patternOf(1, 16 * 1024), scratch);
    readInto(sparse, patternOf(2, 1000), scratch);
    const small = sparse.records().at(-1) as TrafficRecord;
    const sparseStore = small.bytes.buffer;
    sparse.compact();
    assert.notEqual(small.bytes.buffer, sparseStore, 'moved out of the mostly empty store');
    assertSameBytes(small.bytes, patternOf(2, 1000));
    assert.equal(sparse.heldBytes, sparse.retained.bytes);
  });

  it('lets go only what the limits need, not the sends between the reads', () => {
    const log = new TrafficLog({ maxBytes: 64 * 1024, maxRecords: 100_000 });
    const scratch = Buffer.alloc(64 * 1024);
    // A request/response conversation of 40 KiB in all: everything fits, so nothing may go.
    for (let i = 0; i < 20; i++) {
      log.append('out', new Uint8Array(1000));
      readInto(log, new Uint8Array(1000).fill(1), scratch);
    }
    assert.equal(log.retained.records, 40);
    // Far past the limit the store holds at least half of it: its room is reused, not lost.
    for (let i = 0; i < 1000; i++) readInto(log, new Uint8Array(700 + (i % 300)), scratch);
    assert.ok(log.retained.bytes >= 32 * 1024, `retained only ${log.retained.bytes} bytes`);
    assert.ok(log.retained.bytes <= 64 * 1024);
  });

  it('hands a copy to whoever keeps bytes the store will reuse, and the record itself once it is compacted', () => {
    const log = new TrafficLog({ maxBytes: 64 * 1024 });
    // A connection that has said little reads elsewhere, and the log keeps a copy.
    assert.equal(log.receiveRegion(), undefined);
    log.appendReceived(Buffer.alloc(16 * 1024));
    const region = log.receiveRegion() as Buffer;
    const length = region.write('held in the store');
    const record = log.appendReceived(region.subarray(0, length));
    assert.equal(record.bytes.buffer, region.buffer, 'kept in place');
    const stable = log.stableRecord(record);
    assert.notEqual(stable, record);
    assertSameBytes(stable.bytes, record.bytes);
    assert.notEqual(stable.bytes.buffer, record.bytes.buffer);
    // A send never enters the store.
    const sent = log.append('out', new Uint8Array([1, 2]));
    assert.equal(log.stableRecord(sent), sent);
    // A limit too small for a read region: reads go to scratch and the log keeps copies.
    const small = new TrafficLog({ maxBytes: 100 });
    small.appendReceived(Buffer.alloc(16 * 1024));
    assert.equal(small.receiveRegion(), undefined);
    const scratchRead = Buffer.from('scratch');
    const copied = small.appendReceived(scratchRead);
    scratchRead.fill(0);
    assert.equal(Buffer.from(copied.bytes).toString(), 'scratch');
    log.compact();
    const kept = log.records().at(-2) as TrafficRecord;
    assert.equal(log.stableRecord(kept), kept);
    assert.equal(Buffer.from(kept.bytes).toString(), 'held in the store');
  });

  it('captures the exact bytes of reads whose store room is reused while the file is written', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tcp-lab-store-'));
    cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
    // An encoder that hands out the record's own bytes (a view into the store), as pcapng does.
    const raw: CaptureEncoder = {
      start: () => [],
      record: (record) => [Buffer.from(record.bytes.buffer, record.bytes.byteOffset, record.bytes.byteLength)],
      end: () => [],
    };
    const log = new TrafficLog({ maxBytes: 16 * 1024 });
    const file = path.join(dir, 'raw.bin');
    await log.startCapture(file, raw);
    const expected: Buffer[] = [];
    const scratch = Buffer.alloc(64 * 1024);
    for (let i = 0; i < 1000; i++) {
      const bytes = Buffer.alloc(500, i & 0xff);
      const length = readInto(log, bytes, scratch);
      expected.push(bytes.subarray(0, length));
    }
    await log.stopCapture();
    assert.ok(readFileSync(file).equals(Buffer.concat(expected)));
  });

  for (const role of ['accepted', 'client'] as const) {
    it(`an ${role} plain connection logs a 16 MiB stream from a node:net peer exactly, in its store`, async () => {
      const payload = randomBytes(16 * 1024 * 1024);
      let connection: Connection;
      let peerSocket: Promise<Socket>;
      if (role === 'accepted') {
        const listener = await Listener.listen({ port: 0 });
        cleanup.add(() => listener.dispose());
        const accepted = new Promise<Connection>((resolve) => listener.onDidAccept(resolve));
        peerSocket = rawClient(cleanup, listener.address!.port);
        connection = await accepted;
      } else {
        const server = createServer();
        let resolveSocket: (socket: Socket) => void = () => undefined;
        peerSocket = new Promise((resolve) => (resolveSocket = resolve));
        server.on('connection', (socket) => resolveSocket(socket));
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        cleanup.add(() => new Promise<void>((resolve) => server.close(() => resolve())));
        connection = await Connection.connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
      }
      cleanup.add(() => connection.destroy());
      // Every read is hashed while it is valid (during the event), so nothing is kept here.
      const hash = createHash('sha256');
      const buffers = new Set<ArrayBufferLike>();
      connection.log.onDidAppend((record) => {
        hash.update(record.bytes);
        buffers.add(record.bytes.buffer);
      });
      const peer = await peerSocket;
      peer.end(payload);
      await waitUntil(() => connection.totals.bytesIn === payload.length, 'the whole stream', 20_000);
      assert.equal(hash.digest('hex'), createHash('sha256').update(payload).digest('hex'));
      // The reads were copied into a few store buffers (grown by doubling), not one buffer per read.
      assert.ok(buffers.size <= 16, `${buffers.size} buffers for ${connection.totals.messagesIn} reads`);
      const retained = Buffer.concat(connection.log.records().map((record) => record.bytes));
      assert.ok(retained.length > 0);
      assertSameBytes(retained, payload.subarray(payload.length - retained.length), 'the retained tail');
    });
  }

  it('a held accepted connection stops logging, keeps the peer FIN behind the held bytes and delivers both in order on release', async () => {
    const listener = await Listener.listen({ port: 0 });
    cleanup.add(() => listener.dispose());
    const accepted = new Promise<Connection>((resolve) => listener.onDidAccept(resolve));
    const peer = await rawClient(cleanup, listener.address!.port, '127.0.0.1', true);
    const connection = await accepted;
    cleanup.add(() => connection.destroy());
    const hold = connection.holdReading('test');
    const payload = randomBytes(3 * 1024 * 1024);
    peer.end(payload);
    await delay(300);
    assert.equal(connection.totals.bytesIn, 0);
    assert.equal(connection.state, 'open');
    hold.dispose();
    await waitUntil(() => connection.totals.bytesIn === payload.length && connection.state !== 'open', 'the held bytes, then the FIN', 10_000);
    // 3 MiB is within the log's 4 MiB: every byte is retained, in the order sent.
    assertSameBytes(Buffer.concat(connection.log.records().map((record) => record.bytes)), payload, 'the held stream');
    assert.ok(connection.remoteEnded);
  });
});
