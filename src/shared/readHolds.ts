// Why TCP Lab has stopped reading a connection for a while, as a person reads it. TCP flow control
// then slows the peer down instead of TCP Lab buffering without bound; nothing is dropped.

import { t } from './l10n';

/** The engine's hold reasons (core READ_HOLD_CAPTURE, mock server READ_HOLD_REPLIES), restated: shared may not import the core. */
const PHRASES: Record<string, () => string> = {
  capture: () => t('capture is slowing this connection (the disk is slower than the network)'),
  replies: () => t('auto-replies are waiting for the peer to read them'),
};

/** One phrase for the reasons reading is held, or undefined when it is not. */
export function describeReadHolds(reasons: readonly string[]): string | undefined {
  if (reasons.length === 0) return undefined;
  return reasons.map((reason) => PHRASES[reason]?.() ?? t('reading paused ({0})', reason)).join('; ');
}
