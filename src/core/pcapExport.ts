// The sources of a pcapng export: connections TCP Lab still holds in memory (merged by time, one
// TCP stream each) and JSON Lines files (capture files, saved logs), read a line at a time. Both
// write through a PcapngWriter into a file as they go, so a large log costs bounded memory.
import { createReadStream, createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { splitHostPort, unbracketHost, ipVersion } from '../shared/hostPort';
import { TcpError } from './errors';
import { PcapngWriter, TcpStreamSynth, type PcapngWriterOptions, type TcpCloseKind, type TcpStreamEndpoints } from './pcapng';
import type { Direction, Endpoint } from './types';

/** One logged chunk, as the traffic log, a capture file and a saved log all hold it. */
export interface LoggedChunk {
  seq: number;
  time: number;
  dir: Direction;
  bytes: Uint8Array;
}

/** A connection to export from memory: its endpoints, its life and its retained records. */
export interface ExportConnection {
  /** The connection id, named in the packet comments. */
  id: string;
  endpoints: TcpStreamEndpoints;
  openedAt: number;
  closedAt?: number;
  /** Absent while the connection is open: the stream then simply stops. */
  close?: TcpCloseKind;
  /** Oldest first. */
  records: Iterable<LoggedChunk>;
  /** Bytes each direction carried before the first record that the log no longer holds. */
  missing: { in: number; out: number };
}

export interface ExportSummary {
  connections: number;
  records: number;
  packets: number;
  /** Size of the pcapng file. */
  fileBytes: number;
  /** Payload bytes the log had already dropped, shown as gaps. */
  missingBytes: number;
}

function countMissing(missing: { in: number; out: number }): number {
  return missing.in + missing.out;
}

function describeMissing(missing: { in: number; out: number }): string {
  const parts: string[] = [];
  if (missing.out > 0) parts.push(`${missing.out} bytes sent`);
  if (missing.in > 0) parts.push(`${missing.in} bytes received`);
  return `TCP Lab's log no longer held the ${parts.join(' and ')} before this record: the sequence numbers leave them out as a gap`;
}

interface TimedStep {
  time: number;
  run: () => void;
}

/** A connection's life as time-stamped steps: the handshake, any gap, each record, the close. */
function* connectionSteps(writer: PcapngWriter, connection: ExportConnection, endTime: () => number): Generator<TimedStep> {
  const synth = new TcpStreamSynth(writer, connection.endpoints);
  yield { time: connection.openedAt, run: () => synth.open(connection.openedAt) };
  let gapComment = countMissing(connection.missing) > 0 ? describeMissing(connection.missing) : undefined;
  synth.skip('in', connection.missing.in);
  synth.skip('out', connection.missing.out);
  for (const record of connection.records) {
    const comment = gapComment ? `${connection.id} #${record.seq}; ${gapComment}` : `${connection.id} #${record.seq}`;
    gapComment = undefined;
    yield { time: record.time, run: () => synth.data(record.time, record.dir, record.bytes, comment) };
  }
  const close = connection.close;
  if (close !== undefined) {
    const time = connection.closedAt ?? endTime();
    yield { time, run: () => synth.close(time, close) };
  } else {
    yield { time: endTime(), run: () => synth.finish(endTime()) };
  }
}

/**
 * Writes the connections as one stream each, their packets interleaved by time as they happened
 * (so a listener's clients appear in the order they talked). Records stay where they are; only
 * one step per connection is looked at a time.
 */
export async function writeConnections(writer: PcapngWriter, connections: readonly ExportConnection[]): Promise<ExportSummary> {
  let lastTime = 0;
  const endTime = (): number => lastTime;
  const cursors = connections.map((connection) => connectionSteps(writer, connection, endTime));
  const heads = cursors.map((cursor) => cursor.next());
  let records = 0;
  for (;;) {
    let pick = -1;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i];
      if (head.done) continue;
      if (pick === -1 || head.value.time < (heads[pick].value as TimedStep).time) pick = i;
    }
    if (pick === -1) break;
    const step = heads[pick].value as TimedStep;
    lastTime = Math.max(lastTime, step.time);
    step.run();
    heads[pick] = cursors[pick].next();
    records++;
    await writer.maybeFlush();
  }
  await writer.flush();
  return {
    connections: connections.length,
    // Every connection has an opening and a closing step besides its records.
    records: records - 2 * connections.length,
    packets: writer.packets,
    fileBytes: writer.bytes,
    missingBytes: connections.reduce((sum, c) => sum + countMissing(c.missing), 0),
  };
}

