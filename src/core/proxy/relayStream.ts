// One direction of a proxy pair: takes chunks from one socket and writes them to the other, through
// the toxics that apply to this pair and stream. Without toxics it is a plain relay: one write per
// chunk, backpressure by pausing the source, no framing, no queue, no allocation beyond the log's
// record. With toxics every unit (a chunk, or a frame when a `when` trigger needs framing) is run
// through the toxics in order and becomes timed pieces in one queue, so the stream keeps its byte
// order whatever the delays; the queue is bounded (the source pauses above MAX_QUEUED_BYTES).
import type { ResolvedFraming } from '../../shared/framing';
import { Framer } from '../framer';
import type { TrafficLog } from '../trafficLog';
import type { Direction } from '../types';
import type { PairToxic } from './pairToxic';

/** Bytes a stream's queue may hold (delayed by faults) before the source stops being read. */
export const MAX_QUEUED_BYTES = 1024 * 1024;

/** What a stream needs from its pair: where bytes go, how to stop the source, how to end the pair. */
export interface RelayEnds {
  /** 'in' for the upstream stream (client → server), 'out' for the downstream one. */
  readonly dir: Direction;
  /** The pair's log (the client connection's). */
  readonly log: TrafficLog;
  /**
   * Forward bytes to the sink; false asks to wait for whenDrained(). The downstream sink logs what
   * it writes to the client (with `fault`); the upstream stream logs on receipt instead.
   */
  write(bytes: Uint8Array, fault: string | undefined, injected: boolean): boolean;
  whenDrained(callback: () => void): void;
  /** Send FIN to the sink (after everything written). */
  end(): void;
  /** Stop / restart reading the source (counted by the stream: one pause at a time). */
  pauseSource(): void;
  resumeSource(): void;
  /** A fault ends the pair: RST both sides, or close both sides (FIN). `by` is the toxic's phrase. */
  resetPair(by: string): void;
  closePair(by: string): void;
  /** A line about a fault for the hub's log (tcp-lab serve prints them). */
  announce(line: string): void;
}

type PieceKind = 'data' | 'drop' | 'end' | 'action';

/** Something the queue releases at `at` (performance.now() milliseconds). */
interface Piece {
  kind: PieceKind;
  at: number;
  bytes: Uint8Array;
  fault?: string;
  action?: () => void;
  injected?: true;
}

const NO_BYTES = new Uint8Array(0);

