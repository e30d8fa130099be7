// Coalesces bursts of change notifications: a flood of traffic updates becomes at most one run per
// interval. The first change runs at once (the tree reacts instantly to a new connection); changes
// during the cool-down collapse into a single trailing run, so the final state is never missed.

export interface ThrottleTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: ThrottleTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class Throttle {
  private coolDown: unknown;
  private pending = false;
  private disposed = false;

  constructor(
    private readonly run: () => void,
    readonly intervalMs: number,
    private readonly timers: ThrottleTimers = realTimers,
  ) {}

  /** Requests a run: now if idle, otherwise once at the end of the current interval. */
  trigger(): void {
    if (this.disposed) return;
    if (this.coolDown !== undefined) {
      this.pending = true;
      return;
    }
    this.run();
    this.coolDown = this.timers.setTimeout(() => this.endCoolDown(), this.intervalMs);
  }

  private endCoolDown(): void {
    this.coolDown = undefined;
    if (this.pending) {
      this.pending = false;
      this.trigger();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.pending = false;
    if (this.coolDown !== undefined) this.timers.clearTimeout(this.coolDown);
    this.coolDown = undefined;
  }
}
