// ProxyHub: named proxies on the Registry, the plain relay both ways, half-closes, resets, and bad
// input (one sentence each), on real loopback sockets with plain node:net peers.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createServer, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { once } from 'node:events';
import { TcpError } from '../../src/core/errors';
import { ProxyHub, proxyErrorStatus, type ProxyLogLine } from '../../src/core/proxy/proxyHub';
import { Registry } from '../../src/core/registry';
import { ByteSink, Cleanup, rawClient, rawServer, waitUntil } from './support/sockets';
import { tlsFixtures } from './support/tlsFixtures';

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

  it('injects bytes into either direction of an open pair, marked in the log and past the toxics', async () => {
    const received = new ByteSink();
    const upstream = await rawServer(cleanup, (socket) => socket.on('data', received.push), true);
    const created = await hub.create({ name: 'inj', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream}`, toxics: [{ type: 'drop', stream: 'upstream' }] });
    const client = await rawClient(cleanup, portOf(created.listen));
    const sink = new ByteSink();
    client.on('data', sink.push);
    await waitUntil(() => registry.connections()[0]?.proxy?.upstreamState === 'open', 'the pair to open');
    const pair = registry.connections()[0];
    hub.inject(pair.id, 'upstream', Buffer.from('to server'));
    hub.inject(pair.id, 'downstream', Buffer.from('to client'));
    await waitUntil(() => received.text() === 'to server' && sink.text() === 'to client', 'both injections to arrive');
    const records = pair.log.records().map((r) => [r.dir, Buffer.from(r.bytes).toString(), r.injected ?? false, r.note ?? '']);
    assert.deepEqual(records, [
      ['in', 'to server', true, 'injected toward the upstream'],
      ['out', 'to client', true, ''],
    ]);
    assert.deepEqual(pair.totals, { bytesIn: 0, bytesOut: 9, messagesIn: 0, messagesOut: 1 }, 'what was not received from the client does not count as received');
    assert.throws(() => hub.inject('C999999', 'upstream', Buffer.from('x')), /C999999 is not an open proxy pair/);
  });

  describe('TLS', () => {
    it('terminates TLS with a given certificate and relays the decrypted stream to a plain upstream', async () => {
      const tls = await tlsFixtures();
      const upstream = await upperServer();
      const created = await hub.create({ name: 'tls-in', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream}` }, { tls: { listen: { cert: tls.serverCert, key: tls.serverKey } } });
      const client = cleanup.socket(tlsConnect({ host: '127.0.0.1', port: portOf(created.listen), servername: 'localhost', ca: readFileSync(tls.caCert) }));
      await once(client, 'secureConnect');
      const sink = new ByteSink();
      client.on('data', sink.push);
      client.write('secret');
      await waitUntil(() => sink.text() === 'SECRET', 'the reply through the TLS-terminating proxy');
      const pair = registry.connections()[0];
      assert.ok(pair.tls, 'the pair shows its TLS session');
      assert.equal(Buffer.from(pair.log.records()[0].bytes).toString(), 'secret', 'the log holds the decrypted bytes');
    });

    it('originates TLS to a tls:// upstream, trusting the given CA', async () => {
      const tls = await tlsFixtures();
      const server = createTlsServer({ cert: readFileSync(tls.serverCert), key: readFileSync(tls.serverKey) }, (socket) => {
        socket.on('data', (chunk: Buffer) => socket.write(`tls:${chunk.toString()}`));
        socket.on('error', () => undefined);
      });
      cleanup.server(server);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const port = (server.address() as { port: number }).port;
      const created = await hub.create({ name: 'tls-out', listen: '127.0.0.1:0', upstream: `tls://localhost:${port}` }, { tls: { upstream: { ca: [tls.caCert] } } });
      assert.equal(created.upstream, `tls://localhost:${port}`);
      const client = await rawClient(cleanup, portOf(created.listen));
      const sink = new ByteSink();
      client.on('data', sink.push);
      client.write('hi');
      await waitUntil(() => sink.text() === 'tls:hi', 'the reply of the TLS server');
      client.destroy();

      // Without the CA the upstream's certificate is refused, and the client is closed with the reason.
      const untrusted = await hub.create({ name: 'tls-bad', listen: '127.0.0.1:0', upstream: `tls://localhost:${port}` }, { tls: { upstream: { ca: [tls.otherCa] } } });
      const refused = await rawClient(cleanup, portOf(untrusted.listen));
      await once(refused, 'close');
      const note = registry.closedConnections().flatMap((c) => c.log.records()).find((r) => r.note?.includes('keeps listening'));
      assert.ok(note, 'a note says why the client was closed');
      assert.match(note.note!, /certificate/i);
    });

    it('refuses a tls:// upstream whose CA file does not exist, at create time, with one sentence', async () => {
      await assert.rejects(hub.create({ name: 'tls-missing', listen: '127.0.0.1:0', upstream: 'tls://localhost:1' }, { tls: { upstream: { ca: ['no-such-ca.pem'] } } }), (err: TcpError) => {
        assert.match(err.message, /no-such-ca\.pem/);
        assert.equal(err.message.split('. ').length, 1);
        return true;
      });
      assert.equal(hub.get('tls-missing'), undefined);
    });
  });

  it('shows a proxy whose listener was stopped from outside (the tree\'s Stop) as disabled, and enables it again', async () => {
    const upstream = await upperServer();
    const created = await hub.create({ name: 'stopped', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream}` });
    const changes: string[] = [];
    hub.onDidChange((change) => changes.push(`${change.kind} ${change.name}`));
    await registry.stopAll();
    assert.equal(hub.describe('stopped').enabled, false);
    assert.deepEqual(changes, ['updated stopped']);
    const again = await hub.update('stopped', { enabled: true });
    assert.equal(again.listen, created.listen);
    const client = await rawClient(cleanup, portOf(again.listen));
    const sink = new ByteSink();
    client.on('data', sink.push);
    client.write('back');
    await waitUntil(() => sink.text() === 'BACK', 'the relay after enabling again');
  });

  it('writes the fault marks into the pair\'s capture file', async () => {
    const upstream = await upperServer();
    const created = await hub.create({ name: 'cap', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream}`, toxics: [{ name: 'wait_ünï', type: 'latency', attributes: { latency: 1 } }] });
    const client = await rawClient(cleanup, portOf(created.listen));
    await waitUntil(() => registry.connections()[0]?.proxy?.upstreamState === 'open', 'the pair to open');
    const pair = registry.connections()[0];
    const dir = await mkdtemp(path.join(tmpdir(), 'tcplab-cap-'));
    cleanup.add(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'pair.jsonl');
    await pair.log.startCapture(file);
    const sink = new ByteSink();
    client.on('data', sink.push);
    client.write('abc');
    await waitUntil(() => sink.text() === 'ABC', 'the reply');
    await pair.log.stopCapture();
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines.map((line) => [line.dir, line.fault, Buffer.from(line.base64 as string, 'base64').toString()]), [
      ['in', undefined, 'abc'],
      ['out', 'wait_ünï +1 ms', 'ABC'],
    ]);
  });
});
