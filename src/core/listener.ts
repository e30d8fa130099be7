// A listening TCP server (what Qt calls QTcpServer): binds 127.0.0.1 unless told otherwise, accepts
// any number of clients up to an optional cap, and wraps each accepted socket in a Connection. A TLS
// listener (tls://) runs each client's handshake first and hands over only finished sessions.
import { createServer, isIPv6, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { TlsOptions } from '../shared/tls';
import type { ProxyListenerInfo } from '../shared/toxics';
import { Connection, type SocketOptions } from './connection';
import { describeSocketError, TcpError, validateHost, validatePort } from './errors';
import { Emitter, type Disposable, type Event } from './events';
import { createTlsAcceptor, describeSession, expectNoPeerCertificate, describeTlsError, KeyLogWriter, prepareTls, tcpSocketUnder, verifyPeer, type PreparedTls, type TlsSetup } from './tls';
import type { TrafficLogLimits } from './trafficLog';
import type { Endpoint, TrafficTotals } from './types';

export interface ListenOptions {
  /** Default '127.0.0.1': nothing is exposed to the network unless the user asks for it. */
  host?: string;
  /** 0 lets the OS pick a free port; `address.port` then tells which one. */
  port: number;
  /** Peers beyond this many open connections are closed at once and reported by onDidReject. */
  maxConnections?: number;
  /** With host '::', accept IPv6 peers only (no IPv4-mapped ones). */
  ipv6Only?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  /** Default true: accepted connections stay 'halfClosed' after the peer's FIN; false ends them too. */
  allowHalfOpen?: boolean;
  log?: Partial<TrafficLogLimits>;
  /** Speak TLS: every client's handshake must finish before it is accepted. */
  tls?: TlsSetup;
  /** Append NSS key-log lines of every TLS session to this file (for Wireshark). */
  keyLogFile?: string;
}

export const DEFAULT_LISTEN_HOST = '127.0.0.1';

let listenerCounter = 0;

function nextListenerId(): string {
  listenerCounter++;
  return `L${listenerCounter}`;
}

/** A listener bound to one of these accepts on every local address, so each socket's own must be asked. */
function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '::0' || address === '0:0:0:0:0:0:0:0';
}

function validateMaxConnections(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TcpError(
      'INVALID_MAX_CONNECTIONS',
      `Maximum connections ${String(value)} is not valid; enter a whole number of 0 or more, or leave it empty for no limit.`,
    );
  }
  return value;
}

