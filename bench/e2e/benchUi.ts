// Every step the end-to-end benchmark takes in the workbench and every DOM selector it reads, in one
// file: the traffic panel is being redesigned, and this is the one place to adjust when its DOM or a
// prompt changes. Steps prefer what survives a redesign: palette commands by title, Connections rows by
// their address, and the panel's header counter read as text ("in 128.0 MiB ...").
import type { Page } from 'playwright-core';
import { escapeRegExp, type Workbench } from '../../test/e2e/harness/workbench';

export const ui = {
  /** VS Code 1.100's quick input (palette, input boxes, quick picks, the simple file dialog). */
  quickInput: '.quick-input-widget',
  quickInputTitle: '.quick-input-title',
  quickInputMessage: '.quick-input-message',
  quickInputBox: '.quick-input-box input',
  paletteFocusedRowLabel: '.quick-input-list .monaco-list-row.focused .label-name',
  /** The inline action on a Connections row that opens its traffic panel. */
  openPanelAction: '.actions .action-label[aria-label^="Open Traffic Panel"]',
  /**
   * Where the panel's counters are, most specific first: the first that exists and holds a counter
   * is read. Today's panel: `<header class="header">… <span class="totals">in 1.2 MiB / 3 msg · out …`.
   */
  panelCounterCandidates: ['header .totals', '.totals', 'header', 'body'],
  /** The header element whose title holds the exact byte counts. */
  panelExactCounter: 'header .totals[title]',
  /** The incoming byte counter inside that text: "in 128.0 MiB", "in 1000 B", "in 134,217,728 bytes". */
  panelBytesIn: /\bin\s+([\d][\d,]*(?:\.\d+)?)\s*(B|bytes|KiB|MiB|GiB|TiB)\b/,
  /** A tail-follow toggle that says it is paused; clicked to follow again. */
  resumeFollowing: /Resume autoscroll|Follow (the )?tail/i,
  /** The title or prompt of TCP: Start Listener's input box. */
  startListenerPrompt: /Start Listener/,
  /** Start Capture to File… on a listener: its folder dialog's title, the row that shows the typed folder opened, the accept button. */
  captureFolderPrompt: /into a folder/,
  folderDialogParentRow: '..',
  captureHereButton: 'Capture Here',
  /** The notification that names a listener's folder capture. */
  captureStarted: /Capturing every client of the listener into/,
} as const;

export const commands = {
  startListener: 'TCP: Start Listener',
  startCapture: 'TCP: Start Capture to File…',
  closeAllEditors: 'View: Close All Editors',
  showExplorer: 'View: Show Explorer',
} as const;

/** The Connections row (or quick-pick row) of the listener on 127.0.0.1:port. */
export function listenerAddress(port: number): RegExp {
  return new RegExp(`${escapeRegExp(`127.0.0.1:${port}`)}(?!\\d)`);
}

/** TCP: Start Listener from the palette on port 0; the port it bound, from its notification. */
export async function startListener(workbench: Workbench): Promise<number> {
  await focusWorkbench(workbench.page);
  return workbench.startListenerOnAnyPort();
}

export async function closeAllEditors(workbench: Workbench): Promise<void> {
  await focusWorkbench(workbench.page);
  await workbench.runCommand(commands.closeAllEditors);
}

/**
 * Before Developer: Reload Window: no editors to restore, and the Explorer in the side bar, whose rows
 * the harness waits for after the reload (an empty Connections view has none).
 */
export async function prepareReload(workbench: Workbench): Promise<void> {
  await closeAllEditors(workbench);
  await workbench.runCommand(commands.showExplorer);
}

/** Opens the listener's traffic panel from its Connections row (alone: every other editor is closed first). */
export async function openListenerPanel(workbench: Workbench, port: number): Promise<void> {
  await closeAllEditors(workbench);
  await workbench.openTcpLabView();
  const pattern = new RegExp(`${listenerAddress(port).source}.*listening`);
  await workbench.waitForTreeRow(pattern);
  const row = workbench.treeRow(pattern);
  await row.hover();
  await row.locator(ui.openPanelAction).click();
  const opened = await waitForPanelCounter(workbench, 0, 30_000);
  if (!opened.shown) throw new Error(`The traffic panel of 127.0.0.1:${port} never showed "in 0 B" (it showed ${opened.last ? `"${opened.last.text}"` : 'no counter'}); adjust ui.panelCounterCandidates or ui.panelBytesIn in bench/e2e/benchUi.ts.`);
  await followTail(workbench);
}

