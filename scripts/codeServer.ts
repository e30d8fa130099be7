// Starts and stops a code-server (installed by installCodeServer.ts) with TCP Lab's packaged .vsix.
// Shared by `npm start` and the end-to-end tests so both run the extension exactly as a user would.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '..');

/** The .vsix that `npm run package` writes for the current manifest version (TCP_LAB_VSIX overrides it). */
export function packagedVsixPath(): string {
  if (process.env.TCP_LAB_VSIX) return resolve(process.env.TCP_LAB_VSIX);
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
  return join(repoRoot, `${manifest.name}-${manifest.version}.vsix`);
}

export function extensionId(): string {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; publisher: string };
  return `${manifest.publisher}.${manifest.name}`;
}

/** Everything code-server writes goes below one root, never into the user's home folder. */
export interface CodeServerDirs {
  root: string;
  userData: string;
  extensions: string;
  xdg: string;
}

export function codeServerDirs(root: string): CodeServerDirs {
  const dirs = { root, userData: join(root, 'user-data'), extensions: join(root, 'extensions'), xdg: join(root, 'xdg') };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  return dirs;
}

function isolatedEnv(dirs: CodeServerDirs): NodeJS.ProcessEnv {
  // Without these code-server writes a config file holding a password into the home folder.
  return {
    ...process.env,
    XDG_CONFIG_HOME: join(dirs.xdg, 'config'),
    XDG_DATA_HOME: join(dirs.xdg, 'data'),
    XDG_CACHE_HOME: join(dirs.xdg, 'cache'),
    XDG_STATE_HOME: join(dirs.xdg, 'state'),
  };
}

/**
 * Makes `locale` (e.g. `zh-cn`) the display language of a code-server started with `--locale`.
 * code-server honours `--locale` only for a language with an installed language pack (it reads
 * `languagepacks.json` in the user data folder, which VS Code writes when a pack is installed from the
 * Marketplace); without one the workbench, and with it every extension's `vscode.l10n` and
 * `package.nls`, stays English. The Marketplace is out of reach here, so this registers a pack with an
 * empty translation table: VS Code's own menus stay English, while the language it reports to
 * extensions, and so the bundles and package.nls files it loads for them, is `locale`.
 */
export function registerEmptyLanguagePack(dirs: CodeServerDirs, locale: string): void {
  const translations = join(dirs.root, `language-pack-${locale}.i18n.json`);
  writeFileSync(translations, JSON.stringify({ version: '1.0.0', contents: {} }));
  // The shape VS Code writes; it reads the pack's extension entry too (an empty list breaks its language list).
  const pack = { extensionIdentifier: { id: `tcp-lab-test.language-pack-${locale}` }, version: '1.0.0' };
  const index = { [locale]: { hash: `tcp-lab-test-${locale}`, label: locale, extensions: [pack], translations: { vscode: translations } } };
  writeFileSync(join(dirs.userData, 'languagepacks.json'), `${JSON.stringify(index, null, 2)}\n`);
}

/** Writes the user settings (merged over quiet defaults that keep tours and prompts out of the way). */
export function writeUserSettings(dirs: CodeServerDirs, settings: Record<string, unknown> = {}): void {
  const userDir = join(dirs.userData, 'User');
  mkdirSync(userDir, { recursive: true });
  const quiet = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'update.mode': 'none',
    'security.workspace.trust.enabled': false,
    'chat.commandCenter.enabled': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
  };
  writeFileSync(join(userDir, 'settings.json'), `${JSON.stringify({ ...quiet, ...settings }, null, 2)}\n`);
}

