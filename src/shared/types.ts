// The engine's public vocabulary, defined once for the engine, the host and the webview: the core
// re-exports it (core/types.ts) and the panel protocol carries it as it is.

export type AddressFamily = 'IPv4' | 'IPv6';

/** One end of a socket: what Qt calls serverAddress()/serverPort() or peerAddress()/peerPort(). */
export interface Endpoint {
  address: string;
  family: AddressFamily;
  port: number;
}

/** connecting → open → halfClosed (one side ended) → closed. */
export type ConnectionState = 'connecting' | 'open' | 'halfClosed' | 'closed';

/** Why a connection closed: by us, ended by the peer, reset, an error, or a timeout. */
export type CloseReason = 'local' | 'peerEnded' | 'reset' | 'error' | 'timeout';

/** `in` = received from the peer, `out` = written by us. */
export type Direction = 'in' | 'out';

/** Outgoing connections are `client`; those a listener accepted are `accepted`. */
export type ConnectionRole = 'client' | 'accepted';

export interface TrafficTotals {
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
}
