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
export const TO_WEBVIEW_TYPES = ['snapshot', 'traffic', 'target', 'settings', 'cleared', 'reply'] as const;
export type ToWebviewType = (typeof TO_WEBVIEW_TYPES)[number];

/** Message types the webview sends to the host. */
export const FROM_WEBVIEW_TYPES = ['ready', 'listen', 'connect', 'send', 'close', 'clear', 'saveLog', 'copy', 'savePreset'] as const;
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
    };

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
}

export type ToWebviewMessage = SnapshotMessage | TrafficMessage | TargetMessage | SettingsMessage | ClearedMessage | ReplyMessage;

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
  | SavePresetMessage;

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
