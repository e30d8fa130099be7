import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { echoServer, stopPeers } from './tcpFilePeers';

const run = promisify(execFile);
const repo = path.resolve(__dirname, '..', '..');
const shell = process.platform === 'win32';

/** Runs a command and resolves with its exit code and output, failing or not. */
async function exec(file: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, shell, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('tcp-lab-cli package (npm run package:cli)', function () {
  // Bundling and a local npm install take a few seconds on a loaded machine.
  this.timeout(120_000);
  let dir: string;
  let tarball: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tcp-lab-cli-pkg-'));
    const packed = await run(process.execPath, [path.join(repo, 'scripts', 'packageCli.mjs'), '--out', dir], { cwd: repo, encoding: 'utf8' });
    tarball = packed.stdout.trim();
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(stopPeers);

  it('is tcp-lab-cli-<version>.tgz, installs into an empty folder without a registry and runs against a Python echo server', async () => {
    const { version } = JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8')) as { version: string };
    assert.equal(path.basename(tarball), `tcp-lab-cli-${version}.tgz`);

    const project = path.join(dir, 'project');
    await mkdir(path.join(project, 'tests'), { recursive: true });
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'probe', private: true }));
    // --offline: the package must need nothing beyond the tarball itself.
    const installed = await exec('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], project);
    assert.equal(installed.code, 0, installed.stdout + installed.stderr);
    assert.deepEqual((await readdir(path.join(project, 'node_modules'))).filter((n) => !n.startsWith('.')), ['tcp-lab-cli'], 'no dependencies came along');
    const manifest = JSON.parse(await readFile(path.join(project, 'node_modules', 'tcp-lab-cli', 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(manifest.bin, { 'tcp-lab': 'cli.js', 'tcp-lab-test': 'cli.js' });
    assert.equal(manifest.dependencies, undefined);
    const bundle = await readFile(path.join(project, 'node_modules', 'tcp-lab-cli', 'cli.js'), 'utf8');
    assert.doesNotMatch(bundle, /require\(["']vscode["']\)/, 'no runtime dependency on VS Code');
    assert.match(await readFile(path.join(project, 'node_modules', 'tcp-lab-cli', 'README.md'), 'utf8'), /^# tcp-lab-cli\n/);

    const echo = await echoServer();
    await writeFile(path.join(project, 'tests', 'echo.tcp'), `### echo\nCONNECT 127.0.0.1:${echo.port}\nSEND text hello\nEXPECT text hello\n`);
    await mkdir(path.join(project, 'tests', 'more'));
    await writeFile(path.join(project, 'tests', 'more', 'wrong.tcp'), `### wrong\nCONNECT 127.0.0.1:${echo.port}\nSEND text hello\nEXPECT text bye\n`);
    // npx finds the installed bin the way a CI step would call it.
    const result = await exec('npx', ['--no-install', 'tcp-lab-test', '--reporter=junit', '--output', 'results.xml', 'tests/**/*.tcp'], project);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /^tests\/echo\.tcp\n {2}✓ echo/m);
    assert.match(result.stdout, /✗ wrong/);
    assert.match(result.stdout, /\n1 passed, 1 failed\n$/);
    const xml = await readFile(path.join(project, 'results.xml'), 'utf8');
    assert.match(xml, /<testsuites name="tcp-lab-test" tests="2" failures="1" errors="0"/);
    assert.match(xml, /<testcase classname="tests\/more\/wrong\.tcp" name="wrong" time="\d+\.\d{3}">\n\s*<failure message="line 4: EXPECT text bye: /);
    // The same program as `tcp-lab`, with the runner as `tcp-lab test` and `tcp-lab serve` beside it.
    const viaTest = await exec('npx', ['--no-install', 'tcp-lab', 'test', 'tests/echo.tcp'], project);
    assert.equal(viaTest.code, 0, viaTest.stdout + viaTest.stderr);
    assert.match(viaTest.stdout, /\n1 passed, 0 failed\n$/);
    const serveHelp = await exec('npx', ['--no-install', 'tcp-lab', 'serve', '--help'], project);
    assert.equal(serveHelp.code, 0);
    assert.match(serveHelp.stderr, /^Usage: tcp-lab serve /);
  });
});
