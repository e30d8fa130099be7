// Streaming framer: turns the chunks TCP happens to deliver into the frames the peer meant to send.
// TCP preserves bytes, not message boundaries, so every mode keeps a small queue and only cuts a frame
// once its end is certain. An over-long or malformed frame produces an error event and the framer
// resynchronises on its own, so one bad frame never blocks the ones after it.
import { verifyChecksum } from '../shared/checksum';
import { validateFraming, type ResolvedFraming } from '../shared/framing';

export type FramingErrorCode = 'FRAME_TOO_LONG' | 'MALFORMED_FRAME' | 'INCOMPLETE_FRAME';

export interface FrameEvent {
  type: 'frame';
  /** The frame's bytes, with delimiter/header/markers kept or stripped as the definition says. */
  bytes: Uint8Array;
  /** The frame exactly as it was on the wire, delimiter/header/markers included (what an echo sends back). */
  wire: Uint8Array;
  /** Offset in the stream (bytes since the connection opened) where the frame's first wire byte sits. */
  offset: number;
  /** With a checksum in the framing: why this frame failed it ("CRC-16/MODBUS expected E4 09, got 00 00"). */
  checksumError?: string;
}

export interface FramingErrorEvent {
  type: 'error';
  code: FramingErrorCode;
  /** One sentence for the panel: what was wrong and what the framer did about it. */
  message: string;
  /** Stream offset where the offending bytes begin. */
  offset: number;
  /** The bytes of a frame the stream ended inside, so a viewer can still show them. */
  bytes?: Uint8Array;
}

export type FramerEvent = FrameEvent | FramingErrorEvent;

/**
 * Length-prefixed frames up to this size (header included) that a chunk leaves unfinished are filled
 * in place: once the header gives the size, one buffer of exactly that size is allocated and every
 * later byte is copied straight into it, so the frame is copied once (not into the queue, again as
 * the queue grows, and again out of it) and is handed out as it is. Larger frames grow in the queue
 * as their bytes arrive, so a header alone never reserves more than this.
 */
const FILL_IN_PLACE_MAX_BYTES = 4 * 1024 * 1024;
const NO_BYTES = new Uint8Array(0);

/**
 * A FIFO of bytes with cheap appends at the back and cheap removals at the front. Unread bytes are
 * compacted to the front only when room runs out, so a frame arriving in many small chunks costs
 * linear, not quadratic, copying.
 */
class ByteQueue {
  private buffer = Buffer.alloc(4096);
  /** buffer[0, tail), rebuilt once per append: searching it avoids a new view per search. */
  private view = this.buffer.subarray(0, 0);
  private head = 0;
  private tail = 0;
  /** Stream offset of the byte at the head of the queue. */
  offset = 0;

  get length(): number {
    return this.tail - this.head;
  }

  append(chunk: Uint8Array): void {
    if (this.tail + chunk.length > this.buffer.length) {
      const needed = this.length + chunk.length;
      if (needed <= this.buffer.length / 2) {
        this.buffer.copy(this.buffer, 0, this.head, this.tail);
      } else {
        let size = this.buffer.length;
        while (size < needed * 2) size *= 2;
        const grown = Buffer.alloc(size);
        this.buffer.copy(grown, 0, this.head, this.tail);
        this.buffer = grown;
      }
      this.tail -= this.head;
      this.head = 0;
    }
    this.buffer.set(chunk, this.tail);
    this.tail += chunk.length;
    this.view = this.buffer.subarray(0, this.tail);
  }

  /** Index (relative to the head) of `needle` at or after `from`, or -1. */
  indexOf(needle: Uint8Array, from: number): number {
    if (from > this.length - needle.length) return -1;
    const found = this.view.indexOf(needle, this.head + from);
    return found < 0 ? -1 : found - this.head;
  }

  byteAt(index: number): number {
    return this.buffer[this.head + index];
  }

  /** Copies every queued byte into `target` (from its start) and empties the queue. */
  moveTo(target: Uint8Array): void {
    target.set(this.buffer.subarray(this.head, this.tail));
    this.drop(this.length);
  }

