// Emitter: the cached listener list must never call a removed listener or miss a new one.
import * as assert from 'node:assert/strict';
import { Emitter } from '../../src/core/events';

describe('Emitter', () => {
  it('delivers to current listeners, including ones added after earlier fires', () => {
    const emitter = new Emitter<number>();
    const seen: string[] = [];
    emitter.event((n) => seen.push(`a${n}`));
    emitter.fire(1);
    const b = emitter.event((n) => seen.push(`b${n}`));
    emitter.fire(2);
    b.dispose();
    emitter.fire(3);
    assert.deepEqual(seen, ['a1', 'a2', 'b2', 'a3']);
  });

  it('lets a listener unsubscribe or subscribe another while firing, effective from the next fire', () => {
    const emitter = new Emitter<number>();
    const seen: string[] = [];
    const once = emitter.event((n) => {
      seen.push(`once${n}`);
      once.dispose();
      emitter.event((m) => seen.push(`late${m}`));
    });
    emitter.fire(1);
    emitter.fire(2);
    assert.deepEqual(seen, ['once1', 'late2']);
  });

  it('stops delivering after dispose', () => {
    const emitter = new Emitter<number>();
    let calls = 0;
    emitter.event(() => calls++);
    emitter.fire(1);
    emitter.dispose();
    emitter.fire(2);
    assert.equal(calls, 1);
    assert.equal(emitter.hasListeners, false);
  });
});
