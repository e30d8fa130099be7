// Drives the Python peers in ../peers: independent programs on the far end of the socket, so the
// tests check what really crossed the wire rather than what TCP Lab believes it sent.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

export interface PeerEvent {
  event: string;
  hex?: string;
  port?: number;
  localPort?: number;
  peer?: number;
  how?: string;
  message?: string;
}

const peersDir = join(__dirname, '..', 'peers');

export class PythonPeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly seen: PeerEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private stderr = '';
  private exited = false;

  private constructor(readonly name: string, script: string, args: string[]) {
    this.child = spawn('python3', ['-u', join(peersDir, script), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let pending = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line) this.seen.push(JSON.parse(line) as PeerEvent);
      }
      this.notify();
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.child.once('exit', () => {
      this.exited = true;
      this.notify();
    });
  }

  /** A client connected to host:port (resolves once connected; rejects with the Python error). */
  static async connect(host: string, port: number): Promise<PythonPeer> {
    const peer = new PythonPeer(`client→${port}`, 'tcpClient.py', [host, String(port)]);
    const first = await peer.waitFor((e) => e.event === 'connected' || e.event === 'error', 10_000);
    if (first.event === 'error') {
      peer.kill();
      throw new Error(`Python client could not connect to ${host}:${port}: ${first.message ?? ''}`);
    }
    return peer;
  }

  /** An echo server on 127.0.0.1; `port` 0 picks a free one. */
  static async echoServer(port = 0): Promise<{ peer: PythonPeer; port: number }> {
    const peer = new PythonPeer('echo server', 'echoServer.py', [String(port)]);
    const listening = await peer.waitFor((e) => e.event === 'listening', 10_000);
    return { peer, port: listening.port ?? 0 };
  }

  /** A Modbus RTU-style server that checks each request's CRC with its own code (peers/modbusServer.py). */
  static async modbusServer(port = 0): Promise<{ peer: PythonPeer; port: number }> {
    const peer = new PythonPeer('Modbus server', 'modbusServer.py', [String(port)]);
    const listening = await peer.waitFor((e) => e.event === 'listening', 10_000);
    return { peer, port: listening.port ?? 0 };
  }

  get events(): readonly PeerEvent[] {
    return this.seen;
  }

  /** Every byte received so far, concatenated. */
  received(): Buffer {
    return Buffer.concat(this.seen.filter((e) => e.event === 'data').map((e) => Buffer.from(e.hex ?? '', 'hex')));
  }

  send(bytes: Uint8Array): void {
    this.child.stdin.write(`send ${Buffer.from(bytes).toString('hex')}\n`);
  }

  end(): void {
    this.child.stdin.write('end\n');
  }

  /** Resolves with the first event (past or future) matching the predicate. */
  waitFor(predicate: (event: PeerEvent) => boolean, timeoutMs = 20_000): Promise<PeerEvent> {
    return this.until(() => this.seen.find(predicate), timeoutMs, 'the expected event');
  }

  /** Resolves once the peer has received at least `length` bytes; returns all of them. */
  waitForBytes(length: number, timeoutMs = 20_000): Promise<Buffer> {
    return this.until(() => (this.received().length >= length ? this.received() : undefined), timeoutMs, `${length} received bytes`);
  }

  private until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolveWait, reject) => {
      const attempt = (): boolean => {
        const value = check();
        if (value === undefined) return false;
        cleanup();
        resolveWait(value);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name} did not see ${what} within ${timeoutMs} ms; it saw ${JSON.stringify(this.seen)}${this.stderr ? `; stderr: ${this.stderr}` : ''}`));
      }, timeoutMs);
      const waiter = (): void => {
        if (!attempt() && this.exited && check() === undefined) {
          cleanup();
          reject(new Error(`${this.name} exited before ${what}; it saw ${JSON.stringify(this.seen)}${this.stderr ? `; stderr: ${this.stderr}` : ''}`));
        }
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      if (!attempt()) waiter();
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  kill(): void {
    if (this.exited) return;
    this.child.stdin.end();
    this.child.kill('SIGKILL');
  }
}
