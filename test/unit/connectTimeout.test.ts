// tcpLab.connection.connectTimeout as the registry applies it, against a loopback port whose SYNs the
// kernel drops (the Python backlog hog), so the timeout really expires on a real socket.
import * as assert from 'node:assert/strict';
import { TcpError } from '../../src/core/errors';
import { Registry } from '../../src/core/registry';
import { Cleanup, hangingLoopbackPort } from './support/sockets';

const HINT = 'tcpLab.connection.connectTimeout (seconds)';

describe('connect timeout from the settings (registry defaults)', () => {
  const cleanup = new Cleanup();
  let registry: Registry;
  beforeEach(() => {
    registry = new Registry();
    cleanup.add(async () => {
      await registry.stopAll();
      registry.dispose();
    });
  });
  afterEach(() => cleanup.run());

  async function timesOut(attempt: Promise<unknown>, expectedMs: number, hint: string | undefined, port: number): Promise<number> {
    const started = Date.now();
    await assert.rejects(attempt, (err: TcpError) => {
      assert.ok(err instanceof TcpError);
      assert.equal(err.code, 'ETIMEDOUT');
      assert.equal(
        err.message,
        `Connecting to 127.0.0.1:${port} timed out after ${expectedMs} ms; check that the server is running and that no firewall drops the packets, or raise ${hint ?? 'the timeout'}.`,
      );
      return true;
    });
    return Date.now() - started;
  }

  it('waits as long as the setting says, and names the setting in the sentence', async function () {
    const port = await hangingLoopbackPort(cleanup);
    if (port === undefined) this.skip(); // the kernel never dropped a SYN: no honest loopback timeout here
    registry.setDefaults({ connectTimeoutMs: 300, connectTimeoutHint: HINT });
    const elapsed = await timesOut(registry.connect({ host: '127.0.0.1', port }), 300, HINT, port);
    // The lower bound proves the setting, not the built-in 10 s, ended the wait; the upper one is loose for a busy machine.
    assert.ok(elapsed >= 290 && elapsed < 5000, `timed out after ${elapsed} ms`);
    assert.equal(registry.connections().length, 0, 'no half-open connection stays behind');
  });

  it('treats an explicit timeoutMs: undefined (a .tcp block or tool without one) as no choice', async function () {
    const port = await hangingLoopbackPort(cleanup);
    if (port === undefined) this.skip();
    registry.setDefaults({ connectTimeoutMs: 250, connectTimeoutHint: HINT });
    await timesOut(registry.connect({ host: '127.0.0.1', port, timeoutMs: undefined }), 250, HINT, port);
  });

  it("lets a caller's own timeout win, and then does not blame the setting", async function () {
    const port = await hangingLoopbackPort(cleanup);
    if (port === undefined) this.skip();
    registry.setDefaults({ connectTimeoutMs: 60_000, connectTimeoutHint: HINT });
    const elapsed = await timesOut(registry.connect({ host: '127.0.0.1', port, timeoutMs: 200 }), 200, undefined, port);
    assert.ok(elapsed < 5000, `the caller's 200 ms applied, not the setting's 60 s (took ${elapsed} ms)`);
  });

  it('still connects at once to a listener that answers', async () => {
    registry.setDefaults({ connectTimeoutMs: 300, connectTimeoutHint: HINT });
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const client = await registry.connect({ host: '127.0.0.1', port: listener.address!.port });
    assert.equal(client.state, 'open');
  });
});
