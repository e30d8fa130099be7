// reset() seen from the other end, for accepted and client connections, right after sends with and
// without pauses, through the fault helpers and through plain send() + reset(), and after our FIN.
//
// What a node:net peer is guaranteed to observe: its socket closes, with either ECONNRESET or a
// plain end of stream. Which one depends on timing on the peer's side, not on what we sent: the
// RST is on the wire in both cases (a Python peer reading the raw socket reports the reset). When
// the RST arrives while the peer still has unread bytes, libuv reads those bytes, sees the hang-up
// flag from the same poll and reports end of stream, so the peer's 'end' fires and no error does.
// And the kernel may drop bytes still in the peer's receive queue when the RST lands, so the peer
// gets a prefix of what we sent. Only a peer that has read everything and is waiting when the RST
// arrives is sure to see ECONNRESET; those tests wait for that before resetting.
import * as assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { Connection, type CloseEvent } from '../../src/core/connection';
import { sendWithFaults } from '../../src/core/faults';
import { Listener } from '../../src/core/listener';
import { ByteSink, Cleanup, delay, nextEvent, rawClient, rawServer, startPythonPeer, waitUntil } from './support/sockets';

const text = (value: string) => new TextEncoder().encode(value);

/** What a raw node:net peer saw of our side's close. */
class PeerObserver {
  readonly sink = new ByteSink();
  ending: 'none' | 'eof' | 'reset' | 'otherError' = 'none';
  closed = false;

  constructor(readonly socket: Socket) {
    socket.on('data', this.sink.push);
    socket.on('end', () => {
      if (this.ending === 'none') this.ending = 'eof';
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.ending === 'none') this.ending = err.code === 'ECONNRESET' ? 'reset' : 'otherError';
    });
    socket.on('close', () => (this.closed = true));
  }

  async waitForClose(): Promise<void> {
    await waitUntil(() => this.closed, 'the peer to see the socket close', 3000);
  }

  /**
   * The peer's read side has ended (our FIN) and node stops reading then, so whether our socket is
   * really gone shows only when the peer writes: a reset socket refuses, a half-open one accepts.
   */
  async writeFails(): Promise<boolean> {
    if (this.closed) return true;
    let failed = false;
    this.socket.once('error', () => (failed = true));
    this.socket.write('still there?');
    try {
      await waitUntil(() => failed || this.closed, 'the peer write to fail', 1000);
    } catch {
      return false;
    }
    return true;
  }
}

type Role = 'accepted' | 'client';

