// What stays after a connection closes or a listener stops: short-lived clients are the most common
// visitors of a test listener, so their logs outlive their sockets. Bounded by a count and by one
// byte budget over every retained log, so a thousand short clients cannot grow memory without bound.
import type { Connection } from './connection';
import type { Listener } from './listener';

export interface HistoryLimits {
  /** Closed connections and stopped listeners kept, oldest forgotten first. */
  maxClosed: number;
  /** Bytes all retained logs of closed connections may hold together. */
  maxBytes: number;
}

/** The defaults of `tcpLab.history.maxClosed` and `tcpLab.history.maxBytes`. */
export const DEFAULT_HISTORY_LIMITS: Readonly<HistoryLimits> = { maxClosed: 100, maxBytes: 64 * 1024 * 1024 };

export type HistoryItem = Listener | Connection;

function isConnection(item: HistoryItem): item is Connection {
  return 'log' in item;
}

function heldBytes(item: HistoryItem): number {
  // What the closed connection keeps in memory, a store kept at close included (TrafficLog.compact).
  return isConnection(item) ? item.log.heldBytes : 0;
}

export class ConnectionHistory {
  /** In the order they closed: the front is the first to be forgotten. */
  private items: HistoryItem[] = [];
  private bytes = 0;
  private limits: HistoryLimits = { ...DEFAULT_HISTORY_LIMITS };

  /** Called with every item the limits (or a removal) forget, so its owner can release it. */
  constructor(private readonly onForget: (item: HistoryItem) => void) {}

  setLimits(limits: Partial<HistoryLimits>): void {
    const sane = (value: number | undefined, fallback: number): number =>
      value === undefined || !Number.isFinite(value) || value < 0 ? fallback : Math.floor(value);
    this.limits = { maxClosed: sane(limits.maxClosed, this.limits.maxClosed), maxBytes: sane(limits.maxBytes, this.limits.maxBytes) };
    this.enforce();
  }

  get size(): number {
    return this.items.length;
  }

  /** Bytes the retained logs of closed connections hold right now. */
  get retainedBytes(): number {
    return this.bytes;
  }

  add(item: HistoryItem): void {
    this.items.push(item);
    this.bytes += heldBytes(item);
    this.enforce();
  }

  /** Oldest first. */
  all(): readonly HistoryItem[] {
    return this.items;
  }

  has(item: HistoryItem): boolean {
    return this.items.includes(item);
  }

  /** Forgets the items `predicate` picks; returns them. */
  remove(predicate: (item: HistoryItem) => boolean): HistoryItem[] {
    const removed: HistoryItem[] = [];
    const kept: HistoryItem[] = [];
    for (const item of this.items) (predicate(item) ? removed : kept).push(item);
    if (removed.length === 0) return removed;
    this.items = kept;
    for (const item of removed) this.forget(item);
    return removed;
  }

  /** A retained log was cleared or shrunk by new limits: recount. */
  recount(): void {
    this.bytes = this.items.reduce((sum, item) => sum + heldBytes(item), 0);
  }

  private enforce(): void {
    // The newest closed connection is kept even alone over the byte budget: its own log limits bound it.
    while (this.items.length > this.limits.maxClosed || (this.items.length > 1 && this.bytes > this.limits.maxBytes)) {
      const oldest = this.items.shift() as HistoryItem;
      this.forget(oldest);
    }
  }

  private forget(item: HistoryItem): void {
    this.bytes -= heldBytes(item);
    this.onForget(item);
  }
}
