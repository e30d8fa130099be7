// Traffic as a pcapng file that Wireshark and tshark open: the pcapng blocks themselves (section
// header, one interface, enhanced packets) and a TCP synthesizer that turns each logged chunk into
// segments with IPv4/IPv6 and TCP headers, a handshake, the close, and consistent sequence and
// acknowledgement numbers. Written from scratch on the published format, with no libpcap.
//
// Link type: LINKTYPE_RAW (101, each packet starts with its IP header). TCP Lab never sees a link
// layer, so Ethernet would mean inventing MAC addresses; raw IP carries IPv4 and IPv6 on one
// interface, and Wireshark decodes it natively.
import { isIPv4, isIPv6 } from '../shared/hostPort';
import { TcpError } from './errors';
import type { CloseReason, Direction, Endpoint } from './types';

export const LINKTYPE_RAW = 101;

/**
 * The most payload one synthesized segment carries: an IPv4 packet's 16-bit total length less 20
 * bytes of IPv4 header and 20 of TCP header. Larger records are split; IPv6 uses the same bound.
 */
export const MAX_SEGMENT_BYTES = 65_535 - 20 - 20;

/** The advertised receive window (no window scaling): above MAX_SEGMENT_BYTES, so one unacknowledged segment always fits. */
const WINDOW = 65_535;
/** Buffered pcapng bytes before the writer hands them to its sink. */
const FLUSH_BYTES = 256 * 1024;
/**
 * Packet headers are laid out one after another in a buffer of this size, reused once the blocks
 * that point into it are taken or flushed: a live capture writes four packets per 64 KiB read (two
 * segments, each after an ACK), and a buffer of its own for each of their five headers was most of
 * what a pcapng capture cost beyond its checksum.
 */
const HEADER_ARENA_BYTES = 64 * 1024;
const NO_PAYLOAD = new Uint8Array(0);

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_PSH = 0x08;
const TCP_ACK = 0x10;

/** Where the pcapng bytes go; a returned promise is awaited before more is written (backpressure). */
export interface PcapngSink {
  write(chunk: Buffer): Promise<void> | void;
}

function pad4(length: number): number {
  return (length + 3) & ~3;
}

/** pcapng options (code, length, value padded to 4) followed by opt_endofopt. */
function encodeOptions(options: readonly { code: number; value: Buffer }[]): Buffer {
  if (options.length === 0) return Buffer.alloc(0);
  const size = options.reduce((sum, o) => sum + 4 + pad4(o.value.length), 4);
  const out = Buffer.alloc(size);
  let at = 0;
  for (const option of options) {
    out.writeUInt16LE(option.code, at);
    out.writeUInt16LE(option.value.length, at + 2);
    option.value.copy(out, at + 4);
    at += 4 + pad4(option.value.length);
  }
  // The last four bytes stay zero: opt_endofopt.
  return out;
}

function textOption(code: number, text: string): { code: number; value: Buffer } {
  return { code, value: Buffer.from(text, 'utf8') };
}

/** A whole block: type, total length, body, options, total length again. */
function block(type: number, body: Buffer, options: Buffer): Buffer {
  const total = 12 + body.length + options.length;
  const out = Buffer.alloc(total);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(total, 4);
  body.copy(out, 8);
  options.copy(out, 8 + body.length);
  out.writeUInt32LE(total, total - 4);
  return out;
}

export interface PcapngWriterOptions {
  /** Shown by Wireshark under Capture File Properties (shb_comment). */
  comment?: string;
  /** The writing application (shb_userappl). */
  application?: string;
}

/**
 * Writes little-endian pcapng: one section, one LINKTYPE_RAW interface with microsecond
 * timestamps, then enhanced packet blocks. Blocks are buffered and handed to the sink in chunks
 * of about FLUSH_BYTES, so memory stays bounded however many packets pass through.
 */
export class PcapngWriter {
  private chunks: Buffer[] = [];
  private pendingBytes = 0;
  private packetCount = 0;
  private totalBytes = 0;
  private arena = Buffer.allocUnsafeSlow(0);
  private arenaAt = 0;
  /** The blocks pointing into the arena were copied (taken by a caller that copies, or joined by flush). */
  private arenaFree = false;

