// Runs every benchmark scenario against TCP Lab's core and raw node:net in the same process, alternating
// which goes first, and prints one JSON line per figure (medians over the repeats) plus machine info.
//
// Tunables (environment): BENCH_STREAM_MIB (default 1024), BENCH_STREAM_REPEATS (3), BENCH_REPEATS (5,
// the other scenarios), BENCH_CLIENTS (1000), BENCH_ECHO_MESSAGES (10000). Loopback only.
import { burstOurs, burstRaw } from './connectBurst';
import { echoOurs, echoRaw } from './echoRoundTrip';
import { machineInfo } from './machineInfo';
import { coreBuild, shippedCore } from './shippedCore';
import { collectGarbage } from './memorySampler';
import { settle } from './loopback';
import { median, percentile, round } from './stats';
import type { StreamRun } from './streamThroughput';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const STREAM_BYTES = Number(process.env.BENCH_STREAM_MIB ?? 1024) * 2 ** 20;
const STREAM_CHUNK = 64 * 1024;
const STREAM_REPEATS = Number(process.env.BENCH_STREAM_REPEATS ?? 3);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
/** Below the kernel accept backlog node listens with (511), so no SYN is dropped and retried. */
const CLIENTS_BELOW_BACKLOG = 400;
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1000);
const ECHO_MESSAGES = Number(process.env.BENCH_ECHO_MESSAGES ?? 10000);
const ECHO_SIZE = 64;
const ECHO_WARMUP = 500;

interface Figure {
  scenario: string;
  unit: string;
  ours: number;
  raw: number;
  /** ours ÷ raw. */
  ratio: number;
  goal: string;
  met: boolean | null;
  runs: { ours: number[]; raw: number[] };
}

const figures: Figure[] = [];
const execFileAsync = promisify(execFile);

type StreamSide = 'ours' | 'raw-into-ours' | 'raw';

/** Each stream run gets a fresh process (same node flags as ours) so its RSS growth is its own. */
async function streamInChild(side: StreamSide, bytes: number): Promise<StreamRun> {
  const script = join(__dirname, 'streamChild.ts');
  const { stdout } = await execFileAsync(process.execPath, [...process.execArgv, script, side, String(bytes), String(STREAM_CHUNK)], { timeout: 120_000 });
  return JSON.parse(stdout) as StreamRun;
}

function emit(line: object): void {
  process.stdout.write(JSON.stringify(line) + '\n');
}

function report(scenario: string, unit: string, ours: number[], raw: number[], summarize: (values: number[]) => number, goal: string, isMet: ((ours: number, raw: number) => boolean) | undefined): void {
  const oursValue = summarize(ours);
  const rawValue = summarize(raw);
  const figure: Figure = {
    scenario,
    unit,
    ours: round(oursValue),
    raw: round(rawValue),
    ratio: round(oursValue / rawValue),
    goal,
    met: isMet ? isMet(oursValue, rawValue) : null,
    runs: { ours: ours.map((value) => round(value)), raw: raw.map((value) => round(value)) },
  };
  figures.push(figure);
  emit({ kind: 'figure', ...figure });
}

/** Runs `ours` and `raw` `repeats` times each, swapping which goes first every round so drift hits both. */
async function alternate<T>(ours: () => Promise<T>, raw: () => Promise<T>, repeats = REPEATS): Promise<{ ours: T[]; raw: T[] }> {
  const results = { ours: [] as T[], raw: [] as T[] };
  for (let round = 0; round < repeats; round++) {
    const order: Array<['ours' | 'raw', () => Promise<T>]> = round % 2 === 0 ? [['ours', ours], ['raw', raw]] : [['raw', raw], ['ours', ours]];
    for (const [side, run] of order) {
      collectGarbage();
      results[side].push(await run());
      await settle();
    }
  }
  return results;
}

/** Like alternate, for the three stream variants: the order rotates every round so each side goes first once in three. */
async function rotateStreams(bytes: number, repeats: number): Promise<Record<StreamSide, StreamRun[]>> {
  const sides: StreamSide[] = ['ours', 'raw-into-ours', 'raw'];
  const results: Record<StreamSide, StreamRun[]> = { ours: [], 'raw-into-ours': [], raw: [] };
  for (let round = 0; round < repeats; round++) {
    for (let i = 0; i < sides.length; i++) {
      const side = sides[(round + i) % sides.length];
      results[side].push(await streamInChild(side, bytes));
    }
  }
  return results;
}

