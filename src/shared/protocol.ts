// The typed conversation between the traffic panel's host side and its webview.
// The webview speaks first with `ready`; the host answers with one `snapshot` (settings, target,
// recent traffic) and from then on streams batched `traffic` and `target` updates.
// Bytes always travel as base64 strings so every message is plain JSON.
// Shared code may not depend on the core, so the few engine shapes the wire carries are restated
// here; they are structurally identical to those in core/types.
import type { LineEnding, PayloadFormat, TextEncodingName } from './payloadTypes';

export type Direction = 'in' | 'out';
export type ConnectionState = 'connecting' | 'open' | 'halfClosed' | 'closed';
export interface Endpoint {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}
export interface TrafficTotals {
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
}

/** Message types the host sends to the webview. */
export const TO_WEBVIEW_TYPES = ['snapshot', 'traffic', 'target', 'settings', 'cleared', 'reply', 'behaviour'] as const;
export type ToWebviewType = (typeof TO_WEBVIEW_TYPES)[number];

/** Message types the webview sends to the host. */
export const FROM_WEBVIEW_TYPES = ['ready', 'listen', 'connect', 'send', 'close', 'clear', 'saveLog', 'copy', 'savePreset', 'behaviour', 'saveBehaviour', 'stopRepeat'] as const;
export type FromWebviewType = (typeof FROM_WEBVIEW_TYPES)[number];

/** Wire limits, shared so the webview refuses early what the host would refuse anyway. */
export const PROTOCOL_LIMITS = {
  /** Largest payload the webview may ask to send, in base64 characters (about 12 MiB of bytes). */
  maxSendBase64: 16 * 1024 * 1024,
  /** Largest text the webview may ask the host to put on the clipboard. */
  maxCopyChars: 32 * 1024 * 1024,
  maxHostChars: 255,
  maxNameChars: 200,
  maxPresetDataChars: 1024 * 1024,
  /** Largest framing/echo/rules definition the webview may post, as JSON characters. */
  maxBehaviourChars: 512 * 1024,
  /** Most copies of one payload a single send may make (coalesced or not). */
  maxCopies: 1000,
} as const;

/** One logged chunk of bytes as it crosses the wire. */
export interface WireRecord {
  /** Panel-wide sequence number, strictly increasing. */
  seq: number;
  /** Epoch milliseconds. */
  time: number;
  dir: Direction;
  /** Id of the connection that carried it (the peer column in listener panels). */
  conn: string;
  /** The bytes, base64. */
  data: string;
  /**
   * What the row is: absent for a chunk as it crossed the socket, 'frame' for a received frame cut
   * by the panel's framing, 'error' for an over-long, malformed or incomplete frame (data may be
   * empty; `note` says what happened), 'write' for one write of a send with faults.
   */
  kind?: 'frame' | 'error' | 'write';
  /** One sentence shown with the row (framing error, "write 2 of 3 at 50 ms"). */
  note?: string;
}

/** Client connections: request → response latency so far (ms). */
export interface LatencyInfo {
  count: number;
  p50?: number;
  p95?: number;
}

/** The host-side repeater of this panel, if one ran. */
export interface RepeatInfo {
  running: boolean;
  sent: number;
  /** Absent: until stopped. */
  count?: number;
  intervalMs: number;
  /** One sentence once it ended (completed, stopped, or why it failed). */
  outcome?: string;
}

/** A rule's live state, in rule order. */
export interface RuleHitInfo {
  hits: number;
  enabled: boolean;
  /** Why the engine switched it off (its regex ran out of time). */
  disabledReason?: string;
}

/** A connected client of a listener, for the peer column and the send target picker. */
export interface PeerInfo {
  id: string;
  remote?: Endpoint;
  state: ConnectionState;
}

/** What a panel is looking at: one connection, or a listener with its clients. */
export type TargetInfo =
  | {
      kind: 'connection';
      id: string;
      state: ConnectionState;
      local?: Endpoint;
      remote?: Endpoint;
      totals: TrafficTotals;
      openedAt: number;
      closeReason?: string;
      role?: 'client' | 'accepted';
      latency?: LatencyInfo;
      repeat?: RepeatInfo;
    }
  | {
      kind: 'listener';
      id: string;
      listening: boolean;
      host: string;
      requestedPort: number;
      local?: Endpoint;
      totals: TrafficTotals;
      startedAt: number;
      /** Every client seen since the panel opened, open ones first. */
      peers: PeerInfo[];
      repeat?: RepeatInfo;
      /** Hit counters of the auto-reply rules, in rule order. */
      ruleHits?: RuleHitInfo[];
    };

/**
 * How the panel frames received bytes and (listeners) answers them, as plain preset JSON: `framing`
 * is a FramingDefinition, `rules` a list of RuleDefinition, exactly as in settings.json.
 */
export interface BehaviourInfo {
  framing: Record<string, unknown>;
  echo: boolean;
  rules: Record<string, unknown>[];
}

/** User settings the panel honours. */
export interface PanelSettings {
  encoding: TextEncodingName;
  lineEnding: LineEnding;
  timestamps: 'absolute' | 'relative';
  maxRecords: number;
  maxBytes: number;
  defaultHost: string;
}

// ---- host → webview ----

/** The full state, the answer to `ready`; target undefined means "show the Listen/Connect forms". */
export interface SnapshotMessage {
  type: 'snapshot';
  settings: PanelSettings;
  target?: TargetInfo;
  records: WireRecord[];
  /** Records dropped by the log limits before this snapshot, so the count stays honest. */
  evicted: number;
  /** One sentence shown above the forms, e.g. why a restored panel lost its target. */
  notice?: string;
  behaviour?: BehaviourInfo;
}