  constructor(
    private readonly sink: PcapngSink,
    options: PcapngWriterOptions = {},
  ) {
    const shb = Buffer.alloc(16);
    shb.writeUInt32LE(0x1a2b3c4d, 0); // byte-order magic
    shb.writeUInt16LE(1, 4); // major version
    shb.writeUInt16LE(0, 6); // minor version
    shb.writeBigInt64LE(-1n, 8); // section length not given: the file is written as it goes
    const shbOptions = [textOption(4, options.application ?? 'TCP Lab')];
    if (options.comment) shbOptions.unshift(textOption(1, options.comment));
    this.push(block(0x0a0d0d0a, shb, encodeOptions(shbOptions)));
    const idb = Buffer.alloc(8);
    idb.writeUInt16LE(LINKTYPE_RAW, 0);
    idb.writeUInt32LE(0, 4); // snap length 0: packets are never truncated
    this.push(block(0x00000001, idb, encodeOptions([textOption(2, 'tcp-lab'), textOption(3, 'TCP traffic as TCP Lab logged it, with synthesized IP and TCP headers')])));
  }

  /** Enhanced packets written so far. */
  get packets(): number {
    return this.packetCount;
  }

  /** pcapng bytes produced so far (flushed or not). */
  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * One enhanced packet block. `parts` are concatenated into the packet (headers, then a view of
   * the payload, so payload bytes are copied once, into the block). `inbound` sets epb_flags'
   * direction: received by TCP Lab, or sent by it.
   */
  packet(timeMs: number, parts: readonly Uint8Array[], inbound: boolean, comment?: string): void {
    const length = parts.reduce((sum, p) => sum + p.byteLength, 0);
    // Options: opt_comment (code 1) if any, epb_flags (code 2: inbound 1, outbound 2), opt_endofopt.
    const commentBytes = comment ? Buffer.byteLength(comment, 'utf8') : 0;
    const optionsLength = (comment ? 4 + pad4(commentBytes) : 0) + 8 + 4;
    const padding = pad4(length) - length;
    const total = 12 + 20 + length + padding + optionsLength;
    // Headers go to the reused room (headerRoom): a live capture writes thousands of packets a
    // second, and a buffer each would be memory only a full GC gives back.
    const head = this.headerRoom(28);
    head.writeUInt32LE(0x00000006, 0);
    head.writeUInt32LE(total, 4);
    head.writeUInt32LE(0, 8); // interface 0
    // Microseconds since the epoch, as two 32-bit halves (exact: below 2^53 for millennia).
    const micros = Math.max(0, Math.round(timeMs * 1000));
    head.writeUInt32LE(Math.floor(micros / 0x1_0000_0000), 12);
    head.writeUInt32LE(micros % 0x1_0000_0000, 16);
    head.writeUInt32LE(length, 20);
    head.writeUInt32LE(length, 24);
    const tail = this.headerRoom(padding + optionsLength + 4);
    let at = padding;
    if (comment) {
      tail.writeUInt16LE(1, at);
      tail.writeUInt16LE(commentBytes, at + 2);
      tail.write(comment, at + 4, 'utf8');
      at += 4 + pad4(commentBytes);
    }
    tail.writeUInt16LE(2, at);
    tail.writeUInt16LE(4, at + 2);
    tail.writeUInt32LE(inbound ? 1 : 2, at + 4);
    // The last four bytes before the block length stay zero: opt_endofopt.
    tail.writeUInt32LE(total, tail.length - 4);
    // The block goes out in pieces, the payload as the caller's own bytes, never joined here: a live
    // capture copies each piece once, into its writer's blocks, and an export's sink joins them.
    this.push(head);
    for (const part of parts) this.push(part instanceof Buffer ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength));
    this.push(tail);
    this.packetCount++;
  }

  /**
   * Zeroed room for `size` bytes of packet header, valid until the blocks are taken (and copied by
   * the taker before the next packet) or flushed (joined into one buffer).
   */
  headerRoom(size: number): Buffer {
    if (this.arenaFree) {
      this.arenaAt = 0;
      this.arenaFree = false;
    }
    // A full arena stays with the blocks that still point into it; the next headers go to a new one.
    if (this.arenaAt + size > this.arena.length) {
      this.arena = Buffer.allocUnsafeSlow(Math.max(HEADER_ARENA_BYTES, size));
      this.arenaAt = 0;
    }
    const room = this.arena.subarray(this.arenaAt, this.arenaAt + size).fill(0);
    this.arenaAt += size;
    return room;
  }

  /**
   * Takes the blocks buffered so far, for a caller that writes them itself (a live capture): they
   * must be copied before the next packet is made, as their headers' room is then reused.
   */
  takeBuffered(): Buffer[] {
    const chunks = this.chunks;
    this.chunks = [];
    this.pendingBytes = 0;
    this.arenaFree = true;
    return chunks;
  }

  /** Hands buffered blocks to the sink once enough have gathered. */
  async maybeFlush(): Promise<void> {
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  /** Hands every buffered block to the sink. */
  async flush(): Promise<void> {
    if (this.chunks.length === 0) return;
    const joined = this.chunks.length > 1;
    const chunk = joined ? Buffer.concat(this.chunks, this.pendingBytes) : this.chunks[0];
    this.chunks = [];
    this.pendingBytes = 0;
    // A lone block goes to the sink as it is, which may keep it: its arena is not reused then.
    if (joined) this.arenaFree = true;
    await this.sink.write(chunk);
  }

  private push(buffer: Buffer): void {
    this.chunks.push(buffer);
    this.pendingBytes += buffer.length;
    this.totalBytes += buffer.length;
  }
}

