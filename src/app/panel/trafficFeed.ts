// The rows one traffic panel can show, kept on the host: every retained record of its connection,
// or of every client a listener has had (open and closed), plus a row when a client connects or
// closes. Received bytes are cut into frames when the panel frames them. A chunk's row holds only
// its record number: the bytes stay in the connection's log and are read from there when the row
// is shown, so an open panel pins nothing the log has let go (retained chunks that age into V8's
// old generation are what made a flood slow). The webview asks for the rows it shows.
import type { Connection } from '../../core/connection';
import { DisposableStore, Emitter, type Disposable, type Event } from '../../core/events';
import { Framer, type FramerEvent } from '../../core/framer';
import type { Listener } from '../../core/listener';
import type { Registry } from '../../core/registry';
import type { TrafficRecord } from '../../core/trafficLog';
import type { Direction } from '../../core/types';
import type { ResolvedFraming } from '../../shared/framing';
import { describeCloseReason } from '../../shared/closeReasons';
import { formatEndpoint } from '../../shared/hostPort';
import { describeHandshake } from '../../shared/tls';

export type RowKind = 'frame' | 'error' | 'write' | 'event';

export interface FeedRow {
  /** Panel-wide and increasing, never reused: the webview's key and the anchor of range requests. */
  id: number;
  connection: Connection;
  /** The connection log's record number (#N in the panel, `seq` in a saved log and a capture file). */
  rec: number;
  time: number;
  dir: Direction;
  /** Byte length of what the row shows. */
  length: number;
  kind?: RowKind;
  note?: string;
  /** A frame that failed the framing's checksum (`note` says expected and got). */
  invalid?: boolean;
  /** Bytes the row owns (a frame, or the rest of an unfinished one); a chunk's bytes live in the log. */
  own?: Uint8Array;
  /** True for a row that shows a log record (its bytes are read from the log by `rec`). */
  chunk: boolean;
  /** Proxy pairs: what a fault did to these bytes (TrafficRecord.fault). */
  fault?: string;
  /** Proxy pairs: bytes the panel injected, not relayed from either end. */
  injected?: true;
}

export interface FeedLimits {
  /** Rows kept (oldest forgotten first). */
  maxRows: number;
  /** Bytes the rows' own copies (frames) may hold. */
  maxOwnBytes: number;
}

export const DEFAULT_FEED_LIMITS: Readonly<FeedLimits> = { maxRows: 250_000, maxOwnBytes: 16 * 1024 * 1024 };

const NO_BYTES = new Uint8Array(0);

/** Outgoing records made by a send with faults are its writes: a note per write, from the sender. */
export type OutgoingNote = (record: TrafficRecord) => string | undefined;

interface Tracked {
  connection: Connection;
  framer?: Framer;
  /** Proxy pairs only: the upstream → client direction ('out') is a stream of frames of its own. */
  outFramer?: Framer;
  framerEnded: boolean;
  subscriptions: DisposableStore;
  /** This connection's chunk rows in log order, so those its log forgot are found from the front. */
  chunkRows: FeedRow[];
  chunkRowsHead: number;
}

function endpointText(endpoint: { address: string; family: string; port: number } | undefined): string {
  if (!endpoint) return 'an unknown peer';
  return formatEndpoint(endpoint);
}

/** The lifecycle sentence of a connection: who it is and what ended it. */
function openedNote(connection: Connection): string {
  return connection.role === 'accepted' ? `${connection.id} connected from ${endpointText(connection.remote)}` : `${connection.id} connected to ${endpointText(connection.remote)}`;
}

function closedNote(connection: Connection): string {
  return `${connection.id} ${describeCloseReason(connection.closeReason)}`;
}

/** A chunk row whose record the connection's log has dropped (its limits, or Clear). */
function isStale(row: FeedRow): boolean {
  return row.chunk && row.connection.log.recordAt(row.rec) === undefined;
}

