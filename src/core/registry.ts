// The one place that knows every listener and connection by id, live and recent, and tells the host
// (tree, status bar, panel) when one appears, changes state, closes or is forgotten. Traffic is
// reported separately, at most a few times a second: no subscriber pays per chunk.
import { Connection, type ConnectOptions } from './connection';
import { TcpError } from './errors';
import { DisposableStore, Emitter, type Disposable, type Event } from './events';
import { ConnectionHistory, type HistoryItem, type HistoryLimits } from './history';
import { Listener, type ListenOptions } from './listener';
import type { TrafficLogLimits } from './trafficLog';
import type { TlsInfo } from '../shared/tls';
import type { ProxyListenerInfo, ProxyPairInfo } from '../shared/toxics';
import type { CloseReason, ConnectionRole, ConnectionState, Endpoint, TrafficTotals } from './types';

export type RegistryItem = Listener | Connection;

export interface ListenerInfo {
  id: string;
  host: string;
  requestedPort: number;
  address?: Endpoint;
  listening: boolean;
  /** Accepted connections not closed yet. */
  connectionIds: string[];
  /** Closed clients still kept in the history, oldest first. */
  closedConnectionIds: string[];
  /** Over the listener's whole life, including clients that have left. */
  totals: TrafficTotals;
  acceptedCount: number;
  startedAt: number;
  stoppedAt?: number;
  /** Set when this is a proxy's listening socket (its accepted connections are the proxy's pairs). */
  proxy?: ProxyListenerInfo;
}

export interface ConnectionInfo {
  id: string;
  role: ConnectionRole;
  listenerId?: string;
  state: ConnectionState;
  local?: Endpoint;
  remote?: Endpoint;
  totals: TrafficTotals;
  queuedBytes: number;
  openedAt: number;
  closedAt?: number;
  closeReason?: CloseReason;
  /** An outgoing connection TCP Lab can open again with the same host, port and options. */
  reconnectable: boolean;
  /** Why reading is paused, now or within the last READ_HOLD_LINGER_MS (Connection.recentReadHolds); empty when it is not. */
  readHolds: string[];
  /** The TLS session, for a TLS connection (tls://, a TLS listener's client, or after STARTTLS). */
  tls?: TlsInfo;
  /**
   * Set when this is the client side of a proxy pair: its upstream side. The pair's log tells the
   * whole conversation: 'in' = client → upstream as received, 'out' = upstream → client as written.
   */
  proxy?: ProxyPairInfo;
}

export interface RegistrySnapshot {
  /** Live listeners first, then stopped ones still in the history. */
  listeners: ListenerInfo[];
  /** Open connections first, then closed ones still in the history (oldest first). */
  connections: ConnectionInfo[];
}

/**
 * 'added': a new listener or connection; 'updated': its state changed (or a listener accepted a
 * client); 'closed': it closed or stopped and moved to the history; 'removed': it left the history.
 */
export type RegistryChange = { kind: 'added' | 'updated' | 'closed' | 'removed'; item: 'listener' | 'connection'; id: string };

/** Options every listen() and connect() starts from, so each entry point (commands, panel, .tcp files) follows the user's settings. */
export interface RegistryDefaults {
  log?: Partial<TrafficLogLimits>;
  allowHalfOpen?: boolean;
  /** `tcpLab.tls.keyLogFile`: where every TLS session's key-log lines go (empty: nowhere). */
  keyLogFile?: string;
  /** `tcpLab.connection.connectTimeout`: for a connect whose caller names no timeout of its own. */
  connectTimeoutMs?: number;
  /** What sets connectTimeoutMs, named in the timeout error (the setting's name). */
  connectTimeoutHint?: string;
}

/** How often at most onDidChangeTotals fires while traffic flows. */
export const TOTALS_INTERVAL_MS = 250;

export function describeListener(listener: Listener, closedConnectionIds: string[] = []): ListenerInfo {
  return {
    id: listener.id,
    host: listener.host,
    requestedPort: listener.requestedPort,
    address: listener.address && { ...listener.address },
    listening: listener.listening,
    connectionIds: listener.connections.map((connection) => connection.id),
    closedConnectionIds,
    totals: listener.totals,
    acceptedCount: listener.acceptedCount,
    startedAt: listener.startedAt,
    ...(listener.stoppedAt !== undefined ? { stoppedAt: listener.stoppedAt } : {}),
    ...(listener.proxy ? { proxy: { ...listener.proxy, toxics: listener.proxy.toxics.map((toxic) => ({ ...toxic })) } } : {}),
  };
}

