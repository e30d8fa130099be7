// Listener on real loopback sockets: binding, many clients, the connection cap, stopping, address
// families and the port-in-use sentence.
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { Connection } from '../../src/core/connection';
import { TcpError } from '../../src/core/errors';
import { Listener, type ListenOptions } from '../../src/core/listener';
import type { Endpoint } from '../../src/core/types';
import { ByteSink, Cleanup, nextEvent, rawClient, waitUntil } from './support/sockets';

/** Whether this machine can bind ::1 at all (containers sometimes disable IPv6). */
async function ipv6LoopbackAvailable(): Promise<boolean> {
  try {
    const probe = await Listener.listen({ host: '::1', port: 0 });
    await probe.stop();
    return true;
  } catch {
    return false;
  }
}

describe('Listener', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  async function listen(options: ListenOptions): Promise<Listener> {
    const listener = await Listener.listen(options);
    cleanup.add(() => listener.stop({ closeConnections: true }));
    return listener;
  }

  it('binds 127.0.0.1 by default, picks a free port for 0 and reports where it listens', async () => {
    const listener = await listen({ port: 0 });
    assert.match(listener.id, /^L\d+$/);
    assert.equal(listener.host, '127.0.0.1');
    assert.equal(listener.requestedPort, 0);
    assert.equal(listener.listening, true);
    assert.equal(listener.address?.address, '127.0.0.1');
    assert.equal(listener.address?.family, 'IPv4');
    assert.ok(listener.address!.port > 0 && listener.address!.port <= 65535);
    // The reported port really is the one listening.
    const socket = await rawClient(cleanup, listener.address!.port);
    assert.equal(socket.remotePort, listener.address!.port);
  });

  it('accepts 50 concurrent clients and keeps each one’s bytes apart', async () => {
    const listener = await listen({ port: 0 });
    const sinks = new Map<Connection, ByteSink>();
    listener.onDidAccept((connection) => {
      const sink = new ByteSink();
      sinks.set(connection, sink);
      connection.onDidReceive(sink.push);
    });
    const clients = await Promise.all(Array.from({ length: 50 }, () => rawClient(cleanup, listener.address!.port)));
    await waitUntil(() => listener.connections.length === 50, '50 accepted connections');
    clients.forEach((socket, i) => socket.write(`client ${i}`));
    await waitUntil(() => [...sinks.values()].every((sink) => sink.length > 0 && sink.text().length === `client ${Number(sink.text().slice(7))}`.length), 'every client to be heard');
    const heard = [...sinks.values()].map((sink) => sink.text()).sort();
    assert.deepEqual(heard, Array.from({ length: 50 }, (_, i) => `client ${i}`).sort());
    // Each accepted connection's remote port is one of the clients' local ports.
    const clientPorts = new Set(clients.map((socket) => socket.localPort));
    assert.ok(listener.connections.every((connection) => clientPorts.has(connection.remote!.port)));
  });

  it('closes peers beyond maxConnections at once and reports them', async () => {
    const listener = await listen({ port: 0, maxConnections: 2 });
    const rejected: Endpoint[] = [];
    listener.onDidReject((peer) => rejected.push(peer));
    await rawClient(cleanup, listener.address!.port);
    await rawClient(cleanup, listener.address!.port);
    await waitUntil(() => listener.connections.length === 2, 'two accepted');
    const third = await rawClient(cleanup, listener.address!.port);
    const thirdPort = third.localPort;
    await once(third, 'close');
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0].port, thirdPort);
    assert.equal(rejected[0].address, '127.0.0.1');
    assert.equal(listener.connections.length, 2);

    // Once a slot frees up, a new peer is accepted again.
    listener.connections[0].destroy();
    await waitUntil(() => listener.connections.length === 1, 'one slot free');
    await rawClient(cleanup, listener.address!.port);
    await waitUntil(() => listener.connections.length === 2, 'the new peer accepted');
    assert.equal(rejected.length, 1);
  });

  it('says which port is in use and what to do', async () => {
    const first = await listen({ port: 0 });
    const port = first.address!.port;
    await assert.rejects(Listener.listen({ port }), (err: TcpError) => {
      assert.ok(err instanceof TcpError);
      assert.equal(err.code, 'EADDRINUSE');
      assert.equal(err.message, `Port ${port} on 127.0.0.1 is already in use; stop the program using it or choose another port (0 picks a free one).`);
      return true;
    });
  });

  it('says when the address does not belong to this machine (bind only, no packet leaves)', async function () {
    // 192.0.2.1 is reserved for documentation (TEST-NET-1), so no real machine owns it.
    const outcome = await Listener.listen({ host: '192.0.2.1', port: 0 }).then(
      async (listener) => {
        await listener.stop();
        return undefined;
      },
      (err: unknown) => err,
    );
    if (outcome === undefined) this.skip(); // this machine really has that address
    assert.ok(outcome instanceof TcpError);
    assert.equal(outcome.code, 'EADDRNOTAVAIL');
    assert.equal(
      outcome.message,
      "Address 192.0.2.1 does not belong to this machine, so port 0 cannot be opened on it; choose one of this machine's addresses such as 127.0.0.1, ::1 or 0.0.0.0.",
    );
  });

  it('says when a privileged port needs privileges', async function () {
    if (process.getuid?.() === 0 || process.platform === 'win32') this.skip(); // root (or Windows) may bind low ports
    await assert.rejects(Listener.listen({ port: 1 }), (err: TcpError) => {
      assert.equal(err.code, 'EACCES');
      assert.match(err.message, /^Permission denied to listen on port 1 on 127\.0\.0\.1; choose a port above 1023/);
      return true;
    });
  });

  it('rejects invalid host, port and maxConnections with one sentence each', async () => {
    await assert.rejects(Listener.listen({ port: -1 }), (e: TcpError) => e.code === 'INVALID_PORT');
    await assert.rejects(Listener.listen({ port: 1.5 }), (e: TcpError) => e.code === 'INVALID_PORT');
    await assert.rejects(Listener.listen({ host: 'not a host', port: 0 }), (e: TcpError) => e.code === 'INVALID_HOST');
    await assert.rejects(Listener.listen({ port: 0, maxConnections: -3 }), (e: TcpError) => e.code === 'INVALID_MAX_CONNECTIONS');
  });

  it('stop() keeps accepted connections open unless asked to close them', async () => {
    const listener = await listen({ port: 0 });
    const client = await rawClient(cleanup, listener.address!.port);
    await waitUntil(() => listener.connections.length === 1, 'accepted');
    const accepted = listener.connections[0];
    const stopped = nextEvent(listener.onDidStop);
    await listener.stop();
    await stopped;
    assert.equal(listener.listening, false);
    assert.equal(accepted.state, 'open');
    const sink = new ByteSink();
    client.on('data', sink.push);
    await accepted.send(Buffer.from('still here'));
    await waitUntil(() => sink.length === 10, 'the kept connection to deliver');
    // New peers are no longer accepted.
    await assert.rejects(rawClient(cleanup, listener.address!.port), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');

    await listener.stop({ closeConnections: true });
    assert.equal(accepted.state, 'closed');
    assert.equal(accepted.closeReason, 'local');
    assert.equal(listener.connections.length, 0);
  });

  it('with allowHalfOpen false, answers a peer FIN by closing (reason peerEnded)', async () => {
    const listener = await listen({ port: 0, allowHalfOpen: false });
    const client = await rawClient(cleanup, listener.address!.port, '127.0.0.1', true);
    await waitUntil(() => listener.connections.length === 1, 'accepted');
    const accepted = listener.connections[0];
    const closed = nextEvent(accepted.onDidClose);
    client.end();
    assert.equal((await closed).reason, 'peerEnded');
    await once(client, 'end');
  });

  it('broadcasts to every open client', async () => {
    const listener = await listen({ port: 0 });
    const clients = await Promise.all([1, 2, 3].map(() => rawClient(cleanup, listener.address!.port)));
    await waitUntil(() => listener.connections.length === 3, 'three accepted');
    const sinks = clients.map((socket) => {
      const sink = new ByteSink();
      socket.on('data', sink.push);
      return sink;
    });
    await listener.broadcast(Buffer.from('all'));
    await waitUntil(() => sinks.every((sink) => sink.text() === 'all'), 'every client to get the broadcast');
  });

  it('reports a peer reset as reason reset on the accepted connection', async () => {
    const listener = await listen({ port: 0 });
    const client: Socket = await rawClient(cleanup, listener.address!.port);
    await waitUntil(() => listener.connections.length === 1, 'accepted');
    const closed = nextEvent(listener.connections[0].onDidClose);
    client.resetAndDestroy();
    assert.equal((await closed).reason, 'reset');
  });

  describe('IPv6', () => {
    before(async function () {
      if (!(await ipv6LoopbackAvailable())) this.skip(); // no IPv6 loopback on this machine
    });

    it('listens on ::1 and accepts an IPv6 client', async () => {
      const listener = await listen({ host: '::1', port: 0 });
      assert.deepEqual(listener.address, { address: '::1', family: 'IPv6', port: listener.address!.port });
      await rawClient(cleanup, listener.address!.port, '::1');
      await waitUntil(() => listener.connections.length === 1, 'accepted');
      assert.equal(listener.connections[0].remote?.family, 'IPv6');
      assert.equal(listener.connections[0].remote?.address, '::1');
    });

    it('connects a Connection to [::1] and reports IPv6 endpoints on both sides', async () => {
      const listener = await listen({ host: '::1', port: 0 });
      const accepted = nextEvent(listener.onDidAccept);
      const client = await Connection.connect({ host: '[::1]', port: listener.address!.port });
      cleanup.add(() => client.destroy());
      assert.deepEqual(client.remote, { address: '::1', family: 'IPv6', port: listener.address!.port });
      assert.deepEqual((await accepted).remote, client.local);
      assert.deepEqual((await accepted).local, client.remote);
      assert.equal(client.label, `[::1]:${listener.address!.port}`);
    });

    it('listens on :: with ipv6Only and then refuses IPv4 peers', async () => {
      const listener = await listen({ host: '::', port: 0, ipv6Only: true });
      assert.equal(listener.address?.family, 'IPv6');
      await rawClient(cleanup, listener.address!.port, '::1');
      await assert.rejects(rawClient(cleanup, listener.address!.port, '127.0.0.1'), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
    });

    it('listens on :: (dual stack) and sees IPv4 peers as mapped addresses', async () => {
      const listener = await listen({ host: '::', port: 0 });
      await rawClient(cleanup, listener.address!.port, '127.0.0.1');
      await waitUntil(() => listener.connections.length === 1, 'accepted');
      assert.equal(listener.connections[0].remote?.address, '::ffff:127.0.0.1');
      // A wildcard listener's sockets report the address the peer actually reached, not '::'.
      assert.deepEqual(listener.connections[0].local, { address: '::ffff:127.0.0.1', family: 'IPv6', port: listener.address!.port });
    });
  });
});
