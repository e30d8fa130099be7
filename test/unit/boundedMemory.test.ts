// Bounded memory under peers faster than we can pass their bytes on: a capture file on a disk
// slower than the network, and mock-server replies to a peer that never reads. In both cases the
// connection stops reading (a read hold) so TCP flow control slows the peer down instead of the
// extension host buffering the difference. Real peers: a Python flooder, a Python slow reader on a
// FIFO standing in for the slow disk.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Connection, READ_HOLD_CAPTURE } from '../../src/core/connection';
import { Listener } from '../../src/core/listener';
import { MAX_QUEUED_REPLY_BYTES, MockServer, READ_HOLD_REPLIES } from '../../src/core/mockServer';
import { Cleanup, waitUntil } from './support/sockets';

const MiB = 1024 * 1024;
const PEERS_DIR = path.join(__dirname, '..', 'peers');

/** Writes `size` random bytes to `file` in 1 MiB pieces (never the whole flood in memory) and returns their SHA-256. */
function writeFloodFile(file: string, size: number): string {
  const digest = createHash('sha256');
  const fd = openSync(file, 'w');
  for (let written = 0; written < size; written += MiB) {
    const piece = randomBytes(Math.min(MiB, size - written));
    digest.update(piece);
    writeSync(fd, piece);
  }
  closeSync(fd);
  return digest.digest('hex');
}

/** Samples this process's RSS every 20 ms; `peakGrowth` is the highest sample above the baseline. */
class RssSampler {
  private readonly baseline = process.memoryUsage().rss;
  private peak = this.baseline;
  private readonly timer = setInterval(() => this.sample(), 20);

  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return (this.peak - this.baseline) / MiB;
  }
}

