// The file end of a capture: bytes copied into blocks in memory and written to the disk a block a
// call, one write at a time, with hysteresis on the queue. A write stream reports room again only once
// its buffer is empty, so a connection paused at its high-water mark stayed paused until the disk
// had taken everything: reading and writing took turns instead of overlapping, and each turn
// toggled the connection's read hold (hundreds a flood, each an event for the tree and the panel).
// Here reading resumes when the queue is back under a low-water mark while the disk keeps writing.
import { open, type FileHandle } from 'node:fs/promises';

/** Queued bytes above which the writer reports that it is behind (the owner stops adding). */
export const CAPTURE_HIGH_WATER_BYTES = 4 * 1024 * 1024;
/** Queued bytes at or below which a writer that was behind reports it has caught up. */
export const CAPTURE_LOW_WATER_BYTES = 2 * 1024 * 1024;
/**
 * Queued bytes are copied into blocks of this size, each written with one call: under the gap between
 * the marks, so the queue passes the low-water mark with bytes still waiting and the disk stays busy
 * while reading resumes, and large enough that the syscalls cost little (measured: 256 KiB writes
 * were 10-15% slower). Blocks are reused once written, so a capture allocates nothing per record:
 * in the extension host, 32 MiB of new buffers start a full mark of its heap (see socketReads.ts).
 */
const BLOCK_BYTES = 1024 * 1024;
/** Written blocks kept for reuse: enough for the high-water mark, the block in flight and the one filling. */
const SPARE_BLOCKS = CAPTURE_HIGH_WATER_BYTES / BLOCK_BYTES + 2;
/**
 * Blocks a finished capture leaves for the next one, in the whole process. A listener capturing
 * every client starts a writer per client: each one's blocks, new, were 6 MiB of fresh buffers per
 * connection, and in the extension host new buffer memory is what starts full collections of its
 * heap (about one per 128 MiB flood, with the panel open; see socketReads.ts).
 */
const POOLED_BLOCKS = SPARE_BLOCKS + 2;
const blockPool: Buffer[] = [];

function takeBlock(): Buffer {
  return blockPool.pop() ?? Buffer.allocUnsafeSlow(BLOCK_BYTES);
}

/** What the writer takes: bytes, or text of one-byte characters (ASCII), copied straight into its blocks. */
export type CapturePiece = Uint8Array | string;

export interface CaptureWriterEvents {
  /** Whether the queue is over the high-water mark (true) or back at the low-water mark (false). */
  onBehind(behind: boolean): void;
  /** Writing failed (the first failure only); the writer writes nothing more. */
  onError(err: unknown): void;
}

export class CaptureWriter {
  /** Filled blocks waiting for the disk, oldest first (each a view of the bytes it holds). */
  private readonly sealed: Buffer[] = [];
  /** The block being filled, and how much of it is. */
  private filling: Buffer | undefined;
  private filled = 0;
  private readonly spare: Buffer[] = [];
  private queued = 0;
  private writing = false;
  private behind = false;
  private ending = false;
  private failed = false;
  private closing = false;
  /** Settles once the file is open; bytes written before that wait in the blocks, in order. */
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

  /**
   * Queues bytes for the file, in order: bytes, or text whose every character is one byte (ASCII or
   * latin1), copied straight into the blocks. They are copied before this returns, so the caller may
   * reuse them (a record's bytes in the log's store, a pooled header). Ignored after end() or a failure.
   */
  write(piece: CapturePiece): void {
    if (this.ending || this.failed) return;
    const length = typeof piece === 'string' ? piece.length : piece.byteLength;
    let at = 0;
    while (at < length) {
      this.filling ??= this.spare.pop() ?? takeBlock();
      const count = Math.min(length - at, BLOCK_BYTES - this.filled);
      const whole = at === 0 && count === length;
      if (typeof piece === 'string') this.filling.write(whole ? piece : piece.slice(at, at + count), this.filled, count, 'latin1');
      else this.filling.set(whole ? piece : piece.subarray(at, at + count), this.filled);
      this.filled += count;
      at += count;
      if (this.filled === BLOCK_BYTES) this.seal();
    }
    this.queued += length;
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

  private seal(): void {
    if (this.filling === undefined || this.filled === 0) return;
    this.sealed.push(this.filling.subarray(0, this.filled));
    this.filling = undefined;
    this.filled = 0;
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
      for (;;) {
        // An idle disk takes the block being filled as it is: a quiet connection's bytes reach the
        // file at once, and a busy one's pile up in full blocks while a write is in flight.
        if (this.sealed.length === 0) this.seal();
        const block = this.sealed.shift();
        if (this.failed || block === undefined) break;
        let pending = block;
        // A pipe or a full disk may take part of a write; the rest goes again, in order.
        while (pending.byteLength > 0) {
          const { bytesWritten } = await handle.write(pending);
          this.queued -= bytesWritten;
          pending = pending.subarray(bytesWritten);
        }
        if (this.spare.length < SPARE_BLOCKS && !this.failed) this.spare.push(Buffer.from(block.buffer, block.byteOffset, BLOCK_BYTES));
        if (this.behind && this.queued <= CAPTURE_LOW_WATER_BYTES) this.setBehind(false);
      }
    } catch (err) {
      this.fail(err);
    }
    this.writing = false;
    if ((this.ending || this.failed) && !this.closing) {
      this.closing = true;
      // Everything queued is written (or dropped): the blocks serve the next capture.
      this.releaseBlocks();
      try {
        await handle.close();
      } catch (err) {
        this.fail(err);
      }
      this.resolveClosed();
    }
  }

  private releaseBlocks(): void {
    const free = this.spare.splice(0);
    // A block being filled when the queue ran dry is empty (seal() leaves an empty one where it is).
    if (this.filling !== undefined) free.push(this.filling);
    this.filling = undefined;
    this.filled = 0;
    for (const block of free) if (blockPool.length < POOLED_BLOCKS) blockPool.push(block);
  }

  private dropQueue(): void {
    this.sealed.length = 0;
    this.filling = undefined;
    this.filled = 0;
    this.spare.length = 0;
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
