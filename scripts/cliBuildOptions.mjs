// The esbuild options of the `tcp-lab` / `tcp-lab-test` bundle, shared by the extension build and the
// standalone CLI package so both ship the same program.
import { readFileSync } from 'node:fs';

// `tcp-lab serve --api` answers GET /version with the extension's version, fixed at build time.
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// fdir (under tinyglobby) builds a require from import.meta.url, which a CommonJS bundle lacks.
const importMetaUrl = "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;";

/** @type {import('esbuild').BuildOptions} */
export const cliBuildOptions = {
  // The headless test runner and `serve`, run by node directly from the package's bin.
  entryPoints: ['src/cli.ts'],
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  banner: { js: `#!/usr/bin/env node\n${importMetaUrl}` },
  define: { 'import.meta.url': 'importMetaUrl', 'process.env.TCP_LAB_VERSION': JSON.stringify(version) },
  // Node bundles prefer a package's ES module build: jsonc-parser's UMD `main` loads its parts through
  // a require() esbuild cannot see, which breaks the bundle at run time.
  mainFields: ['module', 'main'],
};
