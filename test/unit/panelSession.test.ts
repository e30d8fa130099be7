import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { Registry } from '../../src/core/registry';
import { projectTree } from '../../src/app/treeModel';
import type { ExportRecord } from '../../src/app/logExport';
import type { BindExposure } from '../../src/app/exposurePolicy';
import { PanelSession, type PanelSessionHost, type PresetBehaviourRequest } from '../../src/app/panel/panelSession';
import { PROTOCOL_LIMITS, type PanelSettings, type ToWebviewMessage } from '../../src/shared/protocol';
import { Cleanup, delay, nextEvent, rawClient, rawServer, waitUntil } from './support/sockets';
import { tlsFixtures } from './support/tlsFixtures';
import * as path from 'node:path';

export const SETTINGS: PanelSettings = { encoding: 'utf-8', lineEnding: 'none', timestamps: 'absolute', maxRecords: 10000, maxBytes: 1 << 24, defaultHost: '127.0.0.1', announceReceived: false };

export class RecordingHost implements PanelSessionHost {
  posted: ToWebviewMessage[] = [];
  bytesIn = 0;
  logged: string[] = [];
  retargeted: string[] = [];
  saved: { format: string; records: ExportRecord[] }[] = [];
  post(message: ToWebviewMessage): void {
    this.posted.push(message);
    if (message.type === 'traffic') for (const r of message.records) if (r.dir === 'in' && r.kind !== 'event') this.bytesIn += Buffer.from(r.data, 'base64').length;
  }
  settings(): PanelSettings {
    return SETTINGS;
  }
  log(line: string): void {
    this.logged.push(line);
  }
  onDidRetarget(targetId: string): void {
    this.retargeted.push(targetId);
  }
  async saveLog(format: 'jsonl' | 'csv', records: ExportRecord[], suggestedName: string): Promise<string> {
    this.saved.push({ format, records });
    return suggestedName;
  }
  pcapExports: string[] = [];
  async exportPcapng(targetId: string): Promise<string> {
    this.pcapExports.push(targetId);
    return `${targetId}.pcapng`;
  }
  async copy(): Promise<void> {}
  async savePreset(): Promise<boolean> {
    return true;
  }
  /** What the Listen form asked to expose, and the answer this host gives. */
  exposureQuestions: BindExposure[] = [];
  confirmsExposure = false;
  async confirmExposure(exposure: BindExposure): Promise<boolean> {
    if (exposure.exposed) this.exposureQuestions.push(exposure);
    return !exposure.exposed || this.confirmsExposure;
  }
  behaviourSaves: PresetBehaviourRequest[] = [];
  async saveBehaviour(request: PresetBehaviourRequest): Promise<boolean> {
    this.behaviourSaves.push(request);
    return true;
  }
  of<T extends ToWebviewMessage['type']>(type: T): Extract<ToWebviewMessage, { type: T }>[] {
    return this.posted.filter((m): m is Extract<ToWebviewMessage, { type: T }> => m.type === type);
  }
  async reply(requestId: number) {
    await waitUntil(() => this.of('reply').some((r) => r.requestId === requestId), `reply ${requestId}`);
    return this.of('reply').find((r) => r.requestId === requestId)!;
  }
  receivedBytes(): Buffer {
    return Buffer.concat([...this.of('snapshot'), ...this.of('traffic')].flatMap((t) => t.records.filter((r) => r.dir === 'in' && r.kind !== 'event').map((r) => Buffer.from(r.data, 'base64'))));
  }
}

