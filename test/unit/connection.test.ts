// Connection on real loopback sockets: states, close reasons, half-close, reset, timeouts,
// refusals and backpressure. Peers are plain node:net sockets or the engine's own Listener.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Socket } from 'node:net';
import { Connection } from '../../src/core/connection';
import { TcpError } from '../../src/core/errors';
import { Listener } from '../../src/core/listener';
import type { ConnectionState } from '../../src/core/types';
import { ByteSink, Cleanup, delay, hangingLoopbackPort, nextEvent, rawServer, startPythonPeer, waitUntil } from './support/sockets';

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
    assert.deepEqual(accepted.local, client.remote);
    assert.notEqual(accepted.local, listener.address, 'each connection owns its endpoint object');

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
    const port = await hangingLoopbackPort(cleanup);
    if (port === undefined) this.skip(); // the kernel never dropped a SYN: no honest way to force a timeout here
    const started = Date.now();
    await assert.rejects(Connection.connect({ host: '127.0.0.1', port, timeoutMs: 250 }), (err: TcpError) => {
      assert.ok(err instanceof TcpError);
      assert.equal(err.code, 'ETIMEDOUT');
      assert.equal(err.message, `Connecting to 127.0.0.1:${port} timed out after 250 ms; check that the server is running and that no firewall drops the packets, or raise the timeout.`);
      return true;
    });
    const elapsed = Date.now() - started;
    // The lower bound proves we waited; the upper one is loose because the test machine may be busy.
    assert.ok(elapsed >= 240 && elapsed < 5000, `timed out after ${elapsed} ms`);
  });

  it('resolves a host name (localhost) and connects over loopback', async () => {
    const listener = await listen();
    const client = await connectTo(listener.address!.port, 'localhost');
    assert.equal(client.state, 'open');
    assert.equal(client.remote?.port, listener.address!.port);
  });

  it('leaves no socket behind when a connect fails', async () => {
    const listener = await Listener.listen({ port: 0 });
    const port = listener.address!.port;
    await listener.stop();
    const tcpHandles = (): number => process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap').length;
    const before = tcpHandles();
    const failures = await Promise.allSettled(Array.from({ length: 5 }, () => Connection.connect({ host: '127.0.0.1', port })));
    assert.ok(failures.every((result) => result.status === 'rejected' && result.reason instanceof TcpError));
    await waitUntil(() => tcpHandles() === before, 'every failed socket to be released');
  });

  it('captures live traffic of a connection to a file that replays the exact byte stream', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tcp-lab-capture-'));
    cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'traffic.jsonl');
    const { client, accepted } = await pair();
    await accepted.log.startCapture(file);
    const outgoing = Buffer.alloc(300_000);
    for (let i = 0; i < outgoing.length; i++) outgoing[i] = (i * 7) & 0xff;
    await client.send(outgoing);
    await waitUntil(() => accepted.totals.bytesIn === outgoing.length, 'all bytes at the server');
    await accepted.send(Buffer.from('ack'));
    // Close only after the client has read everything: closing with unread data would send RST.
    await waitUntil(() => client.totals.bytesIn === 3, 'the ack at the client');
    const closed = accepted.waitForClose();
    client.end();
    await waitUntil(() => accepted.state === 'halfClosed', 'the FIN');
    accepted.end();
    await closed;
    // The capture was stopped by the close; stopCapture() waits for that flush.
    await accepted.log.stopCapture();
    const records = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { seq: number; dir: string; base64: string });
    const incoming = Buffer.concat(records.filter((r) => r.dir === 'in').map((r) => Buffer.from(r.base64, 'base64')));
    assert.ok(incoming.equals(outgoing), 'every received byte is in the capture, in order');
    assert.deepEqual(records.filter((r) => r.dir === 'out').map((r) => Buffer.from(r.base64, 'base64').toString()), ['ack']);
    assert.deepEqual(records.map((r) => r.seq), records.map((_, i) => i + 1));
  });

  it('can be cancelled while connecting, leaving nothing open', async function () {
    const port = await hangingLoopbackPort(cleanup);
    if (port === undefined) this.skip(); // see the timeout test
    const controller = new AbortController();
    const attempt = Connection.connect({ host: '127.0.0.1', port, timeoutMs: 10000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    await assert.rejects(attempt, (e: TcpError) => e.code === 'CANCELLED' && e.message === `Connecting to 127.0.0.1:${port} was cancelled; connect again when you are ready.`);
    assert.ok(Date.now() - started < 5000, 'cancelled long before the 10 s timeout');
    await assert.rejects(Connection.connect({ host: '127.0.0.1', port, signal: controller.signal }), (e: TcpError) => e.code === 'CANCELLED');
  });

  it('reports a capture file write failure through onDidError and keeps the connection working', async function () {
    const fullDevice = '/dev/full'; // Linux: every write fails with ENOSPC
    if (!existsSync(fullDevice)) this.skip();
    const { client, accepted } = await pair();
    const errors = new Promise((resolve) => accepted.onDidError(resolve));
    await accepted.log.startCapture(fullDevice);
    await client.send(Buffer.from('data that cannot be written to the capture'));
    const error = (await errors) as TcpError;
    assert.equal(error.code, 'CAPTURE_FAILED');
    assert.equal(accepted.state, 'open');
    await accepted.send(Buffer.from('still fine'));
    await waitUntil(() => client.totals.bytesIn === 10, 'traffic to go on');
  });

  it('applies noDelay and keepAlive options and fires onDidSend per send', async () => {
    const listener = await listen();
    const client = await Connection.connect({ host: '127.0.0.1', port: listener.address!.port, noDelay: false, keepAlive: true });
    cleanup.add(() => client.destroy());
    const sent: string[] = [];
    client.onDidSend((bytes) => sent.push(Buffer.from(bytes).toString()));
    await client.send(Buffer.from('one'));
    await client.send(Buffer.from('two'));
    assert.deepEqual(sent, ['one', 'two']);
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

  it('keeps byte, log and onDidSend order when small sends (written at once) mix with large ones (sliced and queued)', async () => {
    const sink = new ByteSink();
    const port = await rawServer(cleanup, (socket) => socket.on('data', sink.push));
    // A log large enough to keep all ~5.5 MiB, so its order can be checked record by record.
    const client = await Connection.connect({ host: '127.0.0.1', port, log: { maxBytes: 64 * 1024 * 1024 } });
    cleanup.add(() => client.destroy());
    const sendOrder: number[] = [];
    client.onDidSend((bytes) => sendOrder.push(bytes[0]));
    const sizes = [10, 300 * 1024, 20, 30, 200 * 1024, 40, 1, 5 * 1024 * 1024, 50];
    const payloads = sizes.map((size, i) => Buffer.alloc(size, i + 1));
    // Not awaited one by one: later small sends must queue behind an unfinished large one.
    await Promise.all(payloads.map((payload) => client.send(payload)));
    const expected = Buffer.concat(payloads);
    await waitUntil(() => sink.length === expected.length, 'every byte to arrive');
    assert.ok(sink.bytes().equals(expected), 'bytes arrive in send order');
    assert.deepEqual(sendOrder, sizes.map((_, i) => i + 1));
    // A send larger than one slice is logged slice by slice; the first slice of each send starts a record group.
    const records = client.log.records();
    assert.deepEqual(records.filter((r) => !r.continued).map((r) => r.bytes[0]), sizes.map((_, i) => i + 1));
    assert.ok(Buffer.concat(records.map((r) => r.bytes)).equals(expected), 'the log holds the bytes in wire order');
    assert.equal(client.totals.messagesOut, sizes.length);
    assert.equal(client.totals.bytesOut, expected.length);
    assert.equal(client.pendingBytes, 0);
  });

  it('resolves a send only once a slow reader lets the kernel take its bytes', async function () {
    this.timeout(20_000);
    let peer: Socket | undefined;
    const sink = new ByteSink();
    const port = await rawServer(cleanup, (socket) => {
      peer = socket;
      socket.pause();
      socket.on('data', sink.push);
    });
    const client = await connectTo(port);
    await waitUntil(() => peer !== undefined, 'the server to accept');
    // Small sends, each awaited, until the kernel buffers are full and one stays pending.
    const chunk = Buffer.alloc(16 * 1024, 3);
    let sent = 0;
    let pending: Promise<void> | undefined;
    while (!pending && sent < 256 * 1024 * 1024) {
      const send = client.send(chunk);
      sent += chunk.length;
      // Resolved means handed to the kernel: nothing of it may still wait in node's buffer.
      const queuedAtResolve = await Promise.race([send.then(() => client.queuedBytes), delay(300).then(() => undefined)]);
      if (queuedAtResolve === undefined) pending = send;
      else assert.equal(queuedAtResolve, 0, `send ${sent / chunk.length} resolved with bytes still queued in node`);
    }
    assert.ok(pending, 'a send stayed pending while nobody read');
    let resolved = false;
    void pending.then(() => (resolved = true));
    await delay(100);
    assert.equal(resolved, false, 'not resolved before the reader drains');
    peer!.resume();
    await pending;
    await waitUntil(() => sink.length === sent, 'every byte to arrive');
    assert.equal(client.totals.bytesOut, sent);
  });

  it('rejects a send still in flight when we destroy the connection, and later sends at once', async () => {
    const port = await rawServer(cleanup, (socket) => socket.pause()); // never reads
    const client = await connectTo(port);
    const big = client.send(Buffer.alloc(32 * 1024 * 1024));
    const queued = client.send(Buffer.from('behind it'));
    await delay(100);
    client.destroy();
    await assert.rejects(big, (e: TcpError) => e instanceof TcpError && e.code === 'CLOSED' && e.message.includes(client.id));
    await assert.rejects(queued, (e: TcpError) => e.code === 'CLOSED');
    assert.equal(client.pendingBytes, 0);
    // What reached the socket before the destroy is counted (and logged), the rest is not.
    const handed = client.totals.bytesOut;
    assert.ok(handed > 0 && handed < 32 * 1024 * 1024, `bytesOut ${handed}`);
    assert.equal(client.log.retained.bytes + client.log.evicted.bytes, handed);
    assert.equal(client.totals.messagesOut, 1, 'the queued send behind it never started');
    assert.equal(client.closeReason, 'local');
  });

  it('reports reset with a clear error when sending to a peer that has gone', async () => {
    let peer: Socket | undefined;
    const port = await rawServer(cleanup, (socket) => (peer = socket));
    const client = await connectTo(port);
    await waitUntil(() => peer !== undefined, 'the server to accept');
    peer!.destroy();
    await waitUntil(() => client.state === 'halfClosed', 'the peer FIN');
    const errors: TcpError[] = [];
    client.onDidError((e) => errors.push(e));
    // The first write is answered with RST by the closed peer; a following one fails locally.
    const closed = client.waitForClose();
    const rejections: unknown[] = [];
    for (let i = 0; i < 50 && client.writable; i++) {
      await client.send(Buffer.from('anyone there?')).catch((e: unknown) => rejections.push(e));
      await delay(10);
    }
    const event = await closed;
    // The write that failed (or the ones after it) rejected with one of our errors, never a raw node one.
    assert.ok(rejections.length >= 1, 'a send to the gone peer rejected');
    for (const e of rejections) assert.ok(e instanceof TcpError && ['ECONNRESET', 'EPIPE', 'CLOSED', 'NOT_WRITABLE'].includes(e.code), String(e));
    assert.equal(event.reason, 'reset');
    assert.ok(event.error && ['ECONNRESET', 'EPIPE'].includes(event.error.code), event.error?.code);
    assert.match(event.error!.message, /127\.0\.0\.1:\d+.*; reconnect/);
    assert.ok(errors.length >= 1);
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

  it('a large send that fails midway counts and captures the slices that reached the socket', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tcplab-partial-'));
    cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
    const size = 32 * 1024 * 1024;
    const payload = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) payload[i] = (i / 4096) & 0xff;
    // The peer reads 1 MiB of the 32 and resets: the send fails with most of it never handed over.
    const { port } = await startPythonPeer(cleanup, 'readThenReset.py', [String(1024 * 1024)]);
    const client = await connectTo(port);
    // Room for every slice the kernel can take before the reset (several MiB on loopback), so the
    // log's own limit evicts nothing and it can be compared with the capture.
    client.log.setLimits({ maxBytes: size });
    const file = path.join(dir, 'partial.jsonl');
    await client.log.startCapture(file);
    await assert.rejects(client.send(payload), (err: TcpError) => err instanceof TcpError);
    await client.waitForClose();
    await client.log.stopCapture();

    const out = client.totals.bytesOut;
    assert.ok(out >= 1024 * 1024 && out < size, `bytesOut ${out}`);
    assert.equal(client.totals.messagesOut, 1, 'one send, however many slices reached the socket');
    const records = client.log.records();
    assert.ok(records.length > 1 && records.slice(1).every((r) => r.continued === true) && records[0].continued === undefined);
    assert.deepEqual(Buffer.concat(records.map((r) => r.bytes)), Buffer.from(payload.subarray(0, out)), 'the log holds exactly the prefix handed over');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { base64: string; continued?: boolean });
    assert.equal(lines.length, records.length);
    assert.deepEqual(Buffer.concat(lines.map((l) => Buffer.from(l.base64, 'base64'))), Buffer.from(payload.subarray(0, out)), 'the capture too');
    assert.ok(lines.slice(1).every((l) => l.continued === true));
  });
});