export class Listener implements Disposable {
  /** Start listening; resolves once bound, rejects with a TcpError (port in use, bad host, …). */
  static async listen(options: ListenOptions): Promise<Listener> {
    const host = validateHost(options.host ?? DEFAULT_LISTEN_HOST);
    const port = validatePort(options.port, 'listen');
    const maxConnections = validateMaxConnections(options.maxConnections);
    const prepared = options.tls ? prepareTls(options.tls, 'listener') : undefined;
    // Plain clients arrive paused: Connection.accept moves each onto a socket that reads into its
    // log's store (socketReads.ts) before anything is read. A TLS acceptor reads them itself.
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: prepared === undefined });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        server.close();
        reject(describeSocketError(err, { op: 'listen', host, port }));
      };
      server.once('error', onError);
      try {
        server.listen({ host, port, ipv6Only: options.ipv6Only ?? false }, () => {
          server.off('error', onError);
          resolve();
        });
      } catch (err) {
        // node validates some options synchronously; those must reject like every other failure.
        onError(err as Error);
      }
    });
    return new Listener(server, host, port, maxConnections, options, prepared);
  }

  readonly id = nextListenerId();
  readonly host: string;
  readonly requestedPort: number;
  readonly startedAt = Date.now();
  readonly maxConnections: number | undefined;
  /** The TLS options of a TLS listener (file paths, never secrets); undefined for plain TCP. */
  readonly tls: TlsOptions | undefined;

  private readonly server: Server;
  private readonly boundAddress: Endpoint | undefined;
  private readonly socketOptions: SocketOptions;
  private readonly open = new Set<Connection>();
  private stopped = false;
  private stoppedTime: number | undefined;
  private accepted = 0;
  /** What clients that have closed exchanged; the live ones are added on read, so totals stay exact. */
  private readonly closedTotals: TrafficTotals = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };
  private serverClosed: Promise<void> | undefined;
  private readonly tlsAcceptor: TlsServer | undefined;
  /** TCP sockets whose TLS handshake is still running: when it began and who the peer is. */
  private readonly handshaking = new Map<Socket, { started: number; host: string; port: number }>();

  private readonly acceptEmitter = new Emitter<Connection>();
  private readonly rejectEmitter = new Emitter<Endpoint>();
  private readonly stopEmitter = new Emitter<void>();
  private readonly errorEmitter = new Emitter<TcpError>();
  readonly onDidAccept: Event<Connection> = this.acceptEmitter.event;
  /** A peer closed at once because maxConnections open connections already exist. */
  readonly onDidReject: Event<Endpoint> = this.rejectEmitter.event;
  readonly onDidStop: Event<void> = this.stopEmitter.event;
  readonly onDidError: Event<TcpError> = this.errorEmitter.event;
  private proxyInfo: ProxyListenerInfo | undefined;
  private readonly infoEmitter = new Emitter<void>();
  /** What the tree shows beyond listening changed: a proxy's definition (see `proxy`). */
  readonly onDidChangeInfo: Event<void> = this.infoEmitter.event;

  /** For a proxy's listening socket: the proxy it serves (kept current by the proxy). */
  get proxy(): ProxyListenerInfo | undefined {
    return this.proxyInfo;
  }

  /** Marks this listener as a proxy's, or tells listeners the proxy's definition changed. */
  setProxy(info: ProxyListenerInfo): void {
    this.proxyInfo = info;
    this.infoEmitter.fire();
  }

  private constructor(server: Server, host: string, port: number, maxConnections: number | undefined, options: ListenOptions, prepared?: PreparedTls) {
    this.server = server;
    this.tls = prepared?.options;
    this.host = host;
    this.requestedPort = port;
    this.maxConnections = maxConnections;
    const info = server.address() as AddressInfo | null;
    this.boundAddress = info ? { address: info.address, family: isIPv6(info.address) ? 'IPv6' : 'IPv4', port: info.port } : undefined;
    this.socketOptions = {
      noDelay: options.noDelay,
      keepAlive: options.keepAlive,
      allowHalfOpen: options.allowHalfOpen,
      log: options.log,
      keyLogFile: options.keyLogFile,
      boundLocal: this.boundAddress && !isWildcard(this.boundAddress.address) ? this.boundAddress : undefined,
    };
    if (prepared) {
      const keyLog = options.keyLogFile ? new KeyLogWriter(options.keyLogFile, (err) => this.errorEmitter.fire(err)) : undefined;
      const acceptor = createTlsAcceptor(prepared, keyLog);
      acceptor.on('secureConnection', (secure: TLSSocket) => this.handleSecure(secure));
      acceptor.on('tlsClientError', (err: Error, secure: TLSSocket) => this.handleHandshakeError(err, secure));
      this.tlsAcceptor = acceptor;
    }
    server.on('connection', (socket) => this.handleSocket(socket));
    server.on('error', (err) => this.errorEmitter.fire(describeSocketError(err, { op: 'listen', host, port: this.address?.port ?? port })));
  }

  /** Where the listener is bound (kept after stop, for display). */
  get address(): Endpoint | undefined {
    return this.boundAddress;
  }

  get listening(): boolean {
    return !this.stopped && this.server.listening;
  }

  /** When stop() was called, for the history. */
  get stoppedAt(): number | undefined {
    return this.stoppedTime;
  }

  /** Clients accepted over the listener's life (refused ones not counted). */
  get acceptedCount(): number {
    return this.accepted;
  }

  /** Bytes and messages each way over the listener's life, including clients that have left. */
  get totals(): TrafficTotals {
    const totals = { ...this.closedTotals };
    for (const connection of this.open) {
      const live = connection.totals;
      totals.bytesIn += live.bytesIn;
      totals.bytesOut += live.bytesOut;
      totals.messagesIn += live.messagesIn;
      totals.messagesOut += live.messagesOut;
    }
    return totals;
  }

  /** Accepted connections that are not closed yet, oldest first. */
  get connections(): readonly Connection[] {
    return [...this.open];
  }

  /** Send the same bytes to every connection that can still send; rejects with the first failure. */
  async broadcast(bytes: Uint8Array): Promise<void> {
    const targets = [...this.open].filter((connection) => connection.writable);
    const results = await Promise.allSettled(targets.map((connection) => connection.send(bytes)));
    for (const result of results) {
      if (result.status === 'rejected') throw result.reason;
    }
  }

  /**
   * Stop accepting. With closeConnections the accepted connections are closed too and the promise
   * waits until they are; otherwise they stay open and usable.
   */
  async stop(options: { closeConnections?: boolean } = {}): Promise<void> {
    const closing: Promise<unknown>[] = [];
    // A client still in its handshake is not a connection yet: stopping drops it.
    for (const socket of this.handshaking.keys()) socket.destroy();
    this.handshaking.clear();
    if (options.closeConnections) {
      for (const connection of [...this.open]) {
        connection.destroy();
        closing.push(connection.waitForClose());
      }
    }
    if (!this.stopped) {
      this.stopped = true;
      this.stoppedTime = Date.now();
      // close() releases the port at once; its callback waits for every accepted socket to end.
      this.serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.stopEmitter.fire();
    }
    if (options.closeConnections) {
      // The server's own close can come before the sockets' 'close' events, so wait for both.
      await Promise.all([this.serverClosed, ...closing]);
    } else {
      // Give libuv one turn to finish closing the listening handle.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Stop and close every accepted connection. */
  dispose(): void {
    void this.stop({ closeConnections: true });
    this.acceptEmitter.dispose();
    this.rejectEmitter.dispose();
    this.stopEmitter.dispose();
    this.errorEmitter.dispose();
  }

  private handleSocket(socket: Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    if (this.maxConnections !== undefined && this.open.size >= this.maxConnections) {
      const peer: Endpoint = {
        address: socket.remoteAddress ?? '',
        family: isIPv6(socket.remoteAddress ?? '') ? 'IPv6' : 'IPv4',
        port: socket.remotePort ?? 0,
      };
      // The peer may reset while we close; nobody else listens on this socket.
      socket.on('error', () => undefined);
      socket.destroy();
      this.rejectEmitter.fire(peer);
      return;
    }
    if (this.tlsAcceptor) {
      this.handshaking.set(socket, { started: performance.now(), host: socket.remoteAddress ?? 'a client', port: socket.remotePort ?? 0 });
      // A FIN in the middle of a handshake must end it, not leave it waiting half-open (see handleSecure).
      socket.allowHalfOpen = false;
      this.tlsAcceptor.emit('connection', socket);
      return;
    }
    this.adopt(Connection.accept(socket, this.id, this.socketOptions));
  }

  private handleSecure(secure: TLSSocket): void {
    const tcp = tcpSocketUnder(secure);
    const started = tcp ? this.handshaking.get(tcp)?.started : undefined;
    if (tcp) this.handshaking.delete(tcp);
    if (this.stopped) {
      secure.destroy();
      tcp?.destroy();
      return;
    }
    // Half-open again once the session is up, like every other accepted connection.
    secure.allowHalfOpen = true;
    if ((this.tls?.requestCert ?? 'off') === 'off') expectNoPeerCertificate(secure);
    const info = describeSession(secure, {
      role: 'listener',
      serverName: secure.servername || undefined,
      handshakeMs: started === undefined ? 0 : performance.now() - started,
      problems: verifyPeer(secure, 'listener', undefined, secure.remoteAddress ?? ''),
    });
    this.adopt(Connection.accept(secure, this.id, this.socketOptions, { tcpSocket: tcp, info }));
  }

  /** A client whose handshake failed never becomes a connection; node has already closed it. */
  private handleHandshakeError(err: Error, secure: TLSSocket): void {
    const tcp = tcpSocketUnder(secure);
    const peer = tcp ? this.handshaking.get(tcp) : undefined;
    if (tcp) this.handshaking.delete(tcp);
    secure.destroy();
    tcp?.destroy();
    // Stopping the listener drops clients still in their handshake; that is not their error.
    if (this.stopped) return;
    this.errorEmitter.fire(describeTlsError(err, 'listener', peer?.host ?? secure.remoteAddress ?? 'a client', peer?.port ?? secure.remotePort ?? 0));
  }

  private adopt(connection: Connection): void {
    this.open.add(connection);
    this.accepted++;
    connection.onDidClose(() => {
      this.open.delete(connection);
      const final = connection.totals;
      this.closedTotals.bytesIn += final.bytesIn;
      this.closedTotals.bytesOut += final.bytesOut;
      this.closedTotals.messagesIn += final.messagesIn;
      this.closedTotals.messagesOut += final.messagesOut;
    });
    this.acceptEmitter.fire(connection);
  }
}
