// The proxy's faults on real loopback sockets: every Toxiproxy toxic in each direction, toxicity and
// seeds (same seed, same draws and slices), content triggers on frames, live changes, backpressure.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import type { Connection } from '../../src/core/connection';
import { ProxyHub } from '../../src/core/proxy/proxyHub';
import { MAX_QUEUED_BYTES } from '../../src/core/proxy/relayStream';
import { Registry } from '../../src/core/registry';
import type { TrafficRecord } from '../../src/core/trafficLog';
import { ByteSink, Cleanup, delay, rawClient, rawServer, waitUntil } from './support/sockets';

describe('proxy faults', () => {
  const cleanup = new Cleanup();
  let registry: Registry;
  let hub: ProxyHub;
  let proxies = 0;

  beforeEach(() => {
    registry = new Registry();
    hub = new ProxyHub(registry);
  });
  afterEach(async () => {
    await hub.removeAll();
    hub.dispose();
    await registry.stopAll();
    registry.dispose();
    await cleanup.run();
  });

  /** An upper-casing echo server: replies come back distinguishable from requests. */
  const upperServer = (): Promise<number> =>
    rawServer(cleanup, (socket) => {
      socket.on('data', (chunk: Buffer) => socket.write(chunk.toString('latin1').toUpperCase(), 'latin1'));
      socket.on('end', () => socket.end());
    }, true);

  /** A server that records what it receives, and when. */
  const recordingServer = async (): Promise<{ port: number; received: ByteSink; times: number[]; sockets: Socket[] }> => {
    const received = new ByteSink();
    const times: number[] = [];
    const sockets: Socket[] = [];
    const port = await rawServer(cleanup, (socket) => {
      sockets.push(socket);
      socket.on('data', (chunk: Buffer) => {
        times.push(performance.now());
        received.push(chunk);
      });
    }, true);
    return { port, received, times, sockets };
  };

  /** A proxy to `upstream` with these toxics; resolves with its port. */
  const proxy = async (upstream: number, toxics: unknown[] = [], extra: Record<string, unknown> = {}): Promise<{ name: string; port: number }> => {
    const name = `p${++proxies}`;
    const created = await hub.create({ name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream}`, toxics, ...extra });
    return { name, port: Number(created.listen.split(':').pop()) };
  };

  /** The pair (client connection) most recently accepted by a proxy. */
  const pairOf = async (name: string): Promise<Connection> => {
    await waitUntil(() => registry.connections().some((c) => c.proxy?.proxyName === name && c.proxy.upstreamState === 'open'), `a pair of ${name}`);
    return registry.connections().filter((c) => c.proxy?.proxyName === name).pop()!;
  };

  const faults = (records: readonly TrafficRecord[], dir: 'in' | 'out'): string[] => records.filter((r) => r.dir === dir && r.fault !== undefined).map((r) => r.fault!);

  /** Round trip of one request through the proxy, in ms. */
  const roundTrip = async (client: Socket, text: string): Promise<number> => {
    const started = performance.now();
    const sink = new ByteSink();
    const onData = sink.push;
    client.on('data', onData);
    client.write(text);
    await waitUntil(() => sink.length >= text.length, `the reply to ${text}`, 10_000);
    client.off('data', onData);
    return performance.now() - started;
  };

  describe('latency', () => {
    it('delays the downstream by latency ms and marks each reply in the log', async () => {
      const { name, port } = await proxy(await upperServer(), [{ type: 'latency', stream: 'downstream', attributes: { latency: 150 } }]);
      const client = await rawClient(cleanup, port);
      const rtt = await roundTrip(client, 'ping');
      assert.ok(rtt >= 145 && rtt < 2000, `round trip ${rtt} ms with 150 ms of latency`);
      const log = (await pairOf(name)).log.records();
      assert.deepEqual(faults(log, 'out'), ['latency_downstream +150 ms']);
      assert.deepEqual(faults(log, 'in'), [], 'the upstream stream is untouched');
    });

    it('delays the upstream: the server gets the bytes latency ms after the client sent them', async () => {
      const server = await recordingServer();
      const { name, port } = await proxy(server.port, [{ type: 'latency', stream: 'upstream', attributes: { latency: 120 } }]);
      const client = await rawClient(cleanup, port);
      await pairOf(name);
      const sent = performance.now();
      client.write('hello');
      await waitUntil(() => server.received.text() === 'hello', 'the delayed bytes at the server');
      const waited = server.times[0] - sent;
      assert.ok(waited >= 115, `the server got them after ${waited} ms`);
      const log = (await pairOf(name)).log.records();
      const record = log.find((r) => r.dir === 'in')!;
      assert.equal(Buffer.from(record.bytes).toString(), 'hello', 'the received record is what the client sent');
      assert.equal(record.fault, 'latency_upstream +120 ms');
    });

    it('draws the same jitter for the same seed, and other jitter for another seed', async () => {
      const upstream = await upperServer();
      const jitterOf = async (seed: number): Promise<string[]> => {
        const { name, port } = await proxy(upstream, [{ type: 'latency', attributes: { latency: 20, jitter: 15 }, seed }]);
        const client = await rawClient(cleanup, port);
        for (let i = 0; i < 6; i++) await roundTrip(client, `m${i}`);
        return faults((await pairOf(name)).log.records(), 'out');
      };
      const first = await jitterOf(42);
      const again = await jitterOf(42);
      const other = await jitterOf(43);
      assert.equal(first.length, 6);
      assert.deepEqual(again, first, 'same seed, same delays');
      assert.notDeepEqual(other, first, 'another seed, other delays');
      for (const text of first) {
        const ms = Number(/\+(\d+) ms/.exec(text)![1]);
        assert.ok(ms >= 5 && ms <= 35, `${ms} ms is within 20 ± 15 ms`);
      }
    });
  });

  it('bandwidth: limits a stream to rate KB/s', async () => {
    const payload = Buffer.alloc(30_000, 0x61);
    const upstream = await rawServer(cleanup, (socket) => socket.once('data', () => socket.write(payload)));
    const { name, port } = await proxy(upstream, [{ type: 'bandwidth', stream: 'downstream', attributes: { rate: 60 } }]);
    const client = await rawClient(cleanup, port);
    const sink = new ByteSink();
    client.on('data', sink.push);
    const started = performance.now();
    client.write('go');
    await waitUntil(() => sink.length === payload.length, 'the whole payload', 10_000);
    const took = performance.now() - started;
    // 30,000 bytes at 60,000 bytes/s: 500 ms (the first 100 ms step goes at once).
    assert.ok(took >= 380 && took < 3000, `30 kB at 60 KB/s took ${took} ms`);
    assert.ok(sink.bytes().equals(payload), 'every byte arrives, in order');
    const out = (await pairOf(name)).log.records().filter((r) => r.dir === 'out');
    assert.ok(out.length >= 5 && out.every((r) => r.fault === 'bandwidth_downstream 60 KB/s' && r.bytes.byteLength <= 6000), 'written in 100 ms steps of 6,000 bytes, each marked');
  });

  it('slow_close: holds the FIN back by delay ms', async () => {
    const upstream = await rawServer(cleanup, (socket) => socket.once('data', () => socket.end('bye')), true);
    const { port } = await proxy(upstream, [{ type: 'slow_close', stream: 'downstream', attributes: { delay: 300 } }]);
    const client = await rawClient(cleanup, port, '127.0.0.1', true);
    const sink = new ByteSink();
    client.on('data', sink.push);
    const started = performance.now();
    client.write('x');
    await once(client, 'end');
    const took = performance.now() - started;
    assert.equal(sink.text(), 'bye', 'the data itself is not delayed');
    assert.ok(took >= 290, `FIN after ${took} ms`);
  });

  describe('timeout', () => {
    it('stops forwarding and closes the pair after timeout ms; the dropped bytes stay in the log', async () => {
      const server = await recordingServer();
      const { name, port } = await proxy(server.port, [{ type: 'timeout', stream: 'upstream', attributes: { timeout: 200 } }]);
      const client = await rawClient(cleanup, port);
      const pair = await pairOf(name);
      const started = performance.now();
      client.write('lost');
      await once(client, 'close');
      const took = performance.now() - started;
      assert.ok(took >= 180, `closed after ${took} ms`);
      assert.equal(server.received.length, 0, 'nothing reached the server');
      const record = pair.log.records().find((r) => r.dir === 'in' && r.note === undefined)!;
      assert.equal(Buffer.from(record.bytes).toString(), 'lost');
      assert.equal(record.dropped, true);
      assert.equal(record.fault, 'timeout_upstream stopped forwarding: 4 bytes dropped');
      assert.equal(pair.totals.bytesIn, 4, 'received bytes count even when dropped');
      assert.ok(pair.log.records().some((r) => r.note === 'timeout_upstream closed the pair after 200 ms without forwarding'));
    });

    it('with timeout 0 never closes; removing it after drops closes the pair, as in Toxiproxy', async () => {
      const server = await recordingServer();
      const { name, port } = await proxy(server.port, [{ type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } }]);
      const client = await rawClient(cleanup, port);
      const pair = await pairOf(name);
      client.write('x');
      await delay(300);
      assert.equal(pair.state, 'open', 'still open');
      assert.equal(server.received.length, 0);
      hub.removeToxic(name, 'timeout_upstream');
      await once(client, 'close');
      assert.ok(pair.log.records().some((r) => r.note?.startsWith('timeout_upstream was removed after dropping bytes')));
    });

    it('removed before anything was dropped, the pair carries on', async () => {
      const { name, port } = await proxy(await upperServer(), [{ type: 'timeout', attributes: { timeout: 0 } }]);
      const client = await rawClient(cleanup, port);
      await pairOf(name);
      hub.removeToxic(name, 'timeout_downstream');
      assert.ok((await roundTrip(client, 'ok')) < 1000);
    });
  });

  it('reset_peer: resets both sides after timeout ms', async () => {
    let serverError: string | undefined;
    const upstream = await rawServer(cleanup, (socket) => socket.on('error', (err: NodeJS.ErrnoException) => (serverError = err.code)));
    const { name, port } = await proxy(upstream, [{ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 150 } }]);
    // The toxic's clock starts when the pair opens, so ours starts before the connect.
    const started = performance.now();
    const client = await rawClient(cleanup, port);
    const pair = await pairOf(name);
    const [err] = (await once(client, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNRESET');
    assert.ok(performance.now() - started >= 130);
    await pair.waitForClose();
    assert.equal(pair.closeReason, 'reset');
    assert.ok(pair.log.records().some((r) => r.note === 'reset_peer_upstream reset the pair after 150 ms'));
    // The server's side is reset too (it learns on its next read or write).
    await waitUntil(() => serverError === 'ECONNRESET' || pair.proxy?.upstreamState === 'closed', 'the upstream side to go');
  });

  it('reset_peer with timeout 0: the upstream hears a reset too, though the pair resets before its connect', async () => {
    let serverSaw: string | undefined;
    const upstream = await rawServer(cleanup, (socket) => {
      socket.on('error', (err: NodeJS.ErrnoException) => (serverSaw ??= err.code));
      socket.on('end', () => (serverSaw ??= 'end'));
    });
    const { name, port } = await proxy(upstream, [{ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } }]);
    const client = await rawClient(cleanup, port);
    const [err] = (await once(client, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNRESET');
    await waitUntil(() => registry.closedConnections().some((c) => c.proxy?.proxyName === name), 'the pair to close');
    assert.equal(registry.closedConnections().find((c) => c.proxy?.proxyName === name)!.closeReason, 'reset');
    await waitUntil(() => serverSaw !== undefined, 'the upstream to learn');
    assert.equal(serverSaw, 'ECONNRESET', 'a reset, not a clean end of stream');
  });

  describe('slicer', () => {
    const slicesOf = async (upstream: number, seed: number): Promise<number[]> => {
      const { name, port } = await proxy(upstream, [{ type: 'slicer', attributes: { average_size: 10, size_variation: 6, delay: 2000 }, seed }]);
      const client = await rawClient(cleanup, port);
      const sink = new ByteSink();
      client.on('data', sink.push);
      client.write('go');
      await waitUntil(() => sink.length === 200, 'all 200 bytes', 10_000);
      assert.equal(sink.text(), 'abcdefghij'.repeat(20), 'the slices add up to the stream, in order');
      const out = (await pairOf(name)).log.records().filter((r) => r.dir === 'out');
      assert.ok(out.every((r, i) => r.fault === `slicer_downstream slice ${i + 1} of ${out.length}`));
      return out.map((r) => r.bytes.byteLength);
    };

    it('cuts the downstream into average_size ± size_variation slices, the same for the same seed', async () => {
      const upstream = await rawServer(cleanup, (socket) => socket.once('data', () => socket.write('abcdefghij'.repeat(20))));
      const first = await slicesOf(upstream, 7);
      const again = await slicesOf(upstream, 7);
      const other = await slicesOf(upstream, 8);
      assert.ok(first.slice(0, -1).every((size) => size >= 4 && size <= 16), `slices ${first.join(',')} within 10 ± 6`);
      assert.deepEqual(again, first, 'same seed, same slices');
      assert.notDeepEqual(other, first, 'another seed, other slices');
    });

    it('slices the upstream, with the delay between slices, and one marked record of what the client sent', async () => {
      const server = await recordingServer();
      const { name, port } = await proxy(server.port, [{ type: 'slicer', stream: 'upstream', attributes: { average_size: 4, delay: 20_000 } }]);
      const client = await rawClient(cleanup, port);
      await pairOf(name);
      client.write('0123456789ab');
      await waitUntil(() => server.received.length === 12, 'the sliced bytes at the server');
      assert.equal(server.received.text(), '0123456789ab');
      assert.ok(server.times.length === 3 && server.times[2] - server.times[0] >= 35, 'three slices 20 ms apart');
      const record = (await pairOf(name)).log.records().find((r) => r.dir === 'in')!;
      assert.equal(record.fault, 'slicer_upstream cut 12 bytes into 3 slices');
    });
  });

  it('limit_data: lets exactly `bytes` through, then closes the pair', async () => {
    const upstream = await rawServer(cleanup, (socket) => socket.once('data', () => socket.write(Buffer.alloc(250, 0x62))));
    const { name, port } = await proxy(upstream, [{ type: 'limit_data', attributes: { bytes: 100 } }]);
    const client = await rawClient(cleanup, port);
    const sink = new ByteSink();
    client.on('data', sink.push);
    const pair = await pairOf(name);
    client.write('x');
    await once(client, 'close');
    assert.equal(sink.length, 100);
    assert.equal(pair.totals.bytesOut, 100, 'the counters are exact');
    const log = pair.log.records();
    assert.ok(log.some((r) => r.dir === 'out' && r.note === 'not written to the client' && r.dropped && r.bytes.byteLength === 150), 'the 150 bytes kept back are visible');
    assert.ok(log.some((r) => r.note === 'limit_data_downstream closed the pair after 100 bytes'));
  });

  it('toxicity: decides per pair, the same pairs for the same seed; 0 never, 1 always', async () => {
    const upstream = await upperServer();
    const pattern = async (toxicity: number, seed: number): Promise<boolean[]> => {
      const { name, port } = await proxy(upstream, [{ type: 'drop', toxicity, seed }]);
      const hit: boolean[] = [];
      for (let i = 0; i < 16; i++) {
        const client = await rawClient(cleanup, port);
        const pair = await pairOf(name);
        hit.push(pair.proxy!.faultsApplied.includes('drop_downstream'));
        client.destroy();
        await pair.waitForClose();
      }
      return hit;
    };
    const half = await pattern(0.5, 99);
    assert.deepEqual(await pattern(0.5, 99), half, 'same seed, same pairs');
    const count = half.filter(Boolean).length;
    assert.ok(count > 2 && count < 14, `${count} of 16 pairs drew the toxic at toxicity 0.5`);
    assert.ok((await pattern(0, 1)).every((hit) => !hit));
    assert.ok((await pattern(1, 1)).every((hit) => hit));
  });

  describe('content triggers', () => {
    const lines = { mode: 'delimiter', delimiter: 'lf', keepDelimiter: false };

    it('drop: removes exactly the matching frame of the upstream, and the log shows it dropped', async () => {
      const server = await recordingServer();
      const { name, port } = await proxy(server.port, [{ name: 'no_bad', type: 'drop', stream: 'upstream', when: { match: 'contains', pattern: 'BAD' } }], { framing: { upstream: lines } });
      const client = await rawClient(cleanup, port);
      await pairOf(name);
      client.write('one\ntwo BAD\nthr');
      client.write('ee\n');
      await waitUntil(() => server.received.text() === 'one\nthree\n', 'the frames that did not match', 5000);
      const records = (await pairOf(name)).log.records().filter((r) => r.dir === 'in');
      assert.deepEqual(records.map((r) => [Buffer.from(r.bytes).toString(), r.fault ?? '', r.dropped ?? false]), [
        ['one\n', '', false],
        ['two BAD\n', 'no_bad dropped 8 bytes', true],
        ['three\n', '', false],
      ]);
      assert.equal((await pairOf(name)).totals.bytesIn, 18, 'every received byte counts');
    });

    it('replace and duplicate: act on the matching downstream frames only', async () => {
      const upstream = await rawServer(cleanup, (socket) => socket.once('data', () => socket.write('a\nsecret\nb\nagain\n')));
      const { name, port } = await proxy(upstream, [
        { name: 'mask', type: 'replace', when: { match: 'exact', pattern: 'secret' }, attributes: { with: '******\n' } },
        { name: 'twice', type: 'duplicate', when: { match: 'regex', pattern: '^ag' } },
      ], { framing: { downstream: lines } });
      const client = await rawClient(cleanup, port);
      const sink = new ByteSink();
      client.on('data', sink.push);
      client.write('go');
      const expected = 'a\n******\nb\nagain\nagain\n';
      await waitUntil(() => sink.text() === expected, 'the changed stream');
      const out = (await pairOf(name)).log.records().filter((r) => r.dir === 'out');
      assert.deepEqual(out.map((r) => [Buffer.from(r.bytes).toString(), r.fault ?? '']), [
        ['a\n', ''],
        ['******\n', 'mask replaced 7 bytes with 7'],
        ['b\n', ''],
        ['again\n', 'twice copy 1 of 2'],
        ['again\n', 'twice copy 2 of 2'],
      ]);
      assert.equal((await pairOf(name)).totals.bytesOut, expected.length);
    });

    it('drop downstream: the dropped frame shows as a note that was not written, and the counters stay exact', async () => {
      const upstream = await rawServer(cleanup, (socket) => socket.once('data', () => socket.write('keep\ndrop me\nkeep\n')));
      const { name, port } = await proxy(upstream, [{ name: 'd', type: 'drop', when: { match: 'hexPrefix', pattern: '64 72' } }], { framing: { downstream: lines } });
      const client = await rawClient(cleanup, port);
      const sink = new ByteSink();
      client.on('data', sink.push);
      client.write('go');
      await waitUntil(() => sink.text() === 'keep\nkeep\n', 'the frames that were kept');
      const pair = await pairOf(name);
      const note = pair.log.records().find((r) => r.note !== undefined)!;
      assert.deepEqual([Buffer.from(note.bytes).toString(), note.fault, note.dropped, note.dir], ['drop me\n', 'd dropped 8 bytes', true, 'out']);
      assert.equal(pair.totals.bytesOut, 10, 'dropped bytes never count as written');
    });

    it('latency and reset_peer on a matching frame', async () => {
      const server = await recordingServer();
      const { name, port } = await proxy(server.port, [
        { name: 'slow', type: 'latency', stream: 'upstream', when: { match: 'exact', pattern: 'slow' }, attributes: { latency: 200 } },
        { name: 'kill', type: 'reset_peer', stream: 'upstream', when: { match: 'exact', pattern: 'kill' } },
      ], { framing: { upstream: lines } });
      const client = await rawClient(cleanup, port);
      await pairOf(name);
      const sent = performance.now();
      client.write('fast\nslow\n');
      await waitUntil(() => server.received.text() === 'fast\nslow\n', 'both frames');
      assert.ok(server.times[0] - sent < 150, 'the first frame is not delayed');
      assert.ok(server.times[server.times.length - 1] - sent >= 190, 'the matching frame is');
      const error = once(client, 'error');
      client.write('kill\n');
      const [err] = (await error) as [NodeJS.ErrnoException];
      assert.equal(err.code, 'ECONNRESET');
      assert.equal(server.received.text(), 'fast\nslow\n', 'the matching frame itself was not forwarded');
    });
  });

  describe('the other direction of each toxic', () => {
    it('bandwidth upstream: the server receives at rate KB/s', async () => {
      const server = await recordingServer();
      const { name, port } = await proxy(server.port, [{ type: 'bandwidth', stream: 'upstream', attributes: { rate: 50 } }]);
      const client = await rawClient(cleanup, port);
      await pairOf(name);
      const started = performance.now();
      client.write(Buffer.alloc(20_000, 0x63));
      await waitUntil(() => server.received.length === 20_000, 'every byte at the server', 10_000);
      const took = performance.now() - started;
      assert.ok(took >= 280, `20 kB at 50 KB/s took ${took} ms`);
      assert.equal((await pairOf(name)).log.records().find((r) => r.dir === 'in')!.fault, 'bandwidth_upstream 50 KB/s');
    });

    it('slow_close upstream: the server sees the client\'s FIN delay ms late', async () => {
      let endedAt = 0;
      const upstream = await rawServer(cleanup, (socket) => socket.on('end', () => (endedAt = performance.now())), true);
      const { name, port } = await proxy(upstream, [{ type: 'slow_close', stream: 'upstream', attributes: { delay: 250 } }]);
      const client = await rawClient(cleanup, port, '127.0.0.1', true);
      await pairOf(name);
      const sent = performance.now();
      client.end();
      await waitUntil(() => endedAt > 0, 'the FIN at the server');
      assert.ok(endedAt - sent >= 240, `FIN after ${endedAt - sent} ms`);
    });

    it('limit_data upstream: the server gets exactly `bytes`, then the pair closes', async () => {
      const server = await recordingServer();
      const { name, port } = await proxy(server.port, [{ type: 'limit_data', stream: 'upstream', attributes: { bytes: 10 } }]);
      const client = await rawClient(cleanup, port);
      await pairOf(name);
      client.write('0123456789abcdef');
      await once(client, 'close');
      await waitUntil(() => server.received.length === 10, 'the first 10 bytes at the server');
      await delay(50);
      assert.equal(server.received.text(), '0123456789');
    });

    it('replace and duplicate upstream, timeout and reset_peer downstream', async () => {
      const server = await recordingServer();
      const first = await proxy(server.port, [
        { name: 'r', type: 'replace', stream: 'upstream', attributes: { with: '41 42', format: 'hex' } },
        { name: 'd', type: 'duplicate', stream: 'upstream', attributes: { times: 2 } },
      ]);
      const client = await rawClient(cleanup, first.port);
      await pairOf(first.name);
      client.write('x');
      await waitUntil(() => server.received.text() === 'ABABAB', 'the replaced bytes, three times');
      assert.equal((await pairOf(first.name)).log.records()[0].fault, 'r replaced 1 bytes with 2; d sent 2 bytes 3 times');

      const upper = await upperServer();
      const timed = await proxy(upper, [{ type: 'timeout', stream: 'downstream', attributes: { timeout: 150 } }]);
      const quiet = await rawClient(cleanup, timed.port);
      const heard = new ByteSink();
      quiet.on('data', heard.push);
      quiet.write('hello');
      await once(quiet, 'close');
      assert.equal(heard.length, 0, 'no reply got through');
      await waitUntil(() => registry.closedConnections().some((c) => c.proxy?.proxyName === timed.name), 'the timed-out pair to close');
      const timedPair = registry.closedConnections().find((c) => c.proxy?.proxyName === timed.name)!;
      assert.ok(timedPair.log.records().some((r) => r.dir === 'out' && r.dropped && Buffer.from(r.bytes).toString() === 'HELLO'));

      const reset = await proxy(upper, [{ type: 'reset_peer', stream: 'downstream', attributes: { timeout: 0 } }]);
      const victim = await rawClient(cleanup, reset.port);
      const [err] = (await once(victim, 'error')) as [NodeJS.ErrnoException];
      assert.equal(err.code, 'ECONNRESET');
    });
  });

  it('live: a toxic added to an open pair applies at once, and its removal releases what it held', async () => {
    const { name, port } = await proxy(await upperServer());
    const client = await rawClient(cleanup, port);
    // Bounds far apart, so a busy machine's scheduling delays cannot blur them.
    assert.ok((await roundTrip(client, 'a')) < 140);
    hub.addToxic(name, { type: 'latency', attributes: { latency: 400 } });
    assert.ok((await roundTrip(client, 'b')) >= 395, 'the open pair feels the new toxic');
    hub.updateToxic(name, 'latency_downstream', { attributes: { latency: 150 } });
    const changed = await roundTrip(client, 'c');
    assert.ok(changed >= 145 && changed < 390, `after the update ${changed} ms`);
    hub.addToxic(name, { name: 'long', type: 'latency', attributes: { latency: 5000 } });
    const pending = roundTrip(client, 'd');
    await delay(100);
    hub.removeToxic(name, 'long');
    hub.removeToxic(name, 'latency_downstream');
    assert.ok((await pending) < 1500, 'removing the toxics released the held reply');
    assert.ok((await roundTrip(client, 'e')) < 140);
  });

  describe('backpressure', () => {
    const MIB = 1024 * 1024;

    /** A server that writes `total` bytes with backpressure, then ends; and their hash. */
    const floodServer = (total: number): Promise<{ port: number; written: () => number }> => {
      let written = 0;
      return rawServer(cleanup, (socket) => {
        const chunk = Buffer.alloc(64 * 1024);
        for (let i = 0; i < chunk.length; i++) chunk[i] = i % 251;
        const pump = (): void => {
          while (written < total) {
            written += chunk.length;
            if (!socket.write(chunk)) {
              socket.once('drain', pump);
              return;
            }
          }
          socket.end();
        };
        pump();
      }, true).then((port) => ({ port, written: () => written }));
    };

    for (const withToxic of [false, true]) {
      it(`a client that does not read stops the upstream reads${withToxic ? ' (with a latency toxic queueing)' : ''}, and every byte arrives once it reads`, async () => {
        const total = 32 * MIB;
        const server = await floodServer(total);
        const toxics = withToxic ? [{ type: 'latency', attributes: { latency: 1 } }] : [];
        const { name, port } = await proxy(server.port, toxics);
        const client = await rawClient(cleanup, port);
        client.pause();
        const pair = await pairOf(name);
        await delay(500);
        const buffered = pair.queuedBytes;
        // The proxy holds at most node's buffer of the client socket plus one chunk (and the queue's bound).
        const bound = 2 * MIB + (withToxic ? MAX_QUEUED_BYTES : 0);
        assert.ok(pair.proxy!.bytesFromUpstream - pair.totals.bytesOut <= bound, `the proxy holds ${pair.proxy!.bytesFromUpstream - pair.totals.bytesOut} bytes`);
        assert.ok(buffered <= bound);
        assert.ok(server.written() < total, 'the server was made to wait');
        const hash = createHash('sha256');
        let received = 0;
        client.on('data', (chunk: Buffer) => {
          received += chunk.length;
          hash.update(chunk);
        });
        client.resume();
        await once(client, 'end');
        assert.equal(received, total);
        assert.equal(pair.totals.bytesOut, total, 'the counters are exact');
        const expected = createHash('sha256');
        const chunk = Buffer.alloc(64 * 1024);
        for (let i = 0; i < chunk.length; i++) chunk[i] = i % 251;
        for (let i = 0; i < total / chunk.length; i++) expected.update(chunk);
        assert.equal(hash.digest('hex'), expected.digest('hex'), 'the bytes arrive intact and in order');
      });
    }

    it('a server that does not read holds the client\'s reads (read hold "upstream full")', async () => {
      let serverSocket: Socket | undefined;
      const upstream = await rawServer(cleanup, (socket) => {
        serverSocket = socket;
        socket.pause();
      });
      const { name, port } = await proxy(upstream);
      const client = await rawClient(cleanup, port);
      const pair = await pairOf(name);
      // The kernel's buffers on both sides absorb megabytes first (how many depends on its tuning),
      // so the client writes, waiting for drain, until the proxy holds its reads.
      const chunk = Buffer.alloc(64 * 1024);
      let written = 0;
      const pump = (): void => {
        while (written < 256 * 1024 * 1024 && !pair.readHolds.includes('upstream full')) {
          written += chunk.length;
          if (!client.write(chunk)) {
            client.once('drain', pump);
            return;
          }
        }
      };
      pump();
      await waitUntil(() => pair.readHolds.includes('upstream full'), 'the client reads to be held', 10_000);
      await delay(200);
      const held = pair.totals.bytesIn - pair.proxy!.bytesToUpstream;
      assert.ok(held <= 0, 'nothing piles up inside the proxy: what it read, it handed on');
      serverSocket!.resume();
      await waitUntil(() => !pair.readHolds.includes('upstream full'), 'reading to resume');
    });
  });
});
