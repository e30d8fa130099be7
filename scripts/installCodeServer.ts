// Installs a pinned code-server (a real VS Code whose extension host is a Node process) into a
// git-ignored cache folder, once. `npm start` and the end-to-end tests run TCP Lab inside it, so a
// fresh clone needs no desktop VS Code and nothing downloaded outside the npm registry and apt.
//
// Usage: node --import tsx scripts/installCodeServer.ts [--for-tests]   (prints the entry point; reuses a finished install)
//        import { ensureCodeServer } from './installCodeServer.js'
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, copyFileSync, writeFileSync, unlinkSync, lstatSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

// 4.100.3 is the newest code-server whose engines.node still accepts Node 20; it embeds VS Code
// 1.100.3, so the extension's engines.vscode must stay at ^1.100.0 or lower.
export const CODE_SERVER_VERSION = '4.100.3';

const repoRoot = resolve(__dirname, '..');
export const codeServerDir = resolve(process.env.TCP_LAB_CODE_SERVER_DIR ?? join(repoRoot, '.e2e', 'code-server'));
const packageDir = join(codeServerDir, 'node_modules', 'code-server');
const vscodeDir = join(packageDir, 'lib', 'vscode');
// Written last: a folder without it is a broken or interrupted install and gets redone from scratch.
// It names the Node ABI too, because the native modules built here only load in that Node.
const doneMarker = join(codeServerDir, `.installed-${CODE_SERVER_VERSION}-node-abi-${process.versions.modules}`);
export const codeServerEntry = join(packageDir, 'out', 'node', 'entry.js');
export const chromiumPath = process.env.TCP_LAB_CHROMIUM ?? '/usr/bin/chromium';

/** System tools, each with the Debian package that provides it: `build` ones only while installing. */
interface SystemNeed {
  pkg: string;
  use: 'build' | 'test';
  present(): boolean;
}
const systemNeeds: SystemNeed[] = [
  { pkg: 'chromium', use: 'test', present: () => existsSync(chromiumPath) },
  { pkg: 'python3', use: 'test', present: () => which('python3') !== undefined },
  { pkg: 'ripgrep', use: 'build', present: () => which('rg') !== undefined },
  { pkg: 'libkrb5-dev', use: 'build', present: () => existsSync('/usr/include/krb5.h') || existsSync('/usr/include/krb5/krb5.h') },
  { pkg: 'make', use: 'build', present: () => which('make') !== undefined },
  { pkg: 'g++', use: 'build', present: () => which('g++') !== undefined },
];

function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

function log(message: string): void {
  process.stderr.write(`[code-server install] ${message}\n`);
}

function run(command: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}): void {
  log(`${command} ${args.join(' ')}   (in ${cwd})`);
  execFileSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...extraEnv } });
}

function ensureSystemPackages(needs: SystemNeed[]): void {
  const missingNow = (): string[] => needs.filter((need) => !need.present()).map((need) => need.pkg);
  let missing = missingNow();
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && which('apt-get')) {
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-q'], repoRoot, env);
    run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], repoRoot, env);
    missing = missingNow();
  }
  if (missing.length > 0) {
    throw new Error(`code-server and the end-to-end tests need these Debian packages: run \`sudo apt-get install ${missing.join(' ')}\` and try again.`);
  }
}

/** node-gyp must build against local Node headers; it would otherwise fetch them from the internet. */
function nodeHeadersEnv(): Record<string, string> {
  if (process.env.npm_config_nodedir) return {};
  const prefix = dirname(dirname(realpathSync(process.execPath)));
  return existsSync(join(prefix, 'include', 'node', 'node.h')) ? { npm_config_nodedir: prefix } : {};
}

function relink(linkPath: string, target: string): void {
  try {
    if (lstatSync(linkPath)) unlinkSync(linkPath);
  } catch {
    // Nothing to replace.
  }
  symlinkSync(target, linkPath);
}

const cacheName = 'tcp-lab-code-server';

