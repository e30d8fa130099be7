// TCP Lab's public API, as `activate` returns it: what another extension gets from
// `vscode.extensions.getExtension('tcp-lab.tcp-lab')?.activate()`. This file imports nothing, so an
// extension can copy it as it is and type the exports with it (see docs/api.md). Sockets opened
// here are TCP Lab's own: they show in its Connections view and traffic panel like any other.

/** VS Code's event shape: subscribe with a listener, dispose the result to unsubscribe. */
export type TcpLabEvent<T> = (listener: (e: T) => unknown) => { dispose(): unknown };

/** One end of a socket. */
export interface TcpLabEndpoint {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

/** `in`: received from the peer; `out`: written by TCP Lab. */
export type TcpLabDirection = 'in' | 'out';

/** One chunk on one connection, as TCP Lab's traffic log records it. */
export interface TcpLabTrafficRecord {
  connectionId: string;
  /** 1-based and gap-free per connection. */
  seq: number;
  /** Epoch milliseconds. */
  time: number;
  direction: TcpLabDirection;
  /** The bytes as they went over the wire; do not modify them. */
  bytes: Uint8Array;
}

/** Why a connection closed: by TCP Lab, ended by the peer, reset, an error, or a timeout. */
export type TcpLabCloseReason = 'local' | 'peerEnded' | 'reset' | 'error' | 'timeout';

export interface TcpLabConnectionInfo {
  id: string;
  /** `client`: opened with connect(); `accepted`: a listener's peer. */
  role: 'client' | 'accepted';
  /** The listener that accepted it, for an accepted connection. */
  listenerId?: string;
  local?: TcpLabEndpoint;
  remote?: TcpLabEndpoint;
}

export interface TcpLabCloseEvent extends TcpLabConnectionInfo {
  reason: TcpLabCloseReason;
  /** One sentence when it closed on an error. */
  error?: string;
}

export interface TcpLabConnection extends TcpLabConnectionInfo {
  readonly state: 'connecting' | 'open' | 'halfClosed' | 'closed';
  /** Resolves once the bytes are handed to the socket; rejects with one sentence if they cannot be. */
  send(data: Uint8Array | string): Promise<void>;
  /** Half-close (FIN after anything queued); the peer may still send. */
  end(): void;
  /** Close now; unsent bytes are dropped. */
  close(): void;
  /** Every chunk in and out of this connection. */
  readonly onDidTraffic: TcpLabEvent<TcpLabTrafficRecord>;
  readonly onDidClose: TcpLabEvent<TcpLabCloseEvent>;
  /** Resolves when the connection has closed (at once if it already has). */
  closed(): Promise<TcpLabCloseEvent>;
}

export interface TcpLabListener {
  id: string;
  host: string;
  /** The bound port (the one the OS picked for port 0). */
  port: number;
  /** Connections it accepted that are still open, oldest first. */
  connections(): TcpLabConnection[];
  readonly onDidAccept: TcpLabEvent<TcpLabConnection>;
  /** Sends to every open client; resolves when all have it. */
  broadcast(data: Uint8Array | string): Promise<void>;
  /** Stop accepting and close its clients. */
  stop(): Promise<void>;
}

export interface TcpLabListenOptions {
  /** Default 127.0.0.1. Any other address asks the user first, as TCP Lab's Start Listener does. */
  host?: string;
  /** 0 lets the OS pick a free port. */
  port: number;
}

export interface TcpLabConnectOptions {
  host: string;
  port: number;
  /** Milliseconds to wait for the handshake; default: the tcpLab.connection.connectTimeout setting. */
  timeoutMs?: number;
}

export interface TcpLabApi {
  /** Bumped on an incompatible change; additions keep it. */
  readonly apiVersion: 1;
  listen(options: TcpLabListenOptions): Promise<TcpLabListener>;
  connect(options: TcpLabConnectOptions): Promise<TcpLabConnection>;
  /** Open connections (any source: commands, .tcp files, other extensions), oldest first. */
  connections(): TcpLabConnection[];
  listeners(): TcpLabListener[];
  /** A connection opened or was accepted, whoever started it. */
  readonly onDidOpenConnection: TcpLabEvent<TcpLabConnection>;
  readonly onDidCloseConnection: TcpLabEvent<TcpLabCloseEvent>;
  /** Every chunk on every connection; subscribe to one connection's onDidTraffic for less. */
  readonly onDidTraffic: TcpLabEvent<TcpLabTrafficRecord>;
  /** Opens TCP Lab's traffic panel on a connection or listener (what Serial Monitor's startMonitoringTCPConnection shows). */
  showTraffic(id: string): Promise<void>;
}