  /** Copies out the first `count` bytes (the caller keeps them after the queue moves on). */
  take(count: number): Uint8Array {
    const out = new Uint8Array(count);
    this.buffer.copy(out, 0, this.head, this.head + count);
    this.drop(count);
    return out;
  }

  drop(count: number): void {
    this.head += count;
    this.offset += count;
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
      // A burst can grow the buffer a lot; give the memory back once it is idle again.
      if (this.buffer.length > 65536) this.buffer = Buffer.alloc(4096);
      this.view = this.buffer.subarray(0, 0);
    }
  }
}

/** Cuts a byte stream into frames according to one framing definition. Not thread-safe, not reusable across streams. */
export class Framer {
  readonly framing: ResolvedFraming;
  private readonly queue = new ByteQueue();
  private streamOffset = 0;
  /** Queue index before which a delimiter/marker search already failed, so searches resume, not restart. */
  private scanFrom = 0;
  /** delimiter and markers modes: discarding the rest of an over-long frame. */
  private skipping = false;
  /** lengthPrefix mode: body bytes of an over-long frame still to discard. */
  private skipRemaining = 0;
  /** markers mode: inside a frame (the queue starts at its start marker). */
  private inFrame = false;
  /** lengthPrefix mode: the frame being filled in place (see FILL_IN_PLACE_MAX_BYTES); the queue is empty meanwhile. */
  private filling: { wire: Uint8Array; filled: number; offset: number } | undefined;
  /** lengthPrefix mode: a frame's buffer its reader handed back (see `recycle`), for the next frame of that size. */
  private spare: Uint8Array | undefined;
  /** markers mode: bytes seen outside any start/end pair, reported together. */
  private strayBytes = 0;
  private strayOffset = 0;

  /** Takes a definition already checked by `validateFraming`; use `Framer.fromDefinition` for raw settings JSON. */
  constructor(framing: ResolvedFraming) {
    this.framing = framing;
  }

