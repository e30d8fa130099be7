// Property suite over what peers and users feed the engine: payload parsing, the framer on hostile
// streams and the plain text decoder. Complements the round-trip properties in payloadFormat.test.ts
// and the well-formed-stream properties in framer.test.ts. `npm test` runs each property at a size
// that fits CI; `npm run fuzz` runs the same properties long (FUZZ_RUNS runs each).
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { Framer, type FramerEvent } from '../../src/core/framer';
import { RuleSet } from '../../src/core/rules';
import { validateFraming } from '../../src/shared/framing';
import { encodeText } from '../../src/shared/encodeText';
import { parsePayload, parseText } from '../../src/shared/parsePayload';
import { LINE_ENDINGS, PAYLOAD_FORMATS, TEXT_ENCODINGS, type ParseResult } from '../../src/shared/payloadTypes';
import { decodeText, TextStreamDecoder } from '../../src/shared/textStreamDecoder';

/** Runs per property: the CI size unless FUZZ_RUNS asks for a long run. */
function runs(ciSize: number): number {
  const fuzz = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(fuzz) && fuzz > 0 ? fuzz : ciSize;
}

/** Cuts `stream` at positions (taken modulo its length + 1). */
function cut(stream: Uint8Array, positions: readonly number[]): Uint8Array[] {
  const points = [...new Set(positions.map((p) => p % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let last = 0;
  for (const point of [...points, stream.length]) {
    if (point > last) chunks.push(stream.subarray(last, point));
    last = Math.max(last, point);
  }
  return chunks;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * Events in a form deepEqual compares by content. Errors compare by offset only: the framer names
 * what it saw first, so the sentence ("is 2 bytes" against "is at least 2 bytes") and, for a marker
 * frame both over-long and unterminated, the code (FRAME_TOO_LONG against MALFORMED_FRAME) may
 * follow the chunking; where frames start, what they hold and where bytes were dropped may not.
 */
function plain(events: FramerEvent[]): unknown[] {
  return events.map((e) => (e.type === 'frame' ? { frame: hex(e.bytes), wire: hex(e.wire), offset: e.offset } : { error: e.offset }));
}

function feed(framer: Framer, chunks: readonly Uint8Array[]): FramerEvent[] {
  return [...chunks.flatMap((chunk) => framer.push(chunk)), ...framer.end()];
}

describe('properties: hostile input', () => {
  describe('payload parsing', () => {
    // Characters that exercise escapes, hex digits, base64 and separators, plus anything at all.
    const typed = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'\\xu0123456789abcdefABCDEF nrt,:-+/=_\n\r\t'.split('')), maxLength: 60 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
    );
    const options = fc.record({
      format: fc.constantFrom(...PAYLOAD_FORMATS),
      encoding: fc.constantFrom(...TEXT_ENCODINGS),
      lineEnding: fc.constantFrom(...LINE_ENDINGS),
    });

    it('never throws; a failure is one sentence at a position inside the input, a success appends exactly the line ending', () => {
      fc.assert(
        fc.property(typed, options, (input, opts) => {
          const result: ParseResult = parsePayload(input, opts);
          if (!result.ok) {
            const { message, position } = result.error;
            assert.ok(Number.isInteger(position) && position >= 0 && position <= input.length, `position ${position} in ${input.length} characters`);
            assert.match(message, /^[^\n]+[.)]$/, 'one sentence');
            return;
          }
          const bare = parsePayload(input, { ...opts, lineEnding: 'none' });
          assert.ok(bare.ok, 'the line ending cannot make a payload valid');
          const ending = { none: '', lf: '\n', cr: '\r', crlf: '\r\n' }[opts.lineEnding];
          const endingBytes = encodeText(ending, opts.format === 'text' ? opts.encoding : 'ascii');
          assert.ok(endingBytes.ok);
          assert.equal(hex(result.bytes), hex(bare.bytes) + hex(endingBytes.bytes));
        }),
        { numRuns: runs(2000) },
      );
    });

    it('text without backslashes is exactly its encoding; \\xHH is always that one raw byte', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constantFrom(...TEXT_ENCODINGS), fc.uint8Array({ maxLength: 8 }), (text, encoding, raw) => {
          const literal = text.replace(/\\/g, '/');
          const encoded = encodeText(literal, encoding);
          const parsed = parseText(literal, encoding);
          assert.equal(parsed.ok, encoded.ok);
          if (parsed.ok && encoded.ok) assert.equal(hex(parsed.bytes), hex(encoded.bytes));
          const escaped = parseText([...raw].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join(''), encoding);
          assert.ok(escaped.ok);
          assert.equal(hex(escaped.bytes), hex(raw));
        }),
        { numRuns: runs(1000) },
      );
    });
  });

  describe('framer on junk streams with small limits', () => {
    // A small alphabet makes delimiters, markers and plausible length fields frequent.
    const junk = fc.uint8Array({ maxLength: 200 }).map((bytes) => bytes.map((b) => [0x00, 0x01, 0x02, 0x03, 0x0a, 0x0d, 0x61, 0xff][b & 7]));
    const marker = fc.uint8Array({ minLength: 1, maxLength: 3 }).map((bytes) => bytes.map((b) => [0x00, 0x01, 0x02, 0x03, 0x0a][b % 5]));
    const maxFrameBytes = fc.integer({ min: 1, max: 24 });
    const definition = fc.oneof(
      fc.record({ mode: fc.constant('none'), maxFrameBytes }),
      fc.record({ mode: fc.constant('delimiter'), delimiter: marker.map(hex), keepDelimiter: fc.boolean(), maxFrameBytes }),
      fc.record({
        mode: fc.constant('lengthPrefix'),
        lengthBytes: fc.constantFrom(1, 2, 4, 8),
        endian: fc.constantFrom('big', 'little'),
        adjustment: fc.integer({ min: -3, max: 3 }),
        lengthIncludesHeader: fc.boolean(),
        keepHeader: fc.boolean(),
        maxFrameBytes,
      }),
      fc.record({ mode: fc.constant('fixed'), size: fc.integer({ min: 1, max: 9 }), maxFrameBytes: fc.constant(24) }),
      fc.record({ mode: fc.constant('markers'), start: marker.map(hex), end: marker.map(hex), keepMarkers: fc.boolean(), maxFrameBytes }),
    );
    const cuts = fc.array(fc.nat(), { maxLength: 40 });

    it('never throws, and how TCP chunks the stream never changes the frames or where bytes are dropped', () => {
      fc.assert(
        fc.property(definition, junk, cuts, (raw, stream, positions) => {
          const checked = validateFraming(raw);
          if (!checked.ok) return;
          const framing = checked.framing;
          // In mode none a frame is a chunk, by definition.
          if (framing.mode === 'none') return;
          const whole = plain(feed(new Framer(framing), [stream]));
          const chunked = plain(feed(new Framer(framing), cut(stream, positions)));
          assert.deepEqual(chunked, whole);
        }),
        { numRuns: runs(2000) },
      );
    });

    it('holds a bounded number of bytes whatever arrives', () => {
      fc.assert(
        fc.property(definition, junk, cuts, (raw, stream, positions) => {
          const checked = validateFraming(raw);
          if (!checked.ok) return;
          const framer = new Framer(checked.framing);
          const f = checked.framing;
          // Inside a markers frame the framer holds the start marker, up to maxFrameBytes of content,
          // and a tail that may still begin the next start marker or an end marker overlapping it
          // (start + end - 2 bytes), so a lost end marker is still recognised however TCP cuts it.
          const markerBytes =
            f.mode === 'markers' ? 2 * f.start.length + f.end.length - 2 : f.mode === 'delimiter' ? f.delimiter.length : f.mode === 'lengthPrefix' ? f.lengthBytes : 0;
          for (const chunk of cut(stream, positions)) {
            framer.push(chunk);
            assert.ok(framer.buffered <= f.maxFrameBytes + markerBytes, `${framer.buffered} bytes held with maxFrameBytes ${f.maxFrameBytes}`);
          }
        }),
        { numRuns: runs(1000) },
      );
    });
  });

  describe('plain text decoding', () => {
    it('streaming random bytes in random chunks decodes exactly like one shot, in every encoding', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 10 }), fc.constantFrom(...TEXT_ENCODINGS), (bytes, positions, encoding) => {
          const decoder = new TextStreamDecoder(encoding);
          let streamed = '';
          for (const chunk of cut(bytes, positions)) streamed += decoder.write(chunk);
          assert.equal(streamed + decoder.end(), decodeText(bytes, encoding));
          assert.equal(decoder.pendingBytes, 0);
        }),
        { numRuns: runs(1000) },
      );
    });
  });

  describe('rules on arbitrary frames', () => {
    it('never throw, and a hit always comes from an enabled rule that really matches', () => {
      const rule = fc.oneof(
        fc.record({ match: fc.constant('exact'), pattern: fc.string({ maxLength: 4 }), reply: fc.string({ maxLength: 4 }) }),
        fc.record({ match: fc.constant('contains'), pattern: fc.string({ minLength: 1, maxLength: 3 }), ignoreCase: fc.boolean(), reply: fc.constant('c') }),
        fc.record({ match: fc.constant('hexPrefix'), pattern: fc.uint8Array({ minLength: 1, maxLength: 3 }).map(hex), reply: fc.constant('h') }),
        fc.record({ match: fc.constant('regex'), pattern: fc.constantFrom('^a', 'b+$', '(\\w+),', '^(?<n>\\d+)', '.'), reply: fc.constantFrom('$1', '${n}', '$0', 'r') }),
      );
      fc.assert(
        fc.property(fc.array(rule, { maxLength: 6 }), fc.uint8Array({ maxLength: 64 }), (rules, frame) => {
          const compiled = RuleSet.compile(rules);
          if (!compiled.ok) return;
          const hit = compiled.rules.evaluate(frame);
          if (hit) {
            assert.ok(hit.index >= 0 && hit.index < rules.length);
            assert.ok(hit.reply === undefined || hit.reply instanceof Uint8Array);
          }
          compiled.rules.dispose();
        }),
        { numRuns: runs(1000) },
      );
    });
  });
});
