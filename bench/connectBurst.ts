// Scenario: many clients connect to one listener at once; measures the time until every client is open
// and every connection has been accepted, with TCP Lab's core (registry, as the extension uses it) and
// with raw node:net.
import * as net from 'node:net';
import { shippedCore } from './shippedCore';
import { closeRaw, listenRaw, LOOPBACK } from './loopback';

export interface BurstRun {
  seconds: number;
  /** CPU time (user + system) of this process during the burst: the engine's own cost, less exposed to scheduling noise. */
  cpuMs: number;
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
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
  const cpuStart = process.cpuUsage();
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
  const cpuMs = cpuMsSince(cpuStart);
  for (const socket of sockets) {
    socket.destroy();
  }
  await closeRaw(server, accepted);
  return { seconds, cpuMs };
}

export async function burstOurs(clients: number): Promise<BurstRun> {
  // Loaded (and bundled, once) before anything is measured.
  const { Registry } = shippedCore();
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
    const cpuStart = process.cpuUsage();
    const opened = Array.from({ length: clients }, () => registry.connect({ host: LOOPBACK, port }));
    await Promise.all([...opened, acceptedAll]);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpuMs = cpuMsSince(cpuStart);
    if (registry.connections().length !== 2 * clients) {
      throw new Error(`registry holds ${registry.connections().length} open connections, expected ${2 * clients}`);
    }
    return { seconds, cpuMs };
  } finally {
    await registry.stopAll();
    registry.dispose();
  }
}
