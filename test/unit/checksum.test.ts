// Every checksum against published check values (the CRC catalogue's "123456789" vectors and Modbus
// examples from the specification), the settings validation, and append-then-verify as a property.
import * as assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import {
  appendChecksum,
  CHECKSUM_ALGORITHMS,
  checksumBytes,
  computeAll,
  defaultChecksum,
  describeAppended,
  hexBytes,
  validateChecksum,
  verifyChecksum,
  type ResolvedChecksum,
} from '../../src/shared/checksum';
import { checksumLines, checksumSubjectOfText } from '../../src/app/checksumInput';
import { validateWebviewMessage } from '../../src/app/panel/panelMessages';

const ascii = (text: string) => new TextEncoder().encode(text);
const hex = (text: string) => Uint8Array.from(text.split(' ').map((b) => parseInt(b, 16)));

function resolved(value: unknown): ResolvedChecksum {
  const result = validateChecksum(value);
  if (!result.ok) throw new Error(result.error);
  return result.checksum;
}

describe('checksums', () => {
  it('match the catalogue check values for "123456789"', () => {
    // reveng.sourceforge.io's CRC catalogue: CHECK is the CRC of the nine ASCII digits.
    const expected: Record<string, number> = {
      crc16modbus: 0x4b37,
      crc16ccittfalse: 0x29b1,
      crc16xmodem: 0x31c3,
      crc32: 0xcbf43926,
      crc8: 0xf4,
      // The simple ones by hand: 0x31 + … + 0x39 = 0x1DD; XOR of the digits is 0x31.
      xor: 0x31,
      lrc: 0x23,
      sum8: 0xdd,
      sum16: 0x01dd,
    };
    const values = Object.fromEntries(computeAll(ascii('123456789')).map((row) => [row.algorithm, row.value]));
    assert.deepEqual(values, expected);
    assert.deepEqual(Object.keys(expected).sort(), [...CHECKSUM_ALGORITHMS].sort());
  });

  it('append the Modbus RTU CRC low byte first, as the specification examples show', () => {
    // Read holding registers 10 and 11 of slave 1, and the reply to "read coils" from the Modbus spec.
    const request = appendChecksum(hex('01 03 00 0A 00 02'), defaultChecksum('crc16modbus'));
    assert.ok(request.ok);
    assert.equal(hexBytes(request.checksum), 'E4 09');
    assert.equal(hexBytes(request.bytes), '01 03 00 0A 00 02 E4 09');
    assert.equal(hexBytes(checksumBytes(hex('11 03 00 6B 00 03'), defaultChecksum('crc16modbus'))), '76 87');
    assert.equal(describeAppended(request.checksum, defaultChecksum('crc16modbus')), '+ E4 09 (CRC-16/MODBUS)');
  });

  it('computes the Modbus ASCII LRC so that message plus LRC sums to zero', () => {
    // Modbus over serial line, section 2.5.2.1: ":F7031389000A" + LRC 60.
    assert.equal(hexBytes(checksumBytes(hex('F7 03 13 89 00 0A'), defaultChecksum('lrc'))), '60');
  });

  it('honours from, toEndMinus, order and width', () => {
    const framed = hex('02 31 32 33 03');
    // STX … ETX with the BCC over the bytes after STX up to and including ETX: 31^32^33^03 = 33.
    const bcc = appendChecksum(framed, resolved({ algorithm: 'xor', from: 1 }));
    assert.ok(bcc.ok);
    assert.equal(hexBytes(bcc.checksum), '33');
    const sumBeforeEtx = appendChecksum(framed, resolved({ algorithm: 'sum8', from: 1, toEndMinus: 1 }));
    assert.ok(sumBeforeEtx.ok);
    assert.equal(hexBytes(sumBeforeEtx.checksum), '96');
    assert.equal(hexBytes(checksumBytes(ascii('123456789'), resolved({ algorithm: 'crc32', order: 'little' }))), '26 39 F4 CB');
    assert.equal(hexBytes(checksumBytes(ascii('123456789'), resolved({ algorithm: 'sum16', width: 1 }))), 'DD');
    assert.equal(hexBytes(checksumBytes(ascii('123456789'), resolved({ algorithm: 'sum8', width: 2 }))), '00 DD');
  });

  it('reads the catalogue names and common aliases', () => {
    assert.equal(resolved({ algorithm: 'CRC-16/MODBUS' }).algorithm, 'crc16modbus');
    assert.equal(resolved({ algorithm: 'CRC-16/CCITT-FALSE' }).algorithm, 'crc16ccittfalse');
    assert.equal(resolved('BCC').algorithm, 'xor');
    assert.equal(resolved({ algorithm: 'crc-32' }).width, 4);
  });

  it('rejects bad definitions with one sentence naming the field', () => {
    const error = (value: unknown) => {
      const result = validateChecksum(value, 'tcpLab.presets[0].payloads[0].checksum');
      assert.equal(result.ok, false);
      return result.ok ? '' : result.error;
    };
    assert.match(error({ algorithm: 'crc64' }), /^tcpLab\.presets\[0\]\.payloads\[0\]\.checksum\.algorithm must be one of crc16modbus, .* \(got "crc64"\)\.$/);
    assert.match(error({ algorithm: 'crc8', from: -1 }), /checksum\.from must be a whole number of bytes from 0 to 65535 \(got -1\)\./);
    assert.match(error({ algorithm: 'crc8', toEndMinus: 1.5 }), /checksum\.toEndMinus must be a whole number/);
    assert.match(error({ algorithm: 'crc8', order: 'middle' }), /checksum\.order must be "big" or "little" \(got "middle"\)\./);
    assert.match(error({ algorithm: 'crc8', width: 3 }), /checksum\.width must be 1, 2 or 4 bytes \(got 3\)\./);
    assert.match(error(42), /must be an object with an "algorithm"/);
  });

  it('says when the range does not fit the payload', () => {
    const result = appendChecksum(hex('01 02'), resolved({ algorithm: 'crc16modbus', from: 2, toEndMinus: 1 }));
    assert.deepEqual(result, {
      ok: false,
      error: 'The CRC-16/MODBUS range (from byte 2 to the end minus 1) does not fit a payload of 2 bytes; lower from or toEndMinus.',
    });
  });

  it('names the expected and received values of a bad frame', () => {
    const result = verifyChecksum(hex('01 03 00 0A 00 02 00 00'), defaultChecksum('crc16modbus'));
    assert.equal(result.ok, false);
    assert.equal(result.ok ? '' : result.message, 'CRC-16/MODBUS expected E4 09, got 00 00');
    const short = verifyChecksum(hex('01'), defaultChecksum('crc32'));
    assert.equal(short.ok ? '' : short.message, 'CRC-32 needs 4 checksum bytes, but the frame has only 1.');
    assert.deepEqual(verifyChecksum(hex('01 03 00 0A 00 02 E4 09'), defaultChecksum('crc16modbus')), { ok: true });
  });

  it('agrees with zlib on CRC-32 for any input (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const ours = computeAll(bytes).find((row) => row.algorithm === 'crc32');
        assert.equal(ours?.value, crc32(bytes));
      }),
    );
  });

  it('verifies whatever it appended, and catches any single changed byte (property)', () => {
    const definition = fc.record({
      algorithm: fc.constantFrom(...CHECKSUM_ALGORITHMS),
      from: fc.integer({ min: 0, max: 3 }),
      toEndMinus: fc.integer({ min: 0, max: 3 }),
      order: fc.constantFrom('big' as const, 'little' as const),
    });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 7, maxLength: 300 }), definition, fc.nat(), fc.integer({ min: 1, max: 255 }), (payload, def, at, flip) => {
        const checksum = resolved(def);
        const appended = appendChecksum(payload, checksum);
        assert.ok(appended.ok);
        assert.deepEqual(verifyChecksum(appended.bytes, checksum), { ok: true });
        // CRCs, XOR and sums all detect a single corrupted byte inside the covered range.
        const covered = payload.length - checksum.from - checksum.toEndMinus;
        const index = checksum.from + (at % covered);
        const corrupted = appended.bytes.slice();
        corrupted[index] ^= flip;
        assert.equal(verifyChecksum(corrupted, checksum).ok, false);
      }),
    );
  });
});