export function describeConnection(connection: Connection, reconnectable = false): ConnectionInfo {
  return {
    id: connection.id,
    role: connection.role,
    listenerId: connection.listenerId,
    state: connection.state,
    local: connection.local && { ...connection.local },
    remote: connection.remote && { ...connection.remote },
    // A copy: the live totals keep counting after the snapshot is taken.
    totals: { ...connection.totals },
    queuedBytes: connection.queuedBytes,
    openedAt: connection.openedAt,
    closedAt: connection.closedAt,
    closeReason: connection.closeReason,
    reconnectable,
    readHolds: [...connection.recentReadHolds],
    ...(connection.tls ? { tls: connection.tls } : {}),
    ...(connection.proxy ? { proxy: { ...connection.proxy, faultsApplied: [...connection.proxy.faultsApplied] } } : {}),
  };
}

function isListener(item: HistoryItem): item is Listener {
  return item instanceof Listener;
}

export class Registry implements Disposable {
  private readonly listenerMap = new Map<string, Listener>();
  private readonly connectionMap = new Map<string, Connection>();
  /** Our subscriptions to each live item, released when it closes. */
  private readonly subscriptions = new Map<string, DisposableStore>();
  private readonly history = new ConnectionHistory((item) => this.forgotten(item));
  private readonly historyById = new Map<string, HistoryItem>();
  /** How each outgoing connection was opened, for Reconnect. */
  private readonly connectOptions = new WeakMap<Connection, ConnectOptions>();
  /** The item retire() is adding to the history, and whether the limits forgot it at once. */
  private retiring: { item: HistoryItem; forgotten: boolean } | undefined;
  private readonly changeEmitter = new Emitter<RegistryChange>();
  private readonly totalsEmitter = new Emitter<void>();
  private totalsTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly markTotalsChanged = (): void => {
    this.totalsTimer ??= setTimeout(() => {
      this.totalsTimer = undefined;
      this.totalsEmitter.fire();
    }, TOTALS_INTERVAL_MS);
  };
  private disposed = false;
  private defaults: RegistryDefaults = {};

  /** Membership and state changes only; never per chunk. */
  readonly onDidChange: Event<RegistryChange> = this.changeEmitter.event;
  /** Some connection's byte counts changed; fires at most every TOTALS_INTERVAL_MS. */
  readonly onDidChangeTotals: Event<void> = this.totalsEmitter.event;

  /** Replace the defaults for later listen()/connect() calls; explicit options still win. */
  setDefaults(defaults: RegistryDefaults): void {
    this.defaults = { ...defaults };
  }

  setHistoryLimits(limits: Partial<HistoryLimits>): void {
    this.history.setLimits(limits);
  }

  /**
   * `beforeAdd` runs before the registry announces the listener, so an owner (a proxy) can mark it
   * and subscribe to its accepts ahead of every other subscriber.
   */
  async listen(options: ListenOptions, beforeAdd?: (listener: Listener) => void): Promise<Listener> {
    this.throwIfDisposed();
    const { log, allowHalfOpen, keyLogFile } = this.defaults;
    const listener = this.unlessDisposed(await Listener.listen({ log, allowHalfOpen, keyLogFile, ...options }));
    beforeAdd?.(listener);
    this.add(listener);
    return listener;
  }

  async connect(options: ConnectOptions): Promise<Connection> {
    this.throwIfDisposed();
    const { connectTimeoutMs, connectTimeoutHint, ...socketDefaults } = this.defaults;
    const merged: ConnectOptions = { ...socketDefaults, ...options };
    // The default applies only when the caller chose no timeout (a .tcp TIMEOUT or an agent's
    // timeoutMs wins); an explicit `timeoutMs: undefined` counts as no choice, not as "10 s".
    if (options.timeoutMs === undefined && connectTimeoutMs !== undefined) {
      merged.timeoutMs = connectTimeoutMs;
      merged.timeoutHint = options.timeoutHint ?? connectTimeoutHint;
    }
    const connection = this.unlessDisposed(await Connection.connect(merged));
    // Everything but the abort signal (it belonged to that one attempt) is what Reconnect reuses.
    const reusable: ConnectOptions = { ...options };
    delete reusable.signal;
    this.connectOptions.set(connection, reusable);
    this.add(connection);
    return connection;
  }

