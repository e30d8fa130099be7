// Runs every benchmark scenario against TCP Lab's core and raw node:net in the same process, in pairs
// (one run of each back to back, alternating which goes first), and prints one JSON line per figure:
// the medians of each side, and as `ratio` the median of the per-pair ratios, which a noisy machine
// disturbs far less than either side's figure; plus machine info and a summary line.
//
// Tunables (environment): BENCH_STREAM_MIB (default 1024), BENCH_STREAM_PAIRS (7), BENCH_PAIRS (7, the
// other scenarios; BENCH_REPEATS is the older name), BENCH_CLIENTS (1000), BENCH_ECHO_MESSAGES (10000),
// BENCH_FRAMED_MIB (64: 1 MiB frames through a `.tcp` block's EXPECTs), BENCH_TLS_MIB (256),
// BENCH_TLS_HANDSHAKES (200 per run), BENCH_PROXY_MIB (1024: the stream through each relay),
// BENCH_PROXY_PAIRS (5), BENCH_PROXY_MESSAGES (4000 ping-pongs per latency run), BENCH_PROXY_CLIENTS
// (1000 concurrent pairs), BENCH_ONLY (a comma-separated choice of stream, connect, echo, tcp-framed,
// tls, proxy; all when unset). Loopback only.
import { burstOurs, burstRaw } from './connectBurst';
import { echoOurs, echoRaw } from './echoRoundTrip';
import { machineInfo } from './machineInfo';
import { coreBuild, shippedCore, shippedTcpFile } from './shippedCore';
import { collectGarbage } from './memorySampler';
import { settle } from './loopback';
import { envCount, percentile } from './stats';
import { emit, Report } from './report';
import { framedOurs, framedRaw, framedStream } from './tcpFileFramed';
import type { StreamRun } from './streamThroughput';
import { handshakesOurs, handshakesRaw, tlsStreamOurs, tlsStreamRaw } from './tlsStream';
import { concurrentPairs, latencyThroughRelay, streamThroughRelay } from './proxyRelay';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const STREAM_BYTES = envCount('BENCH_STREAM_MIB', 1024) * 2 ** 20;
const STREAM_CHUNK = 64 * 1024;
/** Seven pairs: the median of seven ratios shrugs off two disturbed pairs at either end. */
const STREAM_PAIRS = envCount('BENCH_STREAM_PAIRS', envCount('BENCH_STREAM_REPEATS', 7));
const PAIRS = envCount('BENCH_PAIRS', envCount('BENCH_REPEATS', 7));
/** Below the kernel accept backlog node listens with (511), so no SYN is dropped and retried. */
const CLIENTS_BELOW_BACKLOG = 400;
const CLIENTS = envCount('BENCH_CLIENTS', 1000);
const ECHO_MESSAGES = envCount('BENCH_ECHO_MESSAGES', 10000);
const ECHO_SIZE = 64;
const ECHO_WARMUP = 500;
/** One 1 MiB frame per MiB. */
const FRAMED_FRAMES = envCount('BENCH_FRAMED_MIB', 64);
const TLS_BYTES = envCount('BENCH_TLS_MIB', 256) * 2 ** 20;
const TLS_HANDSHAKES = envCount('BENCH_TLS_HANDSHAKES', 200);

const PROXY_BYTES = envCount('BENCH_PROXY_MIB', 1024) * 2 ** 20;
const PROXY_PAIRS = envCount('BENCH_PROXY_PAIRS', 5);
const PROXY_MESSAGES = envCount('BENCH_PROXY_MESSAGES', 4000);
const PROXY_CLIENTS = envCount('BENCH_PROXY_CLIENTS', 1000);

const SECTIONS = ['stream', 'connect', 'echo', 'tcp-framed', 'tls', 'proxy'];
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');

/** Whether BENCH_ONLY leaves this group of scenarios in (all of them when it is unset). */
function selected(section: string): boolean {
  return ONLY.length === 0 || ONLY.includes(section);
}

