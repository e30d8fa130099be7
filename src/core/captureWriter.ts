// Capture files written off the connection's thread. Encoding every chunk as a base64 JSON Lines
// record and handing it to the file system cost the extension host's thread more than reading the
// socket did, so a flood with capture on ran at a third of the wire's speed. Here the connection's
// thread only copies each record's bytes into a batch (a memory copy, far cheaper than base64) and
// transfers the batch to one shared worker thread, which encodes and writes. The worker acknowledges
// every batch once it is on disk; bytes not yet acknowledged count as "behind", which is what the
// owning connection's backpressure (stop reading, stop sending) keys on, so memory stays bounded
// whatever the disk's speed. The file format is unchanged: one JSON object per line,
// `{"seq":1,"time":…,"dir":"in","base64":"…"}` with `"continued":true` on later slices of a send.
import { Worker } from 'node:worker_threads';
import type { TrafficRecord } from './trafficLog';

/**
 * The worker, as plain JavaScript evaluated by `new Worker(…, { eval: true })`: one source that works
 * unchanged in the bundled extension, the CLI, the benchmarks and the TypeScript tests (a worker file
 * would need its own build entry and a TypeScript loader in tests). A batch is encoded as soon as it
 * arrives, so encoding overlaps the previous batch's write; per file a queue keeps open, writes and
 * close in order, written with the asynchronous fs calls, so a file that blocks (a FIFO nobody reads)
 * holds up only its own queue. Every message gets exactly one reply.
 */
