// Fault injection on a connection's sends (split, coalesce, slow drip, half-close or reset afterwards)
// and a cancellable repeater. Every write actually made is reported as it happens, so the panel can
// show the real write pattern rather than the one that was asked for.
//
// What TCP guarantees: the peer receives the same bytes in the same order, nothing about boundaries.
// Separate writes with the connection's default noDelay and a pause between them normally arrive as
// separate reads, but the kernel or the peer may still merge them; the write records below are what
// we did, not what the peer is promised to observe.
import { planWrites, validateFaultOptions, validateRepeatOptions, type CheckedFaultOptions, type RepeatOptions } from '../shared/faultPlan';
import { TcpError } from './errors';
import { Emitter, type Disposable, type Event } from './events';

/** The part of a Connection that fault injection needs. */
export interface FaultTarget {
  readonly id: string;
  readonly writable: boolean;
  send(bytes: Uint8Array): Promise<void>;
  end(): void;
  reset(): void;
}

/** One write as it happened. */
export interface WriteRecord {
  /** 0-based position in this send's write sequence. */
  index: number;
  /** Offset of the first byte within everything this send wrote. */
  offset: number;
  bytes: Uint8Array;
  /** Milliseconds since the send began, taken when the write was handed to the kernel. */
  at: number;
}

export interface FaultSendResult {
  writes: WriteRecord[];
  totalBytes: number;
  /** What happened after the last write (none if the send was cancelled first). */
  after: 'none' | 'halfClose' | 'reset';
  cancelled: boolean;
}

export interface FaultSendHooks {
  /** Called after each write is handed to the kernel. */
  onWrite?: (write: WriteRecord) => void;
  /** Abort to stop between writes (a long drip); the result then has cancelled = true. */
  signal?: AbortSignal;
}

/** Resolves after `ms`, or false early when `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Sends `payloads` through `target` with the given faults. Options may be raw (from the panel) or
 * already checked. Rejects with a TcpError for invalid options, a target that cannot send, or a
 * write that fails; bytes written before a failure are in the error's `writes` property.
 */
export async function sendWithFaults(
  target: FaultTarget,
  payloads: Uint8Array | readonly Uint8Array[],
  options: unknown,
  hooks: FaultSendHooks = {},
): Promise<FaultSendResult> {
  const checked = isChecked(options) ? { ok: true as const, options } : validateFaultOptions(options);
  if (!checked.ok) throw new TcpError('INVALID_FAULT_OPTIONS', checked.error);
  const list = payloads instanceof Uint8Array ? [payloads] : payloads;
  const plan = planWrites(list, checked.options);
  if (!plan.ok) throw new TcpError('INVALID_FAULT_OPTIONS', plan.error);
  if (!target.writable) {
    throw new TcpError('NOT_WRITABLE', `Connection ${target.id} cannot send now (it is closed or half-closed); connect again, then send.`);
  }

  const started = performance.now();
  const writes: WriteRecord[] = [];
  let offset = 0;
  for (const planned of plan.writes) {
    if (!(await pause(planned.delayBeforeMs, hooks.signal))) {
      return { writes, totalBytes: offset, after: 'none', cancelled: true };
    }
    try {
      await target.send(planned.bytes);
    } catch (err) {
      const failure = err instanceof TcpError ? err : new TcpError('SEND_FAILED', `Sending on ${target.id} failed (${String(err)}); check the connection and send again.`);
      Object.assign(failure, { writes });
      throw failure;
    }
    const record: WriteRecord = { index: writes.length, offset, bytes: planned.bytes, at: performance.now() - started };
    writes.push(record);
    offset += planned.bytes.length;
    hooks.onWrite?.(record);
  }
  if (hooks.signal?.aborted) return { writes, totalBytes: offset, after: 'none', cancelled: true };
  if (checked.options.after === 'halfClose') target.end();
  if (checked.options.after === 'reset') target.reset();
  return { writes, totalBytes: offset, after: checked.options.after, cancelled: false };
}

function isChecked(options: unknown): options is CheckedFaultOptions {
  if (typeof options !== 'object' || options === null) return false;
  const o = options as Record<string, unknown>;
  return typeof o.coalesce === 'boolean' && typeof o.splitInto === 'number' && typeof o.splitDelayMs === 'number' && typeof o.after === 'string' && 'dripIntervalMs' in o;
}

export interface RepeatOutcome {
  reason: 'completed' | 'stopped' | 'failed';
  /** How many sends completed. */
  sent: number;
  error?: TcpError;
}

/**
 * Runs a send every `intervalMs`, `count` times or until stopped. The first send happens at once.
 * Sends never overlap: if one takes longer than the interval the next starts right after it, and
 * missed ticks are not made up in a burst. A failed send stops the repeater.
 */
export class Repeater implements Disposable {
  private readonly options: RepeatOptions;
  private completed = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private state: 'idle' | 'running' | 'finished' = 'idle';
  private inFlight = false;
  private stopRequested = false;
  private resolveDone!: (outcome: RepeatOutcome) => void;
  private readonly repeatEmitter = new Emitter<number>();
  private readonly stopEmitter = new Emitter<RepeatOutcome>();
  /** Fires with the number of completed sends after each one. */
  readonly onDidRepeat: Event<number> = this.repeatEmitter.event;
  readonly onDidStop: Event<RepeatOutcome> = this.stopEmitter.event;
  /** Settles once, when the repeater completes, is stopped, or fails. */
  readonly done: Promise<RepeatOutcome>;

  /** Throws a TcpError naming the field when the options are invalid. */
  constructor(
    private readonly action: (iteration: number) => Promise<unknown>,
    options: unknown,
  ) {
    const checked = validateRepeatOptions(options);
    if (!checked.ok) throw new TcpError('INVALID_REPEAT_OPTIONS', checked.error);
    this.options = checked.options;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get sent(): number {
    return this.completed;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  start(): this {
    if (this.state !== 'idle') return this;
    this.state = 'running';
    void this.tick(performance.now());
    return this;
  }

  /** Stops before the next send; a send already in progress finishes first and is counted. */
  stop(): void {
    if (this.state === 'finished') return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight) {
      this.stopRequested = true;
      return;
    }
    this.finish({ reason: 'stopped', sent: this.completed });
  }

  dispose(): void {
    this.stop();
    this.repeatEmitter.dispose();
    this.stopEmitter.dispose();
  }

  private async tick(due: number): Promise<void> {
    this.timer = undefined;
    if (this.state !== 'running') return;
    this.inFlight = true;
    try {
      await this.action(this.completed);
    } catch (err) {
      this.inFlight = false;
      const error = err instanceof TcpError ? err : new TcpError('SEND_FAILED', `A repeated send failed (${String(err)}); fix the connection and start again.`);
      this.finish({ reason: 'failed', sent: this.completed, error });
      return;
    }
    this.inFlight = false;
    this.completed++;
    this.repeatEmitter.fire(this.completed);
    if (this.stopRequested) {
      this.finish({ reason: 'stopped', sent: this.completed });
      return;
    }
    if (this.options.count !== undefined && this.completed >= this.options.count) {
      this.finish({ reason: 'completed', sent: this.completed });
      return;
    }
    const now = performance.now();
    const next = Math.max(due + this.options.intervalMs, now);
    this.timer = setTimeout(() => void this.tick(next), next - now);
  }

  private finish(outcome: RepeatOutcome): void {
    this.state = 'finished';
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.stopEmitter.fire(outcome);
    this.resolveDone(outcome);
  }
}