// ---------------------------------------------------------------------------------------------
// JSON Lines files

/** A line of a capture file or a saved log; `conn` and `peer` only in saved logs. */
export interface FileRecord extends LoggedChunk {
  conn?: string;
  peer?: string;
}

function invalidLine(file: string, line: number, why: string): TcpError {
  return new TcpError(
    'CAPTURE_INVALID',
    `Line ${line} of "${file}" is not a TCP Lab capture record (${why}); give a capture file or a log saved as JSON Lines by TCP Lab.`,
  );
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function parseLine(text: string, file: string, line: number): FileRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidLine(file, line, 'not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidLine(file, line, 'not a JSON object');
  const fields = value as Record<string, unknown>;
  if (typeof fields.time !== 'number' || !Number.isFinite(fields.time) || fields.time < 0) throw invalidLine(file, line, '"time" must be epoch milliseconds');
  if (fields.dir !== 'in' && fields.dir !== 'out') throw invalidLine(file, line, '"dir" must be "in" or "out"');
  if (typeof fields.base64 !== 'string' || fields.base64.length % 4 !== 0 || !BASE64.test(fields.base64)) throw invalidLine(file, line, '"base64" must hold the bytes as base64');
  const seq = fields.seq === undefined ? line : fields.seq;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) throw invalidLine(file, line, '"seq" must be a record number from 1');
  const record: FileRecord = { seq, time: fields.time, dir: fields.dir, bytes: Buffer.from(fields.base64, 'base64') };
  if (typeof fields.conn === 'string') record.conn = fields.conn;
  if (typeof fields.peer === 'string') record.peer = fields.peer;
  return record;
}

/** The records of a JSON Lines file, one line at a time; a bad line stops with a sentence naming it. */
export async function* readCaptureFile(file: string): AsyncGenerator<FileRecord> {
  const input = createReadStream(file);
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', (err: NodeJS.ErrnoException) =>
      reject(new TcpError('CAPTURE_UNREADABLE', `Cannot read the capture file "${file}" (${err.code ?? err.message}); check the path.`, { cause: err })),
    );
  });
  await opened;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      yield parseLine(text, file, line);
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

/** `127.0.0.1:9000` or `[::1]:9000` as an Endpoint; undefined for anything else (a host name, no port). */
export function parseEndpoint(text: string): Endpoint | undefined {
  const split = splitHostPort(text.trim());
  if (!split) return undefined;
  const address = unbracketHost(split.host);
  const version = ipVersion(address);
  const port = Number(split.portText);
  if (version === 0 || port > 65535) return undefined;
  return { address, family: version === 6 ? 'IPv6' : 'IPv4', port };
}

/** What a JSON Lines file does not say itself, from the caller (the CLI's options, the editor's registry). */
export interface FileConversionOptions {
  /** TCP Lab's end; a placeholder (documentation addresses, port 49152 up) when absent. */
  local?: Endpoint;
  /** The peer, for records without a `peer` field (capture files). */
  remote?: Endpoint;
  /** Default true: TCP Lab opened the connection. False for a listener's client. */
  localOpened?: boolean;
  /** When the connection opened; the handshake is placed there if the file begins with record #1. */
  openedAt?: number;
  closedAt?: number;
  close?: TcpCloseKind;
}

/** A stand-in for TCP Lab's own end when nobody says what it was: loopback for a loopback peer, else a documentation address. */
export function placeholderLocal(remote: Endpoint, index: number): Endpoint {
  const loopback = remote.family === 'IPv6' ? remote.address === '::1' : remote.address.startsWith('127.');
  const address = loopback ? (remote.family === 'IPv6' ? '::1' : '127.0.0.1') : remote.family === 'IPv6' ? '2001:db8::1' : '192.0.2.1';
  return { address, family: remote.family, port: 49152 + (index % 16384) };
}

interface FileStream {
  synth: TcpStreamSynth;
  lastTime: number;
}