export class TrafficFeed implements Disposable {
  private rows: FeedRow[] = [];
  private head = 0;
  private nextId = 1;
  /** Rows that are not chunks (events, frames, errors), and the bytes the frames own. */
  private otherRows = 0;
  private ownBytes = 0;
  private forgottenRows = 0;
  /** Frames that failed the framing's checksum since the rows were last built. */
  private badChecksumCount = 0;
  private framing: ResolvedFraming;
  private readonly tracked = new Map<string, Tracked>();
  private readonly subscriptions = new DisposableStore();
  private readonly notes = new Map<string, OutgoingNote>();
  private readonly changeEmitter = new Emitter<void>();
  private readonly peersEmitter = new Emitter<void>();
  /** New rows (or rows rebuilt); consumers batch it. */
  readonly onDidAppend: Event<void> = this.changeEmitter.event;
  /** A connection joined, changed state or closed. */
  readonly onDidChangePeers: Event<void> = this.peersEmitter.event;

  constructor(
    private readonly registry: Registry,
    readonly target: Listener | Connection,
    framing: ResolvedFraming,
    private readonly limits: FeedLimits = DEFAULT_FEED_LIMITS,
  ) {
    this.framing = framing;
    const connections = 'broadcast' in target ? [...registry.closedConnections(target.id), ...target.connections] : [target];
    for (const connection of connections) this.track(connection, false);
    this.rebuild();
    if ('broadcast' in target) {
      this.subscriptions.add(target.onDidAccept((connection) => {
        this.track(connection, true);
        this.peersEmitter.fire();
      }));
    }
    this.subscriptions.add(registry.onDidChange((change) => {
      // A client the history forgot leaves the panel too, with its rows.
      if (change.kind === 'removed' && change.item === 'connection' && this.tracked.has(change.id)) this.untrack(change.id);
    }));
  }

  /** Every connection the panel shows, oldest first: the listener's clients (open and closed) or the one connection. */
  connections(): Connection[] {
    return [...this.tracked.values()].map((t) => t.connection);
  }

  get firstId(): number {
    for (let i = this.head; i < this.rows.length; i++) if (!isStale(this.rows[i])) return this.rows[i].id;
    return this.nextId;
  }

  get lastId(): number {
    return this.nextId - 1;
  }

  /** Rows held that can still be shown (as of the last prune). */
  get size(): number {
    let chunks = 0;
    for (const t of this.tracked.values()) chunks += t.chunkRows.length - t.chunkRowsHead;
    return chunks + this.otherRows;
  }

  /** Rows no longer kept: forgotten by the feed's limits, plus records the logs dropped. */
  get dropped(): number {
    let dropped = this.forgottenRows;
    for (const { connection } of this.tracked.values()) dropped += connection.log.evicted.records;
    return dropped;
  }

  /** Frames that failed the framing's checksum, over every connection, since the framing was set. */
  get badChecksums(): number {
    return this.badChecksumCount;
  }

  /** Received bytes held while the framing waits for the rest of a frame, over every connection. */
  get pendingFrameBytes(): number {
    let pending = 0;
    for (const t of this.tracked.values()) if (!t.framerEnded) pending += (t.framer?.buffered ?? 0) + (t.outFramer?.buffered ?? 0);
    return pending;
  }

  /** The row's bytes: its own, or its record's from the log (empty once the log dropped it). */
  bytesOf(row: FeedRow): Uint8Array {
    if (!row.chunk) return row.own ?? NO_BYTES;
    return row.connection.log.recordAt(row.rec)?.bytes ?? NO_BYTES;
  }

  /** The newest rows that fit: what a view following the tail shows. */
  tail(maxRows: number, maxBytes: number, previewBytes: number): FeedRow[] {
    return this.collectBackward(this.rows.length - 1, maxRows, maxBytes, previewBytes, Infinity);
  }

  /** Rows older than `id`, oldest first. */
  before(id: number, maxRows: number, maxBytes: number, previewBytes: number): FeedRow[] {
    return this.collectBackward(this.indexAfter(id) - 1, maxRows, maxBytes, previewBytes, id);
  }

  /** Rows newer than `id` (or from the oldest when id is 0), oldest first. */
  after(id: number, maxRows: number, maxBytes: number, previewBytes: number): FeedRow[] {
    const out: FeedRow[] = [];
    let bytes = 0;
    for (let i = this.indexAfter(id + 1); i < this.rows.length && out.length < maxRows; i++) {
      const row = this.rows[i];
      if (isStale(row)) continue;
      const cost = Math.min(row.length, previewBytes);
      if (out.length > 0 && bytes + cost > maxBytes) break;
      bytes += cost;
      out.push(row);
    }
    return out;
  }

