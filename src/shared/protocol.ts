// The typed conversation between the traffic panel's host side and its webview.
// The webview speaks first with `ready`; the host answers with one `snapshot` (settings, target,
// the newest rows) and from then on sends batched `traffic` and `target` updates. The host keeps
// every row; a `traffic` update carries only the newest rows that fit the view and a byte budget,
// and the webview asks (`rows`, `record`) for anything else it wants to show. So an open panel
// costs what a person can see, not what the wire carries.
// Bytes always travel as base64 strings so every message is plain JSON.
import type { ChecksumDefinition } from './checksum';
import type { TlsInfo } from './tls';
import type { LineEnding, PayloadFormat, TextEncodingName } from './payloadTypes';
import type { PresetPayload } from './preset';
import type { SequenceWireStep } from './quickSend';
import type { ConnectionState, Direction, Endpoint, TrafficTotals } from './types';

export type { ConnectionState, Direction, Endpoint, TrafficTotals };

/** Every message type the webview sends, as a record so that a new message left out fails to compile. */
const FROM_WEBVIEW: Record<FromWebviewMessage['type'], true> = {
  ready: true, listen: true, connect: true, send: true, close: true, startTls: true, clear: true, saveLog: true, exportPcapng: true, copy: true, savePreset: true,
  behaviour: true, saveBehaviour: true, stopRepeat: true, follow: true, rows: true, record: true, sendSequence: true, computeChecksum: true,
};

/** Message types the webview sends to the host: what the host accepts from it. */
export const FROM_WEBVIEW_TYPES: readonly FromWebviewMessage['type'][] = Object.keys(FROM_WEBVIEW) as FromWebviewMessage['type'][];

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
  /** Bytes of each row a list update carries; a longer record is fetched whole when expanded or copied. */
  previewBytes: 1024,
  /** Raw bytes one `traffic` update or `rows` answer may carry (before base64). */
  maxBatchBytes: 256 * 1024,
  /** Rows one `rows` answer may carry. */
  maxBatchRows: 2000,
  /** Largest record `record` sends whole, in bytes. */
  maxRecordBytes: 16 * 1024 * 1024,
} as const;

/** One row of the panel: a logged chunk, a frame, a framing error or a connect/close event. */
export interface WireRecord {
  /** The row's id in this panel: strictly increasing, never reused; the anchor of `rows` requests. */
  seq: number;
  /** The connection log's record number: the "#N" a person sees, and `seq` in a saved log or capture file (0 for events). */
  rec: number;
  /** The record's full length in bytes; `data` may hold only its first PROTOCOL_LIMITS.previewBytes. */
  length: number;
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
   * empty; `note` says what happened), 'write' for one write of a send with faults, 'event' for a
   * client connecting or closing (`note` says who and how).
   */
  kind?: 'frame' | 'error' | 'write' | 'event';
  /** One sentence shown with the row (framing error, "write 2 of 3 at 50 ms", a failed checksum). */
  note?: string;
  /** A frame that failed the framing's checksum: shown marked, `note` says expected and got. */
  invalid?: true;
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

/** A client of a listener (open, or closed and still in the history), for the peer column and the send target picker. */
export interface PeerInfo {
  id: string;
  remote?: Endpoint;
  state: ConnectionState;
  closeReason?: string;
}

