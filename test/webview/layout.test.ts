// The panel as a first-hour user meets it, measured in real Chromium at the sizes they used: whole
// dump lines, autoscroll that only the user pauses, faults that stay visible, a one-row toolbar that
// remembers, and a log that keeps most of the height.
import * as assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import type { SendMessage, TargetInfo, WireRecord } from '../../src/shared/protocol';
import { connectionTarget, DARK_THEME, feedOf, HIGH_CONTRAST_THEME, LIGHT_THEME, PanelHarness, SETTINGS, wire } from './harness';

/** Each theme with the editor background it must paint, so a theme that did not apply fails. */
const THEMES = [['dark', DARK_THEME, 'rgb(30, 30, 30)'], ['light', LIGHT_THEME, 'rgb(255, 255, 255)'], ['high contrast', HIGH_CONTRAST_THEME, 'rgb(0, 0, 0)']] as const;

const SIZES = [
  { width: 1400, height: 900 },
  { width: 1100, height: 720 },
];

function listenerTarget(): TargetInfo {
  return {
    kind: 'listener', id: 'L1', listening: true, host: '127.0.0.1', requestedPort: 0,
    local: { address: '127.0.0.1', family: 'IPv4', port: 5000 },
    totals: { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 }, startedAt: Date.now(), acceptedCount: 1,
    peers: [{ id: 'C2', state: 'open', remote: { address: '127.0.0.1', family: 'IPv4', port: 40001 } }],
  };
}

/** Every visible row's text: how wide it is drawn, and whether the user can see all of it. */
async function lineReach(page: Page): Promise<{ text: string; clipped: boolean; beyondScroll: boolean }[]> {
  return page.$$eval('.log .row:not([hidden]) .content', (nodes) => {
    const log = document.querySelector('.log') as HTMLElement;
    const logLeft = log.getBoundingClientRect().left;
    return nodes.map((node) => {
      const content = node as HTMLElement;
      const range = document.createRange();
      range.selectNodeContents(content);
      const text = range.getBoundingClientRect();
      const clips = getComputedStyle(content).overflowX !== 'visible';
      const box = content.getBoundingClientRect();
      return {
        text: content.textContent ?? '',
        // Cut off inside its own column (overflow hidden with an ellipsis)...
        clipped: clips && text.right > box.right + 1,
        // ...or past the end of what the log lets the user scroll to.
        beyondScroll: text.right - logLeft + log.scrollLeft > log.scrollWidth + 1,
      };
    });
  });
}

