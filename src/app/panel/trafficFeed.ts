// The rows one traffic panel can show, kept on the host: every retained record of its connection,
// or of every client a listener has had (open and closed), plus a row when a client connects or
// closes. Received bytes are cut into frames when the panel frames them. Rows reference the bytes
// the connection logs already hold, so an open panel costs a small object per chunk; the webview
// asks for the rows it shows, and only those are ever encoded.
import type { Connection } from '../../core/connection';
import { DisposableStore, Emitter, type Disposable, type Event } from '../../core/events';
import { Framer, type FramerEvent } from '../../core/framer';
import type { Listener } from '../../core/listener';
import type { Registry } from '../../core/registry';
import type { TrafficRecord } from '../../core/trafficLog';
import type { CloseReason, Direction } from '../../core/types';
import type { ResolvedFraming } from '../../shared/framing';
import { describeCloseReason } from '../../shared/closeReasons';
import { formatEndpoint } from '../../shared/hostPort';

export type RowKind = 'frame' | 'error' | 'write' | 'event';

export interface FeedRow {
  /** Panel-wide and increasing, never reused: the webview's key and the anchor of range requests. */
  id: number;
  connection: Connection;
  /** The connection log's record number (#N in the panel, `seq` in a saved log and a capture file). */
  rec: number;
  time: number;
  dir: Direction;
  bytes: Uint8Array;
  kind?: RowKind;
  note?: string;
  /** A chunk row: the log record it shows, so it can be dropped once the log has forgotten it. */
  record?: TrafficRecord;
  /** The log forgot the record: the row holds no bytes any more and is skipped until compacted away. */
  gone?: boolean;
}

export interface FeedLimits {
  /** Rows kept (oldest forgotten first). */
  maxRows: number;
  /** Bytes the rows may reference; rows whose log already forgot them go first. */
  maxBytes: number;
}

export const DEFAULT_FEED_LIMITS: Readonly<FeedLimits> = { maxRows: 250_000, maxBytes: 64 * 1024 * 1024 };

const NO_BYTES = new Uint8Array(0);

/** Outgoing records made by a send with faults are its writes: a note per write, from the sender. */
export type OutgoingNote = (record: TrafficRecord) => string | undefined;

interface Tracked {
  connection: Connection;
  framer?: Framer;
  framerEnded: boolean;
  subscriptions: DisposableStore;
  /** This connection's chunk rows in log order, so those its log forgot are found from the front. */
  recordRows: FeedRow[];
  recordRowsHead: number;
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
  return `${connection.id} ${describeCloseReason(connection.closeReason as CloseReason | undefined)}`;
}

