import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as net from 'node:net';
import { Framer } from '../../src/core/framer';
import { parseTcpFraming } from '../../src/core/tcpFile/framing';
import { engineSockets } from '../../src/core/tcpFile/engineSockets';
import { parseTcpFile } from '../../src/core/tcpFile/parser';
import { runBlock } from '../../src/core/tcpFile/runner';

import type { Preset } from '../../src/shared/preset';
import { runText } from './tcpFilePeers';

const MiB = 1024 * 1024;
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const viewHex = (hex: string | undefined): string => (hex ?? '').replace(/\s/g, '').toLowerCase();

/** A loopback server that writes `chunks` one at a time (waiting for each to drain), or echoes when given none. */
async function chunkServer(chunks: Uint8Array[] | 'echo'): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    if (chunks === 'echo') {
      socket.pipe(socket);
      return;
    }
    void (async () => {
      for (const chunk of chunks) {
        if (!socket.write(chunk)) await once(socket, 'drain');
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** The frames the panel's framer cuts from these chunks (the panel feeds each received chunk to a Framer). */
function panelFrames(definition: unknown, chunks: Uint8Array[]): Uint8Array[] {
  const built = Framer.fromDefinition(definition);
  assert.ok(built.ok);
  return chunks.flatMap((chunk) => built.framer.push(chunk)).flatMap((event) => (event.type === 'frame' ? [event.bytes] : []));
}

/** Cuts `stream` into chunks of the given sizes, cycling. */
function chunked(stream: Uint8Array, sizes: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0, i = 0; at < stream.length; i++) {
    const size = sizes[i % sizes.length];
    chunks.push(stream.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

/**
 * Counts the bytes copied through the copying methods of typed arrays and Buffers until `stop`
 * (node's own internals copy through captured originals, so what is counted is this code's work).
 */
function countCopies(): { readonly bytes: number; stop(): void } {
  const typedArray = Object.getPrototypeOf(Uint8Array.prototype) as Uint8Array;
  const originals = { set: typedArray.set, slice: typedArray.slice, copyWithin: typedArray.copyWithin, copy: Buffer.prototype.copy, concat: Buffer.concat };
  const counter = { bytes: 0 };
  typedArray.set = function (this: Uint8Array, source: ArrayLike<number>, offset?: number) {
    counter.bytes += source.length;
    return originals.set.call(this, source, offset);
  };
  typedArray.slice = function (this: Uint8Array, start?: number, end?: number) {
    const out = originals.slice.call(this, start, end);
    counter.bytes += out.length;
    return out;
  };
  typedArray.copyWithin = function (this: Uint8Array, target: number, start: number, end?: number) {
    counter.bytes += Math.max(0, Math.min(end ?? this.length, this.length) - start);
    return originals.copyWithin.call(this, target, start, end);
  };
  Buffer.prototype.copy = function (this: Buffer, ...args: Parameters<Buffer['copy']>) {
    const copied = originals.copy.apply(this, args);
    counter.bytes += copied;
    return copied;
  };
  Buffer.concat = (list: readonly Uint8Array[], totalLength?: number) => {
    const out = originals.concat(list, totalLength);
    counter.bytes += out.length;
    return out;
  };
  return {
    get bytes() {
      return counter.bytes;
    },
    stop: () => {
      Object.assign(typedArray, { set: originals.set, slice: originals.slice, copyWithin: originals.copyWithin });
      Buffer.prototype.copy = originals.copy;
      Buffer.concat = originals.concat;
    },
  };
}

describe('.tcp FRAMING on the shared framing definition', function () {
  this.timeout(60_000);
  let server: { close(): Promise<void> } | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const cases: Array<{ name: string; definition: object; stream: Buffer }> = [
    { name: 'delimiter crlf', definition: { mode: 'delimiter', delimiter: 'crlf' }, stream: Buffer.from('HELLO\r\nwith \r inside\r\n\r\nlast\r\n') },
    {
      name: 'lengthPrefix, 2 bytes little endian, header counted',
      definition: { mode: 'lengthPrefix', lengthBytes: 2, endian: 'little', lengthIncludesHeader: true },
      stream: Buffer.from('0500616263' + '0200' + '0600deadbeef', 'hex'),
    },
    { name: 'fixed 3 bytes', definition: { mode: 'fixed', size: 3 }, stream: Buffer.from('abcdefghi') },
    { name: 'markers MLLP', definition: { mode: 'markers', start: '0b', end: '1c 0d' }, stream: Buffer.from('0b41421c0d' + '0b1c0d' + '0b431c441c0d', 'hex') },
  ];
  for (const { name, definition, stream } of cases) {
    it(`cuts the same frames as the panel from the same chunks: ${name}`, async () => {
      const chunks = chunked(stream, [1, 2, 5]);
      const expected = panelFrames(definition, chunks);
      assert.ok(expected.length >= 3, 'the case has frames to compare');
      const peer = await chunkServer(chunks);
      server = peer;
      const expects = expected.map((frame) => (frame.length === 0 ? 'EXPECT text ""' : `EXPECT hex ${toHex(frame)}`));
      // An empty frame has no hex to write: compare it through a regex that only the empty frame matches.
      const lines = expects.map((line) => (line === 'EXPECT text ""' ? 'EXPECT regex /^$/' : line));
      const result = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nFRAMING ${JSON.stringify(definition)}\n${lines.join('\n')}`);
      assert.equal(result.status, 'passed', JSON.stringify(result.expectations.map((e) => e.message)));
      assert.deepEqual(result.expectations.map((e) => viewHex(e.received?.hex)), expected.map(toHex));
    });
  }

  it('`line` is delimiter lf with one CR dropped; the JSON lf delimiter keeps the CR, as the panel does', async () => {
    const chunks = chunked(Buffer.from('one\r\ntwo\nthree\r\r\n'), [2, 3]);
    const peer = await chunkServer(chunks);
    server = peer;
    const port = peer.port;
    const asLine = await runText(`###\nCONNECT 127.0.0.1:${port}\nFRAMING line\nEXPECT text one\nEXPECT text two\nEXPECT hex 74 68 72 65 65 0d`);
    assert.equal(asLine.status, 'passed', JSON.stringify(asLine.expectations.map((e) => e.message)));
    const asDelimiter = await runText(`###\nCONNECT 127.0.0.1:${port}\nFRAMING {"mode":"delimiter","delimiter":"lf"}\nEXPECT hex 6f 6e 65 0d\nEXPECT text two\nEXPECT hex 74 68 72 65 65 0d 0d`);
    assert.equal(asDelimiter.status, 'passed', JSON.stringify(asDelimiter.expectations.map((e) => e.message)));
    assert.deepEqual(panelFrames({ mode: 'delimiter', delimiter: 'lf' }, chunks).map(toHex), ['6f6e650d', '74776f', '74687265650d0d']);
  });

  it('a PRESET block sends and reads with its preset framing; a FRAMING line in the block wins', async () => {
    const echo = await chunkServer('echo');
    server = echo;
    const preset: Preset = { name: 'Framed', kind: 'client', host: '127.0.0.1', port: echo.port, framing: { mode: 'lengthPrefix', lengthBytes: 2 } };
    const framed = await runText('###\nPRESET Framed\nSEND text ping\nEXPECT text ping', { presets: [preset] });
    assert.equal(framed.status, 'passed', JSON.stringify(framed.expectations.map((e) => e.message)));
    assert.equal(framed.bytesSent, 6, 'the preset framing added a 2-byte length header');
    assert.equal(viewHex(framed.received.hex), '000470696e67');
    const overridden = await runText('###\nPRESET Framed\nFRAMING none\nSEND text ping\nEXPECT text ping', { presets: [preset] });
    assert.equal(overridden.status, 'passed');
    assert.equal(overridden.bytesSent, 4);
  });

  it('a framed EXPECT that times out shows the unread bytes as they came, header and all, across chunks', async () => {
    const body = Buffer.alloc(4500, 'z');
    const chunks = [Buffer.from('00026f6b1388', 'hex'), body.subarray(0, 100), body.subarray(100, 3000), body.subarray(3000)];
    const peer = await chunkServer(chunks);
    server = peer;
    const result = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nFRAMING u16be\nEXPECT text ok\nEXPECT within 1s text more`);
    assert.equal(result.status, 'failed');
    assert.equal(result.expectations[0].status, 'passed');
    assert.equal(result.expectations[0].received?.text, 'ok');
    const timedOut = result.expectations[1];
    assert.equal(timedOut.message, 'Timed out after 1000 ms waiting for 4 expected bytes.');
    // What was unread: the 2-byte header of the unfinished 5000-byte frame and the 4500 bytes of it
    // that arrived, cut to the first 4096 bytes like every view.
    assert.equal(timedOut.received?.length, 4502);
    assert.equal(viewHex(timedOut.received?.hex).slice(0, 12), '13887a7a7a7a');
    assert.match(timedOut.received?.text ?? '', /[^z]z{4094} … \(406 more bytes\)$/);
    // The 'ok' frame may still be unread when the next bytes arrive.
    assert.ok(result.peakBufferedBytes >= 4502 && result.peakBufferedBytes <= 4506, `held ${result.peakBufferedBytes} bytes`);
  });

  it('refuses a bad FRAMING where it is written, in the words of the shared validation', () => {
    const file = parseTcpFile('###\nCONNECT 127.0.0.1:7000\nFRAMING {"mode":"delimiter"}\nEXPECT text x\n###\nCONNECT 127.0.0.1:7000\nFRAMING {mode: lines}\n###\nCONNECT 127.0.0.1:7000\nFRAMING lines');
    assert.deepEqual(file.diagnostics.map((d) => [d.line, d.message.slice(0, 60)]), [
      [2, 'FRAMING.delimiter must be "lf", "crlf", "cr", "nul" or a hex'],
      [6, 'FRAMING {mode: lines} is not valid JSON (Expected property n'],
      [9, "Unknown framing 'lines': use none, line, u16be, u32be or a J"],
    ]);
    const short = parseTcpFraming('U32BE');
    assert.ok(short.ok);
    assert.deepEqual(short.framing.framing, { mode: 'lengthPrefix', maxFrameBytes: MiB, lengthBytes: 4, endian: 'big', adjustment: 0, lengthIncludesHeader: false, keepHeader: false });
  });

  /** `frames` length-prefixed frames (FRAMING u32be) of `bodyBytes` each, and a block with one EXPECT text per frame. */
  function framedRun(frames: number, bodyBytes = MiB - 16): { stream: Buffer; text(port: number): string } {
    const body = Buffer.alloc(bodyBytes, 'a');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(bodyBytes);
    return {
      stream: Buffer.concat(Array.from({ length: frames }, () => [header, body]).flat()),
      text: (port) => `@frame = ${body.toString('latin1')}\n###\nCONNECT 127.0.0.1:${port}\nFRAMING u32be\n${'EXPECT within 60s text {{frame}}\n'.repeat(frames)}`,
    };
  }

  it('receives 64 MiB of frames through EXPECTs in linear work: each byte is copied about once, about one frame is held', async () => {
    // The speed goal (at most 2x a raw read of the same stream) is measured by npm run bench
    // (tcp-framed-expect-64MiB), not here: on a shared machine single timings swing too much for a
    // test to judge a ratio that close. This test guards the complexity, which it can count: every
    // byte-copying call on typed arrays and Buffers while the block runs. A linear receive copies
    // each byte about once (into the frame it belongs to). A receive that re-copies what it holds on
    // each chunk, as the old buffer did, copies each byte about frame size / chunk size / 2 times
    // (9.5 measured here); the runner before this test kept a second buffer and copied frames out of
    // it, 3.6 times.
    const run = framedRun(64);
    const peer = await chunkServer(chunked(run.stream, [64 * 1024]));
    server = peer;
    const file = parseTcpFile(run.text(peer.port));
    // Counted from the connect on: preparing the block (encoding its 64 expected payloads) is not receiving.
    let counted: ReturnType<typeof countCopies> | undefined;
    let result;
    try {
      result = await runBlock(file, file.blocks[0], {
        sockets: {
          connect: (options) => {
            counted = countCopies();
            return engineSockets.connect(options);
          },
          listen: (options) => engineSockets.listen(options),
        },
      });
    } finally {
      counted?.stop();
    }
    assert.ok(counted);
    assert.equal(result.status, 'passed', result.error ?? result.expectations.find((e) => e.status !== 'passed')?.message);
    assert.equal(result.expectations.filter((e) => e.status === 'passed').length, 64);
    assert.equal(result.received.length, run.stream.length);
    const perByte = counted.bytes / run.stream.length;
    console.log(`      64 MiB through 64 framed EXPECTs: ${perByte.toFixed(3)} bytes copied per byte received, at most ${result.peakBufferedBytes} bytes held`);
    assert.ok(perByte < 1.5, `copied ${counted.bytes} bytes for a ${run.stream.length}-byte stream (${perByte.toFixed(2)} per byte)`);
    // Each frame is let go once its EXPECT compared it: what is held is the frame being filled and at
    // most a chunk of the next, never the stream.
    assert.ok(result.peakBufferedBytes < 2 * MiB, `held ${result.peakBufferedBytes} bytes at once`);
  });
});
