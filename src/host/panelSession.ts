// One traffic panel's host-side brain, without `vscode`: it follows a connection or a listener
// (and all its clients), batches their traffic for the webview, answers the webview's requests
// and validates every one of them first. The VS Code adapter (trafficPanel.ts) only supplies the
// transport and the few things that need the editor (save dialog, clipboard, settings).
import { Connection } from '../core/connection';
import { TcpError } from '../core/errors';
import { DisposableStore, type Disposable } from '../core/events';
import { FramedStream } from '../core/framedStream';
import { Framer, type FramerEvent } from '../core/framer';
import { sendWithFaults, Repeater, type WriteRecord } from '../core/faults';
import { LatencyTracker } from '../core/latency';
import type { MockServer } from '../core/mockServer';
import { Listener } from '../core/listener';
import type { Registry } from '../core/registry';
import type { TrafficRecord } from '../core/trafficLog';
import { planWrites, summariseWrites, validateFaultOptions } from '../shared/faultPlan';
import type { ResolvedFraming } from '../shared/framing';
import type { LineEnding, PayloadFormat, TextEncodingName } from '../shared/payloadTypes';
import { validatePresetBehaviour } from '../shared/presetBehaviour';
import type { BehaviourInfo, FromWebviewMessage, PanelSettings, PeerInfo, RepeatInfo, SendMessage, TargetInfo, ToWebviewMessage, WireRecord } from '../shared/protocol';
import { defaultBehaviourInfo, ListenerBehaviours } from './listenerBehaviours';
import type { ExportRecord } from './logExport';
import { PanelBatcher } from './panelBatcher';
import { validateWebviewMessage } from './panelMessages';

export interface PresetBehaviourRequest {
  target: TargetInfo;
  behaviour: BehaviourInfo;
}

export interface PresetPayloadRequest {
  target: TargetInfo;
  format: PayloadFormat;
  data: string;
  encoding: TextEncodingName;
  lineEnding: LineEnding;
}

/** What the session needs from its surroundings; the VS Code adapter implements it, tests stub it. */
export interface PanelSessionHost {
  post(message: ToWebviewMessage): void;
  settings(): PanelSettings;
  /** A line for the output channel (refused messages, failures). */
  log(line: string): void;
  /** Called when the panel starts showing another target (title, panel map). */
  onDidRetarget(targetId: string): void;
  /** Asks where to save and writes; resolves false when the user cancelled. */
  saveLog(format: 'jsonl' | 'csv', records: ExportRecord[], suggestedName: string): Promise<boolean>;
  copy(text: string): Promise<void>;
  savePreset(request: PresetPayloadRequest): Promise<boolean>;
  /** Writes framing (and for listeners echo and rules) into this target's preset; false when cancelled. */
  saveBehaviour(request: PresetBehaviourRequest): Promise<boolean>;
}

/** Closed clients a listener panel keeps showing (with their logs) before forgetting the oldest. */
const MAX_CLOSED_PEERS = 200;

/** Base64 characters allowed to wait while the webview cannot keep up; older waiting records are dropped and counted. */
const MAX_PENDING_BASE64 = 8 * 1024 * 1024;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const base64Of = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** A send with faults in progress on one connection: its outgoing records are its writes. */
interface FaultWrites {
  written: number;
  planned: number;
  startedAt: number;
}

export class PanelSession implements Disposable {
  private target: Listener | Connection | undefined;
  private readonly tracked = new Map<string, Connection>();
  private targetSubscriptions = new DisposableStore();
  private readonly batcher: PanelBatcher<WireRecord>;
  private nextSeq = 1;
  private visible = true;
  private disposed = false;
  /** Framing and (listeners) echo and rules, as the panel's editor shows them. */
  private behaviour: BehaviourInfo = defaultBehaviourInfo();
  private framing: ResolvedFraming = { mode: 'none', maxFrameBytes: 1024 * 1024 };
  private readonly framedStreams = new Map<string, FramedStream>();
  private readonly faultWrites = new Map<string, FaultWrites>();
  private latency: LatencyTracker | undefined;
  private repeater: Repeater | undefined;
  private repeatInfo: RepeatInfo | undefined;
  private watchedServer: MockServer | undefined;
  /** Set while this session applies a definition, so its own change event is not taken as news. */
  private applying = false;
  private readonly behaviours: ListenerBehaviours;
  private readonly ownsBehaviours: boolean;

