// The CLI bundled with the options scripts/build.mjs and `npm run package:cli` use, so tests run it
// as a pipeline would.
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const repo = path.resolve(__dirname, '..', '..', '..');

/** Bundles src/cli.ts into `dir`/cli.js (with its shebang) and returns that path. */
export async function bundleCli(dir: string): Promise<string> {
  const cli = path.join(dir, 'cli.js');
  // An ES module shared with the build scripts; this test code is CommonJS, hence the dynamic import.
  const { cliBuildOptions } = await import('../../../scripts/cliBuildOptions.mjs');
  await esbuild.build({
    ...cliBuildOptions,
    entryPoints: [path.join(repo, 'src', 'cli.ts')],
    absWorkingDir: repo,
    outfile: cli,
    bundle: true,
    logLevel: 'silent',
  });
  return cli;
}
