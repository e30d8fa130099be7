// Runs from the editor open their sockets through the Registry, so a block's connection shows in
// the Connections tree and the traffic panel while it runs, like any other connection.
import type { SocketFactory } from '../core/tcpFile/runner';
import type { ConnectionRole, ConnectionState, Endpoint } from '../core/types';
import type { Event } from '../core/events';
import type { CloseReason } from '../core/types';

/** INTERIM: the slice of the engine's Registry used here, until src/core/registry.ts lands on main. */
export interface TcpFileConnection {
  readonly id: string;
  readonly role: ConnectionRole;
  readonly state: ConnectionState;
  readonly remote?: Endpoint;
  readonly onDidReceive: Event<Uint8Array>;
  readonly onDidClose: Event<{ reason: CloseReason }>;
  send(bytes: Uint8Array): Promise<void>;
  destroy(): void;
}
export interface TcpFileListener {
  readonly id: string;
  readonly host: string;
  readonly requestedPort: number;
  readonly address: Endpoint | undefined;
  readonly connections: readonly TcpFileConnection[];
  readonly onDidAccept: Event<TcpFileConnection>;
  broadcast(bytes: Uint8Array): Promise<void>;
  stop(options?: { closeConnections?: boolean }): Promise<void>;
}
export interface Registry {
  connect(options: { host: string; port: number; timeoutMs?: number }): Promise<TcpFileConnection>;
  listen(options: { host?: string; port: number }): Promise<TcpFileListener>;
  connections(): TcpFileConnection[];
  listeners(): TcpFileListener[];
}

export function registrySockets(registry: Registry): SocketFactory {
  return {
    connect: (options) => registry.connect(options),
    listen: (options) => registry.listen(options),
  };
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Does an endpoint the engine reports match the host written in the file (`localhost` included)? */
export function sameHost(written: string, actual: string): boolean {
  if (written === actual) return true;
  return written === 'localhost' && LOOPBACK.has(actual);
}
