// One traffic panel's host-side brain, without `vscode`: it follows a connection or a listener (and
// every client it has had), answers the webview's requests and validates every one of them first.
// The rows live in a FeedChannel, sending in a PanelSender; the VS Code adapter (host/trafficPanel)
// only supplies the transport and what needs the editor (save dialog, clipboard, settings).
import { Connection } from '../../core/connection';
import { DisposableStore, type Disposable } from '../../core/events';
import { LatencyTracker } from '../../core/latency';
import type { MockServer } from '../../core/mockServer';
import { Listener } from '../../core/listener';
import type { Registry } from '../../core/registry';
import { DEFAULT_MAX_FRAME_BYTES, type FramingDefinition, type ResolvedFraming } from '../../shared/framing';
import type { LineEnding, PayloadFormat, TextEncodingName } from '../../shared/payloadTypes';
import { validatePresetBehaviour } from '../../shared/presetBehaviour';
import { describeReadHolds } from '../../shared/readHolds';
import type { ChecksumDefinition } from '../../shared/checksum';
import type { BehaviourInfo, FromWebviewMessage, PanelSettings, PeerInfo, ProxyPanelInfo, QuickSendInfo, TargetInfo, ToWebviewMessage } from '../../shared/protocol';
import { defaultBehaviourInfo, ListenerBehaviours } from '../listenerBehaviours';
import { logFileName, type ExportRecord } from '../logExport';
import { assessBindExposure, type BindExposure } from '../exposurePolicy';
import { FeedChannel } from './feedChannel';
import { PanelSender } from './panelSender';
import { validateWebviewMessage } from './panelMessages';
import { formatEndpoint } from '../../shared/hostPort';
import { errorMessage } from '../../shared/errorMessage';
import { plural } from '../../shared/plural';
import { localCaListenerTls } from '../localCa';
import type { PanelProxies } from './panelProxies';
import type { SendMessage } from '../../shared/protocol';

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
  checksum?: ChecksumDefinition;
}

/** What the session needs from its surroundings; the VS Code adapter implements it, tests stub it. */
export interface PanelSessionHost {
  post(message: ToWebviewMessage): void;
  settings(): PanelSettings;
  /** A line for the output channel (refused messages, failures). */
  log(line: string): void;
  /** Called when the panel starts showing another target (title, panel map). */
  onDidRetarget(targetId: string): void;
  /** Asks where to save and writes; resolves the saved file's path, or undefined when the user cancelled. */
  /** `encoding` is the panel's display encoding, for the CSV's text column. */
  saveLog(format: 'jsonl' | 'csv', records: ExportRecord[], suggestedName: string, encoding?: TextEncodingName): Promise<string | undefined>;
  /** Asks where to save and exports the target as pcapng; resolves the file's path, or undefined when cancelled. */
  exportPcapng(targetId: string): Promise<string | undefined>;
  copy(text: string): Promise<void>;
  savePreset(request: PresetPayloadRequest): Promise<boolean>;
  /** Writes framing (and for listeners echo and rules) into this target's preset; false when cancelled. */
  saveBehaviour(request: PresetBehaviourRequest): Promise<boolean>;
  /** Asks before a listener would be reachable from other machines; true when confirmed (or nothing to ask). */
  confirmExposure(exposure: BindExposure): Promise<boolean>;
  /** The quick-send bar for this target: its preset's payloads, if a preset matches. */
  quickSend?(target: TargetInfo): QuickSendInfo | undefined;
  /** Shows every checksum of a row's bytes or of text selected in the log (TCP: Compute Checksum). */
  computeChecksum?(subject: { bytes?: Uint8Array; text?: string; source: string }): void;
  /** Where TCP: Create Local Certificate Authority keeps the local CA (TLS listeners use its certificate). */
  localCaDirectory?(): string | undefined;
  /** The proxy engine: proxy panels show their faults and inject into either direction. */
  proxies?: PanelProxies;
}

const NO_FRAMING: ResolvedFraming = { mode: 'none', maxFrameBytes: DEFAULT_MAX_FRAME_BYTES };

function endpointText(endpoint: { address: string; family: string; port: number } | undefined): string | undefined {
  if (!endpoint) return undefined;
  return formatEndpoint(endpoint);
}

