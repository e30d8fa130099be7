// Scenario: relays between a client and a server on loopback. The relay runs in a process of its own,
// either TCP Lab's proxy (bench/proxyChild.ts: the bundled engine, each pair's log recording) or
// Debian's socat (`TCP-LISTEN:…,fork,reuseaddr TCP:…`); the client and server are raw node:net in
// the benchmark's process, the same for both relays. Measures a 1 GiB stream's throughput, the
// round-trip latency a relay adds to small ping-pong messages (against the same client talking to
// the server directly), and 1,000 concurrent proxied pairs (time and the relay's peak RSS).
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { closeRaw, connectRaw, listenRaw, LOOPBACK } from './loopback';
import { bundledScript } from './shippedCore';

export interface Relay {
  kind: 'ours' | 'socat';
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Peak and current resident memory of a process, in MiB (Linux /proc). */
export function processRssMiB(pid: number): { peak: number; current: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { peak: kib('VmHWM') / 1024, current: kib('VmRSS') / 1024 };
}

let clockTicks: number | undefined;

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((text) => text !== '').map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU time (user + system) a process and its children have used so far, in ms (Linux /proc): its
 * own, that of the children it has reaped, and that of the live ones (socat relays in a child it
 * forks per connection, and the probe connection's child may exit during a run).
 */
export function processCpuMs(pid: number): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const ticks = (id: number, withReaped: boolean): number => {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${id}/stat`, 'utf8');
    } catch {
      return 0;
    }
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return fields[11] + fields[12] + (withReaped ? fields[13] + fields[14] : 0);
  };
  let total = ticks(pid, true);
  for (const child of childrenOf(pid)) total += ticks(child, false);
  return (total / clockTicks) * 1000;
}

async function stopChild(child: ChildProcessWithoutNullStreams, viaStdin: boolean): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  if (viaStdin) child.stdin.end();
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

let relayBundle: string | undefined | null = null;

export async function startOursRelay(upstreamPort: number): Promise<Relay> {
  if (relayBundle === null) relayBundle = bundledScript(join(__dirname, 'proxyChild.ts'));
  const args = relayBundle === undefined ? [...process.execArgv, join(__dirname, 'proxyChild.ts')] : [relayBundle];
  const child = spawn(process.execPath, [...args, String(upstreamPort)], { stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout });
  const [line] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => [undefined])])) as [string | undefined];
  if (line === undefined) throw new Error(`the TCP Lab relay did not start: ${stderr.trim()}`);
  const { port } = JSON.parse(line) as { port: number };
  return { kind: 'ours', port, pid: child.pid as number, stop: () => stopChild(child, true) };
}

/** A free loopback port (socat needs a number; the window between close and its bind is tiny). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, LOOPBACK);
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startSocatRelay(upstreamPort: number): Promise<Relay> {
  const port = await freePort();
  const child = spawn('socat', [`TCP-LISTEN:${port},bind=${LOOPBACK},fork,reuseaddr,backlog=511`, `TCP:${LOOPBACK}:${upstreamPort}`], { stdio: 'pipe' });
  child.on('error', () => undefined);
  // Ready once it accepts: probe until a connect succeeds (each probe is a forked child that ends with it).
  for (let attempt = 0; ; attempt++) {
    try {
      const probe = await connectRaw(port);
      probe.destroy();
      break;
    } catch (err) {
      if (attempt > 200 || child.exitCode !== null) throw new Error(`socat did not start listening on ${port}: ${String(err)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  return { kind: 'socat', port, pid: child.pid as number, stop: () => stopChild(child, false) };
}

function chunkOf(size: number): Buffer {
  const chunk = Buffer.alloc(size);
  for (let i = 0; i < size; i++) chunk[i] = (i * 31 + 7) & 0xff;
  return chunk;
}

export type RelayKind = Relay['kind'];

function startRelay(kind: RelayKind, upstreamPort: number): Promise<Relay> {
  return kind === 'ours' ? startOursRelay(upstreamPort) : startSocatRelay(upstreamPort);
}

export interface RelayStreamRun {
  mibPerSecond: number;
  seconds: number;
  /** The relay process's peak RSS over its life (this run only: each run starts a fresh relay). */
  relayPeakRssMiB: number;
  /** CPU time the relay used per GiB relayed (socat: with its forked children, which do the relaying). */
  relayCpuMsPerGiB: number;
}

/** Streams `totalBytes` client → relay → server with backpressure; throughput from first write to last byte. */
export async function streamThroughRelay(kind: RelayKind, totalBytes: number, chunkSize: number): Promise<RelayStreamRun> {
  let received = 0;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const accepted: net.Socket[] = [];
  const { server, port } = await listenRaw((socket) => {
    accepted.push(socket);
    socket.on('data', (data: Buffer) => {
      received += data.length;
      if (received >= totalBytes) finished();
    });
  });
  const relay = await startRelay(kind, port);
  try {
    const chunk = chunkOf(chunkSize);
    const client = await connectRaw(relay.port);
    const cpuBefore = processCpuMs(relay.pid);
    const started = process.hrtime.bigint();
    for (let sent = 0; sent < totalBytes; sent += chunkSize) {
      // A fresh buffer per write, as a real sender produces them.
      if (!client.write(Buffer.from(chunk))) await once(client, 'drain');
    }
    await done;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const relayCpuMsPerGiB = (processCpuMs(relay.pid) - cpuBefore) / (totalBytes / 2 ** 30);
    const relayPeakRssMiB = processRssMiB(relay.pid).peak;
    client.destroy();
    if (received !== totalBytes) throw new Error(`${kind} relay delivered ${received} of ${totalBytes} bytes`);
    return { mibPerSecond: totalBytes / 2 ** 20 / seconds, seconds, relayPeakRssMiB, relayCpuMsPerGiB };
  } finally {
    await relay.stop();
    await closeRaw(server, accepted);
  }
}

/** An echo server on loopback (Nagle off), for the latency and concurrency runs. */
async function echoServer(): Promise<{ server: net.Server; port: number; accepted: Set<net.Socket> }> {
  const accepted = new Set<net.Socket>();
  const { server, port } = await listenRaw((socket) => {
    accepted.add(socket);
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => socket.write(data));
    socket.on('error', () => undefined);
    socket.on('close', () => accepted.delete(socket));
  });
  return { server, port, accepted };
}

/** Sequential ping-pong round trips of `size` bytes on one connection, in microseconds (after a warm-up). */
async function pingPong(port: number, messages: number, size: number, warmup: number): Promise<number[]> {
  const client = await connectRaw(port, true);
  const message = Buffer.alloc(size, 0x61);
  const times: number[] = [];
  let received = 0;
  let resolve: (() => void) | undefined;
  client.on('data', (data: Buffer) => {
    received += data.length;
    if (received >= size && resolve) {
      received -= size;
      const done = resolve;
      resolve = undefined;
      done();
    }
  });
  for (let i = 0; i < warmup + messages; i++) {
    const arrived = new Promise<void>((r) => (resolve = r));
    const start = process.hrtime.bigint();
    client.write(message);
    await arrived;
    if (i >= warmup) times.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  client.destroy();
  return times;
}

export interface LatencyRun {
  /** Round trips through the relay, µs. */
  relayedUs: number[];
  /** Round trips of the same client straight to the server, in the same run, µs. */
  directUs: number[];
}

/** Round trips through a relay and, interleaved in blocks, straight to the server. */
export async function latencyThroughRelay(kind: RelayKind, messages: number, size: number, warmup: number): Promise<LatencyRun> {
  const echo = await echoServer();
  const relay = await startRelay(kind, echo.port);
  try {
    const relayedUs: number[] = [];
    const directUs: number[] = [];
    // Four blocks each, alternating, so a slow spell of the machine hits both.
    const block = Math.max(1, Math.floor(messages / 4));
    for (let round = 0; round < 4; round++) {
      directUs.push(...(await pingPong(echo.port, block, size, warmup)));
      relayedUs.push(...(await pingPong(relay.port, block, size, warmup)));
    }
    return { relayedUs, directUs };
  } finally {
    await relay.stop();
    await closeRaw(echo.server, echo.accepted);
  }
}

export interface ConcurrentRun {
  /** From the first connect until every pair has exchanged its message and closed. */
  ms: number;
  /** The relay process's RSS with every pair open, MiB, and its peak over the run. */
  relayRssAllOpenMiB: number;
  relayPeakRssMiB: number;
  /** Its RSS before the first pair (the idle relay), MiB. */
  relayIdleRssMiB: number;
}

/**
 * Opens `pairs` clients through the relay at once, each sends a message and waits for its echo while
 * all are open; then every client closes. The server and clients are raw node:net.
 */
export async function concurrentPairs(kind: RelayKind, pairs: number, size: number): Promise<ConcurrentRun> {
  const echo = await echoServer();
  const relay = await startRelay(kind, echo.port);
  try {
    const idle = processRssMiB(relay.pid).current;
    const message = Buffer.alloc(size, 0x62);
    const started = process.hrtime.bigint();
    const clients = await Promise.all(
      Array.from({ length: pairs }, async () => {
        const client = net.connect({ host: LOOPBACK, port: relay.port, noDelay: true });
        client.on('error', () => undefined);
        await once(client, 'connect');
        let received = 0;
        const echoed = new Promise<void>((resolve) =>
          client.on('data', (data: Buffer) => {
            received += data.length;
            if (received >= size) resolve();
          }),
        );
        client.write(message);
        await echoed;
        return client;
      }),
    );
    const allOpen = processRssMiB(relay.pid).current;
    await Promise.all(
      clients.map(async (client) => {
        const closed = once(client, 'close');
        client.end();
        await closed;
      }),
    );
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    return { ms, relayRssAllOpenMiB: allOpen, relayPeakRssMiB: processRssMiB(relay.pid).peak, relayIdleRssMiB: idle };
  } finally {
    await relay.stop();
    await closeRaw(echo.server, echo.accepted);
  }
}
