// The engine as the extension ships it: bundled by esbuild with the production build's settings.
// Running the benchmark straight from TypeScript through tsx would measure tsx's transform instead
// (it keeps function names with a helper call on every closure, which costs several percent when
// thousands of connections are created). BENCH_CORE=source skips the bundle, for profiling with
// source file names; BENCH_CORE_ENTRY=<registry.ts of another checkout> bundles that engine (and the
// `.tcp` runner in its core folder) instead, to A/B an engine change against the same benchmark.
import { buildSync, type BuildOptions } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

type CoreRegistryModule = typeof import('../src/core/registry');

/** What the `.tcp` benchmark runs: the parser and runner, on the bare engine's sockets. */
export interface TcpFileModule {
  parseTcpFile: typeof import('../src/core/tcpFile/parser').parseTcpFile;
  runBlock: typeof import('../src/core/tcpFile/runner').runBlock;
  engineSockets: typeof import('../src/core/tcpFile/engineSockets').engineSockets;
}

let loaded: CoreRegistryModule | undefined;
let loadedTcpFile: TcpFileModule | undefined;

/** The registry.ts being measured: this checkout's, or BENCH_CORE_ENTRY's. */
function registryEntry(): string {
  return process.env.BENCH_CORE_ENTRY || join(__dirname, '..', 'src', 'core', 'registry.ts');
}

/** Bundles with the production build's settings and loads the result as a CommonJS module. */
function loadBundle<T>(options: Pick<BuildOptions, 'entryPoints' | 'stdin'>): T {
  const result = buildSync({ ...options, bundle: true, platform: 'node', format: 'cjs', target: 'node18', write: false });
  const directory = mkdtempSync(join(tmpdir(), 'tcp-lab-bench-'));
  try {
    const file = join(directory, 'core.js');
    writeFileSync(file, result.outputFiles[0].text);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as T;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

export function shippedCore(): CoreRegistryModule {
  if (loaded) {
    return loaded;
  }
  if (process.env.BENCH_CORE === 'source') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('../src/core/registry') as CoreRegistryModule;
    return loaded;
  }
  loaded = loadBundle<CoreRegistryModule>({ entryPoints: [registryEntry()] });
  return loaded;
}

/** The `.tcp` parser and runner, bundled like the engine (from the core folder of BENCH_CORE_ENTRY, when set). */
export function shippedTcpFile(): TcpFileModule {
  if (loadedTcpFile) {
    return loadedTcpFile;
  }
  if (process.env.BENCH_CORE === 'source') {
    /* eslint-disable @typescript-eslint/no-require-imports */
    loadedTcpFile = {
      parseTcpFile: (require('../src/core/tcpFile/parser') as TcpFileModule).parseTcpFile,
      runBlock: (require('../src/core/tcpFile/runner') as TcpFileModule).runBlock,
      engineSockets: (require('../src/core/tcpFile/engineSockets') as TcpFileModule).engineSockets,
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
    return loadedTcpFile;
  }
  const contents = ["export { parseTcpFile } from './tcpFile/parser';", "export { runBlock } from './tcpFile/runner';", "export { engineSockets } from './tcpFile/engineSockets';"].join('\n');
  loadedTcpFile = loadBundle<TcpFileModule>({ stdin: { contents, resolveDir: dirname(registryEntry()), loader: 'ts', sourcefile: 'tcpFileBench.ts' } });
  return loadedTcpFile;
}

/**
 * A script bundled with the production build's settings into a temporary file, to run with plain
 * node in a process of its own (BENCH_CORE=source: undefined, run the TypeScript through tsx).
 */
export function bundledScript(entry: string): string | undefined {
  if (process.env.BENCH_CORE === 'source') {
    return undefined;
  }
  const result = buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node18', write: false });
  const directory = mkdtempSync(join(tmpdir(), 'tcp-lab-bench-'));
  const file = join(directory, 'script.js');
  writeFileSync(file, result.outputFiles[0].text);
  process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
  return file;
}

/** Which build of the engine is being measured, for the machine line. */
export function coreBuild(): string {
  if (process.env.BENCH_CORE === 'source') {
    return 'TypeScript source through tsx';
  }
  return `esbuild bundle, production settings (node18 cjs)${process.env.BENCH_CORE_ENTRY ? ' of BENCH_CORE_ENTRY' : ''}`;
}
