// The engine's public vocabulary, shared by the listener, connection, registry and the host.

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
