// One stream run in a fresh process, so its RSS growth is not hidden by memory an earlier run already
// mapped (RSS rarely shrinks after a free). Usage: streamChild.ts ours|raw-into-ours|raw <bytes> <chunkBytes>;
// prints the StreamRun as one JSON line.
import { streamOurs, streamRaw, streamRawIntoOurs, type StreamRun } from './streamThroughput';

const sides: Record<string, (bytes: number, chunk: number) => Promise<StreamRun>> = {
  ours: streamOurs,
  'raw-into-ours': streamRawIntoOurs,
  raw: streamRaw,
};

async function main(): Promise<void> {
  const [side, bytes, chunk] = process.argv.slice(2);
  const run = Object.hasOwn(sides, side) ? sides[side] : undefined;
  if (!run) {
    throw new Error(`Unknown side "${side}"; pass one of ${Object.keys(sides).join(', ')}.`);
  }
  process.stdout.write(JSON.stringify(await run(Number(bytes), Number(chunk))) + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