describe('PanelSession on real sockets', () => {
  const cleanup = new Cleanup();
  let registry: Registry;
  let session: PanelSession | undefined;

  beforeEach(() => {
    registry = new Registry();
  });
  afterEach(async () => {
    session?.dispose();
    session = undefined;
    await registry.stopAll();
    registry.dispose();
    await cleanup.run();
  });

  it('streams a listener\'s clients in batches, with peers, and sends to one client or all', async () => {
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const host = new RecordingHost();
    session = new PanelSession(registry, host, listener.id);
    session.handle({ type: 'ready' });
    const snapshot = host.of('snapshot')[0];
    assert.equal(snapshot.target?.kind, 'listener');
    assert.equal(snapshot.target?.id, listener.id);

    const a = await rawClient(cleanup, listener.address!.port);
    const b = await rawClient(cleanup, listener.address!.port);
    await waitUntil(() => listener.connections.length === 2, 'two clients');
    a.write('from a');
    b.write('from b');
    await waitUntil(() => host.receivedBytes().length === 12, 'both records');
    const records = host.of('traffic').flatMap((t) => t.records);
    assert.deepEqual(new Set(records.map((r) => r.conn)), new Set(listener.connections.map((c) => c.id)));
    await waitUntil(() => { const t = host.of('target').at(-1)?.target; return t?.kind === 'listener' && t.totals.bytesIn === 12; }, 'totals');
    const target = host.of('target').at(-1)!.target;
    assert.ok(target.kind === 'listener' && target.peers.length === 2);

    const received = (socket: Socket): Promise<string> => once(socket, 'data').then(([chunk]) => String(chunk));
    const [first] = listener.connections;
    const toFirst = first.remote!.port === a.localPort ? a : b;
    const onlyFirst = received(toFirst);
    session.handle({ type: 'send', requestId: 1, data: Buffer.from('just you').toString('base64'), to: first.id });
    assert.equal((await host.reply(1)).ok, true);
    assert.equal(await onlyFirst, 'just you');
    const both = Promise.all([received(a), received(b)]);
    session.handle({ type: 'send', requestId: 2, data: Buffer.from('everyone').toString('base64'), to: 'all' });
    assert.equal((await host.reply(2)).ok, true);
    assert.deepEqual(await both, ['everyone', 'everyone']);

    session.handle({ type: 'saveLog', requestId: 3, format: 'csv' });
    await host.reply(3);
    assert.equal(host.saved[0].records.length, 5); // two reads, one send, one broadcast to two

    // pcapng goes to the host with the listener's id: the export takes every client the registry keeps.
    session.handle({ type: 'exportPcapng', requestId: 4 });
    assert.equal((await host.reply(4)).detail, `Exported as pcapng to ${listener.id}.pcapng.`);
    assert.deepEqual(host.pcapExports, [listener.id]);
  });

  it('follows a flood with at most ~30 updates a second, each within the byte budget, with exact counters', async () => {
    // A log large enough for the whole flood, so every byte must be reachable afterwards.
    registry.setDefaults({ log: { maxRecords: 1_000_000, maxBytes: 256 * 1024 * 1024 } });
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const host = new RecordingHost();
    session = new PanelSession(registry, host, listener.id);
    session.handle({ type: 'ready' });
    session.handle({ type: 'follow', following: true, lastId: 0, rows: 40 });
    const client = await rawClient(cleanup, listener.address!.port);
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < 1000) {
      if (!client.write(chunk)) await once(client, 'drain');
      sent += chunk.length;
      if (sent % (512 * 1024) === 0) await delay(10);
    }
    await waitUntil(() => { const t = host.of('target').at(-1)?.target; return t?.totals.bytesIn === sent; }, `all ${sent} bytes counted`, 10000);
    const elapsed = Date.now() - started;
    const updates = host.of('traffic');
    assert.ok(updates.length <= Math.ceil((elapsed / 1000) * 30) + 3, `${updates.length} updates in ${elapsed} ms`);
    for (const update of updates) {
      assert.ok(update.records.length <= 40, `an update carries at most the rows the view shows (${update.records.length})`);
      const raw = update.records.reduce((n, r) => n + Buffer.from(r.data, 'base64').length, 0);
      assert.ok(raw <= PROTOCOL_LIMITS.maxBatchBytes, `an update carries at most the byte budget (${raw})`);
      for (const r of update.records) assert.ok(Buffer.from(r.data, 'base64').length <= PROTOCOL_LIMITS.previewBytes, 'rows cross as previews');
    }
    const crossed = updates.reduce((n, t) => n + t.records.reduce((m, r) => m + Buffer.from(r.data, 'base64').length, 0), 0);
    assert.ok(crossed < sent / 4, `far fewer bytes cross to the webview (${crossed}) than the wire carried (${sent})`);

    // What the updates skipped is still there: the webview pulls it by range, and it adds up exactly.
    let after = 0;
    let pulled = 0;
    for (let requestId = 10; ; requestId++) {
      session.handle({ type: 'rows', requestId, after, max: 2000 });
      const page = (await host.reply(requestId)).records ?? [];
      if (page.length === 0) break;
      for (const r of page) if (r.kind !== 'event') pulled += r.length;
      after = page.at(-1)!.seq;
    }
    assert.equal(pulled, sent, 'every byte is reachable by range');
  });

  it('keeps a flood to the flood pace from its first sign: no second full update a moment after the first rows', async () => {
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const host = new RecordingHost();
    const rowsAt: number[] = [];
    const post = host.post.bind(host);
    host.post = (message) => {
      if (message.type === 'traffic' && message.records.length > 0) rowsAt.push(Date.now());
      post(message);
    };
    session = new PanelSession(registry, host, listener.id);
    session.handle({ type: 'ready' });
    session.handle({ type: 'follow', following: true, lastId: 0, rows: 40 });
    const client = await rawClient(cleanup, listener.address!.port);
    const chunk = Buffer.alloc(16 * 1024, 0x62);
    const started = Date.now();
    while (Date.now() - started < 1400) {
      if (!client.write(chunk)) await once(client, 'drain');
    }
    await waitUntil(() => host.of('traffic').length > 0 && Date.now() - started > 2000, 'the flood to settle');
    assert.ok(rowsAt.length >= 3, `${rowsAt.length} updates with rows`);
    const firstRows = host.of('traffic').find((update) => update.records.length > 0)!;
    assert.ok(firstRows.records.length <= 40, 'the first update shows the start of the flood at once');
    // Every later update while the flood runs comes at the flood pace (500 ms), the first one included.
    const gaps = rowsAt.slice(1).map((time, i) => time - rowsAt[i]);
    for (const gap of gaps.slice(0, -1)) assert.ok(gap >= 450, `updates ${gaps.join(', ')} ms apart`);
  });

  it('shows a client that came and went, from its first byte, in a listener panel opened afterwards', async () => {
    registry.setDefaults({ allowHalfOpen: false });
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    for (const word of ['Hello-Gone\r\n', 'Second visitor']) {
      const client = await rawClient(cleanup, listener.address!.port);
      client.end(word);
      await waitUntil(() => registry.closedConnections(listener.id).length === (word.startsWith('Hello') ? 1 : 2), 'the client to close');
    }
    assert.equal(listener.connections.length, 0, 'nobody is connected any more');
    const host = new RecordingHost();
    session = new PanelSession(registry, host, listener.id);
    session.handle({ type: 'ready' });
    const snapshot = host.of('snapshot')[0];
    const data = snapshot.records.filter((r) => r.kind !== 'event').map((r) => Buffer.from(r.data, 'base64').toString());
    assert.deepEqual(data, ['Hello-Gone\r\n', 'Second visitor']);
    const events = snapshot.records.filter((r) => r.kind === 'event').map((r) => r.note ?? '');
    assert.equal(events.length, 4, 'a connect and a close row for each client');
    assert.ok(events.some((note) => /closed by peer \(FIN\)/.test(note)), events.join(' | '));
    assert.ok(snapshot.target?.kind === 'listener');
    if (snapshot.target?.kind !== 'listener') return;
    assert.deepEqual(snapshot.target.totals, { bytesIn: 26, bytesOut: 0, messagesIn: 2, messagesOut: 0 });
    assert.equal(snapshot.target.acceptedCount, 2);
    assert.deepEqual(snapshot.target.peers.map((p) => p.state), ['closed', 'closed']);
    assert.deepEqual(snapshot.records.filter((r) => r.kind !== 'event').map((r) => r.rec), [1, 1], 'each record keeps its connection log number');
  });

  it('turns a form panel into the connection it opened, and reports failures in one sentence', async () => {
    const port = await rawServer(cleanup, (socket) => socket.write('hello'));
    const host = new RecordingHost();
    session = new PanelSession(registry, host);
    session.handle({ type: 'ready' });
    assert.equal(host.of('snapshot')[0].target, undefined);

    session.handle({ type: 'connect', requestId: 1, host: '127.0.0.1', port });
    const reply = await host.reply(1);
    assert.equal(reply.ok, true);
    assert.deepEqual(host.retargeted, [reply.targetId]);
    assert.equal(session.targetId, reply.targetId);
    assert.equal(host.of('snapshot').at(-1)?.target?.kind, 'connection');
    await waitUntil(() => host.receivedBytes().toString() === 'hello', 'greeting');

    // A live panel will not start a second socket.
    session.handle({ type: 'listen', requestId: 2, host: '127.0.0.1', port: 0 });
    assert.match((await host.reply(2)).error ?? '', /already shows/);

    session.handle({ type: 'close', requestId: 3 });
    await host.reply(3);
    await waitUntil(() => { const t = host.of('target').at(-1)?.target; return t?.kind === 'connection' && t.state === 'closed'; }, 'closed state');

    const refused = await rawServer(cleanup, () => undefined);
    await new Promise<void>((resolve) => setTimeout(resolve, 1));
    const other = new RecordingHost();
    const formSession = new PanelSession(registry, other);
    try {
      await cleanup.run(); // closes the servers, so `refused` now refuses
      formSession.handle({ type: 'connect', requestId: 9, host: '127.0.0.1', port: refused });
      const failure = await other.reply(9);
      assert.equal(failure.ok, false);
      assert.match(failure.error ?? '', /127\.0\.0\.1/);
      assert.doesNotMatch(failure.error ?? '', /\n\s+at /);
    } finally {
      formSession.dispose();
    }
  });

  it('answers row ranges and whole records from the host, and says when a row is gone', async () => {
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const client = await rawClient(cleanup, listener.address!.port);
    await waitUntil(() => listener.connections.length === 1, 'client');
    const big = Buffer.alloc(5000, 0x42);
    client.write(big);
    await waitUntil(() => listener.connections[0].totals.bytesIn === 5000, 'the big read');
    for (let i = 0; i < 30; i++) {
      client.write(`m${String(i).padStart(2, '0')}`);
      await waitUntil(() => listener.connections[0].totals.bytesIn === 5000 + 3 * (i + 1), `read ${i}`);
    }
    const host = new RecordingHost();
    session = new PanelSession(registry, host, listener.id);
    session.handle({ type: 'ready' });
    const snapshot = host.of('snapshot')[0];
    const chunks = snapshot.records.filter((r) => r.kind !== 'event');
    assert.equal(chunks.length, 31);
    const bigRow = chunks.find((r) => r.length === 5000)!;
    assert.ok(Buffer.from(bigRow.data, 'base64').length < 5000, 'a long record crosses as a preview');

    session.handle({ type: 'record', requestId: 1, id: bigRow.seq });
    const whole = (await host.reply(1)).records![0];
    assert.ok(Buffer.from(whole.data, 'base64').equals(big), 'the whole record on request');

    const last = chunks.at(-1)!;
    session.handle({ type: 'rows', requestId: 2, before: last.seq, max: 3 });
    const before = (await host.reply(2)).records!.map((r) => Buffer.from(r.data, 'base64').toString());
    assert.deepEqual(before, ['m26', 'm27', 'm28']);

    session.handle({ type: 'clear' });
    session.handle({ type: 'record', requestId: 3, id: bigRow.seq });
    const gone = await host.reply(3);
    assert.equal(gone.ok, false);
    assert.match(gone.error ?? '', /no longer kept/);
  });

  it('asks before the Listen form exposes a port, in every wildcard spelling, and binds nothing when refused', async () => {
    for (const host of ['0.0.0.0', '::', '::0', '0:0:0:0:0:0:0:0', '::ffff:0.0.0.0']) {
      const asker = new RecordingHost();
      const form = new PanelSession(registry, asker);
      try {
        form.handle({ type: 'listen', requestId: 1, host, port: 0 });
        const refused = await asker.reply(1);
        assert.equal(refused.ok, false, host);
        assert.match(refused.error ?? '', /not confirmed/);
        assert.equal(asker.exposureQuestions.length, 1, `${host} was asked about`);
        assert.equal(registry.listeners().length, 0, `nothing listens after refusing ${host}`);
      } finally {
        form.dispose();
      }
    }
    const host = new RecordingHost();
    session = new PanelSession(registry, host);
    session.handle({ type: 'listen', requestId: 2, host: '127.0.0.1', port: 0 });
    assert.equal((await host.reply(2)).ok, true);
    assert.equal(host.exposureQuestions.length, 0, 'loopback needs no question');
  });

  it('ignores and logs malformed messages without throwing', async () => {
    const host = new RecordingHost();
    session = new PanelSession(registry, host);
    for (const raw of [null, 'ready', { type: 'send', requestId: 1, data: '%%%' }, { type: 'eval', code: 'x' }, { type: 'listen', requestId: 2, host: 'h', port: -1 }]) {
      assert.doesNotThrow(() => session!.handle(raw));
    }
    await delay(20);
    assert.equal(host.logged.length, 5);
    assert.deepEqual(host.posted, []);
  });
});

