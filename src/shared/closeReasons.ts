// How a close reads to a person: what the wire did and who did it, not the engine's internal name.
// Shared so the tree, the panel header and the lifecycle rows say the same words.

/** The engine's close reasons (core/types CloseReason), restated: shared code may not import the core. */
export type CloseReasonName = 'local' | 'peerEnded' | 'reset' | 'error' | 'timeout';

const PHRASES: Record<CloseReasonName, string> = {
  local: 'closed by you',
  peerEnded: 'closed by peer (FIN)',
  reset: 'reset (RST)',
  error: 'closed by an error',
  timeout: 'timed out',
};

export function describeCloseReason(reason: string | undefined): string {
  return reason !== undefined && reason in PHRASES ? PHRASES[reason as CloseReasonName] : 'closed';
}
