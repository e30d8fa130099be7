// `npm run bench:e2e`: the packaged extension in code-server, driven through the UI like a user, under
// floods from socat (Debian package) on 127.0.0.1. In one session it measures, and prints as JSON lines:
//   (g) the extension host's RSS growth over one large flood with the panel open;
//   throughput of a flood into a TCP Lab listener against socat into socat (the anchor), in pairs that
//   alternate which goes first, with (a) no traffic panel open, (b) the listener's panel open and
//   following the tail, (c) the panel open and the listener capturing to files (beside socat writing the
//   flood into a file: what keeping a file costs a receiver nobody here wrote, 8 KiB writes at a time);
//   (d) whether the panel's counter shows exactly the bytes sent after every flood (b, c, g);
//   (e) command palette open latency and (f) TCP: Start Listener's prompt latency, idle and during
//       back-to-back floods, with the panel closed and open.
// Each phase runs in a fresh window and extension host (Developer: Reload Window) after a warm-up flood.
// Every process it starts (code-server's process group, chromium, socat) is stopped at the end, on
// failure and on Ctrl+C, and its temp folders are removed. UI steps and selectors: ./benchUi.ts.
//
// Environment: BENCH_E2E_MIB (128, each throughput flood), BENCH_E2E_PAIRS (7 per configuration, as npm run bench: a 128 MiB flood lasts 0.1–0.3 s here, so single pairs swing by ±0.3),
// BENCH_E2E_RSS_MIB (1024, the memory flood), BENCH_E2E_SAMPLES (20 latency samples per figure: p95 is the 19th),
// BENCH_E2E_SAMPLE_TIMEOUT_S (10, one latency sample), BENCH_E2E_SKIP_PACKAGE=1 (reuse the .vsix on
// disk, or TCP_LAB_VSIX), BENCH_E2E_TIMEOUT_MIN (20, the whole run), BENCH_E2E_ONLY (a comma-separated
// choice of the phases memory, panel-closed, panel-open, panel-open-capture, panel-open-capture-pcapng, responsiveness-panel-open;
// all when unset: for iterating on one figure), BENCH_E2E_RENDERER_PROFILE (a folder: a CPU profile of the
// workbench renderer per throughput configuration). TCP_LAB_CODE_SERVER_DIR and TCP_LAB_CHROMIUM as for the e2e tests.
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, writeUserSettings } from '../../scripts/codeServer';
import { CODE_SERVER_VERSION } from '../../scripts/installCodeServer';
import { E2ESession } from '../../test/e2e/harness/session';
import { ScenarioArtifacts } from '../../test/e2e/harness/scenarioArtifacts';
import type { Workbench } from '../../test/e2e/harness/workbench';
import { machineInfo } from '../machineInfo';
import { emit, Report } from '../report';
import { envCount, median, percentile, round } from '../stats';
import * as steps from './benchUi';
import { cpuByRole, cpuSeconds, cpuSnapshot, findExtensionHost, RssSampler, rssBytes, sleep, waitForIdle } from './procfs';
import { SocatFloods, type FloodRun } from './socatFlood';

const MiB = 2 ** 20;
const floodBytes = envCount('BENCH_E2E_MIB', 128) * MiB;
const pairs = envCount('BENCH_E2E_PAIRS', 7);
const rssFloodBytes = envCount('BENCH_E2E_RSS_MIB', 1024) * MiB;
const samples = envCount('BENCH_E2E_SAMPLES', 20);
const runTimeoutMs = envCount('BENCH_E2E_TIMEOUT_MIN', 20) * 60_000;
/** A latency sample that takes longer counts as this long and ends its series (a frozen host would answer it later, into the next sample). */
const sampleTimeoutMs = envCount('BENCH_E2E_SAMPLE_TIMEOUT_S', 10) * 1000;
/** How long the panel may take to show the final count after the flood ended before it counts as wrong. */
const counterTimeoutMs = 60_000;

