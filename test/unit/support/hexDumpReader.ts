// Reads a dump made by hexDump back into bytes, so tests can check the dump round-trips: only the
// middle column counts (the ASCII column may itself contain '|').
import { ByteWriter } from '../../../src/shared/byteWriter';
import { parseHex } from '../../../src/shared/parsePayload';

export function readHexDump(dump: string): Uint8Array {
  const writer = new ByteWriter(dump.length / 4);
  for (const line of dump.split('\n')) {
    if (line.trim() === '') continue;
    const first = line.indexOf('|');
    const second = first < 0 ? -1 : line.indexOf('|', first + 1);
    if (second < 0) throw new Error(`not a dump line: ${line}`);
    const parsed = parseHex(line.slice(first + 1, second));
    if (!parsed.ok) throw new Error(parsed.error.message);
    writer.append(parsed.bytes);
  }
  return writer.toBytes();
}