export class PanelSession implements Disposable {
  private target: Listener | Connection | undefined;
  private channel: FeedChannel | undefined;
  private sender: PanelSender | undefined;
  private latency: LatencyTracker | undefined;
  private targetSubscriptions = new DisposableStore();
  private visible = true;
  private disposed = false;
  /** Framing and (listeners) echo and rules, as the panel's editor shows them. */
  private behaviour: BehaviourInfo = defaultBehaviourInfo();
  private framing: ResolvedFraming = NO_FRAMING;
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
    if (targetId !== undefined) this.attach(targetId);
  }

  get targetId(): string | undefined {
    return this.target?.id;
  }

  /** The rows of this panel (for tests and the tree's Save log). */
  get feed(): FeedChannel | undefined {
    return this.channel;
  }

  /** A hidden webview is torn down (no retainContextWhenHidden) and asks for a snapshot when shown again. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    this.channel?.setActive(visible);
  }

  settingsChanged(): void {
    this.host.post({ type: 'settings', settings: this.host.settings() });
    // Presets may have changed too: the quick-send bar follows them.
    this.host.post({ type: 'quickSend', quickSend: this.quickSend() });
  }

  private quickSend(): QuickSendInfo | undefined {
    const target = this.describeTarget();
    return target ? this.host.quickSend?.(target) : undefined;
  }

  /** Entry point for everything the webview posts. Never throws. */
  handle(raw: unknown): void {
    const result = validateWebviewMessage(raw);
    if (!result.ok) {
      this.host.log(`Ignored a message from the traffic panel: ${result.reason}.`);
      return;
    }
    this.dispatch(result.message).catch((err: unknown) => this.host.log(`Traffic panel request failed: ${errorMessage(err)}`));
  }

  /** The local CA's localhost certificate for a TLS listener, or a TcpError saying how to make one. */
  private localCaTls(): Promise<{ cert: string; key: string }> {
    return localCaListenerTls(this.host.localCaDirectory?.());
  }

  /** The panel's target as the webview sees it. */
  describeTarget(): TargetInfo | undefined {
    const target = this.target;
    if (!target) return undefined;
    const repeat = this.sender?.repeat;
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
        ...(target.closedAt !== undefined ? { closedAt: target.closedAt } : {}),
        role: target.role,
        ...(describeReadHolds(target.recentReadHolds) ? { slowedBy: describeReadHolds(target.recentReadHolds) } : {}),
        ...(target.tls ? { tls: target.tls } : {}),
        ...(this.latency ? { latency: this.latencyInfo() } : {}),
        ...(repeat ? { repeat } : {}),
        ...this.proxyInfo(target.id),
      };
    }
    const server = this.behaviours.server(target.id);
    const peers: PeerInfo[] = (this.channel?.feed.connections() ?? []).map((connection) => ({
      id: connection.id,
      remote: connection.remote,
      state: connection.state,
      ...(connection.closeReason ? { closeReason: connection.closeReason } : {}),
    }));
    peers.sort((a, b) => Number(a.state === 'closed') - Number(b.state === 'closed'));
    const held = (this.channel?.feed.connections() ?? []).filter((c) => c.recentReadHolds.length > 0);
    const slowedBy = held.length ? `${plural(held.length, 'client')}: ${describeReadHolds(held[0].recentReadHolds)}` : undefined;
    return {
      kind: 'listener',
      id: target.id,
      listening: target.listening,
      ...(target.tls ? { tls: true } : {}),
      host: target.host,
      requestedPort: target.requestedPort,
      local: target.address,
      totals: target.totals,
      startedAt: target.startedAt,
      ...(target.stoppedAt !== undefined ? { stoppedAt: target.stoppedAt } : {}),
      acceptedCount: target.acceptedCount,
      ...(slowedBy ? { slowedBy } : {}),
      peers,
      ...(repeat ? { repeat } : {}),
      ...(server ? { ruleHits: server.ruleStatus().map((r) => ({ hits: r.hits, enabled: r.enabled, ...(r.disabledReason ? { disabledReason: r.disabledReason } : {}) })) } : {}),
      ...this.proxyInfo(target.id),
    };
  }

  private proxyInfo(targetId: string): { proxy?: ProxyPanelInfo } {
    const proxy = this.host.proxies?.infoFor(targetId);
    return proxy ? { proxy } : {};
  }

  private latencyInfo(): { count: number; p50?: number; p95?: number } {
    const stats = this.latency!.stats();
    const round = (value: number | undefined) => (value === undefined ? undefined : Math.round(value * 10) / 10);
    const p50 = round(stats.p50);
    const p95 = round(stats.p95);
    return { count: stats.count, ...(p50 !== undefined ? { p50 } : {}), ...(p95 !== undefined ? { p95 } : {}) };
  }

  /** Every row of the panel that carries bytes, oldest first, as a saved log holds them. */
  exportRecords(): ExportRecord[] {
    const feed = this.channel?.feed;
    if (!feed) return [];
    return feed
      .all()
      // Bytes only: a connect/close row has none, a framing error row only the bytes of an unfinished frame.
      .filter((row) => row.kind !== 'event' && row.length > 0)
      .map((row) => ({
        seq: row.rec,
        time: row.time,
        dir: row.dir,
        conn: row.connection.id,
        peer: endpointText(row.connection.remote),
        bytes: feed.bytesOf(row),
      }));
  }

  dispose(): void {
    this.disposed = true;
    this.detach();
    if (this.ownsBehaviours) this.behaviours.dispose();
  }

  private detach(): void {
    this.targetSubscriptions.dispose();
    this.sender?.dispose();
    this.sender = undefined;
    this.channel?.dispose();
    this.channel = undefined;
    this.latency?.dispose();
    this.latency = undefined;
  }

  private attach(targetId: string): boolean {
    const item = this.registry.get(targetId);
    if (!item) return false;
    this.detach();
    // A disposed DisposableStore disposes whatever is added later, so each target gets a fresh one.
    this.targetSubscriptions = new DisposableStore();
    this.target = item;
    this.watchedServer = undefined;
    this.adoptBehaviour(item instanceof Listener ? (this.behaviours.get(item.id) ?? defaultBehaviourInfo()) : defaultBehaviourInfo());
    const channel = new FeedChannel(this.registry, item, this.framing);
    channel.setActive(this.visible);
    this.channel = channel;
    this.sender = new PanelSender(item, channel.feed, () => channel.touch());
    const subscriptions = this.targetSubscriptions;
    subscriptions.add(channel.onDidUpdate((update) => {
      if (this.disposed || !this.visible) return;
      this.host.post({ type: 'traffic', ...update });
      const target = this.describeTarget();
      if (target) this.host.post({ type: 'target', target });
    }));
    // Faults added elsewhere (the tree, the HTTP API, another panel) show in this header too.
    const proxies = this.host.proxies;
    if (proxies) subscriptions.add(proxies.onDidChange(() => channel.touch()));
    const existingServer = item instanceof Listener ? this.behaviours.server(item.id) : undefined;
    if (existingServer) this.watchServer(existingServer);
    if (item instanceof Connection) {
      // Request → response latency only means something where we ask and a server answers.
      if (item.role === 'client') {
        this.latency = new LatencyTracker(item);
        // Sends a .tcp lens or the palette made before the panel opened count too.
        this.latency.seed(item.log.records());
        subscriptions.add(this.latency.onDidUpdate(() => channel.touch()));
      }
      subscriptions.add(item.onDidChangeState(() => channel.touch()));
    } else {
      subscriptions.add(this.behaviours.onDidChange((id) => {
        // Our own change is adopted by setBehaviour; this is for changes made elsewhere.
        if (id !== item.id || this.applying) return;
        const raw = this.behaviours.get(id);
        if (raw && raw !== this.behaviour) {
          this.adoptBehaviour(raw);
          this.host.post({ type: 'behaviour', behaviour: raw });
        }
      }));
      subscriptions.add(item.onDidStop(() => channel.touch()));
    }
    return true;
  }

  /** Takes a (validated) definition: framing for the log, echo and rules live in the listener's mock server. */
  private adoptBehaviour(raw: BehaviourInfo): boolean {
    const kind = this.isMockable() ? 'listener' : 'client';
    const checked = validatePresetBehaviour({ kind, ...raw }, kind);
    if (!checked.ok) return false;
    const framingChanged = JSON.stringify(checked.behaviour.framing) !== JSON.stringify(this.framing);
    this.behaviour = raw;
    this.framing = checked.behaviour.framing;
    if (framingChanged) this.channel?.feed.setFraming(this.framing);
    return true;
  }

  private postSnapshot(): void {
    const channel = this.channel;
    const records = channel?.snapshotRows() ?? [];
    const feed = channel?.info ?? { firstId: 1, lastId: 0, size: 0, dropped: 0, pendingFrameBytes: 0 };
    this.host.post({ type: 'snapshot', settings: this.host.settings(), target: this.describeTarget(), records, feed, notice: this.notice, behaviour: this.behaviour, quickSend: this.quickSend() });
    this.notice = undefined;
  }

  private reply(requestId: number, error?: string, extra: { targetId?: string; detail?: string } = {}): void {
    this.host.post({
      type: 'reply',
      requestId,
      ok: error === undefined,
      ...(error !== undefined ? { error } : {}),
      ...(extra.targetId ? { targetId: extra.targetId } : {}),
      ...(extra.detail ? { detail: extra.detail } : {}),
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
        this.channel?.setActive(true);
        this.postSnapshot();
        return;
      case 'follow':
        this.channel?.follow(message.following, message.lastId, message.rows);
        return;
      case 'rows': {
        const channel = this.channel;
        if (!channel) return this.reply(message.requestId, 'This panel is not showing a connection or listener.');
        const records = channel.rows(message);
        this.host.post({ type: 'reply', requestId: message.requestId, ok: true, records, feed: channel.info });
        return;
      }
      case 'record': {
        const record = this.channel?.record(message.id);
        if (!record) return this.reply(message.requestId, `Record row ${message.id} is no longer kept; the log limits dropped it.`);
        this.host.post({ type: 'reply', requestId: message.requestId, ok: true, records: [record] });
        return;
      }
      case 'listen':
      case 'connect': {
        if (this.targetIsLive()) {
          this.reply(message.requestId, `This panel already shows ${this.target?.id}; open another traffic panel to start something new.`);
          return;
        }
        // The panel's Listen form asks the same question as the palette before exposing a port.
        if (message.type === 'listen' && !(await this.host.confirmExposure(assessBindExposure(message.host, message.port)))) {
          this.reply(message.requestId, `Not listening on ${message.host}: binding it was not confirmed; use 127.0.0.1 to stay on this machine.`);
          return;
        }
        try {
          const tls = message.type === 'listen' && message.tls ? await this.localCaTls() : undefined;
          const item = message.type === 'listen'
            ? await this.registry.listen({ host: message.host, port: message.port, ...(tls ? { tls } : {}) })
            : await this.registry.connect({ host: message.host, port: message.port, ...(message.tls ? { tls: { ...message.tls } } : {}) });
          this.attach(item.id);
          this.host.onDidRetarget(item.id);
          this.reply(message.requestId, undefined, { targetId: item.id });
          this.postSnapshot();
        } catch (err) {
          this.reply(message.requestId, errorMessage(err));
        }
        return;
      }
      case 'startProxy': {
        const proxies = this.host.proxies;
        if (!proxies) return this.reply(message.requestId, 'Proxies are not available in this window.');
        if (this.targetIsLive()) {
          this.reply(message.requestId, `This panel already shows ${this.target?.id}; open another traffic panel to start a proxy.`);
          return;
        }
        if (!(await this.host.confirmExposure(assessBindExposure(message.host, message.port)))) {
          this.reply(message.requestId, `Not listening on ${message.host}: binding it was not confirmed; use 127.0.0.1 to stay on this machine.`);
          return;
        }
        try {
          const id = await proxies.start({ host: message.host, port: message.port, upstream: message.upstream });
          this.attach(id);
          this.host.onDidRetarget(id);
          this.reply(message.requestId, undefined, { targetId: id });
          this.postSnapshot();
        } catch (err) {
          this.reply(message.requestId, errorMessage(err));
        }
        return;
      }
      case 'toxic':
      case 'removeToxic': {
        const target = this.target;
        const proxies = this.host.proxies;
        if (!target || !proxies || !proxies.infoFor(target.id)) return this.reply(message.requestId, 'This panel does not show a proxy; faults belong to a proxy (TCP: Start Proxy…).');
        try {
          if (message.type === 'toxic') proxies.setToxic(target.id, message.toxic, message.replaces);
          else proxies.removeToxic(target.id, message.name);
          this.reply(message.requestId, undefined);
        } catch (err) {
          this.reply(message.requestId, errorMessage(err));
        }
        this.channel?.touch();
        return;
      }
      case 'send': {
        if (!this.sender) return this.reply(message.requestId, 'This panel is not showing a connection or listener yet.');
        if (message.stream !== undefined && this.target && this.host.proxies?.infoFor(this.target.id)) {
          const injected = await this.inject(message);
          this.reply(message.requestId, injected.error, { detail: injected.detail });
          return;
        }
        const outcome = await this.sender.handle(message);
        this.reply(message.requestId, outcome.error, { detail: outcome.detail });
        return;
      }
      case 'computeChecksum':
        this.host.computeChecksum?.({ ...(message.data !== undefined ? { bytes: new Uint8Array(Buffer.from(message.data, 'base64')) } : { text: message.text }), source: message.source });
        return;
      case 'sendSequence': {
        if (!this.sender) return this.reply(message.requestId, 'This panel is not showing a connection or listener yet.');
        const outcome = await this.sender.handleSequence(message);
        this.reply(message.requestId, outcome.error, { detail: outcome.detail });
        return;
      }
      case 'stopRepeat':
        this.sender?.stopRepeat();
        this.reply(message.requestId, undefined);
        this.channel?.touch();
        return;
      case 'behaviour':
        this.reply(message.requestId, this.setBehaviour(message.behaviour));
        return;
      case 'saveBehaviour':
        await this.saveIntoPreset(message.requestId, (target) => this.host.saveBehaviour({ target, behaviour: this.behaviour }), 'Saving into the preset was cancelled.', 'Could not save into the preset');
        return;
      case 'close': {
        const target = this.target;
        const proxies = this.host.proxies;
        if (target instanceof Connection) target.destroy();
        // A proxy's listener: the proxy itself stops, so its name is free for the next start.
        else if (target instanceof Listener && target.proxy && proxies && target.listening) await proxies.stop(target.id).catch((err: unknown) => this.host.log(`Stopping the proxy failed: ${errorMessage(err)}`));
        else if (target instanceof Listener) await target.stop();
        this.reply(message.requestId, target ? undefined : 'This panel is not showing a connection or listener.');
        this.channel?.touch();
        return;
      }
      case 'startTls': {
        const target = this.target;
        if (!(target instanceof Connection)) return this.reply(message.requestId, 'Start TLS upgrades a connection; this panel shows a listener or nothing.');
        try {
          // A bench upgrading by hand wants the session, not a refusal: the client side accepts any
          // certificate and the header shows what was wrong with it; the server side presents the local CA's.
          await target.startTls(target.role === 'client' ? { insecure: true } : await this.localCaTls());
          this.reply(message.requestId, undefined);
        } catch (err) {
          this.reply(message.requestId, errorMessage(err));
        }
        this.channel?.touch();
        return;
      }
      case 'clear':
        this.channel?.feed.clear();
        this.host.post({ type: 'cleared' });
        return;
      case 'saveLog': {
        const target = this.target;
        if (!target) {
          this.reply(message.requestId, 'There is no traffic to save in this panel.');
          return;
        }
        const records = this.exportRecords();
        try {
          const path = await this.host.saveLog(message.format, records, logFileName(target.id, message.format), message.encoding ?? this.host.settings().encoding);
          this.reply(message.requestId, path === undefined ? 'Saving the log was cancelled.' : undefined, path === undefined ? {} : { detail: `Saved ${plural(records.length, 'record')} to ${path}.` });
        } catch (err) {
          this.reply(message.requestId, `Could not save the log: ${errorMessage(err)}`);
        }
        return;
      }
      case 'exportPcapng': {
        const target = this.target;
        if (!target) {
          this.reply(message.requestId, 'There is no traffic to export in this panel.');
          return;
        }
        try {
          const path = await this.host.exportPcapng(target.id);
          this.reply(message.requestId, path === undefined ? 'Exporting as pcapng was cancelled.' : undefined, path === undefined ? {} : { detail: `Exported as pcapng to ${path}.` });
        } catch (err) {
          this.reply(message.requestId, `Could not export as pcapng: ${errorMessage(err)}`);
        }
        return;
      }
      case 'copy':
        await this.host.copy(message.text);
        return;
      case 'savePreset':
        await this.saveIntoPreset(
          message.requestId,
          (target) => this.host.savePreset({ target, format: message.format, data: message.data, encoding: message.encoding, lineEnding: message.lineEnding, ...(message.checksum ? { checksum: message.checksum } : {}) }),
          'Saving the preset was cancelled.',
          'Could not save the preset',
        );
        return;
    }
  }

  /** A send on a proxy panel: the bytes go into one direction of one pair, or of every open pair. */
  private async inject(message: SendMessage): Promise<{ error?: string; detail?: string }> {
    const proxies = this.host.proxies;
    const target = this.target;
    const stream = message.stream ?? 'downstream';
    if (!proxies || !target) return { error: 'This panel does not show a proxy.' };
    if (message.repeat || message.faults || (message.copies ?? 1) > 1) {
      return { error: 'Repeat, copies and send faults are for sockets TCP Lab owns; on a proxy, add a fault in Proxy faults instead.' };
    }
    const bytes = new Uint8Array(Buffer.from(message.data, 'base64'));
    const pairs =
      target instanceof Connection
        ? [target]
        : (this.channel?.feed.connections() ?? []).filter((c) => c.state !== 'closed' && (message.to === undefined || message.to === 'all' || c.id === message.to));
    if (pairs.length === 0) return { error: target instanceof Connection ? 'This pair is closed; nothing can be injected into it.' : 'No open pair to inject into; connect a client to the proxy first.' };
    try {
      for (const pair of pairs) await proxies.inject(pair.id, stream, bytes);
    } catch (err) {
      return { error: errorMessage(err) };
    }
    const way = stream === 'upstream' ? 'to the upstream' : 'to the client';
    return { detail: `injected ${plural(bytes.length, 'byte')} ${way}${pairs.length > 1 ? ` of ${plural(pairs.length, 'pair')}` : ''}` };
  }

  /** Both "save into a preset" requests: they need a target, and end in one sentence when cancelled or failed. */
  private async saveIntoPreset(requestId: number, save: (target: TargetInfo) => Promise<boolean>, cancelled: string, failed: string): Promise<void> {
    const target = this.describeTarget();
    if (!target) {
      this.reply(requestId, 'Open a connection or listener first; presets belong to one.');
      return;
    }
    if (target.proxy) {
      this.reply(requestId, `Proxy "${target.proxy.name}" is not saved from its panel; write a proxy preset ("kind": "proxy", upstream, faults) in tcpLab.presets.`);
      return;
    }
    try {
      this.reply(requestId, (await save(target)) ? undefined : cancelled);
    } catch (err) {
      this.reply(requestId, `${failed}: ${errorMessage(err)}`);
    }
  }

  /** Applies a definition from the panel's editor; returns the problem as one sentence, or undefined. */
  private setBehaviour(raw: BehaviourInfo): string | undefined {
    const target = this.target;
    if (!target) return 'Open a connection or listener first; framing and rules belong to one.';
    const kind = this.isMockable() ? 'listener' : 'client';
    const checked = validatePresetBehaviour({ kind, ...raw }, 'panel');
    if (!checked.ok) return checked.error.replace(/client preset/, 'connection');
    const framingBefore = JSON.stringify(this.framing);
    if (target instanceof Listener && kind === 'listener') {
      this.applying = true;
      try {
        const applied = this.behaviours.apply(target, raw);
        if (!applied.ok) return applied.error;
        this.watchServer(applied.server);
      } finally {
        this.applying = false;
      }
    }
    // A proxy's framing also decides what its `when` triggers match, so the two never disagree.
    const proxies = this.host.proxies;
    if (proxies?.infoFor(target.id)) {
      try {
        // The definition as written (validated above), not its resolved bytes: the hub keeps and describes it.
        proxies.setFraming(target.id, raw.framing as unknown as FramingDefinition);
      } catch (err) {
        return errorMessage(err);
      }
    }
    this.adoptBehaviour(raw);
    // The whole retained log is shown again under the new framing, not just what arrives next.
    if (JSON.stringify(this.framing) !== framingBefore && this.visible) this.postSnapshot();
    else this.channel?.touch();
    return undefined;
  }

  /** A plain listener can answer by itself (echo, rules); a proxy's listener relays instead, so it only frames. */
  private isMockable(): boolean {
    return this.target instanceof Listener && this.target.proxy === undefined;
  }

  /** Hit counters and switched-off rules reach the header as they change. */
  private watchServer(server: MockServer): void {
    if (this.watchedServer === server) return;
    this.watchedServer = server;
    const channel = this.channel;
    this.targetSubscriptions.add(server.onDidHitRule(() => channel?.touch()));
    this.targetSubscriptions.add(
      server.onDidFaultRule((fault) => {
        this.host.log(`Rule ${fault.index + 1} (${fault.name}) was switched off: ${fault.message}`);
        channel?.touch();
      }),
    );
  }
}
