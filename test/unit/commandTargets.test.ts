// What the command files share without the editor: the target memory, the sole open item, which
// items a preset started or sits at, and what Save as Preset records — on a real registry.
import * as assert from 'node:assert/strict';
import { Registry } from '../../src/core/registry';
import { PresetStarts, hasMockBehaviour, openAtPresetAddress, presetBaseOf, suggestPresetName } from '../../src/app/presetStarts';
import { TargetMemory } from '../../src/app/targetMemory';
import { soleItem } from '../../src/app/targets';
import type { Preset } from '../../src/shared/preset';
import { waitUntil } from './support/sockets';

describe('command targets', () => {
  let registry: Registry;
  beforeEach(() => {
    registry = new Registry();
  });
  afterEach(async () => {
    await registry.stopAll();
    registry.dispose();
  });

  it('remembers a target as typed until the registry forgets its connection', () => {
    const known = new Set(['C1', 'C2']);
    const memory = new TargetMemory((id) => known.has(id));
    memory.rememberTyped('C1', { host: 'localhost', port: 9000 });
    memory.rememberTyped('C2', { host: 'example.test', port: 7 });
    assert.deepEqual(memory.typedTarget('C1'), { host: 'localhost', port: 9000 });
    known.delete('C1');
    memory.rememberTyped('C3', { host: '::1', port: 80 });
    assert.equal(memory.typedTarget('C1'), undefined, 'a connection the registry dropped is forgotten');
    assert.deepEqual(memory.typedTarget('C2'), { host: 'example.test', port: 7 });
    assert.deepEqual(memory.typedTarget('C3'), { host: '::1', port: 80 });
  });

  it('names the sole open item only when there is exactly one', async () => {
    assert.equal(soleItem(registry), undefined);
    const listener = await registry.listen({ port: 0 });
    assert.equal(soleItem(registry), listener);
    const client = await registry.connect({ host: '127.0.0.1', port: listener.address!.port });
    await waitUntil(() => registry.connections().length === 2, 'the accepted side to register');
    assert.equal(soleItem(registry), undefined, `three items are open (${client.id} among them): a command must ask`);
  });

  it('keeps what each preset started, newest first, and drops what has stopped', async () => {
    const starts = new PresetStarts(registry);
    const first = await registry.listen({ port: 0 });
    const second = await registry.listen({ port: 0 });
    starts.record('Echo', first.id);
    starts.record('Echo', second.id);
    assert.deepEqual(starts.live('Echo').map((i) => i.id), [second.id, first.id]);
    await second.stop({ closeConnections: true });
    assert.deepEqual(starts.live('Echo').map((i) => i.id), [first.id]);
    assert.deepEqual(starts.live('Other'), []);
  });

  it('finds what is open at a preset\'s address: listeners by port, clients by host and port (localhost = loopback)', async () => {
    const listener = await registry.listen({ port: 0 });
    const port = listener.address!.port;
    const client = await registry.connect({ host: '127.0.0.1', port });
    const listenerPreset: Preset = { name: 'L', kind: 'listener', host: '127.0.0.1', port };
    assert.deepEqual(openAtPresetAddress(registry, listenerPreset).map((i) => i.id), [listener.id]);
    assert.deepEqual(openAtPresetAddress(registry, { ...listenerPreset, port: 0 }), [], 'port 0 names no listener in particular');
    assert.deepEqual(openAtPresetAddress(registry, { name: 'C', kind: 'client', host: 'localhost', port }).map((i) => i.id), [client.id]);
    assert.deepEqual(openAtPresetAddress(registry, { name: 'C', kind: 'client', host: '10.0.0.1', port }), []);
  });

  it('records a listener\'s bound port and a connection\'s typed target for Save as Preset', async () => {
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const port = listener.address!.port;
    assert.deepEqual(presetBaseOf(listener, undefined), { kind: 'listener', host: '127.0.0.1', port });
    const client = await registry.connect({ host: '127.0.0.1', port });
    assert.deepEqual(presetBaseOf(client, undefined), { kind: 'client', host: '127.0.0.1', port });
    assert.deepEqual(presetBaseOf(client, { host: 'localhost', port }), { kind: 'client', host: 'localhost', port });
  });

  it('suggests a free preset name, with IPv6 brackets', () => {
    const base = { kind: 'listener', host: '::1', port: 9000 } as const;
    assert.equal(suggestPresetName(base, new Set()), 'Listener [::1]:9000');
    assert.equal(suggestPresetName(base, new Set(['Listener [::1]:9000', 'Listener [::1]:9000 (2)'])), 'Listener [::1]:9000 (3)');
    assert.equal(suggestPresetName({ kind: 'client', host: 'localhost', port: 80 }, new Set()), 'Client localhost:80');
  });

  it('starts a mock server only for a listener preset with framing, echo or rules', () => {
    const listener: Preset = { name: 'L', kind: 'listener', host: '127.0.0.1', port: 0 };
    assert.equal(hasMockBehaviour(listener), false);
    assert.equal(hasMockBehaviour({ ...listener, echo: true }), true);
    assert.equal(hasMockBehaviour({ ...listener, echo: false, rules: [] }), false);
    assert.equal(hasMockBehaviour({ ...listener, framing: { mode: 'delimiter', delimiter: 'lf' } } as Preset), true);
    assert.equal(hasMockBehaviour({ name: 'C', kind: 'client', host: '127.0.0.1', port: 1, echo: true } as Preset), false);
  });
});