const PHASES = ['memory', 'panel-closed', 'panel-open', 'panel-open-capture', 'panel-open-capture-pcapng', 'responsiveness-panel-open'];
const only = (process.env.BENCH_E2E_ONLY ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');

/** Whether BENCH_E2E_ONLY leaves this phase in (all of them when it is unset). */
function selected(phase: string): boolean {
  return only.length === 0 || only.includes(phase);
}

const TIMER = 'socat sender spawned → socat exited; socat exits only after the receiver closed its side, which it does once it has read every byte and the FIN (TCP Lab: tcpLab.connection.keepHalfOpen false), so this is the time until the receiver has every byte';

function progress(message: string): void {
  process.stderr.write(`[bench:e2e ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** A file of `bytes` random bytes (a 16 MiB random block repeated: TCP Lab does nothing that compresses). */
function writeFloodFile(path: string, bytes: number): void {
  const block = randomFillSync(Buffer.alloc(16 * MiB));
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; written += block.length) writeSync(fd, block, 0, Math.min(block.length, bytes - written));
  } finally {
    closeSync(fd);
  }
}

interface CounterCheck {
  configuration: string;
  expected: number;
  shown: string | undefined;
  exact: boolean;
  /** From the end of the flood until the panel showed the final count. */
  waitedMs: number;
}

interface LatencySeries {
  values: number[];
  timedOut: number;
}

interface CaptureCheck {
  expected: number;
  captured: number;
  files: number;
}

/** Incoming bytes recorded in a JSON Lines capture file (the base64 of every `in` record). */
function capturedBytesIn(file: string): number {
  let total = 0;
  const count = (line: string): void => {
    if (!line) return;
    let record: { dir?: string; base64?: string };
    try {
      record = JSON.parse(line) as { dir?: string; base64?: string };
    } catch {
      return; // A last line still being written.
    }
    if (record.dir === 'in' && record.base64) total += Buffer.byteLength(record.base64, 'base64');
  };
  // Read in blocks: a 1 GiB flood's capture is larger than the longest string V8 can make.
  const fd = openSync(file, 'r');
  try {
    const block = Buffer.allocUnsafe(16 * 1024 * 1024);
    let carry = Buffer.alloc(0);
    for (;;) {
      const read = readSync(fd, block, 0, block.length, null);
      if (read === 0) break;
      let data = Buffer.concat([carry, block.subarray(0, read)]);
      let newline: number;
      while ((newline = data.indexOf(0x0a)) >= 0) {
        count(data.toString('latin1', 0, newline));
        data = data.subarray(newline + 1);
      }
      carry = Buffer.from(data);
    }
    count(carry.toString('latin1'));
  } finally {
    closeSync(fd);
  }
  return total;
}

interface FloodRuns {
  ours: FloodRun[];
  anchor: FloodRun[];
  /** socat into a file, one after each anchor (capture configurations only). */
  intoFile: FloodRun[];
  hostCpu: number[];
  cpuByRole: Record<string, number>[];
}

/** The median of each role's CPU seconds over the floods (a role missing from a flood counts as 0). */
function medianByRole(floods: Record<string, number>[]): Record<string, number> {
  const roles = new Set(floods.flatMap((flood) => Object.keys(flood)));
  const result: Record<string, number> = {};
  for (const role of [...roles].sort()) result[role] = round(median(floods.map((flood) => flood[role] ?? 0)), 2);
  return result;
}

/**
 * Incoming TCP payload bytes in a pcapng capture: the packets marked inbound (epb_flags), each
 * LINKTYPE_RAW packet's IP and TCP headers skipped. Read whole: a throughput flood's capture is 128 MiB.
 */
function capturedBytesInPcapng(file: string): number {
  const data = readFileSync(file);
  let total = 0;
  for (let at = 0; at + 12 <= data.length; ) {
    const type = data.readUInt32LE(at);
    const length = data.readUInt32LE(at + 4);
    if (length < 12 || at + length > data.length) break; // A last block still being written.
    if (type === 6) {
      const captured = data.readUInt32LE(at + 20);
      const packet = at + 28;
      // Options follow the padded packet: find epb_flags (code 2) and its direction bits.
      let inbound = false;
      for (let option = packet + ((captured + 3) & ~3); option + 4 <= at + length - 4; ) {
        const code = data.readUInt16LE(option);
        const size = data.readUInt16LE(option + 2);
        if (code === 0) break;
        if (code === 2) inbound = (data.readUInt32LE(option + 4) & 3) === 1;
        option += 4 + ((size + 3) & ~3);
      }
      if (inbound) {
        const ipv6 = data[packet] >> 4 === 6;
        const ipHeader = ipv6 ? 40 : (data[packet] & 0x0f) * 4;
        const tcpHeader = (data[packet + ipHeader + 12] >> 4) * 4;
        total += captured - ipHeader - tcpHeader;
      }
    }
    at += length;
  }
  return total;
}

class Bench {
  readonly report = new Report();
  readonly counterChecks: CounterCheck[] = [];
  readonly captureChecks: CaptureCheck[] = [];

  /** The extension host process; a new one after each freshHost(). */
  private extensionHost = 0;

  constructor(
    private readonly workbench: Workbench,
    private readonly floods: SocatFloods,
    /** code-server's process group, where the extension host lives. */
    private readonly processGroup: number,
    /** The browser console so far (VS Code logs there when the extension host stops answering). */
    private readonly consoleLines: readonly string[],
    /** Developer: Reload Window; code-server gives the reloaded window a new extension host. */
    private readonly reloadWindow: () => Promise<void>,
  ) {}

  /**
   * Every phase starts in a fresh window and extension host with a warmed-up listener: memory one phase
   * kept (a panel's backlog) would otherwise slow and inflate the next. The first phase gets the
   * session's own; later ones reload the window (code-server's web workbench has no Restart Extension
   * Host). Returns the port of the warm-up listener, which has had one flood.
   */
  async freshHost(): Promise<number> {
    const previous = this.extensionHost;
    if (previous !== 0) {
      await steps.prepareReload(this.workbench);
      await this.reloadWindow();
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      const found = findExtensionHost(this.processGroup);
      if (found !== undefined && found !== previous && rssBytes(previous) === undefined) {
        this.extensionHost = found;
        break;
      }
      if (Date.now() > deadline) throw new Error(`No new extension host process (command line naming extensionHost) in code-server's process group ${this.processGroup}, or the old one (${previous}) is still running.`);
      await sleep(200);
    }
    await this.workbench.openTcpLabView();
    // One flood of each, not reported: the first flood into a fresh extension host pays for warming up.
    const port = await steps.startListener(this.workbench);
    await this.quiet();
    await this.floods.flood(port, floodBytes);
    await this.floods.anchor(floodBytes);
    return port;
  }

  /** Between runs: the extension host has digested the previous flood (panel caught up, capture flushed). */
  private async quiet(): Promise<void> {
    await waitForIdle(this.extensionHost);
    await sleep(300);
  }

  /**
   * `pairs` pairs of a flood into the TCP Lab listener and an anchor flood, alternating which goes first.
   * `afterOurs` runs after each TCP Lab flood (outside the timer) with the listener's running total.
   */
  async floodPairs(port: number, afterOurs: (totalBytes: number) => Promise<void>, fileAnchor?: string): Promise<FloodRuns> {
    const result: FloodRuns = { ours: [], anchor: [], intoFile: [], hostCpu: [], cpuByRole: [] };
    let total = 0;
    for (let pair = 0; pair < pairs; pair++) {
      const order: Array<'ours' | 'anchor'> = pair % 2 === 0 ? ['ours', 'anchor'] : ['anchor', 'ours'];
      for (const side of order) {
        await this.quiet();
        if (side === 'anchor') {
          result.anchor.push(await this.floods.anchor(floodBytes));
          if (fileAnchor !== undefined) {
            await this.quiet();
            result.intoFile.push(await this.floods.anchor(floodBytes, fileAnchor));
            rmSync(fileAnchor, { force: true });
          }
          continue;
        }
        const cpuBefore = cpuSeconds(this.extensionHost) ?? Number.NaN;
        const machineBefore = cpuSnapshot(this.processGroup);
        result.ours.push(await this.floods.flood(port, floodBytes));
        // Only the flood itself: where the machine's two cores went while the wire was busy.
        result.cpuByRole.push(cpuByRole(machineBefore, cpuSnapshot(this.processGroup)));
        // Until the host is idle again: what the flood cost it, the panel's catching up and the capture's last writes included.
        await this.quiet();
        result.hostCpu.push((cpuSeconds(this.extensionHost) ?? Number.NaN) - cpuBefore);
        total += floodBytes;
        await afterOurs(total);
      }
      progress(`pair ${pair + 1}/${pairs}: TCP Lab ${round(result.ours[pair].mibPerSecond, 1)} MiB/s, socat ${round(result.anchor[pair].mibPerSecond, 1)} MiB/s`);
    }
    return result;
  }

  /** The extension host's VmRSS now, in MiB: printed with each configuration, since memory a design keeps raises every later baseline. */
  hostRssMiB(): number {
    return round((rssBytes(this.extensionHost) ?? Number.NaN) / MiB, 1);
  }

  /** How many times VS Code logged that the extension host stopped answering, so far. */
  unresponsiveCount(): number {
    return this.consoleLines.filter((line) => /Extension host .*is unresponsive/.test(line)).length;
  }

  async measureThroughput(configuration: string, goal: number, port: number, afterOurs: (totalBytes: number) => Promise<void>, fileAnchor?: string): Promise<void> {
    const rssBefore = this.hostRssMiB();
    const unresponsiveBefore = this.unresponsiveCount();
    const stopProfile = await this.profileRenderer(configuration);
    const runs = await this.floodPairs(port, afterOurs, fileAnchor);
    await stopProfile();
    this.throughput(configuration, goal, runs, {
      ...(runs.intoFile.length > 0 ? { socatIntoFile: this.intoFileFigures(runs) } : {}),
      extensionHostRssMiB: { before: rssBefore, after: this.hostRssMiB() },
      extensionHostUnresponsive: this.unresponsiveCount() - unresponsiveBefore,
      // Steadier than wall time on a shared machine: CPU seconds (user + system, every thread) per flood.
      cpuSecondsByRoleDuringFlood: medianByRole(runs.cpuByRole),
      extensionHostCpuSeconds: { perFlood: runs.hostCpu.map((value) => round(value, 2)), median: round(median(runs.hostCpu), 2), measures: 'utime + stime of the extension host process (all its threads) from the flood start until it is idle again (waitForIdle: its two quiet 0.5 s windows are included, a few hundredths of a second when really idle), 10 ms ticks' },
    });
  }

  /**
   * socat writing the flood into a file, run after each anchor: what keeping every byte in a file
   * costs a receiver nobody here wrote (socat writes 8 KiB at a time, so it is no ceiling: TCP Lab's
   * engine alone captures faster), as a ratio to socat into socat. A JSON Lines capture writes 4/3 of
   * the bytes (base64).
   */
  intoFileFigures(runs: FloodRuns): Record<string, unknown> {
    const ceiling = runs.intoFile.map((run, index) => run.mibPerSecond / runs.anchor[index].mibPerSecond);
    const ours = runs.ours.map((run, index) => run.mibPerSecond / runs.intoFile[index].mibPerSecond);
    return {
      mibPerSecond: runs.intoFile.map((run) => round(run.mibPerSecond, 1)),
      ratioToSocatIntoSocat: round(median(ceiling), 3),
      pairRatios: ceiling.map((value) => round(value, 3)),
      oursToSocatIntoFile: round(median(ours), 3),
      measures: 'socat -u TCP-LISTEN OPEN:<file>,creat,trunc: the same flood kept in a file by a receiver nobody here wrote; the file is deleted after each run, as the captures are',
    };
  }

  /**
   * With BENCH_E2E_RENDERER_PROFILE set to a folder: a CPU profile of the workbench page's renderer
   * (the panel's webview shares it) over one configuration's floods, for finding what an open panel
   * costs; open the .cpuprofile in Chromium's DevTools. Returns what stops and saves it.
   */
  async profileRenderer(configuration: string): Promise<() => Promise<void>> {
    const folder = process.env.BENCH_E2E_RENDERER_PROFILE;
    if (!folder) return async () => undefined;
    const cdp = await this.workbench.page.context().newCDPSession(this.workbench.page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
    await cdp.send('Profiler.start');
    return async () => {
      const { profile } = await cdp.send('Profiler.stop');
      writeFileSync(join(folder, `renderer-${configuration}.cpuprofile`), JSON.stringify(profile));
      await cdp.detach();
    };
  }

  throughput(configuration: string, goal: number, runs: { ours: FloodRun[]; anchor: FloodRun[] }, extra: Record<string, unknown>): void {
    this.report.paired(`e2e-flood-${floodBytes / MiB}MiB-${configuration}`, 'MiB/s', runs.ours.map((r) => r.mibPerSecond), runs.anchor.map((r) => r.mibPerSecond), {
      goal: `median pair ratio >= ${goal} x socat into socat`,
      isMet: (ratio) => ratio >= goal,
      extra: { baseline: 'socat into socat', timer: TIMER, seconds: { ours: runs.ours.map((r) => round(r.seconds)), raw: runs.anchor.map((r) => round(r.seconds)) }, ...extra },
    });
  }

  /** After a flood: the open panel must come to show exactly the listener's running total. */
  async checkCounter(configuration: string, expected: number): Promise<void> {
    const result = await steps.waitForPanelCounter(this.workbench, expected, counterTimeoutMs);
    this.counterChecks.push({ configuration, expected, shown: result.last?.text, exact: result.shown, waitedMs: result.waitedMs });
    if (!result.shown) progress(`the ${configuration} panel shows "${result.last?.text ?? 'no counter'}" for ${expected} bytes`);
  }

  /** After a flood with capture on: its file holds every byte (once flushed); then it is deleted to keep the disk free. */
  async checkCapture(folder: string, expected: number): Promise<void> {
    const deadline = Date.now() + counterTimeoutMs;
    let captured = 0;
    let files: string[] = [];
    for (;;) {
      await this.quiet();
      files = existsSync(folder) ? readdirSync(folder).map((name) => join(folder, name)) : [];
      captured = files.reduce((sum, file) => sum + (file.endsWith('.pcapng') ? capturedBytesInPcapng(file) : capturedBytesIn(file)), 0);
      if (captured >= expected || Date.now() > deadline) break;
      await sleep(1000);
    }
    this.captureChecks.push({ expected, captured, files: files.length });
    for (const file of files) rmSync(file, { force: true });
  }

  /**
   * `samples` timings of `measure` while `flooding` holds (checked before and after each one). A sample
   * past the timeout is kept as the timeout and ends the series.
   */
  async latencies(measure: () => Promise<number | undefined>, flooding: (() => boolean) | undefined): Promise<LatencySeries> {
    const series: LatencySeries = { values: [], timedOut: 0 };
    for (let i = 0; i < samples; i++) {
      if (flooding && !flooding()) throw new Error('The flood stopped before the latency samples were taken.');
      const ms = await measure();
      if (flooding && !flooding()) throw new Error('The flood stopped during a latency sample.');
      series.values.push(ms ?? sampleTimeoutMs);
      if (ms === undefined) {
        series.timedOut++;
        break;
      }
      await sleep(250);
    }
    return series;
  }

  latencyFigure(scenario: string, series: LatencySeries, goalMs: number | undefined, condition: Record<string, unknown>): void {
    const { values } = series;
    const p95 = percentile(values, 95);
    this.report.single(scenario, 'ms p95', p95, goalMs === undefined ? 'diagnostic, no goal' : `p95 <= ${goalMs} ms`, goalMs === undefined ? null : p95 <= goalMs && series.timedOut === 0, {
      ...condition,
      p50: round(median(values), 1),
      max: round(Math.max(...values), 1),
      samples: values.map((value) => round(value, 1)),
      ...(series.timedOut > 0 ? { timedOut: `a sample took over ${sampleTimeoutMs} ms; counted as ${sampleTimeoutMs} ms, the series stopped there` } : {}),
      measures: 'in the page: from the keydown event time stamp to the DOM change that shows the quick input (palette) or the extension prompt (Start Listener)',
    });
  }

  /** Palette and Start Listener latencies, idle and then during floods that repeat back to back into `port`. */
  async responsiveness(label: string, port: number, goals: { palette?: number; prompt?: number }): Promise<void> {
    const page = this.workbench.page;
    const palette = (): Promise<number | undefined> => steps.timePaletteOpen(page, sampleTimeoutMs);
    const prompt = (): Promise<number | undefined> => steps.timeStartListenerPrompt(this.workbench, sampleTimeoutMs);
    await this.quiet();
    const idle = { condition: `idle, ${label}` };
    this.latencyFigure(`e2e-palette-open-idle-${label}`, await this.latencies(palette, undefined), undefined, idle);
    this.latencyFigure(`e2e-start-listener-prompt-idle-${label}`, await this.latencies(prompt, undefined), undefined, idle);
    const unresponsiveBefore = this.unresponsiveCount();
    const loop = this.floods.loop(port, floodBytes);
    const started = Date.now();
    const series = await (async () => {
      await sleep(1000);
      return { palette: await this.latencies(palette, loop.running), prompt: await this.latencies(prompt, loop.running) };
    })().catch(async (err: unknown) => {
      await loop.stop().catch(() => undefined);
      throw err;
    });
    const completed = await loop.stop();
    const during = {
      condition: `during back-to-back ${floodBytes / MiB} MiB socat floods into the listener, ${label}`,
      floodsCompleted: completed,
      floodMiBPerSecond: round((completed * floodBytes) / MiB / ((Date.now() - started) / 1000), 1),
      extensionHostUnresponsive: this.unresponsiveCount() - unresponsiveBefore,
    };
    progress(`${completed} floods ran during the ${label} latency samples`);
    // A prompt that came too late may still be showing: the host catches up, then it is dismissed.
    await this.quiet();
    await steps.focusWorkbench(page);
    this.latencyFigure(`e2e-palette-open-flood-${label}`, series.palette, goals.palette, during);
    this.latencyFigure(`e2e-start-listener-prompt-flood-${label}`, series.prompt, goals.prompt, during);
  }

  /** The extension host's RSS before, at its peak during, and after one large flood into a listener whose panel is open. */
  async memory(port: number): Promise<void> {
    await this.quiet();
    const unresponsiveBefore = this.unresponsiveCount();
    const sampler = new RssSampler(this.extensionHost);
    const run = await this.floods.flood(port, rssFloodBytes);
    // The peak counts until the panel has caught up, since a backlog drains after the wire went quiet.
    await this.checkCounter('memory flood, panel open', rssFloodBytes);
    const during = sampler.stop();
    await this.quiet();
    const settled = rssBytes(this.extensionHost) ?? Number.NaN;
    const growth = (during.peak - during.before) / MiB;
    this.report.single(`e2e-extension-host-rss-growth-${rssFloodBytes / MiB}MiB-panel-open`, 'MiB', growth, 'peak VmRSS (from the flood until the panel shows its total) - VmRSS before <= 100 MiB', growth <= 100, {
      beforeMiB: round(during.before / MiB, 1),
      peakMiB: round(during.peak / MiB, 1),
      afterMiB: round(settled / MiB, 1),
      sampledEveryMs: 100,
      floodMiBPerSecond: round(run.mibPerSecond, 1),
      extensionHostUnresponsive: this.unresponsiveCount() - unresponsiveBefore,
      note: 'in a fresh extension host after one warm-up flood into another listener',
    });
  }

  counterFigure(): void {
    const exact = this.counterChecks.filter((check) => check.exact).length;
    this.report.single('e2e-panel-counter-exact', 'floods shown exactly', exact, `every flood: the panel shows the listener's total to its display precision within ${counterTimeoutMs / 1000} s`, exact === this.counterChecks.length, {
      floods: this.counterChecks.length,
      maxWaitMs: Math.max(0, ...this.counterChecks.map((check) => check.waitedMs)),
      checks: this.counterChecks,
      note: 'read from the text of the panel header; a counter shown as "128.0 MiB" is exact to 0.05 MiB',
    });
  }

  /** The capture checks since the last figure, as one figure for that format. */
  captureFigure(format: 'jsonl' | 'pcapng'): void {
    const checks = this.captureChecks.splice(0);
    const exact = checks.filter((check) => check.captured === check.expected).length;
    this.report.single(`e2e-capture-file-exact-${format}`, 'floods captured exactly', exact, 'every flood: the capture files hold exactly the bytes sent', exact === checks.length, { floods: checks.length, checks });
  }
}

function packageExtension(): void {
  if (process.env.BENCH_E2E_SKIP_PACKAGE === '1') return;
  progress('npm run package');
  // Its output goes to stderr: stdout carries only the JSON lines.
  const result = spawnSync('npm', ['run', 'package'], { cwd: repoRoot, stdio: ['ignore', process.stderr, process.stderr] });
  if (result.status !== 0) throw new Error('`npm run package` failed; see the output above.');
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const unknownPhase = only.find((name) => !PHASES.includes(name));
  if (unknownPhase) throw new Error(`BENCH_E2E_ONLY=${process.env.BENCH_E2E_ONLY} names '${unknownPhase}': choose from ${PHASES.join(', ')}.`);
  emit({
    kind: 'machine',
    ...machineInfo(),
    codeServer: CODE_SERVER_VERSION,
    settings: { floodMiB: floodBytes / MiB, pairs, rssFloodMiB: rssFloodBytes / MiB, latencySamples: samples, only: only.length > 0 ? only : 'all' },
    timer: TIMER,
  });
  packageExtension();

  const temp = mkdtempSync(join(tmpdir(), 'tcp-lab-bench-e2e-'));
  const floods = new SocatFloods(join(temp, 'flood.bin'));
  const artifacts = new ScenarioArtifacts('bench-e2e');
  let session: E2ESession | undefined;
  let stopped = false;
  const stopEverything = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    floods.killAll();
    await session?.dispose().catch((err: unknown) => progress(`stopping code-server: ${String(err)}`));
    rmSync(temp, { recursive: true, force: true });
  };
  const interrupt = (signal: NodeJS.Signals): void => {
    progress(`${signal}: stopping everything`);
    void stopEverything().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  // Playwright ends the process on SIGINT itself, before the async stop above has finished: whatever
  // is left goes here, synchronously (code-server's own exit hook kills its process group first).
  process.once('exit', () => {
    floods.killAll();
    if (session) rmSync(session.tempRoot, { recursive: true, force: true });
    rmSync(temp, { recursive: true, force: true });
  });
  const watchdog = setTimeout(() => {
    emit({ kind: 'error', message: `The run took longer than ${runTimeoutMs / 60_000} minutes (BENCH_E2E_TIMEOUT_MIN).` });
    void stopEverything().finally(() => process.exit(1));
  }, runTimeoutMs);

  try {
    writeFloodFile(join(temp, 'flood.bin'), Math.max(floodBytes, rssFloodBytes));
    const captures = join(temp, 'captures');
    mkdirSync(captures);
    progress('starting code-server and chromium');
    // Half-open off (the default, stated here because the timer depends on it): TCP Lab closes after the peer's FIN.
    const userSettings = { 'tcpLab.connection.keepHalfOpen': false };
    session = await E2ESession.start({
      workspaceFixture: join(repoRoot, 'test', 'e2e', 'workspace'),
      userSettings,
    });
    const { workbench } = session;
    const current = session;
    const bench = new Bench(workbench, floods, session.server.pid, session.consoleLines, () => current.reloadWindow());

    if (selected('memory')) {
      progress(`(g) extension host memory over a ${rssFloodBytes / MiB} MiB flood with the panel open`);
      await bench.freshHost();
      const portG = await steps.startListener(workbench);
      await steps.openListenerPanel(workbench, portG);
      await bench.memory(portG);
    }

    if (selected('panel-closed')) {
      progress('(a) no traffic panel open; then (e, f) responsiveness with no panel open');
      const portA = await bench.freshHost();
      await bench.measureThroughput('panel-closed', 0.8, portA, async () => undefined);
      await bench.responsiveness('panel-closed', portA, { palette: 150 });
    }

    if (selected('panel-open')) {
      progress("(b) the listener's traffic panel open, following the tail");
      await bench.freshHost();
      const portB = await steps.startListener(workbench);
      await steps.openListenerPanel(workbench, portB);
      await bench.measureThroughput('panel-open', 0.7, portB, (total) => bench.checkCounter('panel open', total));
    }

    /** (c) and (c2): a listener capturing every client into files of `format`, its panel open. */
    const captureConfiguration = async (configuration: string, format: 'jsonl' | 'pcapng'): Promise<void> => {
      await bench.freshHost();
      const port = await steps.startListener(workbench);
      await steps.startListenerCapture(workbench, port, captures);
      await steps.openListenerPanel(workbench, port);
      await bench.measureThroughput(configuration, 0.5, port, async (total) => {
        await bench.checkCounter(`panel open, ${format} capture on`, total);
        await bench.checkCapture(captures, floodBytes);
      }, join(temp, 'socat-into-file.bin'));
      bench.captureFigure(format);
    };

    if (selected('panel-open-capture')) {
      progress('(c) the panel open and the listener capturing to files');
      await captureConfiguration('panel-open-capture', 'jsonl');
    }

    if (selected('panel-open-capture-pcapng')) {
      progress('(c2) the same with tcpLab.capture.format pcapng');
      // The reload in freshHost() starts a window that reads the changed user settings.
      writeUserSettings(session.dirs, { ...userSettings, 'tcpLab.capture.format': 'pcapng' });
      await captureConfiguration('panel-open-capture-pcapng', 'pcapng');
      writeUserSettings(session.dirs, userSettings);
    }

    if (selected('responsiveness-panel-open')) {
      progress("(e, f) responsiveness with the listener's panel open");
      await bench.freshHost();
      const portD = await steps.startListener(workbench);
      await steps.openListenerPanel(workbench, portD);
      await bench.responsiveness('panel-open', portD, { palette: 150, prompt: 250 });
    }

    bench.counterFigure();
    bench.report.summary(startedAt);
  } catch (err) {
    emit({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
    if (session) {
      await artifacts.keepFailure(session, 'bench-e2e');
      progress(`screenshot and logs kept in ${artifacts.folder}`);
    }
    process.exitCode = 1;
  } finally {
    clearTimeout(watchdog);
    await stopEverything();
  }
}

void main();
