// Test helpers for real loopback sockets: waiting on engine events with a deadline, raw node:net
// peers, Python peers, and one cleanup list so every test closes what it opened.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { connect as rawConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import * as path from 'node:path';
import type { Event } from '../../../src/core/events';

/** Resolves with the next event that satisfies `predicate`, or rejects after `timeoutMs`. */
export function nextEvent<T>(event: Event<T>, predicate: (value: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`event not seen within ${timeoutMs} ms`));
    }, timeoutMs);
    const subscription = event((value) => {
      if (!predicate(value)) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(value);
    });
  });
}

/** Polls `condition` until it is true, or rejects after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Everything a test opened, closed again in afterEach. */
export class Cleanup {
  private readonly tasks: (() => unknown)[] = [];

  add(task: () => unknown): void {
    this.tasks.push(task);
  }

  socket<T extends Socket>(socket: T): T {
    socket.on('error', () => undefined);
    this.add(() => socket.destroy());
    return socket;
  }

  server(server: Server): Server {
    this.add(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return server;
  }

  process(child: ChildProcessWithoutNullStreams): ChildProcessWithoutNullStreams {
    this.add(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      const exited = once(child, 'exit');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    });
    return child;
  }

  async run(): Promise<void> {
    const tasks = this.tasks.splice(0).reverse();
    for (const task of tasks) await task();
  }
}

/** A plain node:net client, so engine behaviour is checked against a peer we did not write. */
export async function rawClient(cleanup: Cleanup, port: number, host = '127.0.0.1', allowHalfOpen = false): Promise<Socket> {
  const socket = cleanup.socket(rawConnect({ host, port, allowHalfOpen }));
  await once(socket, 'connect');
  return socket;
}

/** A plain node:net server on 127.0.0.1:0 that hands each accepted socket to `onSocket`. */
export async function rawServer(cleanup: Cleanup, onSocket: (socket: Socket) => void, allowHalfOpen = false): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  cleanup.add(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Collects every byte a socket or connection delivers. */
export class ByteSink {
  private readonly chunks: Uint8Array[] = [];
  length = 0;

  push = (chunk: Uint8Array): void => {
    this.chunks.push(chunk);
    this.length += chunk.byteLength;
  };

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  text(): string {
    return this.bytes().toString('utf8');
  }
}

const PEERS_DIR = path.join(__dirname, '..', '..', 'peers');

/**
 * Start one of the Python peers in test/peers. Each prints its port on the first line and exits
 * when its stdin closes, so cleanup never needs a broad kill.
 */
export async function startPythonPeer(cleanup: Cleanup, script: string, args: string[] = []): Promise<{ child: ChildProcessWithoutNullStreams; port: number }> {
  const child = cleanup.process(spawn('python3', ['-u', path.join(PEERS_DIR, script), ...args], { stdio: 'pipe' }));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    const onData = (chunk: Buffer): void => {
      stdout += chunk.toString();
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      child.stdout.off('data', onData);
      resolve(Number(stdout.slice(0, newline).trim()));
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before printing its port: ${stderr}`)));
    child.once('error', reject);
  });
  return { child, port };
}

/** Run a Python peer to completion and return its stdout. */
export async function runPythonPeer(script: string, args: string[], timeoutMs = 10000): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const child = spawn('python3', ['-u', path.join(PEERS_DIR, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout: Buffer.concat(out), stderr };
}

/**
 * A loopback port where the next connect attempt hangs: the Python backlog hog never accepts, so
 * once its accept queue is full the kernel drops further SYNs. Undefined if the kernel never
 * dropped one (then no honest loopback timeout is possible and the caller skips).
 */
export async function hangingLoopbackPort(cleanup: Cleanup): Promise<number | undefined> {
  const { port } = await startPythonPeer(cleanup, 'backlogHog.py');
  for (let i = 0; i < 8; i++) {
    const filler = cleanup.socket(rawConnect({ host: '127.0.0.1', port }));
    let connected = false;
    filler.once('connect', () => (connected = true));
    await delay(300);
    // A busy event loop can run the timer before the connect callback; a second look tells a
    // late callback from a dropped SYN (which is only retried after a second).
    if (!connected) await delay(100);
    if (!connected) {
      filler.destroy();
      return port;
    }
  }
  return undefined;
}
