// What a capture file holds, record by record: JSON Lines (TCP Lab's own, every record with its
// number, time and marks, for scripts and `tcp-lab-test`) or pcapng (the TCP stream as packets, for
// Wireshark and tshark while the capture runs). Each format is an encoder: bytes to open the file
// with, bytes for each record, and bytes for the end; the capture writer only queues them.
import type { CapturePiece } from './captureWriter';
import { closeKindOf, PcapngWriter, TcpStreamSynth, type TcpStreamEndpoints } from './pcapng';
import type { TrafficRecord } from './trafficLog';
import type { CloseReason } from './types';

export const CAPTURE_FORMATS = ['jsonl', 'pcapng'] as const;
export type CaptureFormat = (typeof CAPTURE_FORMATS)[number];

/** How the connection ended, for a format that shows it (pcapng: FIN or RST segments). */
export interface CaptureEnding {
  reason: CloseReason;
  /** The peer's error (ECONNRESET…) came with it: a reset was the peer's, not TCP Lab's. */
  peerError: boolean;
  time: number;
}

export interface CaptureEncoder {
  /** Bytes that open the file, written when the capture starts. */
  start(): Buffer[];
  /**
   * The pieces for one counted record (what crossed this socket), valid until the next call: bytes
   * may be the record's own or the encoder's reused buffers, and the capture writer copies every
   * piece into its blocks before the log or the encoder reuses anything.
   */
  record(record: TrafficRecord): CapturePiece[];
  /** Bytes that finish the file: the connection closed (`ending`), or the capture stopped while it was open. */
  end(ending: CaptureEnding | undefined, now: number): Buffer[];
}

/** The format a file name asks for: pcapng when it ends in .pcapng, JSON Lines otherwise (each format's name is its extension). */
export function captureFormatOfPath(filePath: string): CaptureFormat {
  return /\.pcapng$/i.test(filePath) ? 'pcapng' : 'jsonl';
}

/** What closes every JSON line after its base64. */
const LINE_END = '"}\n';

function isAscii(text: string): boolean {
  return /^[\x00-\x7f]*$/.test(text);
}

/** `{"seq":1,"time":…,"dir":"in","base64":"…"}` per record, with `"continued":true` on later slices of a large send and a proxy's fault marks. */
export function jsonLinesEncoder(): CaptureEncoder {
  return {
    record(record) {
      const { bytes } = record;
      const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
      // Every field but a fault's phrase is a number, a fixed word or base64, so needs no JSON escaping.
      let marks = record.continued ? ',"continued":true' : '';
      // A proxy pair's fault marks: only on bytes a fault touched, so the plain path pays nothing.
      if (record.fault !== undefined) marks += `,"fault":${JSON.stringify(record.fault)}`;
      if (record.dropped) marks += ',"dropped":true';
      if (record.injected) marks += ',"injected":true';
      const head = `{"seq":${record.seq},"time":${record.time},"dir":"${record.dir}"${marks},"base64":"`;
      // A fault phrase may name a toxic in any script, which one-byte copies would mangle.
      if (record.fault !== undefined && !isAscii(head)) return [Buffer.from(head + base64 + LINE_END, 'utf8')];
      // The line goes to the writer as its three ASCII parts, copied once, straight into the file's
      // blocks: joined first (a template string, or a scratch buffer) it was copied twice.
      return [head, base64, LINE_END];
    },
    start: () => [],
    end: () => [],
  };
}

export interface PcapngCaptureOptions {
  endpoints: TcpStreamEndpoints;
  /** The connection's id, named in the file's comment and in each record's packet comment. */
  connectionId: string;
  /** The capture starts with the connection (a handshake is written) rather than midway through it. */
  fromStart: boolean;
  openedAt: number;
}

/**
 * The connection as one TCP stream of synthesized packets (see pcapng.ts), written as records
 * arrive, so Wireshark reads the file while the capture runs. Bytes a proxy fault kept off this
 * socket were never on the wire, so they are left out; the packet comment keeps the record number.
 */
export function pcapngEncoder(options: PcapngCaptureOptions): CaptureEncoder {
  const writer = new PcapngWriter({ write: () => undefined }, { comment: `TCP Lab capture of ${options.connectionId}` });
  const synth = new TcpStreamSynth(writer, options.endpoints);
  if (options.fromStart) synth.open(options.openedAt);
  else synth.openMidway();
  return {
    start: () => writer.takeBuffered(),
    record(record) {
      if (!record.dropped && record.bytes.byteLength > 0) synth.data(record.time, record.dir, record.bytes, `${options.connectionId} #${record.seq}`);
      return writer.takeBuffered();
    },
    end(ending, now) {
      if (ending) synth.close(ending.time, closeKindOf(ending.reason, ending.peerError));
      else synth.finish(now);
      return writer.takeBuffered();
    },
  };
}
