// The editor side of proxies on real sockets: the tree's Proxies group, and a panel on a proxy pair
// (both directions, fault marks, faults added/changed/removed live, injection into either direction).
import * as assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { Registry } from '../../src/core/registry';
import { ProxyHub } from '../../src/core/proxy/proxyHub';
import { projectTree, GROUP_IDS } from '../../src/app/treeModel';
import { PanelSession } from '../../src/app/panel/panelSession';
import { ProxyPanelControl } from '../../src/app/panel/proxyPanelControl';
import type { TargetInfo, WireRecord } from '../../src/shared/protocol';
import { validateWebviewMessage } from '../../src/app/panel/panelMessages';
import { Cleanup, delay, rawClient, rawServer, waitUntil } from './support/sockets';
import { RecordingHost } from './panelSession.test';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('proxies in the editor (tree and panel) on real sockets', () => {
  const cleanup = new Cleanup();
  let registry: Registry;
  let hub: ProxyHub;
  let session: PanelSession | undefined;
  /** What the upstream server received, and its sockets (it answers "re:" + each chunk). */
  let upstreamGot: string;
  let upstreamPort: number;

  beforeEach(async () => {
    registry = new Registry();
    hub = new ProxyHub(registry);
    upstreamGot = '';
    upstreamPort = await rawServer(cleanup, (socket: Socket) => {
      socket.on('data', (chunk) => {
        upstreamGot += chunk.toString();
        socket.write(`re:${chunk.toString()}`);
      });
    });
  });
  afterEach(async () => {
    session?.dispose();
    session = undefined;
    await hub.removeAll();
    hub.dispose();
    await registry.stopAll();
    registry.dispose();
    await cleanup.run();
  });

  async function startProxy(toxics: unknown[] = []): Promise<{ listenerId: string; port: number }> {
    const created = await hub.create({ name: 'api', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}`, toxics });
    const listenerId = hub.listenerId('api')!;
    return { listenerId, port: Number(created.listen.split(':').pop()) };
  }

  function hostWithProxies(): RecordingHost & { proxies: ProxyPanelControl } {
    return Object.assign(new RecordingHost(), { proxies: new ProxyPanelControl(registry, hub) });
  }

  it('shows a Proxies group: the proxy with its address → upstream and faults, its pairs with bytes each way, open then closed', async () => {
    const { listenerId, port } = await startProxy([{ type: 'latency', stream: 'downstream', attributes: { latency: 1 } }]);
    const idle = projectTree(registry.snapshot(), [], Date.now());
    assert.deepEqual(idle.roots.map((r) => r.id), [GROUP_IDS.listeners, GROUP_IDS.clients, GROUP_IDS.proxies]);
    assert.equal(idle.byId.get(GROUP_IDS.listeners)?.description, 'none', 'the proxy\'s listener is not a plain listener');
    const proxyNode = idle.byId.get(`proxy:${listenerId}`)!;
    assert.equal(proxyNode.contextValue, 'proxy');
    assert.equal(proxyNode.label, 'api');
    assert.equal(proxyNode.description, `127.0.0.1:${port} → 127.0.0.1:${upstreamPort} · no pairs · ⚡ 1 fault`);
    assert.match(proxyNode.tooltip, /latency_downstream: latency on downstream/);
    assert.deepEqual(proxyNode.children.map((c) => c.label), ['waiting for clients…']);
    // Started from a preset of the same name: the name is not repeated in the description.
    const fromPreset = projectTree(registry.snapshot(), [], Date.now(), { presetNames: new Map([[listenerId, 'api']]) }).byId.get(`proxy:${listenerId}`)!;
    assert.equal(fromPreset.description, proxyNode.description);
    assert.match(fromPreset.tooltip, /^Started from preset "api"/);

    const client = await rawClient(cleanup, port);
    client.write('hello');
    await waitUntil(() => upstreamGot === 'hello', 'the upstream got the bytes');
    let reply = '';
    client.on('data', (chunk) => (reply += chunk.toString()));
    await waitUntil(() => reply === 're:hello', 'the reply');
    const pairId = registry.connections().find((c) => c.proxy)!.id;
    await waitUntil(() => registry.snapshot().connections.find((c) => c.id === pairId)?.totals.bytesOut === 8, 'totals');
    const open = projectTree(registry.snapshot(), [], Date.now());
    const pair = open.byId.get(`proxyPair:${pairId}`)!;
    assert.equal(pair.parentId, `proxy:${listenerId}`);
    assert.equal(pair.contextValue, 'proxyPair');
    assert.equal(pair.label, `127.0.0.1:${client.localPort} ⇄ 127.0.0.1:${upstreamPort}`);
    assert.match(pair.description ?? '', /^→ 5 B ← 8 B · \d+s · ⚡ 1$/);
    assert.match(pair.tooltip, /Client → upstream: 5 bytes in 1 chunks, 5 written to the upstream/);
    assert.equal(open.byId.get(GROUP_IDS.clients)?.description, 'none', 'pairs are not clients');

    client.destroy();
    await waitUntil(() => registry.closedConnections().some((c) => c.id === pairId), 'the pair closed');
    const closed = projectTree(registry.snapshot(), [], Date.now());
    assert.equal(closed.byId.get(`proxyPair:${pairId}`)?.contextValue, 'closedProxyPair');
    assert.match(closed.byId.get(`proxy:${listenerId}`)?.description ?? '', /no pairs · 1 closed/);
  });

  it('a pair\'s panel: both directions in one log, proxy info in the header, fault marks on the delayed replies', async () => {
    const { port } = await startProxy([{ name: 'slow', type: 'latency', stream: 'downstream', attributes: { latency: 120 } }]);
    const client = await rawClient(cleanup, port);
    await waitUntil(() => registry.connections().some((c) => c.proxy), 'the pair');
    const pairId = registry.connections().find((c) => c.proxy)!.id;
    const host = hostWithProxies();
    session = new PanelSession(registry, host, pairId);
    session.handle({ type: 'ready' });
    const target = host.of('snapshot')[0].target as Extract<TargetInfo, { kind: 'connection' }>;
    assert.equal(target.proxy?.name, 'api');
    assert.equal(target.proxy?.upstream, `127.0.0.1:${upstreamPort}`);
    assert.deepEqual(target.proxy?.toxics.map((t) => t.name), ['slow']);

    let reply = '';
    client.on('data', (chunk) => (reply += chunk.toString()));
    const sentAt = Date.now();
    client.write('ping');
    await waitUntil(() => reply === 're:ping', 'the delayed reply');
    assert.ok(Date.now() - sentAt >= 110, `the reply took ${Date.now() - sentAt} ms, not the fault's 120`);
    await waitUntil(() => host.of('traffic').some((t) => t.records.some((r) => r.dir === 'out')), 'the reply row');
    const rows: WireRecord[] = host.of('traffic').flatMap((t) => t.records).filter((r) => r.kind !== 'event');
    const inRow = rows.find((r) => r.dir === 'in')!;
    const outRow = rows.find((r) => r.dir === 'out')!;
    assert.equal(Buffer.from(inRow.data, 'base64').toString(), 'ping');
    assert.equal(Buffer.from(outRow.data, 'base64').toString(), 're:ping');
    assert.match(outRow.fault ?? '', /slow/, 'the delayed bytes carry the fault that touched them');
    assert.equal(inRow.fault, undefined);
  });

  it('adds, changes and removes faults from the panel, live on the open pair, and words a bad one', async () => {
    const { port } = await startProxy();
    const client = await rawClient(cleanup, port);
    let reply = '';
    client.on('data', (chunk) => (reply += chunk.toString()));
    await waitUntil(() => registry.connections().some((c) => c.proxy), 'the pair');
    const pairId = registry.connections().find((c) => c.proxy)!.id;
    const host = hostWithProxies();
    session = new PanelSession(registry, host, pairId);
    session.handle({ type: 'ready' });

    session.handle({ type: 'toxic', requestId: 1, toxic: { type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 150 } } });
    assert.equal((await host.reply(1)).ok, true);
    assert.deepEqual(hub.toxics('api').map((t) => [t.name, t.attributes]), [['latency_downstream', { latency: 150, jitter: 0 }]]);
    let at = Date.now();
    client.write('a');
    await waitUntil(() => reply === 're:a', 'the reply');
    const slow = Date.now() - at;
    assert.ok(slow >= 140, `a 150 ms latency added from the panel delayed the reply by ${slow} ms`);
    await waitUntil(() => host.of('target').some((t) => t.target.proxy?.toxics.length === 1), 'the header shows the fault');

    session.handle({ type: 'toxic', requestId: 2, replaces: 'latency_downstream', toxic: { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 0 } } });
    assert.equal((await host.reply(2)).ok, true);
    at = Date.now();
    client.write('b');
    await waitUntil(() => reply === 're:are:b', 'the second reply');
    assert.ok(Date.now() - at < 100, 'changed to 0 ms, the reply is prompt');

    session.handle({ type: 'toxic', requestId: 3, toxic: { type: 'latency', stream: 'sideways', attributes: {} } });
    const bad = await host.reply(3);
    assert.equal(bad.ok, false);
    assert.match(bad.error ?? '', /stream must be "upstream" \(client to server\) or "downstream"/);

    session.handle({ type: 'removeToxic', requestId: 4, name: 'latency_downstream' });
    assert.equal((await host.reply(4)).ok, true);
    assert.deepEqual(hub.toxics('api'), []);
    session.handle({ type: 'removeToxic', requestId: 5, name: 'latency_downstream' });
    assert.match((await host.reply(5)).error ?? '', /has no toxic named "latency_downstream"/);
  });

  it('injects bytes into either direction of a pair, and into every open pair from the proxy\'s panel', async () => {
    const { listenerId, port } = await startProxy();
    const client = await rawClient(cleanup, port);
    let toClient = '';
    client.on('data', (chunk) => (toClient += chunk.toString()));
    await waitUntil(() => registry.connections().some((c) => c.proxy), 'the pair');
    const pairId = registry.connections().find((c) => c.proxy)!.id;
    const host = hostWithProxies();
    session = new PanelSession(registry, host, pairId);
    session.handle({ type: 'ready' });

    // Toward the upstream only once it is connected; before that the engine says to wait.
    await waitUntil(() => registry.connections().find((c) => c.id === pairId)?.proxy?.upstreamState === 'open', 'the upstream side open');
    session.handle({ type: 'send', requestId: 1, data: b64('HELLO'), stream: 'upstream' });
    assert.equal((await host.reply(1)).detail, 'injected 5 bytes to the upstream');
    await waitUntil(() => upstreamGot === 'HELLO', 'the upstream got the injected bytes');
    await waitUntil(() => toClient === 're:HELLO', 'and its answer reached the client');
    session.handle({ type: 'send', requestId: 2, data: b64('NOTICE'), stream: 'downstream' });
    assert.equal((await host.reply(2)).ok, true);
    await waitUntil(() => toClient === 're:HELLONOTICE', 'the client got the injected bytes');
    assert.equal(upstreamGot, 'HELLO', 'bytes injected toward the client never reach the upstream');
    await waitUntil(() => host.of('traffic').flatMap((t) => t.records).filter((r) => r.injected).length === 2, 'both injections marked');
    const injected = host.of('traffic').flatMap((t) => t.records).filter((r) => r.injected).map((r) => `${r.dir}:${Buffer.from(r.data, 'base64').toString()}`);
    assert.deepEqual(injected, ['in:HELLO', 'out:NOTICE'], 'injected bytes are marked as such in their direction; the reply is not');
    session.handle({ type: 'send', requestId: 3, data: b64('x'), stream: 'upstream', repeat: { intervalMs: 100 } });
    assert.match((await host.reply(3)).error ?? '', /add a fault in Proxy faults instead/);
    session.dispose();

    // The proxy's own panel injects into every open pair.
    const second = await rawClient(cleanup, port);
    let toSecond = '';
    second.on('data', (chunk) => (toSecond += chunk.toString()));
    await waitUntil(() => registry.connections().filter((c) => c.proxy).length === 2, 'two pairs');
    const proxyHost = hostWithProxies();
    session = new PanelSession(registry, proxyHost, listenerId);
    session.handle({ type: 'ready' });
    assert.equal((proxyHost.of('snapshot')[0].target as Extract<TargetInfo, { kind: 'listener' }>).proxy?.name, 'api');
    session.handle({ type: 'send', requestId: 4, to: 'all', data: b64('ALL'), stream: 'downstream' });
    assert.match((await proxyHost.reply(4)).detail ?? '', /injected 3 bytes to the client of 2 pairs/);
    await waitUntil(() => toSecond === 'ALL' && toClient.endsWith('ALL'), 'both clients got it');
    await delay(20);
  });

  it('frames each direction of a pair on its own with the panel\'s framing', async () => {
    const { port } = await startProxy();
    const client = await rawClient(cleanup, port);
    let reply = '';
    client.on('data', (chunk) => (reply += chunk.toString()));
    await waitUntil(() => registry.connections().some((c) => c.proxy), 'the pair');
    const pairId = registry.connections().find((c) => c.proxy)!.id;
    const host = hostWithProxies();
    session = new PanelSession(registry, host, pairId);
    session.handle({ type: 'ready' });
    session.handle({ type: 'behaviour', requestId: 1, behaviour: { framing: { mode: 'delimiter', delimiter: 'lf' }, echo: false, rules: [] } });
    assert.equal((await host.reply(1)).ok, true);
    client.write('one\ntw');
    await waitUntil(() => reply === 're:one\ntw', 'the first reply');
    client.write('o\n');
    await waitUntil(() => reply === 're:one\ntwre:o\n', 'the second reply');
    await waitUntil(() => host.of('traffic').flatMap((t) => t.records).filter((r) => r.kind === 'frame').length === 4, 'four frames');
    const frames = host.of('traffic').flatMap((t) => t.records).filter((r) => r.kind === 'frame').map((r) => `${r.dir}:${Buffer.from(r.data, 'base64').toString()}`);
    // Each direction is its own stream: "tw" + "o\n" joins into one client frame, the reply's "tw" + "re:o\n" into one reply frame.
    assert.deepEqual(frames.sort(), ['in:one', 'in:two', 'out:re:one', 'out:twre:o'].sort());
    session.handle({ type: 'saveBehaviour', requestId: 2 });
    assert.match((await host.reply(2)).error ?? '', /write a proxy preset/);
  });

  it('the panel\'s framing becomes the proxy\'s, so a `when` trigger matches the frames the panel shows', async () => {
    const { listenerId, port } = await startProxy([{ name: 'no_secrets', type: 'drop', stream: 'upstream', when: { match: 'exact', pattern: 'SECRET' } }]);
    const host = hostWithProxies();
    session = new PanelSession(registry, host, listenerId);
    session.handle({ type: 'ready' });
    session.handle({ type: 'behaviour', requestId: 1, behaviour: { framing: { mode: 'delimiter', delimiter: 'lf' }, echo: false, rules: [] } });
    assert.equal((await host.reply(1)).ok, true);
    assert.deepEqual(hub.describe('api')?.framing?.upstream, { mode: 'delimiter', delimiter: 'lf' });
    const client = await rawClient(cleanup, port);
    // One write: without the framing the whole chunk is one frame, which "exact SECRET" would not match.
    client.write('alpha\nSECRET\nomega\n');
    await waitUntil(() => upstreamGot.includes('omega'), 'the frames after the dropped one');
    assert.equal(upstreamGot, 'alpha\nomega\n');
  });

  it('starts a proxy from the panel form and stops it with the panel\'s close', async () => {
    const host = hostWithProxies();
    session = new PanelSession(registry, host);
    session.handle({ type: 'ready' });
    session.handle({ type: 'startProxy', requestId: 1, host: '127.0.0.1', port: 0, upstream: `127.0.0.1:${upstreamPort}` });
    const reply = await host.reply(1);
    assert.equal(reply.ok, true, reply.error);
    const target = host.of('snapshot').at(-1)!.target as Extract<TargetInfo, { kind: 'listener' }>;
    assert.equal(target.proxy?.upstream, `127.0.0.1:${upstreamPort}`);
    assert.equal(hub.list().length, 1);
    session.handle({ type: 'close', requestId: 2 });
    assert.equal((await host.reply(2)).ok, true);
    assert.equal(hub.list().length, 0, 'closing the proxy\'s panel target stops the proxy');

    const other = hostWithProxies();
    session.dispose();
    session = new PanelSession(registry, other);
    session.handle({ type: 'ready' });
    session.handle({ type: 'startProxy', requestId: 3, host: '127.0.0.1', port: 0, upstream: 'nowhere' });
    assert.match((await other.reply(3)).error ?? '', /"nowhere" has no port/);
  });

  it('refuses malformed proxy messages from the webview with a reason', () => {
    assert.deepEqual(validateWebviewMessage({ type: 'toxic', requestId: 1, toxic: [] }), { ok: false, reason: 'toxic: toxic must be an object' });
    assert.deepEqual(validateWebviewMessage({ type: 'removeToxic', requestId: 1, name: '' }), { ok: false, reason: 'removeToxic: name must be a fault name' });
    assert.deepEqual(validateWebviewMessage({ type: 'send', requestId: 1, data: '', stream: 'both' }), { ok: false, reason: 'send: stream must be "upstream" or "downstream"' });
    assert.deepEqual(validateWebviewMessage({ type: 'startProxy', requestId: 1, host: '127.0.0.1', port: 0, upstream: '' }), { ok: false, reason: 'startProxy: upstream must be a non-empty host:port' });
    const kept = validateWebviewMessage({ type: 'toxic', requestId: 1, toxic: { type: 'drop', attributes: {}, extra: '<script>' } });
    assert.ok(kept.ok);
    assert.deepEqual(kept.ok && kept.message.type === 'toxic' && kept.message.toxic, { type: 'drop', attributes: {} });
  });
});
