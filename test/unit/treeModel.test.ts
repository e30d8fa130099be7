import * as assert from 'node:assert/strict';
import { Registry } from '../../src/core/registry';
import { waitUntil as waitFor } from './support/sockets';
import { Throttle } from '../../src/app/throttle';
import { formatBytes } from '../../src/shared/formatBytes';
import { formatAge, GROUP_IDS, projectTree, type PresetEntry, type TreeModel, type TreeNode } from '../../src/app/treeModel';

function node(model: TreeModel, id: string): TreeNode {
  const found = model.byId.get(id);
  assert.ok(found, `no node ${id}; have ${[...model.byId.keys()].join(', ')}`);
  return found;
}

/** The node showing a registry item, found the way commands find it: by its registry id. */
function byTarget(model: TreeModel, targetId: string): TreeNode {
  const found = [...model.byId.values()].find((n) => n.targetId === targetId);
  assert.ok(found, `no node for ${targetId}`);
  return found;
}

const presetEntries: PresetEntry[] = [
  {
    preset: { name: 'Device', kind: 'client', host: 'plc.local', port: 502, payloads: [{ name: 'hello', format: 'text', data: 'HELLO' }, { name: 'ping', format: 'hex', data: '01 02' }] },
    origin: 'workspace',
    restricted: true,
  },
  { preset: { name: 'Echo', kind: 'listener', host: '127.0.0.1', port: 0 }, origin: 'user', restricted: false },
];