/** Makes sure the panel follows the newest records (it does when it opens; a paused toggle is resumed). */
export async function followTail(workbench: Workbench): Promise<void> {
  const paused = workbench.webview().getByRole('button', { name: ui.resumeFollowing });
  if ((await paused.count()) > 0 && (await paused.first().isVisible())) await paused.first().click();
}

/** TCP: Start Capture to File… on the listener: every client it accepts from now on writes into `folder`. */
export async function startListenerCapture(workbench: Workbench, port: number, folder: string): Promise<void> {
  await focusWorkbench(workbench.page);
  await workbench.runOnTarget(commands.startCapture, listenerAddress(port));
  await workbench.waitForPrompt(ui.captureFolderPrompt);
  // code-server's folder dialog is a quick input holding a path; its button accepts the folder typed.
  await workbench.type(`${folder}/`);
  await workbench.page.locator(`${ui.quickInput} .quick-input-list .monaco-list-row`, { hasText: ui.folderDialogParentRow }).first().waitFor({ timeout: 10_000 });
  await workbench.page.locator(ui.quickInput).getByRole('button', { name: ui.captureHereButton }).click();
  await workbench.waitForNotification(ui.captureStarted);
}

export interface PanelCounter {
  /** The counter's text as shown. */
  text: string;
  /** Incoming bytes as read from the text. */
  bytes: number;
  /** Half the last shown digit in bytes: 0 when the panel shows plain bytes, 0.05 MiB for "128.0 MiB". */
  resolutionBytes: number;
}

const unitBytes: Record<string, number> = { B: 1, bytes: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };

export function parsePanelCounter(text: string): PanelCounter | undefined {
  const match = ui.panelBytesIn.exec(text);
  if (!match) return undefined;
  const digits = match[1].replace(/,/g, '');
  const scale = unitBytes[match[2]];
  const decimals = digits.includes('.') ? digits.length - digits.indexOf('.') - 1 : 0;
  return { text: match[0], bytes: Math.round(Number(digits) * scale), resolutionBytes: scale === 1 ? 0 : (scale * 10 ** -decimals) / 2 };
}

/** The panel's incoming byte counter, read from the newest webview (iframe.webview.ready → iframe#active-frame). */
export async function readPanelCounter(workbench: Workbench): Promise<PanelCounter | undefined> {
  const frame = workbench.webview();
  // The header's tooltip has the exact count ("Received 134217728 bytes …"); the text is rounded.
  const exact = await frame.locator(ui.panelExactCounter).first().getAttribute('title', { timeout: 2000 }).catch(() => null);
  const exactMatch = exact ? /Received (\d+) bytes/.exec(exact) : null;
  if (exactMatch) return { text: exactMatch[0], bytes: Number(exactMatch[1]), resolutionBytes: 0 };
  for (const selector of ui.panelCounterCandidates) {
    const element = frame.locator(selector).first();
    if ((await element.count().catch(() => 0)) === 0) continue;
    const text = await element.textContent({ timeout: 2000 }).catch(() => null);
    const counter = text ? parsePanelCounter(text) : undefined;
    if (counter) return counter;
  }
  return undefined;
}

/** Whether the shown counter is `expected` to the precision it is shown with. */
export function counterShows(counter: PanelCounter | undefined, expected: number): boolean {
  return counter !== undefined && Math.abs(counter.bytes - expected) <= counter.resolutionBytes;
}

/** Waits until the panel shows `expected` incoming bytes; how long that took, and what it showed last. */
export async function waitForPanelCounter(workbench: Workbench, expected: number, timeoutMs: number): Promise<{ shown: boolean; waitedMs: number; last: PanelCounter | undefined }> {
  const started = Date.now();
  let last: PanelCounter | undefined;
  for (;;) {
    last = await readPanelCounter(workbench);
    if (counterShows(last, expected)) return { shown: true, waitedMs: Date.now() - started, last };
    if (Date.now() - started > timeoutMs) return { shown: false, waitedMs: Date.now() - started, last };
    await workbench.page.waitForTimeout(100);
  }
}

