// The mock server on real loopback sockets: a Listener with framing, auto-reply rules and echo,
// driven by plain node:net clients and a Python client.
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { TcpError } from '../../src/core/errors';
import { Listener } from '../../src/core/listener';
import { MAX_QUEUED_REPLIES, MockServer, READ_HOLD_REPLIES, type MockFramingError, type MockReply } from '../../src/core/mockServer';
import { validatePresetBehaviour } from '../../src/shared/presetBehaviour';
import { ByteSink, Cleanup, delay, nextEvent, rawClient, runPythonPeer, waitUntil } from './support/sockets';

describe('MockServer', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  async function mock(preset: unknown): Promise<{ listener: Listener; server: MockServer; port: number }> {
    const listener = await Listener.listen({ port: 0 });
    cleanup.add(() => listener.stop({ closeConnections: true }));
    const attached = MockServer.attach(listener, preset);
    if (!attached.ok) throw new Error(attached.error);
    cleanup.add(() => attached.server.dispose());
    return { listener, server: attached.server, port: listener.address!.port };
  }

  async function client(port: number): Promise<{ socket: Socket; sink: ByteSink }> {
    const socket = await rawClient(cleanup, port);
    const sink = new ByteSink();
    socket.on('data', sink.push);
    return { socket, sink };
  }

  it('answers each rule kind over a line protocol, with captures, in order', async () => {
    const { server, port } = await mock({
      kind: 'listener',
      framing: { mode: 'delimiter', delimiter: 'lf' },
      rules: [
        { name: 'ping', match: 'regex', pattern: '^PING (?<seq>\\d+)$', reply: 'PONG ${seq}\n' },
        { name: 'hello', match: 'exact', pattern: 'HELLO', reply: 'WELCOME\n' },
        { name: 'binary', match: 'hexPrefix', pattern: '02', reply: '06 0a', replyFormat: 'hex' },
        { name: 'errors', match: 'contains', pattern: 'fail', ignoreCase: true, reply: 'NOTED $0\n' },
      ],
    });
    const { socket, sink } = await client(port);
    // Written in awkward pieces: frames must still be exact.
    for (const piece of ['PI', 'NG 41\nHEL', 'LO\n\x02xy\nsomething FAILED\nPING 4', '2\nunknown\n']) {
      socket.write(piece);
      await delay(5);
    }
    await waitUntil(() => sink.text() === 'PONG 41\nWELCOME\n\x06\nNOTED something FAILED\nPONG 42\n', `replies, got ${JSON.stringify(sink.text())}`);
    assert.deepEqual(
      server.ruleStatus().map((r) => [r.name, r.hits]),
      [
        ['ping', 2],
        ['hello', 1],
        ['binary', 1],
        ['errors', 1],
      ],
    );
  });

  it('echoes frames no rule answered, exactly as they arrived (delimiter included)', async () => {
    const { port } = await mock({
      framing: { mode: 'delimiter', delimiter: 'crlf' },
      echo: true,
      rules: [{ match: 'exact', pattern: 'TIME', reply: 'NOON\r\n' }],
    });
    const { socket, sink } = await client(port);
    socket.write('abc\r\nTIME\r\n\x00\xff\r\n');
    await waitUntil(() => sink.length >= 'abc\r\nNOON\r\n'.length + 4, 'echo and reply');
    assert.deepEqual(sink.bytes(), Buffer.concat([Buffer.from('abc\r\nNOON\r\n'), Buffer.from([0x00, 0xc3, 0xbf, 0x0d, 0x0a])]));
  });

  it('echo without framing returns every byte unchanged (binary, large)', async () => {
    const { port } = await mock({ echo: true });
    const { socket, sink } = await client(port);
    const payload = Buffer.alloc(300_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 131) & 0xff;
    socket.write(payload);
    await waitUntil(() => sink.length === payload.length, 'the whole echo', 10000);
    assert.ok(sink.bytes().equals(payload));
  });

  it('delays a reply and keeps replies in frame order', async () => {
    const { port } = await mock({
      framing: { mode: 'delimiter', delimiter: 'lf' },
      rules: [
        { match: 'exact', pattern: 'slow', reply: 'slow done\n', delayMs: 200 },
        { match: 'exact', pattern: 'fast', reply: 'fast done\n' },
      ],
    });
    const { socket, sink } = await client(port);
    const started = performance.now();
    socket.write('slow\nfast\n');
    await waitUntil(() => sink.text() === 'slow done\nfast done\n', 'both replies');
    assert.ok(performance.now() - started >= 195, 'the reply waited for its delay');
  });

  it('many small replies waiting behind a delayed one hold reading by their count, and all go out in order', async () => {
    const { listener, server, port } = await mock({
      framing: { mode: 'delimiter', delimiter: 'lf' },
      rules: [
        { match: 'exact', pattern: 'slow', reply: 'S\n', delayMs: 600 },
        { match: 'exact', pattern: 'f', reply: 'F\n' },
      ],
    });
    const { socket, sink } = await client(port);
    const first = 'slow\n' + 'f\n'.repeat(MAX_QUEUED_REPLIES);
    socket.write(first);
    await waitUntil(() => listener.connections[0]?.readHolds.includes(READ_HOLD_REPLIES), 'the replies to hold reading');
    const connection = listener.connections[0];
    const [backlog] = server.replyBacklog();
    assert.equal(backlog.replies, MAX_QUEUED_REPLIES + 1);
    assert.equal(backlog.bytes, 2 * (MAX_QUEUED_REPLIES + 1));
    assert.ok(backlog.holdingReads);
    // Held: a second batch waits in the kernel until the slow reply and the backlog behind it went out.
    socket.write('f\n'.repeat(1000));
    await delay(200);
    assert.equal(connection.totals.bytesIn, first.length);
    const expected = 'S\n' + 'F\n'.repeat(MAX_QUEUED_REPLIES + 1000);
    await waitUntil(() => sink.length === expected.length, 'every reply');
    assert.equal(sink.text(), expected);
    await waitUntil(() => server.replyBacklog().length === 0, 'the backlog to empty');
    assert.deepEqual(connection.readHolds, []);
    assert.equal(server.queuedReplyBytes, 0);
  });

  it('half-closes after a close rule replies, and answers nothing after it', async () => {
    const { server, port } = await mock({
      framing: { mode: 'delimiter', delimiter: 'lf' },
      echo: true,
      rules: [{ match: 'exact', pattern: 'QUIT', reply: 'BYE\n', closeAfterReply: true }],
    });
    const replies: MockReply[] = [];
    server.onDidReply((r) => replies.push(r));
    const { socket, sink } = await client(port);
    socket.write('one\nQUIT\nafter\n');
    await once(socket, 'end');
    assert.equal(sink.text(), 'one\nBYE\n');
    assert.deepEqual(
      replies.map((r) => [r.source, r.rule?.name, Buffer.from(r.bytes).toString(), r.closed]),
      [
        ['echo', undefined, 'one\n', false],
        ['rule', 'rule 1', 'BYE\n', true],
      ],
    );
  });

  it('a Python client gets its answer, then the server closes (mock server for code under test)', async () => {
    const { port } = await mock({
      kind: 'listener',
      framing: { mode: 'delimiter', delimiter: 'lf' },
      rules: [
        { name: 'status', match: 'regex', pattern: '^STATUS (\\w+)$', reply: '200 $1 is fine\n' },
        { name: 'end', match: 'exact', pattern: 'END', closeAfterReply: true },
      ],
    });
    const { code, stdout, stderr } = await runPythonPeer('client.py', ['127.0.0.1', String(port), 'STATUS db\nEND\n']);
    assert.equal(code, 0, stderr);
    assert.equal(stdout.toString(), '200 db is fine\n');
  });

  it('reports over-long and incomplete frames per connection and keeps answering', async () => {
    const { server, port } = await mock({
      framing: { mode: 'lengthPrefix', lengthBytes: 1, maxFrameBytes: 4 },
      rules: [{ match: 'regex', pattern: '^(.*)$', flags: 's', reply: '<$1>' }],
    });
    const errors: MockFramingError[] = [];
    server.onDidFramingError((e) => errors.push(e));
    const { socket, sink } = await client(port);
    socket.write(Buffer.from([2, 0x68, 0x69, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 0x21, 3, 0x61]));
    await waitUntil(() => sink.text() === '<hi><!>', 'replies around the over-long frame');
    socket.end();
    await waitUntil(() => errors.length === 2, 'the incomplete frame at the end');
    assert.deepEqual(
      errors.map((e) => e.error.code),
      ['FRAME_TOO_LONG', 'INCOMPLETE_FRAME'],
    );
    assert.match(errors[0].connectionId, /^C\d+$/);
  });

  it('broadcasts to every client and sends to one chosen client', async () => {
    const { listener, server, port } = await mock({ framing: { mode: 'delimiter', delimiter: 'lf' } });
    const a = await client(port);
    const b = await client(port);
    await waitUntil(() => listener.connections.length === 2, 'two accepted clients');
    await server.broadcast(new TextEncoder().encode('all\n'));
    const [first, second] = listener.connections;
    const secondPort = second.remote!.port;
    await server.sendTo(second.id, new TextEncoder().encode('only you\n'));
    const target = a.socket.localPort === secondPort ? a : b;
    const other = target === a ? b : a;
    await waitUntil(() => target.sink.text() === 'all\nonly you\n' && other.sink.text() === 'all\n', 'broadcast and the direct send');
    await assert.rejects(server.sendTo('C99999', new Uint8Array([1])), (err: unknown) => {
      assert.ok(err instanceof TcpError);
      assert.equal(err.code, 'UNKNOWN_CONNECTION');
      assert.equal(err.message, `Connection C99999 is not an open client of listener ${listener.id} (open: ${first.id}, ${second.id}); pick one of those.`);
      return true;
    });
  });

  it('applies updated rules at once and stops answering when disposed', async () => {
    const { server, port } = await mock({ framing: { mode: 'delimiter', delimiter: 'lf' }, rules: [{ match: 'exact', pattern: 'v', reply: 'one\n' }] });
    const { socket, sink } = await client(port);
    socket.write('v\n');
    await waitUntil(() => sink.text() === 'one\n', 'first version');
    const next = validatePresetBehaviour({ framing: { mode: 'delimiter', delimiter: 'lf' }, rules: [{ match: 'exact', pattern: 'v', reply: 'two\n' }] });
    assert.ok(next.ok);
    server.update(next.behaviour);
    assert.equal(server.ruleStatus()[0].hits, 0, 'hit counters restart with new rules');
    socket.write('v\n');
    await waitUntil(() => sink.text() === 'one\ntwo\n', 'second version');
    const refused = server.reconfigure({ framing: { mode: 'fixed', size: 0 } }, 'panel');
    assert.deepEqual(refused, { ok: false, error: 'panel.framing.size must be a whole number of bytes, at least 1 (got 0).' });
    assert.deepEqual(server.reconfigure({ framing: { mode: 'fixed', size: 2 }, echo: true }), { ok: true });
    socket.write('v\nxy');
    await waitUntil(() => sink.text() === 'one\ntwo\nv\nxy', 'the echo under the new fixed framing');
    server.dispose();
    socket.write('v\n');
    await delay(100);
    assert.equal(sink.text(), 'one\ntwo\nv\nxy');
  });

  it('refuses an invalid preset with one sentence and attaches nothing', async () => {
    const listener = await Listener.listen({ port: 0 });
    cleanup.add(() => listener.stop({ closeConnections: true }));
    const attached = MockServer.attach(listener, { rules: [{ match: 'regex', pattern: '(a*)*', reply: 'x' }] }, 'tcpLab.presets[0]');
    assert.equal(attached.ok, false);
    assert.match(attached.ok ? '' : attached.error, /^tcpLab\.presets\[0\]\.rules\[0\]\.pattern is refused because the nested quantifier/);
  });

  it('a catastrophic regex rule is switched off without stalling other connections', async () => {
    const { server, port } = await mock({
      framing: { mode: 'delimiter', delimiter: 'lf' },
      rules: [
        { name: 'evil', match: 'regex', pattern: '^(x|x)*y$', reply: 'never' },
        { name: 'fallback', match: 'contains', pattern: 'x', reply: 'ok\n' },
      ],
    });
    const fault = nextEvent(server.onDidFaultRule);
    const { socket, sink } = await client(port);
    const started = performance.now();
    // Switched off after its second overrun of the per-frame budget; the fallback answers both frames.
    socket.write('x'.repeat(40) + '\n' + 'x'.repeat(40) + '\n');
    await waitUntil(() => sink.text() === 'ok\nok\n', 'the fallback replies');
    assert.ok(performance.now() - started < 2000);
    assert.equal((await fault).name, 'evil');
    assert.equal(server.ruleStatus()[0].enabled, false);
  });
});
