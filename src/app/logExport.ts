// Turns a panel's retained traffic into the two save formats. Plain functions over plain data,
// so the format is tested without VS Code and the host only adds the save dialog.
import type { TextEncodingName } from '../shared/payloadTypes';
import { renderVisible } from '../shared/textStreamDecoder';

export interface ExportRecord {
  seq: number;
  time: number;
  dir: 'in' | 'out';
  /** Connection id; matters in listener panels where several peers share one log. */
  conn: string;
  /** "address:port" of the peer, when known. */
  peer?: string;
  bytes: Uint8Array;
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** One JSON object per line, the same shape as the engine's capture files plus the peer. */
export function toJsonLines(records: readonly ExportRecord[]): string {
  return records
    .map((r) => JSON.stringify({ seq: r.seq, time: r.time, iso: new Date(r.time).toISOString(), dir: r.dir, conn: r.conn, peer: r.peer, length: r.bytes.length, base64: base64(r.bytes) }) + '\n')
    .join('');
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Peer text a spreadsheet would run as a formula (=, +, -, @) is shown after an apostrophe instead. */
function inertText(text: string): string {
  return /^[=+\-@]/.test(text) ? `'${text}` : text;
}

/**
 * A header row, then one row per record: the bytes as hex (lossless) and as text in the panel's
 * encoding with escapes visible (`\r\n`, `\xFF`), the way the panel shows them.
 */
export function toCsv(records: readonly ExportRecord[], encoding: TextEncodingName = 'utf-8'): string {
  const rows = ['seq,time,iso,dir,conn,peer,length,hex,text'];
  for (const r of records) {
    rows.push(
      [String(r.seq), String(r.time), new Date(r.time).toISOString(), r.dir, r.conn, r.peer ?? '', String(r.bytes.length), hex(r.bytes), inertText(renderVisible(r.bytes, encoding))]
        .map(csvField)
        .join(','),
    );
  }
  return rows.join('\r\n') + '\r\n';
}

/** The file name a saved log is offered under: the target and when, so saves never overwrite each other. */
export function logFileName(targetId: string, format: 'jsonl' | 'csv' | 'pcapng', now = new Date()): string {
  return `tcp-lab-${targetId}-${now.toISOString().replace(/[:.]/g, '-')}.${format}`;
}
