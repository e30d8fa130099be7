// Registry: ids, change events, snapshots, stopAll and dispose, on real loopback sockets.
import * as assert from 'node:assert/strict';
import { TcpError } from '../../src/core/errors';
import { Registry, type RegistryChange } from '../../src/core/registry';
import { Cleanup, nextEvent, rawClient, waitUntil } from './support/sockets';

describe('Registry', () => {
  const cleanup = new Cleanup();
  let registry: Registry;
  let changes: RegistryChange[];

  beforeEach(() => {
    registry = new Registry();
    changes = [];
    registry.onDidChange((change) => changes.push(change));
  });
  afterEach(async () => {
    await registry.stopAll();
    registry.dispose();
    await cleanup.run();
  });

  const has = (kind: RegistryChange['kind'], item: RegistryChange['item'], id: string): boolean =>
    changes.some((c) => c.kind === kind && c.item === item && c.id === id);

  it('applies its defaults to every listen and connect: log bounds, and closing on the peer\'s FIN', async () => {
    registry.setDefaults({ log: { maxRecords: 2 }, allowHalfOpen: false });
    const listener = await registry.listen({ port: 0 });
    const client = await rawClient(cleanup, listener.address!.port);
    await waitUntil(() => registry.connections().length === 1, 'the accepted connection to be registered');
    const accepted = registry.connections()[0];
    assert.equal(accepted.log.limits.maxRecords, 2);

    const outgoing = await registry.connect({ host: '127.0.0.1', port: listener.address!.port, log: { maxRecords: 5 } });
    assert.equal(outgoing.log.limits.maxRecords, 5, 'explicit options win over the defaults');

    client.end();
    const closed = await accepted.waitForClose();
    assert.equal(closed.reason, 'peerEnded', 'without half-open our side closes after the peer ends');
  });

  it('tracks a listener and its accepted connections with added/updated/removed events', async () => {
    const listener = await registry.listen({ port: 0 });
    assert.ok(has('added', 'listener', listener.id));
    assert.equal(registry.get(listener.id), listener);

    const client = await rawClient(cleanup, listener.address!.port);
    await waitUntil(() => registry.connections().length === 1, 'the accepted connection to be registered');
    const accepted = registry.connections()[0];
    assert.equal(accepted.listenerId, listener.id);
    assert.ok(has('added', 'connection', accepted.id));
    assert.ok(has('updated', 'listener', listener.id), 'the listener changed: it has a connection now');

    changes.length = 0;
    let totalsTicks = 0;
    const ticks = registry.onDidChangeTotals(() => totalsTicks++);
    for (let i = 0; i < 50; i++) client.write('ping');
    await waitUntil(() => accepted.totals.bytesIn === 200 && totalsTicks > 0, 'a totals tick for the traffic');
    ticks.dispose();
    assert.deepEqual(changes, [], 'traffic is not a membership change');
    assert.ok(totalsTicks <= 2, `traffic is reported a few times a second, not per chunk (${totalsTicks})`);

    changes.length = 0;
    client.destroy();
    await waitUntil(() => accepted.state === 'halfClosed', 'the FIN to arrive');
    assert.ok(has('updated', 'connection', accepted.id), 'a state change is an update');
    accepted.end();
    await waitUntil(() => has('closed', 'connection', accepted.id), 'the closed connection to move to the history');
    assert.equal(registry.getLive(accepted.id), undefined);
    assert.equal(registry.get(accepted.id), accepted, 'a closed connection stays reachable from the history');
    assert.deepEqual(registry.closedConnections(listener.id), [accepted]);
    assert.equal(accepted.totals.bytesIn, 200, 'a closed connection keeps its log and totals');

    await listener.stop();
    assert.ok(has('closed', 'listener', listener.id));
    assert.deepEqual(registry.listeners(), []);
    assert.deepEqual(registry.stoppedListeners(), [listener]);
    assert.equal(listener.totals.bytesIn, 200, "a listener's totals include clients that left");
  });

  it('registers outgoing connections and snapshots everything as plain data', async () => {
    const listener = await registry.listen({ port: 0 });
    const client = await registry.connect({ host: '127.0.0.1', port: listener.address!.port });
    await waitUntil(() => registry.connections().length === 2, 'both ends registered');
    await client.send(Buffer.from('12345'));
    const accepted = registry.connections().find((c) => c.role === 'accepted')!;
    await waitUntil(() => accepted.totals.bytesIn === 5, 'the bytes to arrive');

    const snapshot = registry.snapshot();
    assert.equal(snapshot.listeners.length, 1);
    assert.deepEqual(snapshot.listeners[0], {
      id: listener.id,
      host: '127.0.0.1',
      requestedPort: 0,
      address: listener.address,
      listening: true,
      connectionIds: [accepted.id],
      closedConnectionIds: [],
      totals: { bytesIn: 5, bytesOut: 0, messagesIn: 1, messagesOut: 0 },
      acceptedCount: 1,
      startedAt: listener.startedAt,
    });
    const clientInfo = snapshot.connections.find((c) => c.id === client.id)!;
    assert.equal(clientInfo.role, 'client');
    assert.equal(clientInfo.state, 'open');
    assert.deepEqual(clientInfo.totals, { bytesIn: 0, bytesOut: 5, messagesIn: 0, messagesOut: 1 });
    assert.deepEqual(clientInfo.remote, listener.address);
    // A snapshot is a copy: later traffic does not change it.
    await client.send(Buffer.from('6'));
    assert.equal(clientInfo.totals.bytesOut, 5);
    assert.equal(JSON.stringify(JSON.parse(JSON.stringify(snapshot))), JSON.stringify(snapshot), 'plain JSON-safe data');
  });

  it('keeps closed connections within the count and byte budget, oldest forgotten first, and reconnects outgoing ones', async () => {
    registry.setDefaults({ allowHalfOpen: false });
    registry.setHistoryLimits({ maxClosed: 3, maxBytes: 10_000 });
    const listener = await registry.listen({ port: 0 });
    const port = listener.address!.port;
    for (let i = 0; i < 5; i++) {
      const client = await rawClient(cleanup, port);
      client.end(`visitor ${i}`);
      await waitUntil(() => listener.acceptedCount === i + 1 && listener.connections.length === 0, `visitor ${i} to leave`);
    }
    const kept = registry.closedConnections(listener.id);
    assert.equal(kept.length, 3, 'the count limit holds');
    assert.deepEqual(kept.map((c) => Buffer.from(c.log.records()[0].bytes).toString()), ['visitor 2', 'visitor 3', 'visitor 4']);
    assert.equal(changes.filter((c) => c.kind === 'removed' && c.item === 'connection').length, 2, 'each forgotten one is announced');
    assert.deepEqual(listener.totals, { bytesIn: 45, bytesOut: 0, messagesIn: 5, messagesOut: 0 }, 'totals count every client, forgotten or not');

    // One byte budget over every retained log: a big one pushes the older ones out.
    const big = await rawClient(cleanup, port);
    big.end(Buffer.alloc(9_995, 1));
    await waitUntil(() => listener.acceptedCount === 6 && listener.connections.length === 0 && registry.closedConnections(listener.id).length <= 2, 'the budget to apply');
    const retained = registry.closedConnections(listener.id).reduce((n, c) => n + c.log.retained.bytes, 0);
    assert.ok(retained <= 10_000, `${retained} bytes retained`);

    const outgoing = await registry.connect({ host: '127.0.0.1', port, timeoutMs: 2000 });
    outgoing.destroy();
    await outgoing.waitForClose();
    const again = await registry.reconnect(outgoing.id);
    assert.notEqual(again.id, outgoing.id);
    assert.deepEqual(again.remote, outgoing.remote);
    assert.equal(again.state, 'open');
    await assert.rejects(registry.reconnect(kept[2].id), (e: TcpError) => e.code === 'NOT_RECONNECTABLE');

    registry.clearHistory(listener.id);
    assert.deepEqual(registry.closedConnections(listener.id), []);
    assert.ok(registry.remove(outgoing.id));
    assert.equal(registry.get(outgoing.id), undefined);
  });

  it('gives short distinct ids', async () => {
    const a = await registry.listen({ port: 0 });
    const b = await registry.listen({ port: 0 });
    const c = await registry.connect({ host: '127.0.0.1', port: a.address!.port });
    assert.match(a.id, /^L\d+$/);
    assert.match(c.id, /^C\d+$/);
    assert.notEqual(a.id, b.id);
  });

  it('does not register a failed connect', async () => {
    const listener = await registry.listen({ port: 0 });
    const port = listener.address!.port;
    await listener.stop();
    changes.length = 0;
    await assert.rejects(registry.connect({ host: '127.0.0.1', port }), TcpError);
    assert.deepEqual(changes, []);
    assert.deepEqual(registry.connections(), []);
  });

  it('stopAll() closes every listener and connection', async () => {
    const listener = await registry.listen({ port: 0 });
    const client = await registry.connect({ host: '127.0.0.1', port: listener.address!.port });
    await waitUntil(() => registry.connections().length === 2, 'both ends registered');
    const accepted = registry.connections().find((c) => c.role === 'accepted')!;
    await registry.stopAll();
    assert.equal(listener.listening, false);
    assert.equal(client.state, 'closed');
    assert.equal(accepted.state, 'closed');
    assert.deepEqual(registry.listeners(), []);
    assert.deepEqual(registry.connections(), []);
    const snapshot = registry.snapshot();
    assert.ok(snapshot.listeners.every((l) => !l.listening) && snapshot.connections.every((c) => c.state === 'closed'), 'only history is left');
  });

  it('dispose() closes every socket and refuses new work with one sentence', async () => {
    const listener = await registry.listen({ port: 0 });
    const client = await registry.connect({ host: '127.0.0.1', port: listener.address!.port });
    registry.dispose();
    await nextEvent(client.onDidClose);
    assert.equal(listener.listening, false);
    await assert.rejects(registry.listen({ port: 0 }), (e: TcpError) => e.code === 'DISPOSED');
  });
});
