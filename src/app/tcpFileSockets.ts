// Runs from the editor open their sockets through the Registry, so a block's connection shows in
// the Connections tree and the traffic panel while it runs, like any other connection.
import type { Registry } from '../core/registry';
import type { SocketFactory } from '../core/tcpFile/runner';

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
