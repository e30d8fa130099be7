// Turns a flood of "something changed" into at most one flush per interval, so a panel's webview
// gets ~30 updates a second however many `data` events arrive. The first change after a quiet spell
// flushes at once; changes during the interval collapse into one flush at its end.
// No `vscode` import: the flush is a plain callback, which keeps this testable in mocha.

export interface FlushTimers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: FlushTimers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class FlushScheduler {
  private timer: unknown;
  private lastFlush = -Infinity;
  /** The flush before the last one, for a flush that takes itself back (retryAt). */
  private flushBefore = -Infinity;
  private disposed = false;

  constructor(
    private readonly flush: () => void,
    private intervalMs: number,
    private readonly timers: FlushTimers = realTimers,
  ) {}

  /** Asks for a flush: now if the last one is an interval ago, otherwise at the end of the interval. */
  touch(): void {
    if (this.disposed || this.timer !== undefined) return;
    this.schedule(this.lastFlush + this.intervalMs - this.timers.now());
  }

  /**
   * From inside a flush that chose to send nothing yet: it does not count as one, and the next runs
   * at `time` (on the timers' clock) however many changes come first.
   */
  retryAt(time: number): void {
    if (this.disposed) return;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.lastFlush = this.flushBefore;
    this.schedule(time - this.timers.now());
  }

  /** Changes the minimum time between two flushes from the next one on. */
  setInterval(ms: number): void {
    this.intervalMs = ms;
  }

  private schedule(wait: number): void {
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      if (this.disposed) return;
      this.flushBefore = this.lastFlush;
      this.lastFlush = this.timers.now();
      this.flush();
    }, Math.max(0, wait));
  }

  dispose(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.disposed = true;
  }
}