describe('PanelSession: held reading is shown', () => {
  const cleanup = new Cleanup();
  let registry: Registry;
  afterEach(async () => {
    await registry.stopAll();
    registry.dispose();
    await cleanup.run();
  });

  it('says in the header and the tree when capture is slowing a connection, and when it no longer is', async () => {
    registry = new Registry();
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    await rawClient(cleanup, listener.address!.port);
    await waitUntil(() => listener.connections.length === 1, 'the client');
    const accepted = listener.connections[0];
    const host = new RecordingHost();
    const session = new PanelSession(registry, host, accepted.id);
    const listenerSession = new PanelSession(registry, new RecordingHost(), listener.id);
    try {
      session.handle({ type: 'ready' });
      // The hold the engine takes when the capture file falls behind (tested with a slow reader in boundedMemory.test.ts).
      const hold = accepted.holdReading('capture');
      await waitUntil(() => host.of('target').some((m) => m.target.kind === 'connection' && /capture is slowing/.test(m.target.slowedBy ?? '')), 'the header to say so');
      const listenerTarget = listenerSession.describeTarget();
      assert.match(listenerTarget?.kind === 'listener' ? (listenerTarget.slowedBy ?? '') : '', /^1 client: capture is slowing/);
      const row = projectTree(registry.snapshot(), [], Date.now()).byId.get(`connection:${accepted.id}`);
      assert.match(row?.description ?? '', /⏸ capture/);
      hold.dispose();
      await waitUntil(() => { const t = host.of('target').at(-1)?.target; return t?.kind === 'connection' && t.slowedBy === undefined; }, 'the notice to go');
    } finally {
      session.dispose();
      listenerSession.dispose();
    }
  });
});

