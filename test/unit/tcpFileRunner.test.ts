import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { engineSockets } from '../../src/core/tcpFile/engineSockets';
import { parseTcpFile } from '../../src/core/tcpFile/parser';
import { runBlock, runFile } from '../../src/core/tcpFile/runner';
import { clientPeer, hex, runText, serverPeer, stopPeers } from './tcpFilePeers';

/** A loopback port that was just free: bound, then released, so connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('tcp file runner (Python peers on loopback)', function () {
  this.timeout(15000);
  afterEach(stopPeers);

  it('passes when the peer answers as expected, with durations and byte counts', async () => {
    const peer = await serverPeer([['recv', 6], ['send', hex('hi there\r\n')]]);
    const result = await runText(`### greet\nCONNECT 127.0.0.1:${peer.port}\nLINE-ENDING crlf\nSEND text helo\nEXPECT text hi there\\r\\n`);
    assert.equal(result.status, 'passed', result.error);
    assert.equal(result.bytesSent, 6);
    assert.equal(result.expectations[0].status, 'passed');
    assert.equal(result.expectations[0].received?.text, 'hi there\\r\\n');
    assert.ok(result.durationMs >= result.expectations[0].durationMs);
    assert.equal(await peer.exited, 0, 'the runner closed its socket, so the peer saw EOF and exited');
  });

  it('fails with expected and received bytes in hex and text when the reply differs', async () => {
    const peer = await serverPeer([['send', hex('nope')]]);
    const result = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nEXPECT text yes\nEXPECT close`);
    assert.equal(result.status, 'failed');
    const [first, second] = result.expectations;
    assert.equal(first.status, 'failed');
    assert.match(first.message ?? '', /offset 0/);
    assert.equal(first.expected?.hex, '79 65 73');
    assert.equal(first.received?.text, 'nope');
    assert.equal(second.status, 'skipped');
  });

  it('names the offset of a difference that arrives in a later chunk than the matching start', async () => {
    const peer = await serverPeer([['send', hex('abc')], ['sleep', 300], ['send', hex('dXf')]]);
    const result = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nEXPECT text abcdef`);
    assert.equal(result.status, 'failed');
    assert.equal(result.expectations[0].message, 'Expected and received bytes differ at offset 4.');
    assert.equal(result.expectations[0].received?.text, 'abcdXf');
    const passing = await serverPeer([['send', hex('ab')], ['sleep', 200], ['send', hex('cd')], ['sleep', 200], ['send', hex('ef')]]);
    const passed = await runText(`###\nCONNECT 127.0.0.1:${passing.port}\nEXPECT text abcdef`);
    assert.equal(passed.status, 'passed', passed.expectations[0].message);
  });

  it('fails after the timeout when nothing arrives', async () => {
    const peer = await serverPeer([]);
    const result = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nEXPECT within 300ms hex 01`);
    assert.equal(result.status, 'failed');
    assert.match(result.expectations[0].message ?? '', /Timed out after 300 ms/);
    assert.ok(result.expectations[0].durationMs >= 280, `waited ${result.expectations[0].durationMs} ms`);
  });

  it('passes EXPECT close when the peer closes, and fails it when the peer stays', async () => {
    const closing = await serverPeer([['send', hex('bye')], ['close']]);
    const passed = await runText(`###\nCONNECT 127.0.0.1:${closing.port}\nEXPECT text bye\nEXPECT close`);
    assert.equal(passed.status, 'passed', passed.error);
    const staying = await serverPeer([]);
    const failed = await runText(`###\nCONNECT 127.0.0.1:${staying.port}\nEXPECT within 250ms close`);
    assert.equal(failed.status, 'failed');
    assert.match(failed.expectations[0].message ?? '', /waiting for the peer to close/);
  });

  it('reports a close before the expected bytes at once, not after the timeout', async () => {
    const peer = await serverPeer([['send', hex('ab')], ['close']]);
    const result = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nTIMEOUT 10s\nEXPECT text abc`);
    assert.equal(result.status, 'failed');
    assert.match(result.expectations[0].message ?? '', /closed the connection before/);
    assert.ok(result.durationMs < 5000);
  });

  it('passes EXPECT nothing on silence and fails it when bytes arrive', async () => {
    const silent = await serverPeer([]);
    const quiet = await runText(`###\nCONNECT 127.0.0.1:${silent.port}\nEXPECT nothing 200ms`);
    assert.equal(quiet.status, 'passed');
    assert.ok(quiet.expectations[0].durationMs >= 180);
    const chatty = await serverPeer([['sleep', 50], ['send', hex('!')]]);
    const noisy = await runText(`###\nCONNECT 127.0.0.1:${chatty.port}\nEXPECT nothing 2s`);
    assert.equal(noisy.status, 'failed');
    assert.match(noisy.expectations[0].message ?? '', /received 1 bytes/);
    assert.ok(noisy.expectations[0].durationMs < 1500, 'fails as soon as a byte arrives');
  });

  it('matches a regex in the stream and consumes only up to the match', async () => {
    const peer = await serverPeer([['send', hex('OK 42\nnext')]]);
    const result = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nEXPECT regex /ok \\d+/i\nEXPECT text \\nnext`);
    assert.equal(result.status, 'passed', JSON.stringify(result.expectations));
    assert.equal(result.expectations[0].received?.text, 'OK 42');
  });

  it('fails a catastrophic regex within its time bound instead of hanging the editor', async function () {
    this.timeout(10_000);
    // Unbounded, /^(a|a)+b/ on 30 a's and a '!' backtracks for minutes.
    const peer = await serverPeer([['send', hex('a'.repeat(30) + '!')]]);
    const started = Date.now();
    const result = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nEXPECT regex ^(a|a)+b`);
    assert.equal(result.status, 'failed');
    assert.match(result.expectations[0].message ?? '', /took longer than \d+ ms on what was received; simplify it/);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  it('compares whole lines with FRAMING line', async () => {
    const peer = await serverPeer([['send', hex('first line\r\nsecond\n')]]);
    const result = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nFRAMING line\nEXPECT regex ^first\nEXPECT text second`);
    assert.equal(result.status, 'passed', JSON.stringify(result.expectations));
  });

  it('prefixes sends and strips received frames with FRAMING u16be (against an echo peer)', async () => {
    const peer = await serverPeer([['echo']]);
    const result = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nFRAMING u16be\nSEND text abc\nEXPECT text abc`);
    assert.equal(result.status, 'passed', JSON.stringify(result.expectations));
    assert.equal(result.bytesSent, 5);
    assert.equal(result.received.hex, '00 03 61 62 63');
  });

  it('listens, tells the bound port, and checks what a connecting peer sends', async () => {
    const text = '### server\nLISTEN 127.0.0.1:0\nEXPECT hex 01 02 03\nSEND text ok\nEXPECT close';
    const result = await runText(text, {
      onListening: (address) => clientPeer(address.port, [['send', '010203'], ['recv', 2], ['close']]),
    });
    assert.equal(result.status, 'passed', result.error ?? JSON.stringify(result.expectations));
    assert.equal(result.bytesSent, 2);
  });

  it('sends a file relative to the .tcp file and substitutes variables and environments', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tcpfile-'));
    try {
      await writeFile(path.join(dir, 'payload.bin'), Buffer.from([0xde, 0xad]));
      const peer = await serverPeer([['echo']]);
      const file = parseTcpFile('@greeting = hi {{who}}\n###\nCONNECT 127.0.0.1:{{port}}\nSEND file ./payload.bin\nSEND text {{greeting}}\nEXPECT hex dead\nEXPECT text hi env', {
        environment: { port: String(peer.port), who: 'env' },
      });
      const [result] = await runFile(file, { sockets: engineSockets, baseDir: dir, environment: { port: String(peer.port), who: 'env' } });
      assert.equal(result.status, 'passed', result.error ?? JSON.stringify(result.expectations));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes target, encoding and line ending from a preset', async () => {
    const peer = await serverPeer([['echo']]);
    const file = parseTcpFile('###\nPRESET Echo\nSEND text h\u00e9\nEXPECT hex 68 e9 0d 0a', { presetNames: ['Echo'] });
    assert.deepEqual(file.diagnostics, []);
    const presets = [{ name: 'Echo', kind: 'client' as const, host: '127.0.0.1', port: peer.port, encoding: 'latin1' as const, lineEnding: 'crlf' as const }];
    const result = await runBlock(file, file.blocks[0], { sockets: engineSockets, presets });
    assert.equal(result.status, 'passed', result.error ?? JSON.stringify(result.expectations));
    assert.equal(result.bytesSent, 4, 'é is one byte in latin1, then CR LF');
  });

  it('reports a refused connection and an undefined variable as errors, in one sentence', async () => {
    const refused = await runText(`###\nCONNECT 127.0.0.1:${await closedPort()}\nSEND text x`);
    assert.equal(refused.status, 'error');
    assert.match(refused.error ?? '', /127\.0\.0\.1/);
    const file = parseTcpFile('###\nCONNECT 127.0.0.1:{{nowhere}}\nSEND text x');
    const unresolved = await runBlock(file, file.blocks[0], { sockets: engineSockets });
    assert.equal(unresolved.status, 'error');
    assert.match(unresolved.error ?? '', /'nowhere' is not defined/);
  });

  it('stops waiting and closes the socket when the run is cancelled', async () => {
    const peer = await serverPeer([]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const result = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nEXPECT within 10s text never`, { signal: controller.signal });
    assert.equal(result.status, 'error');
    assert.match(result.error ?? '', /cancelled/);
    assert.ok(result.durationMs < 2000, `took ${result.durationMs} ms`);
    assert.equal(await peer.exited, 0, 'the peer saw the socket close');
  });

  it('refuses to run a block with parse errors', async () => {
    const file = parseTcpFile('###\nCONNECT 127.0.0.1:9\nSEND hex 0g');
    const result = await runBlock(file, file.blocks[0], { sockets: engineSockets });
    assert.equal(result.status, 'error');
    assert.match(result.error ?? '', /at line 3, column 11/);
    assert.doesNotMatch(result.error ?? '', /^Line 3:/, 'the line is named once');
    const noTarget = parseTcpFile('###\nSEND text x');
    const missing = await runBlock(noTarget, noTarget.blocks[0], { sockets: engineSockets });
    assert.match(missing.error ?? '', /^Line 1: This block has no target/);
  });
});
