// ProxyHub: named proxies on the Registry, the plain relay both ways, half-closes, resets, and bad
// input (one sentence each), on real loopback sockets with plain node:net peers.
import * as assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { TcpError } from '../../src/core/errors';
import { ProxyHub, proxyErrorStatus, type ProxyLogLine } from '../../src/core/proxy/proxyHub';
import { Registry } from '../../src/core/registry';
import { ByteSink, Cleanup, rawClient, rawServer, waitUntil } from './support/sockets';

describe('ProxyHub', () => {
  const cleanup = new Cleanup();
  let registry: Registry;
  let hub: ProxyHub;
  let lines: ProxyLogLine[];

  beforeEach(() => {
    registry = new Registry();
    hub = new ProxyHub(registry);
    lines = [];
    hub.onDidLog((line) => lines.push(line));
  });
  afterEach(async () => {
    await hub.removeAll();
    hub.dispose();
    await registry.stopAll();
    registry.dispose();
    await cleanup.run();
  });

  /** An echo server that upper-cases, so a reply is told apart from the request. */
  const upperServer = (): Promise<number> =>
    rawServer(cleanup, (socket) => {
      socket.on('data', (chunk: Buffer) => socket.write(chunk.toString('latin1').toUpperCase(), 'latin1'));
      socket.on('end', () => socket.end());
    }, true);

  const portOf = (listen: string): number => Number(listen.slice(listen.lastIndexOf(':') + 1));

  it('relays both ways through a registered listener and pair, and logs the conversation in the pair\'s log', async () => {
    const upstream = await upperServer();
    const created = await hub.create({ name: 'echo', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream}` });
    assert.equal(created.enabled, true);
    assert.deepEqual(created.toxics, []);
    const port = portOf(created.listen);
    assert.ok(port > 0, 'describe() gives the bound port');

    const listenerId = hub.listenerId('echo')!;
    const listenerInfo = registry.snapshot().listeners.find((info) => info.id === listenerId)!;
    assert.deepEqual(listenerInfo.proxy, { name: 'echo', upstream: `127.0.0.1:${upstream}`, enabled: true, toxics: [] });

    const client = await rawClient(cleanup, port);
    const sink = new ByteSink();
    client.on('data', sink.push);
    client.write('hello');
    await waitUntil(() => sink.text() === 'HELLO', 'the upper-cased reply through the proxy');

    const snapshot = registry.snapshot();
    assert.equal(snapshot.connections.length, 1, 'the upstream side is not a connection of its own');
    const pair = snapshot.connections[0];
    assert.equal(pair.listenerId, listenerId);
    assert.equal(pair.proxy?.proxyName, 'echo');
    assert.equal(pair.proxy?.upstreamState, 'open');
    assert.equal(pair.proxy?.upstreamRemote?.port, upstream);
    assert.equal(pair.proxy?.bytesToUpstream, 5);
    assert.equal(pair.proxy?.bytesFromUpstream, 5);
    const connection = registry.connections()[0];
    const records = connection.log.records().map((record) => [record.dir, Buffer.from(record.bytes).toString()]);
    assert.deepEqual(records, [['in', 'hello'], ['out', 'HELLO']]);
    assert.deepEqual(connection.totals, { bytesIn: 5, bytesOut: 5, messagesIn: 1, messagesOut: 1 });
    assert.ok(lines.some((line) => line.message.includes(`→ upstream 127.0.0.1:${upstream}`)), 'a line per pair opened');
  });

  it('propagates half-closes: the client\'s FIN reaches the server, whose reply still comes back', async () => {
    let serverSocket: Socket | undefined;
    const upstream = await rawServer(cleanup, (socket) => {
      serverSocket = socket;
      const sink = new ByteSink();
      socket.on('data', sink.push);
      // Reply only after the client's FIN: the other direction must stay open.
      socket.on('end', () => socket.end(`got ${sink.text()}`));
    }, true);
    const created = await hub.create({ name: 'half', listen: '0', upstream: `127.0.0.1:${upstream}` });
    const client = await rawClient(cleanup, portOf(created.listen), '127.0.0.1', true);
    const sink = new ByteSink();
    client.on('data', sink.push);
    client.end('request');
    await once(client, 'end');
    assert.equal(sink.text(), 'got request');
    assert.ok(serverSocket);
    const closed = await registry.connections()[0]?.waitForClose();
    assert.ok(closed === undefined || closed.reason === 'peerEnded' || closed.reason === 'local');
  });

  it('resets the client when the upstream resets', async () => {
    const upstream = await rawServer(cleanup, (socket) => socket.once('data', () => socket.resetAndDestroy()));
    const created = await hub.create({ name: 'rst', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream}` });
    const client = await rawClient(cleanup, portOf(created.listen));
    const error = once(client, 'error');
    client.write('x');
    const [err] = (await error) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNRESET');
  });

  it('closes a client of an unreachable upstream with one sentence in its log and keeps listening', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const deadPort = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const created = await hub.create({ name: 'dead', listen: '127.0.0.1:0', upstream: `127.0.0.1:${deadPort}` });
    const client = await rawClient(cleanup, portOf(created.listen));
    await once(client, 'close');
    const connection = registry.closedConnections()[0];
    const note = connection.log.records().find((record) => record.note !== undefined)!;
    assert.match(note.note!, new RegExp(`^Connection to 127\\.0\\.0\\.1:${deadPort} was refused; .*proxy "dead" closed client 127\\.0\\.0\\.1:\\d+ and keeps listening\\.$`));
    assert.equal(connection.proxy?.upstreamState, 'failed');
    assert.ok(lines.some((line) => line.message.includes('was refused')));
    // Still listening: a second client is accepted (and closed the same way).
    const again = await rawClient(cleanup, portOf(created.listen));
    await once(again, 'close');
  });

  it('refuses bad input with one sentence and the status Toxiproxy would answer', async () => {
    const upstream = await upperServer();
    const cases: [unknown, RegExp, number][] = [
      [{ listen: '127.0.0.1:0', upstream: '127.0.0.1:1' }, /^proxy\.name must be non-empty text/, 400],
      [{ name: 'a', listen: 'nope', upstream: '127.0.0.1:1' }, /^proxy\.listen: "nope" has no port/, 400],
      [{ name: 'a', listen: '127.0.0.1:0', upstream: 'http://x:1' }, /^proxy\.upstream: "http:\/\/" is not a TCP Lab target scheme/, 400],
      [{ name: 'a', listen: '127.0.0.1:0', upstream: '127.0.0.1:1', toxics: [{ type: 'latency', attributes: { latancy: 5 } }] }, /^proxy\.toxics\[0\]\.attributes\.latancy is not an attribute of latency; a latency toxic takes "latency", "jitter"\.$/, 400],
      [{ name: 'a', listen: '127.0.0.1:0', upstream: '127.0.0.1:1', toxics: [{ type: 'slicer', attributes: { average_size: 10, size_variation: 10 } }] }, /size_variation \(10\) must be smaller than average_size \(10\)/, 400],
      [{ name: 'a', listen: '127.0.0.1:0', upstream: '127.0.0.1:1', toxics: [{ type: 'bandwidth', toxicity: 2, attributes: { rate: 1 } }] }, /toxicity must be a probability from 0 to 1/, 400],
      [{ name: 'a', listen: '127.0.0.1:0', upstream: '127.0.0.1:1', toxics: [{ type: 'timeout', when: { match: 'contains', pattern: 'x' } }] }, /when applies only to .* remove it from this timeout toxic\.$/, 400],
      [{ name: 'a', listen: '127.0.0.1:0', upstream: '127.0.0.1:1', toxics: [{ type: 'drop', when: { match: 'regex', pattern: '(a+)+$' } }] }, /when\.pattern is refused because/, 400],
    ];
    for (const [definition, message, status] of cases) {
      await assert.rejects(hub.create(definition), (err: unknown) => {
        assert.ok(err instanceof TcpError);
        assert.match(err.message, message);
        assert.equal(proxyErrorStatus(err), status);
        return true;
      });
    }
    const created = await hub.create({ name: 'taken', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream}` });
    await assert.rejects(hub.create({ name: 'taken', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream}` }), (err: TcpError) => err.code === 'PROXY_EXISTS' && proxyErrorStatus(err) === 409);
    await assert.rejects(hub.create({ name: 'other', listen: created.listen, upstream: `127.0.0.1:${upstream}` }), (err: TcpError) =>
      /^Port \d+ on 127\.0\.0\.1 is already in use; stop the program using it or choose another port \(0 picks a free one\)\.$/.test(err.message) && proxyErrorStatus(err) === 500);
    assert.equal(hub.get('other'), undefined, 'a failed create leaves nothing behind');
    assert.throws(() => hub.addToxic('nope', { type: 'drop' }), (err: TcpError) => err.code === 'PROXY_NOT_FOUND' && proxyErrorStatus(err) === 404);
    assert.throws(() => hub.removeToxic('taken', 'nope'), (err: TcpError) => err.code === 'TOXIC_NOT_FOUND' && /has no toxic named "nope"/.test(err.message));
    hub.addToxic('taken', { type: 'latency', attributes: { latency: 5 } });
    assert.throws(() => hub.addToxic('taken', { type: 'latency', attributes: { latency: 5 } }), (err: TcpError) => err.code === 'TOXIC_EXISTS');
    assert.throws(() => hub.updateToxic('taken', 'latency_downstream', { type: 'drop' }), /type cannot change from "latency"/);
  });

  it('lists, updates, disables, enables, populates and resets proxies as Toxiproxy does', async () => {
    const upstream = await upperServer();
    await hub.create({ name: 'one', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream}`, toxics: [{ type: 'latency', attributes: { latency: 1 } }] });
    const toxic = hub.getToxic('one', 'latency_downstream');
    assert.deepEqual(toxic, { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1, jitter: 0 } });
    const updated = hub.updateToxic('one', 'latency_downstream', { attributes: { jitter: 2 }, toxicity: 0.5 });
    assert.deepEqual(updated.attributes, { latency: 1, jitter: 2 });
    assert.equal(updated.toxicity, 0.5);

    const before = hub.describe('one');
    const disabled = await hub.update('one', { enabled: false });
    assert.equal(disabled.enabled, false);
    assert.equal(hub.listenerId('one'), undefined);
    const enabled = await hub.update('one', { enabled: true });
    assert.equal(enabled.listen, before.listen, 'a re-enabled proxy keeps the port it had');

    const populated = await hub.populate([
      { name: 'one', listen: before.listen, upstream: `127.0.0.1:${upstream}`, toxics: before.toxics.map((t) => (t.name === 'latency_downstream' ? updated : t)) },
      { name: 'two', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream}` },
    ]);
    assert.deepEqual(populated.map((p) => p.name), ['one', 'two']);
    assert.deepEqual(hub.list().map((p) => p.name), ['one', 'two']);
    await assert.rejects(hub.populate([{ name: 'x', listen: '0', upstream: 'bad' }]), /proxies\[0\]\.upstream: "bad" has no port/);

    await hub.update('two', { enabled: false });
    await hub.reset();
    assert.deepEqual(hub.list().map((p) => [p.name, p.enabled, p.toxics.length]), [['one', true, 0], ['two', true, 0]]);
    assert.equal(await hub.remove('two'), true);
    assert.equal(await hub.remove('two'), false);
  });
});
