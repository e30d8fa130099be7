// Loads the built webview bundle into real headless Chromium, behind the exact HTML and CSP the
// extension serves, with a stub `acquireVsCodeApi` that records what the panel posts.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { renderPanelHtml } from '../../src/app/panelHtml';
import type { FeedInfo, FromWebviewMessage, PanelSettings, TargetInfo, ToWebviewMessage, WireRecord } from '../../src/shared/protocol';

const root = resolve(__dirname, '..', '..');

/** A dark theme's worth of the variables VS Code injects into every webview. */
export const DARK_THEME = `:root {
  --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px;
  --vscode-editor-font-family: monospace; --vscode-editor-font-size: 13px;
  --vscode-foreground: #cccccc; --vscode-descriptionForeground: #9d9d9d; --vscode-errorForeground: #f48771;
  --vscode-editor-background: #1e1e1e; --vscode-panel-border: #3c3c3c; --vscode-widget-border: #454545;
  --vscode-button-foreground: #ffffff; --vscode-button-background: #0e639c; --vscode-button-hoverBackground: #1177bb;
  --vscode-button-secondaryForeground: #cccccc; --vscode-button-secondaryBackground: #3a3d41; --vscode-button-secondaryHoverBackground: #45494e;
  --vscode-input-foreground: #cccccc; --vscode-input-background: #3c3c3c; --vscode-input-border: #3c3c3c;
  --vscode-inputValidation-errorBorder: #be1100; --vscode-dropdown-foreground: #f0f0f0; --vscode-dropdown-background: #3c3c3c;
  --vscode-focusBorder: #007fd4; --vscode-badge-foreground: #ffffff; --vscode-badge-background: #4d4d4d;
  --vscode-charts-blue: #3794ff; --vscode-charts-orange: #d18616; --vscode-textLink-foreground: #3794ff;
  --vscode-list-hoverBackground: #2a2d2e; --vscode-list-activeSelectionForeground: #ffffff; --vscode-list-activeSelectionBackground: #04395e;
}`;

/** Light Modern's values for the same variables. */
export const LIGHT_THEME = `:root {
  --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px;
  --vscode-editor-font-family: monospace; --vscode-editor-font-size: 13px;
  --vscode-foreground: #3b3b3b; --vscode-descriptionForeground: #717171; --vscode-errorForeground: #f85149;
  --vscode-editor-background: #ffffff; --vscode-panel-border: #e5e5e5; --vscode-widget-border: #e5e5e5;
  --vscode-button-foreground: #ffffff; --vscode-button-background: #005fb8; --vscode-button-hoverBackground: #0258a8;
  --vscode-button-secondaryForeground: #3b3b3b; --vscode-button-secondaryBackground: #e5e5e5; --vscode-button-secondaryHoverBackground: #cccccc;
  --vscode-input-foreground: #3b3b3b; --vscode-input-background: #ffffff; --vscode-input-border: #cecece;
  --vscode-inputValidation-errorBorder: #be1100; --vscode-dropdown-foreground: #3b3b3b; --vscode-dropdown-background: #ffffff;
  --vscode-focusBorder: #005fb8; --vscode-badge-foreground: #3b3b3b; --vscode-badge-background: #cccccc;
  --vscode-charts-blue: #1a85ff; --vscode-charts-orange: #d18616; --vscode-charts-green: #388a34; --vscode-textLink-foreground: #005fb8;
  --vscode-testing-iconPassed: #388a34; --vscode-editorWarning-foreground: #bf8803;
  --vscode-list-hoverBackground: #f2f2f2; --vscode-list-activeSelectionForeground: #000000; --vscode-list-activeSelectionBackground: #e8e8e8;
}`;

/** High Contrast (dark): borders carry the structure. */
export const HIGH_CONTRAST_THEME = `:root {
  --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px;
  --vscode-editor-font-family: monospace; --vscode-editor-font-size: 13px;
  --vscode-foreground: #ffffff; --vscode-descriptionForeground: #ffffffb3; --vscode-errorForeground: #f48771;
  --vscode-editor-background: #000000; --vscode-panel-border: #6fc3df; --vscode-widget-border: #6fc3df;
  --vscode-contrastBorder: #6fc3df; --vscode-contrastActiveBorder: #f38518;
  --vscode-button-foreground: #ffffff; --vscode-button-background: #000000; --vscode-button-border: #6fc3df;
  --vscode-button-secondaryForeground: #ffffff; --vscode-button-secondaryBackground: #000000;
  --vscode-input-foreground: #ffffff; --vscode-input-background: #000000; --vscode-input-border: #6fc3df;
  --vscode-inputValidation-errorBorder: #f48771; --vscode-dropdown-foreground: #ffffff; --vscode-dropdown-background: #000000;
  --vscode-focusBorder: #f38518; --vscode-badge-foreground: #ffffff; --vscode-badge-background: #000000;
  --vscode-charts-blue: #3794ff; --vscode-charts-orange: #d18616; --vscode-charts-green: #89d185; --vscode-textLink-foreground: #21a6ff;
  --vscode-testing-iconPassed: #73c991; --vscode-editorWarning-foreground: #fff000;
  --vscode-list-hoverBackground: #000000; --vscode-list-activeSelectionForeground: #ffffff; --vscode-list-activeSelectionBackground: #000000;
}`;