export class RelayStream {
  private toxics: PairToxic[] = [];
  /** No toxic applies: the fast path. */
  private plain = true;
  private framer: Framer | undefined;
  /** Framing: received bytes not yet handed on (the framer's tail, waiting for a frame's end). */
  private pending: Uint8Array[] = [];
  private received = 0;
  private consumed = 0;
  private queue: Piece[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  /** When the newest queued piece is released: nothing may overtake it. */
  private lastAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = 0;
  /** The sink asked us to wait for 'drain'. */
  private blocked = false;
  private sourcePaused = false;
  private ended = false;
  private closed = false;

  constructor(
    private readonly ends: RelayEnds,
    private readonly framing: () => ResolvedFraming | undefined,
  ) {}

  /** Bytes waiting in the queue (delayed by faults) or in the framer. */
  get buffered(): number {
    return this.queuedBytes + (this.received - this.consumed);
  }

  /** The toxics of this stream that apply to this pair, in chain order (live changes land here). */
  setToxics(toxics: PairToxic[]): void {
    const before = this.toxics;
    this.toxics = toxics;
    this.plain = toxics.length === 0;
    for (const toxic of before) if (!toxics.includes(toxic)) toxic.stop(this.ends);
    // Removing a timeout that dropped bytes closes the pair: then no new toxic may start its timers.
    if (this.closed) return;
    for (const toxic of toxics) if (!before.includes(toxic)) toxic.start(this.ends);
    const needsFraming = toxics.some((toxic) => toxic.trigger !== undefined);
    if (needsFraming && !this.framer) {
      this.framer = new Framer(this.framing() ?? { mode: 'none', maxFrameBytes: 1024 * 1024 });
      this.pending = [];
      this.received = 0;
      this.consumed = 0;
    } else if (!needsFraming && this.framer) {
      // No trigger left: the bytes of a half-received frame go on as they are.
      const rest = this.take(this.received - this.consumed);
      this.framer = undefined;
      if (rest.byteLength > 0) this.unit(rest, rest);
    }
    // Removing the delaying toxics releases what they were holding, in order.
    if (!toxics.some((toxic) => toxic.delays)) {
      for (let i = this.queueHead; i < this.queue.length; i++) this.queue[i].at = 0;
      this.lastAt = 0;
    }
    this.pump();
  }

  /** A chunk from the source. */
  receive(chunk: Uint8Array): void {
    if (this.closed) return;
    if (this.plain && this.framer === undefined && this.queueHead === this.queue.length && !this.blocked) {
      if (this.ends.dir === 'in') this.ends.log.append('in', chunk);
      if (!this.ends.write(chunk, undefined, false)) this.waitForDrain();
      return;
    }
    if (this.framer === undefined) {
      this.unit(chunk, chunk);
    } else {
      this.cut(chunk);
    }
    this.pump();
  }

  /**
   * Bytes TCP Lab adds to this stream (the panel's injection): after what is already queued, past
   * the toxics. The upstream stream notes them in the log (they were not received from the client).
   */
  inject(bytes: Uint8Array): void {
    if (this.closed || this.ended) return;
    if (this.ends.dir === 'in') this.ends.log.appendNote('in', 'injected toward the upstream', { bytes, injected: true });
    this.enqueue({ kind: 'data', at: performance.now(), bytes, injected: true });
    this.pump();
  }

  /** The source sent FIN: what is held goes on, then FIN (slow_close may hold it back). */
  end(): void {
    if (this.ended || this.closed) return;
    this.ended = true;
    if (this.framer) {
      const rest = this.take(this.received - this.consumed);
      this.framer = undefined;
      if (rest.byteLength > 0) this.unit(rest, rest);
    }
    let at = this.lastAt;
    for (const toxic of this.toxics) {
      const delay = toxic.closeDelayMs();
      if (delay > 0) {
        at = Math.max(at, performance.now()) + delay;
        this.ends.log.appendNote(this.ends.dir, `${toxic.name} holds the FIN back ${delay} ms`, { fault: `${toxic.name} +${delay} ms` });
      }
    }
    this.enqueue({ kind: 'end', at, bytes: NO_BYTES });
    this.pump();
  }

  /** The pair closed: stop timers, forget what is queued. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const toxic of this.toxics) toxic.dispose();
    this.queue = [];
    this.queueHead = 0;
    this.queuedBytes = 0;
    this.pending = [];
  }

  /** Framing: hands on every complete frame, and the bytes between frames as they are. */
  private cut(chunk: Uint8Array): void {
    const framer = this.framer as Framer;
    this.pending.push(chunk);
    this.received += chunk.byteLength;
    for (const event of framer.push(chunk)) {
      if (event.type !== 'frame') continue;
      const gap = event.offset - this.consumed;
      if (gap > 0) {
        const between = this.take(gap);
        this.unit(between, between);
      }
      this.take(event.wire.byteLength);
      this.unit(event.wire, event.bytes);
    }
    // What the framer does not hold (skipped over-long frames, bytes outside markers) goes on too.
    const ready = this.received - framer.buffered - this.consumed;
    if (ready > 0) {
      const rest = this.take(ready);
      this.unit(rest, rest);
    }
  }

  /** Removes `count` bytes from the front of `pending`. */
  private take(count: number): Uint8Array {
    if (count <= 0) return NO_BYTES;
    this.consumed += count;
    const first = this.pending[0];
    if (first.byteLength === count) {
      this.pending.shift();
      return first;
    }
    if (first.byteLength > count) {
      this.pending[0] = first.subarray(count);
      return first.subarray(0, count);
    }
    const out = new Uint8Array(count);
    let filled = 0;
    while (filled < count) {
      const part = this.pending[0];
      const used = Math.min(part.byteLength, count - filled);
      out.set(part.subarray(0, used), filled);
      filled += used;
      if (used === part.byteLength) this.pending.shift();
      else this.pending[0] = part.subarray(used);
    }
    return out;
  }

  /**
   * Runs one unit through the toxics in order. `bytes` are what is forwarded, `frame` what a trigger
   * matches (the frame's content per the framing; the chunk itself without framing).
   */
  private unit(bytes: Uint8Array, frame: Uint8Array): void {
    const now = performance.now();
    let pieces: { bytes: Uint8Array; delay: number; notes: string[] }[] = [{ bytes, delay: 0, notes: [] }];
    const notes: string[] = [];
    /** For pieces written to the client: the notes not already told per piece (slice 3 of 7, copy 2 of 3). */
    const outNotes: string[] = [];
    let dropped = false;
    let droppedBytes: Uint8Array | undefined;
    let after: { at: number; action: () => void } | undefined;
    for (const toxic of this.toxics) {
      if (!toxic.appliesTo(frame)) continue;
      const effect = toxic.apply(pieces, now, this.ends);
      if (!effect) continue;
      notes.push(effect.note);
      if (!effect.perPiece) outNotes.push(effect.note);
      pieces = effect.pieces;
      if (effect.dropped) {
        dropped = true;
        droppedBytes = effect.droppedBytes ?? droppedBytes ?? bytes;
      }
      if (effect.after) after = { at: now + effect.after.delay, action: effect.after.action };
      if (pieces.length === 0) break;
    }
    const faultText = notes.length > 0 ? notes.join('; ') : undefined;
    if (this.ends.dir === 'in') {
      // The upstream stream logs each unit as it was received, with what the faults did to it.
      if (faultText === undefined) this.ends.log.append('in', bytes);
      else this.ends.log.appendFaulted('in', bytes, faultText, dropped);
    }
    for (const piece of pieces) {
      const at = now + piece.delay;
      const fault = this.ends.dir === 'out' && (outNotes.length > 0 || piece.notes.length > 0) ? [...outNotes, ...piece.notes].join('; ') : undefined;
      this.enqueue({ kind: 'data', at, bytes: piece.bytes, fault });
    }
    if (dropped && this.ends.dir === 'out') {
      this.enqueue({ kind: 'drop', at: now, bytes: droppedBytes ?? bytes, fault: faultText });
    }
    if (after) this.enqueue({ kind: 'action', at: after.at, bytes: NO_BYTES, action: after.action });
  }

  private enqueue(piece: Piece): void {
    // Nothing overtakes what is already queued: TCP is one ordered stream.
    if (piece.at < this.lastAt) piece.at = this.lastAt;
    this.lastAt = piece.at;
    this.queue.push(piece);
    this.queuedBytes += piece.bytes.byteLength;
    this.syncHold();
  }

  /** Releases every piece that is due, until the sink asks to wait. */
  private pump(): void {
    if (this.blocked || this.closed) return;
    const now = performance.now();
    while (this.queueHead < this.queue.length) {
      const piece = this.queue[this.queueHead];
      // Timers fire up to a millisecond early or late; within that, a piece is due.
      if (piece.at > now + 0.5) {
        this.schedule(piece.at, now);
        break;
      }
      this.queue[this.queueHead] = undefined as unknown as Piece;
      this.queueHead++;
      this.queuedBytes -= piece.bytes.byteLength;
      if (piece.kind === 'data') {
        if (!this.ends.write(piece.bytes, piece.fault, piece.injected === true)) {
          this.waitForDrain();
          break;
        }
      } else if (piece.kind === 'drop') {
        this.ends.log.appendNote('out', 'not written to the client', { bytes: piece.bytes, fault: piece.fault, dropped: true });
      } else if (piece.kind === 'end') {
        this.ends.end();
      } else {
        piece.action?.();
        if (this.closed) return;
      }
    }
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    }
    this.syncHold();
  }

  private schedule(at: number, now: number): void {
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(0, Math.ceil(at - now)));
  }

  private waitForDrain(): void {
    this.blocked = true;
    this.syncHold();
    this.ends.whenDrained(() => {
      this.blocked = false;
      this.pump();
      this.syncHold();
    });
  }

  /** The source is paused while the sink is full or the queue is over its bound. */
  private syncHold(): void {
    const hold = !this.closed && (this.blocked || this.queuedBytes > MAX_QUEUED_BYTES);
    if (hold === this.sourcePaused) return;
    this.sourcePaused = hold;
    if (hold) this.ends.pauseSource();
    else this.ends.resumeSource();
  }
}

