// What the panel's pieces share: the view state that survives hiding and reloads, and a context
// through which each piece reads the settings and target and talks to the host.
import type { ChecksumDefinition } from '../shared/checksum';
import type { CopyFormat } from '../shared/copyFormats';
import type { VariableScope } from '../shared/variables';
import type { LineEnding, PayloadFormat, TextEncodingName } from '../shared/payloadTypes';
import type { BehaviourInfo, PanelSettings, ReplyMessage, RequestBody, TargetInfo } from '../shared/protocol';
import type { ViewMode } from './virtualLog';
export { formatBytes } from '../shared/formatBytes';
export { formatEndpoint as endpointText } from '../shared/hostPort';

export /** What survives the panel being hidden or the window reloading. */
interface ViewState {
  targetId?: string;
  mode: ViewMode;
  encoding?: TextEncodingName;
  timestamps?: 'absolute' | 'relative';
  filterText: string;
  filterKind: 'text' | 'hex';
  direction: 'all' | 'in' | 'out';
  sendFormat: PayloadFormat;
  sendEncoding?: TextEncodingName;
  lineEnding?: LineEnding;
  copyFormat: CopyFormat;
  /** Wrap long log lines to the width, or keep them whole and scroll sideways. */
  wrap?: boolean;
  saveFormat?: 'jsonl' | 'csv' | 'pcapng';
  /** What this panel last showed that can be started again after a reload: a listener or an outgoing connection. */
  lastTarget?: RestartTarget;
  /** The framing, echo and rules it had, when any: offered again once the same target is back. */
  lastBehaviour?: BehaviourInfo;
  history: { format: PayloadFormat; text: string }[];
  draft: string;
  /** The checksum the send box appends, as a definition (algorithm, range, order); absent: none. */
  sendChecksum?: ChecksumDefinition;
  /** The last `{{$counter}}` value this panel sent (send box and quick-send bar count together). */
  counter?: number;
}

/** A listener to start again on its port, or a server to connect to again. */
export interface RestartTarget {
  kind: 'listen' | 'connect';
  host: string;
  port: number;
}

/** What could bring a target back after a reload (accepted connections cannot be). */
export function restartTargetOf(target: TargetInfo): RestartTarget | undefined {
  // A proxy comes back from its preset or Start Proxy, not as a plain listener on its port.
  if (target.proxy) return undefined;
  if (target.kind === 'listener') return { kind: 'listen', host: target.host, port: target.local?.port ?? target.requestedPort };
  if (target.role === 'client' && target.remote) return { kind: 'connect', host: target.remote.address, port: target.remote.port };
  return undefined;
}

/** Whether a behaviour does anything (framing, echo or a rule). */
export function hasBehaviour(behaviour: BehaviourInfo | undefined): behaviour is BehaviourInfo {
  return behaviour !== undefined && (behaviour.framing.mode !== 'none' || behaviour.echo || behaviour.rules.length > 0);
}

export function sameRestartTarget(a: RestartTarget | undefined, b: RestartTarget | undefined): boolean {
  return a !== undefined && b !== undefined && a.kind === b.kind && a.host === b.host && a.port === b.port;
}


/** A latency as people read it: milliseconds up to 10 s, then seconds, then minutes. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${ms} ms`;
  if (ms < 600_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

export function isTargetOpen(target: TargetInfo | undefined): boolean {
  if (!target) return false;
  return target.kind === 'connection' ? target.state === 'open' || target.state === 'halfClosed' : target.listening;
}

/** Handed to each piece of the panel: the shared state, read fresh each time, and the host. */
export interface PanelContext {
  view: ViewState;
  persist(): void;
  settings(): PanelSettings;
  target(): TargetInfo | undefined;
  request(body: RequestBody): Promise<ReplyMessage>;
  showNotice(text: string): void;
}

/** The variables of a send from this panel: `{{$counter}}` counts on in the view state, so it survives hiding. */
export function sendScope(ctx: PanelContext): VariableScope {
  return {
    file: new Map(),
    environment: {},
    counter: () => {
      ctx.view.counter = (ctx.view.counter ?? 0) + 1;
      ctx.persist();
      return ctx.view.counter;
    },
  };
}

/** The variables of a preview: the counter value the next send would use, without using it up. */
export function previewScope(ctx: PanelContext): VariableScope {
  return { file: new Map(), environment: {}, counter: () => (ctx.view.counter ?? 0) + 1 };
}
