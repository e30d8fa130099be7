// One traffic panel's host-side brain, without `vscode`: it follows a connection or a listener
// (and all its clients), batches their traffic for the webview, answers the webview's requests
// and validates every one of them first. The VS Code adapter (trafficPanel.ts) only supplies the
// transport and the few things that need the editor (save dialog, clipboard, settings).
import { Connection } from '../core/connection';
import { DisposableStore, type Disposable } from '../core/events';
import { Listener } from '../core/listener';
import type { Registry } from '../core/registry';
import type { TrafficRecord } from '../core/trafficLog';
import type { LineEnding, PayloadFormat, TextEncodingName } from '../shared/payloadTypes';
import type { FromWebviewMessage, PanelSettings, PeerInfo, TargetInfo, ToWebviewMessage, WireRecord } from '../shared/protocol';
import type { ExportRecord } from './logExport';
import { PanelBatcher } from './panelBatcher';
import { validateWebviewMessage } from './panelMessages';

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
}

/** Closed clients a listener panel keeps showing (with their logs) before forgetting the oldest. */
const MAX_CLOSED_PEERS = 200;

/** Base64 characters allowed to wait while the webview cannot keep up; older waiting records are dropped and counted. */
const MAX_PENDING_BASE64 = 8 * 1024 * 1024;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class PanelSession implements Disposable {
  private target: Listener | Connection | undefined;
  private readonly tracked = new Map<string, Connection>();
  private targetSubscriptions = new DisposableStore();
  private readonly batcher: PanelBatcher<WireRecord>;
  private nextSeq = 1;
  private visible = true;
  private disposed = false;

  constructor(
    private readonly registry: Registry,
    private readonly host: PanelSessionHost,
    targetId?: string,
    private notice?: string,
  ) {
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
      };
    }
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
    };
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
    this.targetSubscriptions.dispose();
    this.batcher.dispose();
    this.tracked.clear();
  }

  private attach(targetId: string): boolean {
    const item = this.registry.get(targetId);
    if (!item) return false;
    this.targetSubscriptions.dispose();
    // A disposed DisposableStore disposes whatever is added later, so each target gets a fresh one.
    this.targetSubscriptions = new DisposableStore();
    this.tracked.clear();
    this.batcher.discard();
    this.target = item;
    if (item instanceof Connection) {
      this.track(item);
    } else {
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
        if (this.visible) this.batcher.push(this.toWire(record, connection.id));
        else this.batcher.touch();
      }),
    );
    subscriptions.add(connection.onDidChangeState(() => this.batcher.touch()));
    subscriptions.add(connection.onDidClose(() => this.batcher.touch()));
    this.forgetOldClosedPeers();
    this.batcher.touch();
  }

  /** A long-running listener sees many short clients; keep memory bounded by their count too. */
  private forgetOldClosedPeers(): void {
    const closed = [...this.tracked.values()].filter((connection) => connection.state === 'closed');
    for (const connection of closed.slice(0, Math.max(0, closed.length - MAX_CLOSED_PEERS))) this.tracked.delete(connection.id);
  }

  private toWire(record: TrafficRecord, conn: string): WireRecord {
    const bytes = record.bytes;
    return { seq: this.nextSeq++, time: record.time, dir: record.dir, conn, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
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
    const records = retained.slice(start).map(({ record, connection }) => this.toWire(record, connection.id));
    let evicted = start;
    for (const connection of this.tracked.values()) evicted += connection.log.evicted.records;
    this.host.post({ type: 'snapshot', settings, target: this.describeTarget(), records, evicted, notice: this.notice });
    this.notice = undefined;
  }

  private reply(requestId: number, error?: string, targetId?: string): void {
    this.host.post({ type: 'reply', requestId, ok: error === undefined, ...(error !== undefined ? { error } : {}), ...(targetId ? { targetId } : {}) });
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
        this.reply(message.requestId, await this.send(message.data, message.to));
        return;
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

  private async send(data: string, to: string | undefined): Promise<string | undefined> {
    const bytes = new Uint8Array(Buffer.from(data, 'base64'));
    if (bytes.length === 0) return 'The payload is empty; type something to send.';
    const target = this.target;
    try {
      if (target instanceof Connection) {
        await target.send(bytes);
        return undefined;
      }
      if (target instanceof Listener) {
        if (to === undefined || to === 'all') {
          if (!target.connections.length) return 'No client is connected to this listener yet; connect one and send again.';
          await target.broadcast(bytes);
          return undefined;
        }
        const client = this.tracked.get(to);
        if (!client || client.state === 'closed') return `Client ${to} is no longer connected; pick another client or "All clients".`;
        await client.send(bytes);
        return undefined;
      }
      return 'This panel is not showing a connection or listener yet.';
    } catch (err) {
      return errorText(err);
    }
  }
}
