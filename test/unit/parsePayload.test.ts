import * as assert from 'node:assert/strict';
import { parseBase64, parseHex, parsePayload, parseText } from '../../src/shared/parsePayload';
import type { ParseResult } from '../../src/shared/payloadTypes';

function bytesOf(result: ParseResult): number[] {
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  return Array.from(result.bytes);
}

function errorOf(result: ParseResult): { message: string; position: number } {
  assert.ok(!result.ok, 'expected the parse to fail');
  // A failed parse carries no bytes at all, only the error.
  assert.equal('bytes' in result, false);
  return result.error;
}

function assertOneSentence(message: string): void {
  assert.match(message, /^[A-Z].*\.$/);
  assert.equal(message.split(/\.\s/).length, 1, `not one sentence: ${message}`);
}

describe('parseText', () => {
  it('turns every escape into its bytes', () => {
    assert.deepEqual(bytesOf(parseText('a\\r\\n\\t\\0\\\\b', 'utf-8')), [0x61, 0x0d, 0x0a, 0x09, 0x00, 0x5c, 0x62]);
    assert.deepEqual(bytesOf(parseText('\\x00\\xfF\\x7f', 'utf-8')), [0x00, 0xff, 0x7f]);
    assert.deepEqual(bytesOf(parseText('\\u00e9\\u4E2D', 'utf-8')), [0xc3, 0xa9, 0xe4, 0xb8, 0xad]);
    assert.deepEqual(bytesOf(parseText('\\uD83D\\uDE00', 'utf-8')), [0xf0, 0x9f, 0x98, 0x80]);
  });

  it('encodes \\u escapes in the chosen encoding but keeps \\x as one raw byte', () => {
    assert.deepEqual(bytesOf(parseText('\\u00e9\\xE9', 'latin1')), [0xe9, 0xe9]);
    assert.deepEqual(bytesOf(parseText('A\\n\\x01', 'utf-16le')), [0x41, 0x00, 0x0a, 0x00, 0x01]);
    assert.deepEqual(bytesOf(parseText('\\u4E2D', 'gbk')), [0xd6, 0xd0]);
  });

  it('accepts an empty payload', () => {
    assert.deepEqual(bytesOf(parseText('', 'utf-8')), []);
  });

  it('reports an unknown escape at its backslash', () => {
    const error = errorOf(parseText('abc\\q', 'utf-8'));
    assert.equal(error.position, 3);
    assert.match(error.message, /'\\q' is not a known escape/);
    assertOneSentence(error.message);
  });

  it('names an invisible character after a backslash by its code, keeping the sentence on one line', () => {
    const error = errorOf(parseText('ab\\\n', 'utf-8'));
    assert.equal(error.position, 2);
    // Positions count from 1, as VS Code columns do.
    assert.match(error.message, /^Invalid escape at position 3: a backslash followed by U\+000A is not a known escape;/);
    assert.doesNotMatch(error.message, /\n/);
    assertOneSentence(error.message);
  });

  it('reports a lone backslash at the end', () => {
    const error = errorOf(parseText('ok\\', 'utf-8'));
    assert.equal(error.position, 2);
    assert.match(error.message, /lone backslash/);
    assertOneSentence(error.message);
  });

  it('reports short or non-hex \\x and \\u escapes', () => {
    assert.equal(errorOf(parseText('12\\x4', 'utf-8')).position, 2);
    assert.equal(errorOf(parseText('\\xG0', 'utf-8')).position, 0);
    assert.equal(errorOf(parseText('xy\\u12', 'utf-8')).position, 2);
    assert.equal(errorOf(parseText('a\\u12Z4', 'utf-8')).position, 1);
  });

  it('rejects half a surrogate pair in an escape', () => {
    assert.match(errorOf(parseText('\\uD83D', 'utf-8')).message, /first half of a surrogate pair/);
    assert.match(errorOf(parseText('a\\uDE00', 'utf-8')).message, /second half/);
    assert.equal(errorOf(parseText('ab\\uD83Dx', 'utf-16le')).position, 2);
  });

  it('names a character the encoding cannot hold and where it is, instead of sending ?', () => {
    const error = errorOf(parseText('abé', 'ascii'));
    assert.equal(error.position, 2);
    assert.match(error.message, /'é' \(U\+00E9\)/);
    assertOneSentence(error.message);
    assert.equal(errorOf(parseText('\\n\\u20AC', 'latin1')).position, 2);
    assert.equal(errorOf(parseText('ok 😀', 'shift_jis')).position, 3);
  });
});

