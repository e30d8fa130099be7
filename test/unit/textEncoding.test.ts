import * as assert from 'node:assert/strict';
import { encodeText } from '../../src/shared/encodeText';
import { multiByteTable, unpackBytes, unpackLength, type MultiByteEncodingName } from '../../src/shared/multiByteTables';
import { TEXT_ENCODINGS, type TextEncodingName } from '../../src/shared/payloadTypes';
import { decodeText, renderVisible, TextStreamDecoder } from '../../src/shared/textStreamDecoder';

function encoded(text: string, encoding: TextEncodingName): Uint8Array {
  const result = encodeText(text, encoding);
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  return result.bytes;
}

// Text each encoding can hold, with multi-byte characters where the encoding has them.
const SAMPLES: Record<TextEncodingName, string> = {
  'utf-8': 'Grüße, 中文, 日本語, 😀 and \u0085 end',
  latin1: 'Grüße ÿ \u0080 ©',
  ascii: 'plain ASCII ~ \u007f',
  'utf-16le': 'Grüße 中文 😀 𝄞',
  gbk: 'GBK 中文字符 €，测试',
  gb18030: 'GB18030 中文 € ÿ 😀 𠀀 \u0080',
  shift_jis: 'SJIS 日本語テキスト ｱｲｳ ①',
};

const MULTI_BYTE: MultiByteEncodingName[] = ['gbk', 'gb18030', 'shift_jis'];

describe('encodeText', () => {
  it('produces the known bytes for each encoding', () => {
    assert.deepEqual(Array.from(encoded('é中', 'utf-8')), [0xc3, 0xa9, 0xe4, 0xb8, 0xad]);
    assert.deepEqual(Array.from(encoded('éÿ', 'latin1')), [0xe9, 0xff]);
    assert.deepEqual(Array.from(encoded('A~', 'ascii')), [0x41, 0x7e]);
    assert.deepEqual(Array.from(encoded('A😀', 'utf-16le')), [0x41, 0x00, 0x3d, 0xd8, 0x00, 0xde]);
    assert.deepEqual(Array.from(encoded('中文', 'gbk')), [0xd6, 0xd0, 0xce, 0xc4]);
    assert.deepEqual(Array.from(encoded('中€', 'gb18030')), [0xd6, 0xd0, 0xa2, 0xe3]);
    assert.deepEqual(Array.from(encoded('😀', 'gb18030')), [0x94, 0x39, 0xfc, 0x36]);
    assert.deepEqual(Array.from(encoded('\u0080', 'gb18030')), [0x81, 0x30, 0x81, 0x30]);
    assert.deepEqual(Array.from(encoded('日本ｱ', 'shift_jis')), [0x93, 0xfa, 0x96, 0x7b, 0xb1]);
  });

  for (const encoding of TEXT_ENCODINGS) {
    it(`round-trips sample text through ${encoding}, checked by the runtime's own decoder too`, () => {
      const bytes = encoded(SAMPLES[encoding], encoding);
      assert.equal(decodeText(bytes, encoding), SAMPLES[encoding]);
      if (encoding !== 'latin1' && encoding !== 'ascii') {
        // TextDecoder maps those two labels to windows-1252, so it is only an independent check for the rest.
        assert.equal(new TextDecoder(encoding).decode(bytes), SAMPLES[encoding]);
      }
    });
  }

  for (const encoding of MULTI_BYTE) {
    it(`encodes every character of the ${encoding} table to bytes that decode back to it`, () => {
      const table = multiByteTable(encoding);
      assert.ok(table);
      const decoder = new TextDecoder(encoding);
      const codePoints = [...table.encode.keys()];
      assert.ok(codePoints.length > 7000, `only ${codePoints.length} characters`);
      const text = String.fromCodePoint(...codePoints.filter((codePoint) => codePoint !== 0x0a));
      const bytes = encoded(text, encoding);
      assert.equal(decoder.decode(bytes), text);
      assert.equal(decodeText(bytes, encoding), text);
      for (const packed of table.encode.values()) {
        assert.ok(unpackLength(packed) >= 1 && unpackLength(packed) <= 4 && unpackBytes(packed) < 2 ** 32);
      }
    });
  }

  it('covers every BMP character and the supplementary planes in gb18030', () => {
    const table = multiByteTable('gb18030');
    assert.ok(table?.fourByteSupplementary);
    const decoder = new TextDecoder('gb18030');
    const missing: number[] = [];
    for (let codePoint = 0x80; codePoint <= 0xffff; codePoint++) {
      if ((codePoint < 0xd800 || codePoint > 0xdfff) && !table.encode.has(codePoint)) {
        missing.push(codePoint);
      }
    }
    // A handful of code points may be unmappable in the runtime's gb18030 version; not whole blocks.
    assert.ok(missing.length < 100, `missing ${missing.length} BMP code points`);
    const astral = '😀𠀀\u{10FFFF}\u{10000}';
    assert.equal(decoder.decode(encoded(astral, 'gb18030')), astral);
  });

  it('covers the common CJK block in gbk and the JIS X 0208 kanji in shift_jis', () => {
    const gbk = multiByteTable('gbk');
    const sjis = multiByteTable('shift_jis');
    assert.ok(gbk && sjis);
    let gbkCjk = 0;
    for (let codePoint = 0x4e00; codePoint <= 0x9fa5; codePoint++) {
      gbkCjk += gbk.encode.has(codePoint) ? 1 : 0;
    }
    assert.equal(gbkCjk, 0x9fa5 - 0x4e00 + 1);
    for (const char of '日本語漢字亜唖娃阿哀愛ぁあアヴー・') {
      assert.ok(sjis.encode.has(char.codePointAt(0) as number), char);
    }
  });

  it('names the first character an encoding cannot hold', () => {
    const cases: Array<[string, TextEncodingName, number]> = [
      ['abcé', 'ascii', 3],
      ['€', 'latin1', 0],
      ['x😀', 'gbk', 1],
      ['ok中文한', 'shift_jis', 4],
    ];
    for (const [text, encoding, position] of cases) {
      const result = encodeText(text, encoding);
      assert.ok(!result.ok);
      assert.equal(result.error.position, position);
      assert.match(result.error.message, new RegExp(`U\\+[0-9A-F]{4,}\\) at position ${position + 1} in ${encoding}`), 'positions in messages count from 1, like VS Code columns');
    }
  });

  it('rejects a lone surrogate instead of sending U+FFFD', () => {
    for (const encoding of TEXT_ENCODINGS) {
      const result = encodeText('ab\uD800c', encoding);
      assert.ok(!result.ok, encoding);
      assert.equal(result.error.position, 2);
    }
  });
});

