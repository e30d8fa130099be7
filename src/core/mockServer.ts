// Turns a Listener into a mock server: every accepted connection gets its own framer, each frame is
// offered to the auto-reply rules in order, and (in echo mode) a frame no rule answered is sent back
// exactly as it arrived. It only subscribes to the Listener's and Connections' public events, so the
// engine knows nothing about it and detaching leaves the listener as it was.
import { validatePresetBehaviour, type PresetBehaviour } from '../shared/presetBehaviour';
import type { Connection } from './connection';
import { TcpError } from './errors';
import { Emitter, DisposableStore, type Disposable, type Event } from './events';
import { FramedStream } from './framedStream';
import type { FrameEvent, FramingErrorEvent } from './framer';
import type { Listener } from './listener';
import { RuleSet, type RuleFault, type RuleHit, type RuleStatus } from './rules';

export interface MockFrame {
  connectionId: string;
  frame: FrameEvent;
}

export interface MockFramingError {
  connectionId: string;
  error: FramingErrorEvent;
}

/** Something the mock server wrote: an echo or a rule's reply (and whether it then half-closed). */
export interface MockReply {
  connectionId: string;
  source: 'echo' | 'rule';
  rule?: { index: number; name: string };
  bytes: Uint8Array;
  closed: boolean;
}

export interface MockRuleHit extends RuleHit {
  connectionId: string;
}

/** The read-hold reason a connection takes while its mock-server replies wait for the peer. */
export const READ_HOLD_REPLIES = 'replies';

/**
 * Reply bytes allowed to wait per connection (delayed, or not yet taken by a peer that does not
 * read) before the connection stops reading new frames. Reading resumes below half of it, so a
 * slow peer does not flip the hold on every reply.
 */
export const MAX_QUEUED_REPLY_BYTES = 1024 * 1024;
/** The same bound by count, for many small replies behind a long delay (each costs a timer and a promise). */
export const MAX_QUEUED_REPLIES = 4096;

/** Replies waiting on one connection: their count and bytes, and whether they hold its reading. */
export interface ReplyBacklog {
  connectionId: string;
  replies: number;
  bytes: number;
  holdingReads: boolean;
}

/** Per-connection state: its framed stream, the chain that keeps replies in frame order, and cleanup. */
class ConnectionSession implements Disposable {
  /** Replies are chained so a delayed reply never overtakes a later frame's reply. */
  replies: Promise<void> = Promise.resolve();
  /** Set once a rule asked to close: later frames are no longer answered. */
  closing = false;
  /** Replies queued but not yet fully handed to the socket (or dropped). */
  queuedReplies = 0;
  queuedBytes = 0;
  /** Taken while the backlog is above MAX_QUEUED_REPLY_BYTES or MAX_QUEUED_REPLIES. */
  readHold: Disposable | undefined;
  readonly store = new DisposableStore();
  /** Pending reply delays, each with the resolver that settles it early on dispose. */
  private readonly waits = new Map<ReturnType<typeof setTimeout>, (ok: boolean) => void>();
  private disposed = false;

  constructor(
    readonly connection: Connection,
    readonly stream: FramedStream,
  ) {
    this.store.add(stream);
  }

  /** Resolves after `ms`, or false at once if the session is disposed meanwhile. */
  wait(ms: number): Promise<boolean> {
    if (this.disposed || ms <= 0) return Promise.resolve(!this.disposed);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waits.delete(timer);
        resolve(!this.disposed);
      }, ms);
      this.waits.set(timer, resolve);
    });
  }

  get active(): boolean {
    return !this.disposed;
  }

  dispose(): void {
    this.disposed = true;
    for (const [timer, resolve] of this.waits) {
      clearTimeout(timer);
      resolve(false);
    }
    this.waits.clear();
    this.readHold?.dispose();
    this.readHold = undefined;
    this.store.dispose();
  }
}

export class MockServer implements Disposable {
  private behaviour: PresetBehaviour;
  private ruleSet: RuleSet;
  private readonly sessions = new Map<Connection, ConnectionSession>();
  private readonly store = new DisposableStore();
  /** Subscriptions to the current rule set, replaced with it. */
  private ruleStore = new DisposableStore();
  private disposed = false;

