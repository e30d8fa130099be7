// The log as this webview holds it: a window of contiguous rows from the host's feed, the filter
// over them, and the virtual list that draws them. Following the tail, it takes what each update
// brings (starting over after a gap the host skipped); scrolled to an edge, it asks the host for
// the neighbouring rows; a long record's whole bytes are fetched when it is expanded or copied.
import { PROTOCOL_LIMITS, type FeedInfo, type RequestBody, type ReplyMessage, type TrafficMessage, type WireRecord } from '../shared/protocol';
import type { TextEncodingName } from '../shared/payloadTypes';
import { base64ToBytes, indexOfBytes, parseHexPattern, toVisibleText } from './codec';
import { bytesOf, isComplete, RecordStore, setWholeBytes, type LogRecord } from './recordStore';
import { StreamTextTracker } from './streamText';
import { LINE_HEIGHT, VirtualLog, type RowContext, type RowExtent } from './virtualLog';

export interface LogFilter {
  text: string;
  kind: 'text' | 'hex';
  direction: 'all' | 'in' | 'out';
}

export interface LogWindowDeps {
  request(body: RequestBody): Promise<ReplyMessage>;
  post(message: { type: 'follow'; following: boolean; lastId: number; rows: number }): void;
  context(): RowContext;
  filter(): LogFilter;
  onSelect(record: LogRecord | undefined): void;
  /** Following changed (by the user's scroll or a button). */
  onFollowChange(following: boolean): void;
  /** Something the status line shows changed. */
  onStatus(): void;
  /** Data records that just arrived from the peer (whether or not the view follows): for announcements. */
  onReceived(records: readonly LogRecord[]): void;
}

/** Rows asked for at a time when the user scrolls past the window's edge. */
const LOAD_ROWS = 500;

const EMPTY_FEED: FeedInfo = { firstId: 1, lastId: 0, size: 0, dropped: 0, pendingFrameBytes: 0 };

export class LogWindow {
  readonly log: VirtualLog;
  private readonly store: RecordStore;
  private readonly streamText: StreamTextTracker;
  private feedInfo: FeedInfo = EMPTY_FEED;
  private following = true;
  /** The row count the host was last told the view shows (it sends at most that many while following). */
  private reportedRows = 0;
  private loading = false;
  private renderQueued = false;
  private filterBytes: Uint8Array | undefined;
  private filterNeedle = '';
  private filterError: string | undefined;
  private encoding: TextEncodingName;

  constructor(
    private readonly deps: LogWindowDeps,
    limits: { maxRecords: number; maxBytes: number },
  ) {
    this.store = new RecordStore(limits.maxRecords, limits.maxBytes);
    this.encoding = deps.context().encoding;
    this.streamText = new StreamTextTracker(this.encoding);
    this.log = new VirtualLog(deps.context(), {
      onSelect: (record) => deps.onSelect(record),
      onNeedWhole: (record) => void this.fetchWhole(record).then(() => this.log.refresh()),
      onUserScrollUp: () => this.setFollowing(false),
      onReachStart: () => void this.loadOlder(),
      onReachEnd: () => void this.loadNewer(),
      // Following means the end stays in view whatever changed the log's size.
      onResize: () => this.scheduleRender(),
      onRedraw: () => this.scheduleRender(),
    });
    this.log.setExtent((count) => this.extent(count));
  }

  get feed(): FeedInfo {
    return this.feedInfo;
  }

  get isFollowing(): boolean {
    return this.following;
  }

  /** Why the filter matches nothing at all: it is not valid hex. */
  get filterProblem(): string | undefined {
    return this.filterError;
  }

  /** Rows held here, and how many of them the filter shows. */
  get counts(): { held: number; shown: number } {
    return { held: this.store.size, shown: this.log.count };
  }

  /** Whether rows exist on the host before or after the ones held here. */
  get more(): { before: boolean; after: boolean } {
    return { before: this.store.size > 0 ? this.store.firstSeq > this.feedInfo.firstId : this.feedInfo.size > 0, after: this.store.lastSeq < this.feedInfo.lastId };
  }

