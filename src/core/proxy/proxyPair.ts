// One proxied conversation: the client connection a proxy's listener accepted (registered, so the
// tree, panel, history, capture and pcapng export all see it) and a plain socket to the upstream
// server (not registered: it is this connection's other half, described by `Connection.proxy`).
// Two RelayStreams carry the bytes, one per direction; the client's log tells both: 'in' = client →
// upstream as received, 'out' = upstream → client as written.
import { connect as netConnect, isIPv6, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ProxyPairInfo, ToxicStream } from '../../shared/toxics';
import type { Connection } from '../connection';
import { describeSocketError, formatHostPort, TcpError } from '../errors';
import type { Disposable } from '../events';
import { describeTlsError, serverNameFor, type PreparedTls } from '../tls';
import type { Endpoint } from '../types';
import { PairToxic, type ProxyToxic } from './pairToxic';
import { RelayStream, type RelayEnds } from './relayStream';
import type { ResolvedFraming } from '../../shared/framing';

/** The read-hold reasons a pair takes on its client: the upstream is not connected yet / is full. */
export const READ_HOLD_UPSTREAM_CONNECTING = 'upstream connecting';
export const READ_HOLD_UPSTREAM_FULL = 'upstream full';

/** How long the upstream may take to accept before the client is closed. */
export const UPSTREAM_CONNECT_TIMEOUT_MS = 10_000;

/** What a pair needs from its proxy. */
export interface PairSetup {
  proxyName: string;
  upstreamHost: string;
  upstreamPort: number;
  /** TLS towards the upstream (a `tls://` upstream), prepared (files read) when the proxy started. */
  upstreamTls?: PreparedTls;
  /** The pair's number within its proxy (1, 2, …): seeds the toxics' draws. */
  pairNumber: number;
  toxics: readonly ProxyToxic[];
  framing: (stream: ToxicStream) => ResolvedFraming | undefined;
  /** One line per event worth printing (tcp-lab serve): connection, fault, upstream failure. */
  announce: (line: string, fault?: string) => void;
}

function endpointOf(address: string | undefined, port: number | undefined): Endpoint | undefined {
  if (address === undefined || port === undefined) return undefined;
  return { address, port, family: isIPv6(address) ? 'IPv6' : 'IPv4' };
}