  private readonly frameEmitter = new Emitter<MockFrame>();
  private readonly framingErrorEmitter = new Emitter<MockFramingError>();
  private readonly replyEmitter = new Emitter<MockReply>();
  private readonly hitEmitter = new Emitter<MockRuleHit>();
  private readonly faultEmitter = new Emitter<RuleFault>();
  private readonly errorEmitter = new Emitter<TcpError>();
  private readonly backlogEmitter = new Emitter<ReplyBacklog>();
  /** Every frame received on any connection of the listener. */
  readonly onDidFrame: Event<MockFrame> = this.frameEmitter.event;
  /** An over-long, malformed or incomplete frame. */
  readonly onDidFramingError: Event<MockFramingError> = this.framingErrorEmitter.event;
  /** Every echo or rule reply, once written. */
  readonly onDidReply: Event<MockReply> = this.replyEmitter.event;
  readonly onDidHitRule: Event<MockRuleHit> = this.hitEmitter.event;
  /** A rule was switched off at run time (its regex ran out of time). */
  readonly onDidFaultRule: Event<RuleFault> = this.faultEmitter.event;
  /** A reply could not be sent (the peer went away meanwhile, …). */
  readonly onDidError: Event<TcpError> = this.errorEmitter.event;
  /**
   * A connection started or stopped holding its reading because its replies wait (see
   * MAX_QUEUED_REPLY_BYTES). Not fired per reply: read `replyBacklog()` for the live figures.
   */
  readonly onDidChangeReplyBacklog: Event<ReplyBacklog> = this.backlogEmitter.event;

  constructor(
    readonly listener: Listener,
    behaviour: PresetBehaviour,
  ) {
    this.behaviour = behaviour;
    this.ruleSet = this.adoptRules(behaviour);
    this.store.add(this.frameEmitter);
    this.store.add(this.framingErrorEmitter);
    this.store.add(this.replyEmitter);
    this.store.add(this.hitEmitter);
    this.store.add(this.faultEmitter);
    this.store.add(this.errorEmitter);
    this.store.add(this.backlogEmitter);
    this.store.add(listener.onDidAccept((connection) => this.attach(connection)));
    for (const connection of listener.connections) this.attach(connection);
  }

  /** Validates raw preset fields (`framing`, `echo`, `rules`) and attaches, or returns the problem as one sentence. */
  static attach(listener: Listener, preset: unknown, path = 'preset'): { ok: true; server: MockServer } | { ok: false; error: string } {
    const checked = validatePresetBehaviour(preset, path);
    return checked.ok ? { ok: true, server: new MockServer(listener, checked.behaviour) } : checked;
  }

  get echo(): boolean {
    return this.behaviour.echo;
  }

  get settings(): PresetBehaviour {
    return this.behaviour;
  }

  /** Replies waiting on each connection that has any, in the order the connections were accepted. */
  replyBacklog(): ReplyBacklog[] {
    const out: ReplyBacklog[] = [];
    for (const session of this.sessions.values()) {
      if (session.queuedReplies > 0) out.push(backlogOf(session));
    }
    return out;
  }

  /** Reply bytes waiting on all connections together. */
  get queuedReplyBytes(): number {
    let total = 0;
    for (const session of this.sessions.values()) total += session.queuedBytes;
    return total;
  }

  /** Each rule's name, kind, hit count and whether it is (still) on. */
  ruleStatus(): RuleStatus[] {
    return this.ruleSet.status();
  }

  /**
   * Replaces framing, echo and rules (from the panel's editor or a changed preset). Hit counters restart.
   * A new framing starts fresh on every connection: bytes of a half-received frame are discarded, since
   * they were cut by the old definition.
   */
  update(behaviour: PresetBehaviour): void {
    const framingChanged = JSON.stringify(serialiseFraming(behaviour)) !== JSON.stringify(serialiseFraming(this.behaviour));
    this.behaviour = behaviour;
    this.ruleSet.dispose();
    this.ruleSet = this.adoptRules(behaviour);
    if (framingChanged) {
      for (const session of this.sessions.values()) session.stream.setFraming(behaviour.framing);
    }
  }

  /** Like `update`, from raw preset fields (the panel's editor); on a problem nothing changes and the sentence is returned. */
  reconfigure(preset: unknown, path = 'preset'): { ok: true } | { ok: false; error: string } {
    const checked = validatePresetBehaviour(preset, path);
    if (!checked.ok) return checked;
    this.update(checked.behaviour);
    return { ok: true };
  }

  /** Sends to every open client of the listener. */
  broadcast(bytes: Uint8Array): Promise<void> {
    return this.listener.broadcast(bytes);
  }

