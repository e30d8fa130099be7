import * as assert from 'node:assert/strict';
import { PanelBatcher } from '../../src/app/panel/panelBatcher';

describe('PanelBatcher', () => {
  let batcher: PanelBatcher<number> | undefined;
  afterEach(() => batcher?.dispose());

  it('flushes a one-second flood at most ~30 times and loses nothing', async () => {
    let receivedCount = 0;
    let outOfOrder = 0;
    let droppedTotal = 0;
    let flushes = 0;
    batcher = new PanelBatcher<number>({
      flush: (items, dropped) => {
        flushes++;
        droppedTotal += dropped;
        // Count rather than assert here: a throw inside a timer callback would escape the test.
        for (const item of items) if (item !== receivedCount++) outOfOrder++;
      },
    });
    const started = Date.now();
    let next = 0;
    // Push from many macrotasks (like socket `data` events) for one second.
    while (Date.now() - started < 1000) {
      for (let i = 0; i < 200; i++) batcher.push(next++);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const elapsed = Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.ok(next > 10_000, `flood produced only ${next} items`);
    assert.equal(receivedCount, next);
    assert.equal(outOfOrder, 0);
    assert.equal(droppedTotal, 0);
    // 30 per second, plus the trailing flush after the loop ends.
    assert.ok(flushes <= Math.ceil((elapsed / 1000) * 30) + 2, `${flushes} flushes in ${elapsed} ms`);
    assert.ok(flushes >= 10, `only ${flushes} flushes: batching should still stream`);
  });

  it('delivers a lone event promptly', async () => {
    const started = Date.now();
    const flushed = new Promise<number[]>((resolve) => {
      batcher = new PanelBatcher<number>({ flush: (items) => resolve(items) });
    });
    batcher!.push(7);
    assert.deepEqual(await flushed, [7]);
    assert.ok(Date.now() - started < 40);
  });

  it('touch flushes counters without items', async () => {
    const flushed = new Promise<number[]>((resolve) => {
      batcher = new PanelBatcher<number>({ flush: (items) => resolve(items) });
    });
    batcher!.touch();
    assert.deepEqual(await flushed, []);
  });

  it('bounds what waits and counts what it dropped', () => {
    let now = 0;
    const scheduled: (() => void)[] = [];
    const batches: { items: number[]; dropped: number }[] = [];
    batcher = new PanelBatcher<number>({
      flush: (items, dropped) => batches.push({ items, dropped }),
      sizeOf: () => 10,
      maxPendingSize: 100,
      timers: { now: () => now, setTimeout: (cb) => scheduled.push(cb), clearTimeout: () => undefined },
    });
    for (let i = 0; i < 25; i++) batcher.push(i);
    assert.equal(batcher.pendingCount, 10);
    now = 100;
    scheduled.shift()!();
    assert.deepEqual(batches, [{ items: [15, 16, 17, 18, 19, 20, 21, 22, 23, 24], dropped: 15 }]);
  });

  it('waits out the interval after a flush', () => {
    let now = 1000;
    const waits: number[] = [];
    const callbacks: (() => void)[] = [];
    batcher = new PanelBatcher<number>({
      flush: () => undefined,
      timers: { now: () => now, setTimeout: (cb, ms) => (waits.push(ms), callbacks.push(cb)), clearTimeout: () => undefined },
    });
    batcher.push(1);
    callbacks.shift()!();
    now += 5;
    batcher.push(2);
    assert.deepEqual(waits, [0, 29]);
  });
});