describe('traffic panel layout in Chromium', function () {
  const harness = new PanelHarness();
  harness.useInSuite();

  for (const [themeName, theme, background] of THEMES) {
    describe(`in the ${themeName} theme`, () => {
      before(() => {
        harness.theme = theme;
        // As VS Code marks the theme kind on <body>: the high contrast rules key on it.
        harness.bodyClass = themeName === 'high contrast' ? 'vscode-high-contrast' : `vscode-${themeName}`;
      });
      after(() => {
        harness.theme = DARK_THEME;
        harness.bodyClass = 'vscode-dark';
      });

      async function open(size: { width: number; height: number }, target: TargetInfo, records: WireRecord[] = []): Promise<Page> {
        const page = await harness.open();
        await page.setViewportSize(size);
        // A larger editor font than the harness theme, as in the report (VS Code's own 14 px and up).
        await page.evaluate(() => document.documentElement.style.setProperty('--vscode-editor-font-size', '15px'));
        await harness.post({ type: 'snapshot', settings: SETTINGS, target, records, feed: feedOf(records) });
        await page.waitForSelector('.log');
        await harness.settle();
        assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), background);
        return page;
      }

      async function chooseMode(page: Page, label: 'Text' | 'Hex' | 'Dump'): Promise<void> {
        await page.getByRole('radiogroup', { name: 'View mode' }).getByRole('radio', { name: label }).click();
        await harness.settle();
      }

      for (const size of SIZES) {
        it(`keeps every dump line and expanded line whole at ${size.width}×${size.height}: scrolling sideways, or wrapped`, async () => {
          const twelve = wire('in', new Uint8Array([0x7e, 0x01, 0x00, 0x04, 0xc0, 0xfe, 0xbe, 0xef, 0xff, 0x00, 0x10, 0x7e]), 'C2');
          const forty = wire('in', new Uint8Array(40).map((_, i) => 0x41 + (i % 26)), 'C2');
          const long = wire('out', 'y'.repeat(2000) + 'END', 'C2');
          const page = await open(size, listenerTarget(), [twelve, forty, long]);
          await chooseMode(page, 'Dump');
          await page.locator('.row .expand').last().click();
          await harness.settle();
          let lines = await lineReach(page);
          assert.ok(lines.length >= 3);
          for (const line of lines) assert.ok(!line.clipped && !line.beyondScroll, `cut off: ${JSON.stringify(line)}`);
          // Dump lines are whole: 16 bytes and their ASCII, and the ASCII of the 12-byte record has no ellipsis.
          assert.match(lines[0].text, /^00000000 \| 7E 01 00 04 C0 FE BE EF FF 00 10 7E +\| ~\.{10}~$/);
          assert.match(lines[1].text.split('\n')[0], /^00000000 \| 41 42 43 44 45 46 47 48 49 4A 4B 4C 4D 4E 4F 50 \| ABCDEFGHIJKLMNOP$/);
          // Scrolled all the way right, the end of the widest line is on screen.
          await page.locator('.log').evaluate((log) => (log.scrollLeft = log.scrollWidth));
          await harness.settle();
          const rightEdge = await page.$eval('.log', (log) => log.getBoundingClientRect().right);
          const asciiEnd = await page.$$eval('.log .row:not([hidden]) .content', (nodes) => {
            const range = document.createRange();
            range.selectNodeContents(nodes[0]);
            return range.getBoundingClientRect().right;
          });
          assert.ok(asciiEnd <= rightEdge, `the ASCII column ends at ${asciiEnd}, the log at ${rightEdge}`);

          // The expanded text record: 160-column lines, each whole.
          await chooseMode(page, 'Text');
          lines = await lineReach(page);
          const expanded = lines.find((l) => l.text.includes('END'));
          assert.ok(expanded && expanded.text.split('\n')[0].length === 160);
          for (const line of lines) assert.ok(!line.clipped && !line.beyondScroll, `cut off: ${line.text.slice(0, 40)}…`);

          // Wrap: no sideways scrolling, every byte still there, lines cut to the width.
          await page.getByRole('button', { name: 'Wrap' }).click();
          await chooseMode(page, 'Dump');
          assert.equal(await page.getByRole('button', { name: 'Wrap' }).getAttribute('aria-pressed'), 'true');
          const scroll = await page.$eval('.log', (log) => ({ scrollWidth: log.scrollWidth, clientWidth: log.clientWidth }));
          assert.ok(scroll.scrollWidth <= scroll.clientWidth, `wrapped, the log still scrolls sideways: ${JSON.stringify(scroll)}`);
          lines = await lineReach(page);
          for (const line of lines) assert.ok(!line.clipped && !line.beyondScroll, `cut off: ${line.text.slice(0, 40)}…`);
          const dump = lines[1].text;
          assert.equal(dump.match(/\b[0-9A-F]{2}\b/g)?.slice(0, 16).join(' '), '41 42 43 44 45 46 47 48 49 4A 4B 4C 4D 4E 4F 50');
          assert.ok(dump.includes('ABCDEFGHIJKLMNOP'), dump);
          const state = await page.evaluate(() => (window as unknown as { __state: { wrap?: boolean } }).__state);
          assert.equal(state.wrap, true, 'the choice is remembered in the view state');
          await page.locator('.log').evaluate((log) => (log.scrollTop = 0));
        });
      }

      it('keeps following when the Framing section opens or closes: only the user scrolling up pauses it', async () => {
        const records = Array.from({ length: 300 }, (_, i) => wire('in', `line ${i}`));
        const page = await open(SIZES[1], connectionTarget(), records);
        const lastVisible = async (): Promise<string> =>
          page.$eval('.log', (log) => {
            const box = log.getBoundingClientRect();
            const rows = [...log.querySelectorAll<HTMLElement>('.row:not([hidden])')].filter((r) => r.getBoundingClientRect().top < box.bottom - 4);
            rows.sort((a, b) => b.getBoundingClientRect().top - a.getBoundingClientRect().top);
            return rows[0]?.querySelector('.content')?.textContent ?? '';
          });
        assert.equal(await lastVisible(), 'line 299');
        let next = 300;
        const push = async (): Promise<void> => {
          const record = wire('in', `line ${next++}`);
          await harness.post({ type: 'traffic', records: [record], previous: record.seq - 1, feed: { firstId: records[0].seq, lastId: record.seq, size: next, dropped: 0, pendingFrameBytes: 0 } });
          await harness.settle();
        };
        // Narrow enough that the open section sits under the log, so the log's height really changes.
        for (const width of [800, 1100]) {
          await page.setViewportSize({ width, height: 720 });
          // Open, traffic keeps the (shorter) log at its end; closed, the taller log must stay there too.
          await harness.clearPosted();
          await page.locator('details.behaviour > summary').click();
          await harness.settle();
          await push();
          assert.equal(await lastVisible(), `line ${next - 1}`, `at ${width} px the newest row is in view with the section open`);
          await page.locator('details.behaviour > summary').click();
          await harness.settle();
          await push();
          assert.equal(await lastVisible(), `line ${next - 1}`, `at ${width} px the newest row is in view after the section closed`);
          assert.ok(await page.getByRole('button', { name: 'Pause autoscroll' }).isVisible());
          // Not even for a moment: a pause tells the host to stop streaming the tail.
          const follows = (await harness.posted()).filter((m) => m.type === 'follow');
          assert.deepEqual(follows, [], `the section toggling changed following: ${JSON.stringify(follows)}`);
        }
        // The user's own scroll does pause it.
        await page.locator('.log').evaluate((log) => log.scrollBy(0, -400));
        await harness.settle();
        await page.getByRole('button', { name: 'Resume autoscroll' }).waitFor();
        await push();
        assert.notEqual(await lastVisible(), `line ${next - 1}`);
      });

      it('shows armed faults on the collapsed Faults summary and on the Send button', async () => {
        const page = await open(SIZES[1], connectionTarget());
        await page.getByRole('textbox', { name: 'Payload to send' }).fill('abcdefghij');
        const summary = page.locator('details.faults > summary');
        assert.equal(await summary.textContent(), 'Faults');
        await summary.click();
        await page.getByLabel('Inject faults').check();
        await page.getByLabel('Split into N writes').fill('3');
        await page.getByRole('combobox', { name: 'After the last write' }).selectOption('reset');
        await summary.click();
        assert.equal(await page.locator('details.faults').getAttribute('open'), null, 'collapsed');
        assert.equal(await summary.textContent(), 'Faults: armed, 3 writes, then RST');
        const send = page.getByRole('button', { name: 'Send (3 writes, then RST)', exact: true });
        assert.ok(await send.isVisible());
        // The armed summary stands out from the plain one.
        const colours = await page.$eval('details.faults > summary', (node) => getComputedStyle(node).color);
        const plain = await page.$eval('details.behaviour > summary', (node) => getComputedStyle(node).color);
        assert.notEqual(colours, plain);
        await harness.clearPosted();
        await send.click();
        const [message] = (await harness.posted()) as SendMessage[];
        assert.equal(message.faults?.splitInto, 3);
        // More copies change the count; disarming puts everything back.
        await summary.click();
        await page.getByLabel('Copies of the payload').fill('2');
        assert.equal(await summary.textContent(), 'Faults: armed, 6 writes, then RST');
        await page.getByLabel('Inject faults').uncheck();
        assert.equal(await summary.textContent(), 'Faults');
        assert.ok(await page.getByRole('button', { name: 'Send', exact: true }).isVisible());
      });

      it('lays the toolbar out as one labelled row, remembers the save format, and gives the log most of the height at 1100×720', async () => {
        const records = Array.from({ length: 100 }, (_, i) => wire('in', `row ${i}`, 'C2'));
        let page = await open(SIZES[1], listenerTarget(), records);
        const tops = await page.$$eval('.toolbar[aria-label="Log view"] > *', (nodes) => nodes.map((n) => Math.round(n.getBoundingClientRect().top)));
        assert.ok(Math.max(...tops) - Math.min(...tops) <= 3, `the view toolbar wraps: ${tops.join(', ')}`);
        // Copy and Save formats carry visible labels next to their dropdowns.
        for (const [label, name] of [['Copy as', 'Copy format'], ['Save as', 'Log file format']]) {
          const control = page.getByRole('combobox', { name });
          const id = await control.getAttribute('id');
          const text = await page.locator(`label[for="${id}"]`).textContent();
          assert.equal(text, label);
          const [labelBox, controlBox] = [await page.locator(`label[for="${id}"]`).boundingBox(), await control.boundingBox()];
          assert.ok(labelBox && controlBox && Math.abs(labelBox.y + labelBox.height / 2 - (controlBox.y + controlBox.height / 2)) < 6, `${label} sits on its dropdown's line`);
        }

        await page.getByRole('combobox', { name: 'Log file format' }).selectOption('csv');
        await page.locator('details.behaviour > summary').click();
        await page.locator('details.faults > summary').click();
        await harness.settle();
        const measure = (): Promise<{ log: number; rows: number }> =>
          page.$eval('.log', (log) => ({ log: log.getBoundingClientRect().height, rows: Math.floor(log.clientHeight / 22) }));
        const opened = await measure();
        assert.ok(opened.log >= 0.55 * 720, `with Framing and Faults open the log is ${opened.log} px of 720 (${opened.rows} rows)`);

        // Apply framing answers with a fresh snapshot: the toolbar is rebuilt, the choices stay.
        await harness.post({ type: 'snapshot', settings: SETTINGS, target: listenerTarget(), records, feed: feedOf(records), behaviour: { framing: { mode: 'delimiter', delimiter: 'lf' }, echo: false, rules: [] } });
        await harness.settle();
        assert.equal(await page.getByRole('combobox', { name: 'Log file format' }).inputValue(), 'csv');
        await harness.clearPosted();
        await page.getByRole('button', { name: 'Save log…' }).click();
        const [save] = await harness.posted();
        assert.deepEqual({ ...save, requestId: 0 }, { type: 'saveLog', requestId: 0, format: 'csv', encoding: 'utf-8' });
        await harness.post({ type: 'reply', requestId: (save as { requestId: number }).requestId, ok: true, detail: 'Saved 100 records to log.csv.' });
        await page.getByText('Saved 100 records to log.csv.').waitFor();
        // pcapng is a third format of the same control: the host exports the target (not the rows).
        await page.getByRole('combobox', { name: 'Log file format' }).selectOption('pcapng');
        await harness.clearPosted();
        await page.getByRole('button', { name: 'Save log…' }).click();
        const [pcap] = await harness.posted();
        assert.deepEqual({ ...pcap, requestId: 0 }, { type: 'exportPcapng', requestId: 0 });
        await harness.post({ type: 'reply', requestId: (pcap as { requestId: number }).requestId, ok: true, detail: 'Exported as pcapng to L1.pcapng.' });
        await page.getByText('Exported as pcapng to L1.pcapng.').waitFor();
        await page.getByRole('combobox', { name: 'Log file format' }).selectOption('csv');

        // And after the window reloads (a new page with the saved state).
        const state = await page.evaluate(() => (window as unknown as { __state: unknown }).__state);
        page = await harness.open(state);
        await page.setViewportSize(SIZES[1]);
        await harness.post({ type: 'snapshot', settings: SETTINGS, target: listenerTarget(), records, feed: feedOf(records) });
        await page.waitForSelector('.log');
        assert.equal(await page.getByRole('combobox', { name: 'Log file format' }).inputValue(), 'csv');
        // Narrow, the open sections sit under the log with their own scroll and still leave it most of the room.
        await page.setViewportSize({ width: 800, height: 720 });
        await page.locator('details.behaviour > summary').click();
        await page.locator('details.faults > summary').click();
        await harness.settle();
        const narrow = await measure();
        assert.ok(narrow.log >= 0.33 * 720, `at 800×720 the log is ${narrow.log} px`);
      });

      // The README's pictures are of the dark theme.
      for (const size of themeName === 'dark' ? SIZES : []) {
        it(`shows a listener's dump with Framing and Faults open at ${size.width}×${size.height} (screenshot)`, async () => {
          const now = Date.now();
          const records = [
            { ...wire('in', '', 'C2', now - 4000), kind: 'event' as const, note: 'C2 connected from 127.0.0.1:40001' },
            wire('in', 'GET /status HTTP/1.1\r\nHost: device\r\n\r\n', 'C2', now - 3000),
            wire('out', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK', 'C2', now - 2000),
            wire('in', new Uint8Array([0x7e, 0x01, 0x00, 0x04, 0xc0, 0xfe, 0xbe, 0xef, 0xff, 0x00, 0x10, 0x7e]), 'C2', now - 1000),
          ];
          const page = await open(size, listenerTarget(), records);
          await chooseMode(page, 'Dump');
          await page.locator('details.behaviour > summary').click();
          await page.locator('details.faults > summary').click();
          await page.getByLabel('Inject faults').check();
          await page.getByLabel('Split into N writes').fill('3');
          await page.getByRole('textbox', { name: 'Payload to send' }).fill('STATUS?\\r\\n');
          // The narrower panel wraps, the wider one scrolls sideways: both keep every line whole.
          if (size.width < 1400) await page.getByRole('button', { name: 'Wrap' }).click();
          await harness.settle();
          for (const line of await lineReach(page)) assert.ok(!line.clipped && !line.beyondScroll, `cut off: ${line.text.slice(0, 40)}…`);
          // Every run writes the picture under test-results/; the README's copies change only on request.
          const root = resolve(__dirname, '..', '..');
          const dir = process.env.TCP_LAB_UPDATE_SCREENSHOTS === '1' ? join(root, 'docs', 'screenshots') : join(root, 'test-results', 'webview');
          mkdirSync(dir, { recursive: true });
          await page.screenshot({ path: join(dir, `traffic-panel-${size.width}x${size.height}.png`) });
        });
      }
    });
  }
});
