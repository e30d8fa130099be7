// One esbuild script for both bundles; types are checked separately by `npm run check-types`.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as esbuild from 'esbuild';
import subsetFont from 'subset-font';
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

// The panel's icons are VS Code's own font (@vscode/codicons). The .vsix ships no node_modules, so
// the build writes a stylesheet and a font beside the bundles holding only the glyphs named in
// src/webview/icons.ts: about 4 KB instead of the whole 120 KB font and 33 KB stylesheet. The README
// credits the font, as its CC BY 4.0 licence asks.
async function buildCodicons() {
  const from = 'node_modules/@vscode/codicons/dist';
  const list = readFileSync('src/webview/icons.ts', 'utf8');
  const names = [...(/PANEL_ICONS = \[([^\]]*)\]/.exec(list)?.[1] ?? '').matchAll(/'([a-z0-9-]+)'/g)].map((m) => m[1]);
  if (names.length === 0) throw new Error('src/webview/icons.ts lists no icons in PANEL_ICONS; the panel would draw none.');
  const css = readFileSync(`${from}/codicon.css`, 'utf8');
  const rules = names.map((name) => {
    const code = new RegExp(`\\.codicon-${name}:before \\{ content: "\\\\([0-9a-f]+)" \\}`).exec(css)?.[1];
    if (!code) throw new Error(`src/webview/icons.ts names "${name}", which @vscode/codicons does not have; pick a name from its codicon.css.`);
    return { name, code };
  });
  const glyphs = rules.map((r) => String.fromCodePoint(parseInt(r.code, 16))).join('');
  const font = await subsetFont(readFileSync(`${from}/codicon.ttf`), glyphs, { targetFormat: 'truetype' });
  mkdirSync('dist/codicons', { recursive: true });
  writeFileSync('dist/codicons/codicon.ttf', font);
  writeFileSync(
    'dist/codicons/codicon.css',
    [
      '/* Written by scripts/build.mjs: the icons of src/webview/icons.ts from @vscode/codicons (CC BY 4.0, Microsoft). */',
      '@font-face { font-family: "codicon"; font-display: block; src: url("./codicon.ttf") format("truetype"); }',
      ".codicon[class*='codicon-'] { font: normal normal normal 16px/1 codicon; display: inline-block; text-align: center; text-decoration: none; user-select: none; -webkit-font-smoothing: antialiased; }",
      ...rules.map((r) => `.codicon-${r.name}:before { content: "\\${r.code}"; }`),
      '',
    ].join('\n'),
  );
}

const common = { bundle: true, minify: production, sourcemap: !production, logLevel: 'info' };

await buildCodicons();
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