/** Our side's close event, or a failure after a bounded wait (a leaked socket never closes). */
function closeOf(connection: Connection): Promise<CloseEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${connection.id} did not close within 3 s`)), 3000);
    void connection.waitForClose().then((event) => {
      clearTimeout(timer);
      resolve(event);
    });
  });
}

describe('reset() as the peer sees it', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  /** One of our connections in `role` and the raw node:net peer at its other end. */
  async function connectionWithPeer(role: Role, options: { allowHalfOpen?: boolean; peerHalfOpen?: boolean } = {}): Promise<{ connection: Connection; peer: PeerObserver }> {
    const peerHalfOpen = options.peerHalfOpen ?? false;
    if (role === 'accepted') {
      const listener = await Listener.listen({ port: 0, allowHalfOpen: options.allowHalfOpen });
      cleanup.add(() => listener.dispose());
      const accepted = nextEvent(listener.onDidAccept);
      const socket = await rawClient(cleanup, listener.address!.port, '127.0.0.1', peerHalfOpen);
      const connection = await accepted;
      cleanup.add(() => connection.destroy());
      return { connection, peer: new PeerObserver(socket) };
    }
    let peerSocket: Socket | undefined;
    const port = await rawServer(cleanup, (socket) => (peerSocket = socket), peerHalfOpen);
    const connection = await Connection.connect({ host: '127.0.0.1', port, allowHalfOpen: options.allowHalfOpen });
    cleanup.add(() => connection.destroy());
    await waitUntil(() => peerSocket !== undefined, 'the peer to accept');
    return { connection, peer: new PeerObserver(peerSocket!) };
  }

  /** The peer saw the close, as EOF or ECONNRESET, and got a prefix of what was sent. */
  async function assertPeerSawClose(peer: PeerObserver, sent: string): Promise<void> {
    await peer.waitForClose();
    assert.ok(peer.ending === 'reset' || peer.ending === 'eof', `peer ending ${peer.ending}`);
    assert.ok(sent.startsWith(peer.sink.text()), `peer got ${JSON.stringify(peer.sink.text())}`);
  }

  for (const role of ['accepted', 'client'] as const) {
    describe(`${role} connection`, () => {
      it('after the peer has read everything, reset arrives as ECONNRESET', async () => {
        const { connection, peer } = await connectionWithPeer(role);
        await connection.send(text('first'));
        await delay(30);
        await connection.send(text('second'));
        await waitUntil(() => peer.sink.length === 'firstsecond'.length, 'the peer to read both sends');
        const closed = closeOf(connection);
        connection.reset();
        assert.equal((await closed).reason, 'reset');
        await peer.waitForClose();
        assert.equal(peer.ending, 'reset');
      });

      it('plain send() then reset() at once: the peer sees the socket close', async () => {
        const { connection, peer } = await connectionWithPeer(role);
        await connection.send(text('no pause'));
        connection.reset();
        assert.equal((await closeOf(connection)).reason, 'reset');
        await assertPeerSawClose(peer, 'no pause');
      });

      it('send(), a pause, send(), reset(): the peer sees the socket close', async () => {
        const { connection, peer } = await connectionWithPeer(role);
        await connection.send(text('before '));
        await delay(30);
        await connection.send(text('after'));
        connection.reset();
        assert.equal((await closeOf(connection)).reason, 'reset');
        await assertPeerSawClose(peer, 'before after');
      });

      for (const [name, faults] of [
        ['a 10 ms drip', { dripIntervalMs: 10, after: 'reset' }],
        ['a 30 ms split', { splitInto: 2, splitDelayMs: 30, after: 'reset' }],
      ] as const) {
        it(`${name} then reset (fault helper): the peer sees the socket close`, async () => {
          const { connection, peer } = await connectionWithPeer(role);
          const result = await sendWithFaults(connection, text('drip drop'), faults);
          assert.equal(result.after, 'reset');
          assert.equal((await closeOf(connection)).reason, 'reset');
          await assertPeerSawClose(peer, 'drip drop');
        });
      }

      it('end() then reset() at once: our side closes and the peer is not left half-open', async () => {
        const { connection, peer } = await connectionWithPeer(role, { peerHalfOpen: true });
        await connection.send(text('bye'));
        connection.end();
        connection.reset();
        assert.equal((await closeOf(connection)).reason, 'reset');
        await waitUntil(() => peer.ending !== 'none', 'the peer to see our FIN');
        assert.equal(peer.ending, 'eof');
        assert.equal(peer.sink.text(), 'bye');
        assert.equal(await peer.writeFails(), true, 'our socket must be gone, not half-open');
      });
    });
  }

  it('a 10 ms drip then reset puts an RST on the wire: a peer reading the raw socket reports the reset', async () => {
    const { child, port } = await startPythonPeer(cleanup, 'readRecorder.py');
    const report = new Promise<{ reads: { hex: string }[]; end: string }>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no report from the peer: ${out}`)), 5000);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (!out.includes('\n')) return;
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, out.indexOf('\n'))) as { reads: { hex: string }[]; end: string });
      });
    });
    const connection = await Connection.connect({ host: '127.0.0.1', port });
    cleanup.add(() => connection.destroy());
    await sendWithFaults(connection, text('drip'), { dripIntervalMs: 10, after: 'reset' });
    const observed = await report;
    assert.equal(observed.end, 'reset');
    const received = Buffer.from(observed.reads.map((r) => r.hex).join(''), 'hex').toString('utf8');
    assert.ok('drip'.startsWith(received), `peer got ${JSON.stringify(received)}`);
  });

  it('accepted, half-open off: the peer ends, we answer with FIN, a reset right then still closes both sides', async () => {
    const { connection, peer } = await connectionWithPeer('accepted', { allowHalfOpen: false, peerHalfOpen: true });
    await connection.send(text('reply'));
    await waitUntil(() => peer.sink.length === 'reply'.length, 'the peer to read the reply');
    const resetOnPeerEnd = new Promise<void>((resolve) => {
      connection.onDidChangeState((state) => {
        if (state !== 'halfClosed') return;
        // The automatic end() runs right after this state change; reset right behind it, before
        // the FIN has gone out.
        queueMicrotask(() => {
          assert.equal(connection.localEnded, true);
          connection.reset();
          resolve();
        });
      });
    });
    peer.socket.end();
    await resetOnPeerEnd;
    assert.equal((await closeOf(connection)).reason, 'reset');
    await waitUntil(() => peer.ending !== 'none', 'the peer to see our FIN');
    assert.equal(peer.ending, 'eof');
    await peer.waitForClose();
  });
});

