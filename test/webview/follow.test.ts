// A panel following the tail through floods: the host sends only the newest rows that fit the view
// (a gap before them each time), so the window starts over on every update. Starting over must not
// look like the user scrolling to the top: that would stop following and pull older pages from the
// host for the rest of the flood, CPU the sockets need.
import * as assert from 'node:assert/strict';
import type { FromWebviewMessage, TargetInfo, WireRecord } from '../../src/shared/protocol';
import { connectionTarget, PanelHarness, SETTINGS } from './harness';

describe('traffic panel following the tail through floods', function () {
  const harness = new PanelHarness();
  harness.useInSuite();

  const at = (n: number) => Date.UTC(2026, 0, 1) + n;
  const chunk = Buffer.alloc(1024, 0x41).toString('base64');
  const row = (n: number): WireRecord => ({ seq: n, rec: n, length: 65536, time: at(n), dir: 'in', conn: 'C1', data: chunk });
  const feed = (last: number) => ({ firstId: 1, lastId: last, size: last, dropped: 0, pendingFrameBytes: 0 });

  it('stays on the tail and asks the host for nothing while flood updates start the window over', async () => {
    const first = Array.from({ length: 30 }, (_, i) => row(i + 1));
    await harness.open();
    await harness.post({ type: 'snapshot', settings: SETTINGS, target: connectionTarget(), records: first, feed: feed(30) });
    const page = harness.page;
    await page.waitForSelector('.row');
    await harness.settle();
    const follow = (await harness.posted()).filter((m) => m.type === 'follow').at(-1) as Extract<FromWebviewMessage, { type: 'follow' }>;
    const viewRows = follow.rows;
    await harness.clearPosted();

    let last = 30;
    for (let flush = 0; flush < 40; flush++) {
      // 2,000 rows arrived since the last update; only the newest that fit the view cross.
      const previous = last + 2000 - viewRows;
      const records = Array.from({ length: viewRows }, (_, i) => row(previous + 1 + i));
      last = previous + viewRows;
      await harness.post({ type: 'traffic', records, previous, feed: feed(last) });
      if (flush % 3 === 0) await harness.settle();
      else await page.waitForTimeout(5);
    }
    await harness.settle();
    await harness.settle();
    const posted = await harness.posted();
    assert.deepEqual(posted.filter((m) => m.type === 'rows'), [], 'no older (or newer) rows pulled while following');
    assert.deepEqual(posted.filter((m) => m.type === 'follow' && !m.following), [], 'following never stopped');
    assert.ok(await page.getByRole('button', { name: 'Pause autoscroll' }).isVisible(), 'the panel still follows');
    const bottomSeq = await page.$eval('.log', (log) => {
      const rows = [...log.querySelectorAll<HTMLElement>('.row:not([hidden])')];
      rows.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
      return Number(rows.at(-1)?.dataset.seq);
    });
    assert.equal(bottomSeq, last, 'the newest row is the one at the bottom');
  });

  it('tells the host how many rows it shows when it grows taller', async () => {
    const first = Array.from({ length: 200 }, (_, i) => row(i + 1));
    const page = await harness.open();
    await page.setViewportSize({ width: 1100, height: 360 });
    await harness.post({ type: 'snapshot', settings: SETTINGS, target: connectionTarget(), records: first, feed: feed(200) });
    await page.waitForSelector('.row');
    await harness.settle();
    const follows = async () => (await harness.posted()).filter((m): m is Extract<FromWebviewMessage, { type: 'follow' }> => m.type === 'follow');
    const small = (await follows()).at(-1)!.rows;
    await harness.clearPosted();
    // The editor group is maximized, say: the view now shows more rows than it told the host, which
    // hears it with the next update that starts the window over.
    await page.setViewportSize({ width: 1100, height: 1400 });
    await harness.settle();
    const records = Array.from({ length: small }, (_, i) => row(2001 + i));
    await harness.post({ type: 'traffic', records, previous: 2000, feed: feed(2000 + small) });
    await harness.settle();
    const grown = (await follows()).at(-1);
    assert.ok(grown && grown.following && grown.rows > small, `a taller view says so: ${small} rows, then ${grown?.rows}`);
    await page.setViewportSize({ width: 1100, height: 700 });
  });

  it('keeps following, and pulls nothing, when an update fills less than the view (its top is in view)', async () => {
    const first = Array.from({ length: 200 }, (_, i) => row(i + 1));
    const page = await harness.open();
    await harness.post({ type: 'snapshot', settings: SETTINGS, target: connectionTarget(), records: first, feed: feed(200) });
    await page.waitForSelector('.row');
    await harness.settle();
    // A host that has not heard of a taller view yet sends fewer rows than the view shows.
    const small = 10;
    await harness.clearPosted();
    let last = 200;
    for (let flush = 0; flush < 10; flush++) {
      const previous = last + 2000 - small;
      const records = Array.from({ length: small }, (_, i) => row(previous + 1 + i));
      last = previous + small;
      await harness.post({ type: 'traffic', records, previous, feed: feed(last) });
      await harness.settle();
    }
    await page.waitForTimeout(100);
    const posted = await harness.posted();
    assert.deepEqual(posted.filter((m) => m.type === 'rows'), [], 'no older rows pulled while following');
    assert.deepEqual(posted.filter((m) => m.type === 'follow' && !m.following), [], 'following never stopped');
    assert.ok(await page.getByRole('button', { name: 'Pause autoscroll' }).isVisible(), 'the panel still follows');
  });

  /** Counts rows given new content from now on (a row is filled with replaceChildren). */
  async function countFills(): Promise<() => Promise<number>> {
    await harness.page.evaluate(() => {
      const w = window as unknown as { __fills: number };
      w.__fills = 0;
      new MutationObserver((records) => {
        for (const r of records) if ((r.target as HTMLElement).classList?.contains('row') && r.addedNodes.length > 0) w.__fills++;
      }).observe(document.querySelector('.log')!, { childList: true, subtree: true });
    });
    return async () => {
      await harness.settle();
      return harness.page.evaluate(() => (window as unknown as { __fills: number }).__fills);
    };
  }

  /** A fresh panel showing `count` rows (the host holds as many), drawn and settled. */
  async function openWithRows(count: number, target: TargetInfo = connectionTarget(), records = Array.from({ length: count }, (_, i) => row(i + 1))) {
    const page = await harness.open();
    await harness.post({ type: 'snapshot', settings: SETTINGS, target, records, feed: feed(count) });
    await page.waitForSelector('.row');
    await harness.settle();
    return page;
  }

  const rowsInView = () => harness.page.$$eval('.log .row:not([hidden]):not(.probe)', (rows) => rows.length);

  it('draws each row of a flood update once, also when the update is shorter than the one before', async () => {
    const page = await openWithRows(60);
    const fills = await countFills();
    // The window starts over with fewer rows than it held: the log shrinks under the view, whose
    // old scroll position the browser clamps only later in the frame.
    const records = Array.from({ length: 30 }, (_, i) => row(3001 + i));
    await harness.post({ type: 'traffic', records, previous: 3000, feed: feed(3030) });
    await harness.settle();
    const drawn = await fills();
    const shown = await rowsInView();
    assert.ok(drawn <= shown, `${drawn} rows filled for ${shown} in view: each is drawn once`);
    const bottomSeq = await page.$eval('.log', (log) => {
      const rows = [...log.querySelectorAll<HTMLElement>('.row:not([hidden])')];
      rows.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
      return Number(rows.at(-1)?.dataset.seq);
    });
    assert.equal(bottomSeq, 3030, 'the newest row is at the bottom');
  });

  it('refills only the rows that come into view when scrolled, and keeps them in document order', async () => {
    const page = await openWithRows(200);
    const fills = await countFills();
    const shown = await rowsInView();
    // Ten rows up (22 px each): far enough from the end that the view stops following.
    await page.$eval('.log', (log) => log.scrollBy(0, -10 * 22));
    await harness.settle();
    const drawn = await fills();
    assert.ok(drawn >= 10 && drawn <= 11, `scrolling up ten rows refilled ${drawn} of ${shown} rows`);
    const order = await page.$$eval('.log .row:not([hidden]):not(.probe)', (rows) => rows.map((r) => ({ seq: Number((r as HTMLElement).dataset.seq), top: r.getBoundingClientRect().top })));
    const seqs = order.map((r) => r.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'rows in the document are in log order');
    assert.deepEqual(order.map((r) => r.top), [...order.map((r) => r.top)].sort((a, b) => a - b), 'and in screen order');
  });

  it('redraws only the rows whose peer label changed when a client joins a listener panel', async () => {
    const peer = (id: string, port: number) => ({ id, state: 'open' as const, remote: { address: '127.0.0.1', family: 'IPv4' as const, port } });
    const listener = (peers: ReturnType<typeof peer>[]): TargetInfo => ({
      kind: 'listener', id: 'L1', listening: true, host: '127.0.0.1', requestedPort: 0, local: { address: '127.0.0.1', family: 'IPv4', port: 7000 },
      totals: { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 }, startedAt: at(0), acceptedCount: peers.length, peers,
    });
    // Rows of C1 and of C2, which the panel does not know yet: C2's rows show its id until it does.
    const page = await openWithRows(40, listener([peer('C1', 5001)]), Array.from({ length: 40 }, (_, i) => ({ ...row(i + 1), conn: i % 2 === 0 ? 'C1' : 'C2' })));
    const fills = await countFills();
    const shown = await rowsInView();
    await harness.post({ type: 'target', target: listener([peer('C1', 5001), peer('C2', 5002)]) });
    await harness.settle();
    const drawn = await fills();
    const c2Rows = await page.$$eval('.log .row:not([hidden]) .peer', (peers) => peers.filter((p) => p.textContent === '127.0.0.1:5002').length);
    assert.ok(c2Rows > 0 && drawn === c2Rows, `${drawn} of ${shown} rows redrawn; ${c2Rows} are C2's, now labelled with its address`);
  });

  it('stays paused after a scroll up of a line or two, and follows again at the very end', async () => {
    const page = await openWithRows(200);
    await harness.clearPosted();
    // Two rows up (22 px each): near the end, but the user moved to read.
    await page.$eval('.log', (log) => log.scrollBy(0, -2 * 22));
    await harness.settle();
    await harness.settle();
    const follows = async () => (await harness.posted()).filter((m): m is Extract<FromWebviewMessage, { type: 'follow' }> => m.type === 'follow').map((m) => m.following);
    assert.deepEqual(await follows(), [false], 'following stops and is not taken back');
    assert.ok(await page.getByRole('button', { name: 'Resume autoscroll' }).isVisible(), 'the panel says it is paused');
    await page.$eval('.log', (log) => log.scrollTo(0, log.scrollHeight));
    await harness.settle();
    await harness.settle();
    assert.deepEqual(await follows(), [false, true], 'scrolled to the very end, it follows again');
  });
});
