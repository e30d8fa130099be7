// Runs one block of a `*.tcp` file on real sockets: open the target, then perform its SEND and
// EXPECT lines in the order written, comparing expectations against the received stream. Every
// payload is prepared before a socket opens (a bad payload never half-runs a block), and every
// socket the run opened is closed when it ends, whatever the outcome.
import { readFile } from 'node:fs/promises';
import type { Disposable, Event } from '../events';
import { REGEX_TIME_BUDGET_MS, runBoundedRegex } from '../rules';
import type { CloseReason, ConnectionState, Endpoint } from '../types';
import type { LineEnding, TextEncodingName } from '../../shared/payloadTypes';
import type { Preset } from '../../shared/preset';
import { decodeText } from '../../shared/textStreamDecoder';
import { VIEW_LIMIT, viewBytes, type BytesView } from './bytesView';
import { resolveSendFile, type FileRoot } from './fileRoot';
import type { ExpectKind, ExpectStep, PayloadBody, TcpBlock, TcpFile, TcpRange } from './model';
import { encodeFrame, FrameQueue, NO_TCP_FRAMING, presetTcpFraming, type ReceivedUnit, type TcpFraming } from './framing';
import { addressProblem, regexProblem, splitAddress } from './parser';
import { parsePayload } from '../../shared/parsePayload';
import { resolveVariables, type VariableScope } from './variables';
import { buildPayload } from '../../shared/payloadBytes';
import { formatEndpoint } from '../../shared/hostPort';
import { errorMessage } from '../../shared/errorMessage';
import type { TlsInfo, TlsOptions } from '../../shared/tls';
import type { TlsSetup } from '../tls';

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
  /** The TLS session, once there is one. */
  readonly tls?: TlsInfo;
  /** STARTTLS on this connection (see Connection.startTls). */
  startTls?(options: TlsSetup & { timeoutMs?: number }): Promise<TlsInfo>;
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
  connect(options: { host: string; port: number; timeoutMs?: number; signal?: AbortSignal; tls?: TlsSetup; keyLogFile?: string }): Promise<RunnerConnection>;
  listen(options: { host?: string; port: number; tls?: TlsSetup; keyLogFile?: string }): Promise<RunnerListener>;
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
  /** The folder `SEND file` must stay inside; without it, `baseDir` (see `fileRoot.ts`). */
  fileRoot?: FileRoot;
  /**
   * Asked once a block is prepared and before any socket opens (trust, exposure): resolves with a
   * one-sentence refusal to stop the block, or undefined to go on.
   */
  confirm?: (block: PreparedBlock) => Promise<string | undefined>;
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
  | { kind: 'startTls'; range: TcpRange }
  | {
      kind: 'expect';
      match: ExpectKind;
      expected?: Uint8Array;
      regex?: RegExp;
      /** `EXPECT tls`: the value the session property must have. */
      tlsValue?: string;
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
  framing: TcpFraming;
  timeoutMs: number;
  steps: PreparedStep[];
  /** Real paths of the files its `SEND file` lines (and TLS-CA/CERT/KEY) read, for a confirmation that names them. */
  files: string[];
  /** TLS for a tls:// target (used at connect or listen) and for STARTTLS; file paths already resolved. */
  tls?: TlsSetup;
  /** The target is tls://: speak TLS from the first byte. */
  tlsTarget: boolean;
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
  /** The TLS session the block ran over, if it had one (tls:// or STARTTLS). */
  tls?: TlsInfo;
  /** The most received bytes held at once (unread by an expectation): bounded by RECEIVE_LIMIT. */
  peakBufferedBytes: number;
}

