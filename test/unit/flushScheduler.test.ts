import * as assert from 'node:assert/strict';
import { FlushScheduler, type FlushTimers } from '../../src/app/panel/flushScheduler';

/** Timers the test moves by hand: `run()` fires what is due, as the event loop would. */
function manualTimers(): FlushTimers & { time: number; waits: number[]; run(): void; pending(): number } {
  let queue: { at: number; callback: () => void; handle: number }[] = [];
  let nextHandle = 1;
  const timers = {
    time: 1000,
    waits: [] as number[],
    now: () => timers.time,
    setTimeout: (callback: () => void, ms: number) => {
      timers.waits.push(ms);
      queue.push({ at: timers.time + ms, callback, handle: nextHandle });
      return nextHandle++;
    },
    clearTimeout: (handle: unknown) => {
      queue = queue.filter((t) => t.handle !== handle);
    },
    run: () => {
      const due = queue.filter((t) => t.at <= timers.time);
      queue = queue.filter((t) => t.at > timers.time);
      for (const t of due) t.callback();
    },
    pending: () => queue.length,
  };
  return timers;
}

describe('FlushScheduler', () => {
  let scheduler: FlushScheduler | undefined;
  afterEach(() => scheduler?.dispose());

  it('turns a one-second flood of changes into at most ~30 flushes that keep streaming', async () => {
    let flushes = 0;
    scheduler = new FlushScheduler(() => flushes++, 34);
    const started = Date.now();
    // Touch from many macrotasks (like socket `data` events) for one second.
    while (Date.now() - started < 1000) {
      for (let i = 0; i < 200; i++) scheduler.touch();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const elapsed = Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 60));
    // 30 per second, plus the trailing flush after the loop ends.
    assert.ok(flushes <= Math.ceil((elapsed / 1000) * 30) + 2, `${flushes} flushes in ${elapsed} ms`);
    assert.ok(flushes >= 10, `only ${flushes} flushes: batching should still stream`);
  });

  it('flushes a lone change at once, and changes during the interval once at its end', () => {
    const timers = manualTimers();
    let flushes = 0;
    scheduler = new FlushScheduler(() => flushes++, 34, timers);
    scheduler.touch();
    timers.run();
    assert.equal(flushes, 1, 'after a quiet spell the first change flushes without waiting');
    timers.time += 5;
    scheduler.touch();
    scheduler.touch();
    scheduler.touch();
    timers.run();
    assert.equal(flushes, 1, 'inside the interval nothing flushes yet');
    timers.time += 29;
    timers.run();
    assert.equal(flushes, 2, 'three changes, one flush');
    assert.deepEqual(timers.waits, [0, 29]);
  });

  it('a change made during a flush gets a flush of its own', () => {
    const timers = manualTimers();
    let flushes = 0;
    scheduler = new FlushScheduler(() => {
      flushes++;
      if (flushes === 1) scheduler!.touch();
    }, 34, timers);
    scheduler.touch();
    timers.run();
    timers.time += 34;
    timers.run();
    assert.equal(flushes, 2);
  });

  it('waits the new interval from the next flush on', () => {
    const timers = manualTimers();
    scheduler = new FlushScheduler(() => undefined, 34, timers);
    scheduler.touch();
    timers.run();
    scheduler.setInterval(250);
    scheduler.touch();
    assert.deepEqual(timers.waits, [0, 250]);
  });

  it('lets a flush take itself back and name when the next one runs', () => {
    const timers = manualTimers();
    const at: number[] = [];
    scheduler = new FlushScheduler(() => {
      at.push(timers.time);
      // The second flush decides to wait: the next runs 250 ms after the first, not 34 after it.
      if (at.length === 2) scheduler!.retryAt(at[0] + 250);
    }, 34, timers);
    scheduler.touch();
    timers.run();
    timers.time += 40;
    scheduler.touch();
    timers.run();
    assert.deepEqual(at, [1000, 1040]);
    timers.time += 100;
    scheduler.touch();
    timers.run();
    assert.equal(at.length, 2, 'touches while it waits change nothing');
    timers.time = 1250;
    timers.run();
    assert.deepEqual(at, [1000, 1040, 1250]);
    // The taken-back flush does not count: the interval runs from the one at 1250.
    timers.time = 1260;
    scheduler.touch();
    assert.equal(timers.waits.at(-1), 24);
  });

  it('never flushes after dispose', () => {
    const timers = manualTimers();
    let flushes = 0;
    scheduler = new FlushScheduler(() => flushes++, 34, timers);
    scheduler.touch();
    scheduler.dispose();
    assert.equal(timers.pending(), 0, 'the pending timer is cleared');
    scheduler.touch();
    timers.time += 100;
    timers.run();
    assert.equal(flushes, 0);
  });
});
