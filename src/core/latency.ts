// Request → response latency for a client connection: the time from a send to the first byte
// received after it, with p50/p95 over the session for the panel header.
import { Emitter, DisposableStore, type Disposable, type Event } from './events';

/** The part of a Connection the tracker listens to. */
export interface LatencySource {
  readonly onDidSend: Event<Uint8Array>;
  /** Fires per received chunk (its bytes are not needed, so plain sockets keep their cheap reads). */
  readonly onDidArrive: Event<number>;
}

export interface LatencyStats {
  /** Number of request → response samples so far. */
  count: number;
  /** Milliseconds, undefined until the first sample. */
  last?: number;
  min?: number;
  max?: number;
  p50?: number;
  p95?: number;
}

/** Samples kept for percentiles; older ones drop out so a long session cannot grow memory forever. */
export const MAX_LATENCY_SAMPLES = 100_000;

/**
 * One sample per answered request: it starts at the first send not yet answered and ends at the
 * next received byte. Sends made while waiting (pipelining) do not restart the clock, and later
 * chunks of the same response do not count again until something new is sent. The send time is
 * when the engine hands the last byte to the socket (Connection.onDidSend), so time spent queued
 * behind backpressure is not counted; the figure is the network plus the peer.
 */
export class LatencyTracker implements Disposable {
  private waitingSince: number | undefined;
  /** Samples in arrival order (a ring once full) and the same values sorted, for percentiles. */
  private readonly arrival: number[] = [];
  private arrivalHead = 0;
  private readonly sorted: number[] = [];
  private total = 0;
  private lastSample: number | undefined;
  private readonly store = new DisposableStore();
  private readonly updateEmitter = new Emitter<LatencyStats>();
  /** Fires after each new sample. */
  readonly onDidUpdate: Event<LatencyStats> = this.updateEmitter.event;

  constructor(
    source: LatencySource,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.store.add(this.updateEmitter);
    this.store.add(source.onDidSend(() => this.handleSend()));
    this.store.add(source.onDidArrive(() => this.handleReceive()));
  }

  stats(): LatencyStats {
    if (this.sorted.length === 0) return { count: this.total };
    return {
      count: this.total,
      last: this.lastSample,
      min: this.sorted[0],
      max: this.sorted[this.sorted.length - 1],
      p50: this.percentile(50),
      p95: this.percentile(95),
    };
  }

  /**
   * Replays what happened before the tracker existed (a panel opened after the exchange), from the
   * log's records and their epoch times, so an answer that came before the panel still counts.
   */
  seed(records: readonly { dir: 'in' | 'out'; time: number }[], now: number = Date.now()): void {
    let waitingAt: number | undefined;
    for (const record of records) {
      if (record.dir === 'out') waitingAt ??= record.time;
      else if (waitingAt !== undefined) {
        this.record(record.time - waitingAt);
        waitingAt = undefined;
      }
    }
    // A request still unanswered keeps waiting, on this tracker's own clock.
    if (waitingAt !== undefined) this.waitingSince = this.clock() - Math.max(0, now - waitingAt);
  }

  /** Forget every sample (e.g. the user pressed reset in the panel). */
  reset(): void {
    this.waitingSince = undefined;
    this.arrival.length = 0;
    this.arrivalHead = 0;
    this.sorted.length = 0;
    this.total = 0;
    this.lastSample = undefined;
  }

  dispose(): void {
    this.store.dispose();
  }

  /** Nearest-rank percentile: the smallest sample with at least p% of samples at or below it. */
  private percentile(p: number): number {
    const rank = Math.max(1, Math.ceil((p / 100) * this.sorted.length));
    return this.sorted[rank - 1];
  }

  private handleSend(): void {
    this.waitingSince ??= this.clock();
  }

  private handleReceive(): void {
    if (this.waitingSince === undefined) return;
    this.record(this.clock() - this.waitingSince);
    this.waitingSince = undefined;
  }

  private record(sample: number): void {
    this.total++;
    this.lastSample = sample;
    if (this.arrival.length < MAX_LATENCY_SAMPLES) {
      this.arrival.push(sample);
    } else {
      const evicted = this.arrival[this.arrivalHead];
      this.arrival[this.arrivalHead] = sample;
      this.arrivalHead = (this.arrivalHead + 1) % MAX_LATENCY_SAMPLES;
      this.sorted.splice(lowerBound(this.sorted, evicted), 1);
    }
    this.sorted.splice(lowerBound(this.sorted, sample), 0, sample);
    this.updateEmitter.fire(this.stats());
  }
}

function lowerBound(values: readonly number[], target: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
