import * as assert from 'node:assert/strict';
import { Connection } from '../../src/core/connection';
import { FramedStream } from '../../src/core/framedStream';
import { validateFraming, type ResolvedFraming } from '../../src/shared/framing';
import type { Socket } from 'node:net';
import { Cleanup, delay, nextEvent, rawServer, waitUntil } from './support/sockets';

function framing(definition: unknown): ResolvedFraming {
  const checked = validateFraming(definition);
  if (!checked.ok) throw new Error(checked.error);
  return checked.framing;
}

describe('FramedStream', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('frames what a client connection receives, and reports a partial frame when the peer ends', async () => {
    const port = await rawServer(cleanup, async (socket) => {
      // STX/ETX frames in awkward pieces, then a frame cut short by FIN.
      for (const piece of ['\x02hel', 'lo\x03\x02wor', 'ld\x03', '\x02cut']) {
        socket.write(Buffer.from(piece, 'latin1'));
        await delay(10);
      }
      socket.end();
    });
    const connection = await Connection.connect({ host: '127.0.0.1', port });
    cleanup.add(() => connection.destroy());
    const stream = new FramedStream(connection, framing({ mode: 'markers', start: '02', end: '03' }));
    cleanup.add(() => stream.dispose());
    const seen: string[] = [];
    stream.onDidFrame((f) => seen.push(Buffer.from(f.bytes).toString('latin1')));
    stream.onDidFramingError((e) => seen.push(e.code));
    await nextEvent(stream.onDidEnd);
    assert.deepEqual(seen, ['hello', 'world', 'INCOMPLETE_FRAME']);
  });

  it('switches framing mid-stream for the bytes that follow', async () => {
    let peer: Socket | undefined;
    const port = await rawServer(cleanup, (socket) => (peer = socket));
    const connection = await Connection.connect({ host: '127.0.0.1', port });
    cleanup.add(() => connection.destroy());
    const stream = new FramedStream(connection, framing({ mode: 'delimiter', delimiter: 'lf' }));
    cleanup.add(() => stream.dispose());
    const seen: string[] = [];
    stream.onDidFrame((f) => seen.push(Buffer.from(f.bytes).toString()));
    await waitUntil(() => peer !== undefined, 'the accepted peer');
    peer!.write('line\n');
    await nextEvent(stream.onDidFrame);
    stream.setFraming(framing({ mode: 'fixed', size: 2 }));
    assert.equal(stream.framing.mode, 'fixed');
    peer!.write('abcd');
    await nextEvent(stream.onDidFrame, (f) => Buffer.from(f.bytes).toString() === 'cd');
    assert.deepEqual(seen, ['line', 'ab', 'cd']);
  });
});