/** Installs the .vsix offline; throws the CLI's own words when code-server refuses it. */
export function installExtension(entry: string, dirs: CodeServerDirs, vsix: string): void {
  if (!existsSync(vsix)) throw new Error(`${vsix} does not exist: run \`npm run package\` first.`);
  const result = spawnSync(
    process.execPath,
    [entry, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions, '--install-extension', vsix, '--force'],
    { env: isolatedEnv(dirs), encoding: 'utf8', timeout: 60_000 },
  );
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  const incompatible = output.split('\n').find((line) => incompatiblePattern.test(line));
  if (incompatible) {
    throw new Error(`code-server refused the extension (${incompatible.replace(/^Error:\s*/, '').trim()}); keep engines.vscode at ^1.100.0 or lower.`);
  }
  if (result.status !== 0 || !/successfully installed/i.test(output)) {
    throw new Error(`code-server could not install ${vsix}: ${output.trim() || `exit ${String(result.status)}`}`);
  }
}

/** A port the kernel just handed out on 127.0.0.1; free at the time of the call. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

export interface StartOptions {
  entry: string;
  dirs: CodeServerDirs;
  workspace: string;
  port: number;
  logPath: string;
  readyTimeoutMs?: number;
  /** Keep VS Code's workspace trust on (default off), to test Restricted Mode. */
  workspaceTrust?: boolean;
  /** VS Code's display language (`--locale`), e.g. `zh-cn`; default English. */
  locale?: string;
}

export interface RunningCodeServer {
  readonly url: string;
  readonly pid: number;
  readonly logPath: string;
  /** Resolves when code-server exits on its own (or after stop()). */
  readonly exited: Promise<number | null>;
  /** Server-side log text: stdout/stderr plus the log files under the user-data folder. */
  logText(): string;
  stop(): Promise<void>;
}

/** The line VS Code logs when it silently skips an extension whose engines.vscode it cannot satisfy. */
export const incompatiblePattern = /not compatible with (VS )?Code/i;

function readLogFiles(dir: string): string {
  let text = '';
  if (!existsSync(dir)) return text;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) text += readLogFiles(path);
    else if (name.endsWith('.log')) text += `\n===== ${path}\n${readFileSync(path, 'utf8')}`;
  }
  return text;
}

export async function startCodeServer(options: StartOptions): Promise<RunningCodeServer> {
  const { entry, dirs, workspace, port, logPath } = options;
  const configPath = join(dirs.root, 'config.yaml');
  writeFileSync(configPath, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const logFd = openSync(logPath, 'w');
  const child = spawn(
    process.execPath,
    [
      entry,
      '--config', configPath,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      '--user-data-dir', dirs.userData,
      '--extensions-dir', dirs.extensions,
      ...(options.locale ? ['--locale', options.locale] : []),
      workspace,
    ],
    // Its own process group: stopping must also take down the extension host it forks.
    { detached: true, stdio: ['ignore', logFd, logFd], env: isolatedEnv(dirs) },
  );
  closeSync(logFd);
  const pid = child.pid;
  if (pid === undefined) throw new Error('code-server did not start (no process id).');

  let exitCode: number | null | undefined;
  // If this process ends without stop() (an interrupted test run), take the server down with it.
  const killOnExit = (): void => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code) => {
      exitCode = code;
      process.removeListener('exit', killOnExit);
      resolveExit(code);
    });
  });
  const logText = (): string => `${existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''}${readLogFiles(join(dirs.userData, 'logs'))}`;

  const stop = async (): Promise<void> => {
    if (exitCode !== undefined) return;
    const signalGroup = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-pid, signal);
      } catch {
        // The group is already gone.
      }
    };
    signalGroup('SIGTERM');
    const gone = await Promise.race([exited.then(() => true), delay(5000).then(() => false)]);
    // Whatever survived SIGTERM (an orphaned extension host, a watcher) goes now.
    signalGroup('SIGKILL');
    if (!gone) await Promise.race([exited, delay(2000)]);
  };

  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  try {
    for (;;) {
      if (exitCode !== undefined) throw new Error(`code-server exited (code ${String(exitCode)}) before it was ready; see ${logPath}.`);
      if (await healthy(url)) break;
      if (Date.now() > deadline) throw new Error(`code-server did not answer on ${url} within ${options.readyTimeoutMs ?? 120_000} ms; see ${logPath}.`);
      await delay(250);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, pid, logPath, exited, logText, stop };
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}healthz`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms));
}
