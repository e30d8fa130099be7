// Opt-in spoken summaries of received data (tcpLab.panel.announceReceived), for screen-reader users
// who cannot watch the log scroll. A busy connection would talk without end, so announcements are
// paced: the first record is said at once, and what arrives within the next interval is summed up
// in one sentence when it ends. No DOM here: the panel hands it a function that fills its polite
// live region, and the unit tier drives it with a fake clock.
import { t } from '../shared/l10n';

/** At most one announcement per this many milliseconds. */
export const ANNOUNCE_INTERVAL_MS = 2000;
/** How much of a payload is read out; the log row has the rest. */
export const ANNOUNCE_CHARS = 120;

export interface AnnouncerClock {
  now(): number;
  /** Runs `callback` after `ms`; returns a function that cancels it. */
  later(callback: () => void, ms: number): () => void;
}

interface Pending {
  count: number;
  bytes: number;
  /** The newest payload's text, as the log shows it. */
  latest: string;
}

interface Waiting {
  count: number;
  bytes: number;
  /** Makes the newest payload's text: only the one read out is ever rendered. */
  latest: () => string;
}

function clip(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > ANNOUNCE_CHARS ? `${trimmed.slice(0, ANNOUNCE_CHARS)} …` : trimmed;
}

/** One sentence for what arrived: the payload itself when it was one record, a sum otherwise. */
export function announcement(pending: Pending): string {
  const latest = clip(pending.latest);
  if (pending.count === 1) {
    const received = pending.bytes === 1 ? t('Received 1 byte') : t('Received {0} bytes', pending.bytes);
    return latest ? `${received}: ${latest}` : received;
  }
  const sum = t('Received {0} messages, {1} bytes', pending.count, pending.bytes);
  return latest ? t('{0}; the latest: {1}', sum, latest) : sum;
}

export class ReceivedAnnouncer {
  private enabled = false;
  private pending: Waiting | undefined;
  /** When the last announcement was made (-Infinity: never). */
  private lastAt = Number.NEGATIVE_INFINITY;
  private cancel: (() => void) | undefined;

  constructor(
    private readonly say: (text: string) => void,
    private readonly clock: AnnouncerClock,
    private readonly intervalMs = ANNOUNCE_INTERVAL_MS,
  ) {}

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (!enabled) this.reset();
  }

  /**
   * A received record reached the panel; `text` makes what its log row shows. It is called only for
   * the record that is read out, so a flood costs nothing here, and nothing at all while switched off.
   */
  received(text: () => string, bytes: number): void {
    if (!this.enabled) return;
    const pending = this.pending ?? { count: 0, bytes: 0, latest: text };
    pending.count++;
    pending.bytes += bytes;
    pending.latest = text;
    this.pending = pending;
    if (this.cancel) return;
    const wait = this.lastAt + this.intervalMs - this.clock.now();
    if (wait <= 0) this.flush();
    else this.cancel = this.clock.later(() => this.flush(), wait);
  }

  /** Forgets what was waiting (the panel was cleared or switched off announcements). */
  reset(): void {
    this.cancel?.();
    this.cancel = undefined;
    this.pending = undefined;
  }

  private flush(): void {
    this.cancel = undefined;
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return;
    this.lastAt = this.clock.now();
    this.say(announcement({ count: pending.count, bytes: pending.bytes, latest: pending.latest() }));
  }
}
