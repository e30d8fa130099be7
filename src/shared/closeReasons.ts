// How a close reads to a person: what the wire did and who did it, not the engine's internal name.
// Shared so the tree, the panel header and the lifecycle rows say the same words.

import { t } from './l10n';
import type { CloseReason } from './types';

// Functions, not strings: each phrase is translated when shown, after the bundle is installed.
const PHRASES: Record<CloseReason, () => string> = {
  local: () => t('closed by you'),
  peerEnded: () => t('closed by peer (FIN)'),
  reset: () => t('reset (RST)'),
  error: () => t('closed by an error'),
  timeout: () => t('timed out'),
};

export function describeCloseReason(reason: string | undefined): string {
  return reason !== undefined && reason in PHRASES ? PHRASES[reason as CloseReason]() : t('closed');
}