/** The framing, echo or rules changed (from this panel or another one on the same listener). */
export interface BehaviourMessage {
  type: 'behaviour';
  behaviour: BehaviourInfo;
}

/** New records since the last flush; at most about 30 of these per second. */
export interface TrafficMessage {
  type: 'traffic';
  records: WireRecord[];
  /** Records the host had to skip because the panel could not keep up. */
  dropped: number;
}

/** Fresh state and counters of the target. */
export interface TargetMessage {
  type: 'target';
  target: TargetInfo;
}

/** Settings changed in VS Code. */
export interface SettingsMessage {
  type: 'settings';
  settings: PanelSettings;
}

/** The log was cleared (by this panel or another one on the same target). */
export interface ClearedMessage {
  type: 'cleared';
}

/** The answer to a request that carried `requestId`. */
export interface ReplyMessage {
  type: 'reply';
  requestId: number;
  ok: boolean;
  /** One sentence for the user when ok is false. */
  error?: string;
  /** Id of a listener/connection the request created. */
  targetId?: string;
  /** One line about what was done, e.g. the write pattern of a send with faults. */
  detail?: string;
}

export type ToWebviewMessage = SnapshotMessage | TrafficMessage | TargetMessage | SettingsMessage | ClearedMessage | ReplyMessage | BehaviourMessage;

// ---- webview → host ----

/** The webview has loaded and wants a snapshot. */
export interface ReadyMessage {
  type: 'ready';
}

/** Start a listener from the form; the panel becomes its view on success. */
export interface ListenMessage {
  type: 'listen';
  requestId: number;
  host: string;
  port: number;
}

/** Open a client connection from the form; the panel becomes its view on success. */
export interface ConnectMessage {
  type: 'connect';
  requestId: number;
  host: string;
  port: number;
}

/** Send bytes; `to` is a client id or 'all' in listener panels, absent in connection panels. */
export interface SendMessage {
  type: 'send';
  requestId: number;
  data: string;
  to?: string;
  /** Fault injection (FaultOptions, checked by the host with the shared validator). */
  faults?: Record<string, unknown>;
  /** Send this many copies of the payload (joined into one write when faults.coalesce). */
  copies?: number;
  /** Repeat on the host: every intervalMs, count times or until stopped. */
  repeat?: { intervalMs: number; count?: number };
}

/** Replace the panel's framing and (listeners) echo and rules. */
export interface SetBehaviourMessage {
  type: 'behaviour';
  requestId: number;
  behaviour: BehaviourInfo;
}

/** Write the current framing, echo and rules into this target's preset. */
export interface SaveBehaviourMessage {
  type: 'saveBehaviour';
  requestId: number;
}

/** Stop the host-side repeater. */
export interface StopRepeatMessage {
  type: 'stopRepeat';
  requestId: number;
}

/** Disconnect the connection or stop the listener this panel shows. */
export interface CloseMessage {
  type: 'close';
  requestId: number;
}

/** Drop the retained records of the target's log. */
export interface ClearMessage {
  type: 'clear';
}

/** Save the retained log through a save dialog. */
export interface SaveLogMessage {
  type: 'saveLog';
  requestId: number;
  format: 'jsonl' | 'csv';
}

/** Put text on the clipboard (webviews cannot always reach it themselves). */
export interface CopyMessage {
  type: 'copy';
  text: string;
}

/** Store the payload being edited into a preset of this target. */
export interface SavePresetMessage {
  type: 'savePreset';
  requestId: number;
  format: PayloadFormat;
  data: string;
  encoding: TextEncodingName;
  lineEnding: LineEnding;
}

export type FromWebviewMessage =
  | ReadyMessage
  | ListenMessage
  | ConnectMessage
  | SendMessage
  | CloseMessage
  | ClearMessage
  | SaveLogMessage
  | CopyMessage
  | SavePresetMessage
  | SetBehaviourMessage
  | SaveBehaviourMessage
  | StopRepeatMessage;

/** Messages that expect a `reply`. */
export type RequestMessage = Extract<FromWebviewMessage, { requestId: number }>;

type WithoutRequestId<T> = T extends unknown ? Omit<T, 'requestId'> : never;
export type RequestBody = WithoutRequestId<RequestMessage>;

/**
 * Pairs requests with replies by id. Transport-agnostic (a post function in, replies fed back),
 * so it runs in the webview and in tests alike.
 */
export class RequestTracker {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: ReplyMessage) => void; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly post: (message: RequestMessage) => void,
    private readonly timeoutMs = 60_000,
  ) {}

  /** Posts the request and resolves with its reply; a missing reply resolves as a failure, never hangs. */
  request(body: RequestBody): Promise<ReplyMessage> {
    const requestId = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        resolve({ type: 'reply', requestId, ok: false, error: 'TCP Lab did not answer in time; try again.' });
      }, this.timeoutMs);
      this.pending.set(requestId, { resolve, timer });
      this.post({ ...body, requestId } as RequestMessage);
    });
  }

  /** Feeds a reply back; returns false when no request waits for it. */
  settle(reply: ReplyMessage): boolean {
    const entry = this.pending.get(reply.requestId);
    if (!entry) return false;
    this.pending.delete(reply.requestId);
    clearTimeout(entry.timer);
    entry.resolve(reply);
    return true;
  }

  /** Resolves every waiting request as failed, e.g. when the panel goes away. */
  dispose(): void {
    for (const [requestId, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.resolve({ type: 'reply', requestId, ok: false, error: 'The panel was closed before TCP Lab answered.' });
    }
    this.pending.clear();
  }
}