/** High Contrast Light (hc-light): dark blue borders on white, the same structure as hc-black. */
export const HIGH_CONTRAST_LIGHT_THEME = `:root {
  --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px;
  --vscode-editor-font-family: monospace; --vscode-editor-font-size: 13px;
  --vscode-foreground: #292929; --vscode-descriptionForeground: #292929e6; --vscode-errorForeground: #b5200d;
  --vscode-editor-background: #ffffff; --vscode-panel-border: #0f4a85; --vscode-widget-border: #0f4a85;
  --vscode-contrastBorder: #0f4a85; --vscode-contrastActiveBorder: #006bbd;
  --vscode-button-foreground: #ffffff; --vscode-button-background: #0f4a85; --vscode-button-border: #0f4a85;
  --vscode-button-secondaryForeground: #292929; --vscode-button-secondaryBackground: #ffffff;
  --vscode-input-foreground: #292929; --vscode-input-background: #ffffff; --vscode-input-border: #0f4a85;
  --vscode-inputValidation-errorBorder: #b5200d; --vscode-dropdown-foreground: #292929; --vscode-dropdown-background: #ffffff;
  --vscode-focusBorder: #006bbd; --vscode-badge-foreground: #ffffff; --vscode-badge-background: #0f4a85;
  --vscode-charts-blue: #0f4a85; --vscode-charts-orange: #b5200d; --vscode-charts-green: #374e06; --vscode-textLink-foreground: #0f4a85;
  --vscode-testing-iconPassed: #007100; --vscode-editorWarning-foreground: #895503;
  --vscode-list-hoverBackground: #ffffff; --vscode-list-activeSelectionForeground: #292929; --vscode-list-activeSelectionBackground: #ffffff;
}`;

