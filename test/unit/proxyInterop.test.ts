// The proxy between peers nobody here wrote: a Python client and a Python server exchange seeded
// streams both ways through a TCP Lab proxy (plain, and with a content-triggered drop), each side
// checks what it got, and the pair's pcapng export is read back by tshark (Debian's), byte for byte.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { exportTargetToPcapng } from '../../src/app/pcapExport';
import { ProxyHub } from '../../src/core/proxy/proxyHub';
import { Registry } from '../../src/core/registry';
import { Cleanup, runPythonPeer, startPythonPeer, waitUntil } from './support/sockets';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** What tshark follows of TCP stream 0: the bytes each node sent (node 0 sent the SYN). */
async function tsharkFollow(file: string): Promise<{ fromClient: Buffer; fromProxy: Buffer }> {
  const child = spawn('tshark', ['-r', file, '-q', '-z', 'follow,tcp,raw,0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.resume();
  const [code] = (await once(child, 'close')) as [number];
  assert.equal(code, 0, 'tshark reads the export');
  const body = Buffer.concat(out).toString().split(/^=+$/m)[1] ?? '';
  const zero: string[] = [];
  const one: string[] = [];
  for (const line of body.split('\n')) {
    if (/^\t[0-9a-f]+$/.test(line)) one.push(line.slice(1));
    else if (/^[0-9a-f]+$/.test(line)) zero.push(line);
  }
  return { fromClient: Buffer.from(zero.join(''), 'hex'), fromProxy: Buffer.from(one.join(''), 'hex') };
}

describe('proxy between Python peers', () => {
  const cleanup = new Cleanup();
  let registry: Registry;
  let hub: ProxyHub;
  let dir: string;

  beforeEach(async () => {
    registry = new Registry();
    hub = new ProxyHub(registry);
    dir = await mkdtemp(path.join(tmpdir(), 'tcplab-proxy-'));
  });
  afterEach(async () => {
    await hub.removeAll();
    hub.dispose();
    await registry.stopAll();
    registry.dispose();
    await cleanup.run();
    await rm(dir, { recursive: true, force: true });
  });

  it('relays seeded streams both ways exactly, and the pair exports to a pcapng tshark follows byte for byte', async () => {
    // exchange.py: sends 3 MiB of its own seeded bytes while reading the client's until its FIN.
    const server = await startPythonPeer(cleanup, 'exchange.py', ['127.0.0.1', String(3 * 1024 * 1024), '11']);
    const report = new Promise<string>((resolve) => {
      let text = '';
      server.child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        // Only a whole line: a chunk may end mid-line, and half a report would compare as undefined.
        const line = text.split('\n').slice(0, -1).find((candidate) => candidate.startsWith('sent '));
        if (line) resolve(line);
      });
    });
    const created = await hub.create({ name: 'py', listen: '127.0.0.1:0', upstream: `127.0.0.1:${server.port}` });
    const port = created.listen.split(':').pop()!;
    // The client: 2 MiB seeded with another seed, FIN, then everything until the server closes.
    const client = await runPythonPeer('seededClient.py', ['127.0.0.1', port, String(2 * 1024 * 1024), '12'], 30_000);
    assert.equal(client.code, 0, client.stderr);
    const [, sentHash, , receivedHash, receivedLength] = (await report).split(' ');
    const clientLine = client.stdout.toString().trim().split(' ');
    assert.equal(clientLine[1], receivedHash, 'the server got exactly what the client sent');
    assert.equal(Number(receivedLength), 2 * 1024 * 1024);
    assert.equal(clientLine[3], sentHash, 'the client got exactly what the server sent');

    await waitUntil(() => registry.closedConnections().length === 1, 'the pair to close');
    const pair = registry.closedConnections()[0];
    assert.deepEqual([pair.totals.bytesIn, pair.totals.bytesOut], [2 * 1024 * 1024, 3 * 1024 * 1024]);
    // The log keeps the last 4 MiB (its default): the export holds those, at the end of each direction.
    const file = path.join(dir, 'pair.pcapng');
    await exportTargetToPcapng(registry, pair.id, file);
    const followed = await tsharkFollow(file);
    const retainedIn = Buffer.concat(pair.log.records().filter((r) => r.dir === 'in').map((r) => r.bytes));
    const retainedOut = Buffer.concat(pair.log.records().filter((r) => r.dir === 'out').map((r) => r.bytes));
    assert.equal(sha256(followed.fromClient.subarray(-retainedIn.length)), sha256(retainedIn));
    assert.equal(sha256(followed.fromProxy.subarray(-retainedOut.length)), sha256(retainedOut));
  });

  it('drops exactly the matching line between a Python client and server, and the export leaves the dropped bytes out', async () => {
    const echo = await startPythonPeer(cleanup, 'echoServer.py');
    await hub.create({
      name: 'lines',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${echo.port}`,
      framing: { downstream: { mode: 'delimiter', delimiter: 'lf', keepDelimiter: true } },
      toxics: [{ name: 'drop_secret', type: 'drop', stream: 'downstream', when: { match: 'contains', pattern: 'secret' } }],
    });
    const port = hub.describe('lines').listen.split(':').pop()!;
    const client = await runPythonPeer('client.py', ['127.0.0.1', port, 'one\nmy secret\nthree\n'], 10_000);
    assert.equal(client.code, 0, client.stderr);
    assert.equal(client.stdout.toString(), 'one\nthree\n', 'the echo of the matching line never reached the client');
    await waitUntil(() => registry.closedConnections().length === 1, 'the pair to close');
    const pair = registry.closedConnections()[0];
    const dropped = pair.log.records().find((r) => r.dropped);
    assert.equal(Buffer.from(dropped!.bytes).toString(), 'my secret\n');
    assert.equal(dropped!.fault, 'drop_secret dropped 10 bytes');
    const file = path.join(dir, 'lines.pcapng');
    await exportTargetToPcapng(registry, pair.id, file);
    const followed = await tsharkFollow(file);
    assert.equal(followed.fromClient.toString(), 'one\nmy secret\nthree\n');
    assert.equal(followed.fromProxy.toString(), 'one\nthree\n', 'what the client really got, without the dropped note');
  });
});
