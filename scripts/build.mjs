// One esbuild script for both bundles; types are checked separately by `npm run check-types`.
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { cliBuildOptions } from './cliBuildOptions.mjs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// Node bundles prefer a package's ES module build: jsonc-parser's UMD `main` loads its parts through
// a require() esbuild cannot see, which breaks the bundle at run time.
const nodeMainFields = ['module', 'main'];

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
  { ...cliBuildOptions, outfile: 'dist/cli.js' },
  {
    entryPoints: ['src/webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
];

// The panel's icons are VS Code's own font. The .vsix ships no node_modules, so the stylesheet and
// font are copied next to the bundles (the README credits the font, as its CC BY 4.0 licence asks).
function copyCodicons() {
  const from = 'node_modules/@vscode/codicons';
  mkdirSync('dist/codicons', { recursive: true });
  copyFileSync(`${from}/dist/codicon.css`, 'dist/codicons/codicon.css');
  copyFileSync(`${from}/dist/codicon.ttf`, 'dist/codicons/codicon.ttf');
}

const common = { bundle: true, minify: production, sourcemap: !production, logLevel: 'info' };

copyCodicons();
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