  /** Sends to one accepted connection of this listener, by id (e.g. `C4`). */
  sendTo(connectionId: string, bytes: Uint8Array): Promise<void> {
    const target = this.listener.connections.find((c) => c.id === connectionId);
    if (!target) {
      const open = this.listener.connections.map((c) => c.id).join(', ') || 'none';
      return Promise.reject(
        new TcpError('UNKNOWN_CONNECTION', `Connection ${connectionId} is not an open client of listener ${this.listener.id} (open: ${open}); pick one of those.`),
      );
    }
    return target.send(bytes);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const session of this.sessions.values()) session.dispose();
    this.sessions.clear();
    this.ruleStore.dispose();
    this.ruleSet.dispose();
    this.store.dispose();
  }

  private adoptRules(behaviour: PresetBehaviour): RuleSet {
    this.ruleStore.dispose();
    this.ruleStore = new DisposableStore();
    const rules = new RuleSet(behaviour.rules);
    this.ruleStore.add(rules.onDidFault((fault) => this.faultEmitter.fire(fault)));
    return rules;
  }

  private attach(connection: Connection): void {
    if (this.disposed || this.sessions.has(connection) || connection.state === 'closed') return;
    const session = new ConnectionSession(connection, new FramedStream(connection, this.behaviour.framing));
    this.sessions.set(connection, session);
    const connectionId = connection.id;
    session.store.add(session.stream.onDidFrame((frame) => this.handleFrame(session, frame)));
    session.store.add(session.stream.onDidFramingError((error) => this.framingErrorEmitter.fire({ connectionId, error })));
    // Subscribed after the stream's own close handler, so an incomplete last frame is reported first.
    session.store.add(
      connection.onDidClose(() => {
        session.dispose();
        this.sessions.delete(connection);
      }),
    );
  }

  private handleFrame(session: ConnectionSession, frame: FrameEvent): void {
    const connectionId = session.connection.id;
    this.frameEmitter.fire({ connectionId, frame });
    if (session.closing) return;
    const checksum = frame.checksumError !== undefined ? 'invalid' : this.behaviour.framing.checksum ? 'valid' : undefined;
    const hit = this.ruleSet.evaluate(frame.bytes, checksum);
    if (hit) {
      this.hitEmitter.fire({ ...hit, connectionId });
      if (hit.closeAfterReply) session.closing = true;
      this.queueReply(session, { source: 'rule', rule: { index: hit.index, name: hit.name }, bytes: hit.reply, delayMs: hit.delayMs, close: hit.closeAfterReply });
    } else if (this.behaviour.echo) {
      this.queueReply(session, { source: 'echo', bytes: frame.wire, delayMs: 0, close: false });
    }
  }

  /**
   * Counts a reply in (or out of) the session's backlog and holds the connection's reading while
   * the backlog is over its bound: a peer that sends without reading then meets TCP flow control
   * instead of growing our memory with every frame it sends.
   */
  private countQueued(session: ConnectionSession, replies: number, bytes: number): void {
    session.queuedReplies += replies;
    session.queuedBytes += bytes;
    if (!session.active) return;
    if (session.readHold === undefined && (session.queuedBytes > MAX_QUEUED_REPLY_BYTES || session.queuedReplies > MAX_QUEUED_REPLIES)) {
      session.readHold = session.connection.holdReading(READ_HOLD_REPLIES);
      this.backlogEmitter.fire(backlogOf(session));
    } else if (session.readHold !== undefined && session.queuedBytes <= MAX_QUEUED_REPLY_BYTES / 2 && session.queuedReplies <= MAX_QUEUED_REPLIES / 2) {
      session.readHold.dispose();
      session.readHold = undefined;
      this.backlogEmitter.fire(backlogOf(session));
    }
  }

  private queueReply(
    session: ConnectionSession,
    reply: { source: 'echo' | 'rule'; rule?: { index: number; name: string }; bytes: Uint8Array | undefined; delayMs: number; close: boolean },
  ): void {
    const connection = session.connection;
    const size = reply.bytes?.length ?? 0;
    this.countQueued(session, 1, size);
    session.replies = session.replies.then(async () => {
      try {
        if (!(await session.wait(reply.delayMs))) return;
        // The peer may have gone, or a rule may have half-closed meanwhile; that is not an error.
        if (!connection.writable) return;
        try {
          if (reply.bytes && reply.bytes.length > 0) await connection.send(reply.bytes);
        } catch (err) {
          if (session.active) this.errorEmitter.fire(err instanceof TcpError ? err : new TcpError('SEND_FAILED', String(err)));
          return;
        }
      } finally {
        this.countQueued(session, -1, -size);
      }
      if (reply.close) connection.end();
      if (session.active) {
        this.replyEmitter.fire({
          connectionId: connection.id,
          source: reply.source,
          ...(reply.rule ? { rule: reply.rule } : {}),
          bytes: reply.bytes ?? new Uint8Array(0),
          closed: reply.close,
        });
      }
    });
  }
}

function backlogOf(session: ConnectionSession): ReplyBacklog {
  return { connectionId: session.connection.id, replies: session.queuedReplies, bytes: session.queuedBytes, holdingReads: session.readHold !== undefined };
}

/** Framing compared by value (Uint8Arrays as hex) to tell whether an update changed it. */
function serialiseFraming(behaviour: PresetBehaviour): unknown {
  return Object.fromEntries(
    Object.entries(behaviour.framing).map(([key, value]) => [key, value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value]),
  );
}