/** A Python child with line-by-line JSON output, stopped by closing its stdin in cleanup. */
function pythonPeer(cleanup: Cleanup, script: string, args: string[]): { lines: unknown[]; stdin: NodeJS.WritableStream; exited: Promise<number | null>; stderr: () => string } {
  const child = cleanup.process(spawn('python3', ['-u', path.join(PEERS_DIR, script), ...args], { stdio: 'pipe' }));
  const lines: unknown[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      lines.push(line.startsWith('{') ? JSON.parse(line) : line);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { lines, stdin: child.stdin, exited, stderr: () => stderr };
}

describe('bounded memory under fast peers', function () {
  this.timeout(90_000);
  const cleanup = new Cleanup();
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tcplab-bounded-'));
  });
  afterEach(async () => {
    await cleanup.run();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a capture file slower than the network pauses reading: memory bounded, capture byte-exact, counters exact', async function () {
    if (spawnSync('mkfifo', ['--version']).error) this.skip();
    const size = 96 * MiB;
    const flood = path.join(dir, 'flood.bin');
    const sentHash = writeFloodFile(flood, size);
    const fifo = path.join(dir, 'capture.fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo failed');
    const captured = path.join(dir, 'capture.jsonl');
    // About 32 MiB/s: the 128 MiB of base64 take four seconds, the flood itself a fraction of one.
    const reader = pythonPeer(cleanup, 'slowReader.py', [fifo, captured, String(32 * MiB)]);

    const listener = await Listener.listen({ port: 0 });
    cleanup.add(() => listener.dispose());
    const holdsSeen: string[][] = [];
    let capturing: Promise<void> | undefined;
    const accepted = new Promise<Connection>((resolve) =>
      listener.onDidAccept((connection) => {
        // Started in the accept handler, before the first chunk can arrive.
        capturing = connection.log.startCapture(fifo);
        connection.onDidChangeReadHolds((holds) => holdsSeen.push([...holds]));
        resolve(connection);
      }),
    );
    global.gc?.();
    const rss = new RssSampler();
    const flooder = pythonPeer(cleanup, 'flooder.py', ['127.0.0.1', String(listener.address!.port), flood]);
    const connection = await accepted;
    await capturing;
    await waitUntil(() => connection.totals.bytesIn === size, 'every flooded byte to be read', 60_000);
    const growth = rss.stop();
    if (process.env.TCPLAB_PRINT_FIGURES) console.log(`capture flood: RSS +${growth.toFixed(1)} MiB`);
    assert.deepEqual(flooder.lines[0], { sent: size });
    await connection.log.stopCapture();
    connection.end();
    assert.equal(await reader.exited, 0, reader.stderr());
    assert.equal(await flooder.exited, 0, flooder.stderr());

    // Without the hold the whole capture (about 128 MiB of base64) waited in memory.
    assert.ok(growth < 64, `RSS grew ${growth.toFixed(1)} MiB during a ${size / MiB} MiB flood into a slow capture`);
    assert.ok(holdsSeen.some((holds) => holds.includes(READ_HOLD_CAPTURE)), 'reading was held for the capture');
    assert.deepEqual(connection.readHolds, [], 'the hold is released once the capture stopped');
    const lines = readFileSync(captured, 'utf8').trimEnd().split('\n');
    const digest = createHash('sha256');
    for (const line of lines) {
      const record = JSON.parse(line) as { dir: string; base64: string };
      assert.equal(record.dir, 'in');
      digest.update(Buffer.from(record.base64, 'base64'));
    }
    assert.equal(digest.digest('hex'), sentHash, 'the capture holds exactly the bytes sent');
    assert.equal(connection.totals.messagesIn, lines.length);
    assert.equal(connection.totals.bytesIn, size);
  });

  it('sends wait for a capture file that is behind, so a fast sender cannot queue the capture in memory either', async function () {
    if (spawnSync('mkfifo', ['--version']).error) this.skip();
    const fifo = path.join(dir, 'send.fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo failed');
    const captured = path.join(dir, 'send.jsonl');
    const rate = 4 * MiB;
    const reader = pythonPeer(cleanup, 'slowReader.py', [fifo, captured, String(rate)]);
    const listener = await Listener.listen({ port: 0 });
    cleanup.add(() => listener.dispose());
    let received = 0;
    listener.onDidAccept((accepted) => accepted.onDidReceive((chunk) => (received += chunk.length)));
    const client = await Connection.connect({ host: '127.0.0.1', port: listener.address!.port });
    cleanup.add(() => client.destroy());
    await client.log.startCapture(fifo);
    const payload = randomBytes(8 * MiB);
    let sawBackpressure = false;
    client.log.onDidChangeCaptureBackpressure((behind) => (sawBackpressure ||= behind));
    const started = performance.now();
    await client.send(payload);
    const elapsed = performance.now() - started;
    // About 10.7 MiB of base64 at 4 MiB/s, less what the pipe and the high-water mark absorb.
    assert.ok(sawBackpressure, 'the capture fell behind');
    assert.ok(elapsed > 1000, `the send took ${elapsed.toFixed(0)} ms: it did not wait for the capture`);
    await waitUntil(() => received === payload.length, 'the peer to receive everything');
    await client.log.stopCapture();
    assert.equal(await reader.exited, 0, reader.stderr());
    const lines = readFileSync(captured, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { dir: string; base64: string });
    assert.ok(Buffer.concat(lines.map((l) => Buffer.from(l.base64, 'base64'))).equals(payload), 'the capture holds the send exactly');
    assert.equal(client.totals.bytesOut, payload.length);
    assert.equal(client.totals.messagesOut, 1);
  });

  it('echo to a peer that never reads holds reading: memory bounded, the backlog counted, the echo exact once it reads', async () => {
    const size = 96 * MiB;
    const flood = path.join(dir, 'flood.bin');
    const sentHash = writeFloodFile(flood, size);
    const listener = await Listener.listen({ port: 0 });
    cleanup.add(() => listener.dispose());
    const attached = MockServer.attach(listener, { echo: true });
    assert.ok(attached.ok);
    const mock = attached.server;
    cleanup.add(() => mock.dispose());
    const backlogEvents: boolean[] = [];
    mock.onDidChangeReplyBacklog((backlog) => backlogEvents.push(backlog.holdingReads));
    const accepted = new Promise<Connection>((resolve) => listener.onDidAccept(resolve));

    global.gc?.();
    const rss = new RssSampler();
    const flooder = pythonPeer(cleanup, 'flooder.py', ['127.0.0.1', String(listener.address!.port), flood, 'hold']);
    const connection = await accepted;
    // Stalled: nothing more read for 500 ms, because we hold or because everything is in.
    let last = -1;
    let stableSince = Date.now();
    await waitUntil(() => {
      const now = connection.totals.bytesIn;
      if (now !== last) {
        last = now;
        stableSince = Date.now();
      }
      return now > 0 && Date.now() - stableSince > 500;
    }, 'reading to stall', 60_000);
    const growth = rss.stop();
    if (process.env.TCPLAB_PRINT_FIGURES) console.log(`echo to a non-reader: RSS +${growth.toFixed(1)} MiB, read ${(connection.totals.bytesIn / MiB).toFixed(1)} MiB, backlog ${mock.queuedReplyBytes} B`);
    // Without the hold the whole flood was read and waited as echo replies in memory.
    assert.ok(connection.totals.bytesIn < size / 2, `read ${connection.totals.bytesIn} of ${size} bytes from a peer that reads nothing back`);
    assert.ok(growth < 48, `RSS grew ${growth.toFixed(1)} MiB while replies waited for a peer that does not read`);
    assert.deepEqual(connection.readHolds, [READ_HOLD_REPLIES]);
    const [backlog] = mock.replyBacklog();
    assert.equal(backlog.connectionId, connection.id);
    assert.ok(backlog.holdingReads);
    assert.equal(backlog.bytes, mock.queuedReplyBytes);
    assert.ok(backlog.bytes > MAX_QUEUED_REPLY_BYTES && backlog.bytes <= MAX_QUEUED_REPLY_BYTES + 256 * 1024, `backlog ${backlog.bytes} B`);
    // The backlog is what was read and not yet sent, plus the reply the socket is still taking.
    const notSent = connection.totals.bytesIn - connection.totals.bytesOut;
    assert.ok(backlog.bytes >= notSent && backlog.bytes <= notSent + 64 * 1024, `backlog ${backlog.bytes} B, read and not sent ${notSent} B`);

    flooder.stdin.write('read\n');
    await waitUntil(() => connection.totals.bytesOut === size, 'the whole echo to be sent', 60_000);
    await waitUntil(() => mock.replyBacklog().length === 0, 'the backlog to empty');
    assert.deepEqual(connection.readHolds, []);
    connection.end();
    assert.equal(await flooder.exited, 0, flooder.stderr());
    assert.deepEqual(flooder.lines, [{ sent: size }, { received: size, sha256: sentHash }]);
    assert.equal(connection.totals.bytesIn, size);
    assert.deepEqual(backlogEvents.slice(0, 2), [true, false]);
  });
});