// ---------------------------------------------------------------------------------------------
// Addresses and checksums

/** The 4 or 16 bytes of an IP literal (an IPv6 zone index is dropped); undefined for anything else. */
export function ipBytes(address: string): Uint8Array | undefined {
  if (isIPv4(address)) return Uint8Array.from(address.split('.').map(Number));
  if (!isIPv6(address)) return undefined;
  const percent = address.indexOf('%');
  const text = percent === -1 ? address : address.slice(0, percent);
  const words = (half: string): number[] => {
    if (half === '') return [];
    const out: number[] = [];
    for (const group of half.split(':')) {
      if (group.includes('.')) {
        const [a, b, c, d] = group.split('.').map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else out.push(parseInt(group, 16));
    }
    return out;
  };
  const [head, tail] = text.split('::');
  const front = words(head);
  const back = tail === undefined ? [] : words(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  const out = new Uint8Array(16);
  all.forEach((word, i) => {
    out[i * 2] = word >> 8;
    out[i * 2 + 1] = word & 0xff;
  });
  return out;
}

/** Adds the carries of a non-negative sum back in until it fits 16 bits (ones' complement). */
function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

function swapBytes16(value: number): number {
  return ((value & 0xff) << 8) | (value >>> 8);
}

const isLittleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** 32-bit words summed before a fold: each of the four lanes' totals stays below 2^53, exact as a double. */
const WORDS_PER_FOLD = 1 << 20;

/**
 * The 16-bit ones' complement sum of `bytes`, added to `sum` (folded, not inverted). A live pcapng
 * capture sums every payload byte it writes, so the middle is read as native 32-bit words: the sum
 * does not depend on word size or byte order (RFC 1071, 2(A) and 2(B)), as 2^16 is 1 modulo 0xffff,
 * so a word adds as its two halves, and little-endian halves give the byte-swapped sum.
 */
function onesSum(bytes: Uint8Array, sum = 0): number {
  const length = bytes.byteLength;
  // A Uint32Array starts on a 4-byte boundary of the buffer: the bytes before it go one by one.
  const lead = Math.min(length, (4 - (bytes.byteOffset & 3)) & 3);
  const words = (length - lead) >>> 2;
  let edges = 0;
  // Big-endian words: a byte at an even offset is the high half.
  for (let i = 0; i < lead; i++) edges += (i & 1) === 0 ? bytes[i] << 8 : bytes[i];
  for (let i = lead + words * 4; i < length; i++) edges += (i & 1) === 0 ? bytes[i] << 8 : bytes[i];
  let middle = 0;
  if (words > 0) {
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset + lead, words);
    for (let from = 0; from < words; from += WORDS_PER_FOLD) {
      // Whole words added as doubles in four independent lanes: no masking, and the adds overlap
      // (measured: 14 ms per 128 MiB against 40 ms for two int32 sums of the halves). A word is
      // congruent to its two halves modulo 0xffff, which is all a fold keeps.
      let lane0 = 0;
      let lane1 = 0;
      let lane2 = 0;
      let lane3 = 0;
      const to = Math.min(words, from + WORDS_PER_FOLD);
      const unrolledTo = from + ((to - from) & ~3);
      let w = from;
      for (; w < unrolledTo; w += 4) {
        lane0 += view[w];
        lane1 += view[w + 1];
        lane2 += view[w + 2];
        lane3 += view[w + 3];
      }
      for (; w < to; w++) lane0 += view[w];
      middle = fold(middle + lane0 + lane1 + lane2 + lane3);
    }
    // Little-endian halves sum to the swapped value; from an odd offset each byte's half flips once more.
    if (isLittleEndian !== ((lead & 1) === 1)) middle = swapBytes16(middle);
  }
  return fold(sum + edges + middle);
}

/** The Internet checksum (RFC 1071) over the concatenation of `parts`; every part but the last must have even length. */
export function internetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  for (const part of parts) sum = onesSum(part, sum);
  return ~sum & 0xffff;
}