describe('Connections tree model', () => {
  let registry: Registry;

  beforeEach(() => {
    registry = new Registry();
  });

  afterEach(async () => {
    await registry.stopAll();
    registry.dispose();
  });

  it('is empty with nothing open and no presets, so the welcome view shows', () => {
    const model = projectTree(registry.snapshot(), [], Date.now());
    assert.deepEqual(model.roots, []);
  });

  it('projects a real listener, its accepted client and the outgoing connection', async () => {
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const port = listener.address?.port;
    assert.ok(port && port > 0);
    const idle = projectTree(registry.snapshot(), [], Date.now());
    assert.equal(byTarget(idle, listener.id).description, 'listening · no clients');
    assert.equal(byTarget(idle, listener.id).collapsible, 'expanded');
    assert.deepEqual(byTarget(idle, listener.id).children.map((c) => [c.contextValue, c.label]), [['placeholder', 'waiting for clients…']]);
    assert.equal(node(idle, GROUP_IDS.clients).description, 'none');

    const client = await registry.connect({ host: '127.0.0.1', port });
    await waitFor(() => registry.connections().length === 2, 'the accepted connection');
    const accepted = registry.connections().find((c) => c.role === 'accepted');
    assert.ok(accepted);

    const model = projectTree(registry.snapshot(), [], Date.now());
    assert.deepEqual(model.roots.map((r) => [r.label, r.description]), [['Listeners', '1 listener'], ['Clients', '1 connection']]);

    const listenerNode = byTarget(model, listener.id);
    assert.equal(listenerNode.label, `127.0.0.1:${port}`);
    assert.equal(listenerNode.description, 'listening · 1 client');
    assert.equal(listenerNode.contextValue, 'listener');
    assert.equal(listenerNode.targetId, listener.id);
    assert.equal(listenerNode.icon, 'radio-tower');
    assert.equal(listenerNode.collapsible, 'expanded');
    // One id for the listener's life: an inline action clicked while the row refreshes still finds it.
    assert.equal(listenerNode.id, byTarget(idle, listener.id).id);

    // The accepted side's peer is the client's local endpoint.
    const acceptedNode = node(model, `connection:${accepted.id}`);
    assert.equal(acceptedNode.label, `127.0.0.1:${client.local?.port}`);
    assert.equal(acceptedNode.contextValue, 'connection');
    assert.match(acceptedNode.description ?? '', /^↓0 B ↑0 B · \ds$/);
    assert.deepEqual(listenerNode.children.map((c) => c.id), [acceptedNode.id]);

    const clientNode = node(model, `client:${client.id}`);
    assert.equal(clientNode.label, `127.0.0.1:${port}`);
    assert.equal(clientNode.description, 'open · ↓0 B ↑0 B');
    assert.equal(clientNode.contextValue, 'client');
    assert.equal(clientNode.color, 'charts.green');

    // Parents let VS Code reveal a node.
    assert.equal(acceptedNode.parentId, listenerNode.id);
    assert.equal(listenerNode.parentId, GROUP_IDS.listeners);
    assert.equal(clientNode.parentId, GROUP_IDS.clients);
  });

  it('shows exact byte counts in both directions after real traffic', async () => {
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const client = await registry.connect({ host: '127.0.0.1', port: listener.address!.port });
    await waitFor(() => listener.connections.length === 1, 'the accepted connection');
    const accepted = listener.connections[0];

    await client.send(new TextEncoder().encode('hello'));
    await accepted.send(new Uint8Array(1500));
    await waitFor(() => accepted.totals.bytesIn === 5 && client.totals.bytesIn === 1500, 'both directions to arrive');

    const model = projectTree(registry.snapshot(), [], Date.now());
    assert.match(node(model, `connection:${accepted.id}`).description ?? '', /^↓5 B ↑1\.5 KiB · /);
    assert.equal(node(model, `client:${client.id}`).description, 'open · ↓1.5 KiB ↑5 B');
    assert.match(node(model, `client:${client.id}`).tooltip, /Received 1500 bytes .* sent 5 bytes/);
  });

  it('shows a half-closed peer, then drops closed connections and updates the client count', async () => {
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const first = await registry.connect({ host: '127.0.0.1', port: listener.address!.port });
    await registry.connect({ host: '127.0.0.1', port: listener.address!.port });
    await waitFor(() => listener.connections.length === 2, 'two accepted connections');
    assert.equal(byTarget(projectTree(registry.snapshot(), [], Date.now()), listener.id).description, 'listening · 2 clients');
    const firstAccepted = listener.connections.find((c) => c.remote?.port === first.local?.port);
    assert.ok(firstAccepted);

    // Closing our client sends FIN: the accepted end stays, half-closed, until it is closed too.
    first.destroy();
    await waitFor(() => firstAccepted.state === 'halfClosed', 'the FIN to reach the accepted end');
    let model = projectTree(registry.snapshot(), [], Date.now());
    const closedClient = node(model, `client:${first.id}`);
    assert.equal(closedClient.contextValue, 'closedClient', 'a closed outgoing connection stays, and can reconnect');
    assert.match(closedClient.description ?? '', /^closed by you · \d+s ago · ↓0 B ↑0 B$/);
    assert.equal(node(model, GROUP_IDS.clients).description, '1 connection · 1 closed');
    const halfClosed = node(model, `connection:${firstAccepted.id}`);
    assert.match(halfClosed.description ?? '', /^half-closed · ↓0 B ↑0 B · /);
    assert.equal(halfClosed.icon, 'debug-pause');

    firstAccepted.destroy();
    await waitFor(() => listener.connections.length === 1, 'the accepted end to close');
    model = projectTree(registry.snapshot(), [], Date.now());
    assert.equal(byTarget(model, listener.id).description, 'listening · 1 client · 1 closed');
    const closed = node(model, `connection:${firstAccepted.id}`);
    assert.equal(closed.contextValue, 'closedConnection');
    assert.equal(closed.icon, 'debug-disconnect');
    assert.equal(closed.parentId, `listener:${listener.id}`, 'a closed client stays under its listener');
    assert.equal(byTarget(model, listener.id).children.at(-1)?.id, closed.id, 'open clients first, then closed ones');
  });

  it('brackets IPv6 endpoints', async function () {
    let listener;
    try {
      listener = await registry.listen({ host: '::1', port: 0 });
    } catch {
      this.skip(); // No IPv6 loopback on this machine.
    }
    const client = await registry.connect({ host: '::1', port: listener.address!.port });
    const model = projectTree(registry.snapshot(), [], Date.now());
    assert.equal(byTarget(model, listener.id).label, `[::1]:${listener.address!.port}`);
    assert.equal(node(model, `client:${client.id}`).label, `[::1]:${listener.address!.port}`);
  });

  it('lists presets with their payloads and marks restricted ones', () => {
    const model = projectTree(registry.snapshot(), presetEntries, Date.now());
    assert.deepEqual(model.roots.map((r) => r.label), ['Listeners', 'Clients', 'Presets']);
    const device = node(model, 'preset:Device');
    assert.equal(device.contextValue, 'preset');
    assert.equal(device.description, 'client plc.local:502 · Restricted Mode');
    assert.equal(device.icon, 'shield');
    assert.match(device.tooltip, /not trusted/);
    assert.deepEqual(device.children.map((c) => [c.label, c.description, c.contextValue, c.payloadIndex]), [
      ['hello', 'text', 'presetPayload', 0],
      ['ping', 'hex', 'presetPayload', 1],
    ]);
    assert.equal(device.children[1].parentId, device.id);
    const echo = node(model, 'preset:Echo');
    assert.equal(echo.description, 'listener 127.0.0.1:0');
    assert.equal(echo.collapsible, 'none');
  });

  it('calls what a preset started by the preset name, with the address in the description', async () => {
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const port = listener.address!.port;
    const client = await registry.connect({ host: '127.0.0.1', port });
    await waitFor(() => listener.connections.length === 1, 'the accepted connection');
    const names = new Map([[listener.id, 'Echo'], [client.id, 'Device']]);
    const model = projectTree(registry.snapshot(), presetEntries, Date.now(), { presetNames: names });
    const listenerRow = byTarget(model, listener.id);
    assert.equal(listenerRow.label, 'Echo');
    assert.equal(listenerRow.description, `127.0.0.1:${port} · listening · 1 client`);
    assert.match(listenerRow.tooltip, /^Started from preset "Echo"\nListener /);
    const clientRow = byTarget(model, client.id);
    assert.equal(clientRow.label, 'Device');
    assert.match(clientRow.description ?? '', new RegExp(`^127\\.0\\.0\\.1:${port} · open · `));
    // The accepted side was not started from a preset: it keeps its address.
    const accepted = byTarget(model, listener.connections[0].id);
    assert.match(accepted.label, /^127\.0\.0\.1:\d+$/);
    // Closed, the row keeps the name (it stays in the history under the same id).
    client.destroy();
    await client.waitForClose();
    await waitFor(() => registry.snapshot().connections.some((c) => c.id === client.id && c.state === 'closed'), 'the client to close');
    const closed = byTarget(projectTree(registry.snapshot(), presetEntries, Date.now(), { presetNames: names }), client.id);
    assert.equal(closed.label, 'Device');
    assert.equal(closed.id, clientRow.id);
  });

  it('keeps broken presets visible with a warning icon and the reason, each by its place in the settings', () => {
    const reason = 'Preset "PLC": "port" must be a whole number from 1 to 65535, but is "abc".';
    const model = projectTree(registry.snapshot(), presetEntries, Date.now(), {
      brokenPresets: [
        { name: 'PLC', origin: 'workspace', index: 2, reason },
        { name: 'PLC', origin: 'user', index: 0, reason },
        { name: 'Entry 4', origin: 'workspace', index: 3, reason: 'Entry 4 of tcpLab.presets has no "name"; give the preset a non-empty name.' },
      ],
    });
    const presets = node(model, GROUP_IDS.presets);
    assert.equal(presets.description, '2 presets · 3 with problems');
    assert.deepEqual(presets.children.map((c) => c.label), ['Device', 'Echo', 'PLC', 'PLC', 'Entry 4']);
    const plc = node(model, 'brokenPreset:workspace:2');
    assert.equal(plc.contextValue, 'brokenPreset');
    assert.equal(plc.icon, 'warning');
    assert.equal(plc.color, 'list.warningForeground');
    assert.equal(plc.description, reason);
    assert.match(plc.tooltip, /^Preset "PLC": "port".*\nEntry 3 of tcpLab.presets in the workspace settings; it starts nothing until it is fixed\.$/);
    assert.equal(plc.presetName, undefined, 'no Start or Send action reaches a broken preset');
    assert.ok(node(model, 'brokenPreset:user:0'));
    // Only broken presets and nothing open: the tree still shows them instead of the welcome view.
    const onlyBroken = projectTree(registry.snapshot(), [], Date.now(), { brokenPresets: [{ name: 'PLC', origin: 'user', index: 0, reason }] });
    assert.deepEqual(onlyBroken.roots.map((r) => r.label), ['Listeners', 'Clients', 'Presets']);
  });

  it('coalesces a flood of registry changes into a few refreshes that end on exact totals', async () => {
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const client = await registry.connect({ host: '127.0.0.1', port: listener.address!.port });
    await waitFor(() => listener.connections.length === 1, 'the accepted connection');
    const accepted = listener.connections[0];

    let changes = 0;
    const renders: TreeModel[] = [];
    const throttle = new Throttle(() => renders.push(projectTree(registry.snapshot(), [], Date.now())), 250);
    const subscriptions = [registry.onDidChange(() => throttle.trigger()), registry.onDidChangeTotals(() => {
      changes++;
      throttle.trigger();
    })];
    try {
      const started = Date.now();
      const chunk = new Uint8Array(64);
      for (let i = 0; i < 400; i++) await client.send(chunk);
      await waitFor(() => accepted.totals.bytesIn === 400 * 64, 'every byte to arrive');
      const elapsed = Date.now() - started;
      // Let the trailing refresh run.
      await new Promise((resolve) => setTimeout(resolve, 300));

      assert.ok(changes >= 1 && changes <= Math.ceil(elapsed / 250) + 2, `the registry reports traffic a few times a second, not per chunk: ${changes} in ${elapsed} ms`);
      assert.ok(renders.length <= Math.ceil(elapsed / 250) + 2, `${renders.length} renders in ${elapsed} ms`);
      const last = renders[renders.length - 1];
      assert.equal(node(last, `client:${client.id}`).description, `open · ↓0 B ↑${formatBytes(400 * 64)}`);
    } finally {
      for (const subscription of subscriptions) subscription.dispose();
      throttle.dispose();
    }
  });
});

describe('tree formatting', () => {
  it('formats byte counts exactly below 1 KiB and compactly above', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1.0 KiB');
    assert.equal(formatBytes(25600), '25 KiB');
    assert.equal(formatBytes(5 * 1024 * 1024), '5.0 MiB');
  });

  it('formats ages', () => {
    assert.equal(formatAge(-5), '0s');
    assert.equal(formatAge(59_999), '59s');
    assert.equal(formatAge(61_000), '1m', 'whole minutes past the first, so a row changes once a minute');
    assert.equal(formatAge(59 * 60_000 + 59_000), '59m');
    assert.equal(formatAge(3_600_000 + 120_000), '1h 2m');
    assert.equal(formatAge(50 * 3_600_000), '2d 2h');
  });
});
