import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatForCopy, toCArray, toNodeBuffer, toPythonBytes } from '../../src/shared/copyFormats';
import { encodeText } from '../../src/shared/encodeText';
import { hexDump, hexDumpLines, toHex } from '../../src/shared/hexFormat';
import { readHexDump } from './support/hexDumpReader';
import { parseBase64, parseHex, parseText } from '../../src/shared/parsePayload';
import { TEXT_ENCODINGS, type ParseResult, type TextEncodingName } from '../../src/shared/payloadTypes';
import { decodeText, renderVisible, TextStreamDecoder } from '../../src/shared/textStreamDecoder';

function bytesOf(result: ParseResult): Uint8Array {
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  return result.bytes;
}

const hello = new TextEncoder().encode('Hello\r\n');

describe('hex formatting', () => {
  it('formats plain hex with any separator', () => {
    assert.equal(toHex(hello), '48 65 6C 6C 6F 0D 0A');
    assert.equal(toHex(hello, ''), '48656C6C6F0D0A');
    assert.equal(toHex(new Uint8Array(0)), '');
  });

  it('dumps offset, sixteen hex bytes and printable ASCII per line', () => {
    const bytes = Uint8Array.from({ length: 20 }, (_, i) => 0x41 + i);
    bytes[1] = 0x00;
    bytes[17] = 0x7f;
    assert.deepEqual(hexDumpLines(bytes), [
      '00000000 | 41 00 43 44 45 46 47 48 49 4A 4B 4C 4D 4E 4F 50 | A.CDEFGHIJKLMNOP',
      '00000010 | 51 7F 53 54                                     | Q.ST',
    ]);
    assert.equal(hexDump(hello, 0x1f0), '000001F0 | 48 65 6C 6C 6F 0D 0A                            | Hello..');
    assert.equal(hexDump(new Uint8Array(0)), '');
  });

  it('reads a dump back, ignoring pipes in the ASCII column', () => {
    const bytes = new TextEncoder().encode('a|b | c || d and more than sixteen bytes');
    assert.deepEqual(readHexDump(hexDump(bytes, 0x100)), bytes);
  });

});

describe('copy formats', () => {
  const sample = Uint8Array.of(0x48, 0x27, 0x5c, 0x0a, 0x00, 0xff);

  it('makes a C array that holds the same bytes', () => {
    const text = toCArray(sample);
    assert.match(text, /^const unsigned char payload\[6\] = \{\n {4}0x48, 0x27, 0x5C, 0x0A, 0x00, 0xFF\n\};$/);
    const values = [...toCArray(Uint8Array.from({ length: 30 }, (_, i) => i)).matchAll(/0x([0-9A-F]{2})/g)].map((m) => parseInt(m[1], 16));
    assert.deepEqual(values, Array.from({ length: 30 }, (_, i) => i));
    assert.match(toCArray(new Uint8Array(0)), /_len = 0;/);
  });

  it('makes a Python bytes literal', () => {
    assert.equal(toPythonBytes(sample), "b'H\\'\\\\\\n\\x00\\xff'");
  });

  it('makes a Node Buffer expression that evaluates to the same bytes', () => {
    const expression = toNodeBuffer(sample);
    assert.equal(expression, 'Buffer.from([0x48, 0x27, 0x5C, 0x0A, 0x00, 0xFF])');
    const evaluated = new Function('Buffer', `return ${expression};`)(Buffer) as Buffer;
    assert.deepEqual(Array.from(evaluated), Array.from(sample));
  });

  it('copies text plainly or with escapes that parse back', () => {
    assert.equal(formatForCopy(hello, 'text', 'utf-8'), 'Hello\r\n');
    assert.equal(formatForCopy(hello, 'escaped', 'utf-8'), 'Hello\\r\\n');
    assert.equal(formatForCopy(hello, 'hex', 'utf-8'), '48 65 6C 6C 6F 0D 0A');
  });
});

describe('large inputs', () => {
  // Bigger than the decoder's output slices and initial buffers, so growth and slicing are exercised.
  const big = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7919 + (i >> 8)) & 0xff);

  it('renders and re-parses 200 kB of arbitrary bytes exactly', () => {
    for (const encoding of ['utf-8', 'latin1', 'utf-16le'] as TextEncodingName[]) {
      assert.deepEqual(bytesOf(parseText(renderVisible(big, encoding), encoding)), big, encoding);
    }
  });

  it('decodes 200 kB of valid text the same as TextDecoder, in one go and in uneven chunks', () => {
    const text = 'Grüße 中文 😀 '.repeat(10_000);
    const bytes = new TextEncoder().encode(text);
    assert.equal(decodeText(bytes, 'utf-8'), text);
    const decoder = new TextStreamDecoder('utf-8');
    let streamed = '';
    for (let start = 0; start < bytes.length; start += 4093) {
      streamed += decoder.write(bytes.subarray(start, start + 4093));
    }
    assert.equal(streamed + decoder.end(), text);
  });

  it('dumps and re-reads 200 kB at an offset past 4 GiB', () => {
    const dump = hexDump(big, 2 ** 32 - 16);
    assert.ok(dump.startsWith('0FFFFFFF0 | '));
    assert.deepEqual(readHexDump(dump), big);
    assert.deepEqual(bytesOf(parseHex(toHex(big, ', '))), big);
  });
});

