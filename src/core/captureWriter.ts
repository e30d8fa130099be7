// The file end of a capture: lines queued in memory and written to the disk in large gathered
// writes, one at a time, with hysteresis on the queue. A write stream reports room again only once
// its buffer is empty, so a connection paused at its high-water mark stayed paused until the disk
// had taken everything: reading and writing took turns instead of overlapping, and each turn
// toggled the connection's read hold (hundreds a flood, each an event for the tree and the panel).
// Here reading resumes when the queue is back under a low-water mark while the disk keeps writing.
import { open, type FileHandle } from 'node:fs/promises';

/** Queued bytes above which the writer reports that it is behind (the owner stops adding). */
export const CAPTURE_HIGH_WATER_BYTES = 4 * 1024 * 1024;
/** Queued bytes at or below which a writer that was behind reports it has caught up. */
export const CAPTURE_LOW_WATER_BYTES = 2 * 1024 * 1024;
/** At most this many buffers go into one gathered write (below every platform's IOV_MAX). */
const MAX_BUFFERS_PER_WRITE = 512;
/**
 * About this many bytes go into one gathered write: under the gap between the marks, so the queue
 * passes the low-water mark with bytes still waiting and the disk stays busy while reading resumes,
 * and large enough that the syscalls cost little (measured: 256 KiB writes were 10-15% slower).
 */
const MAX_BYTES_PER_WRITE = 1024 * 1024;

export interface CaptureWriterEvents {
  /** Whether the queue is over the high-water mark (true) or back at the low-water mark (false). */
  onBehind(behind: boolean): void;
  /** Writing failed (the first failure only); the writer writes nothing more. */
  onError(err: unknown): void;
}

export class CaptureWriter {
  /** Lines not yet taken for a write; a taken slot is emptied at once, so written lines are not kept alive. */
  private readonly queue: (Buffer | undefined)[] = [];
  private queueHead = 0;
  private queued = 0;
  private writing = false;
  private behind = false;
  private ending = false;
  private failed = false;
  private closing = false;
  /** Settles once the file is open; lines written before that wait in the queue, in order. */
  readonly ready: Promise<void>;
  private readonly handle: Promise<FileHandle>;
  private readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  /** Opens (creates or truncates) the file at once; `ready` rejects with the open error. */
  constructor(
    filePath: string,
    private readonly events: CaptureWriterEvents,
  ) {
    this.closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));
    this.handle = open(filePath, 'w');
    this.ready = this.handle.then(() => undefined);
    this.handle.catch(() => {
      // The opener hears of it through `ready`; the queue is dropped and nothing is written.
      this.failed = true;
      this.behind = false;
      this.dropQueue();
      this.resolveClosed();
    });
  }

  /** Whether the queue is over the high-water mark (see onBehind). */
  get isBehind(): boolean {
    return this.behind;
  }

  /** Bytes queued or being written that the file does not hold yet. */
  get queuedBytes(): number {
    return this.queued;
  }

  /** Queues bytes for the file, in order. Ignored after end() or a failure. */
  write(line: Buffer): void {
    if (this.ending || this.failed) return;
    this.queue.push(line);
    this.queued += line.byteLength;
    if (!this.behind && this.queued > CAPTURE_HIGH_WATER_BYTES) this.setBehind(true);
    if (!this.writing) void this.pump();
  }

  /** Writes what is queued, then closes the file; resolves once the descriptor is released. */
  end(): Promise<void> {
    if (!this.ending) {
      this.ending = true;
      if (!this.writing) void this.pump();
    }
    return this.closed;
  }

  private async pump(): Promise<void> {
    this.writing = true;
    let handle: FileHandle;
    try {
      handle = await this.handle;
    } catch {
      this.writing = false;
      return;
    }
    try {
      while (!this.failed && this.queueHead < this.queue.length) {
        const batch = this.takeBatch();
        let bytes = batch.reduce((sum, buffer) => sum + buffer.byteLength, 0);
        let pending = batch;
        // A pipe or a full disk may take part of a write; the rest goes again, in order.
        while (pending.length > 0) {
          const { bytesWritten } = await handle.writev(pending);
          bytes -= bytesWritten;
          this.queued -= bytesWritten;
          pending = bytes > 0 ? remainderAfter(pending, bytesWritten) : [];
        }
        if (this.behind && this.queued <= CAPTURE_LOW_WATER_BYTES) this.setBehind(false);
      }
    } catch (err) {
      this.fail(err);
    }
    this.writing = false;
    if ((this.ending || this.failed) && !this.closing) {
      this.closing = true;
      try {
        await handle.close();
      } catch (err) {
        this.fail(err);
      }
      this.resolveClosed();
    }
  }

  private takeBatch(): Buffer[] {
    const batch: Buffer[] = [];
    let bytes = 0;
    while (this.queueHead < this.queue.length && batch.length < MAX_BUFFERS_PER_WRITE && bytes < MAX_BYTES_PER_WRITE) {
      const buffer = this.queue[this.queueHead] as Buffer;
      this.queue[this.queueHead++] = undefined;
      batch.push(buffer);
      bytes += buffer.byteLength;
    }
    // Drop what was taken once the array is consumed (or mostly), so the queue does not grow forever.
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead > 1024) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    return batch;
  }

  private dropQueue(): void {
    this.queue.length = 0;
    this.queueHead = 0;
    this.queued = 0;
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.dropQueue();
    if (this.behind) this.setBehind(false);
    this.events.onError(err);
  }

  private setBehind(behind: boolean): void {
    this.behind = behind;
    this.events.onBehind(behind);
  }
}

/** The buffers that remain once `written` bytes of `buffers` are on the disk. */
function remainderAfter(buffers: Buffer[], written: number): Buffer[] {
  let index = 0;
  let left = written;
  while (index < buffers.length && left >= buffers[index].byteLength) {
    left -= buffers[index].byteLength;
    index++;
  }
  const rest = buffers.slice(index);
  if (rest.length > 0 && left > 0) rest[0] = rest[0].subarray(left);
  return rest;
}