const execFileAsync = promisify(execFile);

type StreamSide = 'ours' | 'raw-into-ours' | 'raw';

/** Each stream run gets a fresh process (same node flags as ours) so its RSS growth is its own. */
async function streamInChild(side: StreamSide, bytes: number): Promise<StreamRun> {
  const script = join(__dirname, 'streamChild.ts');
  const { stdout } = await execFileAsync(process.execPath, [...process.execArgv, script, side, String(bytes), String(STREAM_CHUNK)], { timeout: 120_000 });
  return JSON.parse(stdout) as StreamRun;
}

const report = new Report();

/** Runs `pairs` pairs of `ours` and `raw` back to back, swapping which goes first every pair so drift hits both. */
async function alternate<T>(ours: () => Promise<T>, raw: () => Promise<T>, pairs = PAIRS): Promise<{ ours: T[]; raw: T[] }> {
  const results = { ours: [] as T[], raw: [] as T[] };
  for (let round = 0; round < pairs; round++) {
    const order: Array<['ours' | 'raw', () => Promise<T>]> = round % 2 === 0 ? [['ours', ours], ['raw', raw]] : [['raw', raw], ['ours', ours]];
    for (const [side, run] of order) {
      collectGarbage();
      results[side].push(await run());
      await settle();
    }
  }
  return results;
}

/**
 * Like alternate, for the two stream variants against one raw run per round: raw always runs in the
 * middle, so each variant is paired with the raw run right next to it, and the variants swap ends every
 * round so each goes before its raw run in half the pairs and after it in the other half.
 */
async function pairStreams(bytes: number, pairs: number): Promise<Record<StreamSide, StreamRun[]>> {
  const results: Record<StreamSide, StreamRun[]> = { ours: [], 'raw-into-ours': [], raw: [] };
  for (let round = 0; round < pairs; round++) {
    const order: StreamSide[] = round % 2 === 0 ? ['ours', 'raw', 'raw-into-ours'] : ['raw-into-ours', 'raw', 'ours'];
    for (const side of order) results[side].push(await streamInChild(side, bytes));
  }
  return results;
}

/** TLS: a stream and handshakes, TCP Lab at both ends against node:tls at both ends, in pairs. */
async function tlsFigures(): Promise<void> {
  // One warm-up of each, so neither side pays for loading OpenSSL's code and the certificates.
  await tlsStreamOurs(16 * 2 ** 20, STREAM_CHUNK);
  await tlsStreamRaw(16 * 2 ** 20, STREAM_CHUNK);
  await handshakesOurs(20);
  await handshakesRaw(20);
  const stream = await alternate(() => tlsStreamOurs(TLS_BYTES, STREAM_CHUNK), () => tlsStreamRaw(TLS_BYTES, STREAM_CHUNK));
  report.paired(`tls-stream-${TLS_BYTES / 2 ** 20}MiB-throughput`, 'MiB/s', stream.ours.map((r) => r.mibPerSecond), stream.raw.map((r) => r.mibPerSecond), {
    goal: 'median pair ratio >= 0.9 x raw node:tls',
    isMet: (ratio) => ratio >= 0.9,
  });
  const handshakes = await alternate(() => handshakesOurs(TLS_HANDSHAKES), () => handshakesRaw(TLS_HANDSHAKES));
  report.paired('tls-handshake-p50', 'ms', handshakes.ours.map((times) => percentile(times, 50)), handshakes.raw.map((times) => percentile(times, 50)), {
    goal: 'median pair ratio <= 1.2 x raw node:tls',
    isMet: (ratio) => ratio <= 1.2,
    extra: { measures: 'connect() until the TLS session is up and the certificate verified, sequential handshakes on loopback, EC P-256 certificates from the local CA' },
  });
}

/**
 * The proxy against Debian's socat relay, each in its own process, with the same raw client and
 * server in this one: a stream, the round-trip latency each adds, and many concurrent pairs.
 */
