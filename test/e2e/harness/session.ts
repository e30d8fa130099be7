// One end-to-end session: the packaged .vsix installed into a fresh code-server (own temp user data,
// extensions and XDG folders), a temp copy of the test workspace, and headless Debian chromium with a
// fresh profile. Everything it starts it also stops, whatever happened.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import {
  codeServerDirs,
  extensionId,
  freePort,
  incompatiblePattern,
  installExtension,
  packagedVsixPath,
  registerEmptyLanguagePack,
  repoRoot,
  startCodeServer,
  writeUserSettings,
  type CodeServerDirs,
  type RunningCodeServer,
} from '../../../scripts/codeServer';
import { chromiumPath, ensureCodeServer } from '../../../scripts/installCodeServer';
import type { PythonPeer } from './pythonPeer';
import { Workbench } from './workbench';

export const resultsDir = join(repoRoot, 'test-results', 'e2e');

const chromiumFlags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface SessionOptions {
  /** Folder copied into a temp dir and opened as the workspace. */
  workspaceFixture: string;
  userSettings?: Record<string, unknown>;
  /** Keep workspace trust on: the workspace then opens untrusted, in Restricted Mode. */
  workspaceTrust?: boolean;
  /** Further .vsix files installed beside TCP Lab (test-only extensions such as the tool invoker). */
  extraExtensions?: string[];
  /** VS Code's display language (`--locale`), e.g. `zh-cn`; default English. */
  locale?: string;
}

export class E2ESession {
  readonly consoleLines: string[] = [];
  private readonly peers = new Set<PythonPeer>();
  private shotCount = 0;

  private constructor(
    readonly tempRoot: string,
    readonly dirs: CodeServerDirs,
    readonly workspace: string,
    readonly server: RunningCodeServer,
    readonly context: BrowserContext,
    readonly page: Page,
    readonly workbench: Workbench,
  ) {}

  static async start(options: SessionOptions): Promise<E2ESession> {
    const entry = ensureCodeServer({ forTests: true });
    mkdirSync(resultsDir, { recursive: true });
    const tempRoot = mkdtempSync(join(tmpdir(), 'tcp-lab-e2e-'));
    let server: RunningCodeServer | undefined;
    let context: BrowserContext | undefined;
    try {
      const dirs = codeServerDirs(join(tempRoot, 'code-server'));
      // The quiet defaults turn trust off; a trust session turns it back on.
      writeUserSettings(dirs, options.workspaceTrust ? { 'security.workspace.trust.enabled': true, ...options.userSettings } : options.userSettings);
      installExtension(entry, dirs, packagedVsixPath());
      for (const vsix of options.extraExtensions ?? []) installExtension(entry, dirs, vsix);
      if (options.locale) registerEmptyLanguagePack(dirs, options.locale);
      const workspace = join(tempRoot, 'workspace');
      cpSync(options.workspaceFixture, workspace, { recursive: true });

      server = await startCodeServer({ entry, dirs, workspace, port: await freePort(), logPath: join(tempRoot, 'code-server.log'), workspaceTrust: options.workspaceTrust, locale: options.locale });
      const browserHome = join(tempRoot, 'browser');
      context = await chromium.launchPersistentContext(join(browserHome, 'profile'), {
        executablePath: chromiumPath,
        headless: true,
        args: chromiumFlags,
        viewport: { width: 1280, height: 800 },
        env: { ...process.env, XDG_CONFIG_HOME: join(browserHome, 'config'), XDG_CACHE_HOME: join(browserHome, 'cache') },
      });
      const page = context.pages()[0] ?? (await context.newPage());
      const session = new E2ESession(tempRoot, dirs, workspace, server, context, page, new Workbench(page));
      page.on('console', (message) => session.consoleLines.push(`[${new Date().toISOString()}] ${message.type()}: ${message.text()}`));
      page.on('pageerror', (error) => session.consoleLines.push(`[${new Date().toISOString()}] pageerror: ${error.message}`));
      await page.goto(server.url);
      await session.workbench.waitUntilReady();
      session.assertExtensionHealthy();
      return session;
    } catch (err) {
      await context?.close().catch(() => undefined);
      await server?.stop();
      keepStartupLog(tempRoot, server);
      rmSync(tempRoot, { recursive: true, force: true });
      throw err;
    }
  }

  /** Fails fast on the log lines that mean the extension silently did not load or crashed on start. */
  assertExtensionHealthy(): void {
    const log = this.server.logText();
    const incompatible = log.split('\n').find((line) => incompatiblePattern.test(line));
    if (incompatible) throw new Error(`code-server did not load the extension: ${incompatible.trim()}`);
    const failed = log.split('\n').find((line) => line.includes(`Activating extension '${extensionId()}' failed`) || line.includes(`Activating extension ${extensionId()} failed`));
    if (failed) throw new Error(`The extension failed to activate: ${failed.trim()}`);
  }

  /** Registers a peer so it is killed when the session ends. */
  track<T extends PythonPeer>(peer: T): T {
    this.peers.add(peer);
    return peer;
  }

  /** Saves a numbered screenshot of the whole window into test-results/e2e. */
  async shot(name: string): Promise<void> {
    this.shotCount += 1;
    const file = `${String(this.shotCount).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`;
    await this.page.screenshot({ path: join(resultsDir, file) }).catch(() => undefined);
  }

  /** Keeps what explains a failure: a screenshot, the code-server log and the browser console. */
  async keepFailureArtifacts(testTitle: string): Promise<void> {
    const slug = testTitle.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 60);
    await this.page.screenshot({ path: join(resultsDir, `FAILED-${slug}.png`) }).catch(() => undefined);
    writeFileSync(join(resultsDir, `FAILED-${slug}.code-server.log`), this.server.logText());
    writeFileSync(join(resultsDir, `FAILED-${slug}.browser-console.log`), `${this.consoleLines.join('\n')}\n`);
  }

  /** Reloads the window (Developer: Reload Window) and waits for the workbench again. */
  async reloadWindow(): Promise<void> {
    await this.workbench.runCommand('Developer: Reload Window');
    await this.page.waitForEvent('load', { timeout: 30_000 }).catch(() => undefined);
    await this.workbench.waitUntilReady();
  }

  /** Kills every tracked peer (between scenarios and at the end). */
  killPeers(): void {
    for (const peer of this.peers) peer.kill();
    this.peers.clear();
  }

  async dispose(): Promise<void> {
    this.killPeers();
    await this.context.close().catch(() => undefined);
    await this.server.stop();
    rmSync(this.tempRoot, { recursive: true, force: true });
  }
}

function keepStartupLog(tempRoot: string, server: RunningCodeServer | undefined): void {
  const target = join(resultsDir, 'FAILED-startup.code-server.log');
  if (server) writeFileSync(target, server.logText());
  else if (existsSync(join(tempRoot, 'code-server.log'))) cpSync(join(tempRoot, 'code-server.log'), target);
}

/** Empties the results folder at the start of a run so its screenshots all belong to that run. */
export function resetResultsDir(): void {
  if (existsSync(resultsDir)) rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
}
