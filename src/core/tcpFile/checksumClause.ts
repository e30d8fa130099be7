// `SEND hex 01 03 00 0A 00 02 CHECKSUM crc16modbus`: the clause that ends a SEND line and appends a
// checksum to what it sends. Its options are the preset keys as key=value words, so one vocabulary
// serves settings and files: `CHECKSUM sum8 from=1 toEndMinus=1 order=big width=1`.
import { validateChecksum, type ResolvedChecksum } from '../../shared/checksum';

/** Where the clause starts in a SEND line's payload text: the last upper-case `CHECKSUM` word. */
export function findChecksumClause(text: string): number | undefined {
  let found: number | undefined;
  for (const m of text.matchAll(/(^|\s)CHECKSUM(?=\s|$)/g)) found = (m.index ?? 0) + m[1].length;
  return found;
}

const NUMERIC_KEYS = ['from', 'toEndMinus', 'width'];
const KEYS = [...NUMERIC_KEYS, 'order'];

/** The words after `CHECKSUM`; one sentence saying how to write it when they are wrong. */
export function parseChecksumClause(words: string): { ok: true; checksum: ResolvedChecksum } | { ok: false; error: string } {
  const [algorithm, ...options] = words.trim().split(/\s+/).filter((w) => w !== '');
  if (!algorithm) return { ok: false, error: 'CHECKSUM needs an algorithm: write CHECKSUM crc16modbus (or crc16ccittfalse, crc16xmodem, crc32, crc8, xor, lrc, sum8, sum16).' };
  const definition: Record<string, unknown> = { algorithm };
  for (const option of options) {
    const m = /^([A-Za-z]+)=(\S+)$/.exec(option);
    if (!m || !KEYS.includes(m[1])) return { ok: false, error: `Unknown CHECKSUM option '${option}': write from=N, toEndMinus=N, order=big|little or width=1|2|4.` };
    definition[m[1]] = NUMERIC_KEYS.includes(m[1]) && /^\d+$/.test(m[2]) ? Number(m[2]) : m[2];
  }
  return validateChecksum(definition, 'CHECKSUM');
}
