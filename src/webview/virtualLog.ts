// The log list. Only the rows in view exist in the DOM (a small recycled pool), so the element
// count stays bounded whether the log holds a hundred records or a million. Rows have variable
// height (dump lines, expanded records); their tops are kept as prefix sums and found by binary
// search. Browsers cap an element's height, so very tall logs are scrolled through a scaled spacer.
import type { TextEncodingName } from '../shared/payloadTypes';
import { hexDumpLines, toHex } from '../shared/hexFormat';
import { toVisiblePrefix, toVisibleText } from './codec';
import { el, icon } from './dom';
import { iconClass } from './icons';
import { displayWidth, wrapDumpLine, wrapLine, wrappedDumpLineCount } from './lineWrap';
import { bytesOf, isComplete, leadingBytesOf, type LogRecord } from './recordStore';
import { carryOf, streamBytes, type TextCarry } from './streamText';
import { t } from '../shared/l10n';

export type ViewMode = 'text' | 'hex' | 'dump';

export const LINE_HEIGHT = 18;
const ROW_PADDING = 4;
/** Hard ceiling on pooled row elements, whatever the viewport. */
export const MAX_ROW_ELEMENTS = 200;
/** Tallest spacer we let the browser lay out; beyond it the scroll position is scaled. */
const MAX_SPACER = 8_000_000;
const PREVIEW_CHARS = 200;
const PREVIEW_HEX_BYTES = 32;
const PREVIEW_DUMP_LINES = 4;
/** Expanded rows show at most this much inline; Copy and Save log always have every byte. */
export const EXPANDED_LIMIT = 64 * 1024;
const TEXT_COLUMNS = 160;
/** A row's accessible name carries this much of what the row shows (a screen reader need not read 64 KiB). */
const SPOKEN_CHARS = 300;
const HEX_BYTES_PER_LINE = 32;

export interface RowContext {
  mode: ViewMode;
  encoding: TextEncodingName;
  timestamps: 'absolute' | 'relative';
  /** Time zero for relative timestamps. */
  origin: number;
  /** Listener panels show which client a record came from. */
  peerLabel?: (conn: string) => string;
  /** Long lines wrap to the log's width; otherwise they stay whole and the log scrolls sideways. */
  wrap: boolean;
  /** A proxy's panel names the two directions of the conversation instead of RX and TX. */
  directions?: DirectionLabels;
}

/** What the direction column says for received (`in`) and sent (`out`) records. */
export interface DirectionLabels {
  in: string;
  out: string;
}

/** A proxy pair's log: `in` is what the client sent (relayed upstream), `out` what the upstream sent back. */
export const PROXY_DIRECTIONS: DirectionLabels = { in: t('client → upstream'), out: t('upstream → client') };

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

export function formatTime(time: number, ctx: RowContext): string {
  if (ctx.timestamps === 'relative') {
    const delta = Math.max(0, time - ctx.origin);
    return `+${(delta / 1000).toFixed(3)}`;
  }
  const d = new Date(time);
  return `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${pad(d.getMilliseconds(), 3)}`;
}

interface Content {
  lines: string[];
  truncated: boolean;
}

function wrap(text: string, columns: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += columns) lines.push(text.slice(i, i + columns));
  return lines.length ? lines : [''];
}

/** Marks a record whose last character continues in the next record of its stream (shown whole there). */
export const CONTINUES_MARK = '⋯';

function continuation(carry: TextCarry | undefined): string {
  return carry && carry.hold > 0 ? CONTINUES_MARK : '';
}

/**
 * What a row shows for a record in the current mode; the preview unless expanded. With `columns`
 * (wrapping on) dump and expanded lines are cut to fit; a one-line text or hex preview is not, it
 * ends in an ellipsis instead.
 */
