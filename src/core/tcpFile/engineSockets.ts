// INTERIM until src/core/connection.ts and listener.ts land on main: a bare node:net stand-in with
// the runner's narrow interface. Replaced at merge time by the engine's Connection and Listener.
import * as net from 'node:net';
import { Emitter } from '../events';
import type { CloseReason, ConnectionState, Endpoint } from '../types';
import type { RunnerConnection, RunnerListener, SocketFactory } from './runner';

let nextId = 1;

class InterimConnection implements RunnerConnection {
  readonly id = `C${nextId++}`;
  state: ConnectionState = 'open';
  private readonly receive = new Emitter<Uint8Array>();
  private readonly close = new Emitter<{ reason: CloseReason }>();
  readonly onDidReceive = this.receive.event;
  readonly onDidClose = this.close.event;

  constructor(private readonly socket: net.Socket) {
    socket.on('data', (data) => this.receive.fire(new Uint8Array(data)));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.state = 'closed';
      this.close.fire({ reason: 'peerEnded' });
    });
  }

  send(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export const engineSockets: SocketFactory = {
  connect({ host, port, timeoutMs }) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`Timed out connecting to ${host}:${port}.`));
      }, timeoutMs ?? 5000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new InterimConnection(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`Could not connect to ${host}:${port} (${(err as NodeJS.ErrnoException).code}).`));
      });
    });
  },
  listen({ host, port }) {
    return new Promise((resolve, reject) => {
      const server = net.createServer();
      const accept = new Emitter<RunnerConnection>();
      const sockets = new Set<net.Socket>();
      server.on('connection', (socket) => {
        sockets.add(socket);
        accept.fire(new InterimConnection(socket));
      });
      server.once('error', reject);
      server.listen({ host: host ?? '127.0.0.1', port }, () => {
        const a = server.address() as net.AddressInfo;
        const address: Endpoint = { address: a.address, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4', port: a.port };
        const listener: RunnerListener = {
          id: 'L1',
          address,
          onDidAccept: accept.event,
          stop: () =>
            new Promise<void>((done) => {
              for (const s of sockets) s.destroy();
              server.close(() => done());
            }),
        };
        resolve(listener);
      });
    });
  },
};