/** Moves keyboard focus out of any webview into the workbench itself, where palette keybindings are handled (a focused webview forwards keys late or not at all). */
export async function focusWorkbench(page: Page): Promise<void> {
  await page.evaluate(() => {
    const active = document.activeElement;
    if (active instanceof HTMLElement && active.tagName === 'IFRAME') active.blur();
  });
  await page.keyboard.press('Escape');
  await page.locator(ui.quickInput).waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
}

type Awaited = 'paletteOpen' | 'startListenerPrompt';

/**
 * Times, inside the page, from the keydown the user pressed to the moment the DOM shows what it asked
 * for: a MutationObserver (and an animation-frame check) test the condition on every change. The start
 * is the keydown event's own time stamp, so the time the test driver needs to deliver the key is not
 * counted, and neither is the time to report the result back.
 */
async function timeFromKey(page: Page, key: string, awaited: Awaited, timeoutMs: number): Promise<number | undefined> {
  const options = {
    selectors: { quickInput: ui.quickInput, quickInputBox: ui.quickInputBox, quickInputTitle: ui.quickInputTitle, quickInputMessage: ui.quickInputMessage },
    awaited,
    promptSource: ui.startListenerPrompt.source,
  };
  // A script string, not a function: tsx would wrap the inner functions in a helper the page lacks.
  await page.evaluate(`(${inPageTimer})(${JSON.stringify(options)})`);
  await page.keyboard.press(key);
  try {
    const handle = await page.waitForFunction('window.tcpLabBenchTimer.end !== undefined && window.tcpLabBenchTimer.end - window.tcpLabBenchTimer.start', undefined, { timeout: timeoutMs, polling: 50 });
    return (await handle.jsonValue()) as number;
  } catch (err) {
    if (err instanceof Error && err.name === 'TimeoutError') return undefined;
    throw err;
  }
}

/** Runs in the page: arms the timer on the next keydown and stops it when the awaited quick input shows. */
const inPageTimer = `function (options) {
  const state = {};
  window.tcpLabBenchTimer = state;
  const selectors = options.selectors;
  const prompt = new RegExp(options.promptSource);
  function satisfied() {
    const widget = document.querySelector(selectors.quickInput);
    if (!widget || widget.style.display === 'none' || widget.offsetParent === null) return false;
    const input = widget.querySelector(selectors.quickInputBox);
    if (options.awaited === 'paletteOpen') return input !== null && input.offsetParent !== null;
    const title = widget.querySelector(selectors.quickInputTitle);
    const message = widget.querySelector(selectors.quickInputMessage);
    return prompt.test([title ? title.textContent : '', input ? input.placeholder : '', message ? message.textContent : ''].join(' '));
  }
  const observer = new MutationObserver(finish);
  function finish() {
    if (state.start === undefined || state.end !== undefined || !satisfied()) return;
    state.end = performance.now();
    observer.disconnect();
  }
  function onFrame() {
    finish();
    if (state.end === undefined) requestAnimationFrame(onFrame);
  }
  observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  window.addEventListener('keydown', function (event) {
    state.start = event.timeStamp;
    requestAnimationFrame(onFrame);
  }, { capture: true, once: true });
}`;

/** F1 until the command palette's input is visible, in ms (undefined past the timeout); the palette is closed again. */
export async function timePaletteOpen(page: Page, timeoutMs: number): Promise<number | undefined> {
  await focusWorkbench(page);
  const ms = await timeFromKey(page, 'F1', 'paletteOpen', timeoutMs);
  await focusWorkbench(page);
  return ms;
}

/**
 * TCP: Start Listener chosen in the palette (Enter on its row) until the extension's input box shows
 * its prompt, in ms (undefined past the timeout): the extension host must run the command to show it.
 * Escape cancels the prompt.
 */
export async function timeStartListenerPrompt(workbench: Workbench, timeoutMs: number): Promise<number | undefined> {
  const { page } = workbench;
  await focusWorkbench(page);
  await page.keyboard.press('F1');
  const input = page.locator(`${ui.quickInput} ${ui.quickInputBox}`);
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${commands.startListener}`);
  const focused = page.locator(`${ui.quickInput} ${ui.paletteFocusedRowLabel}`, { hasText: new RegExp(`^${escapeRegExp(commands.startListener)}$`) });
  await focused.waitFor({ state: 'visible', timeout: 10_000 });
  const ms = await timeFromKey(page, 'Enter', 'startListenerPrompt', timeoutMs);
  await focusWorkbench(page);
  return ms;
}