const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const files = new Map();
function describe(err) {
  return { code: err && typeof err.code === 'string' ? err.code : undefined, message: String((err && err.message) || err) };
}
function writeAll(fd, buffer, offset, callback) {
  if (offset >= buffer.length) return callback(null);
  fs.write(fd, buffer, offset, buffer.length - offset, null, (err, written) => {
    if (err) return callback(err);
    writeAll(fd, buffer, offset + written, callback);
  });
}
// Output buffers are reused once written: this thread allocates little else, so its garbage collector
// runs rarely, and buffers left to it would pile up outside the heap (tens of MiB) before it did.
const spare = [];
function outputBuffer(size) {
  for (let i = 0; i < spare.length; i++) if (spare[i].length >= size) return spare.splice(i, 1)[0];
  return Buffer.allocUnsafeSlow(Math.max(size, 1536 * 1024));
}
function release(buffer) {
  if (spare.length < 6) spare.push(buffer);
}
// A record's line: its head and tail are at most 100 characters (two numbers, a direction, a flag).
function encode(meta, data) {
  const count = meta.length / 4;
  let size = 0;
  for (let i = 0; i < count; i++) size += 100 + 4 * Math.ceil(meta[i * 4 + 3] / 3);
  const out = outputBuffer(size);
  const source = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  let from = 0;
  for (let i = 0; i < count; i++) {
    const flags = meta[i * 4 + 2];
    const length = meta[i * 4 + 3];
    const head = '{"seq":' + meta[i * 4] + ',"time":' + meta[i * 4 + 1] + ',"dir":"' + (flags & 1 ? 'out' : 'in') + '"' + (flags & 2 ? ',"continued":true' : '') + ',"base64":"';
    at += out.write(head, at, 'latin1');
    at += out.write(source.toString('base64', from, from + length), at, 'latin1');
    at += out.write('"}\n', at, 'latin1');
    from += length;
  }
  return { out, length: at };
}
function pump(id, file) {
  if (file.busy) return;
  const job = file.queue.shift();
  if (!job) return;
  file.busy = true;
  const next = (reply) => {
    parentPort.postMessage(reply);
    file.busy = false;
    pump(id, file);
  };
  if (job.op === 'open') {
    fs.open(job.path, 'w', (err, fd) => {
      if (err) {
        file.failed = true;
        return next({ id, op: 'opened', error: describe(err) });
      }
      file.fd = fd;
      next({ id, op: 'opened' });
    });
  } else if (job.op === 'write') {
    // The input buffer goes back with the acknowledgement, for the next batch.
    const done = (error) => {
      if (job.encoded) release(job.encoded.out);
      if (error) file.failed = true;
      parentPort.postMessage(error ? { id, op: 'written', bytes: job.bytes, data: job.data, error } : { id, op: 'written', bytes: job.bytes, data: job.data }, [job.data.buffer]);
      file.busy = false;
      pump(id, file);
    };
    if (job.error) return done(job.error);
    if (file.failed || file.fd === undefined || !job.encoded) return done(undefined);
    writeAll(file.fd, job.encoded.out.subarray(0, job.encoded.length), 0, (err) => done(err ? describe(err) : undefined));
  } else {
    files.delete(id);
    if (file.fd === undefined) return next({ id, op: 'closed' });
    fs.close(file.fd, (err) => next(err ? { id, op: 'closed', error: describe(err) } : { id, op: 'closed' }));
  }
}
parentPort.on('message', (job) => {
  let file = files.get(job.id);
  if (!file) {
    file = { queue: [], busy: false, failed: false, fd: undefined };
    files.set(job.id, file);
  }
  if (job.op === 'write') {
    // Encoded as it arrives, while the previous batch is still being written by the thread pool.
    const bytes = job.data.byteLength;
    let queued;
    try {
      queued = { op: 'write', bytes, data: job.data, encoded: file.failed ? undefined : encode(job.meta, job.data) };
    } catch (err) {
      queued = { op: 'write', bytes, data: job.data, error: describe(err) };
    }
    file.queue.push(queued);
  } else file.queue.push(job);
  pump(job.id, file);
});
`;

/** What the worker says about a failed open, write or close. */
interface WorkerError {
  code?: string;
  message: string;
}

type WorkerReply =
  | { id: number; op: 'opened'; error?: WorkerError }
  | { id: number; op: 'written'; bytes: number; data: Uint8Array; error?: WorkerError }
  | { id: number; op: 'closed'; error?: WorkerError };

/**
 * Batches are sent once this many bytes are waiting (or at the end of the event loop turn, whichever
 * comes first): large enough that a flood of 64 KiB chunks costs a message per several chunks.
 */
const BATCH_BYTES = 512 * 1024;
/** The size of the batch buffers that go back and forth between the threads (a batch is at most BATCH_BYTES plus one record). */
const BATCH_BUFFER_BYTES = 640 * 1024;
/** Batch buffers kept for reuse (more are only ever needed while the disk is behind, and then reading stops). */
const MAX_SPARE_BUFFERS = 8;

/** A failure reported by the worker, as an Error with the file system's code (ENOENT, ENOSPC, …). */
function toError(error: WorkerError): Error {
  return Object.assign(new Error(error.message), error.code ? { code: error.code } : {});
}

/**
 * The one worker thread every capture file shares. It keeps the process alive only while a reply is
 * outstanding (so an idle capture never holds a CLI run or a test process open), and a new one is
 * started if it ever dies.
 */
class CaptureThread {
  private worker: Worker | undefined;
  private readonly files = new Map<number, CaptureFile>();
  private nextId = 1;
  private outstanding = 0;
  /**
   * Batch buffers the worker handed back, for the next batches: without reuse every batch would be
   * a new allocation outside the heap, freed only when the worker's collector gets round to it.
   */
  private readonly spare: ArrayBuffer[] = [];

  /**
   * A buffer for a batch of `bytes`: a reused one for a batch that fills at least a quarter of one, an
   * exact one otherwise (a small batch must not pin a whole batch buffer while it waits for the disk).
   */
  batchBuffer(bytes: number): Uint8Array {
    if (bytes <= BATCH_BUFFER_BYTES && bytes * 4 >= BATCH_BUFFER_BYTES) return new Uint8Array(this.spare.pop() ?? new ArrayBuffer(BATCH_BUFFER_BYTES), 0, bytes);
    return new Uint8Array(bytes);
  }

  register(file: CaptureFile): number {
    const id = this.nextId++;
    this.files.set(id, file);
    return id;
  }

  warm(): void {
    this.worker ??= this.start();
  }

  post(message: { id: number; op: string; path?: string; meta?: Float64Array; data?: Uint8Array }, transfer?: ArrayBuffer[]): void {
    const worker = (this.worker ??= this.start());
    if (this.outstanding++ === 0) worker.ref();
    worker.postMessage(message, transfer);
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      if (--this.outstanding === 0) worker.unref();
      if (reply.op === 'written' && reply.data.buffer.byteLength === BATCH_BUFFER_BYTES && this.spare.length < MAX_SPARE_BUFFERS) this.spare.push(reply.data.buffer as ArrayBuffer);
      const file = this.files.get(reply.id);
      if (reply.op === 'closed') this.files.delete(reply.id);
      file?.handle(reply);
    });
    const lost = (err: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.outstanding = 0;
      const files = [...this.files.values()];
      this.files.clear();
      for (const file of files) file.lost(err);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the capture thread stopped (exit code ${code})`)));
    return worker;
  }
}

let thread: CaptureThread | undefined;

/**
 * Starts the capture thread ahead of the first capture file (starting it takes tens of milliseconds,
 * during which a new client's first records would wait in memory): for a listener that will capture
 * every client it accepts.
 */
export function prepareCaptureThread(): void {
  (thread ??= new CaptureThread()).warm();
}

