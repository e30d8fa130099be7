// Runs one block of a `*.tcp` file on real sockets: open the target, then perform its SEND and
// EXPECT lines in the order written, comparing expectations against the received stream. Every
// payload is prepared before a socket opens (a bad payload never half-runs a block), and every
// socket the run opened is closed when it ends, whatever the outcome.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Disposable, Event } from '../events';
import { REGEX_TIME_BUDGET_MS, runBoundedRegex } from '../rules';
import type { CloseReason, ConnectionState, Endpoint } from '../types';
import type { LineEnding, TextEncodingName } from '../../shared/payloadTypes';
import type { Preset } from '../../shared/preset';
import { decodeText } from '../../shared/textStreamDecoder';
import { viewBytes, type BytesView } from './bytesView';
import type { ExpectKind, ExpectStep, Framing, PayloadBody, TcpBlock, TcpFile, TcpRange } from './model';
import { addressProblem, regexProblem, splitAddress } from './parser';
import { parsePayload } from '../../shared/parsePayload';
import { resolveVariables, type VariableScope } from './variables';

/** The part of the engine's Connection a run needs; `Connection` satisfies it structurally. */
export interface RunnerConnection {
  readonly id: string;
  readonly state: ConnectionState;
  readonly onDidReceive: Event<Uint8Array>;
  /** `halfClosed` here means the peer sent FIN: a run never ends its own side. */
  readonly onDidChangeState: Event<ConnectionState>;
  readonly onDidClose: Event<{ reason: CloseReason }>;
  send(bytes: Uint8Array): Promise<void>;
  destroy(): void;
  /** Resolves once the socket is fully closed, so a run ends with no open handle. */
  waitForClose?(): Promise<unknown>;
}

/** The part of the engine's Listener a run needs; `Listener` satisfies it structurally. */
export interface RunnerListener {
  readonly id: string;
  readonly address: Endpoint | undefined;
  readonly onDidAccept: Event<RunnerConnection>;
  stop(options?: { closeConnections?: boolean }): Promise<void>;
}

/** Where sockets come from: the bare engine (CLI, tests) or the host's Registry (so runs show in the tree). */
export interface SocketFactory {
  connect(options: { host: string; port: number; timeoutMs?: number; signal?: AbortSignal }): Promise<RunnerConnection>;
  listen(options: { host?: string; port: number }): Promise<RunnerListener>;
}

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_NOTHING_WINDOW_MS = 500;

export interface RunOptions {
  sockets: SocketFactory;
  /** Variables of the selected environment (see `environmentVariables`). */
  environment?: Readonly<Record<string, string>>;
  presets?: readonly Preset[];
  /** Directory of the `.tcp` file: `SEND file ./x` is relative to it. */
  baseDir?: string;
  /** Used when a block sets no TIMEOUT. */
  defaultTimeoutMs?: number;
  signal?: AbortSignal;
  /** Told the bound address of a LISTEN block, so a caller can point a peer at port 0. */
  onListening?: (address: Endpoint) => void;
  /** Pins `$timestamp`, `$randomInt` and `$uuid` in tests. */
  dynamic?: Pick<VariableScope, 'now' | 'random' | 'uuid'>;
}

export type PreparedStep =
  | { kind: 'send'; bytes: Uint8Array; range: TcpRange }
  | {
      kind: 'expect';
      match: ExpectKind;
      expected?: Uint8Array;
      regex?: RegExp;
      timeoutMs: number;
      windowMs: number;
      step: ExpectStep;
    };

export interface PreparedBlock {
  kind: 'connect' | 'listen';
  host: string;
  port: number;
  encoding: TextEncodingName;
  lineEnding: LineEnding;
  framing: Framing;
  timeoutMs: number;
  steps: PreparedStep[];
}

export type Preparation = { ok: true; block: PreparedBlock } | { ok: false; error: string; range?: TcpRange };

export type StepStatus = 'passed' | 'failed' | 'skipped';

export interface ExpectationResult {
  /** The EXPECT line, e.g. `EXPECT text hello`. */
  title: string;
  match: ExpectKind;
  range: TcpRange;
  status: StepStatus;
  /** One sentence on failure. */
  message?: string;
  expected?: BytesView;
  /** What the expectation was compared with (on failure: everything not yet consumed). */
  received?: BytesView;
  durationMs: number;
}

