// A quick-send sequence on the host: sends in order, expectations over what the recipients sent
// back since the sequence began (each one consumes through its match, as a `.tcp` EXPECT does), and
// delays. It runs here rather than in the webview so hiding the panel does not stop it halfway.
import type { Disposable } from '../../core/events';
import { runBoundedRegex } from '../../core/rules';
import type { TextEncodingName } from '../../shared/payloadTypes';
import type { SequenceWireStep } from '../../shared/quickSend';
import { decodeText } from '../../shared/textStreamDecoder';

export interface SequenceIo {
  /** Sends one step's bytes; resolves with the one sentence when it failed. */
  send(bytes: Uint8Array): Promise<string | undefined>;
  /** Every chunk the recipients send from now on. */
  onDidReceive(listener: (bytes: Uint8Array) => void): Disposable;
  encoding: TextEncodingName;
}

/** Received bytes a sequence holds for its expectations: a flooding peer cannot grow it further. */
export const SEQUENCE_RECEIVE_LIMIT = 4 * 1024 * 1024;

export interface SequenceOutcome {
  error?: string;
  detail?: string;
}

/** Runs the steps; `signal` stops it between or during steps (a stopped sequence says where it stopped). */
export async function runSequence(steps: readonly SequenceWireStep[], io: SequenceIo, signal: AbortSignal): Promise<SequenceOutcome> {
  let received = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  const subscription = io.onDidReceive((bytes) => {
    if (received.length < SEQUENCE_RECEIVE_LIMIT) received = Buffer.concat([received, bytes.subarray(0, SEQUENCE_RECEIVE_LIMIT - received.length)]);
    wake?.();
  });
  const stopped = (n: number) => ({ error: `Stopped at step ${n} of ${steps.length}.` });
  try {
    for (const [i, step] of steps.entries()) {
      const n = i + 1;
      if (signal.aborted) return stopped(n);
      if (step.kind === 'send') {
        const error = await io.send(new Uint8Array(Buffer.from(step.data, 'base64')));
        if (error) return { error: `Step ${n} of ${steps.length} (send) failed: ${error}` };
      } else if (step.kind === 'delay') {
        if (!(await pause(step.ms, signal))) return stopped(n);
      } else {
        const find = (): number | undefined => {
          if (step.match === 'bytes') {
            const needle = Buffer.from(step.data, 'base64');
            const at = received.indexOf(needle);
            return at < 0 ? undefined : at + needle.length;
          }
          const match = runBoundedRegex(new RegExp(step.pattern), decodeText(received, io.encoding)).match;
          // A regex is matched on text; what it matched, and everything before, is consumed.
          return match ? received.length : undefined;
        };
        const end = await waitFor(find, step.withinMs, signal, (wakeUp) => (wake = wakeUp));
        wake = undefined;
        if (end === 'stopped') return stopped(n);
        if (end === undefined) return { error: `Step ${n} of ${steps.length} (${step.label}) was not met within ${step.withinMs} ms.` };
        received = received.subarray(end);
      }
    }
    return { detail: `Sequence done: ${steps.length} step${steps.length === 1 ? '' : 's'}.` };
  } finally {
    subscription.dispose();
  }
}

function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Checks `find` now and on every arrival until it finds, the time is up, or the sequence stops. */
function waitFor(find: () => number | undefined, withinMs: number, signal: AbortSignal, onWake: (wake: () => void) => void): Promise<number | undefined | 'stopped'> {
  return new Promise((resolve) => {
    const finish = (value: number | undefined | 'stopped') => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      onWake(() => undefined);
      resolve(value);
    };
    const onAbort = () => finish('stopped');
    const timer = setTimeout(() => finish(undefined), withinMs);
    signal.addEventListener('abort', onAbort, { once: true });
    const check = () => {
      const end = find();
      if (end !== undefined) finish(end);
    };
    onWake(check);
    check();
  });
}