  constructor(
    private readonly registry: Registry,
    private readonly host: PanelSessionHost,
    targetId?: string,
    private notice?: string,
    behaviours?: ListenerBehaviours,
  ) {
    this.behaviours = behaviours ?? new ListenerBehaviours();
    this.ownsBehaviours = behaviours === undefined;
    this.batcher = new PanelBatcher<WireRecord>({
      flush: (records, dropped) => this.flush(records, dropped),
      sizeOf: (record) => record.data.length,
      maxPendingSize: MAX_PENDING_BASE64,
    });
    if (targetId !== undefined) this.attach(targetId);
  }

  get targetId(): string | undefined {
    return this.target?.id;
  }

  /** A hidden webview is torn down (no retainContextWhenHidden) and asks for a snapshot when shown again. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (!visible) this.batcher.discard();
  }

  settingsChanged(): void {
    this.host.post({ type: 'settings', settings: this.host.settings() });
  }

  /** Entry point for everything the webview posts. Never throws. */
  handle(raw: unknown): void {
    const result = validateWebviewMessage(raw);
    if (!result.ok) {
      this.host.log(`Ignored a message from the traffic panel: ${result.reason}.`);
      return;
    }
    this.dispatch(result.message).catch((err: unknown) => this.host.log(`Traffic panel request failed: ${errorText(err)}`));
  }

