// The public API other extensions get from activate(), on a real Registry with real sockets: a
// Python echo server for connect(), a Python client for listen(), and node:net where a raw socket is enough.
import * as assert from 'node:assert/strict';
import type { TcpLabApi, TcpLabCloseEvent, TcpLabConnection, TcpLabTrafficRecord } from '../../src/api/tcpLab';
import type { BindExposure } from '../../src/app/exposurePolicy';
import { PublicApi } from '../../src/app/publicApi';
import { Registry } from '../../src/core/registry';
import { Cleanup, rawClient, runPythonPeer, startPythonPeer, waitUntil } from './support/sockets';

describe('public API (activate() exports)', () => {
  const cleanup = new Cleanup();
  let registry: Registry;
  let trusted: boolean;
  let asked: BindExposure[];
  let confirm: boolean;
  let shown: string[];
  let api: TcpLabApi & { dispose(): void };

  beforeEach(() => {
    registry = new Registry();
    trusted = true;
    asked = [];
    confirm = false;
    shown = [];
    api = new PublicApi(registry, {
      isTrusted: () => trusted,
      confirmExposure: async (exposure) => {
        asked.push(exposure);
        return confirm;
      },
      showTraffic: async (id) => {
        shown.push(id);
      },
    });
  });

  afterEach(async () => {
    await cleanup.run();
    api.dispose();
    await registry.stopAll();
    registry.dispose();
  });

  it('connects to a Python echo server, sends text and bytes, and reports both directions as records', async () => {
    const { port } = await startPythonPeer(cleanup, 'echoServer.py');
    const all: TcpLabTrafficRecord[] = [];
    const opened: TcpLabConnection[] = [];
    cleanup.add(api.onDidTraffic((r) => all.push(r)).dispose);
    cleanup.add(api.onDidOpenConnection((c) => opened.push(c)).dispose);

    const connection = await api.connect({ host: '127.0.0.1', port });
    const own: TcpLabTrafficRecord[] = [];
    connection.onDidTraffic((r) => own.push(r));
    assert.equal(connection.role, 'client');
    assert.equal(connection.remote?.port, port);
    assert.equal(connection.state, 'open');
    assert.deepEqual(opened.map((c) => c.id), [connection.id]);
    assert.equal(opened[0], connection, 'one wrapper per connection, whichever way it is reached');

    await connection.send('héllo ');
    await connection.send(new Uint8Array([0x00, 0xff, 0x0d, 0x0a]));
    const expected = Buffer.concat([Buffer.from('héllo ', 'utf8'), Buffer.from([0x00, 0xff, 0x0d, 0x0a])]);
    const bytes = (dir: 'in' | 'out', records: TcpLabTrafficRecord[]): Buffer => Buffer.concat(records.filter((r) => r.direction === dir).map((r) => r.bytes));
    await waitUntil(() => bytes('in', own).length === expected.length, 'the echo');
    assert.deepEqual(bytes('out', own), expected);
    assert.deepEqual(bytes('in', own), expected);
    assert.deepEqual(all, own, 'the global stream carries the same records for this one connection');
    assert.deepEqual(own.map((r) => r.seq), own.map((_, i) => i + 1));
    assert.ok(own.every((r) => r.connectionId === connection.id && r.time > 0));
    // It is TCP Lab's own connection: the tree and panel see it through the registry.
    assert.equal(registry.get(connection.id)?.id, connection.id);
    assert.deepEqual(api.connections().map((c) => c.id), [connection.id]);

    const closes: TcpLabCloseEvent[] = [];
    cleanup.add(api.onDidCloseConnection((e) => closes.push(e)).dispose);
    connection.end();
    const closed = await connection.closed();
    assert.equal(closed.id, connection.id);
    assert.equal(closed.reason, 'local');
    assert.deepEqual(closes.map((e) => [e.id, e.reason]), [[connection.id, 'local']]);
    assert.equal(connection.state, 'closed');
    assert.deepEqual(api.connections(), []);
    await assert.rejects(connection.send('late'), /./, 'a closed connection refuses to send');
  });

  it('listens on 127.0.0.1 by default, accepts a Python client, talks both ways, and stops', async () => {
    const listener = await api.listen({ port: 0 });
    assert.equal(listener.host, '127.0.0.1');
    assert.ok(listener.port > 0, 'the port the OS picked');
    assert.deepEqual(asked, [], 'loopback needs no question');
    const accepted: TcpLabConnection[] = [];
    const opened: TcpLabConnection[] = [];
    listener.onDidAccept((c) => accepted.push(c));
    cleanup.add(api.onDidOpenConnection((c) => opened.push(c)).dispose);
    const received: TcpLabTrafficRecord[] = [];
    cleanup.add(api.onDidTraffic((r) => received.push(r)).dispose);
    // The Python client sends "ping", half-closes and prints what it gets until we close.
    const peer = runPythonPeer('client.py', ['127.0.0.1', String(listener.port), 'ping']);
    await waitUntil(() => received.some((r) => r.direction === 'in'), 'the client’s bytes');
    assert.equal(accepted.length, 1);
    assert.equal(opened[0], accepted[0]);
    assert.equal(accepted[0].role, 'accepted');
    assert.equal(accepted[0].listenerId, listener.id);
    assert.deepEqual(listener.connections().map((c) => c.id), [accepted[0].id]);
    assert.equal(Buffer.concat(received.filter((r) => r.direction === 'in').map((r) => r.bytes)).toString(), 'ping');
    await listener.broadcast('pong!');
    accepted[0].end();
    const result = await peer;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.toString('latin1'), 'pong!');
    await listener.stop();
    assert.deepEqual(api.listeners(), []);
    await assert.rejects(rawClient(cleanup, listener.port), /ECONNREFUSED/, 'the port is closed once stopped');
  });

  it('asks before a bind other machines can reach, and binds nothing when the user declines', async () => {
    await assert.rejects(api.listen({ host: '0.0.0.0', port: 0 }), /Not listening on 0\.0\.0\.0: .*127\.0\.0\.1/);
    assert.equal(asked.length, 1);
    assert.match(asked[0].sentence ?? '', /reachable from other machines/);
    assert.deepEqual(api.listeners(), []);
    confirm = true;
    const listener = await api.listen({ host: '0.0.0.0', port: 0 });
    assert.equal(listener.host, '0.0.0.0');
    await listener.stop();
  });

  it('opens nothing in Restricted Mode, with one sentence saying how to allow it', async () => {
    trusted = false;
    await assert.rejects(api.listen({ port: 0 }), { message: /Restricted Mode: trust the workspace/ });
    await assert.rejects(api.connect({ host: '127.0.0.1', port: 9 }), { message: /Restricted Mode/ });
    assert.deepEqual(registry.snapshot().listeners, []);
    assert.deepEqual(registry.snapshot().connections, []);
  });

  it('turns bad input into one sentence naming it', async () => {
    await assert.rejects(api.connect({ host: '127.0.0.1', port: 70000 }), (err: Error) => /70000/.test(err.message) && !/\n\s+at /.test(err.message));
    await assert.rejects(api.listen({ port: -1 }), (err: Error) => /-1/.test(err.message));
    await assert.rejects(api.connect({ host: '', port: 7000 }), (err: Error) => err.message.length > 0 && !err.message.includes('\n'));
    const listener = await api.listen({ port: 0 });
    const connection = await api.connect({ host: '127.0.0.1', port: listener.port });
    await assert.rejects(connection.send(null as unknown as string), { message: /send\(\) takes a Uint8Array or a string, not null/ });
    await assert.rejects(api.showTraffic('C999'), { message: /No connection or listener 'C999'/ });
    await api.showTraffic(connection.id);
    assert.deepEqual(shown, [connection.id]);
    connection.close();
    await connection.closed();
    await listener.stop();
  });

  it('taps traffic only while someone listens, and an unsubscribed listener hears nothing more', async () => {
    const listener = await api.listen({ port: 0 });
    const connection = await api.connect({ host: '127.0.0.1', port: listener.port });
    const heard: TcpLabTrafficRecord[] = [];
    const subscription = api.onDidTraffic((r) => heard.push(r));
    await connection.send('one');
    await waitUntil(() => heard.filter((r) => r.direction === 'in').length === 1, 'the accepted side’s record');
    subscription.dispose();
    subscription.dispose(); // twice is harmless
    const before = heard.length;
    await connection.send('two');
    // One connection's own stream: the client's 'out' records are one per send, so they are exact.
    const own: TcpLabTrafficRecord[] = [];
    connection.onDidTraffic((r) => own.push(r));
    await connection.send('three');
    await waitUntil(() => own.length === 1, 'the per-connection record');
    assert.equal(heard.length, before, 'nothing reached the disposed listener');
    assert.deepEqual([own[0].direction, Buffer.from(own[0].bytes).toString()], ['out', 'three']);
    connection.close();
    await listener.stop();
  });
});