describe('TCP: Compute Checksum input', () => {
  it('reads selected hex as bytes and anything else as UTF-8 text', () => {
    const hexSubject = checksumSubjectOfText(' 01 03 00 0A 00 02\n');
    assert.equal(hexSubject.described, '6 bytes, read as hex');
    assert.equal(checksumLines(hexSubject.bytes).find((l) => l.label === 'CRC-16/MODBUS')?.value, 'E4 09');
    const textSubject = checksumSubjectOfText('123456789');
    // Nine digits are hex too (an odd count is not): text it is.
    assert.equal(textSubject.described, '9 bytes of UTF-8 text');
    assert.equal(checksumLines(textSubject.bytes).find((l) => l.label === 'CRC-32')?.value, 'CB F4 39 26');
    assert.equal(checksumSubjectOfText('héllo').described, '6 bytes of UTF-8 text');
    assert.equal(checksumLines(new Uint8Array(0)).length, CHECKSUM_ALGORITHMS.length);
  });

  it('accepts a panel row or selected log text, and refuses anything else', () => {
    assert.deepEqual(validateWebviewMessage({ type: 'computeChecksum', data: 'AQMACgAC', source: 'record #3' }), { ok: true, message: { type: 'computeChecksum', data: 'AQMACgAC', source: 'record #3' } });
    assert.deepEqual(validateWebviewMessage({ type: 'computeChecksum', text: '01 03', source: 'text selected in the log' }).ok, true);
    assert.deepEqual(validateWebviewMessage({ type: 'computeChecksum', source: 'x' }), { ok: false, reason: 'computeChecksum: give data or a non-empty text' });
  });
});