describe('TextStreamDecoder', () => {
  const chunkSamples: Array<[TextEncodingName, string]> = [
    ['utf-8', 'a中😀é\u0085z'],
    ['utf-16le', 'a中😀é𝄞z'],
    ['gbk', 'a中文€测z'],
    ['gb18030', 'a中€😀\u0080z'],
    ['shift_jis', 'a日本ｱ語z'],
  ];

  for (const [encoding, text] of chunkSamples) {
    it(`decodes ${encoding} split at every byte position (two and three chunks)`, () => {
      const bytes = encoded(text, encoding);
      for (let first = 0; first <= bytes.length; first++) {
        for (let second = first; second <= bytes.length; second++) {
          const decoder = new TextStreamDecoder(encoding);
          const out = decoder.write(bytes.subarray(0, first)) + decoder.write(bytes.subarray(first, second)) + decoder.write(bytes.subarray(second)) + decoder.end();
          assert.equal(out, text, `split at ${first}/${second}`);
        }
      }
      const escaping = new TextStreamDecoder(encoding, { escapes: true });
      let byteByByte = '';
      for (const byte of bytes) {
        byteByByte += escaping.write(Uint8Array.of(byte));
      }
      assert.equal(byteByByte + escaping.end(), renderVisible(bytes, encoding));
    });
  }

  it('holds an incomplete character until the next chunk, then reports it invalid at the end', () => {
    const decoder = new TextStreamDecoder('utf-8', { escapes: true });
    assert.equal(decoder.write(Uint8Array.of(0x41, 0xe4, 0xb8)), 'A');
    assert.equal(decoder.pendingBytes, 2);
    assert.equal(decoder.end(), '\\xE4\\xB8');
  });

  it('shows utf-8 control characters and invalid bytes as escapes, keeping every byte', () => {
    const bytes = Uint8Array.of(0x48, 0x0d, 0x0a, 0x09, 0x00, 0x01, 0x7f, 0x5c, 0xff, 0xc0, 0xaf, 0xe2, 0x82, 0x41, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xc2, 0x85);
    assert.equal(renderVisible(bytes, 'utf-8'), 'H\\r\\n\\t\\0\\x01\\x7F\\\\\\xFF\\xC0\\xAF\\xE2\\x82A\\xED\\xA0\\x80\\xF4\\x90\\x80\\x80\\u0085');
  });

  it('shows invalid bytes in the other encodings', () => {
    assert.equal(renderVisible(Uint8Array.of(0x41, 0x80, 0xff), 'ascii'), 'A\\x80\\xFF');
    assert.equal(renderVisible(Uint8Array.of(0x41, 0x85, 0x0a), 'latin1'), 'A\\x85\\n');
    assert.equal(renderVisible(Uint8Array.of(0x41, 0x00, 0x00, 0xd8, 0x42, 0x00, 0x01, 0x00, 0x43), 'utf-16le'), 'A\\x00\\xD8B\\u0001\\x43');
    assert.equal(renderVisible(Uint8Array.of(0xd6, 0xd0, 0x81, 0x0a, 0xd6), 'gbk'), '中\\x81\\n\\xD6');
    assert.equal(renderVisible(Uint8Array.of(0x93, 0xfa, 0xa0, 0x81), 'shift_jis'), '日\\xA0\\x81');
    assert.equal(renderVisible(Uint8Array.of(0x81, 0x30, 0x81, 0x41), 'gb18030'), '\\x810丄');
    assert.equal(renderVisible(Uint8Array.of(0x81, 0x30, 0x81), 'gb18030'), '\\x810\\x81');
  });

  it('turns invalid bytes into U+FFFD only in plain mode', () => {
    assert.equal(decodeText(Uint8Array.of(0x41, 0xff, 0x42), 'utf-8'), 'A\uFFFDB');
  });

  it('breaks lines after \\n only when asked, for display', () => {
    const decoder = new TextStreamDecoder('utf-8', { escapes: true, lineBreaks: true });
    assert.equal(decoder.end(Uint8Array.of(0x61, 0x0a, 0x62)), 'a\\n\nb');
  });
});
