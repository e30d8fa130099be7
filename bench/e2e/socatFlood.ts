// socat floods for the end-to-end benchmark, all on 127.0.0.1: a flood into a TCP Lab listener, the same
// flood into a socat sink (the anchor), and a flood that repeats until stopped. Every socat started here
// is tracked and killed by its PID at the end, whatever happened.
//
// The sender is `socat -t T 'OPEN:<file>,rdonly,readbytes=N!!OPEN:/dev/null,wronly' TCP:127.0.0.1:P`:
// bidirectional on purpose. `socat -u` exits as soon as its last write is in the kernel's socket buffer
// (measured: 0 s with a peer that never reads the end), which is megabytes before the receiver has the
// bytes. Bidirectional, socat half-closes after the file and exits only when the receiver closes its
// side, which a receiver does after it has read every byte and the FIN: the socat sink at once, TCP Lab
// when `tcpLab.connection.keepHalfOpen` is false (the default). So the time from spawning the sender to
// its exit is the end-to-end time until the receiver has every byte. A receiver that keeps the
// connection half-open makes socat wait its full -t timeout (120 s), which shows in the figures.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../scripts/codeServer';
import { isListening, sleep } from './procfs';

export interface FloodRun {
  bytes: number;
  seconds: number;
  mibPerSecond: number;
}

export class SocatFloods {
  private readonly children = new Set<ChildProcess>();

  constructor(
    private readonly file: string,
    /** socat's -t: how long it waits for the receiver to close after the last byte. */
    private readonly closeTimeoutSeconds = 120,
  ) {
    if (/[,:!]/.test(file)) throw new Error(`socat cannot read a file whose path contains , : or ! (${file}); set TMPDIR to a plainer folder.`);
  }

  /** Sends the first `bytes` of the file to 127.0.0.1:port and resolves once the receiver closed. */
  async flood(port: number, bytes: number): Promise<FloodRun> {
    const started = process.hrtime.bigint();
    const child = this.spawn(['-t', String(this.closeTimeoutSeconds), `OPEN:${this.file},rdonly,readbytes=${bytes}!!OPEN:/dev/null,wronly`, `TCP:127.0.0.1:${port}`]);
    const code = await exitOf(child);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (code !== 0) throw new Error(`socat flood into 127.0.0.1:${port} exited with ${String(code)}: ${stderrOf(child)}`);
    return { bytes, seconds, mibPerSecond: bytes / 2 ** 20 / seconds };
  }

  /**
   * The anchor: the same flood into `socat -u TCP-LISTEN:Q,bind=127.0.0.1 OPEN:/dev/null`, started (not
   * timed) first. With `intoFile`, socat writes what it receives into that file instead: what keeping
   * every byte on this machine's disk costs a receiver nobody here wrote.
   */
  async anchor(bytes: number, intoFile?: string): Promise<FloodRun> {
    if (intoFile !== undefined && /[,:!]/.test(intoFile)) throw new Error(`socat cannot write a file whose path contains , : or ! (${intoFile}).`);
    const port = await freePort();
    const sink = this.spawn(['-u', `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`, intoFile === undefined ? 'OPEN:/dev/null,wronly' : `OPEN:${intoFile},creat,trunc,wronly`]);
    const sinkExit = exitOf(sink);
    const deadline = Date.now() + 10_000;
    while (!isListening(port)) {
      if (sink.exitCode !== null || Date.now() > deadline) throw new Error(`The socat sink never listened on 127.0.0.1:${port}: ${stderrOf(sink)}`);
      await sleep(10);
    }
    const run = await this.flood(port, bytes);
    const code = await sinkExit;
    if (code !== 0) throw new Error(`The socat sink exited with ${String(code)}: ${stderrOf(sink)}`);
    return run;
  }

  /** Floods into the port back to back until stop(), which resolves with how many floods completed. */
  loop(port: number, bytes: number): { stop(): Promise<number>; running(): boolean } {
    let stopping = false;
    let completed = 0;
    let failure: unknown;
    const done = (async () => {
      while (!stopping) {
        try {
          await this.flood(port, bytes);
          completed++;
        } catch (err) {
          if (!stopping) failure = err;
          return;
        }
      }
    })();
    return {
      running: () => !stopping && failure === undefined,
      stop: async () => {
        stopping = true;
        this.killAll();
        await done;
        if (failure) throw failure;
        return completed;
      },
    };
  }

  /** Kills every socat still running (by PID). */
  killAll(): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }

  private spawn(args: string[]): ChildProcess {
    const child = spawn('socat', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const errors: Buffer[] = [];
    child.stderr?.on('data', (chunk: Buffer) => errors.push(chunk));
    stderrTexts.set(child, errors);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    child.once('error', () => this.children.delete(child));
    return child;
  }
}

const stderrTexts = new WeakMap<ChildProcess, Buffer[]>();

function stderrOf(child: ChildProcess): string {
  return Buffer.concat(stderrTexts.get(child) ?? []).toString('utf8').trim() || '(no output)';
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(child.exitCode);
      return;
    }
    child.once('exit', (code) => resolve(code));
    child.once('error', (err) => reject(new Error(`socat could not start (${err.message}); install the Debian package socat.`)));
  });
}