export class TrafficFeed implements Disposable {
  private rows: FeedRow[] = [];
  private head = 0;
  private nextId = 1;
  private referencedBytes = 0;
  private forgottenRows = 0;
  private goneRows = 0;
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
    return this.size > 0 ? this.rows[this.head].id : this.nextId;
  }

  get lastId(): number {
    return this.nextId - 1;
  }

  get size(): number {
    return this.rows.length - this.head - this.goneRows;
  }

  /** Rows no longer kept: forgotten by the feed's limits, plus records the logs dropped before the panel saw them. */
  get dropped(): number {
    let dropped = this.forgottenRows;
    for (const { connection } of this.tracked.values()) dropped += connection.log.evicted.records;
    return dropped;
  }

  /** Received bytes held while the framing waits for the rest of a frame, over every connection. */
  get pendingFrameBytes(): number {
    let pending = 0;
    for (const t of this.tracked.values()) if (t.framer && !t.framerEnded) pending += t.framer.buffered;
    return pending;
  }

  /** The newest rows that fit: what a view following the tail shows. */
  tail(maxRows: number, maxBytes: number, previewBytes: number): FeedRow[] {
    return this.collectBackward(this.rows.length - 1, maxRows, maxBytes, previewBytes);
  }

  /** Rows older than `id`, nearest first in the result order oldest→newest. */
  before(id: number, maxRows: number, maxBytes: number, previewBytes: number): FeedRow[] {
    return this.collectBackward(this.indexAfter(id) - 1, maxRows, maxBytes, previewBytes, id);
  }

  /** Rows newer than `id` (or from the oldest when id is 0), oldest first. */
  after(id: number, maxRows: number, maxBytes: number, previewBytes: number): FeedRow[] {
    const out: FeedRow[] = [];
    let bytes = 0;
    for (let i = this.indexAfter(id + 1); i < this.rows.length && out.length < maxRows; i++) {
      const row = this.rows[i];
      if (row.gone) continue;
      const cost = Math.min(row.bytes.byteLength, previewBytes);
      if (out.length > 0 && bytes + cost > maxBytes) break;
      bytes += cost;
      out.push(row);
    }
    return out;
  }

  row(id: number): FeedRow | undefined {
    const index = this.indexAfter(id);
    const row = this.rows[index];
    return row && row.id === id && !row.gone ? row : undefined;
  }

  /** Every row, oldest first (for saving the log). */
  all(): readonly FeedRow[] {
    return this.rows.slice(this.head).filter((row) => !row.gone);
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
   * Lets go of rows whose log already dropped their record (wherever they sit), and of the oldest
   * rows beyond the limits. Called per batch, not per chunk.
   */
  prune(): void {
    for (const entry of this.tracked.values()) {
      const queue = entry.recordRows;
      while (entry.recordRowsHead < queue.length && this.isStale(queue[entry.recordRowsHead])) this.markGone(queue[entry.recordRowsHead++]);
      if (entry.recordRowsHead > 1024 && entry.recordRowsHead * 2 > queue.length) {
        entry.recordRows = queue.slice(entry.recordRowsHead);
        entry.recordRowsHead = 0;
      }
    }
    while (this.rows.length > this.head && this.rows[this.head].gone) this.dropHead();
    while (this.size > 0 && (this.size > this.limits.maxRows || this.referencedBytes > this.limits.maxBytes)) {
      if (!this.rows[this.head].gone) this.forgottenRows++;
      this.dropHead();
    }
    if (this.goneRows > 1024 && this.goneRows * 2 > this.rows.length - this.head) {
      this.rows = this.rows.slice(this.head).filter((row) => !row.gone);
      this.head = 0;
      this.goneRows = 0;
    }
    this.compact();
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

  private isStale(row: FeedRow): boolean {
    // A chunk the log has evicted is counted by the log itself; the row only still pins its bytes.
    if (!row.record || row.gone) return false;
    const log = row.connection.log;
    return log.retained.records === 0 || row.rec < log.oldestSeq;
  }

  private markGone(row: FeedRow): void {
    if (row.gone) return;
    row.gone = true;
    this.goneRows++;
    this.referencedBytes -= row.bytes.byteLength;
    row.bytes = NO_BYTES;
    row.record = undefined;
  }

  private dropHead(): void {
    const row = this.rows[this.head];
    this.rows[this.head] = undefined as unknown as FeedRow;
    this.head++;
    if (row.gone) this.goneRows--;
    else this.referencedBytes -= row.bytes.byteLength;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.rows.length) {
      this.rows = this.rows.slice(this.head);
      this.head = 0;
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

  private collectBackward(fromIndex: number, maxRows: number, maxBytes: number, previewBytes: number, beforeId = Infinity): FeedRow[] {
    const out: FeedRow[] = [];
    let bytes = 0;
    for (let i = Math.min(fromIndex, this.rows.length - 1); i >= this.head && out.length < maxRows; i--) {
      const row = this.rows[i];
      if (row.id >= beforeId || row.gone) continue;
      const cost = Math.min(row.bytes.byteLength, previewBytes);
      if (out.length > 0 && bytes + cost > maxBytes) break;
      bytes += cost;
      out.push(row);
    }
    return out.reverse();
  }

  private track(connection: Connection, live: boolean): void {
    if (this.tracked.has(connection.id)) return;
    const subscriptions = new DisposableStore();
    const entry: Tracked = { connection, framerEnded: false, subscriptions, recordRows: [], recordRowsHead: 0 };
    this.tracked.set(connection.id, entry);
    if (connection.state === 'closed') return;
    subscriptions.add(connection.log.onDidAppend((record) => this.onRecord(entry, record)));
    subscriptions.add(connection.onDidChangeState(() => {
      if (connection.remoteEnded) this.endFraming(entry, Date.now());
      this.peersEmitter.fire();
    }));
    subscriptions.add(connection.onDidClose(() => {
      this.endFraming(entry, Date.now());
      this.push(this.eventRow(connection, connection.closedAt ?? Date.now(), closedNote(connection)));
      this.peersEmitter.fire();
      this.changeEmitter.fire();
    }));
    if (live) {
      entry.framer = this.framing.mode === 'none' ? undefined : new Framer(this.framing);
      this.push(this.eventRow(connection, connection.openedAt, openedNote(connection)));
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
      else if (row.gone) this.goneRows--;
      else this.referencedBytes -= row.bytes.byteLength;
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
    this.referencedBytes = 0;
    this.forgottenRows = 0;
    this.goneRows = 0;
    const pieces: FeedRow[][] = [];
    for (const entry of this.tracked.values()) {
      const { connection } = entry;
      entry.recordRows = [];
      entry.recordRowsHead = 0;
      const rows: FeedRow[] = [this.eventRow(connection, connection.openedAt, openedNote(connection))];
      entry.framer = this.framing.mode === 'none' ? undefined : new Framer(this.framing);
      entry.framerEnded = false;
      for (const record of connection.log.records()) rows.push(...this.rowsFor(entry, record));
      if (connection.remoteEnded || connection.state === 'closed') rows.push(...this.endRows(entry, connection.closedAt ?? Date.now()));
      if (connection.state === 'closed') rows.push(this.eventRow(connection, connection.closedAt ?? Date.now(), closedNote(connection)));
      pieces.push(rows);
    }
    // Ids are given in time order across connections; a stable sort keeps each stream's own order.
    const merged = pieces.length === 1 ? pieces[0] : pieces.flat().sort((a, b) => a.time - b.time);
    for (const row of merged) this.push(row);
    this.prune();
    this.changeEmitter.fire();
  }

  private onRecord(entry: Tracked, record: TrafficRecord): void {
    const rows = this.rowsFor(entry, record);
    for (const row of rows) this.push(row);
    if (rows.length) this.changeEmitter.fire();
  }

  private rowsFor(entry: Tracked, record: TrafficRecord): FeedRow[] {
    const { connection } = entry;
    if (record.dir === 'in' && entry.framer) {
      return entry.framer.push(record.bytes).map((event) => this.framerRow(connection, event, record));
    }
    const note = record.dir === 'out' ? this.notes.get(connection.id)?.(record) : undefined;
    return [{ id: 0, connection, rec: record.seq, time: record.time, dir: record.dir, bytes: record.bytes, record, ...(note ? { kind: 'write' as const, note } : {}) }];
  }

  private endRows(entry: Tracked, time: number): FeedRow[] {
    if (!entry.framer || entry.framerEnded) return [];
    entry.framerEnded = true;
    const rec = entry.connection.log.lastSeq;
    return entry.framer.end().map((event) => this.framerRow(entry.connection, event, { seq: rec, time }));
  }

  private endFraming(entry: Tracked, time: number): void {
    const rows = this.endRows(entry, time);
    for (const row of rows) this.push(row);
    if (rows.length) this.changeEmitter.fire();
  }

  private framerRow(connection: Connection, event: FramerEvent, record: { seq: number; time: number }): FeedRow {
    if (event.type === 'frame') return { id: 0, connection, rec: record.seq, time: record.time, dir: 'in', bytes: event.bytes, kind: 'frame' };
    return { id: 0, connection, rec: record.seq, time: record.time, dir: 'in', bytes: event.bytes ?? NO_BYTES, kind: 'error', note: event.message };
  }

  private eventRow(connection: Connection, time: number, note: string): FeedRow {
    return { id: 0, connection, rec: 0, time, dir: connection.role === 'accepted' ? 'in' : 'out', bytes: NO_BYTES, kind: 'event', note };
  }

  private push(row: FeedRow): void {
    row.id = this.nextId++;
    this.rows.push(row);
    this.referencedBytes += row.bytes.byteLength;
    if (row.record) this.tracked.get(row.connection.id)?.recordRows.push(row);
  }
}
