import * as assert from 'node:assert/strict';
import { Throttle, type ThrottleTimers } from '../../src/app/throttle';

/** A manual clock: timers fire only when the test advances time. */
class ManualTimers implements ThrottleTimers {
  now = 0;
  private queue: { at: number; callback: () => void; handle: number }[] = [];
  private nextHandle = 1;
  setTimeout(callback: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    this.queue.push({ at: this.now + ms, callback, handle });
    return handle;
  }
  clearTimeout(handle: unknown): void {
    this.queue = this.queue.filter((t) => t.handle !== handle);
  }
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at);
      const next = this.queue[0];
      if (!next || next.at > end) break;
      this.queue.shift();
      this.now = next.at;
      next.callback();
    }
    this.now = end;
  }
  get pending(): number {
    return this.queue.length;
  }
}

describe('refresh throttle', () => {
  it('runs the first trigger at once and folds a burst into one trailing run', () => {
    const timers = new ManualTimers();
    const runs: number[] = [];
    const throttle = new Throttle(() => runs.push(timers.now), 250, timers);
    throttle.trigger();
    assert.deepEqual(runs, [0]);
    for (let i = 0; i < 1000; i++) throttle.trigger();
    assert.deepEqual(runs, [0]);
    timers.advance(250);
    assert.deepEqual(runs, [0, 250]);
    timers.advance(1000);
    assert.deepEqual(runs, [0, 250], 'no run without a new trigger');
    throttle.trigger();
    assert.deepEqual(runs, [0, 250, 1250]);
    throttle.dispose();
    assert.equal(timers.pending, 0);
  });

  it('never exceeds one run per interval under a continuous flood', () => {
    const timers = new ManualTimers();
    const runs: number[] = [];
    const throttle = new Throttle(() => runs.push(timers.now), 250, timers);
    // A trigger every millisecond for ten seconds.
    for (let t = 0; t < 10_000; t++) {
      throttle.trigger();
      timers.advance(1);
    }
    timers.advance(250);
    for (let i = 1; i < runs.length; i++) assert.ok(runs[i] - runs[i - 1] >= 250, `runs ${runs[i - 1]} and ${runs[i]} too close`);
    assert.ok(runs.length <= 41, `ran ${runs.length} times in 10 s`);
    assert.ok(runs.length >= 39, 'a flood still refreshes steadily');
    assert.ok(runs[runs.length - 1] >= 9_999, 'the last change is rendered');
    throttle.dispose();
  });

  it('drops pending work when disposed', () => {
    const timers = new ManualTimers();
    let runs = 0;
    const throttle = new Throttle(() => runs++, 250, timers);
    throttle.trigger();
    throttle.trigger();
    throttle.dispose();
    timers.advance(1000);
    throttle.trigger();
    assert.equal(runs, 1);
  });
});