export function rowContent(record: LogRecord, ctx: RowContext, expanded: boolean, columns?: number): Content {
  if (record.kind === 'error') {
    // A frame the stream ended inside keeps its bytes: they are shown, never hidden.
    const rest = record.length > 0 ? ` ${toVisiblePrefix(leadingBytesOf(record, PREVIEW_CHARS * 4), ctx.encoding)}` : '';
    const line = `⚠ ${record.note ?? t('framing error')}${rest}`;
    // These rows cannot be expanded, so with wrapping on they wrap rather than end in an ellipsis.
    return { lines: columns ? wrapLine(line, columns) : [line], truncated: false };
  }
  if (record.kind === 'event') {
    // The direction column already marks it with a dot; the content is the sentence alone.
    const line = record.note ?? '';
    return { lines: columns ? wrapLine(line, columns) : [line], truncated: false };
  }
  // Text is decoded as part of the connection's stream, so a character split between records shows whole.
  const carry = ctx.mode === 'text' ? carryOf(record, ctx.encoding) : undefined;
  if (!expanded) {
    switch (ctx.mode) {
      case 'text': {
        const complete = record.length <= PREVIEW_CHARS * 4;
        const leading = complete ? streamBytes(leadingBytesOf(record, PREVIEW_CHARS * 4), carry) : leadingBytesOf(record, PREVIEW_CHARS * 4);
        const text = complete ? toVisibleText(leading, ctx.encoding) + continuation(carry) : toVisiblePrefix(leading, ctx.encoding);
        const truncated = text.length > PREVIEW_CHARS || record.length > PREVIEW_CHARS * 4;
        return { lines: [truncated ? text.slice(0, PREVIEW_CHARS) + ' …' : text], truncated };
      }
      case 'hex': {
        const truncated = record.length > PREVIEW_HEX_BYTES;
        return { lines: [toHex(leadingBytesOf(record, PREVIEW_HEX_BYTES)) + (truncated ? ' …' : '')], truncated };
      }
      case 'dump': {
        const lines = hexDumpLines(leadingBytesOf(record, PREVIEW_DUMP_LINES * 16));
        const truncated = record.length > PREVIEW_DUMP_LINES * 16;
        if (truncated) lines[lines.length - 1] += ' …';
        return { lines: lines.length ? (columns ? lines.flatMap((line) => wrapDumpLine(line, columns)) : lines) : [''], truncated };
      }
    }
  }
  const bytes = carry ? streamBytes(bytesOf(record), carry) : bytesOf(record);
  const shown = bytes.subarray(0, EXPANDED_LIMIT);
  let lines: string[];
  switch (ctx.mode) {
    case 'text': {
      const text = toVisibleText(shown, ctx.encoding) + (shown.length === bytes.length ? continuation(carry) : '');
      lines = columns ? wrapLine(text, columns) : wrap(text, TEXT_COLUMNS);
      break;
    }
    case 'hex': {
      // Whole bytes per line: "48 65 " is three columns a byte.
      const perLine = columns ? Math.max(1, Math.min(HEX_BYTES_PER_LINE, Math.floor((columns + 1) / 3))) : HEX_BYTES_PER_LINE;
      lines = [];
      for (let offset = 0; offset < shown.length; offset += perLine) lines.push(toHex(shown.subarray(offset, offset + perLine)));
      break;
    }
    case 'dump':
      lines = hexDumpLines(shown);
      if (columns) lines = lines.flatMap((line) => wrapDumpLine(line, columns));
      break;
  }
  if (!lines.length) lines = [''];
  if (!isComplete(record)) lines.push(`… ${t('loading all {0} bytes', record.length)}`);
  else if (bytes.length > EXPANDED_LIMIT) lines.push(`… ${t('{0} more bytes: use Copy or Save log for all of them', bytes.length - EXPANDED_LIMIT)}`);
  return { lines, truncated: true };
}

/** Line count without building the content, for the common (not expanded) case. */
function previewLines(record: LogRecord, ctx: RowContext, columns: number | undefined): number {
  if (record.kind === 'event' || record.kind === 'error') return columns ? rowContent(record, ctx, false, columns).lines.length : 1;
  if (ctx.mode !== 'dump') return 1;
  const full = Math.max(1, Math.min(PREVIEW_DUMP_LINES, Math.ceil(record.length / 16)));
  if (!columns || record.length === 0) return full;
  // Counted, not built: a Wrap toggle on a million-record log must not dump every record.
  const shown = Math.min(record.length, PREVIEW_DUMP_LINES * 16);
  const truncated = record.length > shown;
  let lines = 0;
  for (let line = 0; line < full; line++) {
    const bytes = Math.min(16, shown - line * 16);
    lines += wrappedDumpLineCount(bytes, truncated && line === full - 1 ? 2 : 0, columns);
  }
  return lines;
}

