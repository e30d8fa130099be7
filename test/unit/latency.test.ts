import * as assert from 'node:assert/strict';
import { Connection } from '../../src/core/connection';
import { Emitter } from '../../src/core/events';
import { LatencyTracker, type LatencyStats } from '../../src/core/latency';
import { Listener } from '../../src/core/listener';
import { MockServer } from '../../src/core/mockServer';
import { Cleanup, nextEvent, rawServer } from './support/sockets';

describe('LatencyTracker', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('takes one sample per answered request, from the first unanswered send to the next received byte', () => {
    const sends = new Emitter<Uint8Array>();
    const receives = new Emitter<number>();
    let now = 0;
    const tracker = new LatencyTracker({ onDidSend: sends.event, onDidArrive: receives.event }, () => now);
    const chunk = new Uint8Array([1]);
    receives.fire(chunk.byteLength); // unsolicited data: no sample
    sends.fire(chunk);
    now = 10;
    sends.fire(chunk); // pipelined: the clock keeps running from the first send
    now = 25;
    receives.fire(chunk.byteLength);
    now = 30;
    receives.fire(chunk.byteLength); // the rest of the same response
    assert.deepEqual(tracker.stats(), { count: 1, last: 25, min: 25, max: 25, p50: 25, p95: 25 });
    tracker.dispose();
  });

  it('counts an exchange from before it existed (a panel opened after a .tcp Send got its answer), and keeps waiting for an open request', () => {
    const sends = new Emitter<Uint8Array>();
    const receives = new Emitter<number>();
    let now = 1000;
    const tracker = new LatencyTracker({ onDidSend: sends.event, onDidArrive: receives.event }, () => now);
    tracker.seed([{ dir: 'out', time: 5_000 }, { dir: 'in', time: 5_005 }, { dir: 'in', time: 5_006 }, { dir: 'out', time: 5_100 }], 5_130);
    assert.equal(tracker.stats().count, 1, 'the answered request counts: no "no answer yet"');
    assert.equal(tracker.stats().last, 5);
    // The last send, 30 ms before the seed, is still waiting; its answer arrives 10 ms later.
    now = 1010;
    receives.fire(1);
    assert.equal(tracker.stats().count, 2);
    assert.equal(tracker.stats().last, 40);
    tracker.dispose();
  });

  it('reports nearest-rank p50 and p95', () => {
    const sends = new Emitter<Uint8Array>();
    const receives = new Emitter<number>();
    let now = 0;
    const tracker = new LatencyTracker({ onDidSend: sends.event, onDidArrive: receives.event }, () => now);
    // Samples 1..100 ms in shuffled order.
    const samples = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    for (const sample of samples) {
      sends.fire(new Uint8Array());
      now += sample;
      receives.fire(0);
    }
    const stats = tracker.stats();
    assert.deepEqual([stats.count, stats.min, stats.p50, stats.p95, stats.max], [100, 1, 50, 95, 100]);
    tracker.reset();
    assert.deepEqual(tracker.stats(), { count: 0 });
  });

  it('measures request → response on a real connection to a peer that answers after a chosen delay', async () => {
    // The peer answers "wait:N" after N ms, so the true latencies are known: 20, 40, …, 200 ms.
    const port = await rawServer(cleanup, (socket) =>
      socket.on('data', (chunk: Buffer) => {
        const wait = Number(/wait:(\d+)/.exec(chunk.toString())?.[1] ?? 0);
        setTimeout(() => socket.write('ok'), wait);
      }),
    );
    const connection = await Connection.connect({ host: '127.0.0.1', port });
    cleanup.add(() => connection.destroy());
    const tracker = new LatencyTracker(connection);
    cleanup.add(() => tracker.dispose());
    for (let i = 1; i <= 10; i++) {
      const answered = nextEvent(tracker.onDidUpdate, (s: LatencyStats) => s.count === i);
      await connection.send(new TextEncoder().encode(`wait:${i * 20}`));
      await answered;
    }
    const stats = tracker.stats();
    assert.equal(stats.count, 10);
    // Each sample is about its delay: 2 ms under for timer rounding (the peer may start its timer just
    // before our send callback runs), generous slack above for a busy machine.
    assert.ok(stats.p50! >= 98 && stats.p50! < 100 + 80, `p50 ${stats.p50}`);
    assert.ok(stats.p95! >= 198 && stats.p95! < 200 + 80, `p95 ${stats.p95}`);
    assert.ok(stats.min! >= 18, `min ${stats.min}`);
  });

  it('measures a mock server rule delay from a client connection', async () => {
    const listener = await Listener.listen({ port: 0 });
    cleanup.add(() => listener.stop({ closeConnections: true }));
    const attached = MockServer.attach(listener, { framing: { mode: 'delimiter', delimiter: 'lf' }, rules: [{ match: 'exact', pattern: 'REQ', reply: 'RES\n', delayMs: 60 }] });
    assert.ok(attached.ok);
    cleanup.add(() => attached.server.dispose());
    const connection = await Connection.connect({ host: '127.0.0.1', port: listener.address!.port });
    cleanup.add(() => connection.destroy());
    const tracker = new LatencyTracker(connection);
    cleanup.add(() => tracker.dispose());
    for (let i = 1; i <= 3; i++) {
      const answered = nextEvent(tracker.onDidUpdate, (s: LatencyStats) => s.count === i);
      await connection.send(new TextEncoder().encode('REQ\n'));
      await answered;
    }
    const { count, p50, p95 } = tracker.stats();
    assert.equal(count, 3);
    assert.ok(p50! >= 58 && p95! < 60 + 150, `p50 ${p50}, p95 ${p95}`);
  });
});
