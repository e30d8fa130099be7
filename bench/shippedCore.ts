// The engine as the extension ships it: bundled by esbuild with the production build's settings.
// Running the benchmark straight from TypeScript through tsx would measure tsx's transform instead
// (it keeps function names with a helper call on every closure, which costs several percent when
// thousands of connections are created). BENCH_CORE=source skips the bundle, for profiling with
// source file names.
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
    entryPoints: [join(__dirname, '..', 'src', 'core', 'registry.ts')],
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
  return process.env.BENCH_CORE === 'source' ? 'TypeScript source through tsx' : 'esbuild bundle, production settings (node18 cjs)';
}