  /** Opens a new connection to the same host and port, with the same options, as a closed outgoing one. */
  async reconnect(id: string): Promise<Connection> {
    const previous = this.get(id);
    const options = previous instanceof Connection ? this.connectOptions.get(previous) : undefined;
    if (!options) {
      throw new TcpError('NOT_RECONNECTABLE', `${id} is not an outgoing connection TCP Lab opened; use Connect… to open a new one.`);
    }
    return this.connect(options);
  }

  /** Track an item created elsewhere (a listener's future connections are tracked with it). */
  add(item: RegistryItem): void {
    if (item instanceof Listener) this.addListener(item);
    else this.addConnection(item);
  }

  /** Listeners still listening. */
  listeners(): Listener[] {
    return [...this.listenerMap.values()];
  }

  /** Connections not closed yet, accepted and outgoing. */
  connections(): Connection[] {
    return [...this.connectionMap.values()];
  }

  /** Closed connections still remembered, oldest first; only one listener's clients when given its id. */
  closedConnections(listenerId?: string): Connection[] {
    const closed: Connection[] = [];
    for (const item of this.history.all()) {
      if (!isListener(item) && (listenerId === undefined || item.listenerId === listenerId)) closed.push(item);
    }
    return closed;
  }

  /** Stopped listeners still remembered, oldest first. */
  stoppedListeners(): Listener[] {
    return this.history.all().filter(isListener);
  }

  /** Live or remembered. */
  get(id: string): RegistryItem | undefined {
    return this.listenerMap.get(id) ?? this.connectionMap.get(id) ?? this.historyById.get(id);
  }

  /** Only a listener still listening or a connection not closed yet. */
  getLive(id: string): RegistryItem | undefined {
    return this.listenerMap.get(id) ?? this.connectionMap.get(id);
  }

  /** Forget one closed connection or stopped listener (a stopped listener takes its closed clients along). */
  remove(id: string): boolean {
    const item = this.historyById.get(id);
    if (!item) return false;
    this.history.remove((candidate) => candidate === item || (isListener(item) && !isListener(candidate) && candidate.listenerId === id));
    return true;
  }

  /** Forget the history: every closed client of one listener, or everything closed and stopped. */
  clearHistory(listenerId?: string): void {
    if (listenerId === undefined) this.history.remove(() => true);
    else this.history.remove((item) => !isListener(item) && item.listenerId === listenerId);
  }

  /** A retained log was cleared or its limits changed: the history's byte budget recounts. */
  historyLogsChanged(): void {
    this.history.recount();
  }

  snapshot(): RegistrySnapshot {
    const closedByListener = new Map<string, string[]>();
    const closed = this.closedConnections();
    for (const connection of closed) {
      if (connection.listenerId === undefined) continue;
      const ids = closedByListener.get(connection.listenerId) ?? [];
      ids.push(connection.id);
      closedByListener.set(connection.listenerId, ids);
    }
    const listenerInfo = (listener: Listener): ListenerInfo => describeListener(listener, closedByListener.get(listener.id) ?? []);
    const connectionInfo = (connection: Connection): ConnectionInfo => describeConnection(connection, this.connectOptions.has(connection));
    return {
      listeners: [...this.listeners(), ...this.stoppedListeners()].map(listenerInfo),
      connections: [...this.connections(), ...closed].map(connectionInfo),
    };
  }

