// What one panel's webview is sent of its feed, and when. While the view follows the tail, at most
// ~30 updates a second carry the rows that arrived since the last one, or only the newest that fit
// the view and a byte budget when more came; the rest stays on the host until the webview asks.
// Only the rows that cross are base64-encoded, and only their previews.
import type { Connection } from '../../core/connection';
import { Emitter, type Disposable, type Event } from '../../core/events';
import type { Listener } from '../../core/listener';
import type { Registry } from '../../core/registry';
import type { ResolvedFraming } from '../../shared/framing';
import { PROTOCOL_LIMITS, type FeedInfo, type WireRecord } from '../../shared/protocol';
import { FlushScheduler } from './flushScheduler';
import { TrafficFeed, type FeedLimits, type FeedRow } from './trafficFeed';

/** Rows a following view is assumed to show until it says how many. */
const DEFAULT_VIEW_ROWS = 200;
/** Updates while rows arrive no faster than a view shows them: about 30 a second. */
const UPDATE_INTERVAL_MS = 34;
/**
 * Updates while more rows arrive than the view can show: the screen is then a blur anyway, and
 * every update costs the host its rows' base64 and the webview a repaint of every row in view, CPU
 * the sockets need (on two cores the wire slows down). The renderer's share of a flood grows with
 * this pace (0.35-0.4 s of its CPU per second of flood at four a second); two a second still reads
 * as live, and socat into a capturing listener with its panel open ran 0.47x socat into socat at
 * four a second against 0.54x at two (one session, minutes apart; docs/benchmarks.md). The pace
 * holds from the moment a flood shows: the rows after a quiet-pace update wait a flood interval too.
 */
const FLOOD_UPDATE_INTERVAL_MS = 500;

export interface FeedUpdate {
  records: WireRecord[];
  previous: number;
  feed: FeedInfo;
}

function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function toWire(row: FeedRow, all: Uint8Array, maxBytes: number): WireRecord {
  const bytes = all.byteLength > maxBytes ? all.subarray(0, maxBytes) : all;
  return {
    seq: row.id,
    rec: row.rec,
    length: row.length,
    time: row.time,
    dir: row.dir,
    conn: row.connection.id,
    data: base64Of(bytes),
    ...(row.kind ? { kind: row.kind } : {}),
    ...(row.note ? { note: row.note } : {}),
    ...(row.invalid ? { invalid: true } : {}),
    ...(row.fault !== undefined ? { fault: row.fault } : {}),
    ...(row.injected ? { injected: true } : {}),
  };
}

export class FeedChannel implements Disposable {
  readonly feed: TrafficFeed;
  private readonly flushes: FlushScheduler;
  private following = true;
  private viewRows = DEFAULT_VIEW_ROWS;
  /** The last row id the webview was sent while following. */
  private sentUpTo = 0;
  /** When rows last crossed to the webview (Date.now()). */
  private rowsSentAt = -Infinity;
  private active = true;
  private readonly updateEmitter = new Emitter<FeedUpdate>();
  /** A batched update for the webview (rows when following, counts always). */
  readonly onDidUpdate: Event<FeedUpdate> = this.updateEmitter.event;

  constructor(registry: Registry, target: Listener | Connection, framing: ResolvedFraming, limits?: FeedLimits) {
    this.feed = new TrafficFeed(registry, target, framing, limits);
    this.flushes = new FlushScheduler(() => this.flush(), UPDATE_INTERVAL_MS);
    this.feed.onDidAppend(() => this.flushes.touch());
    this.feed.onDidChangePeers(() => this.flushes.touch());
  }

  get info(): FeedInfo {
    const feed = this.feed;
    return { firstId: feed.firstId, lastId: feed.lastId, size: feed.size, dropped: feed.dropped, pendingFrameBytes: feed.pendingFrameBytes, badChecksums: feed.badChecksums };
  }