export interface BlockResult {
  blockIndex: number;
  name: string;
  /** `error`: the block could not run (bad variable, refused connection, cancelled). */
  status: 'passed' | 'failed' | 'error';
  error?: string;
  expectations: ExpectationResult[];
  /** Every byte received during the run, for hovers and the CLI. */
  received: BytesView;
  bytesSent: number;
  durationMs: number;
  connectionId?: string;
}

function fail(error: string, range?: TcpRange): Preparation {
  return { ok: false, error, range };
}

function frame(bytes: Uint8Array, framing: Framing): Uint8Array {
  if (framing !== 'u16be' && framing !== 'u32be') return bytes;
  const size = framing === 'u16be' ? 2 : 4;
  const out = new Uint8Array(size + bytes.length);
  const view = new DataView(out.buffer);
  if (size === 2) view.setUint16(0, bytes.length);
  else view.setUint32(0, bytes.length);
  out.set(bytes, size);
  return out;
}

function bodyText(body: PayloadBody, scope: VariableScope): { ok: true; value: string } | { ok: false; error: string } {
  return resolveVariables(body.text, scope);
}

/**
 * Resolve a block's target, variables, payloads and files into bytes. No socket is touched, so
 * the CodeLens "Send" and the runner share it and both refuse a broken block up front.
 */
