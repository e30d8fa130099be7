// Collects traffic for one panel and hands it over in batches, at most once per interval, so a
// flood of `data` events costs the webview ~30 messages a second instead of one per chunk.
// No `vscode` import: the flush target is a plain callback, which keeps this testable in mocha.

export interface BatchTimers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: BatchTimers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface PanelBatcherOptions<T> {
  /** Receives every pending item (possibly none, when only `touch` was called) and the count dropped since the last flush. */
  flush(items: T[], dropped: number): void;
  /** Minimum time between two flushes; 34 ms keeps us under 30 flushes per second. */
  intervalMs?: number;
  /** Size of one item, used to bound what waits while the webview cannot keep up. */
  sizeOf?(item: T): number;
  /** Above this many pending size units the oldest pending items are dropped (and counted). */
  maxPendingSize?: number;
  timers?: BatchTimers;
}

export class PanelBatcher<T> {
  private pending: T[] = [];
  private pendingSize = 0;
  private dropped = 0;
  private dirty = false;
  private timer: unknown;
  private lastFlush = -Infinity;
  private disposed = false;
  private intervalMs: number;
  private readonly maxPendingSize: number;
  private readonly timers: BatchTimers;

  constructor(private readonly options: PanelBatcherOptions<T>) {
    this.intervalMs = options.intervalMs ?? 34;
    this.maxPendingSize = options.maxPendingSize ?? Infinity;
    this.timers = options.timers ?? realTimers;
  }

  /** Queues one item for the next flush. */
  push(item: T): void {
    if (this.disposed) return;
    this.pending.push(item);
    this.pendingSize += this.options.sizeOf?.(item) ?? 1;
    this.trimPending();
    this.schedule();
  }

  /** Asks for a flush without an item, e.g. when only the counters changed. */
  touch(): void {
    if (this.disposed) return;
    this.dirty = true;
    this.schedule();
  }

  /** Drops everything waiting, e.g. when the log was cleared or the webview restarts. */
  discard(): void {
    this.pending = [];
    this.pendingSize = 0;
    this.dropped = 0;
  }

  /** Changes the minimum time between two flushes from the next one on. */
  setInterval(ms: number): void {
    this.intervalMs = ms;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Delivers what is pending right now, ignoring the rate limit. */
  flushNow(): void {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.disposed || (!this.dirty && this.pending.length === 0 && this.dropped === 0)) return;
    const items = this.pending;
    const dropped = this.dropped;
    this.pending = [];
    this.pendingSize = 0;
    this.dropped = 0;
    this.dirty = false;
    this.lastFlush = this.timers.now();
    this.options.flush(items, dropped);
  }

  dispose(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.disposed = true;
    this.pending = [];
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastFlush + this.intervalMs - this.timers.now());
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.flushNow();
    }, wait);
  }

  private trimPending(): void {
    if (this.pendingSize <= this.maxPendingSize) return;
    // Drop from the front: the newest bytes matter most to someone watching live, and the
    // full history stays in the connection's own log for saving.
    let cut = 0;
    while (cut < this.pending.length - 1 && this.pendingSize > this.maxPendingSize) {
      this.pendingSize -= this.options.sizeOf?.(this.pending[cut]) ?? 1;
      cut++;
    }
    this.pending.splice(0, cut);
    this.dropped += cut;
  }
}