  /** Asks for an update soon (state or counters changed). */
  touch(): void {
    this.flushes.touch();
  }

  /** A hidden webview is torn down and starts over with a snapshot; nothing is sent meanwhile. */
  setActive(active: boolean): void {
    this.active = active;
  }

  /** The rows a snapshot starts with: the newest that fit the view. */
  snapshotRows(): WireRecord[] {
    this.feed.prune();
    const rows = this.feed.tail(this.viewRows, PROTOCOL_LIMITS.maxBatchBytes, PROTOCOL_LIMITS.previewBytes);
    this.sentUpTo = this.feed.lastId;
    this.rowsSentAt = Date.now();
    this.following = true;
    return rows.map((row) => this.wire(row, PROTOCOL_LIMITS.previewBytes));
  }

  follow(following: boolean, lastId: number, rows: number): void {
    this.following = following;
    this.viewRows = Math.max(1, Math.min(PROTOCOL_LIMITS.maxBatchRows, Math.floor(rows) || DEFAULT_VIEW_ROWS));
    if (following) this.sentUpTo = lastId;
    this.flushes.touch();
  }

  rows(request: { before?: number; after?: number; max: number }): WireRecord[] {
    const max = Math.max(1, Math.min(PROTOCOL_LIMITS.maxBatchRows, Math.floor(request.max)));
    const { maxBatchBytes, previewBytes } = PROTOCOL_LIMITS;
    const rows = request.before !== undefined
      ? this.feed.before(request.before, max, maxBatchBytes, previewBytes)
      : this.feed.after(request.after ?? 0, max, maxBatchBytes, previewBytes);
    return rows.map((row) => this.wire(row, previewBytes));
  }

  record(id: number): WireRecord | undefined {
    const row = this.feed.row(id);
    return row && this.wire(row, PROTOCOL_LIMITS.maxRecordBytes);
  }

  private wire(row: FeedRow, maxBytes: number): WireRecord {
    return toWire(row, this.feed.bytesOf(row), maxBytes);
  }

  dispose(): void {
    this.flushes.dispose();
    this.feed.dispose();
    this.updateEmitter.dispose();
  }

  private flush(): void {
    this.feed.prune();
    if (!this.active) return;
    let records: WireRecord[] = [];
    let previous = 0;
    if (this.following && this.feed.lastId > this.sentUpTo) {
      const { maxBatchBytes, previewBytes } = PROTOCOL_LIMITS;
      const fresh = this.feed.after(this.sentUpTo, this.viewRows + 1, maxBatchBytes, previewBytes);
      const complete = fresh.length > 0 && fresh.length <= this.viewRows && fresh[fresh.length - 1].id === this.feed.lastId;
      if (!complete && Date.now() - this.rowsSentAt < FLOOD_UPDATE_INTERVAL_MS - UPDATE_INTERVAL_MS) {
        // A flood began just after rows crossed at the quiet pace: its next rows wait for the flood's
        // pace too, instead of one more full repaint a moment later while the sockets need the CPU.
        this.flushes.setInterval(FLOOD_UPDATE_INTERVAL_MS);
        this.flushes.retryAt(this.rowsSentAt + FLOOD_UPDATE_INTERVAL_MS);
        return;
      }
      // More arrived than the view shows: only the newest rows that fit cross; the rest stays pullable.
      const rows = complete ? fresh : this.feed.tail(this.viewRows, maxBatchBytes, previewBytes);
      previous = complete ? this.sentUpTo : (this.feed.before(rows[0]?.id ?? 0, 1, Infinity, 0)[0]?.id ?? 0);
      records = rows.map((row) => this.wire(row, previewBytes));
      this.sentUpTo = this.feed.lastId;
      this.rowsSentAt = Date.now();
      this.flushes.setInterval(complete ? UPDATE_INTERVAL_MS : FLOOD_UPDATE_INTERVAL_MS);
    }
    this.updateEmitter.fire({ records, previous, feed: this.info });
  }
}
