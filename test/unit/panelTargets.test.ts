// TCP: Open Traffic Panel's choices and the tree's in-place refresh, from real registries on loopback.
import * as assert from 'node:assert/strict';
import { panelTargetPicks } from '../../src/app/panelTargets';
import { Registry } from '../../src/core/registry';
import { projectTree, updateInPlace } from '../../src/app/treeModel';
import { Cleanup, rawClient, waitUntil } from './support/sockets';

describe('Open Traffic Panel choices and tree refreshes', () => {
  const cleanup = new Cleanup();
  let registry: Registry;

  beforeEach(() => {
    registry = new Registry();
    registry.setDefaults({ allowHalfOpen: false });
  });
  afterEach(async () => {
    await registry.stopAll();
    registry.dispose();
    await cleanup.run();
  });

  it('offers live targets first, then recent ones, newest first, with peers and byte counts, and the forms last', async () => {
    const older = await registry.listen({ port: 0 });
    const gone = await rawClient(cleanup, older.address!.port);
    gone.end('bye');
    await waitUntil(() => registry.closedConnections(older.id).length === 1, 'the client to leave');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const newer = await registry.listen({ port: 0 });
    const staying = await rawClient(cleanup, newer.address!.port);
    staying.write('hi');
    await waitUntil(() => newer.connections[0]?.totals.bytesIn === 2, 'the bytes');

    const picks = panelTargetPicks(registry.snapshot());
    assert.deepEqual(picks.map((p) => [p.targetId, p.live]), [
      [newer.id, true],
      [newer.connections[0].id, true],
      [older.id, true],
      [registry.closedConnections(older.id)[0].id, false],
      [undefined, false],
    ]);
    assert.match(picks[0].description, /^listening · 1 open, 1 accepted · ↓2 B ↑0 B$/);
    assert.match(picks[0].detail ?? '', new RegExp(`peers: 127\\.0\\.0\\.1:${staying.localPort}`));
    assert.match(picks[3].description, /closed by peer \(FIN\) · ↓3 B/);
    assert.equal(picks.at(-1)?.label, 'New listener or connection…');
  });

  it('refreshes rows in place while their text changes, and refreshes only the parent when rows come or go', async () => {
    const listener = await registry.listen({ port: 0 });
    const client = await rawClient(cleanup, listener.address!.port);
    await waitUntil(() => listener.connections.length === 1, 'the client');
    const before = projectTree(registry.snapshot(), [], Date.now());
    const row = before.byId.get(`connection:${listener.connections[0].id}`)!;
    client.write('12345');
    await waitUntil(() => listener.connections[0].totals.bytesIn === 5, 'the bytes');
    const staleTooltips = new Set<string>();
    const changed = updateInPlace(before, projectTree(registry.snapshot(), [], Date.now()), staleTooltips);
    assert.ok(changed?.includes(row), 'the same node object is updated, so VS Code keeps its element');
    assert.match(row.description ?? '', /^↓5 B/);
    // The listener's totals are in its tooltip alone: it is not refreshed (that redraws its clients), only marked.
    const listenerId = `listener:${listener.id}`;
    assert.ok(!changed?.some((node) => node.id === listenerId), 'a tooltip change alone refreshes no row');
    assert.deepEqual([...staleTooltips], [listenerId]);
    assert.match(before.byId.get(listenerId)?.tooltip ?? '', /Received 5 bytes in 1 chunks/, 'the tooltip the view asks for is current');

    const second = await rawClient(cleanup, listener.address!.port);
    await waitUntil(() => listener.connections.length === 2, 'a second client');
    const listenerRow = before.byId.get(`listener:${listener.id}`)!;
    const joined = updateInPlace(before, projectTree(registry.snapshot(), [], Date.now()), staleTooltips);
    assert.ok(joined?.includes(listenerRow), 'the listener row is refreshed, so VS Code asks for its children again');
    assert.equal(staleTooltips.size, 0, 'the refresh brought the listener its tooltip');
    const secondId = `connection:${listener.connections[1].id}`;
    assert.deepEqual(new Set(listenerRow.children.map((child) => child.id)), new Set([row.id, secondId]));
    assert.ok(listenerRow.children.includes(row), 'a row that stays keeps its object');
    assert.ok(before.byId.has(secondId), 'the new row is found by id');

    // The second client leaves: its row stays (history) with a closed connection's menu.
    second.end();
    await waitUntil(() => registry.closedConnections(listener.id).length === 1, 'the client to close');
    const closedRow = before.byId.get(secondId)!;
    const closed = updateInPlace(before, projectTree(registry.snapshot(), [], Date.now()));
    assert.ok(closed !== undefined, 'a connection closing is no full refresh');
    assert.ok(closed.includes(closedRow) && /^closed/.test(closedRow.contextValue), `the closed row is refreshed with its new menu (${closedRow.contextValue})`);
  });
});
