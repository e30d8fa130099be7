// The panel's mock-server side on real loopback sockets: framing rows, rules and echo answering a
// real client, the write pattern of a send with faults as a raw peer sees it, the host-side repeat
// running with no webview, and latency figures for client connections.
import * as assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { Registry } from '../../src/core/registry';
import { MockServer } from '../../src/core/mockServer';
import { ListenerBehaviours } from '../../src/app/listenerBehaviours';
import { PanelSession } from '../../src/app/panel/panelSession';
import type { BehaviourInfo, WireRecord } from '../../src/shared/protocol';
import { RecordingHost } from './panelSession.test';
import { ByteSink, Cleanup, delay, rawClient, rawServer, waitUntil } from './support/sockets';

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const text = (record: WireRecord): string => Buffer.from(record.data, 'base64').toString();

/** Rows that carry bytes (not the connect and close rows). */
function dataRows(records: WireRecord[]): WireRecord[] {
  return records.filter((r) => r.kind !== 'event');
}

function trafficRecords(host: RecordingHost): WireRecord[] {
  return dataRows(host.of('traffic').flatMap((t) => t.records));
}

describe('PanelSession mock server, framing, faults and repeat on real sockets', () => {
  const cleanup = new Cleanup();
  let registry: Registry;
  let behaviours: ListenerBehaviours;
  let sessions: PanelSession[] = [];

  beforeEach(() => {
    registry = new Registry();
    behaviours = new ListenerBehaviours();
  });
  afterEach(async () => {
    for (const session of sessions) session.dispose();
    sessions = [];
    behaviours.dispose();
    await registry.stopAll();
    registry.dispose();
    await cleanup.run();
  });

  function open(targetId: string | undefined, host = new RecordingHost()): { session: PanelSession; host: RecordingHost } {
    const session = new PanelSession(registry, host, targetId, undefined, behaviours);
    sessions.push(session);
    session.handle({ type: 'ready' });
    return { session, host };
  }

  async function configure(session: PanelSession, host: RecordingHost, requestId: number, behaviour: BehaviourInfo): Promise<void> {
    session.handle({ type: 'behaviour', requestId, behaviour });
    const reply = await host.reply(requestId);
    assert.equal(reply.ok, true, reply.error);
  }

  it('shows received frames, not chunks, and an over-long frame as an error row without losing later frames', async () => {
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const { session, host } = open(listener.id);
    await configure(session, host, 1, { framing: { mode: 'delimiter', delimiter: 'lf', maxFrameBytes: 8 }, echo: false, rules: [] });
    const client = await rawClient(cleanup, listener.address!.port);
    // One frame split over two writes, two frames in one write, then an over-long one and a good one.
    client.write('hel');
    await delay(30);
    client.write('lo\nworld\nfoo\n');
    await delay(30);
    client.write('this line is too long\nok\n');
    await waitUntil(() => trafficRecords(host).some((r) => r.kind === 'frame' && text(r) === 'ok'), 'last frame');
    const rows = trafficRecords(host).filter((r) => r.dir === 'in');
    assert.deepEqual(rows.map((r) => (r.kind === 'error' ? 'ERROR' : text(r))), ['hello', 'world', 'foo', 'ERROR', 'ok']);
    assert.match(rows[3].note ?? '', /longer|too long|exceeds|over/i);
    // The counters are the socket's, exact whatever the framing shows.
    await waitUntil(() => { const t = host.of('target').at(-1)?.target; return t?.kind === 'listener' && t.totals.bytesIn === 41; }, 'exact totals');

    // A reopened webview gets the same frames from the retained log.
    session.handle({ type: 'ready' });
    const snapshot = host.of('snapshot').at(-1)!;
    assert.deepEqual(dataRows(snapshot.records).map((r) => (r.kind === 'error' ? 'ERROR' : text(r))), ['hello', 'world', 'foo', 'ERROR', 'ok']);
    assert.equal(snapshot.behaviour?.framing.mode, 'delimiter');

    // Back to raw chunks: the retained log is shown again, every byte as it arrived.
    const snapshots = host.of('snapshot').length;
    await configure(session, host, 2, { framing: { mode: 'none' }, echo: false, rules: [] });
    assert.equal(host.of('snapshot').length, snapshots + 1);
    const raw = dataRows(host.of('snapshot').at(-1)!.records);
    assert.ok(raw.every((r) => r.kind === undefined));
    assert.equal(raw.map(text).join(''), 'hello\nworld\nfoo\nthis line is too long\nok\n');
  });

  it('answers a real client with rules and echo, counts hits, and keeps them after the panel closes', async () => {
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const { session, host } = open(listener.id);
    await configure(session, host, 1, {
      framing: { mode: 'delimiter', delimiter: 'lf' },
      echo: true,
      rules: [
        { name: 'ping', match: 'regex', pattern: '^PING (\\d+)$', reply: 'PONG $1\n' },
        { name: 'order', match: 'regex', pattern: '^ORDER (?<id>\\w+)$', reply: 'OK ${id}\n', delayMs: 20 },
        { name: 'hb', match: 'hexPrefix', pattern: '05', reply: '06 0a', replyFormat: 'hex' },
      ],
    });
    const client = await rawClient(cleanup, listener.address!.port);
    const sink = new ByteSink();
    client.on('data', sink.push);
    client.write('PING 7\nORDER a1\nhello\n\x05x\n');
    await waitUntil(() => sink.text() === 'PONG 7\nOK a1\nhello\n\x06\n', `replies (got ${JSON.stringify(sink.text())})`);
    await waitUntil(() => { const t = host.of('target').at(-1)?.target; return t?.kind === 'listener' && (t.ruleHits ?? []).map((r) => r.hits).join() === '1,1,1'; }, 'hit counters');

    // A bad rule is refused with one sentence naming it, and the running rules stay as they were.
    session.handle({ type: 'behaviour', requestId: 2, behaviour: { framing: { mode: 'delimiter', delimiter: 'lf' }, echo: false, rules: [{ match: 'regex', pattern: '(a+)+$', reply: 'x' }] } });
    const refused = await host.reply(2);
    assert.equal(refused.ok, false);
    assert.match(refused.error ?? '', /rules\[0\]|rule 1/);
    assert.doesNotMatch(refused.error ?? '', /\n/);
    client.write('PING 8\n');
    await waitUntil(() => sink.text().endsWith('PONG 8\n'), 'rules unchanged');

    // Closing the panel does not stop the mock server; a new panel shows its rules.
    session.dispose();
    sessions = sessions.filter((s) => s !== session);
    client.write('PING 9\n');
    await waitUntil(() => sink.text().endsWith('PONG 9\n'), 'still answering without a panel');
    const again = open(listener.id);
    assert.equal(again.host.of('snapshot')[0].behaviour?.rules.length, 3);
    assert.equal(again.host.of('snapshot')[0].behaviour?.echo, true);

    again.session.handle({ type: 'saveBehaviour', requestId: 3 });
    assert.equal((await again.host.reply(3)).ok, true);
    assert.equal(again.host.behaviourSaves[0].behaviour.rules.length, 3);
    assert.equal(again.host.behaviourSaves[0].target.kind, 'listener');
  });

  it('sends with faults: a raw peer sees each split write separately, then the half-close', async () => {
    const reads: Buffer[] = [];
    let ended = false;
    const port = await rawServer(cleanup, (socket: Socket) => {
      socket.on('data', (chunk) => reads.push(chunk));
      socket.on('end', () => (ended = true));
    }, true);
    const connection = await registry.connect({ host: '127.0.0.1', port });
    const { session, host } = open(connection.id);
    session.handle({ type: 'send', requestId: 1, data: b64('abcdefghij'), faults: { splitInto: 3, splitDelayMs: 100, after: 'halfClose' } });
    const reply = await host.reply(1);
    assert.equal(reply.ok, true, reply.error);
    assert.match(reply.detail ?? '', /^3 writes: 4 B at \d+ ms, 3 B at \d+ ms, 3 B at \d+ ms, then half-closed/);
    await waitUntil(() => ended, 'FIN at the peer');
    assert.deepEqual(reads.map(String), ['abcd', 'efg', 'hij']);
    await waitUntil(() => trafficRecords(host).filter((r) => r.kind === 'write').length === 3, 'write rows');
    const writes = trafficRecords(host).filter((r) => r.dir === 'out');
    assert.deepEqual(writes.map(text), ['abcd', 'efg', 'hij']);
    assert.deepEqual(writes.map((r) => r.note?.replace(/at \+\d+ ms/, 'at')), ['write 1 of 3 at', 'write 2 of 3 at', 'write 3 of 3 at']);

    // Coalescing three copies makes one write; invalid options are refused before anything is written.
    const other = await rawServer(cleanup, (socket) => socket.on('data', (chunk) => reads.push(chunk)));
    const second = await registry.connect({ host: '127.0.0.1', port: other });
    const panel = open(second.id);
    reads.length = 0;
    panel.session.handle({ type: 'send', requestId: 2, data: b64('xy'), copies: 3, faults: { coalesce: true } });
    assert.equal((await panel.host.reply(2)).detail, '1 write: 6 B at 0 ms.');
    await waitUntil(() => Buffer.concat(reads).toString() === 'xyxyxy', 'coalesced bytes');
    panel.session.handle({ type: 'send', requestId: 3, data: b64('xy'), faults: { splitInto: 0 } });
    await delay(30);
    assert.equal(panel.host.of('reply').some((r) => r.requestId === 3), false, 'malformed faults are refused like any malformed message');
    assert.match(panel.host.logged.at(-1) ?? '', /splitInto/);
  });

  it('broadcasts a send with faults to every client, drip then reset', async () => {
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const { session, host } = open(listener.id);
    const a = await rawClient(cleanup, listener.address!.port);
    const b = await rawClient(cleanup, listener.address!.port);
    const sinks = [new ByteSink(), new ByteSink()];
    [a, b].forEach((socket, i) => socket.on('data', sinks[i].push));
    await waitUntil(() => listener.connections.length === 2, 'two clients');
    const accepted = [...listener.connections];
    session.handle({ type: 'send', requestId: 1, data: b64('abc'), to: 'all', faults: { dripIntervalMs: 10, after: 'reset' } });
    const reply = await host.reply(1);
    assert.equal(reply.ok, true, reply.error);
    assert.match(reply.detail ?? '', /^To 2 clients, each: 3 writes: 1 B at \d+ ms, 1 B at \d+ ms, 1 B at \d+ ms, then reset/);
    // Whether the peer then reads ECONNRESET or EOF is the engine's business (faults tests); here
    // the panel must have asked for the reset on both clients, after every byte arrived.
    await waitUntil(() => accepted.every((c) => c.closeReason === 'reset'), 'both clients reset');
    await waitUntil(() => sinks.every((s) => s.text() === 'abc'), 'every byte at both clients');
  });

  it('repeats on the host while no webview is showing, reports the count, and stops on request', async () => {
    const port = await rawServer(cleanup, () => undefined);
    const connection = await registry.connect({ host: '127.0.0.1', port });
    const { session, host } = open(connection.id);
    session.handle({ type: 'send', requestId: 1, data: b64('tick'), repeat: { intervalMs: 20 } });
    assert.equal((await host.reply(1)).ok, true);
    session.setVisible(false);
    const posted = host.posted.length;
    await waitUntil(() => connection.totals.messagesOut >= 5, 'five sends while hidden');
    assert.equal(host.posted.length, posted, 'nothing posted to a hidden webview');
    // Shown again: the snapshot carries the running repeat.
    session.handle({ type: 'ready' });
    const repeat = host.of('snapshot').at(-1)!.target?.repeat;
    assert.ok(repeat?.running && repeat.sent >= 5, JSON.stringify(repeat));
    session.handle({ type: 'send', requestId: 2, data: b64('tick'), repeat: { intervalMs: 20 } });
    assert.match((await host.reply(2)).error ?? '', /already running/);
    session.handle({ type: 'stopRepeat', requestId: 3 });
    await host.reply(3);
    await waitUntil(() => host.of('target').at(-1)?.target.repeat?.running === false, 'stopped');
    const stopped = host.of('target').at(-1)!.target.repeat!;
    assert.equal(stopped.sent, connection.totals.messagesOut);
    assert.match(stopped.outcome ?? '', /^Stopped after \d+ sends\.$/);
    await delay(60);
    assert.equal(connection.totals.messagesOut, stopped.sent, 'no send after Stop');

    // A counted repeat completes on its own.
    session.handle({ type: 'send', requestId: 4, data: b64('x'), repeat: { intervalMs: 5, count: 3 } });
    await host.reply(4);
    await waitUntil(() => host.of('target').at(-1)?.target.repeat?.outcome === 'Sent 3 times.', 'three sends');
  });

  it('shows p50 and p95 latency for a client connection talking to an echo server', async () => {
    const port = await rawServer(cleanup, (socket) => socket.on('data', (chunk) => setTimeout(() => socket.write(chunk), 15)));
    const connection = await registry.connect({ host: '127.0.0.1', port });
    const { session, host } = open(connection.id);
    for (let i = 1; i <= 5; i++) {
      session.handle({ type: 'send', requestId: i, data: b64(`q${i}`) });
      await host.reply(i);
      await waitUntil(() => connection.totals.messagesIn >= i, `answer ${i}`);
    }
    await waitUntil(() => { const t = host.of('target').at(-1)?.target; return t?.kind === 'connection' && t.latency?.count === 5; }, 'five samples');
    const last = host.of('target').at(-1)!.target;
    const latency = last.kind === 'connection' ? last.latency! : assert.fail('a connection target');
    assert.ok(latency.p50 !== undefined && latency.p50 >= 10 && latency.p50 < 1000, JSON.stringify(latency));
    assert.ok(latency.p95 !== undefined && latency.p95 >= latency.p50, JSON.stringify(latency));
  });

  it('refuses echo and rules on a connection panel but accepts framing there', async () => {
    const port = await rawServer(cleanup, (socket) => socket.write('\x02one\x03\x02two\x03'));
    const connection = await registry.connect({ host: '127.0.0.1', port });
    const { session, host } = open(connection.id);
    session.handle({ type: 'behaviour', requestId: 1, behaviour: { framing: { mode: 'none' }, echo: true, rules: [] } });
    assert.match((await host.reply(1)).error ?? '', /listener/);
    await configure(session, host, 2, { framing: { mode: 'markers', start: '02', end: '03' }, echo: false, rules: [] });
    await waitUntil(() => connection.totals.bytesIn === 10, 'greeting');
    session.handle({ type: 'ready' });
    assert.deepEqual(dataRows(host.of('snapshot').at(-1)!.records).map(text), ['one', 'two']);
  });
});

