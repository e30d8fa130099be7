// `npm run soak`: many short clients through one TCP Lab listener, with connection history on (its
// defaults: 100 closed connections, 64 MiB), each sending a few bytes and closing, as one-shot test
// tools and request/response devices do. Prints one JSON line: heap, RSS and open handles before and
// after, and what the history kept, so a leak shows as growth with the number of cycles.
// SOAK_CYCLES (default 20,000), SOAK_PARALLEL (default 20). Loopback only.
import { connect } from 'node:net';
import { Registry } from '../src/core/registry';
import { collectGarbage } from './memorySampler';

const CYCLES = Number(process.env.SOAK_CYCLES ?? 20_000);
const PARALLEL = Number(process.env.SOAK_PARALLEL ?? 20);

function activeHandles(): number {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
}

function oneClient(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.end('hello\r\n'));
    socket.on('data', () => undefined);
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

async function main(): Promise<void> {
  const registry = new Registry();
  registry.setDefaults({ allowHalfOpen: false });
  const listener = await registry.listen({ port: 0 });
  const port = listener.address!.port;
  // A warm-up fills the history to its limit, so what follows measures the steady state.
  for (let i = 0; i < 200; i++) await oneClient(port);
  collectGarbage();
  const before = { heapMiB: process.memoryUsage().heapUsed / 2 ** 20, rssMiB: process.memoryUsage.rss() / 2 ** 20, handles: activeHandles() };
  const started = Date.now();
  let done = 0;
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (done < CYCLES) {
      done++;
      await oneClient(port);
    }
  }));
  // Let the last closes reach the registry before counting.
  while (listener.connections.length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  collectGarbage();
  const after = { heapMiB: process.memoryUsage().heapUsed / 2 ** 20, rssMiB: process.memoryUsage.rss() / 2 ** 20, handles: activeHandles() };
  const round = (value: number): number => Math.round(value * 10) / 10;
  process.stdout.write(JSON.stringify({
    kind: 'soak',
    cycles: CYCLES,
    parallel: PARALLEL,
    seconds: round((Date.now() - started) / 1000),
    accepted: listener.acceptedCount,
    bytesIn: listener.totals.bytesIn,
    bytesInExact: listener.totals.bytesIn === (CYCLES + 200) * 7,
    historyKept: registry.closedConnections(listener.id).length,
    heapGrowthMiB: round(after.heapMiB - before.heapMiB),
    rssGrowthMiB: round(after.rssMiB - before.rssMiB),
    handlesBefore: before.handles,
    handlesAfter: after.handles,
  }) + '\n');
  await registry.stopAll();
  registry.dispose();
}

void main();
