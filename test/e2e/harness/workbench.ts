// Drives the VS Code workbench in code-server as a user does: keyboard, command palette, quick
// inputs, notifications, the TCP Lab tree and the traffic webview. Selectors are VS Code 1.100's DOM.
import type { FrameLocator, Locator, Page } from 'playwright-core';

const quickInput = '.quick-input-widget';

export class Workbench {
  constructor(readonly page: Page) {}

  async waitUntilReady(timeoutMs = 120_000): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
    // The explorer fills in once the remote file system is connected.
    await this.page.locator('#workbench\\.parts\\.sidebar .monaco-list-row').first().waitFor({ timeout: timeoutMs });
  }

  get quickInput(): Locator {
    return this.page.locator(quickInput);
  }

  private async openPalette(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Control+Shift+P');
    await this.page.locator(`${quickInput} .quick-input-box input`).waitFor({ state: 'visible', timeout: 5000 });
  }

  /**
   * Runs a command by its palette title. The palette lists only commands registered when it opened
   * and does not refresh (a known race right after start), so it is reopened until the row appears.
   */
  async runCommand(title: string, timeoutMs = 45_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.openPalette();
      await this.page.locator(`${quickInput} .quick-input-box input`).fill(`>${title}`);
      const row = this.paletteRow(title);
      try {
        await row.waitFor({ state: 'visible', timeout: 2000 });
        await row.click();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`The command palette never offered "${title}": ${String(err)}`);
        await this.page.keyboard.press('Escape');
        await this.page.waitForTimeout(1000);
      }
    }
  }

  /** The palette row whose label is exactly `title`. */
  private paletteRow(title: string): Locator {
    return this.page
      .locator(`${quickInput} .quick-input-list .monaco-list-row`)
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }) })
      .first();
  }

  /** Waits for a quick input (showInputBox / showQuickPick) whose title, prompt or placeholder matches. */
  async waitForPrompt(pattern: RegExp, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await this.promptText();
      if (pattern.test(text)) return;
      if (Date.now() > deadline) throw new Error(`No prompt matching ${String(pattern)} appeared; the quick input showed "${text}".`);
      await this.page.waitForTimeout(150);
    }
  }

  /** Title, placeholder and message of the visible quick input ('' when none is open). */
  async promptText(): Promise<string> {
    return this.page.evaluate((selector) => {
      const widget = document.querySelector<HTMLElement>(selector);
      if (!widget || widget.style.display === 'none' || widget.offsetParent === null) return '';
      const parts = [
        widget.querySelector('.quick-input-title')?.textContent ?? '',
        widget.querySelector<HTMLInputElement>('.quick-input-box input')?.placeholder ?? '',
        widget.querySelector('.quick-input-message')?.textContent ?? '',
      ];
      return parts.join(' | ');
    }, quickInput);
  }

  /** Types into the open quick input (replacing its text) and presses Enter. */
  async answer(value: string): Promise<void> {
    const input = this.page.locator(`${quickInput} .quick-input-box input`);
    await input.waitFor({ state: 'visible', timeout: 5000 });
    // code-server's save dialog (a quick input) fills in its default path a moment after it opens and
    // overwrites whatever was typed before; on a loaded machine that moment comes late. So type until
    // the value stays what was typed, then submit.
    const deadline = Date.now() + 5000;
    const stays = async (): Promise<boolean> => {
      for (let check = 0; check < 2; check++) {
        await this.page.waitForTimeout(200);
        if ((await input.inputValue()) !== value) return false;
      }
      return true;
    };
    do await input.fill(value);
    while (!(await stays()) && Date.now() < deadline);
    await input.press('Enter');
  }

  /** Types into the open quick input without submitting (to read its validation message). */
  async type(value: string): Promise<void> {
    const input = this.page.locator(`${quickInput} .quick-input-box input`);
    await input.waitFor({ state: 'visible', timeout: 5000 });
    await input.fill(value);
  }

  async quickInputVisible(): Promise<boolean> {
    return this.page.locator(`${quickInput} .quick-input-box input`).isVisible();
  }

  /** Picks the quick-pick row whose label contains `label`. */
  async pick(label: string | RegExp): Promise<void> {
    const row = this.page.locator(`${quickInput} .quick-input-list .monaco-list-row`).filter({ hasText: label }).first();
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await row.click();
  }

  /** Waits for a notification toast whose message matches, returns its text. */
  async waitForNotification(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const toast = this.page.locator('.notification-toast .notification-list-item-message').filter({ hasText: pattern }).first();
    await toast.waitFor({ state: 'visible', timeout: timeoutMs });
    return (await toast.textContent()) ?? '';
  }

  async clearNotifications(): Promise<void> {
    const toasts = this.page.locator('.notification-toast');
    for (let attempt = 0; attempt < 20 && (await toasts.count()) > 0; attempt++) {
      const toast = toasts.first();
      try {
        await toast.hover({ timeout: 2000 });
        const close = toast.locator('.codicon-notifications-clear');
        if (!(await close.isVisible())) break;
        await close.click({ timeout: 2000 });
      } catch (err) {
        // A toast that fades out by itself between the count and the hover is detached mid-action
        // (seen in CI: the hover then waited its whole timeout); the loop looks again.
        if (!(err instanceof Error && err.name === 'TimeoutError')) throw err;
      }
    }
  }

  // ---- TCP Lab steps shared by the scenarios --------------------------------------------------

  /** TCP: Start Listener on port 0 from the palette; returns the port the notification names. */
  async startListenerOnAnyPort(): Promise<number> {
    // An older "Listening on" toast must not be mistaken for this listener's.
    await this.clearNotifications();
    await this.runCommand('TCP: Start Listener');
    await this.waitForPrompt(/Start Listener/);
    await this.answer('0');
    const text = await this.waitForNotification(/Listening on /);
    const match = /Listening on 127\.0\.0\.1:(\d+)/.exec(text);
    if (!match) throw new Error(`The notification "${text}" names no 127.0.0.1 port.`);
    return Number(match[1]);
  }

  /** Runs a palette command that asks which listener or connection, and picks the row matching `label`. */
  async runOnTarget(title: string, label: RegExp): Promise<void> {
    await this.runCommand(title);
    await this.waitForPrompt(/Choose a listener or connection|which|…/i);
    await this.pick(label);
  }

  /** Opens the TCP Lab view container from the activity bar. */
  async openTcpLabView(timeoutMs = 30_000): Promise<void> {
    const entry = this.activityBarEntry('TCP Lab');
    await entry.waitFor({ state: 'visible', timeout: timeoutMs });
    const selected = await entry.evaluate((el) => el.closest('.action-item')?.classList.contains('checked') ?? false);
    if (!selected) await entry.click();
    await this.page.locator('#workbench\\.parts\\.sidebar .title-label', { hasText: /TCP LAB/i }).first().waitFor({ timeout: timeoutMs });
  }

  activityBarEntry(name: string): Locator {
    return this.page.locator(`#workbench\\.parts\\.activitybar .action-item .action-label[aria-label^="${name}"]`);
  }

  /** Text of every row of the Connections tree (label and description). */
  async treeRows(): Promise<string[]> {
    const rows = this.page.locator('#workbench\\.parts\\.sidebar .monaco-list-row');
    return (await rows.allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim());
  }

  /** Waits until some tree row matches, returns that row's text. */
  async waitForTreeRow(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = (await this.treeRows()).find((row) => pattern.test(row));
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`No Connections row matched ${String(pattern)}; rows: ${JSON.stringify(await this.treeRows())}`);
      await this.page.waitForTimeout(200);
    }
  }

  async waitForNoTreeRow(pattern: RegExp, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await this.treeRows();
      if (!rows.some((row) => pattern.test(row))) return;
      if (Date.now() > deadline) throw new Error(`A Connections row still matches ${String(pattern)}; rows: ${JSON.stringify(rows)}`);
      await this.page.waitForTimeout(200);
    }
  }

  /** Expands a collapsed tree row (its children are not in the DOM while it is collapsed). */
  async expandTreeRow(pattern: RegExp): Promise<void> {
    await this.waitForTreeRow(pattern);
    const row = this.treeRow(pattern);
    if ((await row.getAttribute('aria-expanded')) === 'false') await row.locator('.monaco-tl-twistie').click();
  }

  treeRow(pattern: RegExp): Locator {
    return this.page.locator('#workbench\\.parts\\.sidebar .monaco-list-row').filter({ hasText: pattern }).first();
  }

  /**
   * The content document of the newest webview: VS Code nests it as
   * iframe.webview.ready → iframe#active-frame.
   */
  webview(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
  }

  /** Every element of a panel matching `selector`, its text joined with " | ". */
  async panelText(panel: FrameLocator, selector: string): Promise<string> {
    return (await panel.locator(selector).allTextContents()).join(' | ');
  }

  /** Waits until the panel's `selector` text matches `pattern`, returns that text. */
  async waitForPanelText(panel: FrameLocator, selector: string, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await this.panelText(panel, selector);
      if (pattern.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`The traffic panel's ${selector} never matched ${String(pattern)}; it shows "${text}"`);
      await this.page.waitForTimeout(200);
    }
  }

  /** Opens a workspace file through Quick Open. */
  async openFile(name: string): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator(`${quickInput} .quick-input-box input`);
    await input.waitFor({ state: 'visible', timeout: 5000 });
    await input.fill(name);
    await this.page.locator(`${quickInput} .quick-input-list .monaco-list-row`).filter({ hasText: name }).first().waitFor({ timeout: 10_000 });
    await input.press('Enter');
    await this.page.locator(`.tabs-container .tab[aria-label^="${name}"]`).first().waitFor({ timeout: 10_000 });
  }

  /** A CodeLens in the active editor, by its text (VS Code renders each lens as a link or a label). */
  codeLens(text: RegExp): Locator {
    return this.page.locator('.editor-instance .codelens-decoration a, .editor-instance .codelens-decoration span').filter({ hasText: text }).first();
  }

  /** A clickable CodeLens only: a label's wrapper spans also hold the text of the lenses beside it. */
  codeLensLink(text: RegExp): Locator {
    return this.page.locator('.editor-instance .codelens-decoration a').filter({ hasText: text }).first();
  }

  /** The open modal dialog (showWarningMessage with modal: true) whose text matches. */
  async modal(text: RegExp, timeoutMs = 15_000): Promise<Locator> {
    const dialog = this.page.locator('.monaco-dialog-box').filter({ hasText: text }).first();
    await dialog.waitFor({ state: 'visible', timeout: timeoutMs });
    return dialog;
  }

  /** Clicks into the active text editor. */
  async focusEditor(): Promise<void> {
    await this.page.locator('.editor-instance .monaco-editor .view-lines').first().click();
  }
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
