// The engine as the extension ships it: bundled by esbuild with the production build's settings.
// Running the benchmark straight from TypeScript through tsx would measure tsx's transform instead
// (it keeps function names with a helper call on every closure, which costs several percent when
// thousands of connections are created). BENCH_CORE=source skips the bundle, for profiling with
// source file names; BENCH_CORE_ENTRY=<registry.ts of another checkout> bundles that engine instead,
// to A/B an engine change against the same benchmark.
import { buildSync } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type CoreRegistryModule = typeof import('../src/core/registry');

let loaded: CoreRegistryModule | undefined;

export function shippedCore(): CoreRegistryModule {
  if (loaded) {
    return loaded;
  }
  if (process.env.BENCH_CORE === 'source') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('../src/core/registry') as CoreRegistryModule;
    return loaded;
  }
  const result = buildSync({
    entryPoints: [process.env.BENCH_CORE_ENTRY || join(__dirname, '..', 'src', 'core', 'registry.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    write: false,
  });
  const directory = mkdtempSync(join(tmpdir(), 'tcp-lab-bench-'));
  try {
    const file = join(directory, 'core.js');
    writeFileSync(file, result.outputFiles[0].text);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(file) as CoreRegistryModule;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  return loaded;
}

/** Which build of the engine is being measured, for the machine line. */
export function coreBuild(): string {
  if (process.env.BENCH_CORE === 'source') {
    return 'TypeScript source through tsx';
  }
  return `esbuild bundle, production settings (node18 cjs)${process.env.BENCH_CORE_ENTRY ? ' of BENCH_CORE_ENTRY' : ''}`;
}