export async function prepareBlock(file: TcpFile, block: TcpBlock, options: Omit<RunOptions, 'sockets'>): Promise<Preparation> {
  if (block.hasErrors) {
    const first = file.diagnostics.find((d) => d.severity === 'error' && d.line >= block.startLine && d.line <= block.endLine);
    if (!first) return fail(`Block '${block.name}' has errors: fix them first.`);
    return fail(/\bline \d+/.test(first.message) ? first.message : `Line ${first.line + 1}: ${first.message}`, first);
  }
  const scope: VariableScope = { file: file.variables, environment: options.environment ?? {}, ...options.dynamic };
  const target = block.target;
  if (!target) return fail(`Block '${block.name}' has no target: add CONNECT host:port, LISTEN host:port or PRESET name.`);

  let kind: 'connect' | 'listen';
  let host: string;
  let port: number;
  let encoding: TextEncodingName = 'utf-8';
  let lineEnding: LineEnding = 'none';
  if (target.kind === 'preset') {
    const preset = options.presets?.find((p) => p.name === target.name);
    if (!preset) return fail(`Unknown preset '${target.name}': define it in tcpLab.presets.`, target.range);
    kind = preset.kind === 'listener' ? 'listen' : 'connect';
    host = preset.host;
    port = preset.port;
    encoding = preset.encoding ?? encoding;
    lineEnding = preset.lineEnding ?? lineEnding;
  } else {
    kind = target.kind;
    const resolved = resolveVariables(target.address, scope);
    if (!resolved.ok) return fail(resolved.error, target.range);
    const problem = addressProblem(resolved.value, kind === 'listen');
    const parsed = splitAddress(resolved.value);
    if (problem || !parsed) return fail(problem ?? `Invalid address '${resolved.value}'.`, target.range);
    host = parsed.host;
    port = parsed.port;
  }
  encoding = block.options.encoding ?? encoding;
  lineEnding = block.options.lineEnding ?? lineEnding;
  const framing = block.options.framing ?? 'none';
  const timeoutMs = block.options.timeoutMs ?? options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;

  const steps: PreparedStep[] = [];
  for (const step of block.steps) {
    if (step.kind === 'sendFile') {
      const resolved = resolveVariables(step.path, scope);
      if (!resolved.ok) return fail(resolved.error, step.range);
      const fullPath = path.resolve(options.baseDir ?? process.cwd(), resolved.value);
      try {
        steps.push({ kind: 'send', bytes: frame(new Uint8Array(await readFile(fullPath)), framing), range: step.range });
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'error';
        return fail(`Cannot read '${resolved.value}' (${code}): check the path, which is relative to the .tcp file.`, step.range);
      }
      continue;
    }
    if (step.kind === 'send') {
      const text = bodyText(step.body, scope);
      if (!text.ok) return fail(text.error, step.range);
      const parsed = parsePayload(text.value, { format: step.format, encoding, lineEnding: step.format === 'text' ? lineEnding : 'none' });
      if (!parsed.ok) return fail(`Line ${step.range.line + 1}: ${parsed.error.message}`, step.range);
      steps.push({ kind: 'send', bytes: frame(parsed.bytes, framing), range: step.range });
      continue;
    }
    const prepared: PreparedStep = {
      kind: 'expect',
      match: step.match,
      timeoutMs: step.timeoutMs ?? timeoutMs,
      windowMs: step.windowMs ?? DEFAULT_NOTHING_WINDOW_MS,
      step,
    };
    if (step.match === 'text' || step.match === 'hex') {
      const text = bodyText(step.body, scope);
      if (!text.ok) return fail(text.error, step.range);
      const parsed = parsePayload(text.value, { format: step.match, encoding, lineEnding: 'none' });
      if (!parsed.ok) return fail(`Line ${step.range.line + 1}: ${parsed.error.message}`, step.range);
      prepared.expected = parsed.bytes;
    } else if (step.match === 'regex') {
      const text = bodyText(step.body, scope);
      if (!text.ok) return fail(text.error, step.range);
      const problem = regexProblem(text.value, step.flags);
      if (problem) return fail(problem, step.range);
      prepared.regex = new RegExp(text.value, step.flags.replace(/[gy]/g, ''));
    }
    steps.push(prepared);
  }
  return { ok: true, block: { kind, host, port, encoding, lineEnding, framing, timeoutMs, steps } };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The next framed unit at the head of the buffer, or undefined if it has not fully arrived. */
function nextFrame(buffer: Uint8Array, framing: Framing): { unit: Uint8Array; consumed: number } | undefined {
  if (framing === 'line') {
    const lf = buffer.indexOf(0x0a);
    if (lf < 0) return undefined;
    const end = lf > 0 && buffer[lf - 1] === 0x0d ? lf - 1 : lf;
    return { unit: buffer.subarray(0, end), consumed: lf + 1 };
  }
  const size = framing === 'u16be' ? 2 : 4;
  if (buffer.length < size) return undefined;
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const length = size === 2 ? view.getUint16(0) : view.getUint32(0);
  if (buffer.length < size + length) return undefined;
  return { unit: buffer.subarray(size, size + length), consumed: size + length };
}

/** Bytes received and not yet consumed by an expectation, plus whether the peer has closed. */
class ReceiveStream implements Disposable {
  buffer = new Uint8Array(0);
  all = new Uint8Array(0);
  closed = false;
  private wake: (() => void) | undefined;
  private readonly subscriptions: Disposable[];

  constructor(connection: RunnerConnection) {
    this.closed = connection.state === 'closed' || connection.state === 'halfClosed';
    this.subscriptions = [
      connection.onDidReceive((bytes) => {
        this.buffer = concat(this.buffer, bytes);
        this.all = concat(this.all, bytes);
        this.wake?.();
      }),
      connection.onDidChangeState((state) => {
        if (state === 'halfClosed' || state === 'closed') {
          this.closed = true;
          this.wake?.();
        }
      }),
      connection.onDidClose(() => {
        this.closed = true;
        this.wake?.();
      }),
    ];
  }

  consume(count: number): void {
    this.buffer = this.buffer.slice(count);
  }

  /**
   * Call `check` now and after every arrival or close until it returns a verdict, or until the
   * deadline, when `onTimeout` decides.
   */
  wait<T>(check: () => T | undefined, timeoutMs: number, onTimeout: () => T, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new Error('The run was cancelled.'));
    return new Promise<T>((resolve, reject) => {
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.wake = undefined;
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const onAbort = (): void => finish(() => reject(new Error('The run was cancelled.')));
      const poll = (): void => {
        const verdict = check();
        if (verdict !== undefined) finish(() => resolve(verdict));
      };
      const timer = setTimeout(() => finish(() => resolve(onTimeout())), timeoutMs);
      signal?.addEventListener('abort', onAbort);
      this.wake = poll;
      poll();
    });
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}

type Verdict = { status: 'passed' | 'failed'; message?: string; received: Uint8Array };

function regexTooSlow(regex: RegExp, received: Uint8Array): Verdict {
  return {
    status: 'failed',
    message: `The regular expression /${regex.source}/${regex.flags} took longer than ${REGEX_TIME_BUDGET_MS} ms on what was received; simplify it (avoid nested repetition such as (a+)+).`,
    received,
  };
}

function describeExpectation(step: ExpectStep): string {
  const within = step.timeoutMs !== undefined ? `within ${step.timeoutMs}ms ` : '';
  const body = step.match === 'regex' && step.flags ? `/${step.body.text}/${step.flags}` : step.body.text.replace(/\n/g, '⏎');
  return `EXPECT ${within}${step.match}${body ? ' ' + body : ''}${step.windowMs !== undefined ? ' ' + step.windowMs + 'ms' : ''}`;
}

/** Check one expectation against the stream; resolves with its verdict. */
function expect(stream: ReceiveStream, step: Extract<PreparedStep, { kind: 'expect' }>, prepared: PreparedBlock, signal?: AbortSignal): Promise<Verdict> {
  const framing = prepared.framing;
  const timedOut = (what: string) => (): Verdict => ({
    status: 'failed',
    message: `Timed out after ${step.timeoutMs} ms waiting for ${what}.`,
    received: stream.buffer,
  });
  const closedEarly = (what: string): Verdict => ({
    status: 'failed',
    message: `The peer closed the connection before ${what} arrived.`,
    received: stream.buffer,
  });

  switch (step.match) {
    case 'close':
      return stream.wait<Verdict>(() => (stream.closed ? { status: 'passed', received: stream.buffer } : undefined), step.timeoutMs, timedOut('the peer to close'), signal);

    case 'nothing':
      return stream.wait<Verdict>(
        () =>
          stream.buffer.length > 0
            ? { status: 'failed', message: `Expected nothing for ${step.windowMs} ms but received ${stream.buffer.length} bytes.`, received: stream.buffer }
            : undefined,
        step.windowMs,
        () => ({ status: 'passed', received: stream.buffer }),
        signal,
      );

    case 'regex': {
      const regex = step.regex as RegExp;
      const what = `a match for /${regex.source}/${regex.flags}`;
      return stream.wait<Verdict>(
        () => {
          if (framing !== 'none') {
            const next = nextFrame(stream.buffer, framing);
            if (!next) return stream.closed ? closedEarly(what) : undefined;
            stream.consume(next.consumed);
            // Bounded like a mock server's rules: a .tcp file from a repository must not hang the editor.
            const bounded = runBoundedRegex(regex, decodeText(next.unit, prepared.encoding));
            if (bounded.timedOut) return regexTooSlow(regex, next.unit);
            return bounded.match
              ? { status: 'passed', received: next.unit }
              : { status: 'failed', message: `The received ${framing === 'line' ? 'line' : 'frame'} does not match /${regex.source}/${regex.flags}.`, received: next.unit };
          }
          const text = decodeText(stream.buffer, prepared.encoding);
          const bounded = runBoundedRegex(regex, text);
          if (bounded.timedOut) return regexTooSlow(regex, stream.buffer.slice());
          const match = bounded.match;
          if (!match) return stream.closed ? closedEarly(what) : undefined;
          const consumed = byteLengthOfPrefix(stream.buffer, match.index + match[0].length, prepared.encoding);
          const received = stream.buffer.slice(0, consumed);
          stream.consume(consumed);
          return { status: 'passed', received };
        },
        step.timeoutMs,
        timedOut(what),
        signal,
      );
    }

    default: {
      const expected = step.expected as Uint8Array;
      const what = `${expected.length} expected bytes`;
      return stream.wait<Verdict>(
        () => {
          if (framing !== 'none') {
            const next = nextFrame(stream.buffer, framing);
            if (!next) return stream.closed ? closedEarly(what) : undefined;
            stream.consume(next.consumed);
            return sameBytes(next.unit, expected)
              ? { status: 'passed', received: next.unit }
              : { status: 'failed', message: `Expected bytes and the received ${framing === 'line' ? 'line' : 'frame'} differ.`, received: next.unit };
          }
          const have = stream.buffer;
          const common = Math.min(have.length, expected.length);
          const at = have.subarray(0, common).findIndex((b, i) => b !== expected[i]);
          if (at >= 0) return { status: 'failed', message: `Expected and received bytes differ at offset ${at}.`, received: have };
          if (have.length < expected.length) return stream.closed ? closedEarly(what) : undefined;
          const received = have.slice(0, expected.length);
          stream.consume(expected.length);
          return { status: 'passed', received };
        },
        step.timeoutMs,
        timedOut(what),
        signal,
      );
    }
  }
}

/** How many leading bytes decode to the first `chars` characters (multi-byte encodings vary). */
function byteLengthOfPrefix(bytes: Uint8Array, chars: number, encoding: TextEncodingName): number {
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (decodeText(bytes.subarray(0, mid), encoding).length >= chars) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function acceptFirst(listener: RunnerListener, timeoutMs: number, signal?: AbortSignal): Promise<RunnerConnection> {
  return new Promise<RunnerConnection>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      subscription.dispose();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      cleanup();
      reject(new Error('The run was cancelled.'));
    };
    const subscription = listener.onDidAccept((connection) => {
      cleanup();
      resolve(connection);
    });
    const timer = setTimeout(() => {
      cleanup();
      const where = listener.address ? `${listener.address.address}:${listener.address.port}` : 'the listener';
      reject(new Error(`No peer connected to ${where} within ${timeoutMs} ms: start the client, or raise TIMEOUT.`));
    }, timeoutMs);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort);
  });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Run one block. Never rejects: every failure is a result. */
