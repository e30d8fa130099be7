import * as assert from 'node:assert/strict';
import { hexDumpLines } from '../../src/shared/hexFormat';
import { displayWidth, wrapDumpLine, wrapLine, wrappedDumpLineCount } from '../../src/webview/lineWrap';

describe('log line wrapping', () => {
  it('cuts text by display width: wide characters take two columns, nothing is lost', () => {
    assert.deepEqual(wrapLine('你好你好abc', 5), ['你好', '你好a', 'bc']);
    assert.equal(displayWidth('a你'), 3);
    assert.deepEqual(wrapLine('abc', 3), ['abc']);
    assert.deepEqual(wrapLine('', 3), ['']);
  });

  it('breaks a dump line before its ASCII column, then between whole bytes, under the column it continues', () => {
    const [line] = hexDumpLines(new Uint8Array(16).map((_, i) => 0x41 + i));
    assert.deepEqual(wrapDumpLine(line, 80), [line]);
    assert.deepEqual(wrapDumpLine(line, 40), [
      '00000000 | 41 42 43 44 45 46 47 48 49 4A',
      '           4B 4C 4D 4E 4F 50',
      '         | ABCDEFGHIJKLMNOP',
    ]);
    for (const piece of wrapDumpLine(line, 20)) assert.ok(piece.length <= 20, piece);
  });

  it('counts the lines of a wrapped dump exactly as it wraps them, for every width and length', () => {
    for (let columns = 16; columns <= 90; columns++) {
      for (let bytes = 1; bytes <= 16; bytes++) {
        const [line] = hexDumpLines(new Uint8Array(bytes).fill(0x2e));
        for (const suffix of [0, 2]) {
          const text = suffix ? `${line} …` : line;
          assert.equal(wrappedDumpLineCount(bytes, suffix, columns), wrapDumpLine(text, columns).length, `${bytes} bytes at ${columns} columns, suffix ${suffix}`);
        }
      }
    }
  });
});