async function main(): Promise<void> {
  const started = Date.now();
  shippedCore();
  emit({ kind: 'machine', ...machineInfo(), core: coreBuild(), settings: { streamMiB: STREAM_BYTES / 2 ** 20, chunkKiB: STREAM_CHUNK / 1024, streamRepeats: STREAM_REPEATS, repeats: REPEATS, clients: CLIENTS, echoMessages: ECHO_MESSAGES, echoBytes: ECHO_SIZE } });

  // Every side starts cold in its own process; over a GiB the warm-up is a rounding error. Two
  // variants against the same raw runs: TCP Lab at both ends (two traffic logs), and a raw client
  // streaming into TCP Lab's listener (one log: a device or app under test sending to TCP Lab).
  const stream = await rotateStreams(STREAM_BYTES, STREAM_REPEATS);
  const streamName = STREAM_BYTES % 2 ** 30 === 0 ? `${STREAM_BYTES / 2 ** 30}GiB` : `${STREAM_BYTES / 2 ** 20}MiB`;
  const variants: Array<[string, StreamRun[]]> = [[`stream-${streamName}`, stream.ours], [`stream-${streamName}-raw-client`, stream['raw-into-ours']]];
  for (const [name, ours] of variants) {
    report(`${name}-throughput`, 'MiB/s', ours.map((r) => r.mibPerSecond), stream.raw.map((r) => r.mibPerSecond), median, 'ours >= 0.90 x raw', (o, raw) => o >= 0.9 * raw);
    report(`${name}-cpu`, 'ms CPU per GiB', ours.map((r) => r.cpuMsPerGiB), stream.raw.map((r) => r.cpuMsPerGiB), median, 'diagnostic, no goal', undefined);
    // RSS: the worst run counts, not the median, since the goal is a ceiling.
    report(`${name}-rss-growth`, 'MiB', ours.map((r) => r.rssGrowthMiB), stream.raw.map((r) => r.rssGrowthMiB), (values) => Math.max(...values), 'ours <= 64 MiB (peak RSS over the pre-run baseline, worst run)', (o) => o <= 64);
  }

  await burstOurs(100);
  await burstRaw(100);
  await settle();
  const burst = await alternate(() => burstOurs(CLIENTS), () => burstRaw(CLIENTS));
  report(`connect-${CLIENTS}-clients`, 'ms', burst.ours.map((r) => r.seconds * 1000), burst.raw.map((r) => r.seconds * 1000), median, 'ours <= 1.5 x raw', (ours, raw) => ours <= 1.5 * raw);
  report(`connect-${CLIENTS}-clients-cpu`, 'ms CPU', burst.ours.map((r) => r.cpuMs), burst.raw.map((r) => r.cpuMs), median, 'diagnostic, no goal', undefined);
  // Past the accept backlog some handshakes wait for the kernel's 1 s SYN retry on both sides, which
  // hides the engine's own cost; this smaller burst shows it.
  const smallBurst = await alternate(() => burstOurs(CLIENTS_BELOW_BACKLOG), () => burstRaw(CLIENTS_BELOW_BACKLOG));
  report(`connect-${CLIENTS_BELOW_BACKLOG}-clients`, 'ms', smallBurst.ours.map((r) => r.seconds * 1000), smallBurst.raw.map((r) => r.seconds * 1000), median, 'diagnostic (below the accept backlog), no goal', undefined);

  const echo = await alternate(() => echoOurs(ECHO_MESSAGES, ECHO_SIZE, ECHO_WARMUP), () => echoRaw(ECHO_MESSAGES, ECHO_SIZE, ECHO_WARMUP));
  const p50 = (run: { roundTripsUs: number[] }): number => percentile(run.roundTripsUs, 50);
  const p99 = (run: { roundTripsUs: number[] }): number => percentile(run.roundTripsUs, 99);
  report(`echo-${ECHO_SIZE}B-round-trip-p50`, 'us', echo.ours.map(p50), echo.raw.map(p50), median, 'ours <= 1.2 x raw', (ours, raw) => ours <= 1.2 * raw);
  report(`echo-${ECHO_SIZE}B-round-trip-p99`, 'us', echo.ours.map(p99), echo.raw.map(p99), median, 'reported, no goal', undefined);
  report(`echo-${ECHO_SIZE}B-round-trip-cpu`, 'us CPU per round trip', echo.ours.map((r) => r.cpuUsPerRoundTrip), echo.raw.map((r) => r.cpuUsPerRoundTrip), median, 'diagnostic, no goal', undefined);

  emit({ kind: 'summary', seconds: round((Date.now() - started) / 1000, 1), goalsMet: figures.every((figure) => figure.met !== false), missed: figures.filter((figure) => figure.met === false).map((figure) => figure.scenario) });
}

main().catch((error: unknown) => {
  emit({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
});