function fail(error: string, range?: TcpRange): Preparation {
  return { ok: false, error, range };
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
  let framing: TcpFraming = NO_TCP_FRAMING;
  let tlsTarget = false;
  let presetTls: TlsOptions | undefined;
  if (target.kind === 'preset') {
    const preset = options.presets?.find((p) => p.name === target.name);
    if (!preset) return fail(`Unknown preset '${target.name}': define it in tcpLab.presets.`, target.range);
    kind = preset.kind === 'listener' ? 'listen' : 'connect';
    host = preset.host;
    port = preset.port;
    encoding = preset.encoding ?? encoding;
    lineEnding = preset.lineEnding ?? lineEnding;
    if (preset.tls) {
      tlsTarget = true;
      presetTls = preset.tls;
    }
    if (preset.framing !== undefined) {
      const checked = presetTcpFraming(preset.framing, preset.name);
      if (!checked.ok) return fail(`${checked.error} Fix the preset, or set FRAMING in the block.`, target.range);
      framing = checked.framing;
    }
  } else {
    kind = target.kind;
    const resolved = resolveVariables(target.address, scope);
    if (!resolved.ok) return fail(resolved.error, target.range);
    const problem = addressProblem(resolved.value, kind === 'listen');
    const parsed = splitAddress(resolved.value);
    if (problem || !parsed) return fail(problem ?? `Invalid address '${resolved.value}'.`, target.range);
    host = parsed.host;
    port = parsed.port;
    tlsTarget = parsed.tls;
  }
  encoding = block.options.encoding ?? encoding;
  lineEnding = block.options.lineEnding ?? lineEnding;
  framing = block.options.framing ?? framing;
  const timeoutMs = block.options.timeoutMs ?? options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;

  const steps: PreparedStep[] = [];
  const files: string[] = [];
  const baseDir = options.baseDir ?? process.cwd();
  const root = options.fileRoot ?? { dir: baseDir, allowOutside: false, howToAllow: 'run it with a root folder that contains the file' };
  let tls: TlsSetup | undefined;
  const needsTls = tlsTarget || block.steps.some((step) => step.kind === 'startTls');
  if (block.options.tls && !needsTls) {
    return fail(`Block '${block.name}' sets TLS-* options but neither connects to a tls:// address nor has STARTTLS: add one, or remove the TLS lines.`);
  }
  if (needsTls) {
    // A preset's paths are relative to the workspace (the root folder); the block's to the .tcp file.
    const fromPreset = presetTls ? await resolveTlsFiles(presetTls, root.dir, root, scope, files) : undefined;
    if (fromPreset && !fromPreset.ok) return fail(fromPreset.error, target.range);
    const fromBlock = await resolveTlsFiles(block.options.tls ?? {}, baseDir, root, scope, files);
    const resolvedTls = fromBlock.ok && fromPreset?.ok ? { ok: true as const, tls: { ...fromPreset.tls, ...definedOnly(fromBlock.tls) } } : fromBlock;
    if (!resolvedTls.ok) return fail(resolvedTls.error, target.range);
    tls = resolvedTls.tls;
  }
  for (const step of block.steps) {
    if (step.kind === 'startTls') {
      if (tlsTarget) return fail(`Line ${step.range.line + 1}: STARTTLS upgrades a plain connection, but this block already speaks TLS (tls://); remove STARTTLS or use a plain address.`, step.range);
      steps.push({ kind: 'startTls', range: step.range });
      continue;
    }
    if (step.kind === 'sendFile') {
      const resolved = resolveVariables(step.path, scope);
      if (!resolved.ok) return fail(resolved.error, step.range);
      const located = await resolveSendFile(resolved.value, baseDir, root);
      if (!located.ok) return fail(located.error, step.range);
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(located.path));
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'error';
        return fail(`Cannot read '${resolved.value}' (${code}): check the path, which is relative to the .tcp file.`, step.range);
      }
      const framed = encodeFrame(bytes, framing);
      if (!framed.ok) return fail(`Line ${step.range.line + 1}: ${framed.error}`, step.range);
      steps.push({ kind: 'send', bytes: framed.bytes, range: step.range });
      if (!files.includes(located.path)) files.push(located.path);
      continue;
    }
    if (step.kind === 'send') {
      const text = bodyText(step.body, scope);
      if (!text.ok) return fail(text.error, step.range);
      // The checksum covers the payload and precedes its line ending; a length-prefix frame wraps both.
      const parsed = buildPayload({ format: step.format, data: text.value, checksum: step.checksum }, { encoding, lineEnding: step.format === 'text' ? lineEnding : 'none' });
      if (!parsed.ok) return fail(`Line ${step.range.line + 1}: ${parsed.error}`, step.range);
      const framed = encodeFrame(parsed.bytes, framing);
      if (!framed.ok) return fail(`Line ${step.range.line + 1}: ${framed.error}`, step.range);
      steps.push({ kind: 'send', bytes: framed.bytes, range: step.range });
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
    } else if (step.match === 'tls') {
      const text = bodyText(step.body, scope);
      if (!text.ok) return fail(text.error, step.range);
      if (!tls) return fail(`Line ${step.range.line + 1}: EXPECT tls needs a TLS session: connect to a tls:// address or add STARTTLS before it.`, step.range);
      prepared.tlsValue = text.value.trim();
    } else if (step.match === 'regex') {
      const text = bodyText(step.body, scope);
      if (!text.ok) return fail(text.error, step.range);
      const problem = regexProblem(text.value, step.flags);
      if (problem) return fail(problem, step.range);
      prepared.regex = new RegExp(text.value, step.flags.replace(/[gy]/g, ''));
    }
    steps.push(prepared);
  }
  return { ok: true, block: { kind, host, port, encoding, lineEnding, framing, timeoutMs, steps, files, tls, tlsTarget } };
}

