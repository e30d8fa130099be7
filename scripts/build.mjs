// One esbuild script for both bundles; types are checked separately by `npm run check-types`.
import { chmodSync } from 'node:fs';
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// Node bundles prefer a package's ES module build: jsonc-parser's UMD `main` loads its parts through
// a require() esbuild cannot see, which breaks the bundle at run time.
const nodeMainFields = ['module', 'main'];
const cliImportMetaUrl = "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;";

/** @type {import('esbuild').BuildOptions[]} */
const targets = [
  {
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['vscode'],
    mainFields: nodeMainFields,
  },
  {
    // The headless test runner (`tcp-lab-test`), run by node directly from the package's bin.
    entryPoints: ['src/cli.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    // fdir (under tinyglobby) builds a require from import.meta.url, which a CommonJS bundle lacks.
    banner: { js: `#!/usr/bin/env node\n${cliImportMetaUrl}` },
    define: { 'import.meta.url': 'importMetaUrl' },
    mainFields: nodeMainFields,
  },
  {
    entryPoints: ['src/webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
];

const common = { bundle: true, minify: production, sourcemap: !production, logLevel: 'info' };

if (watch) {
  for (const t of targets) {
    const ctx = await esbuild.context({ ...common, ...t });
    await ctx.watch();
  }
} else {
  await Promise.all(targets.map((t) => esbuild.build({ ...common, ...t })));
  // The CLI is started through its shebang (package bin), so it must be executable.
  chmodSync('dist/cli.js', 0o755);
}