export async function runBlock(file: TcpFile, block: TcpBlock, options: RunOptions): Promise<BlockResult> {
  const started = performance.now();
  const expectSteps = block.steps.filter((s): s is ExpectStep => s.kind === 'expect');
  const result: BlockResult = {
    blockIndex: block.index,
    name: block.name,
    status: 'error',
    expectations: expectSteps.map((step) => ({ title: describeExpectation(step), match: step.match, range: step.range, status: 'skipped', durationMs: 0 })),
    received: viewBytes(new Uint8Array(0), 'utf-8'),
    bytesSent: 0,
    durationMs: 0,
  };
  const finish = (): BlockResult => {
    result.durationMs = Math.round(performance.now() - started);
    return result;
  };

  const preparation = await prepareBlock(file, block, options);
  if (!preparation.ok) {
    result.error = preparation.error;
    return finish();
  }
  const prepared = preparation.block;
  let listener: RunnerListener | undefined;
  let connection: RunnerConnection | undefined;
  let stream: ReceiveStream | undefined;
  try {
    if (prepared.kind === 'connect') {
      connection = await options.sockets.connect({ host: prepared.host, port: prepared.port, timeoutMs: prepared.timeoutMs, signal: options.signal });
    } else {
      listener = await options.sockets.listen({ host: prepared.host, port: prepared.port });
      const accepted = acceptFirst(listener, prepared.timeoutMs, options.signal);
      if (listener.address) options.onListening?.(listener.address);
      connection = await accepted;
    }
    // Subscribe before yielding to the event loop, so not one received byte is missed.
    stream = new ReceiveStream(connection);
    result.connectionId = connection.id;

    let expectIndex = 0;
    for (const step of prepared.steps) {
      if (step.kind === 'send') {
        await connection.send(step.bytes);
        result.bytesSent += step.bytes.length;
        continue;
      }
      const stepStarted = performance.now();
      const verdict = await expect(stream, step, prepared, options.signal);
      const entry = result.expectations[expectIndex++];
      entry.status = verdict.status;
      entry.message = verdict.message;
      entry.durationMs = Math.round(performance.now() - stepStarted);
      if (step.expected) entry.expected = viewBytes(step.expected, prepared.encoding);
      else if (step.regex) entry.expected = { text: `/${step.regex.source}/${step.regex.flags}`, hex: '', length: 0 };
      entry.received = viewBytes(verdict.received, prepared.encoding);
      if (verdict.status === 'failed') {
        // The stream position is unknown after a mismatch: later expectations would only echo it.
        result.status = 'failed';
        return finish();
      }
    }
    result.status = 'passed';
  } catch (err) {
    result.status = 'error';
    result.error = errorMessage(err);
  } finally {
    if (stream) result.received = viewBytes(stream.all, prepared.encoding);
    stream?.dispose();
    connection?.destroy();
    await connection?.waitForClose?.();
    await listener?.stop({ closeConnections: true }).catch(() => undefined);
  }
  return finish();
}

/** Run every block of a file in order (blocks share nothing but variables). */
export async function runFile(file: TcpFile, options: RunOptions, filter?: (block: TcpBlock) => boolean): Promise<BlockResult[]> {
  const results: BlockResult[] = [];
  for (const block of file.blocks) {
    if (filter && !filter(block)) continue;
    if (options.signal?.aborted) break;
    results.push(await runBlock(file, block, options));
  }
  return results;
}