/**
 * TLS-CA, TLS-CERT and TLS-KEY files go through the same rule as SEND file (inside the folder the
 * run may read, unless allowed), with variables substituted; the result holds real paths.
 */
async function resolveTlsFiles(
  options: TlsOptions,
  baseDir: string,
  root: FileRoot,
  scope: VariableScope,
  files: string[],
): Promise<{ ok: true; tls: TlsSetup } | { ok: false; error: string }> {
  const resolveOne = async (requested: string, directive: string): Promise<{ ok: true; path: string } | { ok: false; error: string }> => {
    const substituted = resolveVariables(requested, scope);
    if (!substituted.ok) return substituted;
    const located = await resolveSendFile(substituted.value, baseDir, root, directive);
    if (located.ok && !files.includes(located.path)) files.push(located.path);
    return located;
  };
  const tls: TlsSetup = { ...options, baseDir };
  if ((options.cert === undefined) !== (options.key === undefined)) {
    return { ok: false, error: options.cert === undefined ? 'TLS-KEY needs the certificate it belongs to: add TLS-CERT.' : 'TLS-CERT needs its private key: add TLS-KEY.' };
  }
  for (const [key, directive] of [['cert', 'TLS-CERT'], ['key', 'TLS-KEY']] as const) {
    const file = options[key];
    if (file === undefined) continue;
    const located = await resolveOne(file, directive);
    if (!located.ok) return located;
    tls[key] = located.path;
  }
  if (options.ca) {
    const cas: string[] = [];
    for (const file of options.ca) {
      const located = await resolveOne(file, 'TLS-CA');
      if (!located.ok) return located;
      cas.push(located.path);
    }
    tls.ca = cas;
  }
  return { ok: true, tls };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** `EXPECT tls <field> <value>` against the session: one sentence when it differs. */
function checkTls(connection: RunnerConnection, step: Extract<PreparedStep, { kind: 'expect' }>): Verdict {
  const info = connection.tls;
  const none = new Uint8Array(0);
  if (!info) return { status: 'failed', message: 'There is no TLS session to check: connect to a tls:// address or add STARTTLS first.', received: none };
  const field = step.step.tlsField ?? 'version';
  const actual =
    field === 'alpn' ? (info.alpn ?? '(none)')
    : field === 'version' ? info.version
    : field === 'cipher' ? info.cipher
    : field === 'verified' ? String(info.verified)
    : (info.peerChain[0] ? [info.peerChain[0].subject, ...info.peerChain[0].subjectAltNames].join(', ') : '(no certificate)');
  const expected = step.tlsValue ?? '';
  const passed =
    field === 'peer-name'
      ? info.peerChain[0] !== undefined &&
        (info.peerChain[0].subjectAltNames.some((name) => name.replace(/^[^:]+:/, '').toLowerCase() === expected.toLowerCase()) ||
          new RegExp(`(^|, )CN=${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(,|$)`, 'i').test(info.peerChain[0].subject))
      : actual.toLowerCase() === expected.toLowerCase();
  const received = new TextEncoder().encode(actual);
  return passed
    ? { status: 'passed', received }
    : { status: 'failed', message: `The TLS ${field} is ${actual}, not ${expected}${field === 'verified' ? ` (${info.verification})` : ''}.`, received };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** The first index in [from, to) where `a` and `b` differ, or -1; compared natively, then searched only when they differ. */
function firstDifference(a: Uint8Array, b: Uint8Array, from: number, to: number): number {
  if (from >= to || sameBytes(a.subarray(from, to), b.subarray(from, to))) return -1;
  for (let i = from; i < to; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Unread bytes a run holds at most, so a peer flooding the editor cannot grow its memory without bound. */
export const RECEIVE_LIMIT = 4 * 1024 * 1024;

const NO_BYTES = new Uint8Array(0);

/** Unread received bytes, in order: appended as they arrive, consumed from the front. */
interface UnreadBytes {
  readonly length: number;
  append(bytes: Uint8Array): void;
  consume(count: number): void;
  /** A copy of the first `limit` unread bytes (or fewer, if fewer are unread). */
  copyStart(limit: number): Uint8Array;
}

/**
 * Without FRAMING, expectations compare against all unread bytes at once, so they are kept in one
 * store. Unread bytes are store[head, tail): consuming moves `head`, so reading is linear, not quadratic.
 */
class ContiguousBytes implements UnreadBytes {
  private store = new Uint8Array(64 * 1024);
  private head = 0;
  private tail = 0;

  get length(): number {
    return this.tail - this.head;
  }

  /** The unread bytes, without a copy: valid until the next arrival. */
  get view(): Uint8Array {
    return this.store.subarray(this.head, this.tail);
  }

  append(bytes: Uint8Array): void {
    if (this.tail + bytes.length > this.store.length) {
      const unread = this.tail - this.head;
      const needed = unread + bytes.length;
      if (needed <= this.store.length / 2) {
        this.store.copyWithin(0, this.head, this.tail);
      } else {
        let size = this.store.length;
        while (size < needed * 2) size *= 2;
        const grown = new Uint8Array(Math.min(size, RECEIVE_LIMIT * 2));
        grown.set(this.store.subarray(this.head, this.tail));
        this.store = grown;
      }
      this.head = 0;
      this.tail = unread;
    }
    this.store.set(bytes, this.tail);
    this.tail += bytes.length;
  }

  consume(count: number): void {
    this.head += count;
    if (this.head >= this.tail) {
      // The store is kept at the size it grew to: shrinking it after each expectation would make the
      // next one regrow it. It is bounded (2 × RECEIVE_LIMIT) and freed with the run.
      this.head = 0;
      this.tail = 0;
    }
  }

  copyStart(limit: number): Uint8Array {
    return this.store.slice(this.head, Math.min(this.tail, this.head + limit));
  }
}

/**
 * With FRAMING, expectations compare whole frames, which the framer assembles in buffers of their
 * own; the unread bytes are only counted and shown when an expectation fails. So the received chunks
 * are kept as they are, by reference, and never copied: the engine hands every listener the same
 * chunk and never writes to it again (its traffic log keeps it too).
 */
class ChunkList implements UnreadBytes {
  private chunks: Uint8Array[] = [];
  /** chunks[0, first) are consumed; `skip` bytes of chunks[first] are too. */
  private first = 0;
  private skip = 0;
  length = 0;

  append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  consume(count: number): void {
    this.length -= count;
    let left = count + this.skip;
    while (this.first < this.chunks.length && left >= this.chunks[this.first].length) {
      left -= this.chunks[this.first].length;
      // Let go of a consumed chunk at once: held on, it would outlive young-generation collections.
      this.chunks[this.first++] = NO_BYTES;
    }
    this.skip = left;
    // Forget consumed chunks now and then, so a long run does not keep every chunk's reference.
    if (this.first > 64 && this.first * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }

  copyStart(limit: number): Uint8Array {
    const out = new Uint8Array(Math.min(limit, this.length));
    let at = 0;
    for (let i = this.first, from = this.skip; at < out.length; i++, from = 0) {
      const part = this.chunks[i].subarray(from, from + out.length - at);
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

/** Bytes received and not yet consumed by an expectation, plus whether the peer has closed. */
class ReceiveStream implements Disposable {
  private readonly unread: UnreadBytes;
  /** The first bytes of the whole run and how many arrived in all: the report shows no more. */
  private readonly seen = { first: new Uint8Array(VIEW_LIMIT), length: 0 };
  /** Bytes dropped because RECEIVE_LIMIT unread bytes were already held; the waiting expectation fails. */
  overflowed = 0;
  /** EXPECT close: what arrives is consumed at once, keeping only its start for the report. */
  private discard: { first: Uint8Array; length: number } | undefined;
  peakBuffered = 0;
  closed = false;
  private wake: (() => void) | undefined;
  private readonly subscriptions: Disposable[];
  /** With FRAMING: the shared framer, fed every stored byte once, as it arrives. */
  private readonly frames: FrameQueue | undefined;
  /** Bytes stored since the run began, and the count at the framer's last reset: frame offsets count from there. */
  private stored = 0;
  private frameBase = 0;
  /** The frame the current expectation took, until it is released. */
  private taken: ReceivedUnit | undefined;

  /** `unread`: bytes that arrived before the stream existed and still count (an expectation on an open connection). */
  constructor(connection: RunnerConnection, framing: TcpFraming, unread?: Uint8Array) {
    this.frames = framing.framing.mode === 'none' ? undefined : new FrameQueue(framing);
    this.unread = this.frames ? new ChunkList() : new ContiguousBytes();
    if (unread && unread.length > 0) this.append(unread);
    this.closed = connection.state === 'closed' || connection.state === 'halfClosed';
    this.subscriptions = [
      connection.onDidReceive((bytes) => {
        this.append(bytes);
        this.wake?.();
      }),
      connection.onDidChangeState((state) => {
        if (state === 'halfClosed' || state === 'closed') this.markClosed();
      }),
      connection.onDidClose(() => this.markClosed()),
    ];
    if (this.closed) this.frames?.end();
  }

  private markClosed(): void {
    if (!this.closed) this.frames?.end();
    this.closed = true;
    this.wake?.();
  }

  /** With FRAMING: the next frame (its bytes consumed from the stream) or framing error, if one is complete. */
  nextUnit(): ReceivedUnit | undefined {
    const unit = this.frames?.take();
    if (unit?.kind === 'frame') this.taken = unit;
    // A frame that failed its checksum is an error unit with an end: the stream moves past it too.
    if (unit?.end !== undefined) {
      const headOffset = this.stored - this.unread.length;
      this.consume(Math.max(0, this.frameBase + unit.end - headOffset));
    }
    return unit;
  }

  /** Bytes stored and then consumed by expectations (what EXPECT close discards is not counted). */
  get consumedBytes(): number {
    return this.stored - this.unread.length;
  }

  /** The expectation that took the last frame is finished with it (its verdict is rendered): its memory may hold a later frame. */
  releaseFrame(): void {
    if (this.taken) this.frames?.recycle(this.taken);
    this.taken = undefined;
  }

  /** Without FRAMING: the unread bytes, without a copy (valid until the next arrival). */
  get buffer(): Uint8Array {
    if (!(this.unread instanceof ContiguousBytes)) throw new Error('A framed stream is read frame by frame.');
    return this.unread.view;
  }

  /** How many bytes are unread. */
  get unreadLength(): number {
    return this.unread.length;
  }

  /** The unread bytes as a failure shows them: a copy of their start (the view shows no more) and their count. */
  unreadForReport(): { received: Uint8Array; receivedLength: number } {
    return { received: this.unread.copyStart(VIEW_LIMIT), receivedLength: this.unread.length };
  }

  /** Everything received in the run, as far as the report shows it. */
  get all(): { bytes: Uint8Array; length: number } {
    return { bytes: this.seen.first.subarray(0, Math.min(this.seen.length, VIEW_LIMIT)), length: this.seen.length };
  }

  private append(bytes: Uint8Array): void {
    this.keepStart(this.seen, bytes);
    if (this.discard) {
      this.keepStart(this.discard, bytes);
      return;
    }
    const room = RECEIVE_LIMIT - this.unread.length;
    if (bytes.length > room) {
      this.overflowed += bytes.length - room;
      bytes = bytes.subarray(0, room);
    }
    this.unread.append(bytes);
    this.stored += bytes.length;
    this.frames?.push(bytes);
    this.peakBuffered = Math.max(this.peakBuffered, this.unread.length);
  }

  /** Count `bytes` into `into`, copying them while its first VIEW_LIMIT bytes are not filled yet. */
  private keepStart(into: { first: Uint8Array; length: number }, bytes: Uint8Array): void {
    const kept = Math.min(into.length, VIEW_LIMIT);
    if (kept < VIEW_LIMIT) into.first.set(bytes.subarray(0, VIEW_LIMIT - kept), kept);
    into.length += bytes.length;
  }

  consume(count: number): void {
    this.unread.consume(count);
  }

  /** From now on consume what arrives (EXPECT close): unread bytes and later ones only count. */
  startDiscarding(): void {
    this.discard = { first: new Uint8Array(VIEW_LIMIT), length: this.unread.length };
    this.discard.first.set(this.unread.copyStart(VIEW_LIMIT));
    this.consume(this.unread.length);
    this.frames?.reset();
    this.frameBase = this.stored;
  }

  /** What was consumed since `startDiscarding`, as far as a report shows it. */
  stopDiscarding(): { bytes: Uint8Array; length: number } {
    const discard = this.discard ?? { first: new Uint8Array(0), length: 0 };
    this.discard = undefined;
    return { bytes: discard.first.slice(0, Math.min(discard.length, VIEW_LIMIT)), length: discard.length };
  }

  /**
   * Call `check` now and after every arrival or close until it returns a verdict, or until the
   * deadline, when `onTimeout` decides.
   */
  wait<T>(check: () => T | undefined, timeoutMs: number, onTimeout: () => T, signal?: AbortSignal, onOverflow?: () => T): Promise<T> {
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
        const verdict = check() ?? (this.overflowed > 0 && onOverflow ? onOverflow() : undefined);
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

type Verdict = {
  status: 'passed' | 'failed';
  message?: string;
  received: Uint8Array;
  /** When `received` is only the start of what was compared (EXPECT close consumes a flood). */
  receivedLength?: number;
};

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

type Expectation = Pick<Extract<PreparedStep, { kind: 'expect' }>, 'match' | 'expected' | 'regex' | 'timeoutMs' | 'windowMs'>;

/** Check one expectation against the stream; resolves with its verdict. */
function expect(stream: ReceiveStream, step: Expectation, prepared: Pick<PreparedBlock, 'framing' | 'encoding'>, signal?: AbortSignal): Promise<Verdict> {
  const framed = prepared.framing.framing.mode !== 'none';
  const unitName = prepared.framing.stripTrailingCr ? 'line' : 'frame';
  // An over-long or malformed frame (or a stream that ended inside one) fails the expectation waiting for it.
  const framingFailed = (message: string): Verdict => ({ status: 'failed', message, ...stream.unreadForReport() });
  const timedOut = (what: string) => (): Verdict => ({
    status: 'failed',
    message: `Timed out after ${step.timeoutMs} ms waiting for ${what}.`,
    ...stream.unreadForReport(),
  });
  const closedEarly = (what: string): Verdict => ({
    status: 'failed',
    message: `The peer closed the connection before ${what} arrived.`,
    ...stream.unreadForReport(),
  });
  const overflow = (what: string) => (): Verdict => ({
    status: 'failed',
    message: `More than ${RECEIVE_LIMIT / (1024 * 1024)} MiB arrived without ${what}: a run keeps at most that much unread, so it stopped comparing.`,
    ...stream.unreadForReport(),
  });

  // Framed: the next whole frame is judged; none yet keeps waiting, a close or a framing error fails.
  const judgeNextFrame = (what: string, judge: (frame: Uint8Array) => Verdict): Verdict | undefined => {
    const next = stream.nextUnit();
    if (!next) return stream.closed ? closedEarly(what) : undefined;
    if (next.kind === 'error') return framingFailed(next.message);
    return judge(next.bytes);
  };

  switch (step.match) {
    case 'close': {
      // Whatever arrives before the close is consumed as it comes: nothing after the close can read it,
      // and holding a flood would cost memory and time for bytes no expectation compares.
      stream.startDiscarding();
      const consumed = (): Pick<Verdict, 'received' | 'receivedLength'> => {
        const d = stream.stopDiscarding();
        return { received: d.bytes, receivedLength: d.length };
      };
      return stream.wait<Verdict>(
        () => (stream.closed ? { status: 'passed', ...consumed() } : undefined),
        step.timeoutMs,
        () => ({ status: 'failed', message: `Timed out after ${step.timeoutMs} ms waiting for the peer to close.`, ...consumed() }),
        signal,
      );
    }

    case 'nothing':
      return stream.wait<Verdict>(
        () =>
          stream.unreadLength > 0
            ? { status: 'failed', message: `Expected nothing for ${step.windowMs} ms but received ${stream.unreadLength} bytes.`, ...stream.unreadForReport() }
            : undefined,
        step.windowMs,
        () => ({ status: 'passed', received: new Uint8Array(0) }),
        signal,
      );

    case 'regex': {
      const regex = step.regex as RegExp;
      const what = `a match for /${regex.source}/${regex.flags}`;
      return stream.wait<Verdict>(
        () => {
          if (framed) {
            return judgeNextFrame(what, (frame) => {
              // Bounded like a mock server's rules: a .tcp file from a repository must not hang the editor.
              const bounded = runBoundedRegex(regex, decodeText(frame, prepared.encoding));
              if (bounded.timedOut) return regexTooSlow(regex, frame);
              return bounded.match
                ? { status: 'passed', received: frame }
                : { status: 'failed', message: `The received ${unitName} does not match /${regex.source}/${regex.flags}.`, received: frame };
            });
          }
          // A pattern that matches the empty string (.*, \d*, (ok)?) must not pass before anything arrived.
          if (stream.buffer.length === 0) return stream.closed ? closedEarly(what) : undefined;
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
        overflow(what),
      );
    }

    default: {
      const expected = step.expected as Uint8Array;
      const what = `${expected.length} expected bytes`;
      // Unframed: how many leading unread bytes already matched. Nothing is consumed while this
      // expectation waits, so each arrival only compares its own bytes, not the whole prefix again.
      let matched = 0;
      return stream.wait<Verdict>(
        () => {
          if (framed) {
            return judgeNextFrame(what, (frame) =>
              sameBytes(frame, expected)
                ? { status: 'passed', received: frame }
                : { status: 'failed', message: `Expected bytes and the received ${unitName} differ.`, received: frame },
            );
          }
          const have = stream.buffer;
          const common = Math.min(have.length, expected.length);
          const at = firstDifference(have, expected, matched, common);
          matched = common;
          if (at >= 0) return { status: 'failed', message: `Expected and received bytes differ at offset ${at}.`, received: have.slice() };
          if (have.length < expected.length) return stream.closed ? closedEarly(what) : undefined;
          const received = have.slice(0, expected.length);
          stream.consume(expected.length);
          return { status: 'passed', received };
        },
        step.timeoutMs,
        timedOut(what),
        signal,
        overflow(what),
      );
    }
  }
}

/** One expectation checked on a connection that is already open, outside any block (the agent tools' `tcplab_expect`). */
export interface OpenExpectation extends Expectation {
  framing: TcpFraming;
  encoding: TextEncodingName;
}

export interface OpenExpectationResult {
  status: 'passed' | 'failed';
  message?: string;
  /** What the expectation was compared with (on failure: everything not yet consumed). */
  received: BytesView;
  /** How many of the bytes it was given and received meanwhile it consumed; EXPECT close consumes all. */
  consumedBytes: number;
}

/**
 * Checks `expectation` exactly as a block's EXPECT line would, against `unread` (bytes that arrived
 * earlier and no expectation consumed yet) followed by whatever arrives before the timeout.
 * Subscribes synchronously, so a caller that read `unread` in the same turn misses not one byte.
 */
export async function expectOnOpenConnection(connection: RunnerConnection, unread: Uint8Array, expectation: OpenExpectation, signal?: AbortSignal): Promise<OpenExpectationResult> {
  const stream = new ReceiveStream(connection, expectation.framing, unread);
  try {
    const verdict = await expect(stream, expectation, expectation, signal);
    const consumedBytes = expectation.match === 'close' ? Number.POSITIVE_INFINITY : stream.consumedBytes;
    return { status: verdict.status, message: verdict.message, received: viewBytes(verdict.received, expectation.encoding, verdict.receivedLength), consumedBytes };
  } finally {
    stream.dispose();
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
      const where = listener.address ? formatEndpoint(listener.address) : 'the listener';
      reject(new Error(`No peer connected to ${where} within ${timeoutMs} ms: start the client, or raise TIMEOUT.`));
    }, timeoutMs);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort);
  });
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
    peakBufferedBytes: 0,
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
  const refusal = await options.confirm?.(prepared);
  if (refusal !== undefined) {
    result.error = refusal;
    return finish();
  }
  // Each EXPECT's view of its expected bytes, rendered before any socket opens: the receive should
  // spend its time receiving.
  const expectedViews = prepared.steps.map((step) => (step.kind === 'expect' && step.expected ? viewBytes(step.expected, prepared.encoding) : undefined));
  let listener: RunnerListener | undefined;
  let connection: RunnerConnection | undefined;
  let stream: ReceiveStream | undefined;
  try {
    const tls = prepared.tlsTarget ? prepared.tls : undefined;
    if (prepared.kind === 'connect') {
      connection = await options.sockets.connect({ host: prepared.host, port: prepared.port, timeoutMs: prepared.timeoutMs, signal: options.signal, tls });
    } else {
      listener = await options.sockets.listen({ host: prepared.host, port: prepared.port, tls });
      const accepted = acceptFirst(listener, prepared.timeoutMs, options.signal);
      if (listener.address) options.onListening?.(listener.address);
      connection = await accepted;
    }
    // Subscribe before yielding to the event loop, so not one received byte is missed.
    stream = new ReceiveStream(connection, prepared.framing);
    result.connectionId = connection.id;

    let expectIndex = 0;
    for (const [stepIndex, step] of prepared.steps.entries()) {
      if (step.kind === 'send') {
        await connection.send(step.bytes);
        result.bytesSent += step.bytes.length;
        continue;
      }
      if (step.kind === 'startTls') {
        if (!connection.startTls) throw new Error('This connection cannot start TLS.');
        await connection.startTls({ ...prepared.tls, timeoutMs: prepared.timeoutMs });
        continue;
      }
      const stepStarted = performance.now();
      const verdict = step.match === 'tls' ? checkTls(connection, step) : await expect(stream, step, prepared, options.signal);
      const entry = result.expectations[expectIndex++];
      entry.status = verdict.status;
      entry.message = verdict.message;
      entry.durationMs = Math.round(performance.now() - stepStarted);
      const expectedView = expectedViews[stepIndex];
      if (expectedView) entry.expected = expectedView;
      else if (step.regex) entry.expected = { text: `/${step.regex.source}/${step.regex.flags}`, hex: '', length: 0 };
      // A passed text or hex expectation received exactly its expected bytes, so it shows the same view.
      entry.received =
        verdict.status === 'passed' && expectedView ? { ...expectedView } : viewBytes(verdict.received, prepared.encoding, verdict.receivedLength);
      stream.releaseFrame();
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
    if (connection?.tls) result.tls = connection.tls;
    if (stream) {
      result.received = viewBytes(stream.all.bytes, prepared.encoding, stream.all.length);
      result.peakBufferedBytes = stream.peakBuffered;
    }
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
