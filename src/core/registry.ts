// The one place that knows every live listener and connection, by id, and tells the host (tree,
// status bar, panel) when anything appears, changes or goes away.
import { Connection, type ConnectOptions } from './connection';
import { TcpError } from './errors';
import { DisposableStore, Emitter, type Disposable, type Event } from './events';
import { Listener, type ListenOptions } from './listener';
import type { TrafficLogLimits } from './trafficLog';
import type { CloseReason, ConnectionRole, ConnectionState, Endpoint, TrafficTotals } from './types';

export type RegistryItem = Listener | Connection;

export interface ListenerInfo {
  id: string;
  host: string;
  requestedPort: number;
  address?: Endpoint;
  listening: boolean;
  connectionIds: string[];
  startedAt: number;
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
}

export interface RegistrySnapshot {
  listeners: ListenerInfo[];
  connections: ConnectionInfo[];
}

export type RegistryChange = { kind: 'added' | 'removed' | 'updated'; item: 'listener' | 'connection'; id: string };

/** Options every listen() and connect() starts from, so each entry point (commands, panel, .tcp files) follows the user's settings. */
export interface RegistryDefaults {
  log?: Partial<TrafficLogLimits>;
  allowHalfOpen?: boolean;
}

export function describeListener(listener: Listener): ListenerInfo {
  return {
    id: listener.id,
    host: listener.host,
    requestedPort: listener.requestedPort,
    address: listener.address && { ...listener.address },
    listening: listener.listening,
    connectionIds: listener.connections.map((connection) => connection.id),
    startedAt: listener.startedAt,
  };
}

export function describeConnection(connection: Connection): ConnectionInfo {
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
  };
}

export class Registry implements Disposable {
  private readonly listenerMap = new Map<string, Listener>();
  private readonly connectionMap = new Map<string, Connection>();
  /** Our subscriptions to each tracked item, released when it leaves the registry. */
  private readonly subscriptions = new Map<string, DisposableStore>();
  private readonly changeEmitter = new Emitter<RegistryChange>();
  private disposed = false;
  private defaults: RegistryDefaults = {};

  /** 'updated' fires on state changes and on every chunk of traffic: consumers throttle. */
  readonly onDidChange: Event<RegistryChange> = this.changeEmitter.event;

  /** Replace the defaults for later listen()/connect() calls; explicit options still win. */
  setDefaults(defaults: RegistryDefaults): void {
    this.defaults = { ...defaults };
  }

  async listen(options: ListenOptions): Promise<Listener> {
    this.throwIfDisposed();
    const listener = await Listener.listen({ ...this.defaults, ...options });
    if (this.disposed) {
      listener.dispose();
      this.throwIfDisposed();
    }
    this.add(listener);
    return listener;
  }

  async connect(options: ConnectOptions): Promise<Connection> {
    this.throwIfDisposed();
    const connection = await Connection.connect({ ...this.defaults, ...options });
    if (this.disposed) {
      connection.dispose();
      this.throwIfDisposed();
    }
    this.add(connection);
    return connection;
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

  get(id: string): RegistryItem | undefined {
    return this.listenerMap.get(id) ?? this.connectionMap.get(id);
  }

  snapshot(): RegistrySnapshot {
    return {
      listeners: this.listeners().map(describeListener),
      connections: this.connections().map(describeConnection),
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
    for (const listener of this.listeners()) listener.dispose();
    for (const connection of this.connections()) connection.dispose();
    for (const store of this.subscriptions.values()) store.dispose();
    this.subscriptions.clear();
    this.listenerMap.clear();
    this.connectionMap.clear();
    this.changeEmitter.dispose();
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
    store.add(listener.onDidStop(() => this.removeListener(listener.id)));
    this.fire('added', 'listener', listener.id);
    for (const connection of listener.connections) this.addConnection(connection);
  }

  private removeListener(id: string): void {
    if (!this.listenerMap.delete(id)) return;
    this.subscriptions.get(id)?.dispose();
    this.subscriptions.delete(id);
    this.fire('removed', 'listener', id);
  }

  private addConnection(connection: Connection): void {
    if (this.connectionMap.has(connection.id) || connection.state === 'closed') return;
    const store = new DisposableStore();
    const id = connection.id;
    this.connectionMap.set(id, connection);
    this.subscriptions.set(id, store);
    // Traffic fires this per chunk, so one frozen change object is reused rather than allocated each time.
    const change: RegistryChange = Object.freeze({ kind: 'updated', item: 'connection', id });
    const updated = (): void => this.changeEmitter.fire(change);
    store.add(connection.onDidChangeState(updated));
    store.add(connection.onDidReceive(updated));
    store.add(connection.onDidSend(updated));
    store.add(
      connection.onDidClose(() => {
        this.removeConnection(id);
        const listenerId = connection.listenerId;
        if (listenerId !== undefined && this.listenerMap.has(listenerId)) this.fire('updated', 'listener', listenerId);
      }),
    );
    this.fire('added', 'connection', id);
  }

  private removeConnection(id: string): void {
    if (!this.connectionMap.delete(id)) return;
    this.subscriptions.get(id)?.dispose();
    this.subscriptions.delete(id);
    this.fire('removed', 'connection', id);
  }

  private fire(kind: RegistryChange['kind'], item: RegistryChange['item'], id: string): void {
    this.changeEmitter.fire({ kind, item, id });
  }
}
