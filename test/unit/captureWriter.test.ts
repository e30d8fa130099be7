// CaptureWriter: the queue between a capture and the disk, with hysteresis, on real files and a real pipe.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CAPTURE_HIGH_WATER_BYTES, CAPTURE_LOW_WATER_BYTES, CaptureWriter } from '../../src/core/captureWriter';

const KiB = 1024;

function chunk(index: number, size: number): Buffer {
  // Every chunk distinct, so a reordered, repeated or lost one changes the file.
  const out = Buffer.alloc(size, index & 0xff);
  out.writeUInt32BE(index, 0);
  return out;
}

describe('CaptureWriter', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'tcp-lab-capture-writer-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every chunk in order, including those queued before the file was open', async () => {
    const file = path.join(dir, 'out.bin');
    const writer = new CaptureWriter(file, { onBehind: () => undefined, onError: (err) => assert.fail(String(err)) });
    const expected: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const part = chunk(i, 4 + ((i * 7919) % (3 * KiB)));
      expected.push(part);
      writer.write(part);
      // A few event-loop turns in between, so writes land both while idle and while one is in flight.
      if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await writer.ready;
    await writer.end();
    assert.ok(readFileSync(file).equals(Buffer.concat(expected)));
  });

  it('keeps each file exact while writers come and go and reuse the blocks the finished ones left', async () => {
    const write = async (name: string, seed: number): Promise<{ file: string; expected: Buffer }> => {
      const file = path.join(dir, name);
      const writer = new CaptureWriter(file, { onBehind: () => undefined, onError: (err) => assert.fail(String(err)) });
      const parts: Buffer[] = [];
      for (let i = 0; i < 300; i++) {
        const part = chunk(seed * 1000 + i, 4 + ((i * 7919) % (64 * KiB)));
        parts.push(part);
        writer.write(part);
        if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await writer.end();
      return { file, expected: Buffer.concat(parts) };
    };
    // One after another (the second takes the first's blocks), then three at once.
    const results = [await write('a.bin', 1), await write('b.bin', 2), ...(await Promise.all([write('c.bin', 3), write('d.bin', 4), write('e.bin', 5)]))];
    for (const { file, expected } of results) assert.ok(readFileSync(file).equals(expected), path.basename(file));
  });

  it('writes text pieces byte for byte between bytes, also text longer than a block', async () => {
    const file = path.join(dir, 'out.jsonl');
    const writer = new CaptureWriter(file, { onBehind: () => undefined, onError: (err) => assert.fail(String(err)) });
    const expected: Buffer[] = [];
    const add = (piece: Buffer | string): void => {
      expected.push(typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece);
      writer.write(piece);
    };
    for (let i = 0; i < 50; i++) {
      add(`{"seq":${i},"base64":"`);
      // Past 1 MiB now and then, so a string is split over two or three blocks.
      add(chunk(i, 4 + ((i * 7919) % (200 * KiB))).toString('base64').repeat(i % 10 === 0 ? 9 : 1));
      add('"}\n');
      add(chunk(i + 1, 5));
    }
    await writer.end();
    assert.ok(readFileSync(file).equals(Buffer.concat(expected)));
  });

  it('reports behind above the high-water mark and caught up only at the low-water mark, while writing goes on', async function () {
    if (spawnSync('mkfifo', ['--version']).error) this.skip();
    const fifo = path.join(dir, 'slow.fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    // A reader that takes the pipe a little at a time: the disk that is slower than the network.
    const reader = spawn('python3', ['-c', 'import sys,time\nf=open(sys.argv[1],"rb",buffering=0)\nn=0\nwhile True:\n  b=f.read(65536)\n  if not b: break\n  n+=len(b)\n  time.sleep(0.002)\nprint(n)', fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    let printed = '';
    reader.stdout.on('data', (data: Buffer) => (printed += data.toString()));
    const exited = new Promise<void>((resolve) => reader.once('exit', () => resolve()));
    try {
      const changes: { behind: boolean; queued: number }[] = [];
      const writer: CaptureWriter = new CaptureWriter(fifo, { onBehind: (behind) => changes.push({ behind, queued: writer.queuedBytes }), onError: (err) => assert.fail(String(err)) });
      await writer.ready;
      const size = 64 * KiB;
      let total = 0;
      // Write until the writer says it is behind, as a connection does before it pauses.
      while (!writer.isBehind) {
        writer.write(chunk(total / size, size));
        total += size;
      }
      assert.deepEqual(changes.map((c) => c.behind), [true]);
      assert.ok(total > CAPTURE_HIGH_WATER_BYTES && total <= CAPTURE_HIGH_WATER_BYTES + size, `behind after ${total} bytes`);
      const deadline = Date.now() + 20_000;
      while (writer.isBehind && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
      assert.equal(writer.isBehind, false, 'caught up');
      assert.deepEqual(changes.map((c) => c.behind), [true, false]);
      // Caught up with bytes still waiting: reading resumes while the disk is still busy.
      assert.ok(changes[1].queued > 0 && changes[1].queued <= CAPTURE_LOW_WATER_BYTES, `caught up with ${changes[1].queued} bytes queued`);
      await writer.end();
      await exited;
      // The reader got every byte: it read to the end of the pipe after the writer closed it.
      assert.equal(Number(printed.trim()), total);
    } finally {
      if (reader.exitCode === null) reader.kill();
    }
  });

  it('fails once with the write error, drops what was queued and stops reporting behind', async function () {
    // The Linux full device accepts open() and fails every write with ENOSPC.
    if (!existsSync('/dev/full')) this.skip();
    const errors: unknown[] = [];
    const changes: boolean[] = [];
    const writer = new CaptureWriter('/dev/full', { onBehind: (behind) => changes.push(behind), onError: (err) => errors.push(err) });
    await writer.ready;
    for (let i = 0; i < 100; i++) writer.write(chunk(i, 64 * KiB));
    await writer.end();
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as { code?: string }).code, 'ENOSPC');
    assert.equal(writer.isBehind, false);
    assert.equal(changes[changes.length - 1], false, 'a writer that was behind says so no longer');
    writer.write(chunk(0, 10));
    assert.equal(writer.isBehind, false, 'writes after the failure are ignored');
  });

  it('rejects ready with the open error and still ends', async () => {
    const writer = new CaptureWriter(path.join(dir, 'missing', 'out.bin'), { onBehind: () => undefined, onError: () => undefined });
    writer.write(chunk(1, 10));
    await assert.rejects(writer.ready, (err: { code?: string }) => err.code === 'ENOENT');
    await writer.end();
  });
});