export class ProxyPair implements Disposable {
  readonly info: ProxyPairInfo;
  private readonly upstream: Socket;
  private readonly toUpstream: RelayStream;
  private readonly toClient: RelayStream;
  private pairToxics: PairToxic[] = [];
  private connectingHold: Disposable | undefined;
  private fullHold: Disposable | undefined;
  private upstreamOpen = false;
  private upstreamResetSeen = false;
  private closed = false;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly client: Connection, private readonly setup: PairSetup) {
    const upstreamLabel = `${setup.upstreamTls ? 'tls://' : ''}${formatHostPort(setup.upstreamHost, setup.upstreamPort)}`;
    this.info = { proxyName: setup.proxyName, upstream: upstreamLabel, upstreamState: 'connecting', bytesToUpstream: 0, bytesFromUpstream: 0, faultsApplied: [] };
    client.setProxy(this.info);
    const log = client.log;
    const upstreamEnds: RelayEnds = {
      dir: 'in',
      log,
      write: (bytes) => {
        this.info.bytesToUpstream += bytes.byteLength;
        return this.upstream.write(bytes);
      },
      whenDrained: (callback) => this.whenUpstreamDrained(callback),
      end: () => {
        if (!this.upstream.destroyed) this.upstream.end();
      },
      pauseSource: () => (this.fullHold ??= client.holdReading(READ_HOLD_UPSTREAM_FULL)),
      resumeSource: () => {
        const hold = this.fullHold;
        this.fullHold = undefined;
        hold?.dispose();
      },
      resetPair: (by) => this.resetPair(by, 'in'),
      closePair: (by) => this.closePair(by, 'in'),
      announce: (line) => setup.announce(`${client.id}: ${line}`),
    };
    const clientEnds: RelayEnds = {
      dir: 'out',
      log,
      write: (bytes, fault, injected) => client.relay(bytes, fault, injected),
      whenDrained: (callback) => client.whenDrained(callback),
      end: () => client.end(),
      pauseSource: () => this.upstream.pause(),
      resumeSource: () => {
        if (!this.upstream.destroyed) this.upstream.resume();
      },
      resetPair: (by) => this.resetPair(by, 'out'),
      closePair: (by) => this.closePair(by, 'out'),
      announce: (line) => setup.announce(`${client.id}: ${line}`),
    };
    this.toUpstream = new RelayStream(upstreamEnds, () => setup.framing('upstream'));
    this.toClient = new RelayStream(clientEnds, () => setup.framing('downstream'));

    // Nothing is read from the client until the upstream accepts: TCP flow control holds its bytes.
    this.connectingHold = client.holdReading(READ_HOLD_UPSTREAM_CONNECTING);
    client.tapReceived((chunk) => this.toUpstream.receive(chunk));
    client.onDidChangeState(() => {
      if (client.remoteEnded && this.upstreamOpen) this.toUpstream.end();
    });
    client.onDidClose((event) => this.clientClosed(event.reason === 'reset'));

    this.upstream = this.openUpstream();
    this.setToxics(setup.toxics);
  }

  /** Live: the proxy's toxics changed. Kept toxics keep their draw and state; new ones draw now. */
  setToxics(toxics: readonly ProxyToxic[]): void {
    if (this.closed) return;
    const previous = this.pairToxics;
    this.pairToxics = toxics.map((shared) => previous.find((toxic) => toxic.shared === shared) ?? new PairToxic(shared, this.setup.pairNumber));
    for (const toxic of previous) if (!this.pairToxics.includes(toxic)) toxic.dispose();
    const active = this.pairToxics.filter((toxic) => toxic.active);
    this.info.faultsApplied = active.map((toxic) => toxic.name);
    this.toUpstream.setToxics(active.filter((toxic) => toxic.definition.stream === 'upstream'));
    this.toClient.setToxics(active.filter((toxic) => toxic.definition.stream === 'downstream'));
    this.client.setProxy(this.info);
  }

  /**
   * Adds bytes to one direction of the open pair (the panel's "inject"): `upstream` sends them to the
   * server as if the client had, `downstream` to the client; they queue behind what is in flight,
   * no toxic acts on them, and the log marks them injected.
   */
  inject(stream: ToxicStream, bytes: Uint8Array): void {
    if (this.closed) {
      throw new TcpError('PAIR_CLOSED', `Proxy pair ${this.client.id} is closed, so nothing can be injected; open a new connection through the proxy.`);
    }
    if (stream === 'upstream' && !this.upstreamOpen) {
      throw new TcpError('PAIR_CONNECTING', `The upstream of proxy pair ${this.client.id} is not connected yet; wait until it is open, then inject.`);
    }
    (stream === 'upstream' ? this.toUpstream : this.toClient).inject(bytes);
  }

  dispose(): void {
    this.client.destroy();
    this.upstream.destroy();
  }

  private openUpstream(): Socket {
    const { upstreamHost: host, upstreamPort: port, upstreamTls } = this.setup;
    let socket: Socket;
    if (upstreamTls) {
      const prepared = upstreamTls;
      socket = tlsConnect({
        host,
        port,
        secureContext: prepared.secureContext,
        servername: serverNameFor(prepared.options, host),
        ALPNProtocols: prepared.options.alpn,
        rejectUnauthorized: !prepared.options.insecure,
      });
      socket.once('secureConnect', () => this.upstreamConnected());
    } else {
      socket = netConnect({ host, port, allowHalfOpen: true, noDelay: true });
      socket.once('connect', () => this.upstreamConnected());
    }
    this.connectTimer = setTimeout(() => socket.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })), UPSTREAM_CONNECT_TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => {
      this.info.bytesFromUpstream += chunk.byteLength;
      this.toClient.receive(chunk);
    });
    socket.on('end', () => {
      this.setUpstreamState('halfClosed');
      this.toClient.end();
    });
    socket.on('error', (err) => this.upstreamError(err));
    socket.on('close', () => this.upstreamClosed());
    return socket;
  }

  private upstreamConnected(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    if (this.closed) {
      this.upstream.destroy();
      return;
    }
    this.upstreamOpen = true;
    this.info.upstreamLocal = endpointOf(this.upstream.localAddress, this.upstream.localPort);
    this.info.upstreamRemote = endpointOf(this.upstream.remoteAddress, this.upstream.remotePort);
    this.setUpstreamState('open');
    const hold = this.connectingHold;
    this.connectingHold = undefined;
    hold?.dispose();
    if (this.client.remoteEnded) this.toUpstream.end();
  }

  private upstreamError(err: Error): void {
    const code = (err as { code?: string }).code;
    if (!this.upstreamOpen) {
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
      const { upstreamHost: host, upstreamPort: port } = this.setup;
      const tlsProblem = this.setup.upstreamTls !== undefined && code !== undefined && !code.startsWith('E');
      const described = tlsProblem ? describeTlsError(err, 'client', host, port) : describeSocketError(err, { op: 'connect', host, port, timeoutMs: UPSTREAM_CONNECT_TIMEOUT_MS });
      const line = `${described.message.replace(/\.$/, '')}; proxy "${this.setup.proxyName}" closed client ${this.client.label} and keeps listening.`;
      this.info.upstreamError = line;
      this.setUpstreamState('failed');
      this.client.log.appendNote('in', line);
      this.setup.announce(`${this.client.id}: ${line}`);
      this.closed = true;
      this.toUpstream.close();
      this.toClient.close();
      this.client.destroy();
      return;
    }
    if (code === 'ECONNRESET' || code === 'EPIPE') this.upstreamResetSeen = true;
    if (this.info.upstreamError === undefined) {
      this.info.upstreamError = describeSocketError(err, { op: 'send', host: this.setup.upstreamHost, port: this.setup.upstreamPort }).message;
    }
  }

  private upstreamClosed(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    if (this.info.upstreamState !== 'failed') this.setUpstreamState('closed');
    if (this.closed) return;
    if (this.upstreamResetSeen) {
      // The server reset: the client hears a reset too, as it would without the proxy.
      this.client.log.appendNote('out', `The upstream ${this.info.upstream} reset the connection, so the client is reset too.`);
      this.finish();
      this.client.reset();
      return;
    }
    // The upstream is gone (both FINs, or it closed): what it sent still reaches the client, then FIN.
    this.toClient.end();
  }

  private clientClosed(reset: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.connectingHold?.dispose();
    this.toClient.close();
    if (reset) {
      this.toUpstream.close();
      if (!this.upstream.destroyed) this.upstream.resetAndDestroy();
      return;
    }
    // What the client sent is already on its way to the upstream; FIN it, and let the socket go then.
    this.toUpstream.close();
    if (!this.upstream.destroyed) {
      this.upstream.end();
      this.upstream.once('finish', () => this.upstream.destroy());
      // A server that never reads cannot hold the socket open forever.
      setTimeout(() => this.upstream.destroy(), 5000).unref();
    }
  }

  private resetPair(by: string, dir: 'in' | 'out'): void {
    if (this.closed) return;
    this.client.log.appendNote(dir, by, { fault: by });
    this.setup.announce(`${this.client.id}: ${by}`, by);
    this.finish();
    if (!this.upstream.destroyed) this.upstream.resetAndDestroy();
    this.client.reset();
  }

  private closePair(by: string, dir: 'in' | 'out'): void {
    if (this.closed) return;
    this.client.log.appendNote(dir, by, { fault: by });
    this.setup.announce(`${this.client.id}: ${by}`, by);
    this.finish();
    this.upstream.destroy();
    this.client.destroy();
  }

  private finish(): void {
    this.closed = true;
    this.connectingHold?.dispose();
    this.toUpstream.close();
    this.toClient.close();
  }

  private whenUpstreamDrained(callback: () => void): void {
    const socket = this.upstream;
    if (socket.destroyed || !socket.writableNeedDrain) {
      callback();
      return;
    }
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      callback();
    };
    socket.on('drain', done);
    socket.on('close', done);
  }

  private setUpstreamState(state: ProxyPairInfo['upstreamState']): void {
    if (this.info.upstreamState === state) return;
    this.info.upstreamState = state;
    this.client.setProxy(this.info);
  }
}