describe('parseHex', () => {
  it('accepts the common separators and prefixes', () => {
    const expected = [0x48, 0x65, 0x6c, 0x6c, 0x6f];
    for (const input of ['48656C6C6F', '48 65 6c 6C 6f', '48,65,6C,6C,6F', '48:65:6C:6C:6F', '48-65-6C-6C-6F', '48\n65\r\n6C\t6C  6F', '0x48 0X65 0x6C, 0x6C, 0x6F', '0x48656C 6C6F', ' 48 65 6C 6C 6F \n']) {
      assert.deepEqual(bytesOf(parseHex(input)), expected, input);
    }
    assert.deepEqual(bytesOf(parseHex('')), []);
  });

  it('points at a non-hex character', () => {
    const error = errorOf(parseHex('48 6G'));
    assert.equal(error.position, 4);
    assert.equal(error.message, "Invalid hex at position 5: 'G' is not a hex digit; use 0-9 and A-F.");
  });

  it('points at the lone nibble of an odd group', () => {
    const middle = errorOf(parseHex('48 6 6C'));
    assert.equal(middle.position, 3);
    assert.match(middle.message, /'6' is a lone digit/);
    assertOneSentence(middle.message);
    assert.equal(errorOf(parseHex('48656')).position, 4);
    assert.equal(errorOf(parseHex('0x123, 45')).position, 4);
  });

  it('rejects a prefix with nothing after it and a misplaced x', () => {
    assert.equal(errorOf(parseHex('41 0x')).position, 3);
    assert.equal(errorOf(parseHex('410x42')).position, 3);
  });
});

describe('parseBase64', () => {
  it('decodes standard and URL-safe text, padded or not, across lines', () => {
    assert.deepEqual(bytesOf(parseBase64('SGVsbG8=')), [0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    assert.deepEqual(bytesOf(parseBase64('SGVsbG8')), [0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    assert.deepEqual(bytesOf(parseBase64('+/8=')), [0xfb, 0xff]);
    assert.deepEqual(bytesOf(parseBase64('-_8')), [0xfb, 0xff]);
    assert.deepEqual(bytesOf(parseBase64('SGVs\r\nbG8h\n')), Array.from(Buffer.from('Hello!')));
    assert.deepEqual(bytesOf(parseBase64('')), []);
  });

  it('points at a bad character', () => {
    const error = errorOf(parseBase64('SGV*bG8='));
    assert.equal(error.position, 3);
    assert.match(error.message, /'\*' is not a base64 character/);
    assertOneSentence(error.message);
  });

  it('rejects padding in the middle, wrong padding and a single leftover character', () => {
    assert.equal(errorOf(parseBase64('SG=Vs')).position, 2);
    assert.equal(errorOf(parseBase64('SGVsbG8==')).position, 7);
    assert.equal(errorOf(parseBase64('SGVsb')).position, 4);
  });
});

describe('parsePayload', () => {
  it('appends each line ending', () => {
    const cases: Array<[string, number[]]> = [['none', []], ['lf', [0x0a]], ['cr', [0x0d]], ['crlf', [0x0d, 0x0a]]];
    for (const [lineEnding, tail] of cases) {
      assert.deepEqual(bytesOf(parsePayload('hi', { format: 'text', encoding: 'utf-8', lineEnding: lineEnding as 'none' })), [0x68, 0x69, ...tail]);
      assert.deepEqual(bytesOf(parsePayload('0102', { format: 'hex', encoding: 'utf-8', lineEnding: lineEnding as 'none' })), [1, 2, ...tail]);
      assert.deepEqual(bytesOf(parsePayload('AQI=', { format: 'base64', encoding: 'utf-8', lineEnding: lineEnding as 'none' })), [1, 2, ...tail]);
    }
  });

  it('encodes the line ending like the text, but raw formats get plain ASCII', () => {
    assert.deepEqual(bytesOf(parsePayload('A', { format: 'text', encoding: 'utf-16le', lineEnding: 'crlf' })), [0x41, 0, 0x0d, 0, 0x0a, 0]);
    assert.deepEqual(bytesOf(parsePayload('41', { format: 'hex', encoding: 'utf-16le', lineEnding: 'lf' })), [0x41, 0x0a]);
  });

  it('yields no bytes when the parse fails, whatever the line ending', () => {
    const error = errorOf(parsePayload('4', { format: 'hex', encoding: 'utf-8', lineEnding: 'crlf' }));
    assert.equal(error.position, 0);
  });
});
