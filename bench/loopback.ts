// Raw node:net helpers shared by the baseline halves of the benchmarks.
import * as net from 'node:net';
import { once } from 'node:events';

export const LOOPBACK = '127.0.0.1';

export async function listenRaw(onConnection: (socket: net.Socket) => void): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer(onConnection);
  server.listen(0, LOOPBACK);
  await once(server, 'listening');
  return { server, port: (server.address() as net.AddressInfo).port };
}

export async function connectRaw(port: number, noDelay = false): Promise<net.Socket> {
  const socket = net.connect({ host: LOOPBACK, port, noDelay });
  await once(socket, 'connect');
  return socket;
}

/** Close a server after destroying every socket it accepted, and wait until it is fully gone. */
export async function closeRaw(server: net.Server, sockets: Iterable<net.Socket>): Promise<void> {
  for (const socket of sockets) {
    socket.destroy();
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Resolves after pending socket callbacks and close events have run, so one run's cleanup does not bleed into the next timing. */
export function settle(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
