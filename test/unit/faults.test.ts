// Fault injection checked from the other end: a Python peer records every recv() it made (time and
// bytes), so the write pattern is asserted as the peer observed it, not as we intended it. TCP only
// promises the bytes and their order; separate reads are observable in practice because writes go
// out with noDelay and pauses of tens of milliseconds, far above loopback delivery time.
import * as assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { Connection } from '../../src/core/connection';
import { TcpError } from '../../src/core/errors';
import { Repeater, sendWithFaults, type WriteRecord } from '../../src/core/faults';
import { MAX_COALESCED_BYTES, planWrites, summariseWrites, validateFaultOptions, validateRepeatOptions, type CheckedFaultOptions } from '../../src/shared/faultPlan';
import { ByteSink, Cleanup, delay, nextEvent, rawServer, startPythonPeer, waitUntil } from './support/sockets';

const text = (value: string) => new TextEncoder().encode(value);
const asText = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

interface Observed {
  reads: { at: number; hex: string }[];
  end: 'eof' | 'reset';
}

function checked(options: unknown): CheckedFaultOptions {
  const result = validateFaultOptions(options);
  if (!result.ok) throw new Error(result.error);
  return result.options;
}

describe('fault injection', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  /** A Python read recorder and a Connection to it; `observed` resolves with what the peer saw. */
  async function recorderConnection(replyAfterEof?: string): Promise<{ connection: Connection; observed: Promise<Observed> }> {
    const { child, port } = await startPythonPeer(cleanup, 'readRecorder.py', replyAfterEof ? [replyAfterEof] : []);
    const connection = await Connection.connect({ host: '127.0.0.1', port });
    cleanup.add(() => connection.destroy());
    return { connection, observed: readReport(child) };
  }

  function readReport(child: ChildProcessWithoutNullStreams): Promise<Observed> {
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no report from the peer: ${out}`)), 10000);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const newline = out.indexOf('\n');
        if (newline < 0) return;
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, newline)) as Observed);
      });
    });
  }

  const readTexts = (observed: Observed) => observed.reads.map((r) => Buffer.from(r.hex, 'hex').toString('utf8'));
  const gaps = (observed: Observed) => observed.reads.slice(1).map((r, i) => r.at - observed.reads[i].at);

  describe('planning', () => {
    it('splits into near-equal parts, larger first, never empty, and coalesces several payloads', () => {
      const plan = planWrites([text('abcdefghij')], checked({ splitInto: 3, splitDelayMs: 5 }));
      assert.ok(plan.ok);
      assert.deepEqual(plan.writes.map((w) => [asText(w.bytes), w.delayBeforeMs]), [
        ['abcd', 0],
        ['efg', 5],
        ['hij', 5],
      ]);
      const tooMany = planWrites([text('ab')], checked({ splitInto: 10 }));
      assert.ok(tooMany.ok && tooMany.writes.length === 2);
      const joined = planWrites([text('a'), text('bc'), text('')], checked({ coalesce: true }));
      assert.ok(joined.ok);
      assert.deepEqual(joined.writes.map((w) => asText(w.bytes)), ['abc']);
      const separate = planWrites([text('a'), text(''), text('bc')], checked({}));
      assert.ok(separate.ok);
      assert.deepEqual(separate.writes.map((w) => asText(w.bytes)), ['a', 'bc']);
    });

    it('summarises a write pattern in one line', () => {
      assert.equal(summariseWrites([]), 'nothing written');
      assert.equal(summariseWrites([{ bytes: new Uint8Array(1), at: 0.4 }]), '1 write: 1 B at 0 ms');
      const many = Array.from({ length: 10 }, (_, i) => ({ bytes: new Uint8Array(1), at: i * 10 }));
      assert.equal(summariseWrites(many), '10 writes: 1 B at 0 ms, 1 B at 10 ms, 1 B at 20 ms, 1 B at 30 ms, 1 B at 40 ms, 1 B at 50 ms, 1 B at 60 ms, 1 B at 70 ms, … 2 more');
    });

    it('rejects bad options with one sentence naming the field', () => {
      assert.deepEqual(validateFaultOptions({ splitInto: 0 }), { ok: false, error: 'faults.splitInto must be a whole number of writes from 1 to 65536 (got 0).' });
      assert.deepEqual(validateFaultOptions({ after: 'close' }), { ok: false, error: 'faults.after must be "none", "halfClose" or "reset" (got "close").' });
      assert.deepEqual(validateFaultOptions({ dripIntervalMs: -1 }), { ok: false, error: 'faults.dripIntervalMs must be a whole number of milliseconds from 0 to 60000 (got -1).' });
      assert.deepEqual(validateRepeatOptions({ intervalMs: 0 }), { ok: false, error: 'repeat.intervalMs must be a whole number of milliseconds from 1 to 86400000 (got 0).' });
      assert.deepEqual(validateRepeatOptions({ intervalMs: 10, count: 1.5 }), { ok: false, error: 'repeat.count must be a whole number, at least 1, or left out to repeat until stopped (got 1.5).' });
      const drip = planWrites([new Uint8Array(70000)], checked({ dripIntervalMs: 1 }));
      assert.deepEqual(drip, { ok: false, error: 'A slow drip of 70000 bytes is over the 65536-byte limit; drip a smaller payload.' });
    });

    it('bounds copies × coalesce before allocating: one sentence instead of a RangeError or gigabytes', () => {
      const large = new Uint8Array(12 * 1024 * 1024);
      for (const copies of [200, 1000]) {
        const before = process.memoryUsage().arrayBuffers;
        const started = performance.now();
        const plan = planWrites(Array.from({ length: copies }, () => large), checked({ coalesce: true }));
        assert.ok(performance.now() - started < 50, 'refused without joining anything');
        assert.ok(process.memoryUsage().arrayBuffers - before < 1024 * 1024);
        assert.deepEqual(plan, {
          ok: false,
          error: `${copies} copies of 12 MiB coalesced into one write would be ${copies === 200 ? '2.3 GiB' : '12 GiB'}, over the 64 MiB limit for one write; send fewer copies, a smaller payload, or turn coalesce off.`,
        });
      }
      // Exactly at the limit is allowed, and without coalesce the copies stay separate writes of the same buffer.
      const quarter = new Uint8Array(MAX_COALESCED_BYTES / 4);
      const atLimit = planWrites([quarter, quarter, quarter, quarter], checked({ coalesce: true }));
      assert.ok(atLimit.ok && atLimit.writes.length === 1 && atLimit.writes[0].bytes.length === MAX_COALESCED_BYTES);
      const separate = planWrites(Array.from({ length: 1000 }, () => large), checked({}));
      assert.ok(separate.ok && separate.writes.length === 1000 && separate.writes.every((w) => w.bytes.buffer === large.buffer && w.bytes.length === large.length));
      const copies = (n: number) => Array.from({ length: n }, () => large);
      assert.deepEqual(planWrites(copies(6), checked({ coalesce: true })), { ok: false, error: '6 copies of 12 MiB coalesced into one write would be 72 MiB, over the 64 MiB limit for one write; send fewer copies, a smaller payload, or turn coalesce off.' });
      assert.ok(planWrites(copies(5), checked({ coalesce: true })).ok);
    });

    it('bounds the number of planned writes across copies', () => {
      const payload = new Uint8Array(1000);
      assert.deepEqual(planWrites(Array.from({ length: 1000 }, () => payload), checked({ splitInto: 100 })), {
        ok: false,
        error: '1000 copies of 1000 B split into 100 writes each would be 100000 writes, over the limit of 65536; send fewer copies or split less.',
      });
      assert.deepEqual(planWrites(Array.from({ length: 100 }, () => payload), checked({ dripIntervalMs: 0 })), { ok: false, error: '100 copies of 1000 B dripped byte by byte would be 100000 writes, over the limit of 65536; send fewer copies or split less.' });
      assert.ok(planWrites(Array.from({ length: 65 }, () => payload), checked({ splitInto: 1000 })).ok);
    });
  });

  it('split: the peer reads each of the N writes separately, about the delay apart', async () => {
    const { connection, observed } = await recorderConnection();
    const seen: WriteRecord[] = [];
    const result = await sendWithFaults(connection, text('abcdefghij'), { splitInto: 3, splitDelayMs: 150, after: 'halfClose' }, { onWrite: (w) => seen.push(w) });
    assert.deepEqual(result.writes.map((w) => [w.index, w.offset, asText(w.bytes)]), [
      [0, 0, 'abcd'],
      [1, 4, 'efg'],
      [2, 7, 'hij'],
    ]);
    assert.deepEqual(seen, result.writes, 'each write was reported as it happened');
    assert.match(summariseWrites(result.writes), /^3 writes: 4 B at \d+ ms, 3 B at \d+ ms, 3 B at \d+ ms$/);
    assert.ok(result.writes[2].at - result.writes[0].at >= 290, `writes spanned ${result.writes[2].at - result.writes[0].at} ms`);
    const peer = await observed;
    assert.deepEqual(readTexts(peer), ['abcd', 'efg', 'hij']);
    for (const gap of gaps(peer)) assert.ok(gap >= 60, `the peer saw reads only ${gap} ms apart`);
    assert.equal(peer.end, 'eof');
  });

  it('slow drip: one byte per read, the interval apart', async () => {
    const { connection, observed } = await recorderConnection();
    const result = await sendWithFaults(connection, text('drip!'), { dripIntervalMs: 80, after: 'halfClose' });
    assert.deepEqual(result.writes.map((w) => w.bytes.length), [1, 1, 1, 1, 1]);
    const peer = await observed;
    assert.deepEqual(readTexts(peer), ['d', 'r', 'i', 'p', '!']);
    for (const gap of gaps(peer)) assert.ok(gap >= 30, `the peer saw reads only ${gap} ms apart`);
    assert.ok(peer.reads[4].at >= 240, `the drip took only ${peer.reads[4].at} ms at the peer`);
  });

  it('coalesce: several payloads arrive as one write in one read', async () => {
    const { connection, observed } = await recorderConnection();
    const result = await sendWithFaults(connection, [text('HEAD'), text('|body|'), text('TAIL')], { coalesce: true, after: 'halfClose' });
    assert.deepEqual(result.writes.map((w) => asText(w.bytes)), ['HEAD|body|TAIL']);
    const peer = await observed;
    assert.deepEqual(readTexts(peer), ['HEAD|body|TAIL']);
  });

  it('half-close after sending: the peer sees EOF and can still answer on the half-open connection', async () => {
    const { connection, observed } = await recorderConnection('still here');
    const sink = new ByteSink();
    connection.onDidReceive(sink.push);
    const result = await sendWithFaults(connection, text('bye'), { after: 'halfClose' });
    assert.equal(result.after, 'halfClose');
    const peer = await observed;
    assert.equal(peer.end, 'eof');
    assert.deepEqual(readTexts(peer), ['bye']);
    await waitUntil(() => sink.text() === 'still here', 'the peer reply after our FIN');
    await connection.waitForClose();
  });

  it('reset after sending: the peer gets the bytes, then ECONNRESET instead of EOF', async () => {
    const { connection, observed } = await recorderConnection();
    const result = await sendWithFaults(connection, text('last words'), { splitInto: 2, splitDelayMs: 80, after: 'reset' });
    assert.equal(result.after, 'reset');
    const close = await connection.waitForClose();
    assert.equal(close.reason, 'reset');
    const peer = await observed;
    assert.equal(peer.end, 'reset');
    // The bytes were handed to the kernel before the RST; Linux delivers queued data before the
    // reset, but TCP does not promise it, so only require that whatever arrived is a prefix.
    assert.ok('last words'.startsWith(readTexts(peer).join('')));
  });

  it('cancels a long drip between writes and refuses a connection that cannot send', async () => {
    const received = new ByteSink();
    const port = await rawServer(cleanup, (socket) => socket.on('data', received.push));
    const connection = await Connection.connect({ host: '127.0.0.1', port });
    cleanup.add(() => connection.destroy());
    const abort = new AbortController();
    const sending = sendWithFaults(connection, text('0123456789'), { dripIntervalMs: 40 }, { onWrite: (w) => w.index === 2 && abort.abort(), signal: abort.signal });
    const result = await sending;
    assert.equal(result.cancelled, true);
    assert.equal(result.writes.length, 3);
    await waitUntil(() => received.length === 3, 'three dripped bytes');
    await delay(120);
    assert.equal(received.text(), '012', 'nothing written after the cancel');
    connection.end();
    await assert.rejects(sendWithFaults(connection, text('x'), {}), (err: unknown) => err instanceof TcpError && err.code === 'NOT_WRITABLE' && /cannot send now/.test(err.message));
    await assert.rejects(sendWithFaults(connection, text('x'), { splitInto: -2 }), (err: unknown) => err instanceof TcpError && err.code === 'INVALID_FAULT_OPTIONS');
  });
});

describe('Repeater', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  async function connectedPair(): Promise<{ connection: Connection; arrivals: { at: number; text: string }[] }> {
    const arrivals: { at: number; text: string }[] = [];
    const port = await rawServer(cleanup, (socket) => socket.on('data', (chunk: Buffer) => arrivals.push({ at: performance.now(), text: chunk.toString() })));
    const connection = await Connection.connect({ host: '127.0.0.1', port });
    cleanup.add(() => connection.destroy());
    return { connection, arrivals };
  }

  it('sends every N ms, M times, then completes', async () => {
    const { connection, arrivals } = await connectedPair();
    const repeater = new Repeater((i) => connection.send(text(`tick${i};`)), { intervalMs: 60, count: 4 });
    cleanup.add(() => repeater.dispose());
    const counts: number[] = [];
    repeater.onDidRepeat((n) => counts.push(n));
    const started = performance.now();
    const outcome = await repeater.start().done;
    assert.deepEqual(outcome, { reason: 'completed', sent: 4 });
    assert.deepEqual(counts, [1, 2, 3, 4]);
    assert.ok(performance.now() - started >= 170, 'three intervals passed between four sends');
    await waitUntil(() => arrivals.map((a) => a.text).join('') === 'tick0;tick1;tick2;tick3;', 'four ticks at the peer');
    assert.equal(repeater.running, false);
  });

  it('repeats until stopped, and sends nothing after stop', async () => {
    const { connection, arrivals } = await connectedPair();
    const repeater = new Repeater(() => connection.send(text('.')), { intervalMs: 40 });
    cleanup.add(() => repeater.dispose());
    repeater.start();
    await nextEvent(repeater.onDidRepeat, (n) => n === 3);
    repeater.stop();
    const outcome = await repeater.done;
    assert.equal(outcome.reason, 'stopped');
    assert.equal(outcome.sent, 3);
    await delay(150);
    assert.equal(arrivals.map((a) => a.text).join(''), '...');
  });

  it('stops with the TcpError when a send fails, and rejects bad options at construction', async () => {
    const { connection } = await connectedPair();
    const repeater = new Repeater(() => connection.send(text('x')), { intervalMs: 30 });
    repeater.start();
    await nextEvent(repeater.onDidRepeat);
    connection.destroy();
    const outcome = await repeater.done;
    assert.equal(outcome.reason, 'failed');
    assert.ok(outcome.error instanceof TcpError && /closed|cannot send/.test(outcome.error.message));
    assert.throws(() => new Repeater(async () => undefined, { intervalMs: 'soon' }), (err: unknown) => err instanceof TcpError && err.code === 'INVALID_REPEAT_OPTIONS');
  });
});