  setLimits(maxRecords: number, maxBytes: number): void {
    this.store.setLimits(maxRecords, maxBytes);
  }

  /** A snapshot: the newest rows, and the feed they came from. */
  reset(records: readonly WireRecord[], feed: FeedInfo): void {
    this.store.clear();
    this.feedInfo = feed;
    for (const record of records) this.store.append(record);
    this.retrack();
    this.refilter();
    this.setFollowing(true);
  }

  clear(): void {
    this.store.clear();
    this.retrack();
    this.refilter();
  }

  onTraffic(message: TrafficMessage): void {
    this.feedInfo = message.feed;
    const received = message.records.filter((record) => record.dir === 'in' && record.kind !== 'event' && record.kind !== 'error');
    if (received.length > 0) this.deps.onReceived(received);
    if (message.records.length > 0 && this.following) {
      // The host skipped rows it could not send in time: start the window over at the newest.
      if (message.previous !== this.store.lastSeq) {
        this.store.clear();
        this.streamText.reset(this.encoding);
        this.log.reset([]);
        this.reportViewRows();
      }
      const firstKept = this.store.firstSeq;
      for (const record of message.records) {
        this.store.append(record);
        this.streamText.track(record, () => bytesOf(record));
        if (this.matches(record)) this.log.push(record);
      }
      if (this.store.firstSeq !== firstKept) this.log.evictBefore(this.store.firstSeq);
    }
    this.deps.onStatus();
    this.scheduleRender();
  }

  setFollowing(next: boolean): void {
    const changed = next !== this.following;
    this.following = next;
    if (next && this.more.after) {
      // Back to the tail: the rows in between are not loaded, so the window starts over there.
      this.store.clear();
      this.log.reset([]);
    }
    this.reportedRows = this.viewRows();
    this.deps.post({ type: 'follow', following: next, lastId: this.store.lastSeq, rows: this.reportedRows });
    if (changed) this.deps.onFollowChange(next);
    if (next) this.scheduleRender();
  }

  /** Shows the oldest rows the host still has. */
  async jumpToStart(): Promise<void> {
    this.setFollowing(false);
    const reply = await this.deps.request({ type: 'rows', after: 0, max: LOAD_ROWS });
    if (!reply.ok || !reply.records) return;
    if (reply.feed) this.feedInfo = reply.feed;
    this.store.clear();
    for (const record of reply.records) this.store.append(record);
    this.retrack();
    this.refilter();
    this.log.root.scrollTop = 0;
    this.log.render();
    this.deps.onStatus();
  }

  /** The record's whole bytes (fetched once when only its preview is here). */
  async wholeBytes(record: LogRecord): Promise<Uint8Array | undefined> {
    if (isComplete(record)) return bytesOf(record);
    return (await this.fetchWhole(record)) ? bytesOf(record) : undefined;
  }

  /** The display encoding or filter changed. */
  refilter(): void {
    const filter = this.deps.filter();
    this.filterNeedle = filter.text.trim().toLowerCase();
    const pattern = filter.kind === 'hex' && this.filterNeedle ? parseHexPattern(filter.text) : undefined;
    this.filterBytes = pattern && 'bytes' in pattern ? pattern.bytes : undefined;
    this.filterError = pattern && 'error' in pattern ? pattern.error : undefined;
    const kept: LogRecord[] = [];
    for (const record of this.store) if (this.matches(record)) kept.push(record);
    this.log.reset(kept);
    this.deps.onStatus();
    this.scheduleRender();
  }

  /** Recomputes what each record carries into the next of its stream, e.g. after the encoding changed. */
  retrack(): void {
    this.encoding = this.deps.context().encoding;
    this.streamText.reset(this.encoding);
    for (const record of this.store) this.streamText.track(record, () => bytesOf(record));
  }

  scheduleRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      if (this.following) this.log.scrollToEnd();
      this.log.render();
    });
  }

  /**
   * Where the `count` rows the list shows sit among the host's rows. Unfiltered, the size is the
   * host's row count, and a window touching either end of the log is placed exactly; one in the
   * middle is placed by row id (ids skip rows the framing rebuilt, so that is an estimate). A
   * filter's matches are only counted where every row is here; otherwise the size is unknown (-1).
   */
  private extent(count: number): RowExtent {
    const { before, after } = this.more;
    const filter = this.deps.filter();
    if (this.filterNeedle || filter.direction !== 'all') return { size: before || after ? -1 : count, first: 1 };
    const size = Math.max(this.feedInfo.size, count);
    if (!before) return { size, first: 1 };
    if (!after) return { size, first: size - count + 1 };
    const estimated = this.store.firstSeq - this.feedInfo.firstId + 1;
    return { size, first: Math.max(1, Math.min(estimated, size - count + 1)) };
  }

  /**
   * A view grown taller since the host was told (the editor group maximized, a section collapsed)
   * shows more rows than a flood's updates carry: the list would not reach the top of the view. Said
   * when an update starts the window over, where it matters, not on every resize.
   */
  private reportViewRows(): void {
    if (!this.following || this.viewRows() <= this.reportedRows) return;
    this.reportedRows = this.viewRows();
    this.deps.post({ type: 'follow', following: true, lastId: this.store.lastSeq, rows: this.reportedRows });
  }

  /** How many rows fit the view: what a following update needs to carry at most. */
  private viewRows(): number {
    return Math.max(20, Math.ceil((this.log.heightHint || 400) / LINE_HEIGHT) + 10);
  }

  private matches(record: LogRecord): boolean {
    const filter = this.deps.filter();
    if (filter.direction !== 'all' && record.dir !== filter.direction) return false;
    if (!this.filterNeedle) return true;
    if (record.kind === 'event') return false;
    // An invalid hex filter shows nothing (and the status line says why) rather than everything.
    if (filter.kind === 'hex') return this.filterBytes ? indexOfBytes(bytesOf(record), this.filterBytes) >= 0 : false;
    return toVisibleText(bytesOf(record), this.encoding).toLowerCase().includes(this.filterNeedle);
  }

  private async loadOlder(): Promise<void> {
    // Following, the top is in view only because an update held fewer rows than the view shows (the
    // window starts over after every gap in a flood). Pulling then would stop following and fetch a
    // page of older rows per update for the whole flood; a user's scroll up stops following first.
    if (this.following || this.loading || !this.more.before || this.store.size === 0) return;
    this.loading = true;
    try {
      const reply = await this.deps.request({ type: 'rows', before: this.store.firstSeq, max: LOAD_ROWS });
      if (!reply.ok || !reply.records?.length) return;
      if (reply.feed) this.feedInfo = reply.feed;
      this.store.prepend(reply.records);
      this.retrack();
      const kept: LogRecord[] = [];
      for (const record of this.store) if (this.matches(record)) kept.push(record);
      this.log.resetKeepingPosition(kept);
      this.deps.onStatus();
    } finally {
      this.loading = false;
    }
  }

  private async loadNewer(): Promise<void> {
    if (this.loading || this.following) return;
    if (!this.more.after) {
      // Scrolled to the very end of what the host has: follow again. Near the end is not enough: a
      // user who scrolled up a line or two to read would be pulled back to the tail.
      if (this.log.atEnd) this.setFollowing(true);
      return;
    }
    this.loading = true;
    try {
      const reply = await this.deps.request({ type: 'rows', after: this.store.lastSeq, max: LOAD_ROWS });
      if (!reply.ok || !reply.records?.length) return;
      if (reply.feed) this.feedInfo = reply.feed;
      for (const record of reply.records) {
        this.store.append(record);
        this.streamText.track(record, () => bytesOf(record));
        if (this.matches(record)) this.log.push(record);
      }
      this.log.evictBefore(this.store.firstSeq);
      this.log.render();
      this.deps.onStatus();
    } finally {
      this.loading = false;
    }
  }

  private async fetchWhole(record: LogRecord): Promise<boolean> {
    if (record.length > PROTOCOL_LIMITS.maxRecordBytes) return false;
    const reply = await this.deps.request({ type: 'record', id: record.seq });
    const whole = reply.ok ? reply.records?.[0] : undefined;
    if (!whole) return false;
    setWholeBytes(record, base64ToBytes(whole.data));
    return true;
  }
}
