// Scenario: many clients connect to one listener at once; measures the time until every client is open
// and every connection has been accepted, with TCP Lab's core (registry, as the extension uses it) and
// with raw node:net.
import * as net from 'node:net';
import { Registry } from '../src/core/registry';
import { closeRaw, listenRaw, LOOPBACK } from './loopback';

export interface BurstRun {
  seconds: number;
}

export async function burstRaw(clients: number): Promise<BurstRun> {
  const accepted: net.Socket[] = [];
  let allAccepted!: () => void;
  const acceptedAll = new Promise<void>((resolve) => (allAccepted = resolve));
  const { server, port } = await listenRaw((socket) => {
    accepted.push(socket);
    if (accepted.length === clients) {
      allAccepted();
    }
  });
  const sockets: net.Socket[] = [];
  const start = process.hrtime.bigint();
  const opened = Array.from({ length: clients }, () => {
    const socket = net.connect({ host: LOOPBACK, port });
    sockets.push(socket);
    return new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
  });
  await Promise.all([...opened, acceptedAll]);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  for (const socket of sockets) {
    socket.destroy();
  }
  await closeRaw(server, accepted);
  return { seconds };
}

export async function burstOurs(clients: number): Promise<BurstRun> {
  const registry = new Registry();
  try {
    const listener = await registry.listen({ host: LOOPBACK, port: 0 });
    const port = listener.address?.port ?? 0;
    let acceptedCount = 0;
    let allAccepted!: () => void;
    const acceptedAll = new Promise<void>((resolve) => (allAccepted = resolve));
    listener.onDidAccept(() => {
      acceptedCount++;
      if (acceptedCount === clients) {
        allAccepted();
      }
    });
    const start = process.hrtime.bigint();
    const opened = Array.from({ length: clients }, () => registry.connect({ host: LOOPBACK, port }));
    await Promise.all([...opened, acceptedAll]);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (registry.connections().length !== 2 * clients) {
      throw new Error(`registry holds ${registry.connections().length} open connections, expected ${2 * clients}`);
    }
    return { seconds };
  } finally {
    await registry.stopAll();
    registry.dispose();
  }
}