describe('format → parse round trips (property)', () => {
  const anyBytes = fc.uint8Array({ maxLength: 300 });

  it('hex with any supported separator and prefix', () => {
    fc.assert(
      fc.property(anyBytes, fc.constantFrom(' ', '', ',', ', ', ':', '-', '\n', ' 0x'), (bytes, separator) => {
        const prefix = separator === ' 0x' && bytes.length > 0 ? '0x' : '';
        assert.deepEqual(bytesOf(parseHex(prefix + toHex(bytes, separator))), bytes);
      }),
    );
  });

  it('base64, standard and URL-safe, padded or not', () => {
    fc.assert(
      fc.property(anyBytes, fc.boolean(), fc.boolean(), (bytes, urlSafe, keepPadding) => {
        let text = Buffer.from(bytes).toString(urlSafe ? 'base64url' : 'base64');
        text = keepPadding ? text : text.replace(/=+$/, '');
        assert.deepEqual(bytesOf(parseBase64(text)), bytes);
      }),
    );
  });

  it('hex dump re-parsed gives the same bytes', () => {
    fc.assert(
      fc.property(anyBytes, fc.nat({ max: 0xffffff }), (bytes, offset) => {
        assert.deepEqual(readHexDump(hexDump(bytes, offset)), bytes);
      }),
    );
  });

  for (const encoding of ['utf-8', 'latin1', 'ascii', 'utf-16le'] as TextEncodingName[]) {
    it(`escaped ${encoding} text of random bytes parses back to the same bytes`, () => {
      fc.assert(
        fc.property(anyBytes, (bytes) => {
          assert.deepEqual(bytesOf(parseText(renderVisible(bytes, encoding), encoding)), bytes);
        }),
      );
    });
  }

  for (const encoding of ['gbk', 'gb18030', 'shift_jis'] as TextEncodingName[]) {
    it(`escaped ${encoding} text: exact for valid text, stable for random bytes`, () => {
      const alphabet = { gbk: '中文测试€①', gb18030: '中文测试€①日本ｱ😀', shift_jis: '日本語テストｱ①' }[encoding as 'gbk'];
      const cjk = fc.string({ unit: fc.constantFrom(...`abc \\\n\x01${alphabet}`), maxLength: 40 });
      fc.assert(
        fc.property(cjk, (text) => {
          const bytes = bytesOf(encodeText(text, encoding));
          assert.deepEqual(bytesOf(parseText(renderVisible(bytes, encoding), encoding)), bytes);
        }),
      );
      // Random bytes can hit duplicate codes that re-encode canonically (gb18030 0x80 becomes A2 E3),
      // so for them require that the rendered text survives, not necessarily the exact bytes.
      fc.assert(
        fc.property(anyBytes, (bytes) => {
          const shown = renderVisible(bytes, encoding);
          const reparsed = bytesOf(parseText(shown, encoding));
          assert.equal(renderVisible(reparsed, encoding), shown);
        }),
      );
    });
  }

  it('streaming random bytes in random chunks renders exactly like one shot, in every encoding', () => {
    fc.assert(
      fc.property(anyBytes, fc.array(fc.nat({ max: 300 }), { maxLength: 8 }), fc.constantFrom(...TEXT_ENCODINGS), (bytes, cuts, encoding) => {
        const decoder = new TextStreamDecoder(encoding, { escapes: true });
        const points = [0, ...cuts.map((cut) => Math.min(cut, bytes.length)).sort((a, b) => a - b), bytes.length];
        let streamed = '';
        for (let i = 1; i < points.length; i++) {
          streamed += decoder.write(bytes.subarray(points[i - 1], points[i]));
        }
        assert.equal(streamed + decoder.end(), renderVisible(bytes, encoding));
      }),
    );
  });

  it('utf-8 decoding agrees with TextDecoder on random bytes (up to how U+FFFD runs are grouped)', () => {
    const collapse = (text: string): string => text.replace(/\uFFFD+/g, '\uFFFD');
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        assert.equal(collapse(decodeText(bytes, 'utf-8')), collapse(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes)));
      }),
    );
  });
});
