// How a close reads to a person: what the wire did and who did it, not the engine's internal name.
// Shared so the tree, the panel header and the lifecycle rows say the same words.

import type { CloseReason } from './types';

const PHRASES: Record<CloseReason, string> = {
  local: 'closed by you',
  peerEnded: 'closed by peer (FIN)',
  reset: 'reset (RST)',
  error: 'closed by an error',
  timeout: 'timed out',
};

export function describeCloseReason(reason: string | undefined): string {
  return reason !== undefined && reason in PHRASES ? PHRASES[reason as CloseReason] : 'closed';
}