const IPV4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function isMappedIPv4(bytes: Uint8Array): boolean {
  return bytes.length === 16 && IPV4_MAPPED_PREFIX.every((b, i) => bytes[i] === b);
}

function toMappedIPv6(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out.set(IPV4_MAPPED_PREFIX);
  out.set(bytes, 12);
  return out;
}

/**
 * The two addresses as one family. A dual-stack listener reports IPv4 peers as `::ffff:a.b.c.d`:
 * when both ends are such, the packets are IPv4, as they were on the wire. Mixed families (only
 * possible with a placeholder end) become IPv6 with the IPv4 end mapped.
 */
function sameFamily(a: Uint8Array, b: Uint8Array): [Uint8Array, Uint8Array] {
  if (a.length === 16 && b.length === 16 && isMappedIPv4(a) && isMappedIPv4(b)) return [a.slice(12), b.slice(12)];
  if (a.length === b.length) return [a, b];
  return [a.length === 4 ? toMappedIPv6(a) : a, b.length === 4 ? toMappedIPv6(b) : b];
}

// ---------------------------------------------------------------------------------------------
// TCP synthesis

/** How a synthesized stream ends: FIN first from one side (the other answers with its own), or a RST. */
export type TcpCloseKind = 'finLocal' | 'finRemote' | 'rstLocal' | 'rstRemote';

/**
 * The close a reason stands for. A reset with an error is the peer's RST (ECONNRESET, EPIPE);
 * one without is TCP Lab's own reset(). An error or a timeout ends the socket on TCP Lab's side.
 */
export function closeKindOf(reason: CloseReason, peerError: boolean): TcpCloseKind {
  switch (reason) {
    case 'local':
      return 'finLocal';
    case 'peerEnded':
      return 'finRemote';
    case 'reset':
      return peerError ? 'rstRemote' : 'rstLocal';
    case 'error':
    case 'timeout':
      return 'rstLocal';
  }
}

export interface TcpStreamEndpoints {
  /** TCP Lab's end. */
  local: Endpoint;
  /** The peer. */
  remote: Endpoint;
  /** True when TCP Lab opened the connection (it sends the SYN), false when the peer connected to a listener. */
  localOpened: boolean;
}

interface Side {
  address: Uint8Array;
  port: number;
  /** The next sequence number this side sends. */
  next: number;
  /** This side sent data the other has not acknowledged yet. */
  unacked: boolean;
  /** Whether packets from this side are inbound for TCP Lab. */
  inbound: boolean;
}

function endpointBytes(endpoint: Endpoint, role: string): Uint8Array {
  const bytes = ipBytes(endpoint.address);
  if (!bytes) throw new TcpError('PCAP_ADDRESS', `The ${role} address "${endpoint.address}" is not an IP address; give a numeric IPv4 or IPv6 address such as 127.0.0.1 or ::1.`);
  return bytes;
}