describe('PanelSession: TLS from the forms and Start TLS', () => {
  let registry: Registry;
  const sessions: PanelSession[] = [];
  afterEach(async () => {
    for (const s of sessions.splice(0)) s.dispose();
    await registry.stopAll();
    registry.dispose();
  });

  it('listens over TLS with the local CA, says how to make one when there is none, and Start TLS upgrades a plain connection', async () => {
    const f = await tlsFixtures();
    registry = new Registry();
    const noCa = new RecordingHost();
    const bare = new PanelSession(registry, noCa, undefined);
    sessions.push(bare);
    bare.handle({ type: 'listen', requestId: 1, host: '127.0.0.1', port: 0, tls: true });
    assert.match((await noCa.reply(1)).error ?? '', /run TCP: Create Local Certificate Authority first/);

    const withCa = Object.assign(new RecordingHost(), { localCaDirectory: () => path.dirname(f.caCert) });
    const listening = new PanelSession(registry, withCa, undefined);
    sessions.push(listening);
    listening.handle({ type: 'listen', requestId: 2, host: '127.0.0.1', port: 0, tls: true });
    assert.equal((await withCa.reply(2)).error, undefined);
    const tlsListener = registry.listeners()[0];
    const client = await registry.connect({ host: 'localhost', port: tlsListener.address!.port, tls: { ca: [f.caCert] } });
    assert.equal(client.tls?.verified, true, 'the listener presents the local CA\'s localhost certificate');

    const plain = await registry.listen({ port: 0 });
    const accepted = nextEvent(plain.onDidAccept);
    const outgoing = await registry.connect({ host: '127.0.0.1', port: plain.address!.port });
    const incoming = await accepted;
    const clientHost = new RecordingHost();
    const serverHost = Object.assign(new RecordingHost(), { localCaDirectory: () => path.dirname(f.caCert) });
    const clientPanel = new PanelSession(registry, clientHost, outgoing.id);
    const serverPanel = new PanelSession(registry, serverHost, incoming.id);
    sessions.push(clientPanel, serverPanel);
    // STARTTLS's own exchange makes the server switch before the client's hello; here nothing does,
    // and the server's panel first reads the local CA's files, so a client started at once could say
    // hello to a side still reading plain bytes. Start the client once the server's socket switched.
    const serverSwitching = new Promise<void>((resolve) => {
      const startTls = incoming.startTls.bind(incoming);
      incoming.startTls = (setup) => {
        const upgrade = startTls(setup);
        resolve();
        return upgrade;
      };
    });
    serverPanel.handle({ type: 'startTls', requestId: 4 });
    await serverSwitching;
    clientPanel.handle({ type: 'startTls', requestId: 3 });
    assert.equal((await clientHost.reply(3)).error, undefined);
    assert.equal((await serverHost.reply(4)).error, undefined);
    const described = clientPanel.describeTarget();
    assert.ok(described?.kind === 'connection' && described.tls, 'the header gets the session');
    assert.match(described.tls.verification, /not trusted/, 'accepted, and the problem still shown');
  });
});