export const SETTINGS: PanelSettings = { encoding: 'utf-8', lineEnding: 'none', timestamps: 'absolute', maxRecords: 10000, maxBytes: 16 * 1024 * 1024, defaultHost: '127.0.0.1', announceReceived: false };

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export class PanelHarness {
  private server!: Server;
  private context!: BrowserContext;
  private profile!: string;
  private browser?: Browser;
  page!: Page;
  /** The theme variables the next pages get, as VS Code injects them. */
  theme = DARK_THEME;
  /** The classes VS Code puts on <body> for the theme kind; high contrast rules key on them. */
  bodyClass = 'vscode-dark';
  /** alert/confirm/prompt dialogs the page tried to open (an XSS would show up here). */
  dialogs: string[] = [];
  pageErrors: string[] = [];

  async start(): Promise<void> {
    const nonce = randomBytes(16).toString('base64');
    this.server = createServer((req, res) => {
      const files: Record<string, [string, string]> = {
        '/webview.js': [join(root, 'dist', 'webview.js'), 'text/javascript'],
        '/panel.css': [join(root, 'media', 'panel.css'), 'text/css'],
        '/codicons/codicon.css': [join(root, 'dist', 'codicons', 'codicon.css'), 'text/css'],
        '/codicons/codicon.ttf': [join(root, 'dist', 'codicons', 'codicon.ttf'), 'font/ttf'],
      };
      if (req.url === '/') {
        const html = renderPanelHtml({ cspSource: this.origin, nonce, scriptUri: `${this.origin}/webview.js`, styleUri: `${this.origin}/panel.css`, codiconsUri: `${this.origin}/codicons/codicon.css`, title: 'Traffic' })
          // The theme stands in for what VS Code injects; it goes through the same CSP.
          .replace('<link', `<link rel="stylesheet" href="${this.origin}/theme.css">\n<link`)
          // VS Code marks the theme kind on <body> (vscode-light, vscode-dark, vscode-high-contrast…).
          .replace(/<body(?=[\s>])/, `<body class="${this.bodyClass}"`);
        res.writeHead(200, { 'content-type': 'text/html' }).end(html);
      } else if (req.url === '/theme.css') {
        res.writeHead(200, { 'content-type': 'text/css', 'cache-control': 'no-store' }).end(this.theme);
      } else if (req.url && files[req.url.split('?')[0]]) {
        // The codicon stylesheet asks for its font with a cache-busting query.
        const [file, type] = files[req.url.split('?')[0]];
        res.writeHead(200, { 'content-type': type }).end(readFileSync(file));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    this.profile = mkdtempSync(join(tmpdir(), 'tcplab-webview-'));
    this.context = await chromium.launchPersistentContext(this.profile, {
      executablePath: '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1100, height: 700 },
    });
    this.browser = this.context.browser() ?? undefined;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Opens a fresh panel page; resolves once it has posted `ready`. */
  async open(state?: unknown): Promise<Page> {
    if (this.page) await this.page.close();
    this.dialogs = [];
    this.pageErrors = [];
    const page = await this.context.newPage();
    page.on('dialog', (dialog) => {
      this.dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => this.pageErrors.push(error.message));
    // tsx compiles this file with esbuild's keepNames, which wraps functions in a `__name` helper;
    // functions shipped to the page need that helper there too.
    await page.addInitScript({ content: 'globalThis.__name = (fn) => fn;' });
    await page.addInitScript((initial) => {
      const w = window as unknown as Record<string, unknown>;
      w.__posted = [];
      w.__state = initial;
      w.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => (w.__csp as string[]).push(`${e.violatedDirective} ${e.blockedURI}`));
      w.acquireVsCodeApi = () => ({
        postMessage: (m: unknown) => (w.__posted as unknown[]).push(JSON.parse(JSON.stringify(m))),
        getState: () => w.__state,
        setState: (s: unknown) => (w.__state = s),
      });
    }, state);
    await page.goto(this.origin + '/');
    this.page = page;
    await page.waitForFunction(() => ((window as unknown as { __posted: { type: string }[] }).__posted).some((m) => m.type === 'ready'));
    return page;
  }

  async post(message: ToWebviewMessage): Promise<void> {
    await this.page.evaluate((m) => window.postMessage(m, '*'), message);
  }

  async posted(): Promise<FromWebviewMessage[]> {
    return this.page.evaluate(() => (window as unknown as { __posted: FromWebviewMessage[] }).__posted);
  }

  async clearPosted(): Promise<void> {
    await this.page.evaluate(() => ((window as unknown as { __posted: unknown[] }).__posted.length = 0));
  }

  /** Starts the browser before the suite, stops it after, and checks each passed test's page: within its CSP, no errors. */
  useInSuite(): void {
    before(async () => this.start());
    after(async () => this.stop());
    const checkClean = async (test: Mocha.Test | undefined): Promise<void> => {
      if (test?.state === 'failed') return;
      assert.deepEqual(await this.cspViolations(), []);
      assert.deepEqual(this.pageErrors, []);
    };
    afterEach(async function () {
      await checkClean(this.currentTest);
    });
  }

  async cspViolations(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
  }

  /** Waits for the next frame to be painted, so assertions see what the user sees. */
  async settle(): Promise<void> {
    await this.page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  }

  async stop(): Promise<void> {
    await this.context?.close();
    await this.browser?.close();
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
    if (this.profile) rmSync(this.profile, { recursive: true, force: true });
  }
}

export function connectionTarget(overrides: Partial<Extract<TargetInfo, { kind: 'connection' }>> = {}): TargetInfo {
  return {
    kind: 'connection',
    id: 'C1',
    state: 'open',
    local: { address: '127.0.0.1', family: 'IPv4', port: 50123 },
    remote: { address: '127.0.0.1', family: 'IPv4', port: 7000 },
    totals: { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 },
    openedAt: Date.UTC(2026, 0, 1),
    ...overrides,
  };
}

let seq = 0;
export function wire(dir: 'in' | 'out', bytes: Uint8Array | string, conn = 'C1', time = Date.UTC(2026, 0, 1) + seq * 7): WireRecord {
  const raw = Buffer.from(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
  seq++;
  return { seq, rec: seq, length: raw.length, time, dir, conn, data: raw.toString('base64') };
}

/** What a host holding exactly these rows reports. */
export function feedOf(records: readonly WireRecord[]): FeedInfo {
  if (records.length === 0) return { firstId: 1, lastId: 0, size: 0, dropped: 0, pendingFrameBytes: 0 };
  return { firstId: records[0].seq, lastId: records[records.length - 1].seq, size: records.length, dropped: 0, pendingFrameBytes: 0 };
}