/**
 * One TCP connection as packets. Each side's sequence numbers advance by exactly the bytes it
 * sends (plus one for SYN and FIN), every segment acknowledges all the other side has sent, and a
 * pure ACK is synthesized before a side sends again while its previous data is unacknowledged, so
 * the bytes in flight never exceed the advertised window and Wireshark's TCP analysis stays quiet.
 */
export class TcpStreamSynth {
  private readonly local: Side;
  private readonly remote: Side;
  private readonly ipv6: boolean;
  private lastTime = 0;
  private opened = false;
  private closed = false;
  private identification = 0;
  /** The checksum's pseudo-header (IPv4's 12 bytes or IPv6's 40), rewritten for every segment. */
  private readonly pseudo = Buffer.alloc(40);

  constructor(
    private readonly writer: PcapngWriter,
    private readonly endpoints: TcpStreamEndpoints,
    /** Initial sequence numbers, local then remote; fixed defaults keep exports reproducible. */
    isn: { local: number; remote: number } = { local: 0x1000_0000, remote: 0x5000_0000 },
  ) {
    const [localAddress, remoteAddress] = sameFamily(endpointBytes(endpoints.local, 'local'), endpointBytes(endpoints.remote, 'remote'));
    this.ipv6 = localAddress.length === 16;
    this.local = { address: localAddress, port: endpoints.local.port, next: isn.local >>> 0, unacked: false, inbound: false };
    this.remote = { address: remoteAddress, port: endpoints.remote.port, next: isn.remote >>> 0, unacked: false, inbound: true };
  }

  /** The three-way handshake, the client's SYN first. */
  open(timeMs: number): void {
    if (this.opened) return;
    this.opened = true;
    const client = this.endpoints.localOpened ? this.local : this.remote;
    const server = client === this.local ? this.remote : this.local;
    const time = this.clock(timeMs);
    this.segment(time, client, server, TCP_SYN, undefined, 0, 0, false);
    client.next = (client.next + 1) >>> 0;
    this.segment(time, server, client, TCP_SYN | TCP_ACK, undefined, 0, 0);
    server.next = (server.next + 1) >>> 0;
    this.segment(time, client, server, TCP_ACK, undefined, 0, 0);
  }

  /**
   * Starts the stream without a handshake, as a capture begun mid-connection does: Wireshark then
   * takes the first sequence numbers it sees as the start.
   */
  openMidway(): void {
    this.opened = true;
  }

  /** Bytes one direction carried that the export no longer has: sequence numbers skip them, so Wireshark shows the gap. */
  skip(dir: Direction, bytes: number): void {
    if (bytes <= 0) return;
    const side = dir === 'out' ? this.local : this.remote;
    side.next = (side.next + bytes) >>> 0;
  }

  /** One logged chunk: as many segments as it needs, PSH on the last; `comment` goes on the first. */
  data(timeMs: number, dir: Direction, bytes: Uint8Array, comment?: string): void {
    if (!this.opened) this.open(timeMs);
    if (this.closed || bytes.byteLength === 0) return;
    const time = this.clock(timeMs);
    const from = dir === 'out' ? this.local : this.remote;
    const to = from === this.local ? this.remote : this.local;
    for (let offset = 0; offset < bytes.byteLength; offset += MAX_SEGMENT_BYTES) {
      if (from.unacked) this.segment(time, to, from, TCP_ACK, undefined, 0, 0);
      const end = Math.min(bytes.byteLength, offset + MAX_SEGMENT_BYTES);
      const last = end === bytes.byteLength;
      this.segment(time, from, to, last ? TCP_ACK | TCP_PSH : TCP_ACK, bytes, offset, end, true, offset === 0 ? comment : undefined);
      from.next = (from.next + (end - offset)) >>> 0;
      from.unacked = true;
    }
  }

