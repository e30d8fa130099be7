// The panel's rows on the host, on real loopback sockets: history from the first byte, framing
// applied afterwards that hides nothing, ranges over a long log, and memory bounded by the logs.
import * as assert from 'node:assert/strict';
import { TrafficFeed, type FeedRow } from '../../src/app/panel/trafficFeed';
import { Registry } from '../../src/core/registry';
import { validateFraming } from '../../src/shared/framing';
import { Cleanup, nextEvent, rawClient, waitUntil } from './support/sockets';
import { tlsFixtures } from './support/tlsFixtures';

const NONE = { mode: 'none', maxFrameBytes: 1024 * 1024 } as const;
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString();
const rowText = (feed: TrafficFeed, row: FeedRow): string => text(feed.bytesOf(row));

function crlf() {
  const checked = validateFraming({ mode: 'delimiter', delimiter: 'crlf' });
  if (!checked.ok) throw new Error(checked.error);
  return checked.framing;
}

describe('TrafficFeed', () => {
  const cleanup = new Cleanup();
  let registry: Registry;
  let feed: TrafficFeed | undefined;

  beforeEach(() => {
    registry = new Registry();
    registry.setDefaults({ allowHalfOpen: false });
  });
  afterEach(async () => {
    feed?.dispose();
    feed = undefined;
    await registry.stopAll();
    registry.dispose();
    await cleanup.run();
  });

  it('cuts a closed client\'s bytes again under framing applied afterwards, and keeps the unfinished rest as a marked row', async () => {
    const listener = await registry.listen({ port: 0 });
    const client = await rawClient(cleanup, listener.address!.port);
    client.write('hello\n');
    await waitUntil(() => listener.connections[0]?.totals.bytesIn === 6, 'the first read');
    client.end('ONE\r\nabc');
    await waitUntil(() => registry.closedConnections(listener.id).length === 1, 'the client to close');

    feed = new TrafficFeed(registry, listener, NONE);
    const chunks = feed.all().filter((r) => r.kind === undefined).map((r) => rowText(feed!, r));
    assert.deepEqual(chunks, ['hello\n', 'ONE\r\nabc']);

    feed.setFraming(crlf());
    const framed = feed.all().filter((r) => r.kind !== 'event');
    assert.deepEqual(framed.map((r) => [r.kind, rowText(feed!, r)]), [
      ['frame', 'hello\nONE'],
      ['error', 'abc'],
    ]);
    assert.match(framed[1].note ?? '', /stream ended inside a frame/);
    const shown = framed.reduce((n, r) => n + r.length, 0);
    assert.equal(shown, 14 - 2, 'every received byte is on a row (only the CRLF delimiter itself is cut)');
  });

  it('shows a listener\'s clients coming and going as lifecycle rows, with the peer and the human close reason', async () => {
    const listener = await registry.listen({ port: 0 });
    feed = new TrafficFeed(registry, listener, NONE);
    const client = await rawClient(cleanup, listener.address!.port);
    await waitUntil(() => listener.connections.length === 1, 'the client to connect');
    const peer = `127.0.0.1:${client.localPort}`;
    const id = listener.connections[0].id;
    client.end();
    await waitUntil(() => registry.closedConnections(listener.id).length === 1, 'the client to close');
    await waitUntil(() => feed!.all().filter((r) => r.kind === 'event').length === 2, 'both lifecycle rows');
    const events = feed.all().filter((r) => r.kind === 'event');
    assert.deepEqual(events.map((r) => r.note), [`${id} connected from ${peer}`, `${id} closed by peer (FIN)`]);
    assert.ok(events.every((r) => r.time > 0 && r.connection.id === id), 'each row has its time and its connection');
  });

  it('reaches the first row of a 100,000-record log by range, within the budgets, and answers before and after', async () => {
    registry.setDefaults({ allowHalfOpen: false, log: { maxRecords: 200_000, maxBytes: 64 * 1024 * 1024 } });
    const listener = await registry.listen({ port: 0 });
    await rawClient(cleanup, listener.address!.port);
    await waitUntil(() => listener.connections.length === 1, 'the client');
    const accepted = listener.connections[0];
    feed = new TrafficFeed(registry, listener, NONE);
    // Each write sent alone so the log gets 100,000 records.
    for (let i = 0; i < 100_000; i++) await accepted.send(Buffer.from(String(i)));
    assert.equal(feed.size, 100_001, 'the connect row and every record');
    const first = feed.after(0, 10, 1 << 20, 1024);
    assert.equal(first[0].kind, 'event');
    assert.deepEqual(first.slice(1).map((r) => rowText(feed!, r)), ['0', '1', '2', '3', '4', '5', '6', '7', '8']);
    const tail = feed.tail(5, 1 << 20, 1024);
    assert.deepEqual(tail.map((r) => rowText(feed!, r)), ['99995', '99996', '99997', '99998', '99999']);
    const before = feed.before(tail[0].id, 3, 1 << 20, 1024);
    assert.deepEqual(before.map((r) => rowText(feed!, r)), ['99992', '99993', '99994']);
    const budgeted = feed.after(0, 100_000, 100, 1024);
    assert.ok(budgeted.reduce((n, r) => n + r.length, 0) <= 100, 'a byte budget bounds one answer');
  });

  it('forgets rows whose log dropped them, and never holds a chunk the log let go', async () => {
    registry.setDefaults({ allowHalfOpen: false, log: { maxRecords: 1000, maxBytes: 64 * 1024 } });
    const listener = await registry.listen({ port: 0 });
    const client = await rawClient(cleanup, listener.address!.port);
    await waitUntil(() => listener.connections.length === 1, 'the client');
    const accepted = listener.connections[0];
    feed = new TrafficFeed(registry, listener, NONE);
    const chunk = Buffer.alloc(4096, 0x61);
    for (let i = 0; i < 2000; i++) client.write(chunk);
    await waitUntil(() => accepted.totals.bytesIn === 2000 * 4096, 'the flood', 10_000);
    feed.prune();
    const rows = feed.all();
    const shown = rows.reduce((n, r) => n + feed!.bytesOf(r).length, 0);
    assert.ok(shown <= 64 * 1024, `rows show ${shown} bytes, no more than the log keeps`);
    assert.ok(rows.every((r) => r.own === undefined || r.kind !== undefined), 'chunk rows own no bytes: they read them from the log');
    assert.ok(feed.size <= accepted.log.retained.records + 1, `the feed counts only rows it can show (${feed.size})`);
    assert.ok(feed.dropped > 0, 'what the log dropped is counted');
    assert.equal(feed.all().filter((r) => r.kind === undefined).at(-1)?.rec, accepted.log.lastSeq, 'the newest record is there');
  });

  it('shows a TLS handshake as its own lifecycle row with its duration: at accept, and after a STARTTLS exchange in time order', async () => {
    const f = await tlsFixtures();
    const tlsListener = await registry.listen({ port: 0, tls: { cert: f.serverCert, key: f.serverKey } });
    feed = new TrafficFeed(registry, tlsListener, NONE);
    const accepted = nextEvent(tlsListener.onDidAccept);
    await registry.connect({ host: 'localhost', port: tlsListener.address!.port, tls: { ca: [f.caCert] } });
    await accepted;
    await waitUntil(() => feed!.all().some((r) => /TLS handshake/.test(r.note ?? '')), 'the handshake row');
    const notes = feed.all().filter((r) => r.kind === 'event').map((r) => r.note ?? '');
    assert.match(notes[0], /connected from/);
    assert.match(notes[1], /^C\d+ TLS handshake in \d+\.\d ms: TLSv1\.3 TLS_\w+; no client certificate was sent$/);
    feed.dispose();

    const plain = await registry.listen({ port: 0 });
    const serverSide = nextEvent(plain.onDidAccept);
    const client = await registry.connect({ host: '127.0.0.1', port: plain.address!.port });
    const server = await serverSide;
    feed = new TrafficFeed(registry, client, NONE);
    await client.send(Buffer.from('STARTTLS\r\n'));
    await waitUntil(() => server.totals.bytesIn === 10, 'the command');
    await Promise.all([client.startTls({ ca: [f.caCert], serverName: 'localhost' }), server.startTls({ cert: f.serverCert, key: f.serverKey })]);
    await client.send(Buffer.from('inside'));
    const shape = () => feed!.all().map((r) => (r.kind === 'event' ? (/TLS handshake/.test(r.note ?? '') ? 'tls' : 'event') : rowText(feed!, r)));
    await waitUntil(() => shape().length === 4, 'four rows');
    assert.deepEqual(shape(), ['event', 'STARTTLS\r\n', 'tls', 'inside']);
    feed.setFraming(NONE);
    assert.deepEqual(shape(), ['event', 'STARTTLS\r\n', 'tls', 'inside'], 'a rebuild puts the row in the same place');
  });
});