  /** Validates a raw definition (settings JSON, panel form) and builds a framer, or returns the one-sentence problem. */
  static fromDefinition(definition: unknown, path = 'framing'): { ok: true; framer: Framer } | { ok: false; error: string } {
    const checked = validateFraming(definition, path);
    return checked.ok ? { ok: true, framer: new Framer(checked.framing) } : checked;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get buffered(): number {
    return this.queue.length + (this.filling?.filled ?? 0);
  }

  /**
   * The caller will not read this frame's bytes again (nor anything holding them): a later
   * length-prefixed frame of exactly its wire size may be filled into the same memory. A reader
   * that compares each frame and lets it go, frame after frame, then reuses two buffers instead of
   * allocating (and faulting in, and collecting) one per frame.
   */
  recycle(wire: Uint8Array): void {
    if (this.framing.mode !== 'lengthPrefix' || wire.byteOffset !== 0 || wire.byteLength !== wire.buffer.byteLength || wire === this.filling?.wire) return;
    this.spare = wire;
  }

  /** Feeds the next chunk of the stream; returns every frame and error it completes, in stream order. */
  push(chunk: Uint8Array): FramerEvent[] {
    const events = this.cut(chunk);
    const checksum = this.framing.checksum;
    if (checksum) {
      for (const event of events) {
        if (event.type !== 'frame') continue;
        const verdict = verifyChecksum(event.bytes, checksum);
        if (!verdict.ok) event.checksumError = verdict.message;
      }
    }
    return events;
  }

  private cut(chunk: Uint8Array): FramerEvent[] {
    const events: FramerEvent[] = [];
    if (chunk.length === 0) return events;
    if (this.framing.mode === 'none') {
      const copy = new Uint8Array(chunk);
      events.push({ type: 'frame', bytes: copy, wire: copy, offset: this.streamOffset });
      this.streamOffset += chunk.length;
      return events;
    }
    this.streamOffset += chunk.length;
    if (this.framing.mode === 'lengthPrefix') {
      this.pushLengthPrefixed(this.framing, chunk, events);
      return events;
    }
    this.queue.append(chunk);
    switch (this.framing.mode) {
      case 'delimiter':
        this.cutDelimited(this.framing, events);
        break;
      case 'fixed':
        while (this.queue.length >= this.framing.size) {
          const offset = this.queue.offset;
          const wire = this.queue.take(this.framing.size);
          events.push({ type: 'frame', bytes: wire, wire, offset });
        }
        break;
      case 'markers':
        this.cutMarked(this.framing, events);
        break;
    }
    return events;
  }

  /**
   * The stream ended (peer FIN or close): reports a partial frame still buffered, if any, and resets.
   * A trailing partial frame is an error rather than a frame because its end was never seen.
   */
  end(): FramerEvent[] {
    const events: FramerEvent[] = [];
    const filling = this.filling;
    const pending = this.queue.length + (filling?.filled ?? 0);
    if (this.skipping || this.skipRemaining > 0) {
      // The over-long frame was already reported when it was detected.
    } else if (this.framing.mode === 'markers' && !this.inFrame) {
      const stray = this.strayBytes + pending;
      if (stray > 0) events.push(strayError(this.strayBytes > 0 ? this.strayOffset : this.queue.offset, stray));
    } else if (pending > 0) {
      events.push({
        type: 'error',
        code: 'INCOMPLETE_FRAME',
        message: `The stream ended inside a frame: ${pending} byte${pending === 1 ? '' : 's'} arrived without the rest of the frame.`,
        offset: filling ? filling.offset : this.queue.offset,
        bytes: filling ? filling.wire.slice(0, filling.filled) : this.queue.take(pending),
      });
    }
    if (filling) this.queue.offset = filling.offset + filling.filled;
    this.filling = undefined;
    this.queue.drop(this.queue.length);
    this.scanFrom = 0;
    this.skipping = false;
    this.skipRemaining = 0;
    this.inFrame = false;
    this.strayBytes = 0;
    return events;
  }

  private cutDelimited(framing: Extract<ResolvedFraming, { mode: 'delimiter' }>, events: FramerEvent[]): void {
    const { delimiter, maxFrameBytes, keepDelimiter } = framing;
    const q = this.queue;
    // The last (delimiter length - 1) bytes may be the beginning of a delimiter split across chunks.
    const carry = delimiter.length - 1;
    for (;;) {
      const found = q.indexOf(delimiter, this.scanFrom);
      if (this.skipping) {
        if (found < 0) {
          q.drop(Math.max(0, q.length - carry));
          this.scanFrom = 0;
          return;
        }
        q.drop(found + delimiter.length);
        this.skipping = false;
        this.scanFrom = 0;
        continue;
      }
      if (found >= 0) {
        const offset = q.offset;
        this.scanFrom = 0;
        if (found > maxFrameBytes) {
          events.push(tooLong(offset, found, maxFrameBytes, 'it was dropped', true));
          q.drop(found + delimiter.length);
          continue;
        }
        const wire = q.take(found + delimiter.length);
        events.push({ type: 'frame', bytes: keepDelimiter ? wire : wire.subarray(0, found), wire, offset });
        continue;
      }
      const certainContent = q.length - carry;
      if (certainContent > maxFrameBytes) {
        events.push(tooLong(q.offset, certainContent, maxFrameBytes, 'the rest of it up to the next delimiter is skipped'));
        q.drop(certainContent);
        this.skipping = true;
        this.scanFrom = 0;
        return;
      }
      this.scanFrom = Math.max(0, certainContent);
      return;
    }
  }

  /** Feeds a chunk to the frame being filled in place, and whatever follows that frame to the queue. */
  private pushLengthPrefixed(framing: Extract<ResolvedFraming, { mode: 'lengthPrefix' }>, chunk: Uint8Array, events: FramerEvent[]): void {
    let rest = chunk;
    while (rest.length > 0) {
      const fill = this.filling;
      if (!fill && this.skipRemaining > 0 && this.queue.length === 0) {
        // The body of an over-long frame: counted off as it arrives, never stored.
        const count = Math.min(rest.length, this.skipRemaining);
        this.skipRemaining -= count;
        this.queue.offset += count;
        rest = rest.subarray(count);
        continue;
      }
      if (!fill) {
        // Until the queue holds a whole header it gets only the bytes that complete it: once the
        // header gives the frame's size, a frame filled in place takes its body straight from here.
        const missing = framing.lengthBytes - this.queue.length;
        const part = missing > 0 ? rest.subarray(0, missing) : rest;
        this.queue.append(part);
        rest = part === rest ? NO_BYTES : rest.subarray(part.length);
        this.cutLengthPrefixed(framing, events);
        continue;
      }
      const count = Math.min(rest.length, fill.wire.length - fill.filled);
      fill.wire.set(rest.subarray(0, count), fill.filled);
      fill.filled += count;
      rest = rest.subarray(count);
      if (fill.filled < fill.wire.length) return;
      this.filling = undefined;
      this.queue.offset = fill.offset + fill.wire.length;
      events.push({ type: 'frame', bytes: framing.keepHeader ? fill.wire : fill.wire.subarray(framing.lengthBytes), wire: fill.wire, offset: fill.offset });
    }
  }

  private cutLengthPrefixed(framing: Extract<ResolvedFraming, { mode: 'lengthPrefix' }>, events: FramerEvent[]): void {
    const q = this.queue;
    const header = framing.lengthBytes;
    for (;;) {
      if (this.skipRemaining > 0) {
        const n = Math.min(this.skipRemaining, q.length);
        q.drop(n);
        this.skipRemaining -= n;
        if (this.skipRemaining > 0) return;
      }
      if (q.length < header) return;
      const fieldValue = this.readLengthField(framing);
      const bodyLength = fieldValue + BigInt(framing.adjustment) - BigInt(framing.lengthIncludesHeader ? header : 0);
      const offset = q.offset;
      if (bodyLength < 0n || bodyLength > BigInt(Number.MAX_SAFE_INTEGER)) {
        // No honest stream has this length, so skipping "the body" would be a guess; drop only the
        // header and read the next bytes as a new header, like Netty's corrupted-frame handling.
        events.push(
          malformed(offset, `The length field at stream offset ${offset} reads ${fieldValue}, which gives an impossible body length of ${bodyLength} bytes; its ${header}-byte header was dropped.`),
        );
        q.drop(header);
        continue;
      }
      const body = Number(bodyLength);
      if (body > framing.maxFrameBytes) {
        // The length is plausible, so skipping exactly that many bytes keeps the following frames aligned.
        events.push(tooLong(offset, body, framing.maxFrameBytes, 'its body is skipped', true));
        q.drop(header);
        this.skipRemaining = body;
        continue;
      }
      if (q.length < header + body) {
        // The queue holds exactly the start of this frame (nothing after it), so it moves whole.
        if (header + body <= FILL_IN_PLACE_MAX_BYTES) {
          const spare = this.spare;
          const wire = spare?.length === header + body ? spare : new Uint8Array(header + body);
          if (wire === spare) this.spare = undefined;
          const filled = q.length;
          q.moveTo(wire);
          this.filling = { wire, filled, offset };
        }
        return;
      }
      const wire = q.take(header + body);
      events.push({ type: 'frame', bytes: framing.keepHeader ? wire : wire.subarray(header), wire, offset });
    }
  }

  private readLengthField(framing: Extract<ResolvedFraming, { mode: 'lengthPrefix' }>): bigint {
    let value = 0n;
    for (let i = 0; i < framing.lengthBytes; i++) {
      const index = framing.endian === 'big' ? i : framing.lengthBytes - 1 - i;
      value = (value << 8n) | BigInt(this.queue.byteAt(index));
    }
    return value;
  }

  /**
   * Markers mode. The rule that keeps frames independent of how TCP chunks the stream, even when
   * the markers overlap (start `01 02 03`, end `02`): a frame ends at the first end marker after its
   * whole start marker, unless a whole start marker lies before that end marker begins (then the end
   * was lost and the new start begins the next frame). Where a start marker and an end marker
   * overlap, the end marker wins. Every decision waits until bytes still to come cannot change it:
   * with no end marker in view, one may still begin at `q.length - end.length + 1`.
   */
  private cutMarked(framing: Extract<ResolvedFraming, { mode: 'markers' }>, events: FramerEvent[]): void {
    const q = this.queue;
    const { start, end, maxFrameBytes, keepMarkers } = framing;
    // Bytes at the tail that may still begin a marker, or hold a whole start marker whose fate an
    // incomplete end marker may still decide.
    const carry = start.length + end.length - 2;
    /** Where the first end marker begins, or where one may still begin. */
    const endLimit = (endAt: number): number => (endAt >= 0 ? endAt : q.length - end.length + 1);
    /** The first start marker at or after `from` that wholly precedes the end marker (or -1). */
    const startBefore = (from: number, endAt: number): number => {
      const at = q.indexOf(start, from);
      return at >= 0 && at + start.length <= endLimit(endAt) ? at : -1;
    };
    for (;;) {
      if (this.skipping) {
        // Discard until the over-long frame's end marker, or a new start marker if the end was lost.
        const endAt = q.indexOf(end, this.scanFrom);
        const startAt = startBefore(this.scanFrom, endAt);
        if (startAt >= 0) {
          q.drop(startAt);
          this.skipping = false;
          this.beginMarkedFrame(start);
          continue;
        }
        if (endAt >= 0) {
          q.drop(endAt + end.length);
          this.skipping = false;
          this.scanFrom = 0;
          continue;
        }
        q.drop(Math.max(0, q.length - carry));
        this.scanFrom = 0;
        return;
      }

      if (!this.inFrame) {
        const startAt = q.indexOf(start, 0);
        if (startAt < 0) {
          this.noteStray(Math.max(0, q.length - (start.length - 1)));
          return;
        }
        this.noteStray(startAt);
        if (this.strayBytes > 0) {
          events.push(strayError(this.strayOffset, this.strayBytes));
          this.strayBytes = 0;
        }
        this.beginMarkedFrame(start);
        continue;
      }

      const endAt = q.indexOf(end, this.scanFrom);
      const restartAt = startBefore(Math.max(this.scanFrom, start.length), endAt);
      if (restartAt >= 0) {
        // A start marker before any end marker means the end was lost: report the broken frame and
        // treat the new start marker as the beginning of the next frame.
        events.push(malformed(q.offset, `The frame at stream offset ${q.offset} has no end marker before the next start marker; it was dropped.`));
        q.drop(restartAt);
        this.beginMarkedFrame(start);
        continue;
      }
      if (endAt >= 0) {
        const offset = q.offset;
        const contentLength = endAt - start.length;
        if (contentLength > maxFrameBytes) {
          events.push(tooLong(offset, contentLength, maxFrameBytes, 'it was dropped', true));
          q.drop(endAt + end.length);
        } else {
          const wire = q.take(endAt + end.length);
          events.push({ type: 'frame', bytes: keepMarkers ? wire : wire.subarray(start.length, endAt), wire, offset });
        }
        this.inFrame = false;
        this.scanFrom = 0;
        continue;
      }
      const certainContent = q.length - start.length - carry;
      if (certainContent > maxFrameBytes) {
        events.push(tooLong(q.offset, certainContent, maxFrameBytes, 'the rest of it up to its end marker is skipped'));
        q.drop(start.length + certainContent);
        this.inFrame = false;
        this.skipping = true;
        this.scanFrom = 0;
        return;
      }
      this.scanFrom = Math.max(start.length, q.length - carry);
      return;
    }
  }

  private beginMarkedFrame(start: Uint8Array): void {
    this.inFrame = true;
    this.scanFrom = start.length;
  }

  /** Drops `count` bytes from the head of the queue as stray (outside any frame), remembering where they began. */
  private noteStray(count: number): void {
    if (count <= 0) return;
    if (this.strayBytes === 0) this.strayOffset = this.queue.offset;
    this.strayBytes += count;
    this.queue.drop(count);
  }
}

function tooLong(offset: number, length: number, max: number, action: string, exact = false): FramingErrorEvent {
  return {
    type: 'error',
    code: 'FRAME_TOO_LONG',
    message: `The frame at stream offset ${offset} is ${exact ? '' : 'at least '}${length} bytes, over the ${max}-byte maximum frame size; ${action}.`,
    offset,
  };
}

function strayError(offset: number, count: number): FramingErrorEvent {
  const what = count === 1 ? '1 byte outside any start/end marker pair was' : `${count} bytes outside any start/end marker pair were`;
  return malformed(offset, `${what} discarded.`);
}

function malformed(offset: number, message: string): FramingErrorEvent {
  return { type: 'error', code: 'MALFORMED_FRAME', message, offset };
}
