// One TCP connection, outgoing (`client`) or accepted by a Listener (`accepted`), wrapped around a
// node:net Socket: explicit states, a reason for every close, a bounded traffic log, and sends that
// honour backpressure. Over TLS (tls://, or STARTTLS later) the same states, counters, log and read
// holds apply to the decrypted stream; the TCP socket underneath stays reachable for RST.
import { isIPv6, Socket } from 'node:net';
import { connect as tlsConnect, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import type { TlsInfo } from '../shared/tls';
import type { ProxyPairInfo } from '../shared/toxics';
import { describeSocketError, formatHostPort, TcpError, validateHost, validatePort } from './errors';
import { Emitter, type Disposable, type Event } from './events';
import {
  capturingIdentityCheck,
  certificateRejected,
  createTlsAcceptor,
  describeSession,
  describeTlsError,
  KeyLogWriter,
  prepareTls,
  rememberPeerCertificate,
  serverNameFor,
  verifyPeer,
  type PreparedTls,
  type TlsSetup,
} from './tls';
import { pcapngEncoder, type CaptureFormat } from './captureFormats';
import { adoptForOwnReads, socketWithOwnReads, type ReadSink } from './socketReads';
import { TrafficLog, type TrafficLogLimits } from './trafficLog';
import type { CloseReason, ConnectionRole, ConnectionState, Endpoint, TrafficTotals } from './types';

export interface ConnectOptions {
  host: string;
  port: number;
  /** How long to wait for the handshake; default 10 s. */
  timeoutMs?: number;
  /** What sets timeoutMs (a setting's name), named in the timeout error as the thing to raise. */
  timeoutHint?: string;
  /** Default true: a test bench wants each send on the wire at once, not coalesced by Nagle. */
  noDelay?: boolean;
  keepAlive?: boolean;
  /** Default true: after the peer's FIN we stay 'halfClosed' and may still send; false ends our side too. */
  allowHalfOpen?: boolean;
  log?: Partial<TrafficLogLimits>;
  /** Abort the attempt (e.g. a Cancel button); connect() then rejects with code 'CANCELLED'. */
  signal?: AbortSignal;
  /** Speak TLS once TCP is connected (a `tls://` target); connect() resolves after the handshake. */
  tls?: TlsSetup;
  /** Append NSS key-log lines of every TLS session to this file (for Wireshark). */
  keyLogFile?: string;
}

/** Options an accepted socket inherits from its listener. */
export interface SocketOptions {
  noDelay?: boolean;
  keepAlive?: boolean;
  allowHalfOpen?: boolean;
  log?: Partial<TrafficLogLimits>;
  /**
   * The listener's own address when it is bound to one specific address (not a wildcard): every
   * socket it accepts has exactly that local endpoint, so the engine need not ask the kernel again.
   */
  boundLocal?: Endpoint;
  keyLogFile?: string;
}

/** What STARTTLS needs: the TLS options, and where to append key-log lines. */
export interface StartTlsOptions extends TlsSetup {
  keyLogFile?: string;
  /** How long to wait for the handshake; default 10 s. */
  timeoutMs?: number;
}

export interface CloseEvent {
  reason: CloseReason;
  error?: TcpError;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The read-hold reason a connection takes while its capture file is behind the network. */
export const READ_HOLD_CAPTURE = 'capture';

/**
 * How long a released read hold still counts in `recentReadHolds`. A capture behind a busy disk
 * pauses reading for a few milliseconds dozens of times a second; shown as it happens, the tree and
 * the panel would flicker the notice (each change an event to every registry subscriber).
 */
export const READ_HOLD_LINGER_MS = 1000;

/**
 * A send() larger than this is handed to the socket in slices of this size, waiting for 'drain'
 * whenever node's buffer is above its high-water mark. So the bytes queued inside node (and the
 * kernel) stay bounded whatever the payload size; the rest stays in the caller's own buffer.
 */
const SEND_SLICE_BYTES = 64 * 1024;
/** What a held socket reading into the log's store still reads before it stops: one read, as a paused node stream would. */
const HELD_READ_BYTES = 64 * 1024;
const NO_BYTES = new Uint8Array(0);
/**
 * How long reset() waits for an already started FIN before it closes the socket without RST. The
 * FIN normally goes out on the next event-loop turn; only a send buffer the peer never drains
 * holds it back, and a reset must not wait on the peer.
 */
const RESET_AFTER_FIN_WAIT_MS = 1000;

let connectionCounter = 0;

/** Ids are short and never reused within a process: C1, C2, … */
function nextConnectionId(): string {
  connectionCounter++;
  return `C${connectionCounter}`;
}

function endpoint(address: string | undefined, port: number | undefined, family: string | undefined): Endpoint | undefined {
  if (address === undefined || port === undefined) return undefined;
  // node reports the family with the address; parsing the address is only the fallback.
  const resolvedFamily = family === 'IPv6' || family === 'IPv4' ? family : isIPv6(address) ? 'IPv6' : 'IPv4';
  return { address, family: resolvedFamily, port };
}

function cancelledError(host: string, port: number): TcpError {
  return new TcpError('CANCELLED', `Connecting to ${formatHostPort(host, port)} was cancelled; connect again when you are ready.`);
}

interface PendingSend {
  bytes: Uint8Array;
  offset: number;
  resolve: () => void;
  reject: (err: TcpError) => void;
}

interface ConnectionInit {
  socket: Socket;
  /** The TCP socket under `socket` when that is already a TLSSocket (an accepted TLS client). */
  tcpSocket?: Socket;
  /** The handshake an accepted TLS client has completed. */
  tls?: TlsInfo;
  role: ConnectionRole;
  listenerId?: string;
  /** The endpoint named in error sentences: what the user typed, or the accepted peer. */
  host: string;
  port: number;
  options: SocketOptions;
  /** Set when `socket` reads into buffers TCP Lab gives it (socketReads.ts): its reads come here, not as 'data'. */
  reads?: ReadSink;
}

/**
 * Sockets are half-open capable: a peer's FIN moves us to 'halfClosed' and we may keep sending
 * until we end() or destroy(). The close reason records who started closing: 'local' (we ended or
 * destroyed first), 'peerEnded' (their FIN came first), 'reset', 'error' or 'timeout'.
 */
export class Connection implements Disposable {
  /**
   * Open an outgoing connection. Resolves once the handshake completed; on any failure (invalid
   * input, refused, unknown host, timeout, …) rejects with a TcpError and leaves no socket behind.
   */
  static connect(options: ConnectOptions): Promise<Connection> {
    let host: string;
    let port: number;
    let timeoutMs: number;
    let prepared: PreparedTls | undefined;
    try {
      host = validateHost(options.host);
      port = validatePort(options.port, 'connect');
      timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
        throw new TcpError(
          'INVALID_TIMEOUT',
          `Connect timeout ${String(options.timeoutMs)} is not valid; enter a positive number of milliseconds such as 5000.`,
        );
      }
      prepared = options.tls ? prepareTls(options.tls, 'client') : undefined;
    } catch (err) {
      return Promise.reject(err);
    }

    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(cancelledError(host, port));
    // A tls:// target reads through its TLSSocket, so only plain TCP reads into the log's store.
    const reads: ReadSink | undefined = prepared ? undefined : {};
    const socket = reads ? socketWithOwnReads(reads) : new Socket({ allowHalfOpen: true });
    const connection = new Connection({ socket, role: 'client', host, port, options, reads });
    connection.pendingTls = prepared;
    return new Promise<Connection>((resolve, reject) => {
      const timer = setTimeout(() => {
        connection.failOpening(describeSocketError({ code: 'ETIMEDOUT' }, { op: 'connect', host, port, timeoutMs, timeoutHint: options.timeoutHint }), 'timeout');
      }, timeoutMs);
      const onAbort = (): void => connection.destroy();
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      connection.opening = {
        resolve: () => {
          settle();
          resolve(connection);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      };
      try {
        socket.connect({ host, port });
      } catch (err) {
        // node validates some options synchronously; those must reject like every other failure.
        connection.failOpening(describeSocketError(err, { op: 'connect', host, port }), 'error');
      }
    });
  }

  /**
   * Wrap a socket a Listener accepted (a TLSSocket with its TCP socket and handshake for a TLS
   * listener). A plain one comes paused (the listener's server has pauseOnConnect) and moves onto a
   * socket that reads into the log's store (socketReads.ts); reading starts once the connection listens to it.
   */
  static accept(socket: Socket, listenerId: string, options: SocketOptions = {}, tls?: { tcpSocket: Socket | undefined; info: TlsInfo }): Connection {
    const reads: ReadSink | undefined = tls ? undefined : {};
    const adopted = reads ? adoptForOwnReads(socket, reads) : undefined;
    if (reads && !adopted) socket.resume();
    const reading = adopted ?? socket;
    return new Connection({
      socket: reading,
      reads: adopted ? reads : undefined,
      tcpSocket: tls?.tcpSocket,
      tls: tls?.info,
      role: 'accepted',
      listenerId,
      host: reading.remoteAddress ?? 'the peer',
      port: reading.remotePort ?? 0,
      options,
    });
  }

  readonly id = nextConnectionId();
  readonly role: ConnectionRole;
  readonly listenerId: string | undefined;
  readonly log: TrafficLog;
  readonly openedAt: number;

  /** The stream bytes are read from and written to: the TCP socket, or the TLSSocket over it. */
  private socket: Socket;
  /** The TCP socket itself, for RST and TCP options (the same object as `socket` without TLS). */
  private tcpSocket: Socket;
  private tlsSession: TlsInfo | undefined;
  /** TLS to start once TCP is connected (tls:// targets). */
  private pendingTls: PreparedTls | undefined;
  /** A TLS handshake in progress: how to fail it. */
  private handshake: { reject: (err: TcpError) => void; role: 'client' | 'listener' } | undefined;
  private keyLog: KeyLogWriter | undefined;
  private readonly host: string;
  private readonly port: number;
  private readonly options: SocketOptions;
  private currentState: ConnectionState;
  private localEndpoint: Endpoint | undefined;
  private remoteEndpoint: Endpoint | undefined;
  private closedTime: number | undefined;
  private reasonForClose: CloseReason | undefined;
  private errorForClose: TcpError | undefined;
  /** The reason decided by whoever started the close (destroy, reset, an error), used at 'close'. */
  private pendingReason: CloseReason | undefined;
  private localEndRequested = false;
  /** reset() is waiting for a pending FIN to go out first (see resetAfterFin). */
  private resetPending = false;
  private localEndedFirst = false;
  private peerEnded = false;
  private opening: { resolve: () => void; reject: (err: TcpError) => void } | undefined;

  // Sends not yet fully handed to the socket, oldest first (array + head index: O(1) dequeue).
  private sendQueue: PendingSend[] = [];
  private sendQueueHead = 0;
  private unsentBytes = 0;
  private waitingForDrain = false;
  /**
   * TCP_NODELAY only changes how our own writes are segmented, so it is set just before the first
   * one: connections that never send (most of a burst of accepted clients) skip the system call.
   */
  private noDelayPending: boolean;

  private readonly receiveEmitter = new Emitter<Uint8Array>();
  /** The socket reads into the log's store (socketReads.ts) rather than emitting 'data'. */
  private readonly hasOwnReads: boolean;
  /**
   * Reads that arrived while reading was held, copied, oldest first. Like node's paused streams
   * (which read on up to their high-water mark), the socket reads on until they hold HELD_READ_BYTES,
   * so a peer's reset or FIN behind them is still seen; they are delivered on release, error or close.
   */
  private heldReads: Buffer[] = [];
  private heldReadBytes = 0;
  /** The peer's FIN came behind held reads: it is handled once they are delivered. */
  private endBehindHeldReads = false;
  private readonly arrivalEmitter = new Emitter<number>();
  private readonly sendEmitter = new Emitter<Uint8Array>();
  private readonly stateEmitter = new Emitter<ConnectionState>();
  private readonly closeEmitter = new Emitter<CloseEvent>();
  private readonly errorEmitter = new Emitter<TcpError>();
  private readonly readHoldsEmitter = new Emitter<readonly string[]>();
  private readonly handshakeEmitter = new Emitter<TlsInfo>();
  /** How many holds each reason has; reading is paused while any exists. */
  private readonly holdCounts = new Map<string, number>();
  private holdReasons: readonly string[] = Object.freeze([]);
  /** Released reasons that still count in recentReadHolds, each with the timer that drops it. */
  private readonly lingeringHolds = new Map<string, ReturnType<typeof setTimeout>>();
  private recentHolds: readonly string[] = Object.freeze([]);
  private readonly recentReadHoldsEmitter = new Emitter<readonly string[]>();
  private captureHold: Disposable | undefined;
  private closeWaiters: ((e: CloseEvent) => void)[] = [];
  /** Proxy pairs: logs (and forwards) each received chunk instead of the plain log.append('in'). */
  private receiveTap: ((chunk: Buffer) => void) | undefined;
  private proxyInfo: ProxyPairInfo | undefined;
  private readonly infoEmitter = new Emitter<void>();

  /** Every chunk as node delivered it, after it was appended to the log. */
  readonly onDidReceive: Event<Uint8Array> = this.receiveEmitter.event;
  /**
   * How many bytes each chunk had, after it was logged: for a listener that needs to know when bytes
   * arrive but not what they are. Unlike onDidReceive it leaves plain sockets on the cheap read path
   * (a receive listener is handed a copy of every chunk).
   */
  readonly onDidArrive: Event<number> = this.arrivalEmitter.event;
  /** Every send() once its last byte was handed to the socket (and logged); partial sends never fire. */
  readonly onDidSend: Event<Uint8Array> = this.sendEmitter.event;
  readonly onDidChangeState: Event<ConnectionState> = this.stateEmitter.event;
  readonly onDidClose: Event<CloseEvent> = this.closeEmitter.event;
  /** Errors while open (reset, broken pipe, capture file failure); the close event follows socket errors. */
  readonly onDidError: Event<TcpError> = this.errorEmitter.event;
  /** Fires with the new `readHolds` when reading pauses, resumes, or the set of reasons changes. */
  readonly onDidChangeReadHolds: Event<readonly string[]> = this.readHoldsEmitter.event;
  /** Fires with the new `recentReadHolds`: only when a reason starts, or is gone for READ_HOLD_LINGER_MS. */
  readonly onDidChangeRecentReadHolds: Event<readonly string[]> = this.recentReadHoldsEmitter.event;
  /** A TLS handshake finished (after connect() for tls://, or after startTls()). */
  readonly onDidHandshake: Event<TlsInfo> = this.handshakeEmitter.event;
  /** What the tree shows beyond state changed: a proxy pair's upstream side (see `proxy`). */
  readonly onDidChangeInfo: Event<void> = this.infoEmitter.event;

  private readonly onSocketData = (chunk: Buffer): void => this.handleData(chunk);
  private readonly onSocketRead = (bytes: Buffer): void => this.handleRead(bytes);
  private readonly onSocketEnd = (): void => this.handlePeerEnd();
  private readonly onSocketError = (err: Error): void => this.handleError(err);
  private readonly onSocketClose = (): void => this.handleClose();

  private constructor(init: ConnectionInit) {
    this.socket = init.socket;
    this.tcpSocket = init.tcpSocket ?? init.socket;
    const tcp = this.tcpSocket;
    if (tcp !== this.socket) {
      // As in switchToTls: the TCP socket must not outlive the TLSSocket over it.
      this.socket.once('close', () => tcp.destroy());
      tcp.on('error', () => undefined);
    }
    this.tlsSession = init.tls;
    this.role = init.role;
    this.listenerId = init.listenerId;
    this.host = init.host;
    this.port = init.port;
    this.options = init.options;
    this.log = new TrafficLog(init.options.log);
    this.openedAt = Date.now();
    this.currentState = init.role === 'accepted' ? 'open' : 'connecting';
    this.noDelayPending = init.options.noDelay ?? true;

    const socket = this.socket;
    this.hasOwnReads = init.reads !== undefined;
    if (init.reads) {
      init.reads.region = () => this.log.receiveRegion();
      init.reads.deliver = this.onSocketRead;
      init.reads.filled = () => this.log.receiveRegionFilled();
    }
    this.attach(socket);
    this.log.onDidCaptureError((err) => this.errorEmitter.fire(err));
    this.log.onDidChangeCaptureBackpressure((behind) => this.handleCaptureBackpressure(behind));
    if (init.role === 'accepted') {
      this.applySocketOptions();
    } else {
      socket.once('connect', () => this.handleConnect());
    }
  }

  get state(): ConnectionState {
    return this.currentState;
  }
  /** The TLS session once a handshake finished; undefined on a plain connection. */
  get tls(): TlsInfo | undefined {
    return this.tlsSession;
  }
  get local(): Endpoint | undefined {
    return this.localEndpoint;
  }
  get remote(): Endpoint | undefined {
    return this.remoteEndpoint;
  }
  get closedAt(): number | undefined {
    return this.closedTime;
  }
  get closeReason(): CloseReason | undefined {
    return this.reasonForClose;
  }
  /** The error that closed the connection, if one did. */
  get closeError(): TcpError | undefined {
    return this.errorForClose;
  }
  /** Live exact counters (the log's): read them, do not keep them as a snapshot. */
  get totals(): TrafficTotals {
    return this.log.totals;
  }
  /** Bytes inside node's socket buffer, not yet taken by the kernel (`socket.writableLength`). */
  get queuedBytes(): number {
    return this.socket.writableLength;
  }
  /** Bytes accepted by send() but not yet handed to the socket (waiting for 'drain'). */
  get pendingBytes(): number {
    return this.unsentBytes;
  }
  /**
   * Why reading from the socket is paused, one entry per reason in the order they began (e.g.
   * `capture`: the capture file is behind; `replies`: a mock server's replies wait for the peer).
   * Empty while reading normally. While paused the kernel's receive window fills and TCP flow
   * control slows the peer down; nothing is dropped.
   */
  get readHolds(): readonly string[] {
    return this.holdReasons;
  }

  /**
   * What to show a person: the reasons reading is paused now, and those released within the last
   * READ_HOLD_LINGER_MS (in the order they began). Empty once the connection closed.
   */
  get recentReadHolds(): readonly string[] {
    return this.recentHolds;
  }

  /**
   * Stop reading from the socket until the returned handle is disposed. Holds are counted per
   * reason; reading resumes when the last hold of every reason is released (or the connection
   * closes). Disposing a handle twice has no further effect.
   */
  holdReading(reason: string): Disposable {
    if (this.currentState === 'closed') return { dispose: () => undefined };
    const count = this.holdCounts.get(reason) ?? 0;
    this.holdCounts.set(reason, count + 1);
    if (count === 0) this.readHoldsChanged();
    let released = false;
    return {
      dispose: () => {
        if (released) return;
        released = true;
        this.releaseHold(reason);
      },
    };
  }

  /**
   * For the client side of a proxy pair: the pair's upstream side (a live object the pair keeps
   * current; copy it for a snapshot). Undefined for every other connection.
   */
  get proxy(): ProxyPairInfo | undefined {
    return this.proxyInfo;
  }

  /** Marks this connection as a proxy pair's client side, or tells listeners the marker changed. */
  setProxy(info: ProxyPairInfo): void {
    this.proxyInfo = info;
    this.infoEmitter.fire();
  }

  /**
   * A proxy pair takes over what happens to each received chunk: `tap` must log it (the pair logs
   * it together with what its faults did) and forward it; onDidReceive still fires after it.
   */
  tapReceived(tap: (chunk: Buffer) => void): void {
    this.receiveTap = tap;
  }

  /**
   * A proxy's relay write: logs `bytes` as 'out' (with what a fault did, if one did) and hands them
   * to the socket at once, with no promise per chunk. Returns false once node's buffer is above its
   * high-water mark: the caller stops reading its source until whenDrained() calls back. Bytes
   * sent with send() that still wait in its queue go first, so the stream keeps its order.
   */
  relay(bytes: Uint8Array, fault?: string, injected = false): boolean {
    if (!this.writable || this.socket.destroyed) return true;
    if (this.sendQueueHead < this.sendQueue.length || this.log.captureBackpressure) {
      // Rare (a panel send still queued, or the capture file behind): take the general path.
      this.send(bytes).catch(() => undefined);
      return false;
    }
    if (this.noDelayPending) this.applyNoDelay();
    if (fault === undefined && !injected) this.log.append('out', bytes);
    else this.log.appendFaulted('out', bytes, fault, false, injected);
    return this.socket.write(bytes);
  }

  /** Calls back once the socket's buffer has drained (at once when nothing waits), or when it closes. */
  whenDrained(callback: () => void): void {
    const socket = this.socket;
    if (socket.destroyed || (socket.writableLength === 0 && !socket.writableNeedDrain && this.sendQueueHead === this.sendQueue.length)) {
      callback();
      return;
    }
    let done = false;
    // A send queued behind the capture file empties without a 'drain': its completion says so.
    const sent = this.sendEmitter.event(() => finish());
    const finish = (): void => {
      if (done) return;
      done = true;
      sent.dispose();
      socket.off('drain', finish);
      socket.off('close', finish);
      this.whenDrained(callback);
    };
    socket.on('drain', finish);
    socket.on('close', finish);
  }

  /** We sent FIN (end()); nothing more can be sent. */
  get localEnded(): boolean {
    return this.localEndRequested;
  }
  /** The peer sent FIN; we may still send until we end. */
  get remoteEnded(): boolean {
    return this.peerEnded;
  }
  /** send() would be accepted now. */
  get writable(): boolean {
    return (this.currentState === 'open' || this.currentState === 'halfClosed') && !this.localEndRequested;
  }

  /** Where this connection goes (client) or comes from (accepted), e.g. `127.0.0.1:8080`. */
  get label(): string {
    return formatHostPort(this.host, this.port);
  }

  /**
   * Queue bytes for sending. Resolves once the last byte has been handed to the kernel, so
   * awaiting each send gives natural backpressure; large payloads are sliced so node's own buffer
   * stays bounded (see SEND_SLICE_BYTES). The bytes are not copied: do not modify them afterwards.
   */
  send(bytes: Uint8Array): Promise<void> {
    if (!this.writable) return Promise.reject(this.notWritableError());
    if (
      this.sendQueueHead === this.sendQueue.length &&
      !this.waitingForDrain &&
      bytes.byteLength <= SEND_SLICE_BYTES &&
      !this.socket.destroyed &&
      !this.log.captureBackpressure
    ) {
      // The common case (nothing queued, node not asking us to wait, one slice): hand the bytes
      // over at once, without the queue entry the general path needs.
      return this.writeWhole(bytes);
    }
    return new Promise<void>((resolve, reject) => {
      this.sendQueue.push({ bytes, offset: 0, resolve, reject });
      this.unsentBytes += bytes.byteLength;
      if (!this.waitingForDrain) this.pumpSendQueue();
    });
  }

  /** Half-close: send FIN after everything already queued; the peer may keep sending to us. */
  end(): void {
    if (!this.writable) return;
    this.localEndRequested = true;
    if (!this.peerEnded) this.localEndedFirst = true;
    if (this.sendQueueHead === this.sendQueue.length) this.socket.end();
    if (this.currentState === 'open') this.setState('halfClosed');
  }

  /** Close at once; unsent data is dropped. Reason 'local', or 'peerEnded' if the peer's FIN came first. */
  destroy(): void {
    if (this.currentState === 'closed') return;
    this.pendingReason ??= this.peerEnded && !this.localEndedFirst ? 'peerEnded' : 'local';
    if (this.opening) {
      this.failOpening(cancelledError(this.host, this.port), 'local');
      return;
    }
    this.socket.destroy();
  }

  /**
   * Abort with a TCP RST instead of a FIN, so the peer sees ECONNRESET (reason 'reset'). The RST
   * always goes out, but what a peer reports depends on its side: a node (libuv) peer that still
   * has unread bytes when the RST lands reads them, sees the hang-up in the same poll and reports a
   * plain end of stream; the kernel may also drop bytes the peer had not read yet. After our FIN
   * (end()) the peer has already seen end of stream and learns of the RST on its next write.
   */
  reset(): void {
    if (this.currentState === 'closed') return;
    if (this.opening) {
      this.destroy();
      return;
    }
    this.pendingReason = 'reset';
    const socket = this.socket;
    if (socket.destroyed) return;
    if (socket.writableEnded && !socket.writableFinished && socket.writableLength === 0) {
      // Our FIN has been handed to libuv (end(), or the automatic end after the peer's FIN when
      // half-open is off) but not yet performed. libuv refuses SO_LINGER=0 while that shutdown is
      // pending (EINVAL), and node then drops the handle without closing it: the descriptor leaks,
      // we never see 'close', and the peer never sees the socket go away. So reset once the FIN
      // is out; a shutdown stuck behind a full send buffer gets a plain close instead, bounded.
      this.resetAfterFin(socket);
      return;
    }
    this.resetTcp();
  }

  /** RST on the TCP socket itself: a TLSSocket cannot reset, its TCP socket underneath can. */
  private resetTcp(): void {
    const tcp = this.tcpSocket;
    if (tcp === this.socket || !tcp.destroyed) tcp.resetAndDestroy();
    else this.socket.destroy();
  }

  dispose(): void {
    this.destroy();
  }

  private resetAfterFin(socket: Socket): void {
    if (this.resetPending) return;
    this.resetPending = true;
    const fallback = setTimeout(() => socket.destroy(), RESET_AFTER_FIN_WAIT_MS);
    socket.once('close', () => clearTimeout(fallback));
    socket.once('finish', () => {
      clearTimeout(fallback);
      // After the FIN the RST still tells the peer to drop the connection; its read side has
      // already ended, so it learns of the reset on its next write (EPIPE/ECONNRESET).
      if (!socket.destroyed) this.resetTcp();
    });
  }

  /**
   * Capture every record from now on to `filePath` in `format` (see captureFormats.ts); resolves once
   * the file is open. pcapng needs both endpoints, so a connection still connecting captures JSON Lines only.
   */
  startCapture(filePath: string, format: CaptureFormat = 'jsonl'): Promise<void> {
    if (format === 'jsonl') return this.log.startCapture(filePath);
    const { local, remote } = this;
    if (!local || !remote) {
      return Promise.reject(new TcpError('CAPTURE_NO_ENDPOINTS', `${this.id} is not connected yet, so a pcapng capture has no addresses to write; capture it once it is open, or as JSON Lines.`));
    }
    return this.log.startCapture(filePath, pcapngEncoder({
      endpoints: { local, remote, localOpened: this.role === 'client' },
      connectionId: this.id,
      // Nothing crossed yet: the file starts with the handshake, as a capture on the wire would.
      fromStart: this.log.lastSeq === 0,
      openedAt: this.openedAt,
    }));
  }

  /** Resolves with the close event once the connection is closed (at once if it already is). */
  waitForClose(): Promise<CloseEvent> {
    if (this.currentState === 'closed') {
      return Promise.resolve({ reason: this.reasonForClose ?? 'local', error: this.errorForClose });
    }
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  private releaseHold(reason: string): void {
    const count = this.holdCounts.get(reason);
    // Undefined when the close already dropped every hold.
    if (count === undefined) return;
    if (count > 1) {
      this.holdCounts.set(reason, count - 1);
      return;
    }
    this.holdCounts.delete(reason);
    this.readHoldsChanged();
  }

  private readHoldsChanged(): void {
    const wasPaused = this.holdReasons.length > 0;
    this.holdReasons = Object.freeze([...this.holdCounts.keys()]);
    const paused = this.holdReasons.length > 0;
    // A socket reading into the store goes on reading into heldReads until they fill (see handleRead).
    if (paused && !wasPaused && !this.ownReadsActive) this.socket.pause();
    else if (!paused && wasPaused && !this.socket.destroyed) {
      this.deliverHeldReads();
      this.socket.resume();
    }
    this.readHoldsEmitter.fire(this.holdReasons);
    this.updateRecentHolds();
  }

  /** Called on every change of the held reasons while open (the close clears recentReadHolds itself). */
  private updateRecentHolds(): void {
    // A reason held again stops fading; one just released starts to (it stays shown until its timer).
    for (const reason of this.holdReasons) {
      clearTimeout(this.lingeringHolds.get(reason));
      this.lingeringHolds.delete(reason);
    }
    for (const reason of this.recentHolds) {
      if (this.holdReasons.includes(reason) || this.lingeringHolds.has(reason)) continue;
      const timer = setTimeout(() => {
        this.lingeringHolds.delete(reason);
        this.setRecentHolds(this.recentHolds.filter((shown) => shown !== reason));
      }, READ_HOLD_LINGER_MS);
      // A notice about to fade must not keep the process alive.
      timer.unref?.();
      this.lingeringHolds.set(reason, timer);
    }
    // Every shown reason is now held or fading, so only a reason that just began changes what is shown.
    const started = this.holdReasons.filter((reason) => !this.recentHolds.includes(reason));
    if (started.length > 0) this.setRecentHolds([...this.recentHolds, ...started]);
  }

  private setRecentHolds(reasons: readonly string[]): void {
    this.recentHolds = Object.freeze([...reasons]);
    this.recentReadHoldsEmitter.fire(this.recentHolds);
  }

  private handleCaptureBackpressure(behind: boolean): void {
    if (behind) {
      this.captureHold ??= this.holdReading(READ_HOLD_CAPTURE);
      return;
    }
    const hold = this.captureHold;
    this.captureHold = undefined;
    hold?.dispose();
    // Sends also waited for the capture (see pumpSendQueue).
    if (!this.waitingForDrain) this.pumpSendQueue();
  }

  private applySocketOptions(): void {
    const socket = this.tcpSocket;
    // Keep-alive matters while idle, so unlike TCP_NODELAY it is set at once.
    if (this.options.keepAlive) socket.setKeepAlive(true);
    const boundLocal = this.options.boundLocal;
    this.localEndpoint = boundLocal ? { ...boundLocal } : endpoint(socket.localAddress, socket.localPort, socket.localFamily);
    this.remoteEndpoint = endpoint(socket.remoteAddress, socket.remotePort, socket.remoteFamily);
  }

  /** Apply the noDelay option once, right before our first write (see noDelayPending). */
  private applyNoDelay(): void {
    // Only an explicit true needs the system call: node's sockets start with Nagle on.
    if (this.noDelayPending) this.tcpSocket.setNoDelay(true);
    this.noDelayPending = false;
  }

  /**
   * The fast path of send(): one write. Usually the kernel takes the bytes during the write call
   * itself; node then has nothing left buffered, and the promise settles at once. A write callback
   * would cost node an extra tick per send (measurable in a request/response loop). Only if bytes
   * remain buffered does an empty write follow: node runs write callbacks in order, so its callback
   * says when the real write has been handed over (or failed).
   */
  private writeWhole(bytes: Uint8Array): Promise<void> {
    if (this.noDelayPending) this.applyNoDelay();
    const socket = this.socket;
    // Logged before the write, as in pumpSendQueue, so a request always precedes its response.
    this.log.append('out', bytes);
    const accepted = socket.write(bytes);
    let settled: Promise<void>;
    if (socket.errored) {
      // The write failed at once; node destroys the socket on the next tick.
      settled = Promise.reject(this.sendError(socket.errored));
    } else if (socket.writableLength === 0) {
      settled = Promise.resolve();
    } else {
      settled = new Promise<void>((resolve, reject) => {
        socket.write(NO_BYTES, (err) => {
          if (err) reject(this.sendError(socket.errored ?? err));
          else resolve();
        });
      });
    }
    this.sendEmitter.fire(bytes);
    if (!accepted) this.waitForDrain();
    return settled;
  }

  private waitForDrain(): void {
    this.waitingForDrain = true;
    this.socket.once('drain', () => {
      this.waitingForDrain = false;
      this.pumpSendQueue();
    });
  }

  private handleConnect(): void {
    this.applySocketOptions();
    const tls = this.pendingTls;
    if (tls) {
      this.pendingTls = undefined;
      // connect() resolves after the handshake; failOpening has already settled it on failure.
      this.upgradeClient(tls, this.options.keyLogFile).then(
        () => this.finishOpening(),
        (err: TcpError) => this.failOpening(err, 'error'),
      );
      return;
    }
    this.finishOpening();
  }

  private finishOpening(): void {
    if (!this.opening) return;
    this.setState('open');
    const opening = this.opening;
    this.opening = undefined;
    opening?.resolve();
  }

  /** A connect attempt failed: tear the socket down completely and reject connect(). */
  private failOpening(err: TcpError, reason: CloseReason): void {
    const opening = this.opening;
    if (!opening) return;
    this.opening = undefined;
    this.pendingReason = reason;
    this.errorForClose = err;
    this.socket.destroy();
    opening.reject(err);
  }

  private handleData(chunk: Buffer): void {
    if (this.receiveTap === undefined) this.log.append('in', chunk);
    else this.receiveTap(chunk);
    this.receiveEmitter.fire(chunk);
    this.arrivalEmitter.fire(chunk.byteLength);
  }

  /**
   * One of the socket's own reads, in the log's store region or the scratch buffer (reused after
   * this call). The log keeps a store read in place and copies a scratch one; a proxy tap or a
   * receive listener may keep what it is given, so they get a copy of their own, as held reads do
   * (the region is read into again).
   */
  private handleRead(bytes: Buffer): void {
    if (this.holdReasons.length > 0) {
      this.heldReads.push(Buffer.from(bytes));
      this.heldReadBytes += bytes.byteLength;
      if (this.heldReadBytes >= HELD_READ_BYTES) this.socket.pause();
      return;
    }
    if (this.receiveTap !== undefined || this.receiveEmitter.hasListeners) {
      this.handleData(Buffer.from(bytes));
      return;
    }
    this.log.appendReceived(bytes);
    this.arrivalEmitter.fire(bytes.byteLength);
  }

  /** True while the socket's own reads come here (not after a STARTTLS upgrade: the TLSSocket reads then). */
  private get ownReadsActive(): boolean {
    return this.hasOwnReads && this.socket === this.tcpSocket;
  }

  /** Logs and delivers the reads held back (the hold ended, or an error or close came behind them). */
  private deliverHeldReads(atClose = false): void {
    if (this.heldReads.length === 0) return;
    const reads = this.heldReads;
    this.heldReads = [];
    this.heldReadBytes = 0;
    for (const chunk of reads) this.handleData(chunk);
    if (this.endBehindHeldReads) {
      this.endBehindHeldReads = false;
      if (!atClose) this.handlePeerEnd();
    }
  }

  private handlePeerEnd(): void {
    if (this.heldReads.length > 0) {
      this.endBehindHeldReads = true;
      return;
    }
    if (this.resetBehindData()) return;
    this.peerEnded = true;
    if (this.currentState === 'open') this.setState('halfClosed');
    // Without half-open support the peer's FIN is answered with ours, after anything still queued.
    if (this.options.allowHalfOpen === false) this.end();
  }

  /**
   * True when what node reported as the peer's FIN was really an RST. An RST that arrives right
   * behind data is read by libuv as end of stream (the hang-up flag comes with the last read), so
   * we ask the kernel: an empty write fails at once on a reset socket (node then emits 'error' and
   * 'close', reason 'reset') and sends nothing on a half-closed one. Once per connection, not per chunk.
   */
  private resetBehindData(): boolean {
    const socket = this.socket;
    // TLS writes are encrypted and flushed later, so an empty write cannot probe the TCP state.
    if (socket !== this.tcpSocket) return false;
    // With our FIN out no write is possible; with bytes still queued their write reports the reset.
    if (socket.writableEnded || socket.destroyed || socket.writableLength > 0) return false;
    socket.write(NO_BYTES);
    return Boolean(socket.errored);
  }

  private handleError(err: Error): void {
    const handshake = this.handshake;
    if (handshake) {
      this.handshake = undefined;
      const described = describeTlsError(err, handshake.role, this.host, this.port);
      handshake.reject(described);
      if (this.opening) return;
      this.pendingReason ??= 'error';
      this.errorForClose ??= described;
      this.errorEmitter.fire(described);
      return;
    }
    if (this.opening) {
      this.failOpening(describeSocketError(err, { op: 'connect', host: this.host, port: this.port }), 'error');
      return;
    }
    // The RST we sent on the TCP socket makes the TLSSocket above it report EINVAL: not news.
    if (this.pendingReason === 'reset' && this.tcpSocket !== this.socket) return;
    if (this.socket.readableLength > 0 || this.heldReads.length > 0) this.deliverBuffered();
    const described = describeSocketError(err, { op: this.lastOperation(err), host: this.host, port: this.port });
    if (this.pendingReason === undefined) {
      this.pendingReason =
        described.code === 'ECONNRESET' || described.code === 'EPIPE' ? 'reset' : described.code === 'ETIMEDOUT' ? 'timeout' : 'error';
      this.errorForClose = described;
    }
    this.errorEmitter.fire(described);
  }

  /**
   * While reading is held node still reads up to its high-water mark into the stream's buffer; an
   * error destroys the stream without emitting those bytes. They did arrive, so they are logged
   * and delivered before the error is reported.
   */
  private deliverBuffered(): void {
    this.deliverHeldReads(true);
    const socket = this.socket;
    while (socket.readableLength > 0) {
      const before = this.log.totals.messagesIn;
      const chunk = socket.read() as Buffer | null;
      if (chunk === null) return;
      // read() emits 'data' itself unless the error has already been emitted (as it has here).
      if (this.log.totals.messagesIn === before) this.handleData(chunk);
    }
  }

  private lastOperation(err: Error): 'connect' | 'send' {
    const syscall = (err as { syscall?: unknown }).syscall;
    return syscall === 'write' ? 'send' : 'connect';
  }

  private handleClose(): void {
    if (this.currentState === 'closed') return;
    const handshake = this.handshake;
    this.handshake = undefined;
    handshake?.reject(
      describeTlsError(Object.assign(new Error('socket disconnected'), { code: 'ECONNRESET' }), handshake.role, this.host, this.port),
    );
    // Bytes that arrived while reading was held did arrive: logged before the close.
    this.deliverHeldReads(true);
    this.closedTime = Date.now();
    this.reasonForClose = this.pendingReason ?? (this.peerEnded && !this.localEndedFirst ? 'peerEnded' : 'local');
    this.rejectUnsent();
    this.captureHold = undefined;
    if (this.holdCounts.size > 0) {
      this.holdCounts.clear();
      this.holdReasons = Object.freeze([]);
      this.readHoldsEmitter.fire(this.holdReasons);
    }
    for (const timer of this.lingeringHolds.values()) clearTimeout(timer);
    this.lingeringHolds.clear();
    if (this.recentHolds.length > 0) this.setRecentHolds([]);
    this.receiveTap = undefined;
    // Nothing more arrives: the history keeps what the log retains, not the store it grew.
    this.log.compact();
    this.setState('closed');
    // The file must not outlive the socket; a write failure has already been reported by onDidError.
    this.log.stopCapture({ reason: this.reasonForClose, peerError: this.errorForClose !== undefined, time: this.closedTime }).catch(() => undefined);
    const event: CloseEvent = { reason: this.reasonForClose, error: this.errorForClose };
    this.closeEmitter.fire(event);
    const waiters = this.closeWaiters;
    this.closeWaiters = [];
    for (const waiter of waiters) waiter(event);
  }

  /**
   * STARTTLS: upgrade this open plain connection to TLS in place, as the client (an outgoing
   * connection) or the server (an accepted one). Send the protocol's own "start TLS" exchange
   * first; resolves with the session once the handshake finished. A failed handshake closes the
   * connection (its close error says why), so nothing is left half-upgraded.
   */
  async startTls(setup: StartTlsOptions = {}): Promise<TlsInfo> {
    if (this.tlsSession || this.handshake || this.socket !== this.tcpSocket) {
      throw new TcpError('TLS_ALREADY', `Connection ${this.id} to ${this.label} already speaks TLS; STARTTLS upgrades a plain connection once.`);
    }
    if (this.currentState !== 'open') {
      throw new TcpError('NOT_WRITABLE', `Connection ${this.id} to ${this.label} is ${this.currentState}; STARTTLS needs an open connection, so reconnect first.`);
    }
    if (this.sendQueueHead < this.sendQueue.length || this.socket.writableLength > 0) {
      throw new TcpError('TLS_BUSY', `Connection ${this.id} to ${this.label} is still sending; wait for the sends to finish, then start TLS.`);
    }
    const role = this.role === 'client' ? 'client' : 'listener';
    const prepared = prepareTls(setup, role);
    const timeoutMs = setup.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const timer = setTimeout(() => {
      const handshake = this.handshake;
      this.handshake = undefined;
      handshake?.reject(
        new TcpError('TIMEOUT', `The TLS handshake with ${this.label} did not finish within ${timeoutMs} ms; check that the peer starts TLS after the STARTTLS exchange.`),
      );
    }, timeoutMs);
    const keyLogFile = setup.keyLogFile ?? this.options.keyLogFile;
    try {
      return await (role === 'client' ? this.upgradeClient(prepared, keyLogFile) : this.upgradeServer(prepared, keyLogFile));
    } catch (err) {
      const described = err instanceof TcpError ? err : describeTlsError(err, role, this.host, this.port);
      this.pendingReason ??= 'error';
      this.errorForClose ??= described;
      this.socket.destroy();
      throw described;
    } finally {
      clearTimeout(timer);
    }
  }

  private attach(socket: Socket): void {
    socket.on('data', this.onSocketData);
    socket.on('end', this.onSocketEnd);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onSocketClose);
  }

  /** Move our handlers from the TCP socket to the TLSSocket that now owns it. */
  private switchToTls(secure: TLSSocket, tcp: Socket = this.socket): void {
    // Plain bytes read before the upgrade come before everything the TLSSocket reads.
    this.deliverHeldReads(true);
    tcp.off('data', this.onSocketData);
    tcp.off('end', this.onSocketEnd);
    tcp.off('error', this.onSocketError);
    tcp.off('close', this.onSocketClose);
    // Errors of the TCP socket surface on the TLSSocket; this only keeps node from throwing.
    tcp.on('error', () => undefined);
    // Destroying a TLSSocket made over an existing TCP socket leaves that socket open: close it too.
    secure.once('close', () => tcp.destroy());
    this.socket = secure;
    this.attach(secure);
    // A read hold taken before the upgrade applies to the new stream too.
    if (this.holdReasons.length > 0) secure.pause();
  }

  private keyLogFor(file: string | undefined): KeyLogWriter | undefined {
    if (file === undefined || file === '') return undefined;
    this.keyLog ??= new KeyLogWriter(file, (err) => this.errorEmitter.fire(err));
    return this.keyLog;
  }

  private finishHandshake(socket: TLSSocket, role: 'client' | 'listener', serverName: string | undefined, started: number, problems: string[]): TlsInfo {
    const info = describeSession(socket, { role, serverName, handshakeMs: performance.now() - started, problems, afterRecord: this.log.lastSeq });
    this.tlsSession = info;
    this.handshakeEmitter.fire(info);
    return info;
  }

  /** The client side of a handshake over the current (TCP) socket. */
  private upgradeClient(prepared: PreparedTls, keyLogFile: string | undefined): Promise<TlsInfo> {
    const serverName = serverNameFor(prepared.options, this.host);
    const started = performance.now();
    return new Promise<TlsInfo>((resolve, reject) => {
      this.handshake = { reject, role: 'client' };
      let peerLeaf: DetailedPeerCertificate | undefined;
      // A FIN during the handshake must fail it at once rather than wait half-open for the timeout.
      this.socket.allowHalfOpen = false;
      // Verification is ours (verifyPeer) so every problem gets a sentence and insecure can still report them.
      const secure = tlsConnect({
        socket: this.socket,
        secureContext: prepared.secureContext,
        servername: serverName,
        ALPNProtocols: prepared.options.alpn,
        rejectUnauthorized: false,
        checkServerIdentity: capturingIdentityCheck((leaf) => (peerLeaf = leaf)),
      });
      secure.once('secureConnect', () => {
        if (peerLeaf) rememberPeerCertificate(secure, peerLeaf);
      });
      this.keyLogFor(keyLogFile)?.attach(secure);
      this.switchToTls(secure);
      secure.once('secureConnect', () => {
        if (this.handshake?.reject !== reject) return;
        this.handshake = undefined;
        secure.allowHalfOpen = true;
        const problems = verifyPeer(secure, 'client', serverName, this.host);
        if (problems.length > 0 && !prepared.options.insecure) {
          reject(certificateRejected(this.host, this.port, problems));
          return;
        }
        resolve(this.finishHandshake(secure, 'client', serverName, started, problems));
      });
    });
  }

  /** The server side of a STARTTLS handshake on an accepted connection. */
  private upgradeServer(prepared: PreparedTls, keyLogFile: string | undefined): Promise<TlsInfo> {
    const acceptor = createTlsAcceptor(prepared, this.keyLogFor(keyLogFile));
    const started = performance.now();
    const tcp = this.socket;
    return new Promise<TlsInfo>((resolve, reject) => {
      this.handshake = { reject, role: 'listener' };
      acceptor.once('secureConnection', (secure: TLSSocket) => {
        if (this.handshake?.reject !== reject) {
          secure.destroy();
          return;
        }
        this.handshake = undefined;
        secure.allowHalfOpen = true;
        this.switchToTls(secure, tcp);
        resolve(this.finishHandshake(secure, 'listener', secure.servername || undefined, started, verifyPeer(secure, 'listener', undefined, this.host)));
      });
      acceptor.once('tlsClientError', (err: Error) => {
        const handshake = this.handshake;
        this.handshake = undefined;
        handshake?.reject(describeTlsError(err, 'listener', this.host, this.port));
      });
      // The acceptor's TLSSocket reads the TCP socket from now on; until the handshake is done we
      // only watch the TCP socket's close and errors (the acceptor reports handshake failures).
      tcp.off('data', this.onSocketData);
      tcp.off('end', this.onSocketEnd);
      tcp.allowHalfOpen = false;
      acceptor.emit('connection', tcp);
    });
  }

  private setState(state: ConnectionState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.stateEmitter.fire(state);
  }

  private notWritableError(): TcpError {
    if (this.currentState === 'connecting') {
      return new TcpError('NOT_WRITABLE', `Connection ${this.id} to ${this.label} is still connecting; wait until it is open, then send.`);
    }
    if (this.currentState === 'closed') {
      return new TcpError('NOT_WRITABLE', `Connection ${this.id} to ${this.label} is closed; reconnect before sending.`);
    }
    return new TcpError(
      'NOT_WRITABLE',
      `Connection ${this.id} to ${this.label} was half-closed by us (end), so it cannot send any more; open a new connection to send again.`,
    );
  }

  private closedBeforeSentError(): TcpError {
    return new TcpError(
      'CLOSED',
      `Connection ${this.id} to ${this.label} closed before the data was sent; reconnect and send it again.`,
    );
  }

  /** Hand queued sends to the socket slice by slice until node asks us to wait for 'drain'. */
  private pumpSendQueue(): void {
    const socket = this.socket;
    if (this.noDelayPending && this.sendQueueHead < this.sendQueue.length) this.applyNoDelay();
    while (this.sendQueueHead < this.sendQueue.length) {
      if (socket.destroyed) return;
      // A capture file behind the network holds sends back too, resumed by handleCaptureBackpressure.
      if (this.log.captureBackpressure) return;
      const pending = this.sendQueue[this.sendQueueHead];
      const { bytes } = pending;
      const end = Math.min(bytes.byteLength, pending.offset + SEND_SLICE_BYTES);
      const continued = pending.offset > 0;
      const slice = !continued && end === bytes.byteLength ? bytes : bytes.subarray(pending.offset, end);
      pending.offset = end;
      this.unsentBytes -= slice.byteLength;
      // Each slice is logged as it is handed to the socket, not when the kernel confirms it: a
      // request precedes its response in the log even if the reply races the callback, and a send
      // that fails midway still counts and captures what reached the socket.
      this.log.append('out', slice, continued);
      let accepted: boolean;
      if (end === bytes.byteLength) {
        this.dequeueSend();
        accepted = socket.write(slice, (err) => this.finishSend(pending, err));
        this.sendEmitter.fire(bytes);
      } else {
        accepted = socket.write(slice);
      }
      if (!accepted) {
        this.waitForDrain();
        return;
      }
    }
    // The FIN waits until every earlier send has been handed over.
    if (this.localEndRequested && !socket.writableEnded && !socket.destroyed) socket.end();
  }

  private dequeueSend(): void {
    this.sendQueue[this.sendQueueHead] = undefined as unknown as PendingSend;
    this.sendQueueHead++;
    if (this.sendQueueHead === this.sendQueue.length) {
      this.sendQueue = [];
      this.sendQueueHead = 0;
    } else if (this.sendQueueHead > 1024 && this.sendQueueHead * 2 > this.sendQueue.length) {
      this.sendQueue = this.sendQueue.slice(this.sendQueueHead);
      this.sendQueueHead = 0;
    }
  }

  private finishSend(pending: PendingSend, err: Error | null | undefined): void {
    if (err) {
      pending.reject(this.sendError(err));
      return;
    }
    pending.resolve();
  }

  private sendError(err: Error): TcpError {
    return this.currentState === 'closed' || this.socket.destroyed
      ? (this.errorForClose ?? this.closedBeforeSentError())
      : describeSocketError(err, { op: 'send', host: this.host, port: this.port });
  }

  private rejectUnsent(): void {
    const queue = this.sendQueue;
    const head = this.sendQueueHead;
    this.sendQueue = [];
    this.sendQueueHead = 0;
    this.unsentBytes = 0;
    // Most connections close with nothing pending: build the error (and its stack) only when needed.
    if (head === queue.length) return;
    const err = this.errorForClose ?? this.closedBeforeSentError();
    for (let i = head; i < queue.length; i++) queue[i].reject(err);
  }
}
