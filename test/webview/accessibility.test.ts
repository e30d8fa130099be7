// The panel as a screen-reader and high-contrast user meets it: codicon actions with names, rows
// whose names carry what arrived and where they sit, the opt-in announcements, and borders that
// stay visible in both high contrast themes.
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { WireRecord } from '../../src/shared/protocol';
import { connectionTarget, DARK_THEME, feedOf, HIGH_CONTRAST_LIGHT_THEME, HIGH_CONTRAST_THEME, PanelHarness, SETTINGS, wire } from './harness';

/** A row's attributes, top to bottom as they are seen. */
async function visibleRows(page: Page): Promise<{ label: string; setSize: string; posInSet: string }[]> {
  return page.$$eval('.row:not(.probe)', (rows) =>
    rows
      .filter((r) => !(r as HTMLElement).hidden)
      .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
      .map((r) => ({ label: r.getAttribute('aria-label') ?? '', setSize: r.getAttribute('aria-setsize') ?? '', posInSet: r.getAttribute('aria-posinset') ?? '' })),
  );
}

describe('panel accessibility and high contrast in Chromium', function () {
  const harness = new PanelHarness();
  harness.useInSuite();

  afterEach(() => {
    harness.theme = DARK_THEME;
    harness.bodyClass = 'vscode-dark';
  });

  async function openConnection(records: WireRecord[] = [], settings = SETTINGS, feed = feedOf(records)): Promise<Page> {
    await harness.open();
    await harness.post({ type: 'snapshot', settings, target: connectionTarget(), records, feed });
    await harness.page.waitForSelector('.log');
    await harness.settle();
    return harness.page;
  }

  it('draws toolbar actions as codicons from the shipped font, each with a tooltip and an accessible name', async () => {
    const page = await openConnection([wire('in', 'hello')]);
    const names = ['Wrap', 'Pause autoscroll', 'First record', 'Copy', 'Checksum', 'Save log…', 'Clear'];
    for (const name of names) {
      const button = page.getByRole('button', { name, exact: true });
      assert.equal(await button.count(), 1, name);
      assert.equal(await button.locator('.codicon').count(), 1, `${name} is an icon`);
      assert.equal((await button.textContent())?.trim(), '', `${name} has no text glyph`);
      assert.ok(((await button.getAttribute('title')) ?? '').length >= name.length - 1, `${name} has a tooltip`);
      assert.equal(await button.locator('.codicon').getAttribute('aria-hidden'), 'true');
    }
    // The font itself loaded through the CSP (font-src), and the glyph is the codicon one.
    await page.evaluate(() => document.fonts.ready);
    assert.equal(await page.evaluate(() => document.fonts.check('16px codicon')), true);
    const glyph = await page.locator('button[aria-label="Copy"] .codicon').evaluate((n) => ({ font: getComputedStyle(n).fontFamily, content: getComputedStyle(n, '::before').content }));
    assert.equal(glyph.font, 'codicon');
    assert.notEqual(glyph.content, 'none');
    // The header's buttons keep their words beside the icon; the row's direction is an icon too.
    assert.equal(await page.getByRole('button', { name: 'Disconnect', exact: true }).locator('.codicon-debug-disconnect').count(), 1);
    assert.equal(await page.locator('.row .dir .codicon-arrow-left').count(), 1);
    assert.equal(await page.locator('.header .addresses .codicon-arrow-swap').count(), 1);
    assert.match((await page.locator('.header .addresses').textContent()) ?? '', /^127\.0\.0\.1:50123 to 127\.0\.0\.1:7000$/);
    // The autoscroll toggle says what it will do next, and its icon follows.
    await page.getByRole('button', { name: 'Pause autoscroll' }).click();
    const resume = page.getByRole('button', { name: 'Resume autoscroll' });
    assert.equal(await resume.getAttribute('aria-pressed'), 'true');
    assert.equal(await resume.locator('.codicon-play').count(), 1);
  });

  it('names each row by what it is and what it carries, and places it in the whole log', async () => {
    const records = [wire('in', 'temperature=21.5'), wire('out', 'ACK 17\r\n'), wire('in', new Uint8Array([0x02, 0xff, 0x03]))];
    const page = await openConnection(records);
    let rows = await visibleRows(page);
    assert.equal(rows.length, 3);
    assert.match(rows[0].label, /^Received #\d+ 16 bytes at \d\d:\d\d:\d\d\.\d{3}: temperature=21\.5$/);
    assert.match(rows[1].label, /^Sent #\d+ 8 bytes at .*: ACK 17\\r\\n$/);
    assert.match(rows[2].label, /: \\x02\\xFF\\x03$/);
    assert.deepEqual(rows.map((r) => [r.posInSet, r.setSize]), [['1', '3'], ['2', '3'], ['3', '3']]);

    // Hex view: the name says what the row shows.
    await page.getByRole('radiogroup', { name: 'View mode' }).getByRole('radio', { name: 'Hex' }).click();
    await harness.settle();
    rows = await visibleRows(page);
    assert.match(rows[2].label, /: 02 FF 03$/);

    // A long payload: the name carries its start, not all of it.
    await openConnection([wire('in', 'A'.repeat(5000))]);
    const [long] = await visibleRows(harness.page);
    assert.ok(long.label.includes(': AAAA') && long.label.endsWith(' …') && long.label.length < 400, long.label.slice(0, 80));
  });

  it('places a window of the log among every row the host keeps, and says the size is unknown under a filter', async () => {
    const at = (n: number): WireRecord => ({ seq: n, rec: n, length: `line ${n}`.length, time: Date.UTC(2026, 0, 1) + n, dir: 'in', conn: 'C1', data: Buffer.from(`line ${n}`).toString('base64') });
    const tail = Array.from({ length: 50 }, (_, i) => at(951 + i));
    const page = await openConnection(tail, SETTINGS, { firstId: 1, lastId: 1000, size: 1000, dropped: 0, pendingFrameBytes: 0 });
    const rows = await visibleRows(page);
    const last = rows[rows.length - 1];
    assert.deepEqual([last.posInSet, last.setSize], ['1000', '1000']);
    assert.match(last.label, /: line 1000$/);
    const first = rows[0];
    assert.equal(Number(first.posInSet), 1000 - rows.length + 1, 'rows are numbered from the end of the log');

    // A new row arrives while following: the set grows with it.
    await harness.post({ type: 'traffic', records: [at(1001)], previous: 1000, feed: { firstId: 1, lastId: 1001, size: 1001, dropped: 0, pendingFrameBytes: 0 } });
    await page.waitForFunction(() => [...document.querySelectorAll('.row')].some((r) => r.getAttribute('aria-posinset') === '1001'));
    assert.ok((await visibleRows(page)).every((r) => r.setSize === '1001'));

    // Filtered, the matches among rows not loaded here are not known: -1, as ARIA asks.
    await page.getByRole('searchbox', { name: 'Filter the log by text or hex bytes' }).fill('line 99');
    await page.waitForFunction(() => [...document.querySelectorAll('.row')].filter((r) => !(r as HTMLElement).hidden).length === 10);
    const filtered = await visibleRows(page);
    assert.ok(filtered.every((r) => r.setSize === '-1'), JSON.stringify(filtered[0]));
    assert.deepEqual(filtered.map((r) => r.posInSet).slice(0, 3), ['1', '2', '3']);
  });

  it('announces received data only when asked, politely and paced', async () => {
    const page = await openConnection();
    const region = page.locator('#received-announcements');
    assert.equal(await region.getAttribute('aria-live'), 'polite');
    // The row counts under the log change with every update: they are not read out on their own.
    assert.equal(await page.locator('#log-status').getAttribute('aria-live'), null);
    assert.equal(await page.locator('#log-status').getAttribute('role'), null);
    await harness.post({ type: 'traffic', records: [wire('in', 'unheard')], previous: 0, feed: feedOf([]) });
    await harness.settle();
    assert.equal(await region.textContent(), '', 'off by default');

    await harness.post({ type: 'settings', settings: { ...SETTINGS, announceReceived: true } });
    const first = wire('in', 'PING 1');
    await harness.post({ type: 'traffic', records: [first], previous: 0, feed: feedOf([first]) });
    await page.waitForFunction(() => document.querySelector('#received-announcements')?.textContent !== '');
    assert.equal(await region.textContent(), 'Received 6 bytes: PING 1');
    // Sent data and a burst within the interval: one sentence at its end, not one per record.
    const burst = [wire('out', 'not announced'), wire('in', 'a'), wire('in', 'bb'), wire('in', 'LAST')];
    const started = Date.now();
    await harness.post({ type: 'traffic', records: burst, previous: first.seq, feed: feedOf([first, ...burst]) });
    await harness.settle();
    assert.equal(await region.textContent(), 'Received 6 bytes: PING 1', 'nothing new inside the interval');
    await page.waitForFunction(() => document.querySelector('#received-announcements')?.textContent?.startsWith('Received 3'), undefined, { timeout: 5000 });
    assert.equal(await region.textContent(), 'Received 3 messages, 7 bytes; the latest: LAST');
    assert.ok(Date.now() - started > 1000, 'paced, not immediate');
    assert.equal(await region.locator('p').count(), 1, 'a fresh node for each sentence, so repeats are heard');
  });

  for (const [name, theme, bodyClass, contrastBorder, activeBorder, focusBorder] of [
    ['Dark High Contrast', HIGH_CONTRAST_THEME, 'vscode-high-contrast', 'rgb(111, 195, 223)', 'rgb(243, 133, 24)', 'rgb(243, 133, 24)'],
    ['Light High Contrast', HIGH_CONTRAST_LIGHT_THEME, 'vscode-high-contrast vscode-high-contrast-light', 'rgb(15, 74, 133)', 'rgb(0, 107, 189)', 'rgb(0, 107, 189)'],
  ] as const) {
    it(`keeps inputs, panels, rows and focus visible in ${name}`, async () => {
      harness.theme = theme;
      harness.bodyClass = bodyClass;
      const page = await openConnection([wire('in', 'one'), wire('in', 'two')]);
      const border = (selector: string, side = 'Top'): Promise<string> =>
        page.locator(selector).first().evaluate((n, s) => {
          const style = getComputedStyle(n) as unknown as Record<string, string>;
          return `${style[`border${s}Style`]} ${style[`border${s}Color`]}`;
        }, side);
      for (const selector of ['input[type="search"]', 'select[aria-label="Display encoding"]', 'textarea[aria-label="Payload to send"]', '.log', '.state']) {
        assert.equal(await border(selector), `solid ${contrastBorder}`, selector);
      }
      await page.locator('details.behaviour').evaluate((d) => ((d as HTMLDetailsElement).open = true));
      assert.equal(await border('.sections details'), `solid ${contrastBorder}`, 'section panels');

      const outline = (selector: string): Promise<string> =>
        page.locator(selector).first().evaluate((n) => `${getComputedStyle(n).outlineStyle} ${getComputedStyle(n).outlineColor}`);
      // Rows: hover is a dashed contrastActiveBorder, the selection dotted, focus solid focusBorder.
      const rows = page.locator('.row:not(.probe)');
      await rows.nth(0).hover();
      assert.equal(await outline('.row:hover'), `dashed ${activeBorder}`);
      await rows.nth(1).click();
      await page.mouse.move(0, 0);
      assert.equal(await outline('.row[aria-selected="true"]'), `solid ${focusBorder}`, 'the selected row while the log has focus');
      await page.locator('input[type="search"]').focus();
      assert.equal(await outline('.row[aria-selected="true"]'), `dotted ${activeBorder}`, 'the selected row without focus');
      assert.equal(await outline('input[type="search"]'), `solid ${focusBorder}`, 'the focused input');
      // The chosen view mode is marked by a border, not only by a fill that matches every other.
      assert.equal(await border('.segmented button[aria-checked="true"]'), `solid ${activeBorder}`);
      await page.getByRole('button', { name: 'Wrap' }).click();
      assert.equal(await border('button[aria-label="Wrap"][aria-pressed="true"]'), `solid ${activeBorder}`);
    });
  }

  it('adds no high contrast outlines in an ordinary theme', async () => {
    const page = await openConnection([wire('in', 'one')]);
    await page.locator('.row:not(.probe)').first().hover();
    assert.equal(await page.locator('.row:hover').evaluate((n) => getComputedStyle(n).outlineStyle), 'none');
    assert.equal(await page.locator('.state').evaluate((n) => getComputedStyle(n).borderTopColor), 'rgba(0, 0, 0, 0)');
  });
});