async function proxyFigures(): Promise<void> {
  const streamName = PROXY_BYTES % 2 ** 30 === 0 ? `${PROXY_BYTES / 2 ** 30}GiB` : `${PROXY_BYTES / 2 ** 20}MiB`;
  // Warm-ups: the page cache, socat's binary, the bundle's code.
  await streamThroughRelay('ours', 64 * 2 ** 20, STREAM_CHUNK);
  await streamThroughRelay('socat', 64 * 2 ** 20, STREAM_CHUNK);
  const stream = await alternate(() => streamThroughRelay('ours', PROXY_BYTES, STREAM_CHUNK), () => streamThroughRelay('socat', PROXY_BYTES, STREAM_CHUNK), PROXY_PAIRS);
  report.paired(`proxy-stream-${streamName}-throughput`, 'MiB/s', stream.ours.map((r) => r.mibPerSecond), stream.raw.map((r) => r.mibPerSecond), {
    goal: 'median pair ratio >= 1.0 x socat (raw = Debian socat TCP-LISTEN,fork,reuseaddr TCP relay)',
    isMet: (ratio) => ratio >= 1.0,
    extra: { measures: 'raw node:net client -> relay process -> raw node:net server on loopback, 64 KiB writes with backpressure, first write to last byte; ours records the pair in its traffic log (default limits)' },
  });
  report.paired(`proxy-stream-${streamName}-relay-cpu`, 'ms CPU per GiB', stream.ours.map((r) => r.relayCpuMsPerGiB), stream.raw.map((r) => r.relayCpuMsPerGiB), {
    goal: 'diagnostic: user + system CPU of the relay per GiB (socat: its main process and forked children), no goal',
  });
  report.paired(`proxy-stream-${streamName}-relay-peak-rss`, 'MiB', stream.ours.map((r) => r.relayPeakRssMiB), stream.raw.map((r) => r.relayPeakRssMiB), {
    summarize: (values) => Math.max(...values),
    goal: 'diagnostic: peak RSS of the relay process (node against C), no goal',
  });

  const latency = await alternate(() => latencyThroughRelay('ours', PROXY_MESSAGES, ECHO_SIZE, 200), () => latencyThroughRelay('socat', PROXY_MESSAGES, ECHO_SIZE, 200), PROXY_PAIRS);
  const added = (run: { relayedUs: number[]; directUs: number[] }): number => percentile(run.relayedUs, 50) - percentile(run.directUs, 50);
  report.paired(`proxy-added-latency-${ECHO_SIZE}B-p50`, 'us', latency.ours.map(added), latency.raw.map(added), {
    goal: 'ours <= 100 us and median pair ratio <= 1.2 x socat',
    isMet: (ratio, ours) => ours <= 100 && ratio <= 1.2,
    extra: { measures: 'p50 round trip of 64 B ping-pong through the relay minus p50 of the same client straight to the echo server, both in the same run (4 interleaved blocks)' },
  });
  report.paired(`proxy-relayed-round-trip-${ECHO_SIZE}B-p99`, 'us', latency.ours.map((r) => percentile(r.relayedUs, 99)), latency.raw.map((r) => percentile(r.relayedUs, 99)), { goal: 'reported, no goal' });

  await concurrentPairs('ours', 100, ECHO_SIZE);
  const concurrent = await alternate(() => concurrentPairs('ours', PROXY_CLIENTS, ECHO_SIZE), () => concurrentPairs('socat', PROXY_CLIENTS, ECHO_SIZE), Math.min(PROXY_PAIRS, 3));
  report.paired(`proxy-${PROXY_CLIENTS}-concurrent-pairs`, 'ms', concurrent.ours.map((r) => r.ms), concurrent.raw.map((r) => r.ms), {
    goal: `every pair completes; reported against socat (a process per pair), no ratio goal`,
    isMet: () => true,
    extra: { measures: `${PROXY_CLIENTS} clients connect through the relay at once, each exchanges ${ECHO_SIZE} B with an echo server while all are open, then all close` },
  });
  report.paired(`proxy-${PROXY_CLIENTS}-concurrent-pairs-relay-rss`, 'MiB', concurrent.ours.map((r) => r.relayRssAllOpenMiB), concurrent.raw.map((r) => r.relayRssAllOpenMiB), {
    summarize: (values) => Math.max(...values),
    goal: `ours <= 256 MiB with ${PROXY_CLIENTS} pairs open (socat: its listening process only; each pair is a forked process)`,
    isMet: (_ratio, worst) => worst <= 256,
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const unknownSection = ONLY.find((name) => !SECTIONS.includes(name));
  if (unknownSection) throw new Error(`BENCH_ONLY=${process.env.BENCH_ONLY} names '${unknownSection}': choose from ${SECTIONS.join(', ')}.`);
  shippedCore();
  shippedTcpFile();
  emit({
    kind: 'machine',
    ...machineInfo(),
    core: coreBuild(),
    settings: { streamMiB: STREAM_BYTES / 2 ** 20, chunkKiB: STREAM_CHUNK / 1024, streamPairs: STREAM_PAIRS, pairs: PAIRS, clients: CLIENTS, echoMessages: ECHO_MESSAGES, echoBytes: ECHO_SIZE, framedMiB: FRAMED_FRAMES, tlsMiB: TLS_BYTES / 2 ** 20, tlsHandshakes: TLS_HANDSHAKES, proxyMiB: PROXY_BYTES / 2 ** 20, proxyPairs: PROXY_PAIRS, proxyMessages: PROXY_MESSAGES, proxyClients: PROXY_CLIENTS, only: ONLY.length > 0 ? ONLY : 'all' },
  });

  if (selected('stream')) {
    // Every side starts cold in its own process; over a GiB the warm-up is a rounding error. Two
    // variants against the same raw runs: TCP Lab at both ends (two traffic logs), and a raw client
    // streaming into TCP Lab's listener (one log: a device or app under test sending to TCP Lab).
    const stream = await pairStreams(STREAM_BYTES, STREAM_PAIRS);
    const streamName = STREAM_BYTES % 2 ** 30 === 0 ? `${STREAM_BYTES / 2 ** 30}GiB` : `${STREAM_BYTES / 2 ** 20}MiB`;
    const variants: Array<[string, StreamRun[]]> = [[`stream-${streamName}`, stream.ours], [`stream-${streamName}-raw-client`, stream['raw-into-ours']]];
    for (const [name, ours] of variants) {
      report.paired(`${name}-throughput`, 'MiB/s', ours.map((r) => r.mibPerSecond), stream.raw.map((r) => r.mibPerSecond), {
        goal: 'median pair ratio >= 0.95 x raw',
        isMet: (ratio) => ratio >= 0.95,
      });
      // CPU time (user + system) the child process spent during the transfer, per GiB moved.
      report.paired(`${name}-cpu`, 'ms CPU per GiB', ours.map((r) => r.cpuMsPerGiB), stream.raw.map((r) => r.cpuMsPerGiB), {
        goal: 'median pair ratio <= 1.10 x raw',
        isMet: (ratio) => ratio <= 1.1,
        extra: { measures: 'process.cpuUsage() user + system of the child process running the stream, from first write to last byte received, per GiB' },
      });
      // RSS: the worst run counts, not the median, since the goal is a ceiling.
      report.paired(`${name}-rss-growth`, 'MiB', ours.map((r) => r.rssGrowthMiB), stream.raw.map((r) => r.rssGrowthMiB), {
        summarize: (values) => Math.max(...values),
        goal: 'ours <= 64 MiB (peak RSS over the pre-run baseline, worst run)',
        isMet: (_ratio, worst) => worst <= 64,
      });
    }
  }

  if (selected('connect')) {
    await burstOurs(100);
    await burstRaw(100);
    await settle();
    const burst = await alternate(() => burstOurs(CLIENTS), () => burstRaw(CLIENTS));
    report.paired(`connect-${CLIENTS}-clients`, 'ms', burst.ours.map((r) => r.seconds * 1000), burst.raw.map((r) => r.seconds * 1000), { goal: 'median pair ratio <= 1.5 x raw', isMet: (ratio) => ratio <= 1.5 });
    report.paired(`connect-${CLIENTS}-clients-cpu`, 'ms CPU', burst.ours.map((r) => r.cpuMs), burst.raw.map((r) => r.cpuMs), { goal: 'diagnostic, no goal' });
    // Past the accept backlog some handshakes wait for the kernel's 1 s SYN retry on both sides, which
    // hides the engine's own cost; this smaller burst shows it.
    const smallBurst = await alternate(() => burstOurs(CLIENTS_BELOW_BACKLOG), () => burstRaw(CLIENTS_BELOW_BACKLOG));
    report.paired(`connect-${CLIENTS_BELOW_BACKLOG}-clients`, 'ms', smallBurst.ours.map((r) => r.seconds * 1000), smallBurst.raw.map((r) => r.seconds * 1000), { goal: 'diagnostic (below the accept backlog), no goal' });
  }

  if (selected('echo')) {
    const echo = await alternate(() => echoOurs(ECHO_MESSAGES, ECHO_SIZE, ECHO_WARMUP), () => echoRaw(ECHO_MESSAGES, ECHO_SIZE, ECHO_WARMUP));
    const p50 = (run: { roundTripsUs: number[] }): number => percentile(run.roundTripsUs, 50);
    const p99 = (run: { roundTripsUs: number[] }): number => percentile(run.roundTripsUs, 99);
    report.paired(`echo-${ECHO_SIZE}B-round-trip-p50`, 'us', echo.ours.map(p50), echo.raw.map(p50), { goal: 'median pair ratio <= 1.2 x raw', isMet: (ratio) => ratio <= 1.2 });
    report.paired(`echo-${ECHO_SIZE}B-round-trip-p99`, 'us', echo.ours.map(p99), echo.raw.map(p99), { goal: 'reported, no goal' });
    report.paired(`echo-${ECHO_SIZE}B-round-trip-cpu`, 'us CPU per round trip', echo.ours.map((r) => r.cpuUsPerRoundTrip), echo.raw.map((r) => r.cpuUsPerRoundTrip), { goal: 'diagnostic, no goal' });
  }

  if (selected('tcp-framed')) {
    // A `.tcp` block reading 1 MiB frames through EXPECTs, against a raw read of the same stream. One
    // unmeasured run of each first: the runner's code is cold, and so is the 64 MiB the sender writes.
    const framed = framedStream(FRAMED_FRAMES);
    await framedOurs(framed);
    await framedRaw(framed);
    await settle();
    const framedRuns = await alternate(() => framedOurs(framed), () => framedRaw(framed));
    report.paired(`tcp-framed-expect-${FRAMED_FRAMES}MiB`, 'ms', framedRuns.ours.map((r) => r.ms), framedRuns.raw.map((r) => r.ms), {
      goal: 'median pair ratio <= 2 x raw',
      isMet: (ratio) => ratio <= 2,
      extra: {
        measures: `a .tcp block (FRAMING u32be, ${FRAMED_FRAMES} x EXPECT text of a 1 MiB frame) from opening its connection to its result, against a node:net client counting the same bytes; one in-process node:net sender for both`,
      },
    });
    report.paired(`tcp-framed-expect-${FRAMED_FRAMES}MiB-cpu`, 'ms CPU', framedRuns.ours.map((r) => r.cpuMs), framedRuns.raw.map((r) => r.cpuMs), {
      goal: 'diagnostic, no goal',
      extra: { measures: 'process.cpuUsage() user + system over the same span, the sender in the same process included' },
    });
  }

  if (selected('tls')) await tlsFigures();

  if (selected('proxy')) await proxyFigures();

  report.summary(started);
}

main().catch((error: unknown) => {
  emit({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
});
