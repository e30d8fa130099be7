// What the end-to-end benchmark reads from /proc (Linux only): the extension host among code-server's
// processes, its resident memory and CPU time, and whether a port is listening yet.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/PID/stat times; 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Fields of /proc/PID/stat after the command name (which may contain spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  const text = readOrUndefined(`/proc/${pid}/stat`);
  if (!text) return undefined;
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/**
 * The extension host code-server forked for the window: a process in code-server's process group whose
 * command line says `--type=extensionHost` (or names extensionHost). The newest one wins after a reload.
 */
export function findExtensionHost(processGroup: number): number | undefined {
  let found: { pid: number; start: number } | undefined;
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const fields = statFields(pid);
    // Field 5 of stat is the process group; fields[0] is field 3 (state).
    if (!fields || Number(fields[2]) !== processGroup) continue;
    const commandLine = (readOrUndefined(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ');
    if (!/extensionHost/.test(commandLine)) continue;
    const start = Number(fields[19]);
    if (!found || start > found.start) found = { pid, start };
  }
  return found?.pid;
}

/** Resident set size (VmRSS) in bytes, or undefined once the process is gone. */
export function rssBytes(pid: number): number | undefined {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readOrUndefined(`/proc/${pid}/status`) ?? '');
  return match ? Number(match[1]) * 1024 : undefined;
}

/** CPU time (user + system) the process has used so far, in seconds. */
export function cpuSeconds(pid: number): number | undefined {
  const fields = statFields(pid);
  // utime and stime are fields 14 and 15 of stat.
  return fields ? (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND : undefined;
}

/** Samples a process's RSS on a timer: the value before, the peak while running, and stop() for the last. */
export class RssSampler {
  private peak: number;
  private readonly timer: NodeJS.Timeout;
  readonly before: number;

  constructor(private readonly pid: number, intervalMs = 100) {
    this.before = rssBytes(pid) ?? Number.NaN;
    this.peak = this.before;
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): number {
    const now = rssBytes(this.pid) ?? Number.NaN;
    this.peak = Math.max(this.peak, now);
    return now;
  }

  stop(): { before: number; peak: number; last: number } {
    clearInterval(this.timer);
    const last = this.sample();
    return { before: this.before, peak: this.peak, last };
  }
}

/**
 * Waits until the process is close to idle (under `maxShare` of one core over each of two consecutive
 * windows), so a run does not start while the previous one is still being digested (a panel catching
 * up, a capture file being flushed). Returns how long it waited; throws past the timeout.
 */
export async function waitForIdle(pid: number, options: { windowMs?: number; maxShare?: number; timeoutMs?: number } = {}): Promise<number> {
  const windowMs = options.windowMs ?? 500;
  const maxShare = options.maxShare ?? 0.15;
  const timeoutMs = options.timeoutMs ?? 180_000;
  const started = Date.now();
  let quietWindows = 0;
  let last = cpuSeconds(pid);
  while (quietWindows < 2) {
    if (last === undefined) throw new Error(`Process ${pid} is gone.`);
    if (Date.now() - started > timeoutMs) throw new Error(`Process ${pid} was still busy after ${timeoutMs} ms.`);
    await sleep(windowMs);
    const now = cpuSeconds(pid);
    if (now === undefined) throw new Error(`Process ${pid} is gone.`);
    quietWindows = (now - last) / (windowMs / 1000) <= maxShare ? quietWindows + 1 : 0;
    last = now;
  }
  return Date.now() - started;
}

/** Whether something listens on 127.0.0.1:port, read from /proc/net/tcp (a probe connection would be accepted and end a one-shot sink). */
export function isListening(port: number): boolean {
  const wanted = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return (readOrUndefined('/proc/net/tcp') ?? '')
    .split('\n')
    .some((line) => {
      const columns = line.trim().split(/\s+/);
      return columns[1] === wanted && columns[3] === '0A';
    });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** CPU seconds used so far by every process on the machine, keyed by PID, with the role it plays in the run. */
export type CpuSnapshot = Map<number, { role: string; seconds: number }>;

/** What a process is to the benchmark, from its command line: which part of the product (or peer) spends the CPU. */
function roleOf(pid: number, processGroup: number, groupOf: number): string {
  const commandLine = (readOrUndefined(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ');
  if (/extensionHost/.test(commandLine)) return 'extension host';
  if (/chrom/i.test(commandLine)) {
    const type = /--type=([\w-]+)/.exec(commandLine)?.[1];
    return type ? `chromium ${type}` : 'chromium browser';
  }
  if (groupOf === processGroup) return 'code-server (other)';
  if (/^socat /.test(commandLine)) return 'socat';
  return 'other';
}

export function cpuSnapshot(processGroup: number): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const fields = statFields(pid);
    if (!fields) continue;
    snapshot.set(pid, { role: roleOf(pid, processGroup, Number(fields[2])), seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND });
  }
  return snapshot;
}

/**
 * CPU seconds each role used between two snapshots (a process that started in between counts from zero;
 * one that exited in between is missing, which is why socat senders are not in it).
 */
export function cpuByRole(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const [pid, now] of after) {
    const used = now.seconds - (before.get(pid)?.seconds ?? 0);
    if (used <= 0) continue;
    totals[now.role] = (totals[now.role] ?? 0) + used;
  }
  return totals;
}