  /** The end of the connection, as its close reason says. Nothing is sent after it. */
  close(timeMs: number, kind: TcpCloseKind): void {
    if (!this.opened) this.open(timeMs);
    if (this.closed) return;
    this.closed = true;
    const time = this.clock(timeMs);
    const closer = kind === 'finLocal' || kind === 'rstLocal' ? this.local : this.remote;
    const other = closer === this.local ? this.remote : this.local;
    if (kind === 'rstLocal' || kind === 'rstRemote') {
      this.segment(time, closer, other, TCP_RST | TCP_ACK, undefined, 0, 0);
      return;
    }
    this.segment(time, closer, other, TCP_FIN | TCP_ACK, undefined, 0, 0);
    closer.next = (closer.next + 1) >>> 0;
    this.segment(time, other, closer, TCP_FIN | TCP_ACK, undefined, 0, 0);
    other.next = (other.next + 1) >>> 0;
    this.segment(time, closer, other, TCP_ACK, undefined, 0, 0);
  }

  /** A stream left open: acknowledge what is still unacknowledged, so the last segment is not flagged. */
  finish(timeMs: number): void {
    if (!this.opened || this.closed) return;
    const time = this.clock(timeMs);
    if (this.local.unacked) this.segment(time, this.remote, this.local, TCP_ACK, undefined, 0, 0);
    if (this.remote.unacked) this.segment(time, this.local, this.remote, TCP_ACK, undefined, 0, 0);
  }

  /** Timestamps never go backwards inside one stream. */
  private clock(timeMs: number): number {
    this.lastTime = Math.max(this.lastTime, timeMs);
    return this.lastTime;
  }

  private segment(time: number, from: Side, to: Side, flags: number, payload: Uint8Array | undefined, start: number, end: number, withAck = true, comment?: string): void {
    const ack = withAck && (flags & TCP_ACK) !== 0;
    if (ack) to.unacked = false;
    const length = end - start;
    const tcp = this.writer.headerRoom(20);
    tcp.writeUInt16BE(from.port, 0);
    tcp.writeUInt16BE(to.port, 2);
    tcp.writeUInt32BE(from.next, 4);
    tcp.writeUInt32BE(ack ? to.next : 0, 8);
    tcp[12] = 5 << 4; // data offset: 5 words, no options
    tcp[13] = flags;
    tcp.writeUInt16BE(WINDOW, 14);
    const body = payload ? payload.subarray(start, end) : NO_PAYLOAD;
    const tcpLength = 20 + length;
    let ip: Buffer;
    let pseudo: Buffer;
    if (this.ipv6) {
      ip = this.writer.headerRoom(40);
      ip.writeUInt32BE(0x6000_0000, 0); // version 6, no traffic class or flow label
      ip.writeUInt16BE(tcpLength, 4);
      ip[6] = 6; // next header: TCP
      ip[7] = 64; // hop limit
      ip.set(from.address, 8);
      ip.set(to.address, 24);
      // Summed at once and never written: one buffer serves every segment.
      pseudo = this.pseudo.subarray(0, 40).fill(0);
      pseudo.set(from.address, 0);
      pseudo.set(to.address, 16);
      pseudo.writeUInt32BE(tcpLength, 32);
      pseudo[39] = 6;
    } else {
      ip = this.writer.headerRoom(20);
      ip[0] = 0x45; // version 4, 5-word header
      ip.writeUInt16BE(20 + tcpLength, 2);
      ip.writeUInt16BE(this.identification, 4);
      this.identification = (this.identification + 1) & 0xffff;
      ip.writeUInt16BE(0x4000, 6); // don't fragment
      ip[8] = 64; // time to live
      ip[9] = 6; // protocol: TCP
      ip.set(from.address, 12);
      ip.set(to.address, 16);
      ip.writeUInt16BE(internetChecksum(ip), 10);
      pseudo = this.pseudo.subarray(0, 12).fill(0);
      pseudo.set(from.address, 0);
      pseudo.set(to.address, 4);
      pseudo[9] = 6;
      pseudo.writeUInt16BE(tcpLength, 10);
    }
    // Computed, not left zero: tshark with checksum validation on would flag every packet otherwise.
    tcp.writeUInt16BE(internetChecksum(pseudo, tcp, body), 16);
    this.writer.packet(time, [ip, tcp, body], from.inbound, comment);
  }
}
