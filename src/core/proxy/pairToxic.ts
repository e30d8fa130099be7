// One toxic as it acts on one pair: whether its toxicity draw said yes for this pair, its seeded
// randomness, its state (bandwidth's clock, limit_data's count, timers) and what it does to each
// unit of the stream. Semantics and units follow Toxiproxy's toxics (see docs/proxy.md); the content
// toxics (drop, replace, duplicate) and `when` triggers are TCP Lab's.
import { encodeRuleText } from '../../shared/ruleDefinition';
import { decodeHexField } from '../../shared/framing';
import type { ToxicDefinition } from '../../shared/toxics';
import type { RuleSet } from '../rules';
import { pairSeed, seededRandom } from './random';
import type { RelayEnds } from './relayStream';

/** A part of a unit on its way: its bytes, how long after the unit's arrival it goes, what touched it. */
export interface PieceDraft {
  bytes: Uint8Array;
  delay: number;
  /** Said of this piece only ("slice 3 of 7"). */
  notes: string[];
}

export interface ToxicEffect {
  pieces: PieceDraft[];
  /** What the toxic did to the unit, naming the toxic first. */
  note: string;
  /** The pieces carry their own notes; the unit's note is only for the received ('in') record. */
  perPiece?: boolean;
  /** Some of the unit's bytes do not go on. */
  dropped?: boolean;
  /** Which bytes did not go on, when not the whole unit (limit_data keeps the head). */
  droppedBytes?: Uint8Array;
  /** Something to do once the pieces are out (limit_data closes, a triggered reset_peer resets). */
  after?: { delay: number; action: () => void };
}

/** A shared definition of one toxic in a proxy, with what every pair of it shares. */
export interface ProxyToxic {
  definition: ToxicDefinition;
  /** The effective seed (the definition's, or a random one fixed for the toxic's life). */
  seed: number;
  /** The compiled `when` trigger (one rule), if the toxic has one. */
  trigger?: RuleSet;
}

export class PairToxic {
  readonly name: string;
  readonly definition: ToxicDefinition;
  /** The toxicity draw for this pair said yes. */
  readonly active: boolean;
  readonly trigger: RuleSet | undefined;
  private readonly random: () => number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** bandwidth: when the next byte may go (performance.now() ms). */
  private next = 0;
  /** limit_data: the limit was reached and the pair is closing. */
  private tripped = false;
  /** limit_data: bytes it let through since it began acting on this pair. */
  private passed = 0;
  /** timeout: bytes were dropped, so removing the toxic cannot resume a whole stream. */
  private droppedAny = false;
  private readonly replacement: Uint8Array | undefined;

  constructor(readonly shared: ProxyToxic, pairNumber: number) {
    this.definition = shared.definition;
    this.name = shared.definition.name;
    this.trigger = shared.trigger;
    this.random = seededRandom(pairSeed(shared.seed, pairNumber));
    // The first draw decides the toxicity, so the draws after it (jitter, slices) do not depend on it.
    this.active = this.random() < shared.definition.toxicity;
    const definition = shared.definition;
    if (definition.type === 'replace') {
      const { with: text, format } = definition.attributes;
      this.replacement = format === 'hex' ? (decodeHexField(text, 'with') as { ok: true; bytes: Uint8Array }).bytes : encodeRuleText(text, 'utf-8');
    }
  }

  /** True for toxics that hold bytes back in time, whose removal releases what they hold. */
  get delays(): boolean {
    const type = this.definition.type;
    return this.active && (type === 'latency' || type === 'bandwidth' || type === 'slicer');
  }

  /** The toxic acts on this unit: its draw said yes and its trigger (if any) matches the frame. */
  appliesTo(frame: Uint8Array): boolean {
    if (!this.active) return false;
    return this.trigger === undefined || this.trigger.evaluate(frame) !== undefined;
  }

  /** slow_close: how long to hold this stream's FIN back. */
  closeDelayMs(): number {
    return this.active && this.definition.type === 'slow_close' ? this.definition.attributes.delay : 0;
  }

  /** The toxic begins acting on an open pair: timers of reset_peer and timeout start now. */
  start(ends: RelayEnds): void {
    if (!this.active || this.definition.when !== undefined) return;
    const definition = this.definition;
    if (definition.type === 'reset_peer') {
      const ms = definition.attributes.timeout;
      this.timer = setTimeout(() => ends.resetPair(`${this.name} reset the pair ${ms === 0 ? 'at once' : `after ${ms} ms`}`), ms);
    } else if (definition.type === 'timeout' && definition.attributes.timeout > 0) {
      const ms = definition.attributes.timeout;
      this.timer = setTimeout(() => ends.closePair(`${this.name} closed the pair after ${ms} ms without forwarding`), ms);
    } else if (definition.type === 'timeout') {
      ends.announce(`${this.name} stops forwarding ${definition.stream} data until it is removed`);
    }
  }

  /** The toxic was removed (or changed) while the pair is open. */
  stop(ends: RelayEnds): void {
    this.dispose();
    // As Toxiproxy does: bytes a timeout swallowed leave a stream with a hole, which cannot go on.
    if (this.definition.type === 'timeout' && this.droppedAny) ends.closePair(`${this.name} was removed after dropping bytes, so the pair is closed (its stream lost data)`);
  }

