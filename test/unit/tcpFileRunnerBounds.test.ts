import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as net from 'node:net';
import { RECEIVE_LIMIT, type PreparedBlock } from '../../src/core/tcpFile/runner';
import { hex, runText, serverPeer, stopPeers } from './tcpFilePeers';

const MiB = 1024 * 1024;

describe('tcp file runner bounds (Python peers on loopback)', function () {
  this.timeout(60_000);
  let server: net.Server | undefined;
  afterEach(async () => {
    await stopPeers();
    if (server) await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  it('EXPECT close during a 16 MiB flood completes, consuming bytes as they arrive with a bounded buffer', async () => {
    const size = 16 * MiB;
    const peer = await serverPeer([['flood', size], ['close']]);
    const result = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nEXPECT within 30s close`);
    assert.equal(result.status, 'passed', result.error ?? JSON.stringify(result.expectations[0].message));
    // Every byte was counted, none was held: the close consumed the flood as it came.
    assert.equal(result.received.length, size);
    assert.equal(result.expectations[0].received?.length, size);
    assert.match(result.expectations[0].received?.text ?? '', / … \(16773120 more bytes\)$/);
    assert.ok(result.peakBufferedBytes < MiB, `held ${result.peakBufferedBytes} bytes at once`);
  });

  it('a flood that never completes a line fails at the maximum frame size, as the panel framing does', async () => {
    const peer = await serverPeer([['flood', 16 * MiB]]);
    const result = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nFRAMING line\nEXPECT within 30s text never`);
    assert.equal(result.status, 'failed');
    assert.match(result.expectations[0].message ?? '', /^The frame at stream offset 0 is at least \d+ bytes, over the 1048576-byte maximum frame size/);
    assert.ok(result.peakBufferedBytes <= RECEIVE_LIMIT, `held ${result.peakBufferedBytes} bytes`);
  });

  it('a flood that never completes a frame larger than the bound stops at the unread-bytes bound with one sentence', async () => {
    const peer = await serverPeer([['flood', 16 * MiB]]);
    const framing = JSON.stringify({ mode: 'delimiter', delimiter: 'lf', maxFrameBytes: 16 * MiB });
    const result = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nFRAMING ${framing}\nEXPECT within 30s text never`);
    assert.equal(result.status, 'failed');
    assert.equal(result.expectations[0].message, 'More than 4 MiB arrived without 5 expected bytes: a run keeps at most that much unread, so it stopped comparing.');
    assert.ok(result.peakBufferedBytes <= RECEIVE_LIMIT, `held ${result.peakBufferedBytes} bytes`);
    assert.ok(result.peakBufferedBytes > RECEIVE_LIMIT / 2, 'the bound was reached, so the test exercised it');
  });

  for (const pattern of ['.*', '\\d*', '(ok)?']) {
    it(`an unframed EXPECT regex ${pattern} (it matches the empty string) waits for a byte before it passes`, async () => {
      const peer = await serverPeer([['sleep', 400], ['send', hex('ok')]]);
      const result = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nEXPECT within 5s regex ${pattern}`);
      assert.equal(result.status, 'passed', result.expectations[0].message);
      assert.ok(result.expectations[0].durationMs >= 350, `passed after ${result.expectations[0].durationMs} ms, before the peer sent anything`);
      assert.equal(result.received.text, 'ok');
    });
  }

  it('an empty-matching regex fails when the peer closes without sending a byte', async () => {
    const peer = await serverPeer([['close']]);
    const result = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nEXPECT within 5s regex .*`);
    assert.equal(result.status, 'failed');
    assert.match(result.expectations[0].message ?? '', /^The peer closed the connection before a match for \/\.\*\/ arrived\.$/);
  });

  it('a refusal from the confirm hook stops the block before any socket opens', async () => {
    let connections = 0;
    server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const asked: PreparedBlock[] = [];
    const refused = await runText(`### send\nCONNECT 127.0.0.1:${port}\nSEND text hi\nEXPECT close`, {
      confirm: async (block) => {
        asked.push(block);
        return 'Not run: the user said no.';
      },
    });
    assert.equal(refused.status, 'error');
    assert.equal(refused.error, 'Not run: the user said no.');
    assert.deepEqual(asked.map((b) => [b.kind, b.host, b.port, b.files]), [['connect', '127.0.0.1', port, []]]);
    // Let a connection that should not exist reach the server before counting.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(connections, 0);
    const allowed = await runText(`### send\nCONNECT 127.0.0.1:${port}\nSEND text hi\nEXPECT close`, { confirm: async () => undefined });
    assert.equal(allowed.status, 'passed', allowed.error);
    assert.equal(connections, 1);
  });
});
