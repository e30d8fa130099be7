// The CLI bundled the way scripts/build.mjs bundles it, so tests run it as a pipeline would.
import * as path from 'node:path';
import * as esbuild from 'esbuild';

/** Bundles src/cli.ts into `dir`/cli.js (with its shebang) and returns that path. */
export async function bundleCli(dir: string): Promise<string> {
  const cli = path.join(dir, 'cli.js');
  await esbuild.build({
    entryPoints: [path.resolve(__dirname, '..', '..', '..', 'src', 'cli.ts')],
    outfile: cli,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    banner: { js: "#!/usr/bin/env node\nconst importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': 'importMetaUrl' },
    mainFields: ['module', 'main'],
    logLevel: 'silent',
  });
  return cli;
}