  /** The pair closed: timers go. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** What the toxic does to one unit (a chunk, or a matching frame); undefined when it leaves it alone. */
  apply(pieces: PieceDraft[], now: number, ends: RelayEnds): ToxicEffect | undefined {
    const definition = this.definition;
    const name = this.name;
    const size = totalBytes(pieces);
    switch (definition.type) {
      case 'latency': {
        const { latency, jitter = 0 } = definition.attributes;
        const delay = Math.max(0, Math.round(latency + (jitter > 0 ? jitter * (2 * this.random() - 1) : 0)));
        for (const piece of pieces) piece.delay += delay;
        return { pieces, note: `${name} +${delay} ms` };
      }
      case 'bandwidth': {
        const rate = definition.attributes.rate;
        if (rate === 0) return undefined;
        // rate KB/s = rate bytes per millisecond; sent in steps of 100 ms worth so the stream trickles.
        const step = Math.max(1, rate * 100);
        const out: PieceDraft[] = [];
        for (const piece of pieces) {
          for (let offset = 0; offset < piece.bytes.byteLength; offset += step) {
            const bytes = piece.bytes.subarray(offset, Math.min(piece.bytes.byteLength, offset + step));
            const start = Math.max(now + piece.delay, this.next);
            this.next = start + bytes.byteLength / rate;
            out.push({ bytes, delay: start - now, notes: piece.notes });
          }
        }
        return { pieces: out, note: `${name} ${rate} KB/s` };
      }
      case 'slicer': {
        const { average_size: average, size_variation: variation = 0, delay: delayUs = 0 } = definition.attributes;
        const out: PieceDraft[] = [];
        for (const piece of pieces) {
          const cuts: Uint8Array[] = [];
          for (let offset = 0; offset < piece.bytes.byteLength; ) {
            const drawn = variation > 0 ? Math.round(average + variation * (2 * this.random() - 1)) : average;
            const length = Math.max(1, Math.min(drawn, piece.bytes.byteLength - offset));
            cuts.push(piece.bytes.subarray(offset, offset + length));
            offset += length;
          }
          cuts.forEach((bytes, index) => {
            out.push({ bytes, delay: piece.delay + (index * delayUs) / 1000, notes: [...piece.notes, `${name} slice ${index + 1} of ${cuts.length}`] });
          });
        }
        return { pieces: out, note: `${name} cut ${size} bytes into ${out.length} slices`, perPiece: true };
      }
      case 'limit_data': {
        if (this.tripped) return { pieces: [], note: `${name} dropped ${size} bytes after its limit`, dropped: true };
        const limit = definition.attributes.bytes;
        const left = Math.max(0, limit - this.passed);
        if (size < left) {
          this.passed += size;
          return undefined;
        }
        this.tripped = true;
        const kept = truncate(pieces, left);
        const all = concat(pieces);
        const close = { delay: 0, action: () => ends.closePair(`${name} closed the pair after ${limit} bytes`) };
        return { pieces: kept, note: `${name} let ${left} of ${size} bytes through (limit ${limit} bytes), then closes the pair`, dropped: left < size, droppedBytes: all.subarray(left), after: close };
      }
      case 'timeout':
        if (definition.when !== undefined) return undefined;
        this.droppedAny = this.droppedAny || size > 0;
        return { pieces: [], note: `${name} stopped forwarding: ${size} bytes dropped`, dropped: true };
      case 'reset_peer': {
        if (definition.when === undefined) return undefined;
        const ms = definition.attributes.timeout;
        const reset = { delay: ms, action: () => ends.resetPair(`${name} reset the pair on a matching frame${ms > 0 ? ` after ${ms} ms` : ''}`) };
        return { pieces: [], note: `${name} matched: ${size} bytes held back, the pair is reset${ms > 0 ? ` in ${ms} ms` : ''}`, dropped: true, after: reset };
      }
      case 'drop':
        return { pieces: [], note: `${name} dropped ${size} bytes`, dropped: true };
      case 'replace': {
        const bytes = this.replacement as Uint8Array;
        return { pieces: [{ bytes, delay: pieces[0]?.delay ?? 0, notes: [] }], note: `${name} replaced ${size} bytes with ${bytes.byteLength}` };
      }
      case 'duplicate': {
        const copies = (definition.attributes.times ?? 1) + 1;
        const out: PieceDraft[] = [];
        for (let copy = 1; copy <= copies; copy++) {
          for (const piece of pieces) out.push({ bytes: piece.bytes, delay: piece.delay, notes: [...piece.notes, `${name} copy ${copy} of ${copies}`] });
        }
        return { pieces: out, note: `${name} sent ${size} bytes ${copies} times`, perPiece: true };
      }
      case 'slow_close':
        return undefined;
    }
  }
}

function totalBytes(pieces: PieceDraft[]): number {
  let size = 0;
  for (const piece of pieces) size += piece.bytes.byteLength;
  return size;
}

function concat(pieces: PieceDraft[]): Uint8Array {
  return pieces.length === 1 ? pieces[0].bytes : new Uint8Array(Buffer.concat(pieces.map((piece) => piece.bytes)));
}

/** The first `limit` bytes of the pieces. */
function truncate(pieces: PieceDraft[], limit: number): PieceDraft[] {
  const out: PieceDraft[] = [];
  let left = limit;
  for (const piece of pieces) {
    if (left <= 0) break;
    const bytes = piece.bytes.byteLength <= left ? piece.bytes : piece.bytes.subarray(0, left);
    left -= bytes.byteLength;
    out.push({ ...piece, bytes });
  }
  return out;
}