  /** The panel's target as the webview sees it. */
  describeTarget(): TargetInfo | undefined {
    const target = this.target;
    if (!target) return undefined;
    if (target instanceof Connection) {
      return {
        kind: 'connection',
        id: target.id,
        state: target.state,
        local: target.local,
        remote: target.remote,
        totals: { ...target.totals },
        openedAt: target.openedAt,
        closeReason: target.closeReason,
        role: target.role,
        ...(this.latency ? { latency: this.latencyInfo() } : {}),
        ...(this.repeatInfo ? { repeat: { ...this.repeatInfo } } : {}),
      };
    }
    const server = this.behaviours.server(target.id);
    const totals = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };
    const peers: PeerInfo[] = [];
    for (const connection of this.tracked.values()) {
      totals.bytesIn += connection.totals.bytesIn;
      totals.bytesOut += connection.totals.bytesOut;
      totals.messagesIn += connection.totals.messagesIn;
      totals.messagesOut += connection.totals.messagesOut;
      peers.push({ id: connection.id, remote: connection.remote, state: connection.state });
    }
    peers.sort((a, b) => Number(a.state === 'closed') - Number(b.state === 'closed'));
    return {
      kind: 'listener',
      id: target.id,
      listening: target.listening,
      host: target.host,
      requestedPort: target.requestedPort,
      local: target.address,
      totals,
      startedAt: target.startedAt,
      peers,
      ...(this.repeatInfo ? { repeat: { ...this.repeatInfo } } : {}),
      ...(server ? { ruleHits: server.ruleStatus().map((r) => ({ hits: r.hits, enabled: r.enabled, ...(r.disabledReason ? { disabledReason: r.disabledReason } : {}) })) } : {}),
    };
  }

  private latencyInfo(): { count: number; p50?: number; p95?: number } {
    const stats = this.latency!.stats();
    const round = (value: number | undefined) => (value === undefined ? {} : { value: Math.round(value * 10) / 10 });
    const p50 = round(stats.p50);
    const p95 = round(stats.p95);
    return { count: stats.count, ...('value' in p50 ? { p50: p50.value } : {}), ...('value' in p95 ? { p95: p95.value } : {}) };
  }

  /** Every retained record of the target, oldest first, with its connection. */
  retainedRecords(): { record: TrafficRecord; connection: Connection }[] {
    const all: { record: TrafficRecord; connection: Connection }[] = [];
    for (const connection of this.tracked.values()) for (const record of connection.log.records()) all.push({ record, connection });
    if (this.tracked.size > 1) all.sort((a, b) => a.record.time - b.record.time);
    return all;
  }

  dispose(): void {
    this.disposed = true;
    this.repeater?.dispose();
    this.targetSubscriptions.dispose();
    this.disposeStreams();
    this.latency?.dispose();
    this.batcher.dispose();
    this.tracked.clear();
    if (this.ownsBehaviours) this.behaviours.dispose();
  }

  private disposeStreams(): void {
    for (const stream of this.framedStreams.values()) stream.dispose();
    this.framedStreams.clear();
  }

  private attach(targetId: string): boolean {
    const item = this.registry.get(targetId);
    if (!item) return false;
    this.targetSubscriptions.dispose();
    // A disposed DisposableStore disposes whatever is added later, so each target gets a fresh one.
    this.targetSubscriptions = new DisposableStore();
    this.tracked.clear();
    this.disposeStreams();
    this.faultWrites.clear();
    this.repeater?.dispose();
    this.repeater = undefined;
    this.repeatInfo = undefined;
    this.latency?.dispose();
    this.latency = undefined;
    this.batcher.discard();
    this.target = item;
    this.watchedServer = undefined;
    this.adoptBehaviour(item instanceof Listener ? (this.behaviours.get(item.id) ?? defaultBehaviourInfo()) : defaultBehaviourInfo());
    const existingServer = item instanceof Listener ? this.behaviours.server(item.id) : undefined;
    if (existingServer) this.watchServer(existingServer);
    if (item instanceof Connection) {
      // Request → response latency only means something where we ask and a server answers.
      if (item.role === 'client') {
        this.latency = new LatencyTracker(item);
        this.targetSubscriptions.add(this.latency.onDidUpdate(() => this.batcher.touch()));
      }
      this.track(item);
    } else {
      this.targetSubscriptions.add(this.behaviours.onDidChange((id) => {
        // Our own change is adopted by setBehaviour; this is for changes made elsewhere.
        if (id !== item.id || this.applying) return;
        const raw = this.behaviours.get(id);
        if (raw && raw !== this.behaviour) {
          this.adoptBehaviour(raw);
          this.host.post({ type: 'behaviour', behaviour: raw });
        }
      }));
      for (const connection of item.connections) this.track(connection);
      this.targetSubscriptions.add(item.onDidAccept((connection) => this.track(connection)));
      this.targetSubscriptions.add(item.onDidStop(() => this.batcher.touch()));
    }
    return true;
  }

  private track(connection: Connection): void {
    if (this.tracked.has(connection.id)) return;
    this.tracked.set(connection.id, connection);
    const subscriptions = this.targetSubscriptions;
    subscriptions.add(
      connection.log.onDidAppend((record) => {
        // With framing on, received bytes reach the log as frames (from the framed stream) instead.
        if (record.dir === 'in' && this.framing.mode !== 'none') return;
        if (this.visible) this.batcher.push(this.toWire(record, connection.id, this.writeNote(record, connection.id)));
        else this.batcher.touch();
      }),
    );
    if (this.framing.mode !== 'none') this.startFraming(connection);
    subscriptions.add(connection.onDidChangeState(() => this.batcher.touch()));
    subscriptions.add(connection.onDidClose(() => this.batcher.touch()));
    this.forgetOldClosedPeers();
    this.batcher.touch();
  }

  /** A long-running listener sees many short clients; keep memory bounded by their count too. */
  private forgetOldClosedPeers(): void {
    const closed = [...this.tracked.values()].filter((connection) => connection.state === 'closed');
    for (const connection of closed.slice(0, Math.max(0, closed.length - MAX_CLOSED_PEERS))) {
      this.tracked.delete(connection.id);
      this.framedStreams.get(connection.id)?.dispose();
      this.framedStreams.delete(connection.id);
    }
  }

  private toWire(record: TrafficRecord, conn: string, extra?: Pick<WireRecord, 'kind' | 'note'>): WireRecord {
    return { seq: this.nextSeq++, time: record.time, dir: record.dir, conn, data: base64Of(record.bytes), ...extra };
  }

  /** Outgoing records made by a send with faults are its writes: say which one and when. */
  private writeNote(record: TrafficRecord, conn: string): Pick<WireRecord, 'kind' | 'note'> | undefined {
    if (record.dir !== 'out') return undefined;
    const writes = this.faultWrites.get(conn);
    if (!writes) return undefined;
    writes.written++;
    return { kind: 'write', note: `write ${writes.written} of ${writes.planned} at +${Math.max(0, record.time - writes.startedAt)} ms` };
  }

  private framerEventToWire(event: FramerEvent, conn: string, time: number): WireRecord {
    if (event.type === 'frame') return { seq: this.nextSeq++, time, dir: 'in', conn, data: base64Of(event.bytes), kind: 'frame' };
    return { seq: this.nextSeq++, time, dir: 'in', conn, data: '', kind: 'error', note: event.message };
  }

  private startFraming(connection: Connection): void {
    if (this.framedStreams.has(connection.id) || connection.state === 'closed') return;
    const stream = new FramedStream(connection, this.framing);
    this.framedStreams.set(connection.id, stream);
    const push = (event: FramerEvent): void => {
      if (this.visible) this.batcher.push(this.framerEventToWire(event, connection.id, Date.now()));
      else this.batcher.touch();
    };
    stream.onDidFrame(push);
    stream.onDidFramingError(push);
  }

  /** Takes a (validated) definition: framing for the log, echo and rules live in the listener's mock server. */
  private adoptBehaviour(raw: BehaviourInfo): boolean {
    const kind = this.target instanceof Listener ? 'listener' : 'client';
    const checked = validatePresetBehaviour({ kind, ...raw }, kind);
    if (!checked.ok) return false;
    this.behaviour = raw;
    this.framing = checked.behaviour.framing;
    this.disposeStreams();
    if (this.framing.mode !== 'none') for (const connection of this.tracked.values()) this.startFraming(connection);
    return true;
  }

  /** The retained records as the panel shows them: received chunks re-cut into frames when framing is on. */
  private presentedRecords(retained: { record: TrafficRecord; connection: Connection }[]): WireRecord[] {
    if (this.framing.mode === 'none') return retained.map(({ record, connection }) => this.toWire(record, connection.id));
    const framers = new Map<string, Framer>();
    const out: WireRecord[] = [];
    for (const { record, connection } of retained) {
      if (record.dir === 'out') {
        out.push(this.toWire(record, connection.id));
        continue;
      }
      let framer = framers.get(connection.id);
      if (!framer) framers.set(connection.id, (framer = new Framer(this.framing)));
      for (const event of framer.push(record.bytes)) out.push(this.framerEventToWire(event, connection.id, record.time));
    }
    return out;
  }

  private flush(records: WireRecord[], dropped: number): void {
    if (this.disposed || !this.visible) return;
    if (records.length || dropped) this.host.post({ type: 'traffic', records, dropped });
    const target = this.describeTarget();
    if (target) this.host.post({ type: 'target', target });
  }

  private postSnapshot(): void {
    this.batcher.discard();
    const settings = this.host.settings();
    const retained = this.retainedRecords();
    // A listener's clients each keep their own log, so together they can hold far more than one
    // panel shows: send only the newest records that fit the panel's limits, and count the rest.
    let start = retained.length;
    let bytes = 0;
    while (start > 0 && retained.length - start < settings.maxRecords && bytes + retained[start - 1].record.bytes.length <= settings.maxBytes) {
      start--;
      bytes += retained[start].record.bytes.length;
    }
    const records = this.presentedRecords(retained.slice(start));
    let evicted = start;
    for (const connection of this.tracked.values()) evicted += connection.log.evicted.records;
    this.host.post({ type: 'snapshot', settings, target: this.describeTarget(), records, evicted, notice: this.notice, behaviour: this.behaviour });
    this.notice = undefined;
  }

  private reply(requestId: number, error?: string, targetId?: string, detail?: string): void {
    this.host.post({
      type: 'reply',
      requestId,
      ok: error === undefined,
      ...(error !== undefined ? { error } : {}),
      ...(targetId ? { targetId } : {}),
      ...(detail ? { detail } : {}),
    });
  }

  private targetIsLive(): boolean {
    const target = this.target;
    if (!target) return false;
    return target instanceof Connection ? target.state !== 'closed' : target.listening;
  }

  private async dispatch(message: FromWebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.visible = true;
        this.postSnapshot();
        return;
      case 'listen':
      case 'connect': {
        if (this.targetIsLive()) {
          this.reply(message.requestId, `This panel already shows ${this.target?.id}; open another traffic panel to start something new.`);
          return;
        }
        try {
          const item = message.type === 'listen'
            ? await this.registry.listen({ host: message.host, port: message.port })
            : await this.registry.connect({ host: message.host, port: message.port });
          this.attach(item.id);
          this.host.onDidRetarget(item.id);
          this.reply(message.requestId, undefined, item.id);
          this.postSnapshot();
        } catch (err) {
          this.reply(message.requestId, errorText(err));
        }
        return;
      }
      case 'send':
        await this.handleSend(message);
        return;
      case 'stopRepeat':
        if (this.repeater?.running) this.repeater.stop();
        this.reply(message.requestId, undefined);
        this.batcher.touch();
        return;
      case 'behaviour':
        this.reply(message.requestId, this.setBehaviour(message.behaviour));
        return;
      case 'saveBehaviour': {
        const target = this.describeTarget();
        if (!target) {
          this.reply(message.requestId, 'Open a connection or listener first; presets belong to one.');
          return;
        }
        try {
          const saved = await this.host.saveBehaviour({ target, behaviour: this.behaviour });
          this.reply(message.requestId, saved ? undefined : 'Saving into the preset was cancelled.');
        } catch (err) {
          this.reply(message.requestId, `Could not save into the preset: ${errorText(err)}`);
        }
        return;
      }
      case 'close': {
        const target = this.target;
        if (target instanceof Connection) target.destroy();
        else if (target instanceof Listener) await target.stop();
        this.reply(message.requestId, target ? undefined : 'This panel is not showing a connection or listener.');
        this.batcher.touch();
        return;
      }
      case 'clear':
        for (const connection of this.tracked.values()) connection.log.clear();
        this.batcher.discard();
        this.host.post({ type: 'cleared' });
        return;
      case 'saveLog': {
        const target = this.target;
        if (!target) {
          this.reply(message.requestId, 'There is no traffic to save in this panel.');
          return;
        }
        const records: ExportRecord[] = this.retainedRecords().map(({ record, connection }) => ({
          seq: record.seq,
          time: record.time,
          dir: record.dir,
          conn: connection.id,
          peer: connection.remote ? `${connection.remote.address}:${connection.remote.port}` : undefined,
          bytes: record.bytes,
        }));
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        try {
          await this.host.saveLog(message.format, records, `tcp-lab-${target.id}-${stamp}.${message.format}`);
          this.reply(message.requestId);
        } catch (err) {
          this.reply(message.requestId, `Could not save the log: ${errorText(err)}`);
        }
        return;
      }
      case 'copy':
        await this.host.copy(message.text);
        return;
      case 'savePreset': {
        const target = this.describeTarget();
        if (!target) {
          this.reply(message.requestId, 'Open a connection or listener first; presets belong to one.');
          return;
        }
        try {
          const saved = await this.host.savePreset({ target, format: message.format, data: message.data, encoding: message.encoding, lineEnding: message.lineEnding });
          this.reply(message.requestId, saved ? undefined : 'Saving the preset was cancelled.');
        } catch (err) {
          this.reply(message.requestId, `Could not save the preset: ${errorText(err)}`);
        }
        return;
      }
    }
  }

  /** Applies a definition from the panel's editor; returns the problem as one sentence, or undefined. */
  private setBehaviour(raw: BehaviourInfo): string | undefined {
    const target = this.target;
    if (!target) return 'Open a connection or listener first; framing and rules belong to one.';
    const kind = target instanceof Listener ? 'listener' : 'client';
    const checked = validatePresetBehaviour({ kind, ...raw }, 'panel');
    if (!checked.ok) return checked.error.replace(/client preset/, 'connection');
    const framingBefore = JSON.stringify(this.behaviour.framing);
    if (target instanceof Listener) {
      this.applying = true;
      try {
        const applied = this.behaviours.apply(target, raw);
        if (!applied.ok) return applied.error;
        this.watchServer(applied.server);
      } finally {
        this.applying = false;
      }
    }
    this.adoptBehaviour(raw);
    // The whole retained log is shown again under the new framing, not just what arrives next.
    if (JSON.stringify(raw.framing) !== framingBefore && this.visible) this.postSnapshot();
    else this.batcher.touch();
    return undefined;
  }

  /** Hit counters and switched-off rules reach the header as they change. */
  private watchServer(server: MockServer): void {
    if (this.watchedServer === server) return;
    this.watchedServer = server;
    this.targetSubscriptions.add(server.onDidHitRule(() => this.batcher.touch()));
    this.targetSubscriptions.add(
      server.onDidFaultRule((fault) => {
        this.host.log(`Rule ${fault.index + 1} (${fault.name}) was switched off: ${fault.message}`);
        this.batcher.touch();
      }),
    );
  }

  private async handleSend(message: SendMessage): Promise<void> {
    const bytes = new Uint8Array(Buffer.from(message.data, 'base64'));
    if (bytes.length === 0) {
      this.reply(message.requestId, 'The payload is empty; type something to send.');
      return;
    }
    if (!message.repeat) {
      const outcome = await this.send(bytes, message);
      this.reply(message.requestId, outcome.error, undefined, outcome.detail);
      return;
    }
    if (this.repeater?.running) {
      this.reply(message.requestId, 'A repeat is already running in this panel; stop it first.');
      return;
    }
    this.repeater?.dispose();
    const repeat = message.repeat;
    let repeater: Repeater;
    try {
      repeater = new Repeater(async () => {
        const outcome = await this.send(bytes, message);
        if (outcome.error !== undefined) throw new TcpError('SEND_FAILED', outcome.error);
      }, repeat);
    } catch (err) {
      this.reply(message.requestId, errorText(err));
      return;
    }
    this.repeater = repeater;
    const info: RepeatInfo = { running: true, sent: 0, intervalMs: repeat.intervalMs, ...(repeat.count !== undefined ? { count: repeat.count } : {}) };
    this.repeatInfo = info;
    repeater.onDidRepeat((sent) => {
      info.sent = sent;
      this.batcher.touch();
    });
    repeater.onDidStop((outcome) => {
      info.running = false;
      info.sent = outcome.sent;
      info.outcome =
        outcome.reason === 'completed'
          ? `Sent ${outcome.sent} times.`
          : outcome.reason === 'stopped'
            ? `Stopped after ${outcome.sent} sends.`
            : `Stopped after ${outcome.sent} sends: ${outcome.error?.message ?? 'a send failed.'}`;
      this.batcher.touch();
    });
    repeater.start();
    this.reply(message.requestId);
    this.batcher.touch();
  }

  /** The connections a send goes to: the panel's connection, one client, or every open client. */
  private recipients(to: string | undefined): Connection[] | string {
    const target = this.target;
    if (target instanceof Connection) return [target];
    if (target instanceof Listener) {
      if (to === undefined || to === 'all') {
        const open = [...this.tracked.values()].filter((c) => c.writable);
        return open.length ? open : 'No client is connected to this listener yet; connect one and send again.';
      }
      const client = this.tracked.get(to);
      if (!client || client.state === 'closed') return `Client ${to} is no longer connected; pick another client or "All clients".`;
      return [client];
    }
    return 'This panel is not showing a connection or listener yet.';
  }

  private async send(bytes: Uint8Array, message: SendMessage): Promise<{ error?: string; detail?: string }> {
    const recipients = this.recipients(message.to);
    if (typeof recipients === 'string') return { error: recipients };
    const copies = message.copies ?? 1;
    if (message.faults === undefined && copies === 1) {
      try {
        const target = this.target;
        if (target instanceof Listener && (message.to === undefined || message.to === 'all')) await target.broadcast(bytes);
        else await recipients[0].send(bytes);
        return {};
      } catch (err) {
        return { error: errorText(err) };
      }
    }
    const checked = validateFaultOptions(message.faults, 'faults');
    if (!checked.ok) return { error: checked.error };
    const payloads = Array.from({ length: copies }, () => bytes);
    const plan = planWrites(payloads, checked.options);
    if (!plan.ok) return { error: plan.error };
    const results = await Promise.all(
      recipients.map(async (connection) => {
        const writes: FaultWrites = { written: 0, planned: plan.writes.length, startedAt: Date.now() };
        this.faultWrites.set(connection.id, writes);
        try {
          const result = await sendWithFaults(connection, payloads, checked.options);
          return { connection, writes: result.writes, after: result.after };
        } catch (err) {
          return { connection, error: errorText(err), writes: ((err as { writes?: WriteRecord[] }).writes ?? []) as WriteRecord[] };
        } finally {
          if (this.faultWrites.get(connection.id) === writes) this.faultWrites.delete(connection.id);
        }
      }),
    );
    const failed = results.find((r) => 'error' in r && r.error !== undefined);
    const first = results[0];
    const after = checked.options.after === 'halfClose' ? ', then half-closed (FIN)' : checked.options.after === 'reset' ? ', then reset (RST)' : '';
    const detail = `${recipients.length > 1 ? `To ${recipients.length} clients, each: ` : ''}${summariseWrites(first.writes)}${after}.`;
    if (failed && 'error' in failed) return { error: `${failed.connection.id}: ${failed.error}`, detail };
    return { detail };
  }
}
