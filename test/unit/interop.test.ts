// Interop with peers not written in TypeScript: the Python 3 scripts in test/peers.
import * as assert from 'node:assert/strict';
import { Connection } from '../../src/core/connection';
import { Listener } from '../../src/core/listener';
import { ByteSink, Cleanup, nextEvent, runPythonPeer, startPythonPeer, waitUntil } from './support/sockets';

describe('Interop with Python peers', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('a Connection talks to a Python echo server, half-closes, and gets its FIN back', async () => {
    const { port } = await startPythonPeer(cleanup, 'echoServer.py');
    const connection = await Connection.connect({ host: '127.0.0.1', port });
    cleanup.add(() => connection.destroy());
    const sink = new ByteSink();
    connection.onDidReceive(sink.push);
    const payload = Buffer.from([...Array(256).keys()].concat([...'héllo, 世界'].map((c) => c.charCodeAt(0) & 0xff)));
    await connection.send(payload);
    await waitUntil(() => sink.length === payload.length, 'the echo');
    assert.deepEqual(sink.bytes(), payload);

    const closed = nextEvent(connection.onDidClose);
    connection.end();
    assert.equal((await closed).reason, 'local');
    assert.equal(connection.totals.bytesIn, payload.length);
    assert.equal(connection.totals.bytesOut, payload.length);
  });

  it('a Python client talks to a Listener that answers each message', async () => {
    const listener = await Listener.listen({ port: 0 });
    cleanup.add(() => listener.stop({ closeConnections: true }));
    listener.onDidAccept((connection) => {
      const sink = new ByteSink();
      connection.onDidReceive(sink.push);
      // The client half-closes after its message; answer with what we got, then end.
      connection.onDidChangeState((state) => {
        if (state !== 'halfClosed') return;
        void connection.send(Buffer.from(`got ${sink.length} bytes: ${sink.text().toUpperCase()}`)).then(() => connection.end());
      });
    });
    const result = await runPythonPeer('client.py', ['127.0.0.1', String(listener.address!.port), 'hello from python']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.toString('utf8'), 'got 17 bytes: HELLO FROM PYTHON');
  });
});