  row(id: number): FeedRow | undefined {
    const row = this.rows[this.indexAfter(id)];
    return row && row.id === id && !isStale(row) ? row : undefined;
  }

  /** Every row that can still be shown, oldest first (for saving the log). */
  all(): FeedRow[] {
    return this.rows.slice(this.head).filter((row) => !isStale(row));
  }

  /** Another framing: the retained records are cut again from the start, so nothing received is hidden. */
  setFraming(framing: ResolvedFraming): void {
    this.framing = framing;
    this.rebuild();
  }

  setOutgoingNote(connectionId: string, note: OutgoingNote | undefined): void {
    if (note) this.notes.set(connectionId, note);
    else this.notes.delete(connectionId);
  }

  /** Drops the retained traffic of every connection the panel shows (the logs too). */
  clear(): void {
    for (const { connection } of this.tracked.values()) connection.log.clear();
    this.registry.historyLogsChanged();
    this.rebuild();
  }

  /**
   * Forgets rows whose record the log dropped (wherever they sit) and the oldest rows beyond the
   * limits. Called per batch, not per chunk.
   */
  prune(): void {
    let stale = 0;
    for (const entry of this.tracked.values()) {
      const queue = entry.chunkRows;
      while (entry.chunkRowsHead < queue.length && isStale(queue[entry.chunkRowsHead])) {
        entry.chunkRowsHead++;
        stale++;
      }
      if (entry.chunkRowsHead > 1024 && entry.chunkRowsHead * 2 > queue.length) {
        entry.chunkRows = queue.slice(entry.chunkRowsHead);
        entry.chunkRowsHead = 0;
      }
    }
    while (this.rows.length > this.head && isStale(this.rows[this.head])) this.dropHead();
    // A quiet client's rows in front can hold back a chatty one's stale rows: sweep when they pile up.
    if (stale > 0 && this.rows.length - this.head > 2 * this.size + 1024) this.sweepStale();
    while (this.rows.length > this.head && (this.rows.length - this.head > this.limits.maxRows || this.ownBytes > this.limits.maxOwnBytes)) {
      const row = this.rows[this.head];
      if (!isStale(row)) {
        this.forgottenRows++;
        if (row.chunk) this.dropChunkRow(row);
      }
      this.dropHead();
    }
    if (this.head > 1024 && this.head * 2 > this.rows.length) {
      this.rows = this.rows.slice(this.head);
      this.head = 0;
    }
  }

  dispose(): void {
    this.subscriptions.dispose();
    for (const t of this.tracked.values()) t.subscriptions.dispose();
    this.tracked.clear();
    this.rows = [];
    this.head = 0;
    this.changeEmitter.dispose();
    this.peersEmitter.dispose();
  }

  private sweepStale(): void {
    const kept: FeedRow[] = [];
    for (let i = this.head; i < this.rows.length; i++) if (!isStale(this.rows[i])) kept.push(this.rows[i]);
    this.rows = kept;
    this.head = 0;
  }

  /** A live chunk row forgotten by the feed's own limits leaves its connection's queue (always at its front). */
  private dropChunkRow(row: FeedRow): void {
    const entry = this.tracked.get(row.connection.id);
    if (entry && entry.chunkRows[entry.chunkRowsHead] === row) entry.chunkRowsHead++;
  }

  private dropHead(): void {
    const row = this.rows[this.head];
    this.rows[this.head] = undefined as unknown as FeedRow;
    this.head++;
    if (!row.chunk) {
      this.otherRows--;
      this.ownBytes -= row.own?.byteLength ?? 0;
    }
  }