export interface VirtualLogEvents {
  onSelect(record: LogRecord): void;
  /** A row was expanded whose whole bytes this webview does not have yet. */
  onNeedWhole(record: LogRecord): void;
  onUserScrollUp(): void;
  /** The view reached the first (or last) row it holds: time to load the neighbours. */
  onReachStart(): void;
  onReachEnd(): void;
  /** The log's box changed size (the panel, or a section beside or below it): time to re-place the view. */
  onResize(): void;
  /** Rows in view may show something else now: draw them with the next frame. */
  onRedraw(): void;
}

/**
 * Where the rows this list holds sit in the whole log, for `aria-setsize` / `aria-posinset`: the
 * list holds a window of the host's rows, so its own count is not the log's size. `size` is -1
 * when the whole is not known (a filter over a log only partly loaded), as ARIA asks.
 */
export interface RowExtent {
  size: number;
  /** Position (1-based) of the first row held. */
  first: number;
}

/** The rows in the DOM, named for assistive tools: what the row says and what it shows. */
export function spokenName(what: string, lines: readonly string[]): string {
  const shown = lines.join(' ').trim();
  if (!shown) return what;
  return `${what}: ${shown.length > SPOKEN_CHARS ? `${shown.slice(0, SPOKEN_CHARS)} …` : shown}`;
}

/** Within this many pixels of an edge the neighbouring rows are loaded. */
const EDGE_PX = 4 * LINE_HEIGHT;

export class VirtualLog {
  readonly root: HTMLElement;
  private readonly spacer: HTMLElement;
  private entries: LogRecord[] = [];
  private tops: number[] = [];
  private head = 0;
  private end = 0;
  private readonly expanded = new Set<number>();
  private readonly expandedLines = new Map<number, number>();
  /** Row elements: those in view first, in view order, then the spare ones (hidden). */
  private pool: HTMLElement[] = [];
  /** What each pooled element shows (keyOf), '' for a spare one. */
  private poolKeys: string[] = [];
  private selectedSeq: number | undefined;
  private lastAutoScrollTop = -1;
  private layoutVersion = 0;
  /** Columns a wrapped line may take; undefined while wrapping is off (or nothing is measured yet). */
  private columns: number | undefined;
  /** An invisible row of the real layout, for measuring the content column and one character. */
  private readonly probe: HTMLElement;
  private readonly probeChars: HTMLElement;
  private charWidth = 0;
  private contentLeft = 0;
  /** The widest line drawn since the layout changed, in columns: the sideways scroll range stays put. */
  private widest = 0;
  private lastWidth = -1;
  private extent: ((count: number) => RowExtent) | undefined;
  /** Where scrollToEnd put the view, for the render that follows it. */
  private scrollTopToDraw: number | undefined;
  /** The scroll position the rows were last drawn for. */
  private renderedScrollTop = -1;
  /** The log's height when it last changed size (-1 until first observed). */
  private observedHeight = -1;

