import * as assert from 'node:assert/strict';
import { ANNOUNCE_CHARS, ANNOUNCE_INTERVAL_MS, announcement, ReceivedAnnouncer, type AnnouncerClock } from '../../src/webview/announcer';

/** A clock the test moves by hand; timers fire when their time is passed. */
class ManualClock implements AnnouncerClock {
  time = 0;
  private timers: { at: number; callback: () => void }[] = [];

  now(): number {
    return this.time;
  }

  later(callback: () => void, ms: number): () => void {
    const timer = { at: this.time + ms, callback };
    this.timers.push(timer);
    return () => (this.timers = this.timers.filter((t) => t !== timer));
  }

  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const timer of due) timer.callback();
  }

  get pending(): number {
    return this.timers.length;
  }
}

describe('ReceivedAnnouncer', () => {
  let clock: ManualClock;
  let said: string[];
  let announcer: ReceivedAnnouncer;

  beforeEach(() => {
    clock = new ManualClock();
    said = [];
    announcer = new ReceivedAnnouncer((text) => said.push(text), clock);
  });

  it('says nothing until it is switched on, and renders no text meanwhile', () => {
    let rendered = 0;
    announcer.received(() => `hello ${++rendered}`, 5);
    clock.advance(10 * ANNOUNCE_INTERVAL_MS);
    assert.deepEqual(said, []);
    assert.equal(clock.pending, 0);
    assert.equal(rendered, 0, 'a switched-off announcer never asks for the text');
  });

  it('renders the text of only the record it reads out', () => {
    announcer.setEnabled(true);
    const rendered: string[] = [];
    const text = (value: string) => () => (rendered.push(value), value);
    announcer.received(text('first'), 5);
    for (const value of ['b', 'c', 'newest']) announcer.received(text(value), 1);
    clock.advance(ANNOUNCE_INTERVAL_MS);
    assert.deepEqual(said, ['Received 5 bytes: first', 'Received 3 messages, 3 bytes; the latest: newest']);
    assert.deepEqual(rendered, ['first', 'newest'], 'a flood of records between two announcements renders one text');
  });

  it('says the first record at once, then at most one sentence per interval summing up the rest', () => {
    announcer.setEnabled(true);
    announcer.received(() => 'PING 1', 6);
    assert.deepEqual(said, ['Received 6 bytes: PING 1']);
    clock.advance(100);
    for (const text of ['a', 'bb', 'LAST']) announcer.received(() => text, text.length);
    assert.equal(said.length, 1, 'nothing inside the interval');
    clock.advance(ANNOUNCE_INTERVAL_MS - 101);
    assert.equal(said.length, 1);
    clock.advance(1);
    assert.deepEqual(said.slice(1), ['Received 3 messages, 7 bytes; the latest: LAST']);
    // A quiet spell longer than the interval: the next record is said at once again.
    clock.advance(5 * ANNOUNCE_INTERVAL_MS);
    announcer.received(() => 'x', 1);
    assert.deepEqual(said.slice(2), ['Received 1 byte: x']);
  });

  it('keeps a flood to one sentence per interval', () => {
    announcer.setEnabled(true);
    for (let ms = 0; ms < 10 * ANNOUNCE_INTERVAL_MS; ms += 10) {
      announcer.received(() => 'data', 4);
      clock.advance(10);
    }
    assert.ok(said.length <= 11, `${said.length} announcements in ten intervals`);
    assert.ok(said.length >= 9, `${said.length} announcements in ten intervals`);
  });

  it('forgets what was waiting when switched off, and clips long payloads', () => {
    announcer.setEnabled(true);
    announcer.received(() => 'one', 3);
    announcer.received(() => 'two', 3);
    announcer.setEnabled(false);
    clock.advance(ANNOUNCE_INTERVAL_MS);
    assert.deepEqual(said, ['Received 3 bytes: one']);
    assert.equal(clock.pending, 0);
    const long = announcement({ count: 1, bytes: 500, latest: 'y'.repeat(500) });
    assert.equal(long, `Received 500 bytes: ${'y'.repeat(ANNOUNCE_CHARS)} …`);
    assert.equal(announcement({ count: 2, bytes: 0, latest: '' }), 'Received 2 messages, 0 bytes');
  });
});