/**
 * Converts a capture file (one connection) or a saved log (records tagged with `conn` and `peer`,
 * one stream per connection) in file order. A file whose first record is not #1 began after the
 * connection opened: its stream starts without a handshake, as a late capture would.
 */
export async function writeCaptureFile(writer: PcapngWriter, file: string, options: FileConversionOptions = {}): Promise<ExportSummary> {
  const streams = new Map<string, FileStream>();
  let records = 0;
  for await (const record of readCaptureFile(file)) {
    const key = record.conn ?? '';
    let stream = streams.get(key);
    if (!stream) {
      const remote = (record.peer !== undefined ? parseEndpoint(record.peer) : undefined) ?? options.remote;
      if (!remote) {
        throw new TcpError('CAPTURE_NO_PEER', `"${file}" does not say which peer its connection talked to; give the peer's address and port (for example 127.0.0.1:9000).`);
      }
      const endpoints = { local: options.local ?? placeholderLocal(remote, streams.size), remote, localOpened: options.localOpened ?? true };
      stream = { synth: new TcpStreamSynth(writer, endpoints), lastTime: record.time };
      streams.set(key, stream);
      if (record.seq === 1) stream.synth.open(options.openedAt !== undefined && streams.size === 1 ? Math.min(options.openedAt, record.time) : record.time);
      else stream.synth.openMidway();
    }
    const label = record.conn ?? 'capture';
    const comment = records === 0 && record.seq > 1 ? `${label} #${record.seq}; the file begins with this record, so the stream starts without its handshake` : `${label} #${record.seq}`;
    stream.synth.data(record.time, record.dir, record.bytes, comment);
    stream.lastTime = Math.max(stream.lastTime, record.time);
    records++;
    await writer.maybeFlush();
  }
  if (streams.size === 0) throw new TcpError('CAPTURE_EMPTY', `"${file}" holds no records; capture some traffic first, or pick another file.`);
  for (const stream of streams.values()) {
    if (options.close !== undefined && streams.size === 1) stream.synth.close(Math.max(options.closedAt ?? 0, stream.lastTime), options.close);
    else stream.synth.finish(stream.lastTime);
  }
  await writer.flush();
  return { connections: streams.size, records, packets: writer.packets, fileBytes: writer.bytes, missingBytes: 0 };
}

// ---------------------------------------------------------------------------------------------
// The output file

function writeFailed(file: string, err: unknown): TcpError {
  if (err instanceof TcpError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const detail = typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
  return new TcpError('PCAP_WRITE_FAILED', `Could not write the pcapng file "${file}" (${detail}); check that its folder exists, is writable and has free space.`, { cause: err });
}

/**
 * Creates `file`, lets `produce` write packets into it, and closes it. Writes wait for the disk
 * (backpressure), so a large export never queues more than one flush in memory. On failure the
 * partial file is removed and the error names the file.
 */
export async function writePcapngFile<T>(file: string, options: PcapngWriterOptions, produce: (writer: PcapngWriter) => Promise<T>): Promise<T> {
  const out = createWriteStream(file, { flags: 'w' });
  let failure: unknown;
  out.on('error', (err) => (failure ??= err));
  const sink = {
    write: (chunk: Buffer): Promise<void> | void => {
      if (failure !== undefined) throw writeFailed(file, failure);
      if (out.write(chunk)) return;
      return new Promise<void>((resolve, reject) => {
        const done = (): void => {
          out.off('drain', done);
          out.off('error', done);
          if (failure !== undefined) reject(writeFailed(file, failure));
          else resolve();
        };
        out.once('drain', done);
        out.once('error', done);
      });
    },
  };
  try {
    const result = await produce(new PcapngWriter(sink, options));
    await new Promise<void>((resolve, reject) => {
      out.end(() => (failure !== undefined ? reject(writeFailed(file, failure)) : resolve()));
      out.once('error', (err) => reject(writeFailed(file, err)));
    });
    return result;
  } catch (err) {
    await new Promise<void>((resolve) => {
      if (out.closed) resolve();
      else {
        out.once('close', () => resolve());
        out.destroy();
      }
    });
    await unlink(file).catch(() => undefined);
    throw failure !== undefined ? writeFailed(file, failure) : err;
  }
}