  constructor(
    private ctx: RowContext,
    private readonly events: VirtualLogEvents,
  ) {
    this.spacer = el('div', { className: 'spacer' });
    this.probeChars = el('span', { text: '0'.repeat(10) });
    this.probe = el('div', { className: 'row probe', attrs: { 'aria-hidden': 'true' } });
    this.probe.hidden = true;
    this.root = el('div', {
      className: 'log',
      attrs: { role: 'listbox', tabindex: '0', 'aria-label': t('Traffic log: arrow keys move, Enter expands, Ctrl+C copies') },
    }, [this.spacer, this.probe]);
    this.root.classList.toggle('wrap', ctx.wrap);
    this.root.addEventListener('scroll', () => {
      // Only the user moves the view up. A log that grew (a section above or below it collapsed)
      // clamps scrollTop too, but leaves the view at the end: that is no reason to stop following.
      const atEnd = this.atEnd;
      if (this.lastAutoScrollTop >= 0 && this.root.scrollTop < this.lastAutoScrollTop - LINE_HEIGHT && !atEnd) {
        this.lastAutoScrollTop = -1;
        events.onUserScrollUp();
      } else if (atEnd && this.lastAutoScrollTop >= 0) this.lastAutoScrollTop = this.root.scrollTop;
      // The scroll a render made itself (following the tail) needs no second render: rows pushed
      // since then have one queued already, and drawing them here would draw them twice.
      if (this.root.scrollTop !== this.renderedScrollTop) this.render();
      if (this.count === 0) return;
      if (this.root.scrollTop <= EDGE_PX) events.onReachStart();
      if (this.root.scrollTop + this.root.clientHeight >= this.root.scrollHeight - EDGE_PX) events.onReachEnd();
    });
    this.root.addEventListener('keydown', (event) => this.onKey(event));
    new ResizeObserver(() => {
      // Layout is fresh inside the observer, so reading it here costs nothing.
      this.observedHeight = this.root.clientHeight;
      const width = this.root.clientWidth;
      if (width !== this.lastWidth) {
        this.lastWidth = width;
        if (this.measure()) this.relayoutKeepingPosition();
      }
      events.onResize();
    }).observe(this.root);
    this.spacer.addEventListener('click', (event) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>('.row');
      if (!row) return;
      const record = this.recordBySeq(Number(row.dataset.seq));
      if (!record) return;
      if ((event.target as HTMLElement).classList.contains('expand')) this.toggleExpanded(record);
      this.select(record);
    });
  }

  /** How to place the rows held within the whole log (set by the window that loads them). */
  setExtent(extent: (count: number) => RowExtent): void {
    this.extent = extent;
  }

  /**
   * The log's height as of its last resize, without forcing a layout: for estimates made while
   * updates arrive (how many rows to ask the host for), where reading clientHeight would lay out
   * the page in the middle of a message.
   */
  get heightHint(): number {
    return this.observedHeight >= 0 ? this.observedHeight : this.root.clientHeight;
  }

  /** The view shows the last row (within a line): where scrolling down resumes following. */
  get atEnd(): boolean {
    return this.root.scrollTop + this.root.clientHeight >= this.root.scrollHeight - LINE_HEIGHT;
  }

  get count(): number {
    return this.entries.length - this.head;
  }

  /** Row elements currently in the DOM (bounded by MAX_ROW_ELEMENTS). */
  get rowElementCount(): number {
    return this.pool.length;
  }

  get selected(): LogRecord | undefined {
    return this.selectedSeq === undefined ? undefined : this.recordBySeq(this.selectedSeq);
  }

  setContext(ctx: RowContext): void {
    const previous = this.ctx;
    const peersChanged = !ctx.peerLabel !== !previous.peerLabel || !ctx.directions !== !previous.directions;
    let layoutChanged = ctx.mode !== previous.mode || ctx.encoding !== previous.encoding || ctx.wrap !== previous.wrap || peersChanged;
    const sameLook = !layoutChanged && ctx.timestamps === previous.timestamps && ctx.origin === previous.origin
      && ctx.directions?.in === previous.directions?.in && ctx.directions?.out === previous.directions?.out;
    if (sameLook) {
      // Only who the peers are changed (a client joined or left): a row's key holds its peer's
      // label, so just the rows whose label differs are drawn again, with the next frame. Drawing
      // here, in the middle of a message, would lay out the whole workbench page on the spot.
      this.ctx = ctx;
      this.events.onRedraw();
      return;
    }
    this.ctx = ctx;
    this.root.classList.toggle('wrap', ctx.wrap);
    // A proxy's direction column holds "upstream → client": the grid widens that column.
    this.root.classList.toggle('proxy', ctx.directions !== undefined);
    if (this.measure()) layoutChanged = true;
    if (layoutChanged) this.relayoutKeepingPosition();
    else this.invalidateRows();
    this.render();
  }

  /** Replaces the list, e.g. after a filter change, keeping the selection when it survives. */
  reset(records: Iterable<LogRecord>): void {
    this.entries = [];
    this.tops = [];
    this.head = 0;
    this.end = 0;
    for (const record of records) this.push(record);
    this.invalidateRows();
    this.resetWidth();
  }

  /** Replaces the list with older rows in front, keeping the rows on screen where they are. */
  resetKeepingPosition(records: Iterable<LogRecord>): void {
    const viewport = this.root.clientHeight || 400;
    const { spacerHeight, total } = this.updateSpacer();
    const offset = this.offsetFor(this.root.scrollTop, viewport, spacerHeight, total);
    const anchorIndex = this.indexAt(offset + this.base);
    const anchor = this.entries[anchorIndex];
    const within = anchor ? offset + this.base - this.tops[anchorIndex] : 0;
    this.reset(records);
    this.updateSpacer();
    const index = anchor ? this.indexOfSeq(anchor.seq) : undefined;
    if (index !== undefined) this.root.scrollTop = this.scrollTopFor(this.tops[index] - this.base + within);
    this.render();
  }

  /** A row's content changed (its whole bytes arrived): lay it out again. */
  refresh(): void {
    this.relayoutKeepingPosition();
    this.render();
  }

  push(record: LogRecord): void {
    this.entries.push(record);
    this.tops.push(this.end);
    this.end += this.heightOf(record);
  }

  /** Drops rows for records the store has forgotten (they are always the oldest). */
  evictBefore(seq: number): void {
    while (this.head < this.entries.length && this.entries[this.head].seq < seq) {
      this.expanded.delete(this.entries[this.head].seq);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.tops = this.tops.slice(this.head);
      this.head = 0;
    }
  }

  /** Moves the view to the end; the next render draws the rows there. */
  scrollToEnd(): void {
    this.updateSpacer();
    // Chromium clamps a scroll position to the shrunk log only later in the frame, so reading
    // scrollTop back here can give the old end: the render after this uses the end worked out here.
    const end = Math.max(0, this.root.scrollHeight - this.root.clientHeight);
    this.root.scrollTop = end;
    this.lastAutoScrollTop = end;
    this.scrollTopToDraw = end;
  }

  /**
   * Draws the rows in view. A row already drawn for a record still in view keeps its element, so a
   * window that moved by a few rows (a scroll, the tail growing) fills only the rows that came in.
   */
  render(): void {
    const { spacerHeight, total } = this.updateSpacer();
    const viewport = this.root.clientHeight || 400;
    const scrollTop = this.scrollTopToDraw ?? this.root.scrollTop;
    this.scrollTopToDraw = undefined;
    this.renderedScrollTop = scrollTop;
    const offset = this.offsetFor(scrollTop, viewport, spacerHeight, total);
    const base = this.base;
    const inView: number[] = [];
    for (let index = this.indexAt(offset + base); index < this.entries.length && inView.length < MAX_ROW_ELEMENTS && index >= this.head; index++) {
      if (this.tops[index] - base >= offset + viewport) break;
      inView.push(index);
    }
    const keys = inView.map((index) => this.keyOf(this.entries[index]));
    const drawn = new Map<string, HTMLElement>();
    this.pool.forEach((row, i) => {
      if (this.poolKeys[i]) drawn.set(this.poolKeys[i], row);
    });
    const wanted = new Set(keys);
    const spare = this.pool.filter((_, i) => !wanted.has(this.poolKeys[i]));
    const rows: HTMLElement[] = [];
    const filled: boolean[] = [];
    keys.forEach((key, i) => {
      let row = drawn.get(key);
      filled.push(!row);
      if (!row) {
        row = spare.shift() ?? this.newRowElement();
        this.fillRow(row, this.entries[inView[i]]);
      }
      rows.push(row);
    });
    this.placeInOrder(rows, filled);
    // The window moves with every update: positions are set on each render, not keyed with the row.
    const extent = this.extent?.(this.count) ?? { size: this.count, first: 1 };
    const setSize = String(extent.size);
    rows.forEach((row, i) => {
      const index = inView[i];
      row.style.transform = `translateY(${Math.round(scrollTop + this.tops[index] - base - offset)}px)`;
      setAttributeIfChanged(row, 'aria-setsize', setSize);
      setAttributeIfChanged(row, 'aria-posinset', String(extent.first + index - this.head));
      row.hidden = false;
    });
    for (const row of spare) {
      if (row.hidden) continue;
      // Emptied as well as hidden, so nothing stale lingers for find-in-page or assistive tools.
      row.hidden = true;
      row.replaceChildren();
      row.className = 'row';
      row.removeAttribute('id');
      row.removeAttribute('aria-label');
      row.removeAttribute('aria-setsize');
      row.removeAttribute('aria-posinset');
    }
    this.pool = [...rows, ...spare];
    this.poolKeys = [...keys, ...spare.map(() => '')];
  }

  /** What a drawn row shows: it is drawn again when any of this changes. */
  private keyOf(record: LogRecord): string {
    return `${record.seq}|${this.layoutVersion}|${this.expanded.has(record.seq)}|${this.selectedSeq === record.seq}|${this.ctx.peerLabel?.(record.conn) ?? ''}`;
  }

  /**
   * Keeps the rows' document order the view's order (assistive tools and find-in-page read it).
   * Rows kept from the last render are already in order; only the refilled ones move, next to them.
   */
  private placeInOrder(rows: HTMLElement[], filled: boolean[]): void {
    let nextKept: HTMLElement | undefined;
    const nextKeptAt: (HTMLElement | undefined)[] = new Array(rows.length);
    for (let i = rows.length - 1; i >= 0; i--) {
      nextKeptAt[i] = nextKept;
      if (!filled[i]) nextKept = rows[i];
    }
    rows.forEach((row, i) => {
      if (!filled[i]) return;
      const before = nextKeptAt[i];
      if (before) {
        if (row.nextElementSibling !== before) before.before(row);
      } else if (i > 0 && rows[i - 1].nextElementSibling !== row) rows[i - 1].after(row);
    });
  }

  private get base(): number {
    return this.head < this.tops.length ? this.tops[this.head] : this.end;
  }

  private updateSpacer(): { spacerHeight: number; total: number } {
    const total = this.end - this.base;
    const spacerHeight = Math.min(total, MAX_SPACER);
    const wanted = `${spacerHeight}px`;
    if (this.spacer.style.height !== wanted) this.spacer.style.height = wanted;
    return { spacerHeight, total };
  }

  private offsetFor(scrollTop: number, viewport: number, spacerHeight: number, total: number): number {
    if (total <= spacerHeight || spacerHeight <= viewport) return scrollTop;
    return (scrollTop / (spacerHeight - viewport)) * (total - viewport);
  }

  private scrollTopFor(offset: number): number {
    const viewport = this.root.clientHeight || 400;
    const total = this.end - this.base;
    const spacerHeight = Math.min(total, MAX_SPACER);
    if (total <= spacerHeight || spacerHeight <= viewport) return offset;
    return (offset / (total - viewport)) * (spacerHeight - viewport);
  }

  /** Index of the row covering absolute position `y`. */
  private indexAt(y: number): number {
    let lo = this.head;
    let hi = this.entries.length - 1;
    if (hi < lo) return lo;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.tops[mid] <= y) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private heightOf(record: LogRecord): number {
    let lines: number;
    if (this.expanded.has(record.seq)) {
      lines = this.expandedLines.get(record.seq) ?? rowContent(record, this.ctx, true, this.columns).lines.length;
      this.expandedLines.set(record.seq, lines);
    } else lines = previewLines(record, this.ctx, this.columns);
    return lines * LINE_HEIGHT + ROW_PADDING;
  }

  /**
   * Measures the content column and a character with the probe row, and works out how many columns
   * a wrapped line may take. Returns whether that changed (rows then need laying out again).
   */
  private measure(): boolean {
    const before = this.columns;
    this.probe.replaceChildren(
      el('span', { className: 'time', text: '00:00:00.000' }),
      this.ctx.directions ? el('span', { className: 'dir', text: this.ctx.directions.in }) : el('span', { className: 'dir' }, [icon('arrow-left'), 'RX']),
      ...(this.ctx.peerLabel ? [el('span', { className: 'peer', text: '' })] : []),
      el('span', { className: 'len', text: '0' }),
      el('span', { className: 'expand placeholder' }),
      el('span', { className: 'content' }, [this.probeChars]),
    );
    this.probe.hidden = false;
    const content = this.probe.lastElementChild as HTMLElement;
    this.charWidth = this.probeChars.getBoundingClientRect().width / 10;
    this.contentLeft = content.offsetLeft;
    const available = content.clientWidth;
    // Hidden and emptied again, so find-in-page and the tests' row readers never meet it.
    this.probe.hidden = true;
    this.probe.replaceChildren();
    this.columns = this.ctx.wrap && this.charWidth > 0 ? Math.max(16, Math.floor(available / this.charWidth)) : undefined;
    this.applyMinWidth();
    return this.columns !== before;
  }

  private applyMinWidth(): void {
    const wanted = this.ctx.wrap || this.widest === 0 || this.charWidth <= 0 ? '' : `${Math.ceil(this.contentLeft + this.widest * this.charWidth + 2 * ROW_PADDING + 6)}px`;
    if (this.spacer.style.minWidth !== wanted) this.spacer.style.minWidth = wanted;
  }

  /** Without wrapping, the sideways scroll range covers the widest line drawn so far. */
  private noteWidth(lines: readonly string[]): void {
    if (this.ctx.wrap || this.charWidth <= 0) return;
    let widest = this.widest;
    for (const line of lines) if (line.length > widest) widest = Math.max(widest, displayWidth(line));
    if (widest === this.widest) return;
    this.widest = widest;
    this.applyMinWidth();
  }

  private relayoutKeepingPosition(): void {
    const viewport = this.root.clientHeight || 400;
    const { spacerHeight, total } = this.updateSpacer();
    const offset = this.offsetFor(this.root.scrollTop, viewport, spacerHeight, total);
    const anchorIndex = this.indexAt(offset + this.base);
    const anchorSeq = this.entries[anchorIndex]?.seq;
    this.expandedLines.clear();
    this.resetWidth();
    this.end = 0;
    for (let i = this.head; i < this.entries.length; i++) {
      this.tops[i] = this.end;
      this.end += this.heightOf(this.entries[i]);
    }
    this.invalidateRows();
    this.updateSpacer();
    if (anchorSeq !== undefined) this.root.scrollTop = this.scrollTopFor(this.tops[anchorIndex] - this.base);
  }

  private invalidateRows(): void {
    this.layoutVersion++;
  }

  /** Other rows, or rows laid out anew: the sideways range starts over from what gets drawn. */
  private resetWidth(): void {
    this.widest = 0;
    this.applyMinWidth();
  }

  private toggleExpanded(record: LogRecord): void {
    if (this.expanded.has(record.seq)) this.expanded.delete(record.seq);
    else {
      this.expanded.add(record.seq);
      if (!isComplete(record)) this.events.onNeedWhole(record);
    }
    this.relayoutKeepingPosition();
    this.render();
  }

  private select(record: LogRecord): void {
    this.selectedSeq = record.seq;
    this.root.setAttribute('aria-activedescendant', `row-${record.seq}`);
    this.events.onSelect(record);
    this.render();
  }

  private recordBySeq(seq: number): LogRecord | undefined {
    const index = this.indexOfSeq(seq);
    return index === undefined ? undefined : this.entries[index];
  }

  private indexOfSeq(seq: number): number | undefined {
    let lo = this.head;
    let hi = this.entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const value = this.entries[mid].seq;
      if (value === seq) return mid;
      if (value < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  private onKey(event: KeyboardEvent): void {
    if (this.count === 0) return;
    const current = this.selectedSeq === undefined ? undefined : this.indexOfSeq(this.selectedSeq);
    const page = Math.max(1, Math.floor((this.root.clientHeight || 400) / LINE_HEIGHT) - 1);
    let next: number | undefined;
    switch (event.key) {
      case 'ArrowDown':
        next = current === undefined ? this.head : current + 1;
        break;
      case 'ArrowUp':
        next = current === undefined ? this.entries.length - 1 : current - 1;
        break;
      case 'PageDown':
        next = (current ?? this.head) + page;
        break;
      case 'PageUp':
        next = (current ?? this.entries.length - 1) - page;
        break;
      case 'Home':
        next = this.head;
        break;
      case 'End':
        next = this.entries.length - 1;
        break;
      case 'Enter':
      case ' ':
        if (current !== undefined) {
          event.preventDefault();
          this.toggleExpanded(this.entries[current]);
        }
        return;
      default:
        return;
    }
    event.preventDefault();
    next = Math.max(this.head, Math.min(this.entries.length - 1, next));
    const record = this.entries[next];
    if (event.key === 'ArrowUp' || event.key === 'PageUp' || event.key === 'Home') this.events.onUserScrollUp();
    this.revealIndex(next);
    this.select(record);
  }

  private revealIndex(index: number): void {
    const viewport = this.root.clientHeight || 400;
    const { spacerHeight, total } = this.updateSpacer();
    const offset = this.offsetFor(this.root.scrollTop, viewport, spacerHeight, total);
    const top = this.tops[index] - this.base;
    const bottom = top + this.heightOf(this.entries[index]);
    if (top < offset) this.root.scrollTop = this.scrollTopFor(top);
    else if (bottom > offset + viewport) this.root.scrollTop = this.scrollTopFor(Math.max(0, bottom - viewport));
  }

  private newRowElement(): HTMLElement {
    const row = el('div', { className: 'row', attrs: { role: 'option' } });
    this.spacer.append(row);
    return row;
  }

  private fillRow(row: HTMLElement, record: LogRecord): void {
    const expanded = this.expanded.has(record.seq);
    const content = rowContent(record, this.ctx, expanded, this.columns);
    this.noteWidth(content.lines);
    const incoming = record.dir === 'in';
    row.id = `row-${record.seq}`;
    row.dataset.seq = String(record.seq);
    row.className = `row ${record.kind === 'event' ? 'event' : incoming ? 'in' : 'out'}${record.kind ? ` kind-${record.kind}` : ''}${record.invalid ? ' invalid' : ''}${record.fault ? ' faulted' : ''}`;
    row.setAttribute('aria-selected', String(this.selectedSeq === record.seq));
    const peer = this.ctx.peerLabel?.(record.conn);
    const number = record.rec > 0 ? ` #${record.rec}` : '';
    const labels = this.ctx.directions;
    const what = record.kind === 'error'
      ? t('Framing error')
      : record.kind === 'event'
        ? t('Connection event')
        : labels
          ? record.kind === 'frame'
            ? t('Frame{0} of {1} bytes, {2}', number, record.length, incoming ? labels.in : labels.out)
            : t('Chunk{0} of {1} bytes, {2}', number, record.length, incoming ? labels.in : labels.out)
          : record.kind === 'frame'
            ? record.invalid ? t('Received invalid frame{0} of {1} bytes', number, record.length) : t('Received frame{0} of {1} bytes', number, record.length)
            : incoming ? t('Received{0} {1} bytes', number, record.length) : t('Sent{0} {1} bytes', number, record.length);
    const fault = `${record.fault ? `, ${t('fault: {0}', record.fault)}` : ''}${record.injected ? `, ${t('injected from the panel')}` : ''}`;
    // The label replaces the row's content for a screen reader, so it says what arrived, not only that something did.
    const withPeer = peer ? (incoming ? t('{0} from {1}', what, peer) : t('{0} to {1}', what, peer)) : what;
    const summary = t('{0} at {1}', withPeer, formatTime(record.time, this.ctx)) + fault;
    const noted = record.note && record.kind !== 'error' && record.kind !== 'event' ? `${summary} [${record.note}]` : summary;
    row.setAttribute('aria-label', spokenName(noted, content.lines));
    row.title = record.rec > 0 ? t('Record #{0} of {1}', record.rec, record.conn) : '';
    row.replaceChildren(
      el('span', { className: 'time', text: formatTime(record.time, this.ctx) }),
      record.kind === 'event'
        ? el('span', { className: 'dir', attrs: { 'aria-hidden': 'true' } }, [icon('circle-small-filled')])
        : labels
          ? el('span', { className: 'dir', text: incoming ? labels.in : labels.out, attrs: { 'aria-hidden': 'true' } })
          : el('span', { className: 'dir', attrs: { 'aria-hidden': 'true' } }, [icon(incoming ? 'arrow-left' : 'arrow-right'), incoming ? 'RX' : 'TX']),
      ...(peer !== undefined ? [el('span', { className: 'peer', text: peer, attrs: { title: peer } })] : []),
      el('span', { className: 'len', text: record.kind === 'event' ? '' : String(record.length) }),
      content.truncated
        ? el('span', { className: `expand ${iconClass(expanded ? 'chevron-down' : 'chevron-right')}`, attrs: { 'aria-hidden': 'true', title: expanded ? t('Collapse') : t('Expand') } })
        : el('span', { className: 'expand placeholder' }),
      el('span', { className: 'content' }, [
        // Error and event rows say their note in the content itself.
        record.note && record.kind !== 'error' && record.kind !== 'event' ? el('span', { className: 'note', text: `[${record.note}] ` }) : undefined,
        // The engine's words about a fault, never peer bytes; still text only.
        record.fault ? el('span', { className: 'fault-mark', text: `⚡ ${record.fault} ` }) : undefined,
        record.injected ? el('span', { className: 'injected-mark', text: '✚ injected ' }) : undefined,
        content.lines.join('\n'),
      ]),
    );
    row.style.height = `${content.lines.length * LINE_HEIGHT + ROW_PADDING}px`;
  }
}

function setAttributeIfChanged(node: HTMLElement, name: string, value: string): void {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}