export interface CaptureFileEvents {
  /** More than the high-water mark is waiting for the disk (true), or it caught up to the low-water mark (false). */
  behind(behind: boolean): void;
  /** A write or close failed after the file was open; nothing more is written. */
  failed(err: Error): void;
}

/** One capture file being written by the capture thread. */
export class CaptureFile {
  private readonly id: number;
  private readonly thread: CaptureThread;
  private meta: number[] = [];
  private chunks: Uint8Array[] = [];
  private batchBytes = 0;
  private flushQueued = false;
  /**
   * Memory the file holds until the disk has its bytes: the records batched here plus the whole
   * buffers of the batches with the worker (a reused buffer counts in full, not only its bytes).
   */
  private unwritten = 0;
  private isBehind = false;
  private isOpen = false;
  private failure: Error | undefined;
  private closing: { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } | undefined;
  private openWaiter!: { resolve: () => void; reject: (err: Error) => void };
  /** Resolves once the file is open; rejects with the file system's error if it cannot be. */
  readonly opened: Promise<void>;

  constructor(
    readonly filePath: string,
    private readonly highWaterBytes: number,
    private readonly events: CaptureFileEvents,
  ) {
    this.opened = new Promise<void>((resolve, reject) => (this.openWaiter = { resolve, reject }));
    // Rejections are reported through startCapture's await; this keeps an unobserved one quiet.
    this.opened.catch(() => undefined);
    this.thread = thread ??= new CaptureThread();
    this.id = this.thread.register(this);
    this.thread.post({ id: this.id, op: 'open', path: filePath });
  }

  get behind(): boolean {
    return this.isBehind;
  }

  /** Queue a record for the file. Its bytes are read (copied) at the end of this event loop turn at the latest. */
  append(record: TrafficRecord): void {
    if (this.failure || this.closing) return;
    const length = record.bytes.byteLength;
    this.meta.push(record.seq, record.time, (record.dir === 'out' ? 1 : 0) | (record.continued ? 2 : 0), length);
    this.chunks.push(record.bytes);
    this.batchBytes += length;
    this.unwritten += length;
    if (this.batchBytes >= BATCH_BYTES) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
    if (!this.isBehind && this.unwritten > this.highWaterBytes) this.setBehind(true);
  }

  /** Flush what is queued, close the file; rejects with the first failure, if any. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing.promise;
    this.flush();
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    this.closing = { promise, resolve, reject };
    if (this.failure && !this.isOpen) reject(this.failure);
    else this.thread.post({ id: this.id, op: 'close' });
    this.setBehind(false);
    return promise;
  }

  /** A reply from the worker. */
  handle(reply: WorkerReply): void {
    if (reply.op === 'opened') {
      if (reply.error) {
        this.failure = toError(reply.error);
        this.dropBatch();
        this.setBehind(false);
        this.openWaiter.reject(this.failure);
        this.closing?.reject(this.failure);
        return;
      }
      this.isOpen = true;
      this.openWaiter.resolve();
      return;
    }
    if (reply.op === 'written') {
      this.unwritten -= reply.data.buffer.byteLength;
      if (reply.error) this.fail(toError(reply.error));
      else if (this.isBehind && this.unwritten <= this.highWaterBytes / 4) this.setBehind(false);
      return;
    }
    if (reply.error) this.fail(toError(reply.error));
    if (this.failure) this.closing?.reject(this.failure);
    else this.closing?.resolve();
  }

  /** The worker died: this file cannot be finished. */
  lost(err: Error): void {
    this.failure ??= err;
    if (!this.isOpen) this.openWaiter.reject(this.failure);
    this.dropBatch();
    this.setBehind(false);
    this.closing?.reject(this.failure);
    if (this.isOpen) this.events.failed(this.failure);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.dropBatch();
    this.setBehind(false);
    this.events.failed(err);
  }

  private dropBatch(): void {
    this.meta = [];
    this.chunks = [];
    this.batchBytes = 0;
  }

  /** One copy of the batched bytes into a buffer the worker takes over (transferred, not copied again). */
  private flush(): void {
    if (this.meta.length === 0 || this.failure) return;
    const data = this.thread.batchBuffer(this.batchBytes);
    let at = 0;
    for (const chunk of this.chunks) {
      data.set(chunk, at);
      at += chunk.byteLength;
    }
    const meta = Float64Array.from(this.meta);
    this.unwritten += data.buffer.byteLength - this.batchBytes;
    this.dropBatch();
    this.thread.post({ id: this.id, op: 'write', meta, data }, [data.buffer as ArrayBuffer, meta.buffer]);
  }

  private setBehind(behind: boolean): void {
    if (behind === this.isBehind) return;
    this.isBehind = behind;
    this.events.behind(behind);
  }
}