describe('a reset from the peer right behind its data', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  // libuv reads the data, sees the hang-up in the same poll and reports end of stream, as for a
  // FIN; the engine must still report what the wire did. Reading is held until the Python peer has
  // sent and reset, so data and RST are both waiting when we read: no race decides the outcome.
  for (const role of ['accepted', 'client'] as const) {
    for (const allowHalfOpen of [true, false]) {
      it(`${role}, half-open ${allowHalfOpen ? 'on' : 'off'}: the data is read and the close reason is reset, not peerEnded`, async () => {
        let connection: Connection;
        let peer: Awaited<ReturnType<typeof startPythonPeer>>;
        if (role === 'accepted') {
          const listener = await Listener.listen({ port: 0, allowHalfOpen });
          cleanup.add(() => listener.dispose());
          const accepted = nextEvent(listener.onDidAccept);
          peer = await startPythonPeer(cleanup, 'resetter.py', ['client', String(listener.address!.port), 'last words']);
          connection = await accepted;
        } else {
          peer = await startPythonPeer(cleanup, 'resetter.py', ['server', 'last words']);
          connection = await Connection.connect({ host: '127.0.0.1', port: peer.port, allowHalfOpen });
        }
        cleanup.add(() => connection.destroy());
        const hold = connection.holdReading('test');
        const sink = new ByteSink();
        connection.onDidReceive(sink.push);
        const states: string[] = [];
        connection.onDidChangeState((state) => states.push(state));
        const reset = new Promise<void>((resolve) => peer.child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('reset') && resolve()));
        peer.child.stdin.write('go\n');
        await reset;
        const closed = closeOf(connection);
        hold.dispose();
        const event = await closed;
        assert.equal(sink.text(), 'last words');
        assert.equal(event.reason, 'reset');
        assert.equal(event.error?.code, 'ECONNRESET');
        assert.ok(!states.includes('halfClosed'), `states ${states.join(' → ')}`);
        assert.equal(connection.remoteEnded, false);
      });
    }
  }

  it('bytes node read while reading was held are delivered and counted when a reset follows them', async () => {
    const listener = await Listener.listen({ port: 0 });
    cleanup.add(() => listener.dispose());
    const accepted = nextEvent(listener.onDidAccept);
    const peer = await startPythonPeer(cleanup, 'resetter.py', ['client', String(listener.address!.port), 'held bytes']);
    const connection = await accepted;
    cleanup.add(() => connection.destroy());
    const hold = connection.holdReading('test');
    const sink = new ByteSink();
    connection.onDidReceive(sink.push);
    const closed = closeOf(connection);
    // The gap lets node read the data into its stream buffer (a paused stream still reads up to its
    // high-water mark) before the RST fails the next read and destroys the stream.
    peer.child.stdin.write('go 100\n');
    const event = await closed;
    hold.dispose();
    assert.equal(event.reason, 'reset');
    assert.equal(sink.text(), 'held bytes');
    assert.equal(connection.totals.bytesIn, 'held bytes'.length);
    assert.deepEqual(connection.readHolds, []);
  });
});