/** What the host holds for this panel, so the webview knows what it can ask for. */
export interface FeedInfo {
  /** Id of the oldest row the host still has (lastId + 1 when it has none). */
  firstId: number;
  lastId: number;
  /** Rows the host holds. */
  size: number;
  /** Records no longer held (log limits, history budget), so the count stays honest. */
  dropped: number;
  /** Received bytes waiting for the rest of a frame. */
  pendingFrameBytes: number;
  /** Frames that failed the framing's checksum since the framing was set. */
  badChecksums?: number;
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
      closedAt?: number;
      role?: 'client' | 'accepted';
      latency?: LatencyInfo;
      repeat?: RepeatInfo;
      /** Why reading is paused, e.g. "capture is slowing this connection". */
      slowedBy?: string;
      /** The TLS session, once there is one. */
      tls?: TlsInfo;
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
      stoppedAt?: number;
      /** Why some clients' reading is paused, e.g. "2 clients: capture is slowing this connection". */
      slowedBy?: string;
      /** A TLS listener. */
      tls?: boolean;
      /** Clients accepted over the listener's life. */
      acceptedCount: number;
      /** Every client the panel shows (open ones and those the history keeps), open ones first. */
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

/** The preset of this panel's target (matched by kind, host and port) and its payloads, for the quick-send bar. */
export interface QuickSendInfo {
  preset: string;
  encoding: TextEncodingName;
  lineEnding: LineEnding;
  /** As validated from settings: data, checksum, repeat and sequence exactly as written there. */
  payloads: PresetPayload[];
}

/** User settings the panel honours. */
export interface PanelSettings {
  encoding: TextEncodingName;
  lineEnding: LineEnding;
  timestamps: 'absolute' | 'relative';
  maxRecords: number;
  maxBytes: number;
  defaultHost: string;
  /** Announce received data in a polite live region (tcpLab.panel.announceReceived). */
  announceReceived: boolean;
}

// ---- host → webview ----

/** The full state, the answer to `ready`; target undefined means "show the Listen/Connect forms". */
export interface SnapshotMessage {
  type: 'snapshot';
  settings: PanelSettings;
  target?: TargetInfo;
  /** The newest rows that fit, oldest first. */
  records: WireRecord[];
  feed: FeedInfo;
  /** One sentence shown above the forms, e.g. why a restored panel lost its target. */
  notice?: string;
  behaviour?: BehaviourInfo;
  /** The quick-send bar's buttons, when a preset matches the target. */
  quickSend?: QuickSendInfo;
}

/** The matching preset's payloads changed (settings edited, or the target's preset appeared or went). */
export interface QuickSendMessage {
  type: 'quickSend';
  quickSend?: QuickSendInfo;
}

/** The framing, echo or rules changed (from this panel or another one on the same listener). */
export interface BehaviourMessage {
  type: 'behaviour';
  behaviour: BehaviourInfo;
}

/**
 * At most about 30 of these per second. While the view follows the tail, `records` are the rows
 * after `after` (the last row this view was sent) or, when those do not fit, only the newest that
 * fit: then `records[0]` does not follow `after` and what lies between is fetched with `rows` if
 * the user scrolls up. Not following: no records, only the counts.
 */
export interface TrafficMessage {
  type: 'traffic';
  records: WireRecord[];
  /** Id of the row just before records[0] in the host's list (0: none). */
  previous: number;
  feed: FeedInfo;
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
  /** Rows answering `rows` or `record`, oldest first. */
  records?: WireRecord[];
  feed?: FeedInfo;
}

export type ToWebviewMessage = SnapshotMessage | TrafficMessage | TargetMessage | SettingsMessage | ClearedMessage | ReplyMessage | BehaviourMessage | QuickSendMessage;

// ---- webview → host ----

/** The webview has loaded and wants a snapshot. */
export interface ReadyMessage {
  type: 'ready';
}

/**
 * The view follows the tail (or stopped following). Following, the host sends the rows after
 * `lastId` with the next update, and `rows` rows at most per update (what fits the view).
 */
export interface FollowMessage {
  type: 'follow';
  following: boolean;
  lastId: number;
  rows: number;
}

/** Rows before or after a row id (`after: 0` = from the oldest), at most `max`, oldest first. */
export interface RowsMessage {
  type: 'rows';
  requestId: number;
  before?: number;
  after?: number;
  max: number;
}

/** One row whole (not just its preview), for expanding and copying. */
export interface RecordMessage {
  type: 'record';
  requestId: number;
  id: number;
}

/** Start a listener from the form; the panel becomes its view on success. */
export interface ListenMessage {
  type: 'listen';
  requestId: number;
  host: string;
  port: number;
  /** Serve TLS with the local certificate authority's localhost certificate. */
  tls?: boolean;
}

/** Open a client connection from the form; the panel becomes its view on success. */
export interface ConnectMessage {
  type: 'connect';
  requestId: number;
  host: string;
  port: number;
  /** Speak TLS (a tls:// target), optionally accepting any certificate (problems still reported). */
  tls?: { serverName?: string; insecure?: boolean };
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

/**
 * Run a quick-send sequence on the host: sends, expectations over what arrives from the recipients
 * after it starts, and delays, in order; the reply comes when it ended (error: the step that failed).
 */
export interface SendSequenceMessage {
  type: 'sendSequence';
  requestId: number;
  to?: string;
  steps: SequenceWireStep[];
  /** How regex expectations read received bytes. */
  encoding: TextEncodingName;
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

/** STARTTLS on the panel's plain connection: as the client (any certificate, problems shown) on an outgoing one, with the local CA on an accepted one. */
export interface StartTlsMessage {
  type: 'startTls';
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
  /** The panel's display encoding: the CSV's text column reads the bytes as the panel shows them. */
  encoding?: TextEncodingName;
}

/** Export the target (a connection, or a listener's clients) as a pcapng file for Wireshark, through a save dialog. */
export interface ExportPcapngMessage {
  type: 'exportPcapng';
  requestId: number;
}

/** Put text on the clipboard (webviews cannot always reach it themselves). */
export interface CopyMessage {
  type: 'copy';
  text: string;
}

/** Run TCP: Compute Checksum over a row's bytes, or over text selected in the log. */
export interface ComputeChecksumMessage {
  type: 'computeChecksum';
  /** The row's bytes, base64. */
  data?: string;
  text?: string;
  /** Where they came from, e.g. "record #12". */
  source: string;
}

/** Store the payload being edited into a preset of this target. */
export interface SavePresetMessage {
  type: 'savePreset';
  requestId: number;
  format: PayloadFormat;
  data: string;
  encoding: TextEncodingName;
  lineEnding: LineEnding;
  checksum?: ChecksumDefinition;
}

export type FromWebviewMessage =
  | ReadyMessage
  | ListenMessage
  | ConnectMessage
  | SendMessage
  | CloseMessage
  | StartTlsMessage
  | ClearMessage
  | SaveLogMessage
  | ExportPcapngMessage
  | CopyMessage
  | SavePresetMessage
  | SetBehaviourMessage
  | SaveBehaviourMessage
  | StopRepeatMessage
  | FollowMessage
  | RowsMessage
  | RecordMessage
  | SendSequenceMessage
  | ComputeChecksumMessage;

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
