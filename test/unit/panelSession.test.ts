import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { Registry } from '../../src/core/registry';
import type { ExportRecord } from '../../src/host/logExport';
import { PanelSession, type PanelSessionHost } from '../../src/host/panelSession';
import type { PanelSettings, ToWebviewMessage } from '../../src/shared/protocol';
import { Cleanup, delay, rawClient, rawServer, waitUntil } from './support/sockets';

const SETTINGS: PanelSettings = { encoding: 'utf-8', lineEnding: 'none', timestamps: 'absolute', maxRecords: 10000, maxBytes: 1 << 24, defaultHost: '127.0.0.1' };

class RecordingHost implements PanelSessionHost {
  posted: ToWebviewMessage[] = [];
  bytesIn = 0;
  logged: string[] = [];
  retargeted: string[] = [];
  saved: { format: string; records: ExportRecord[] }[] = [];
  post(message: ToWebviewMessage): void {
    this.posted.push(message);
    if (message.type === 'traffic') for (const r of message.records) if (r.dir === 'in') this.bytesIn += Buffer.from(r.data, 'base64').length;
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
  async saveLog(format: 'jsonl' | 'csv', records: ExportRecord[]): Promise<boolean> {
    this.saved.push({ format, records });
    return true;
  }
  async copy(): Promise<void> {}
  async savePreset(): Promise<boolean> {
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
    return Buffer.concat(this.of('traffic').flatMap((t) => t.records.filter((r) => r.dir === 'in').map((r) => Buffer.from(r.data, 'base64'))));
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
  });

  it('batches a flood into at most ~30 messages a second and loses nothing', async () => {
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const host = new RecordingHost();
    session = new PanelSession(registry, host, listener.id);
    session.handle({ type: 'ready' });
    const client = await rawClient(cleanup, listener.address!.port);
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    const started = Date.now();
    let sent = 0;
    // About 48 MB at full loopback speed, paced into one second of writes.
    while (Date.now() - started < 1000) {
      if (!client.write(chunk)) await once(client, 'drain');
      sent += chunk.length;
      if (sent % (512 * 1024) === 0) await delay(10);
    }
    await waitUntil(() => host.bytesIn === sent, `all ${sent} bytes`, 10000);
    const elapsed = Date.now() - started;
    const batches = host.of('traffic').length;
    const chunks = host.of('traffic').reduce((n, t) => n + t.records.length, 0);
    assert.ok(batches <= Math.ceil((elapsed / 1000) * 30) + 2, `${batches} batches for ${chunks} socket reads in ${elapsed} ms`);
    assert.ok(chunks > batches, 'several reads share a batch');
    assert.equal(host.of('traffic').reduce((n, t) => n + t.dropped, 0), 0);
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

  it('sends only the newest records that fit the panel limits in a snapshot, and counts the rest', async () => {
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const client = await rawClient(cleanup, listener.address!.port);
    await waitUntil(() => listener.connections.length === 1, 'client');
    for (let i = 0; i < 30; i++) {
      client.write(`m${String(i).padStart(2, '0')}`);
      await waitUntil(() => listener.connections[0].totals.messagesIn === i + 1, `read ${i}`);
    }
    const host = new RecordingHost();
    host.settings = () => ({ ...SETTINGS, maxRecords: 10 });
    session = new PanelSession(registry, host, listener.id);
    session.handle({ type: 'ready' });
    const snapshot = host.of('snapshot')[0];
    assert.deepEqual(snapshot.records.map((r) => Buffer.from(r.data, 'base64').toString()), Array.from({ length: 10 }, (_, i) => `m${20 + i}`));
    assert.equal(snapshot.evicted, 20);
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