describe('ListenerBehaviours.adopt', () => {
  it('lets a listener panel show and replace a mock server started from a preset, without answering twice', async () => {

    const cleanup = new Cleanup();
    const registry = new Registry();
    const behaviours = new ListenerBehaviours();
    try {
      const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
      const preset = { kind: 'listener', framing: { mode: 'delimiter', delimiter: 'lf' }, rules: [{ match: 'exact', pattern: 'A', reply: 'one\n' }] };
      const attached = MockServer.attach(listener, preset);
      assert.ok(attached.ok);
      behaviours.adopt(listener, attached.server, preset);
      const host = new RecordingHost();
      const session = new PanelSession(registry, host, listener.id, undefined, behaviours);
      session.handle({ type: 'ready' });
      assert.equal(host.of('snapshot')[0].behaviour?.rules.length, 1);
      session.handle({ type: 'behaviour', requestId: 1, behaviour: { framing: { mode: 'delimiter', delimiter: 'lf' }, echo: false, rules: [{ match: 'exact', pattern: 'A', reply: 'two\n' }] } });
      assert.equal((await host.reply(1)).ok, true);
      const client = await rawClient(cleanup, listener.address!.port);
      const sink = new ByteSink();
      client.on('data', sink.push);
      client.write('A\n');
      await waitUntil(() => sink.text() === 'two\n', 'the edited reply');
      await delay(50);
      assert.equal(sink.text(), 'two\n', 'exactly one answer');
      session.dispose();
    } finally {
      behaviours.dispose();
      await registry.stopAll();
      registry.dispose();
      await cleanup.run();
    }
  });
});