function install(): void {
  // An unfinished install is wiped and redone; a folder that is not ours (TCP_LAB_CODE_SERVER_DIR
  // pointed somewhere else) is never deleted.
  if (existsSync(codeServerDir) && readdirSync(codeServerDir).length > 0 && !isOurCache()) {
    throw new Error(`${codeServerDir} exists and is not a code-server cache made by this script; choose an empty folder for TCP_LAB_CODE_SERVER_DIR.`);
  }
  rmSync(codeServerDir, { recursive: true, force: true });
  mkdirSync(codeServerDir, { recursive: true });
  const env: Record<string, string> = {
    ...nodeHeadersEnv(),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  // argon2 (code-server's password hashing) is native; newer npm runs only approved install scripts.
  writeFileSync(join(codeServerDir, 'package.json'), `${JSON.stringify({ name: cacheName, private: true, allowScripts: { argon2: true } }, null, 2)}\n`);

  // code-server's postinstall runs a nested install whose ripgrep step downloads a binary from the
  // internet and aborts everything, so skip all scripts here and redo that postinstall by hand.
  run('npm', ['install', '--ignore-scripts', '--save-exact', `code-server@${CODE_SERVER_VERSION}`], codeServerDir, env);
  // argon2 tries a prebuilt download first and falls back to building from source on its own.
  run('npm', ['rebuild', 'argon2'], codeServerDir, env);

  run('npm', ['install', '--omit=dev', '--ignore-scripts'], vscodeDir, env);
  // @vscode/ripgrep's install step skips its download when bin/ already exists: seed it with the system rg.
  const ripgrepBin = join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
  mkdirSync(ripgrepBin, { recursive: true });
  copyFileSync(which('rg') ?? 'rg', join(ripgrepBin, 'rg'));
  // Now the native modules (node-pty, spdlog, kerberos, ...) build against the local headers.
  // node-pty's step calls `npx node-gyp`, which must not stop to ask.
  run('npm', ['rebuild'], vscodeDir, { ...env, npm_config_yes: 'true', npm_config_dangerously_allow_all_scripts: 'true' });

  // The links code-server's postinstall would have made.
  relink(join(vscodeDir, 'node_modules.asar'), 'node_modules');
  relink(join(vscodeDir, 'bin', 'remote-cli', 'code-server'), 'code-linux.sh');
  relink(join(vscodeDir, 'bin', 'helpers', 'browser.sh'), 'browser-linux.sh');
  run('npm', ['install', '--omit=dev'], join(vscodeDir, 'extensions'), { ...env, npm_config_dangerously_allow_all_scripts: 'true' });

  if (!existsSync(codeServerEntry)) throw new Error(`The code-server install finished but ${codeServerEntry} is missing; delete ${codeServerDir} and run again.`);
  writeFileSync(doneMarker, `${new Date().toISOString()}\n`);
}

function isOurCache(): boolean {
  try {
    return (JSON.parse(readFileSync(join(codeServerDir, 'package.json'), 'utf8')) as { name?: string }).name === cacheName;
  } catch {
    return false;
  }
}

export interface EnsureOptions {
  /** Also require what the end-to-end tests drive: Debian's chromium and python3. */
  forTests?: boolean;
}

/** Returns the code-server entry script, installing code-server first when the cache lacks it. */
export function ensureCodeServer(options: EnsureOptions = {}): string {
  const installed = existsSync(doneMarker) && existsSync(codeServerEntry);
  ensureSystemPackages(systemNeeds.filter((need) => (need.use === 'build' && !installed) || (need.use === 'test' && options.forTests)));
  if (installed) return codeServerEntry;
  const started = Date.now();
  log(`installing code-server ${CODE_SERVER_VERSION} into ${codeServerDir} (once; a few minutes)`);
  install();
  log(`done in ${Math.round((Date.now() - started) / 1000)} s`);
  return codeServerEntry;
}

if (require.main === module) {
  try {
    process.stdout.write(`${ensureCodeServer({ forTests: process.argv.includes('--for-tests') })}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