  /** Index of the first row with id ≥ `id` (ids are increasing, so a binary search). */
  private indexAfter(id: number): number {
    let lo = this.head;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.rows[mid].id < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private collectBackward(fromIndex: number, maxRows: number, maxBytes: number, previewBytes: number, beforeId: number): FeedRow[] {
    const out: FeedRow[] = [];
    let bytes = 0;
    for (let i = Math.min(fromIndex, this.rows.length - 1); i >= this.head && out.length < maxRows; i--) {
      const row = this.rows[i];
      if (row.id >= beforeId || isStale(row)) continue;
      const cost = Math.min(row.length, previewBytes);
      if (out.length > 0 && bytes + cost > maxBytes) break;
      bytes += cost;
      out.push(row);
    }
    return out.reverse();
  }

  private track(connection: Connection, live: boolean): void {
    if (this.tracked.has(connection.id)) return;
    const subscriptions = new DisposableStore();
    const entry: Tracked = { connection, framerEnded: false, subscriptions, chunkRows: [], chunkRowsHead: 0 };
    this.tracked.set(connection.id, entry);
    if (connection.state === 'closed') return;
    subscriptions.add(connection.log.onDidAppend((record) => this.onRecord(entry, record)));
    subscriptions.add(connection.onDidChangeState(() => {
      if (connection.remoteEnded) this.endFraming(entry, Date.now());
      this.peersEmitter.fire();
    }));
    // The header says when reading is held (a slow capture, replies the peer does not read).
    subscriptions.add(connection.onDidChangeRecentReadHolds(() => this.peersEmitter.fire()));
    subscriptions.add(connection.onDidHandshake((info) => {
      this.push(this.eventRow(connection, info.handshakeAt, describeHandshake(connection.id, info)));
      this.peersEmitter.fire();
      this.changeEmitter.fire();
    }));
    subscriptions.add(connection.onDidClose(() => {
      this.endFraming(entry, Date.now());
      this.push(this.eventRow(connection, connection.closedAt ?? Date.now(), closedNote(connection)));
      this.peersEmitter.fire();
      this.changeEmitter.fire();
    }));
    if (live) {
      this.newFramers(entry);
      this.push(this.eventRow(connection, connection.openedAt, openedNote(connection)));
      // A TLS listener's client arrives with its handshake done: its row follows the connect row.
      if (connection.tls) this.push(this.eventRow(connection, connection.tls.handshakeAt, describeHandshake(connection.id, connection.tls)));
      this.changeEmitter.fire();
    }
  }

  private untrack(id: string): void {
    const entry = this.tracked.get(id);
    if (!entry) return;
    entry.subscriptions.dispose();
    this.tracked.delete(id);
    const kept: FeedRow[] = [];
    for (let i = this.head; i < this.rows.length; i++) {
      const row = this.rows[i];
      if (row.connection !== entry.connection) kept.push(row);
      else if (!row.chunk) {
        this.otherRows--;
        this.ownBytes -= row.own?.byteLength ?? 0;
      }
    }
    this.rows = kept;
    this.head = 0;
    this.changeEmitter.fire();
    this.peersEmitter.fire();
  }

  /** Builds every row again from the retained logs, in time order, under the current framing. */
  private rebuild(): void {
    this.rows = [];
    this.head = 0;
    this.otherRows = 0;
    this.ownBytes = 0;
    this.forgottenRows = 0;
    this.badChecksumCount = 0;
    const pieces: FeedRow[][] = [];
    for (const entry of this.tracked.values()) {
      const { connection } = entry;
      entry.chunkRows = [];
      entry.chunkRowsHead = 0;
      this.newFramers(entry);
      entry.framerEnded = false;
      const rows: FeedRow[] = [this.eventRow(connection, connection.openedAt, openedNote(connection))];
      for (const record of connection.log.records()) this.rowsFor(entry, record, rows);
      if (connection.remoteEnded || connection.state === 'closed') rows.push(...this.endRows(entry, connection.closedAt ?? Date.now()));
      if (connection.state === 'closed') rows.push(this.eventRow(connection, connection.closedAt ?? Date.now(), closedNote(connection)));
      const tls = connection.tls;
      if (tls) {
        // After the records before it (a STARTTLS exchange), before later records and the close.
        const at = rows.findIndex((row, i) => i > 0 && (row.kind === 'event' || row.rec > tls.afterRecord));
        rows.splice(at === -1 ? rows.length : at, 0, this.eventRow(connection, tls.handshakeAt, describeHandshake(connection.id, tls)));
      }
      pieces.push(rows);
    }
    // Ids are given in time order across connections; a stable sort keeps each stream's own order.
    const merged = pieces.length === 1 ? pieces[0] : pieces.flat().sort((a, b) => a.time - b.time);
    for (const row of merged) this.push(row);
    this.prune();
    this.changeEmitter.fire();
  }

  /**
   * Received bytes are cut into frames; on a proxy pair both directions are conversations of their
   * own (client → upstream, upstream → client), so each gets its own framer with the same framing.
   */
  private newFramers(entry: Tracked): void {
    const framed = this.framing.mode !== 'none';
    entry.framer = framed ? new Framer(this.framing) : undefined;
    entry.outFramer = framed && entry.connection.proxy !== undefined ? new Framer(this.framing) : undefined;
  }

  private framerFor(entry: Tracked, record: TrafficRecord): Framer | undefined {
    // A proxy's note (no wire bytes) is never part of a frame.
    if (record.note !== undefined) return undefined;
    return record.dir === 'in' ? entry.framer : entry.outFramer;
  }

  private onRecord(entry: Tracked, record: TrafficRecord): void {
    const framer = this.framerFor(entry, record);
    if (!framer) {
      // The hot path under a flood: one small object per chunk, no bytes copied or kept.
      this.push(this.chunkRow(entry.connection, record));
    } else {
      for (const event of framer.push(record.bytes)) this.push(this.framerRow(entry.connection, event, record));
    }
    this.changeEmitter.fire();
  }

  private rowsFor(entry: Tracked, record: TrafficRecord, into: FeedRow[]): void {
    const framer = this.framerFor(entry, record);
    if (!framer) into.push(this.chunkRow(entry.connection, record));
    else for (const event of framer.push(record.bytes)) into.push(this.framerRow(entry.connection, event, record));
  }

  private chunkRow(connection: Connection, record: TrafficRecord): FeedRow {
    const row: FeedRow = { id: 0, connection, rec: record.seq, time: record.time, dir: record.dir, length: record.bytes.byteLength, chunk: true };
    const note = record.dir === 'out' ? this.notes.get(connection.id)?.(record) : undefined;
    if (note) {
      row.kind = 'write';
      row.note = note;
    }
    if (record.injected) row.injected = true;
    if (record.fault !== undefined) row.fault = record.dropped && !/drop/i.test(record.fault) ? `${record.fault} (dropped)` : record.fault;
    if (record.note !== undefined) {
      // A proxy's line about the pair ("the upstream refused…"): an event row when it carries no bytes.
      row.note = record.note;
      if (row.length === 0) row.kind = 'event';
    }
    return row;
  }

  private endRows(entry: Tracked, time: number): FeedRow[] {
    if ((!entry.framer && !entry.outFramer) || entry.framerEnded) return [];
    entry.framerEnded = true;
    const rec = entry.connection.log.lastSeq;
    const rows = (entry.framer?.end() ?? []).map((event) => this.framerRow(entry.connection, event, { seq: rec, time, dir: 'in' }));
    for (const event of entry.outFramer?.end() ?? []) rows.push(this.framerRow(entry.connection, event, { seq: rec, time, dir: 'out' }));
    return rows;
  }

  private endFraming(entry: Tracked, time: number): void {
    const rows = this.endRows(entry, time);
    for (const row of rows) this.push(row);
    if (rows.length) this.changeEmitter.fire();
  }

  private framerRow(connection: Connection, event: FramerEvent, record: { seq: number; time: number; dir?: Direction; fault?: string }): FeedRow {
    const dir = record.dir ?? 'in';
    if (event.type === 'frame') {
      const row: FeedRow = { id: 0, connection, rec: record.seq, time: record.time, dir, length: event.bytes.byteLength, own: event.bytes, kind: 'frame', chunk: false };
      if (record.fault !== undefined) row.fault = record.fault;
      if (event.checksumError !== undefined) {
        row.note = event.checksumError;
        row.invalid = true;
        this.badChecksumCount++;
      }
      return row;
    }
    const rest = event.bytes ?? NO_BYTES;
    return { id: 0, connection, rec: record.seq, time: record.time, dir, length: rest.byteLength, own: rest, kind: 'error', note: event.message, chunk: false };
  }

  private eventRow(connection: Connection, time: number, note: string): FeedRow {
    return { id: 0, connection, rec: 0, time, dir: connection.role === 'accepted' ? 'in' : 'out', length: 0, kind: 'event', note, chunk: false };
  }

  private push(row: FeedRow): void {
    row.id = this.nextId++;
    this.rows.push(row);
    if (row.chunk) this.tracked.get(row.connection.id)?.chunkRows.push(row);
    else {
      this.otherRows++;
      this.ownBytes += row.own?.byteLength ?? 0;
    }
  }
}
