// Peak resident memory during a run, sampled on a timer (RSS includes buffers outside the JS heap).

export function collectGarbage(): void {
  // Exposed by `node --expose-gc`; without it the baseline is just noisier.
  (globalThis as { gc?: () => void }).gc?.();
}

export class MemorySampler {
  private readonly timer: NodeJS.Timeout;
  readonly baseline: number;
  private peak: number;

  constructor(intervalMs = 20) {
    collectGarbage();
    this.baseline = process.memoryUsage.rss();
    this.peak = this.baseline;
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
  }

  /** Stops sampling; growth of the peak over the baseline, in bytes. */
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return this.peak - this.baseline;
  }
}