  /** Stop every listener and close every connection; resolves when all sockets are closed. */
  async stopAll(): Promise<void> {
    const closing: Promise<unknown>[] = [];
    for (const listener of this.listeners()) closing.push(listener.stop({ closeConnections: true }));
    for (const connection of this.connections()) {
      connection.destroy();
      closing.push(connection.waitForClose());
    }
    await Promise.all(closing);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.totalsTimer) clearTimeout(this.totalsTimer);
    for (const listener of this.listeners()) listener.dispose();
    for (const connection of this.connections()) connection.dispose();
    for (const store of this.subscriptions.values()) store.dispose();
    this.subscriptions.clear();
    this.listenerMap.clear();
    this.connectionMap.clear();
    this.historyById.clear();
    this.changeEmitter.dispose();
    this.totalsEmitter.dispose();
  }

  /** An item that opened while the registry was being disposed is closed again, and the caller told so. */
  private unlessDisposed<T extends RegistryItem>(item: T): T {
    if (this.disposed) {
      item.dispose();
      this.throwIfDisposed();
    }
    return item;
  }

  private throwIfDisposed(): void {
    if (this.disposed) {
      throw new TcpError('DISPOSED', 'TCP Lab is shutting down, so nothing new can be opened; reload the window to start again.');
    }
  }

  private addListener(listener: Listener): void {
    if (this.listenerMap.has(listener.id) || !listener.listening) return;
    const store = new DisposableStore();
    this.listenerMap.set(listener.id, listener);
    this.subscriptions.set(listener.id, store);
    store.add(
      listener.onDidAccept((connection) => {
        this.addConnection(connection);
        this.fire('updated', 'listener', listener.id);
      }),
    );
    store.add(listener.onDidStop(() => this.retire(listener)));
    store.add(listener.onDidChangeInfo(() => this.fire('updated', 'listener', listener.id)));
    this.fire('added', 'listener', listener.id);
    for (const connection of listener.connections) this.addConnection(connection);
  }

  private addConnection(connection: Connection): void {
    if (this.connectionMap.has(connection.id) || connection.state === 'closed') return;
    const store = new DisposableStore();
    const id = connection.id;
    this.connectionMap.set(id, connection);
    this.subscriptions.set(id, store);
    store.add(connection.onDidChangeState((state) => {
      if (state !== 'closed') this.fire('updated', 'connection', id);
    }));
    store.add(connection.onDidChangeRecentReadHolds(() => this.fire('updated', 'connection', id)));
    // STARTTLS changes what the tree and the panel show about the connection.
    store.add(connection.onDidHandshake(() => this.fire('updated', 'connection', id)));
    store.add(connection.onDidChangeInfo(() => {
      if (connection.state !== 'closed') this.fire('updated', 'connection', id);
    }));
    // Per chunk only a timer check: consumers hear of traffic a few times a second.
    store.add(connection.log.onDidAppend(this.markTotalsChanged));
    store.add(
      connection.onDidClose(() => {
        this.retire(connection);
        const listenerId = connection.listenerId;
        if (listenerId !== undefined && this.listenerMap.has(listenerId)) this.fire('updated', 'listener', listenerId);
      }),
    );
    this.fire('added', 'connection', id);
  }

  /** A live item closed or stopped: it moves into the history. */
  private retire(item: RegistryItem): void {
    const isStoppedListener = item instanceof Listener;
    const map: Map<string, RegistryItem> = isStoppedListener ? this.listenerMap : this.connectionMap;
    if (!map.delete(item.id)) return;
    this.subscriptions.get(item.id)?.dispose();
    this.subscriptions.delete(item.id);
    this.markTotalsChanged();
    if (this.disposed) return;
    this.historyById.set(item.id, item);
    // In the history before 'closed' fires, so subscribers see it there; a limit of zero forgets it
    // at once, and that reads as closed, then removed.
    const retiring = (this.retiring = { item, forgotten: false });
    this.history.add(item);
    this.retiring = undefined;
    const kind = isStoppedListener ? 'listener' : 'connection';
    this.fire('closed', kind, item.id);
    if (retiring.forgotten) this.fire('removed', kind, item.id);
  }

  private forgotten(item: HistoryItem): void {
    this.historyById.delete(item.id);
    // The closed connection's bytes are released with it; its capture file was closed at close.
    if (!(item instanceof Listener)) item.log.clear();
    if (this.retiring?.item === item) {
      this.retiring.forgotten = true;
      return;
    }
    this.fire('removed', item instanceof Listener ? 'listener' : 'connection', item.id);
  }

  private fire(kind: RegistryChange['kind'], item: RegistryChange['item'], id: string): void {
    this.changeEmitter.fire({ kind, item, id });
  }
}
