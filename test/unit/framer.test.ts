import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import fc from 'fast-check';
import { Framer, type FramerEvent } from '../../src/core/framer';
import { validateFraming, decodeHexField, type ResolvedFraming } from '../../src/shared/framing';

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));
const hex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s/g, ''), 'hex'));
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

function resolve(definition: unknown): ResolvedFraming {
  const checked = validateFraming(definition);
  if (!checked.ok) throw new Error(checked.error);
  return checked.framing;
}

function frames(events: FramerEvent[]): string[] {
  return events.filter((e) => e.type === 'frame').map((e) => text(e.bytes));
}

function feed(definition: unknown, chunks: Uint8Array[]): FramerEvent[] {
  const framer = new Framer(resolve(definition));
  return chunks.flatMap((c) => framer.push(c));
}

/** Cuts `stream` at the given (sorted, de-duplicated) positions. */
function cut(stream: Uint8Array, positions: number[]): Uint8Array[] {
  const points = [...new Set(positions.map((p) => p % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let last = 0;
  for (const p of [...points, stream.length]) {
    if (p > last) chunks.push(stream.subarray(last, p));
    last = p;
  }
  return chunks;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

function endsOnlyAtEnd(content: Uint8Array, marker: Uint8Array): boolean {
  const joined = Buffer.concat([content, marker]);
  return joined.indexOf(marker) === content.length;
}

describe('framing definition validation', () => {
  const cases: [unknown, RegExp][] = [
    ['lf', /^framing must be an object/],
    [{ mode: 'lines' }, /^framing\.mode must be one of "none", "delimiter"/],
    [{ mode: 'delimiter', delimiter: '0g' }, /^framing\.delimiter has "g" at position 2/],
    [{ mode: 'delimiter', delimiter: '0d0' }, /^framing\.delimiter has an unpaired hex digit at position 3/],
    [{ mode: 'delimiter' }, /^framing\.delimiter must be "lf", "crlf", "cr", "nul" or a hex byte sequence/],
    [{ mode: 'delimiter', delimiter: 'lf', keepDelimiter: 'yes' }, /^framing\.keepDelimiter must be true or false/],
    [{ mode: 'lengthPrefix', lengthBytes: 3 }, /^framing\.lengthBytes must be 1, 2, 4 or 8 \(got 3\)/],
    [{ mode: 'lengthPrefix', lengthBytes: 2, endian: 'middle' }, /^framing\.endian must be "big" or "little"/],
    [{ mode: 'lengthPrefix', lengthBytes: 2, adjustment: 1.5 }, /^framing\.adjustment must be a whole number/],
    [{ mode: 'fixed', size: 0 }, /^framing\.size must be a whole number of bytes, at least 1/],
    [{ mode: 'fixed', size: 100, maxFrameBytes: 10 }, /^framing\.size \(100\) is larger than framing\.maxFrameBytes \(10\)/],
    [{ mode: 'markers', start: '02' }, /^framing\.end must be a hex byte sequence/],
    [{ mode: 'none', maxFrameBytes: -1 }, /^framing\.maxFrameBytes must be a whole number from 1 to/],
  ];
  for (const [definition, expected] of cases) {
    it(`rejects ${JSON.stringify(definition)} with one sentence naming the field`, () => {
      const result = validateFraming(definition);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.match(result.error, expected);
      assert.equal(result.error.split('. ').length, 1, 'one sentence');
    });
  }

  it('fills defaults and decodes named and hex delimiters', () => {
    assert.deepEqual(resolve(undefined), { mode: 'none', maxFrameBytes: 1048576 });
    const crlf = resolve({ mode: 'delimiter', delimiter: 'CRLF' });
    assert.deepEqual(crlf.mode === 'delimiter' && [...crlf.delimiter], [0x0d, 0x0a]);
    const mllp = resolve({ mode: 'markers', start: '0x0b', end: '1C 0D', keepMarkers: true });
    assert.ok(mllp.mode === 'markers' && mllp.keepMarkers);
    assert.deepEqual([...mllp.start, ...mllp.end], [0x0b, 0x1c, 0x0d]);
    assert.deepEqual(resolve({ mode: 'lengthPrefix', lengthBytes: 4 }), {
      mode: 'lengthPrefix',
      maxFrameBytes: 1048576,
      lengthBytes: 4,
      endian: 'big',
      adjustment: 0,
      lengthIncludesHeader: false,
      keepHeader: false,
    });
    const decoded = decodeHexField('de:ad-be,ef', 'x');
    assert.ok(decoded.ok && Buffer.from(decoded.bytes).toString('hex') === 'deadbeef');
    assert.equal(Framer.fromDefinition({ mode: 'fixed' }).ok, false);
  });
});

describe('Framer', () => {
  it('none: reports chunks exactly as they arrive, with stream offsets', () => {
    const events = feed({ mode: 'none' }, [bytes('ab'), bytes(''), bytes('cde')]);
    assert.deepEqual(
      events.map((e) => e.type === 'frame' && [text(e.bytes), e.offset]),
      [
        ['ab', 0],
        ['cde', 2],
      ],
    );
  });

  it('delimiter: strips or keeps, handles a delimiter split across chunks and empty frames', () => {
    const chunks = [bytes('one\r'), bytes('\n\r\ntw'), bytes('o\r'), bytes('\nthree')];
    assert.deepEqual(frames(feed({ mode: 'delimiter', delimiter: 'crlf' }, chunks)), ['one', '', 'two']);
    assert.deepEqual(frames(feed({ mode: 'delimiter', delimiter: '0d0a', keepDelimiter: true }, chunks)), ['one\r\n', '\r\n', 'two\r\n']);
    const offsets = feed({ mode: 'delimiter', delimiter: 'crlf' }, chunks).map((e) => e.offset);
    assert.deepEqual(offsets, [0, 5, 7]);
  });

  it('lengthPrefix: big and little endian, adjustment, header counted, header kept', () => {
    assert.deepEqual(frames(feed({ mode: 'lengthPrefix', lengthBytes: 2 }, [hex('0003 616263 0000 0001 7a')])), ['abc', '', 'z']);
    assert.deepEqual(frames(feed({ mode: 'lengthPrefix', lengthBytes: 4, endian: 'little' }, [hex('02000000 6869')])), ['hi']);
    // A field counting itself: 0x0005 means a 3-byte body after the 2-byte header.
    assert.deepEqual(frames(feed({ mode: 'lengthPrefix', lengthBytes: 2, lengthIncludesHeader: true }, [hex('0005 616263')])), ['abc']);
    // A field that excludes a 1-byte trailer (e.g. a checksum): adjustment +1.
    assert.deepEqual(frames(feed({ mode: 'lengthPrefix', lengthBytes: 1, adjustment: 1 }, [hex('02 6869 ff')])), ['hi\xff']);
    assert.deepEqual(frames(feed({ mode: 'lengthPrefix', lengthBytes: 8, keepHeader: true }, [hex('0000000000000001 41')])), ['\x00\x00\x00\x00\x00\x00\x00\x01A']);
  });

  it('fixed: cuts every N bytes and holds the remainder', () => {
    const framer = new Framer(resolve({ mode: 'fixed', size: 3 }));
    assert.deepEqual(frames(framer.push(bytes('abcdefg'))), ['abc', 'def']);
    assert.equal(framer.buffered, 1);
    assert.deepEqual(frames(framer.push(bytes('hi'))), ['ghi']);
  });

  it('markers: STX/ETX and MLLP, markers kept or stripped', () => {
    assert.deepEqual(frames(feed({ mode: 'markers', start: '02', end: '03' }, [hex('02 6869 03 02'), hex('7a 03')])), ['hi', 'z']);
    const mllp = { mode: 'markers', start: '0b', end: '1c0d', keepMarkers: true };
    assert.deepEqual(frames(feed(mllp, [hex('0b 4d5348 1c'), hex('0d 0b 41 1c 0d')])), ['\x0bMSH\x1c\x0d', '\x0bA\x1c\x0d']);
  });

  describe('over-long and malformed frames are reported and do not block later frames', () => {
    it('delimiter: an over-long line is reported once, skipped to its delimiter, and the next line is exact', () => {
      const framer = new Framer(resolve({ mode: 'delimiter', delimiter: 'lf', maxFrameBytes: 4 }));
      const events = [bytes('ok\nabc'), bytes('defgh'), bytes('ijk\nfine\n1234\n12345\nz\n')].flatMap((c) => framer.push(c));
      assert.deepEqual(
        events.map((e) => (e.type === 'frame' ? text(e.bytes) : `${e.code}@${e.offset}`)),
        ['ok', 'FRAME_TOO_LONG@3', 'fine', '1234', 'FRAME_TOO_LONG@25', 'z'],
      );
      assert.equal(framer.buffered, 0);
    });

    it('delimiter: memory stays bounded while an endless line streams in', () => {
      const framer = new Framer(resolve({ mode: 'delimiter', delimiter: '0d0a', maxFrameBytes: 100 }));
      let errors = 0;
      for (let i = 0; i < 1000; i++) {
        errors += framer.push(new Uint8Array(1000).fill(0x41)).filter((e) => e.type === 'error').length;
        assert.ok(framer.buffered <= 101);
      }
      assert.equal(errors, 1);
      assert.deepEqual(frames(framer.push(bytes('tail\r\nnext\r\n'))), ['next']);
    });

    it('lengthPrefix: an over-long frame is skipped by its declared length; an impossible length drops only the header', () => {
      const framer = new Framer(resolve({ mode: 'lengthPrefix', lengthBytes: 2, maxFrameBytes: 3, lengthIncludesHeader: true }));
      // 0x0009 → 7-byte body (too long, skipped across chunks); 0x0001 → body of -1 (impossible); then "ab".
      const events = [hex('0009 4142'), hex('4344454647 0001'), hex('0004 6162')].flatMap((c) => framer.push(c));
      assert.deepEqual(
        events.map((e) => (e.type === 'frame' ? text(e.bytes) : `${e.code}@${e.offset}`)),
        ['FRAME_TOO_LONG@0', 'MALFORMED_FRAME@9', 'ab'],
      );
      const malformedEvent = events[1];
      assert.ok(malformedEvent.type === 'error' && /reads 1, which gives an impossible body length of -1 bytes/.test(malformedEvent.message));
    });

    it('lengthPrefix: a 64-bit length beyond any safe size is malformed, not an endless skip', () => {
      const events = feed({ mode: 'lengthPrefix', lengthBytes: 8 }, [hex('ffffffffffffffff 0000000000000001 41')]);
      assert.deepEqual(
        events.map((e) => (e.type === 'frame' ? text(e.bytes) : e.code)),
        ['MALFORMED_FRAME', 'A'],
      );
    });

    it('markers: stray bytes, a lost end marker and an over-long frame each resynchronise', () => {
      const framer = new Framer(resolve({ mode: 'markers', start: '02', end: '03', maxFrameBytes: 4 }));
      const events = [hex('7878 02 6162 02 6364 03'), hex('02 3132333435'), hex('36 03 02 7a 03')].flatMap((c) => framer.push(c));
      assert.deepEqual(
        events.map((e) => (e.type === 'frame' ? text(e.bytes) : `${e.code}@${e.offset}`)),
        ['MALFORMED_FRAME@0', 'MALFORMED_FRAME@2', 'cd', 'FRAME_TOO_LONG@9', 'z'],
      );
    });

    it('lengthPrefix: a frame spread over many chunks is assembled in one buffer of its own size, with offsets that go on after it', () => {
      const framer = new Framer(resolve({ mode: 'lengthPrefix', lengthBytes: 4 }));
      const body = Buffer.alloc(200_000, 7);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(body.length);
      const stream = concat([header, body, hex('00000002 6869'), header.subarray(0, 3)]);
      const events = cut(stream, Array.from({ length: 30 }, (_, i) => 3 + i * 7001)).flatMap((c) => framer.push(c));
      assert.deepEqual(
        events.map((e) => (e.type === 'frame' ? [e.offset, e.bytes.length, e.wire.length] : e.code)),
        [
          [0, 200_000, 200_004],
          [200_004, 2, 6],
        ],
      );
      const big = events[0];
      assert.ok(big.type === 'frame' && Buffer.from(big.bytes).equals(body));
      // The frame owns exactly its wire bytes: it is no view into a larger buffer it would keep alive.
      assert.equal(big.wire.buffer.byteLength, big.wire.length);
      assert.equal(framer.buffered, 3);
      const ended = framer.end();
      assert.deepEqual(ended.map((e) => e.type === 'error' && [e.code, e.offset, Buffer.from(e.bytes ?? []).toString('hex')]), [['INCOMPLETE_FRAME', 200_010, '00030d']]);
    });

    it('lengthPrefix: a recycled frame buffer holds the next frame of exactly its size, and no other', () => {
      const framer = new Framer(resolve({ mode: 'lengthPrefix', lengthBytes: 1 }));
      const [first] = framer.push(hex('03 616263'));
      assert.ok(first.type === 'frame');
      framer.recycle(first.wire);
      const [second] = framer.push(hex('03 78')).concat(framer.push(hex('797a')));
      assert.ok(second.type === 'frame');
      assert.equal(text(second.bytes), 'xyz');
      assert.equal(second.wire.buffer, first.wire.buffer, 'the same memory held the next frame');
      framer.recycle(second.wire);
      const [third] = framer.push(hex('02 6869'));
      assert.ok(third.type === 'frame');
      assert.equal(text(third.bytes), 'hi');
      assert.notEqual(third.wire.buffer, first.wire.buffer, 'a frame of another size gets its own buffer');
      assert.equal(text(second.bytes), 'xyz', 'the spare was not written to');
    });

    it('lengthPrefix: the stream ending inside a frame being filled reports the bytes that arrived', () => {
      const framer = new Framer(resolve({ mode: 'lengthPrefix', lengthBytes: 2 }));
      assert.deepEqual(framer.push(hex('0001 41 0005 6162')), [{ type: 'frame', bytes: hex('41'), wire: hex('0001 41'), offset: 0 }]);
      assert.deepEqual(framer.push(hex('63')), []);
      assert.equal(framer.buffered, 5);
      const ended = framer.end();
      assert.deepEqual(
        ended.map((e) => e.type === 'error' && [e.code, e.offset, e.message, Buffer.from(e.bytes ?? []).toString('hex')]),
        [['INCOMPLETE_FRAME', 3, 'The stream ended inside a frame: 5 bytes arrived without the rest of the frame.', '0005616263']],
      );
      assert.equal(framer.buffered, 0);
    });

    it('end of stream: a partial frame is reported as incomplete', () => {
      const framer = new Framer(resolve({ mode: 'lengthPrefix', lengthBytes: 1 }));
      framer.push(hex('05 6162'));
      const events = framer.end();
      assert.equal(events.length, 1);
      assert.ok(events[0].type === 'error' && events[0].code === 'INCOMPLETE_FRAME' && /3 bytes arrived/.test(events[0].message));
      assert.deepEqual(feed({ mode: 'delimiter', delimiter: 'lf' }, [bytes('a\n')]).length, 1);
      assert.deepEqual(new Framer(resolve({ mode: 'markers', start: '02', end: '03' })).end(), []);
      const stray = new Framer(resolve({ mode: 'markers', start: '02', end: '03' }));
      stray.push(hex('02 61 03 7a'));
      assert.deepEqual(stray.end(), [{ type: 'error', code: 'MALFORMED_FRAME', message: '1 byte outside any start/end marker pair was discarded.', offset: 3 }]);
      // The tail of an over-long frame being skipped is not reported a second time.
      const skipping = new Framer(resolve({ mode: 'markers', start: '02', end: '03', maxFrameBytes: 2 }));
      assert.deepEqual(skipping.push(hex('02 616263')).map((e) => e.type === 'error' && e.code), ['FRAME_TOO_LONG']);
      assert.deepEqual(skipping.end(), []);
    });
  });

  describe('property: random frames cut at random points come out identical', () => {
    const content = fc.uint8Array({ maxLength: 40 });
    const cuts = fc.array(fc.nat(), { maxLength: 30 });

    it('delimiter (random hex delimiter, kept or stripped)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 3 }), fc.boolean(), fc.array(content, { maxLength: 12 }), cuts, (delimiter, keep, parts, positions) => {
          const frameList = parts.filter((p) => endsOnlyAtEnd(p, delimiter));
          const stream = concat(frameList.flatMap((p) => [p, delimiter]));
          const definition = { mode: 'delimiter', delimiter: Buffer.from(delimiter).toString('hex'), keepDelimiter: keep };
          const got = feed(definition, cut(stream, positions));
          assert.ok(got.every((e) => e.type === 'frame'));
          assert.deepEqual(Buffer.concat(got.map((e) => (e.type === 'frame' ? e.wire : new Uint8Array()))), Buffer.from(stream), 'wire bytes rebuild the stream');
          assert.deepEqual(
            got.map((e) => Buffer.from(e.bytes).toString('hex')),
            frameList.map((p) => Buffer.from(keep ? concat([p, delimiter]) : p).toString('hex')),
          );
        }),
        { numRuns: 300 },
      );
    });

    it('lengthPrefix (every width, both endians, adjustments, header counted or not)', () => {
      const layout = fc.record({
        lengthBytes: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const),
        endian: fc.constantFrom('big' as const, 'little' as const),
        adjustment: fc.integer({ min: -3, max: 3 }),
        lengthIncludesHeader: fc.boolean(),
        keepHeader: fc.boolean(),
      });
      fc.assert(
        fc.property(layout, fc.array(content, { maxLength: 12 }), cuts, (l, parts, positions) => {
          const encode = (body: Uint8Array) => {
            const fieldValue = body.length - l.adjustment + (l.lengthIncludesHeader ? l.lengthBytes : 0);
            const header = Buffer.alloc(l.lengthBytes);
            let v = BigInt(fieldValue);
            for (let i = 0; i < l.lengthBytes; i++) {
              header[l.endian === 'big' ? l.lengthBytes - 1 - i : i] = Number(v & 0xffn);
              v >>= 8n;
            }
            return { header: new Uint8Array(header), ok: fieldValue >= 0 && fieldValue < 2 ** (8 * l.lengthBytes) };
          };
          const frameList = parts.filter((p) => encode(p).ok);
          const stream = concat(frameList.flatMap((p) => [encode(p).header, p]));
          const got = feed({ mode: 'lengthPrefix', ...l }, cut(stream, positions));
          assert.deepEqual(Buffer.concat(got.map((e) => (e.type === 'frame' ? e.wire : new Uint8Array()))), Buffer.from(stream), 'wire bytes rebuild the stream');
          assert.deepEqual(
            got.map((e) => e.type === 'frame' && Buffer.from(e.bytes).toString('hex')),
            frameList.map((p) => Buffer.from(l.keepHeader ? concat([encode(p).header, p]) : p).toString('hex')),
          );
        }),
        { numRuns: 300 },
      );
    });

    it('fixed', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 9 }), fc.uint8Array({ maxLength: 200 }), cuts, (size, data, positions) => {
          const whole = data.subarray(0, data.length - (data.length % size));
          const got = feed({ mode: 'fixed', size }, cut(whole, positions));
          const expected: string[] = [];
          for (let i = 0; i < whole.length; i += size) expected.push(Buffer.from(whole.subarray(i, i + size)).toString('hex'));
          assert.deepEqual(
            got.map((e) => e.type === 'frame' && Buffer.from(e.bytes).toString('hex')),
            expected,
          );
        }),
        { numRuns: 300 },
      );
    });

    it('markers (random start/end sequences, kept or stripped)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 2 }), fc.uint8Array({ minLength: 1, maxLength: 2 }), fc.boolean(), fc.array(content, { maxLength: 10 }), cuts, (start, end, keep, parts, positions) => {
          // Content may contain neither marker, and the start marker may not reappear inside start+content+end.
          const frameList = parts.filter((p) => {
            const wire = Buffer.concat([start, p, end]);
            return wire.indexOf(end, start.length) === start.length + p.length && wire.indexOf(start, 1) >= start.length + p.length;
          });
          const stream = concat(frameList.flatMap((p) => [start, p, end]));
          const definition = { mode: 'markers', start: Buffer.from(start).toString('hex'), end: Buffer.from(end).toString('hex'), keepMarkers: keep };
          const got = feed(definition, cut(stream, positions));
          assert.deepEqual(
            got.map((e) => e.type === 'frame' && Buffer.from(e.bytes).toString('hex')),
            frameList.map((p) => Buffer.from(keep ? concat([start, p, end]) : p).toString('hex')),
          );
        }),
        { numRuns: 300 },
      );
    });

    it('markers that overlap (the end marker inside the start marker): every chunking gives the same frames and errors', () => {
      // Bytes from a tiny alphabet, so markers overlap, repeat and interleave as often as possible.
      const tiny = (min: number, max: number) => fc.array(fc.integer({ min: 1, max: 3 }), { minLength: min, maxLength: max }).map((a) => Uint8Array.from(a));
      const eventsOf = (definition: unknown, chunks: Uint8Array[]): string[] => {
        const framer = new Framer(resolve(definition));
        const events = [...chunks.flatMap((c) => framer.push(c)), ...framer.end()];
        return events.map((e) => (e.type === 'frame' ? `frame@${e.offset} ${Buffer.from(e.wire).toString('hex')}` : `${e.code}@${e.offset}`));
      };
      // Streams are made of the markers themselves and short runs of other bytes, so overlaps are common.
      const markersAndStream = fc.tuple(tiny(1, 3), tiny(1, 3)).chain(([start, end]) =>
        fc.tuple(fc.constant(start), fc.constant(end), fc.array(fc.oneof(fc.constant(start), fc.constant(end), tiny(1, 2)), { maxLength: 14 }).map(concat)),
      );
      fc.assert(
        fc.property(markersAndStream, fc.boolean(), cuts, ([start, end, stream], keep, positions) => {
          const definition = { mode: 'markers', start: Buffer.from(start).toString('hex'), end: Buffer.from(end).toString('hex'), keepMarkers: keep };
          const whole = eventsOf(definition, [stream]);
          assert.deepEqual(eventsOf(definition, cut(stream, positions)), whole, 'random chunks');
          assert.deepEqual(eventsOf(definition, [...stream].map((b) => Uint8Array.of(b))), whole, 'one byte at a time');
        }),
        { numRuns: 2000 },
      );
    });

    it('markers 01 02 03 … 02: where a start marker and an end marker overlap, the end marker wins', () => {
      const definition = { mode: 'markers', start: '010203', end: '02', keepMarkers: true };
      const stream = hex('01 02 03 01 02 03');
      for (const chunks of [[stream], [...stream].map((b) => Uint8Array.of(b)), [stream.subarray(0, 4), stream.subarray(4)]]) {
        const framer = new Framer(resolve(definition));
        const events = [...chunks.flatMap((c) => framer.push(c)), ...framer.end()];
        assert.deepEqual(
          events.map((e) => (e.type === 'frame' ? Buffer.from(e.wire).toString('hex') : e.code)),
          ['0102030102', 'MALFORMED_FRAME'],
        );
      }
    });

    it('lengthPrefix with a maximum: over-long frames are skipped by their length and every other frame survives', () => {
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 12 }), cuts, (parts, positions) => {
          const stream = concat(parts.flatMap((p) => [Uint8Array.of(p.length), p]));
          const got = feed({ mode: 'lengthPrefix', lengthBytes: 1, maxFrameBytes: 6 }, cut(stream, positions));
          assert.deepEqual(
            got.map((e) => (e.type === 'frame' ? Buffer.from(e.bytes).toString('hex') : e.code)),
            parts.map((p) => (p.length > 6 ? 'FRAME_TOO_LONG' : Buffer.from(p).toString('hex'))),
          );
        }),
        { numRuns: 300 },
      );
    });

    it('markers with junk between frames: every frame survives and each run of junk is one error', () => {
      // STX/ETX framing; content and junk never contain STX (02) or ETX (03).
      const clean = fc.uint8Array({ maxLength: 10 }).map((a) => a.map((b) => (b === 2 || b === 3 ? 4 : b)));
      fc.assert(
        fc.property(fc.array(fc.tuple(clean, clean), { maxLength: 10 }), cuts, (pairs, positions) => {
          const stream = concat(pairs.flatMap(([junk, content]) => [junk, hex('02'), content, hex('03')]));
          const got = feed({ mode: 'markers', start: '02', end: '03' }, cut(stream, positions));
          assert.deepEqual(
            got.map((e) => (e.type === 'frame' ? Buffer.from(e.bytes).toString('hex') : e.code)),
            pairs.flatMap(([junk, content]) => [...(junk.length > 0 ? ['MALFORMED_FRAME'] : []), Buffer.from(content).toString('hex')]),
          );
        }),
        { numRuns: 300 },
      );
    });

    it('delimiter with a maximum: every frame within the limit survives, every longer one is exactly one error', () => {
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 12 }).map((a) => a.map((b) => (b === 10 ? 11 : b))), { maxLength: 12 }), cuts, (parts, positions) => {
          const stream = concat(parts.flatMap((p) => [p, hex('0a')]));
          const got = feed({ mode: 'delimiter', delimiter: 'lf', maxFrameBytes: 6 }, cut(stream, positions));
          assert.deepEqual(
            got.map((e) => (e.type === 'frame' ? Buffer.from(e.bytes).toString('hex') : e.code)),
            parts.map((p) => (p.length > 6 ? 'FRAME_TOO_LONG' : Buffer.from(p).toString('hex'))),
          );
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('on a real loopback socket', () => {
    let server: net.Server | undefined;
    afterEach(async () => {
      await new Promise<void>((resolveClose) => (server ? server.close(() => resolveClose()) : resolveClose()));
      server = undefined;
    });

    it('recovers exactly the frames a peer wrote in many small, coalesced writes', async () => {
      const framer = new Framer(resolve({ mode: 'lengthPrefix', lengthBytes: 2 }));
      const received: string[] = [];
      const done = new Promise<void>((resolveDone) => {
        server = net.createServer((socket) => {
          socket.on('data', (chunk) => received.push(...frames(framer.push(chunk))));
          socket.on('end', () => {
            socket.end();
            resolveDone();
          });
        });
      });
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
      const { port } = server!.address() as net.AddressInfo;
      const messages = Array.from({ length: 200 }, (_, i) => `message ${i} ${'x'.repeat(i % 37)}`);
      const wire = Buffer.concat(messages.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), Buffer.from(m)])));
      const client = net.connect(port, '127.0.0.1');
      await new Promise<void>((r) => client.once('connect', () => r()));
      for (let i = 0; i < wire.length; i += 7) client.write(wire.subarray(i, i + 7));
      client.end();
      await done;
      client.destroy();
      assert.deepEqual(received, messages);
    });
  });
});
