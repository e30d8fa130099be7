// Connection on real loopback sockets: states, close reasons, half-close, reset, timeouts,
// refusals and backpressure. Peers are plain node:net sockets or the engine's own Listener.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { connect as rawConnect, type Socket } from 'node:net';
import { Connection } from '../../src/core/connection';
import { TcpError } from '../../src/core/errors';
import { Listener } from '../../src/core/listener';
import type { ConnectionState } from '../../src/core/types';
import { ByteSink, Cleanup, delay, nextEvent, rawServer, startPythonPeer, waitUntil } from './support/sockets';

describe('Connection', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  async function listen(): Promise<Listener> {
    const listener = await Listener.listen({ port: 0 });
    cleanup.add(() => listener.stop({ closeConnections: true }));
    return listener;
  }

  async function connectTo(port: number, host = '127.0.0.1'): Promise<Connection> {
    const connection = await Connection.connect({ host, port });
    cleanup.add(() => connection.destroy());
    return connection;
  }

  /** A client Connection and the Connection the listener accepted for it. */
  async function pair(): Promise<{ client: Connection; accepted: Connection; listener: Listener }> {
    const listener = await listen();
    const acceptedPromise = nextEvent(listener.onDidAccept);
    const client = await connectTo(listener.address!.port);
    const accepted = await acceptedPromise;
    return { client, accepted, listener };
  }

  it('connects, reports both endpoints and exchanges bytes both ways with exact totals', async () => {
    const { client, accepted, listener } = await pair();
    assert.equal(client.state, 'open');
    assert.equal(client.role, 'client');
    assert.equal(accepted.role, 'accepted');
    assert.equal(accepted.listenerId, listener.id);
    assert.match(client.id, /^C\d+$/);
    assert.deepEqual(client.remote, { address: '127.0.0.1', family: 'IPv4', port: listener.address!.port });
    assert.deepEqual(accepted.remote, client.local);

    const atServer = new ByteSink();
    accepted.onDidReceive(atServer.push);
    await client.send(Buffer.from('hello '));
    await client.send(new TextEncoder().encode('world'));
    await waitUntil(() => atServer.length === 11, 'server to receive 11 bytes');
    assert.equal(atServer.text(), 'hello world');
    assert.equal(client.totals.bytesOut, 11);
    assert.equal(client.totals.messagesOut, 2);
    assert.equal(accepted.totals.bytesIn, 11);

    const atClient = new ByteSink();
    client.onDidReceive(atClient.push);
    await accepted.send(Buffer.from([0, 1, 2, 255]));
    await waitUntil(() => atClient.length === 4, 'client to receive 4 bytes');
    assert.deepEqual([...atClient.bytes()], [0, 1, 2, 255]);
    assert.deepEqual(
      client.log.records().map((r) => r.dir),
      ['out', 'out', 'in'],
    );
  });

  it('closes with reason local on our side and peerEnded on theirs when the client destroys', async () => {
    const { client, accepted } = await pair();
    const acceptedStates: ConnectionState[] = [];
    accepted.onDidChangeState((s) => acceptedStates.push(s));
    const clientClosed = nextEvent(client.onDidClose);
    client.destroy();
    assert.equal((await clientClosed).reason, 'local');
    assert.equal(client.state, 'closed');
    assert.ok(client.closedAt! >= client.openedAt);

    // allowHalfOpen: the peer's FIN only half-closes our side until we end too.
    await waitUntil(() => accepted.state === 'halfClosed', 'accepted to be half-closed');
    assert.equal(accepted.remoteEnded, true);
    const acceptedClosed = nextEvent(accepted.onDidClose);
    accepted.end();
    assert.equal((await acceptedClosed).reason, 'peerEnded');
    assert.deepEqual(acceptedStates, ['halfClosed', 'closed']);
  });

  it('closes with reason local on the accepting side and peerEnded on the client when the listener side destroys', async () => {
    const { client, accepted } = await pair();
    const acceptedClosed = nextEvent(accepted.onDidClose);
    accepted.destroy();
    assert.equal((await acceptedClosed).reason, 'local');
    await waitUntil(() => client.state === 'halfClosed', 'client to be half-closed');
    const clientClosed = nextEvent(client.onDidClose);
    client.destroy();
    // We saw their FIN first, so the close is the peer's doing even though we released the socket.
    assert.equal((await clientClosed).reason, 'peerEnded');
  });

  it('half-closes client→server: the server can still send after the client ended', async () => {
    const { client, accepted } = await pair();
    const atClient = new ByteSink();
    client.onDidReceive(atClient.push);
    client.end();
    assert.equal(client.state, 'halfClosed');
    assert.equal(client.localEnded, true);
    await assert.rejects(client.send(Buffer.from('late')), (err: TcpError) => err.code === 'NOT_WRITABLE' && /half-closed/.test(err.message));

    await waitUntil(() => accepted.state === 'halfClosed', 'server to see the FIN');
    await accepted.send(Buffer.from('still talking'));
    await waitUntil(() => atClient.length === 13, 'client to receive after its own FIN');
    assert.equal(atClient.text(), 'still talking');

    const closes = Promise.all([nextEvent(client.onDidClose), nextEvent(accepted.onDidClose)]);
    accepted.end();
    const [clientClose, acceptedClose] = await closes;
    assert.equal(clientClose.reason, 'local');
    assert.equal(acceptedClose.reason, 'peerEnded');
  });

  it('half-closes server→client: the client can still send after the server ended', async () => {
    const { client, accepted } = await pair();
    const atServer = new ByteSink();
    accepted.onDidReceive(atServer.push);
    accepted.end();
    await waitUntil(() => client.state === 'halfClosed' && client.remoteEnded, 'client to see the FIN');
    await client.send(Buffer.from('reply after FIN'));
    await waitUntil(() => atServer.length === 15, 'server to receive after its own FIN');
    assert.equal(atServer.text(), 'reply after FIN');
    const closes = Promise.all([nextEvent(client.onDidClose), nextEvent(accepted.onDidClose)]);
    client.end();
    const [clientClose, acceptedClose] = await closes;
    assert.equal(clientClose.reason, 'peerEnded');
    assert.equal(acceptedClose.reason, 'local');
  });

  it('sends FIN only after every queued send has gone out', async () => {
    const sink = new ByteSink();
    let ended = false;
    const port = await rawServer(cleanup, (socket) => {
      socket.on('data', sink.push);
      socket.on('end', () => (ended = true));
    });
    const client = await connectTo(port);
    const payload = Buffer.alloc(3 * 1024 * 1024, 7);
    const sent = client.send(payload);
    client.end();
    await sent;
    await waitUntil(() => ended, 'the server to see the FIN');
    assert.equal(sink.length, payload.length);
  });

  it('reset() sends RST: a raw peer sees ECONNRESET and both sides report reset', async () => {
    let peerError: NodeJS.ErrnoException | undefined;
    let accepted = false;
    const port = await rawServer(cleanup, (socket) => {
      accepted = true;
      socket.on('error', (err) => (peerError = err));
    });
    const client = await connectTo(port);
    await waitUntil(() => accepted, 'the server to accept');
    const closed = nextEvent(client.onDidClose);
    client.reset();
    assert.equal((await closed).reason, 'reset');
    await waitUntil(() => peerError !== undefined, 'the peer to see the reset');
    assert.equal(peerError!.code, 'ECONNRESET');
  });

  it('an accepted connection reports reason reset and a clear sentence when the client resets', async () => {
    const { client, accepted } = await pair();
    const errors: TcpError[] = [];
    accepted.onDidError((e) => errors.push(e));
    const closed = nextEvent(accepted.onDidClose);
    client.reset();
    const event = await closed;
    assert.equal(event.reason, 'reset');
    assert.equal(event.error?.code, 'ECONNRESET');
    assert.match(event.error!.message, /^Connection to 127\.0\.0\.1:\d+ was reset by the peer; reconnect/);
    assert.equal(errors.length, 1);
    assert.equal(client.closeReason, 'reset');
  });

  it('times out deterministically against a loopback listener whose accept queue is full', async function () {
    const { port } = await startPythonPeer(cleanup, 'backlogHog.py');
    // Fill the hog's accept queue: connects succeed until the kernel starts dropping SYNs.
    let hung = false;
    for (let i = 0; i < 8 && !hung; i++) {
      const filler = cleanup.socket(rawConnect({ host: '127.0.0.1', port }));
      const connected = await Promise.race([once(filler, 'connect').then(() => true), delay(300).then(() => false)]);
      if (!connected) {
        hung = true;
        filler.destroy();
      }
    }
    if (!hung) this.skip(); // the kernel never dropped a SYN: no honest way to force a timeout here
    const started = Date.now();
    await assert.rejects(Connection.connect({ host: '127.0.0.1', port, timeoutMs: 250 }), (err: TcpError) => {
      assert.ok(err instanceof TcpError);
      assert.equal(err.code, 'ETIMEDOUT');
      assert.equal(err.message, `Connecting to 127.0.0.1:${port} timed out after 250 ms; check that the server is running and that no firewall drops the packets, or raise the timeout.`);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 240 && elapsed < 2000, `timed out after ${elapsed} ms`);
  });

  it('is refused by a port that was just closed, with a clear sentence', async () => {
    const listener = await Listener.listen({ port: 0 });
    const port = listener.address!.port;
    await listener.stop();
    await assert.rejects(Connection.connect({ host: '127.0.0.1', port }), (err: TcpError) => {
      assert.ok(err instanceof TcpError);
      assert.equal(err.code, 'ECONNREFUSED');
      assert.equal(
        err.message,
        `Connection to 127.0.0.1:${port} was refused; check that a server is listening on that host and port, then try again.`,
      );
      return true;
    });
  });

  it('rejects invalid input before touching the network', async () => {
    await assert.rejects(Connection.connect({ host: '127.0.0.1', port: 70000 }), (e: TcpError) => e.code === 'INVALID_PORT' && e.message.includes('70000'));
    await assert.rejects(Connection.connect({ host: '127.0.0.1', port: 0 }), (e: TcpError) => e.code === 'INVALID_PORT' && e.message.includes('1 to 65535'));
    await assert.rejects(Connection.connect({ host: 'http://x', port: 80 }), (e: TcpError) => e.code === 'INVALID_HOST' && e.message.includes('"http://x"'));
    await assert.rejects(Connection.connect({ host: '127.0.0.1', port: 80, timeoutMs: -5 }), (e: TcpError) => e.code === 'INVALID_TIMEOUT');
  });

  it('rejects send() on a closed connection with a sentence naming it', async () => {
    const { client } = await pair();
    client.destroy();
    await client.waitForClose();
    await assert.rejects(client.send(Buffer.from('x')), (e: TcpError) => e.code === 'NOT_WRITABLE' && e.message.includes(client.id) && /reconnect/.test(e.message));
  });

  it('keeps node’s queue bounded while 64 MiB go to a slow reader, and every byte arrives in order', async function () {
    this.timeout(60000);
    const size = 64 * 1024 * 1024;
    const payload = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i += 4) payload.writeUInt32LE((i * 2654435761) >>> 0, i);
    const expected = createHash('sha256').update(payload).digest('hex');

    const hash = createHash('sha256');
    let received = 0;
    let reader: Socket | undefined;
    const port = await rawServer(cleanup, (socket) => {
      reader = socket;
      socket.pause(); // slow reader: nothing is read at first
      socket.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        received += chunk.length;
        // Keep reading slowly: a short pause after every chunk.
        socket.pause();
        setTimeout(() => socket.resume(), 1);
      });
    });
    const client = await connectTo(port);
    let maxQueued = 0;
    const sampler = setInterval(() => (maxQueued = Math.max(maxQueued, client.queuedBytes)), 1);
    cleanup.add(() => clearInterval(sampler));

    let done = false;
    const sending = client.send(payload).then(() => (done = true));
    await delay(300);
    assert.equal(done, false, 'the send cannot be flushed while nobody reads');
    assert.ok(client.pendingBytes > size / 2, `most bytes still wait in the caller's buffer (${client.pendingBytes})`);
    maxQueued = Math.max(maxQueued, client.queuedBytes);
    reader!.resume();
    await sending;
    clearInterval(sampler);
    await waitUntil(() => received === size, 'all 64 MiB to arrive', 50000);
    assert.equal(hash.digest('hex'), expected, 'the bytes arrived intact and in order');
    assert.ok(maxQueued <= 256 * 1024, `queuedBytes peaked at ${maxQueued}`);
    assert.equal(client.totals.bytesOut, size);
    assert.equal(client.totals.messagesOut, 1);
    assert.equal(client.queuedBytes, 0);
    assert.equal(client.pendingBytes, 0);
  });
});
