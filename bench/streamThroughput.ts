// Scenario: stream a large payload client → listener over loopback, the same way with TCP Lab's core
// at both ends (traffic log recording on both, default limits), with a raw node:net client streaming
// into TCP Lab's listener (one log), and with raw node:net at both ends; measures throughput, CPU and
// the peak RSS growth during the transfer.
import type * as net from 'node:net';
import { once } from 'node:events';
import { shippedCore } from './shippedCore';
import type { Connection } from '../src/core/connection';
import { closeRaw, connectRaw, listenRaw, LOOPBACK } from './loopback';
import { MemorySampler } from './memorySampler';

export interface StreamRun {
  seconds: number;
  mibPerSecond: number;
  rssGrowthMiB: number;
  /** CPU time (user + system) this process spent per GiB moved: steadier than wall time on a busy machine. */
  cpuMsPerGiB: number;
}

interface RunStart {
  wallNs: bigint;
  cpu: NodeJS.CpuUsage;
}

function startClock(): RunStart {
  return { wallNs: process.hrtime.bigint(), cpu: process.cpuUsage() };
}

function result(totalBytes: number, start: RunStart, sampler: MemorySampler): StreamRun {
  const seconds = Number(process.hrtime.bigint() - start.wallNs) / 1e9;
  const cpu = process.cpuUsage(start.cpu);
  return {
    seconds,
    mibPerSecond: totalBytes / 2 ** 20 / seconds,
    rssGrowthMiB: sampler.stop() / 2 ** 20,
    cpuMsPerGiB: (cpu.user + cpu.system) / 1000 / (totalBytes / 2 ** 30),
  };
}

/**
 * The template every sent chunk is copied from: a fresh copy per write, as a real sender (a file, a
 * generator) produces new buffers, so the sending side's traffic log really retains its bytes.
 */
function makeChunk(size: number): Uint8Array {
  const chunk = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    chunk[i] = (i * 31 + 7) & 0xff;
  }
  return chunk;
}

export async function streamRaw(totalBytes: number, chunkSize: number): Promise<StreamRun> {
  const chunk = makeChunk(chunkSize);
  const sampler = new MemorySampler();
  let received = 0;
  const accepted: net.Socket[] = [];
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const { server, port } = await listenRaw((socket) => {
    accepted.push(socket);
    socket.on('data', (data: Buffer) => {
      received += data.length;
      if (received >= totalBytes) {
        finished();
      }
    });
  });
  const client = await connectRaw(port);
  const start = startClock();
  for (let sent = 0; sent < totalBytes; sent += chunkSize) {
    // The usual backpressure idiom: keep writing until the socket buffer is full, then wait for drain.
    if (!client.write(chunk.slice())) {
      await once(client, 'drain');
    }
  }
  await done;
  const run = result(totalBytes, start, sampler);
  if (received !== totalBytes) {
    throw new Error(`raw stream received ${received} of ${totalBytes} bytes`);
  }
  client.destroy();
  await closeRaw(server, accepted);
  return run;
}

/** A TCP Lab listener whose `done` resolves once `totalBytes` have arrived on its (single) client. */
async function listenUntil(registry: InstanceType<ReturnType<typeof shippedCore>['Registry']>, totalBytes: number) {
  let received = 0;
  let acceptedConnection: Connection | undefined;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const listener = await registry.listen({ host: LOOPBACK, port: 0 });
  listener.onDidAccept((connection) => {
    acceptedConnection = connection;
    // A count, not the bytes: a receive listener gets a copy of every read (it may keep them), which
    // would measure that copy instead of the listener as the extension runs it (bytes into the log).
    connection.onDidArrive((bytes) => {
      received += bytes;
      if (received >= totalBytes) finished();
    });
  });
  return { listener, done, accepted: () => acceptedConnection };
}

/**
 * The common case: a device or app under test (here a plain node:net client, writing the way the raw
 * baseline does) streams into a TCP Lab listener, so only the receiving end has a traffic log.
 */
export async function streamRawIntoOurs(totalBytes: number, chunkSize: number): Promise<StreamRun> {
  // Loaded (and bundled, once) before anything is measured.
  const { Registry } = shippedCore();
  const chunk = makeChunk(chunkSize);
  const sampler = new MemorySampler();
  const registry = new Registry();
  try {
    const { listener, done, accepted } = await listenUntil(registry, totalBytes);
    const client = await connectRaw(listener.address?.port ?? 0);
    const start = startClock();
    for (let sent = 0; sent < totalBytes; sent += chunkSize) {
      if (!client.write(chunk.slice())) {
        await once(client, 'drain');
      }
    }
    await done;
    const run = result(totalBytes, start, sampler);
    client.destroy();
    if (accepted()?.totals.bytesIn !== totalBytes) {
      throw new Error(`core listener counted in=${accepted()?.totals.bytesIn} of ${totalBytes} bytes`);
    }
    return run;
  } finally {
    registry.dispose();
  }
}

export async function streamOurs(totalBytes: number, chunkSize: number): Promise<StreamRun> {
  // Loaded (and bundled, once) before anything is measured.
  const { Registry } = shippedCore();
  const chunk = makeChunk(chunkSize);
  const sampler = new MemorySampler();
  const registry = new Registry();
  try {
    const { listener, done, accepted } = await listenUntil(registry, totalBytes);
    const client = await registry.connect({ host: LOOPBACK, port: listener.address?.port ?? 0 });
    const start = startClock();
    for (let sent = 0; sent < totalBytes; sent += chunkSize) {
      // send() resolves once the bytes are handed to the kernel: the engine's backpressure idiom.
      await client.send(chunk.slice());
    }
    await done;
    const run = result(totalBytes, start, sampler);
    // The counters must be exact even though the log evicted almost every record.
    if (accepted()?.totals.bytesIn !== totalBytes || client.totals.bytesOut !== totalBytes) {
      throw new Error(`core stream counted in=${accepted()?.totals.bytesIn} out=${client.totals.bytesOut} of ${totalBytes} bytes`);
    }
    return run;
  } finally {
    registry.dispose();
  }
}
