// One esbuild script for both bundles; types are checked separately by `npm run check-types`.
import { existsSync } from 'node:fs';
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions[]} */
const targets = [
  {
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['vscode'],
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

// The webview entry arrives with the traffic panel; build whichever bundles exist.
const existing = targets.filter((t) => t.entryPoints.every((entry) => existsSync(entry)));
if (watch) {
  for (const t of existing) {
    const ctx = await esbuild.context({ ...common, ...t });
    await ctx.watch();
  }
} else {
  await Promise.all(existing.map((t) => esbuild.build({ ...common, ...t })));
}
