// `npm run package:cli`: builds tcp-lab-cli-<version>.tgz, the `tcp-lab` program (`tcp-lab test`,
// `tcp-lab serve`; `tcp-lab-test` is the runner's older name) as an npm package of its own. Everything is bundled into one file, so the package has no dependencies at
// all (and none on VS Code): `npm install -g ./tcp-lab-cli-<version>.tgz` works without a registry.
// Usage: node scripts/packageCli.mjs [--out DIR]   (default: the repository root)
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { cliBuildOptions } from './cliBuildOptions.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outIndex = process.argv.indexOf('--out');
const outDir = path.resolve(outIndex > 0 && process.argv[outIndex + 1] ? process.argv[outIndex + 1] : repo);

const extension = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));
const stage = mkdtempSync(path.join(tmpdir(), 'tcp-lab-cli-package-'));
try {
  await esbuild.build({
    ...cliBuildOptions,
    entryPoints: [path.join(repo, 'src', 'cli.ts')],
    outfile: path.join(stage, 'cli.js'),
    absWorkingDir: repo,
    bundle: true,
    minify: true,
    logLevel: 'warning',
  });
  chmodSync(path.join(stage, 'cli.js'), 0o755);
  const manifest = {
    name: 'tcp-lab-cli',
    version: extension.version,
    description: 'tcp-lab: run the expectations of TCP Lab .tcp files headless (JUnit XML or TAP reports for CI), and serve mock servers, fault-injecting proxies and a Toxiproxy-compatible API.',
    license: extension.license,
    repository: extension.repository,
    keywords: ['tcp', 'testing', 'junit', 'tap', 'ci', 'socket', 'proxy', 'toxiproxy', 'chaos'],
    bin: { 'tcp-lab': 'cli.js', 'tcp-lab-test': 'cli.js' },
    files: ['cli.js', 'README.md', 'LICENSE'],
    engines: { node: '>=18' },
  };
  writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  copyFileSync(path.join(repo, 'cli', 'README.md'), path.join(stage, 'README.md'));
  copyFileSync(path.join(repo, 'LICENSE'), path.join(stage, 'LICENSE'));
  // npm prints the file name it wrote as the last line of stdout.
  const printed = execFileSync('npm', ['pack', '--silent', '--pack-destination', outDir], {
    cwd: stage,
    encoding: 'utf8',
    shell: process.platform === 'win32',
  });
  const name = printed.trim().split('\n').pop();
  process.stdout.write(`${path.join(outDir, name)}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
