// The object `activate` returns to other extensions (typed by src/api/tcpLab.ts), built on the same
// Registry as the commands, so what another extension opens shows in the tree and the panel and
// closes on deactivate. What needs the editor (trust, the exposure question, the panel) is injected.
import type {
  TcpLabApi,
  TcpLabCloseEvent,
  TcpLabConnection,
  TcpLabConnectionInfo,
  TcpLabEvent,
  TcpLabListener,
  TcpLabTrafficRecord,
} from '../api/tcpLab';
import { assessBindExposure, type BindExposure } from './exposurePolicy';
import type { Connection } from '../core/connection';
import { TcpError } from '../core/errors';
import { DisposableStore, Emitter, type Disposable } from '../core/events';
import { DEFAULT_LISTEN_HOST, type Listener } from '../core/listener';
import type { Registry } from '../core/registry';
import type { TrafficRecord } from '../core/trafficLog';

export interface PublicApiHost {
  /** False in Restricted Mode: nothing opens then, as for every other entry point. */
  isTrusted(): boolean;
  /** Asks the user before a bind other machines can reach; true when confirmed. */
  confirmExposure(exposure: BindExposure): Promise<boolean>;
  showTraffic(id: string): Promise<void>;
}

const RESTRICTED = 'TCP Lab opens no sockets in Restricted Mode: trust the workspace (Workspaces: Manage Workspace Trust) first.';

function toBytes(data: Uint8Array | string): Uint8Array {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (data instanceof Uint8Array) return data;
  throw new TcpError('INVALID_INPUT', `send() takes a Uint8Array or a string, not ${data === null ? 'null' : typeof data}: encode the payload first.`);
}

/** Another extension may keep the bytes as long as it likes, so bytes the log reuses are copied. */
function toRecord(connection: Connection, record: TrafficRecord): TcpLabTrafficRecord {
  return { connectionId: connection.id, seq: record.seq, time: record.time, direction: record.dir, bytes: connection.log.stableRecord(record).bytes };
}

function infoOf(connection: Connection): TcpLabConnectionInfo {
  return {
    id: connection.id,
    role: connection.role,
    ...(connection.listenerId !== undefined ? { listenerId: connection.listenerId } : {}),
    ...(connection.local ? { local: { ...connection.local } } : {}),
    ...(connection.remote ? { remote: { ...connection.remote } } : {}),
  };
}

function closeEventOf(connection: Connection): TcpLabCloseEvent {
  return {
    ...infoOf(connection),
    reason: connection.closeReason ?? 'local',
    ...(connection.closeError ? { error: connection.closeError.message } : {}),
  };
}

/** Adapts core events (whose listeners return void) to VS Code's shape, where a listener may return anything. */
function event<T>(subscribe: (listener: (e: T) => void) => Disposable): TcpLabEvent<T> {
  return (listener) => subscribe((e) => void listener(e));
}

export class PublicApi implements TcpLabApi, Disposable {
  readonly apiVersion = 1 as const;
  private readonly connectionWrappers = new WeakMap<Connection, TcpLabConnection>();
  private readonly listenerWrappers = new WeakMap<Listener, TcpLabListener>();
  /** Live connections by id, so a close is reported even once the history has forgotten it. */
  private readonly live = new Map<string, Connection>();
  private readonly opened = new Emitter<TcpLabConnection>();
  private readonly closedEmitter = new Emitter<TcpLabCloseEvent>();
  private readonly traffic = new Emitter<TcpLabTrafficRecord>();
  /** Per-connection log subscriptions, held only while someone listens to onDidTraffic. */
  private readonly trafficTaps = new Map<string, Disposable>();
  private trafficSubscribers = 0;
  private readonly store = new DisposableStore();

  readonly onDidOpenConnection = event(this.opened.event);
  readonly onDidCloseConnection = event(this.closedEmitter.event);
  readonly onDidTraffic: TcpLabEvent<TcpLabTrafficRecord> = (listener) => {
    const subscription = this.traffic.event((e) => void listener(e));
    if (this.trafficSubscribers++ === 0) for (const connection of this.live.values()) this.tap(connection);
    let disposed = false;
    return {
      dispose: () => {
        if (disposed) return;
        disposed = true;
        subscription.dispose();
        if (--this.trafficSubscribers === 0) this.untapAll();
      },
    };
  };

  constructor(
    private readonly registry: Registry,
    private readonly host: PublicApiHost,
  ) {
    for (const connection of registry.connections()) this.live.set(connection.id, connection);
    this.store.add(this.opened);
    this.store.add(this.closedEmitter);
    this.store.add(this.traffic);
    this.store.add(
      registry.onDidChange((change) => {
        if (change.item !== 'connection') return;
        if (change.kind === 'added') {
          const connection = registry.get(change.id);
          if (!connection || !('role' in connection)) return;
          this.live.set(connection.id, connection);
          if (this.trafficSubscribers > 0) this.tap(connection);
          this.opened.fire(this.wrapConnection(connection));
        } else if (change.kind === 'closed') {
          const connection = this.live.get(change.id);
          if (!connection) return;
          this.live.delete(change.id);
          this.trafficTaps.get(change.id)?.dispose();
          this.trafficTaps.delete(change.id);
          this.closedEmitter.fire(closeEventOf(connection));
        }
      }),
    );
  }

  async listen(options: { host?: string; port: number }): Promise<TcpLabListener> {
    this.refuseWhenRestricted();
    const host = options?.host ?? DEFAULT_LISTEN_HOST;
    const exposure = assessBindExposure(host, options?.port);
    if (exposure.exposed && !(await this.host.confirmExposure(exposure))) {
      throw new TcpError('CANCELLED', `Not listening on ${host}: the user declined to make the port reachable from other machines. Listen on 127.0.0.1 to stay on this machine.`);
    }
    return this.wrapListener(await this.registry.listen({ host, port: options?.port }));
  }

  async connect(options: { host: string; port: number; timeoutMs?: number }): Promise<TcpLabConnection> {
    this.refuseWhenRestricted();
    const connection = await this.registry.connect({ host: options?.host, port: options?.port, timeoutMs: options?.timeoutMs });
    return this.wrapConnection(connection);
  }

  connections(): TcpLabConnection[] {
    return this.registry.connections().map((c) => this.wrapConnection(c));
  }

  listeners(): TcpLabListener[] {
    return this.registry.listeners().map((l) => this.wrapListener(l));
  }

  async showTraffic(id: string): Promise<void> {
    if (!this.registry.get(id)) throw new TcpError('NOT_FOUND', `No connection or listener '${id}': use an id from connections() or listeners().`);
    await this.host.showTraffic(id);
  }

  private refuseWhenRestricted(): void {
    if (!this.host.isTrusted()) throw new TcpError('RESTRICTED', RESTRICTED);
  }

  private tap(connection: Connection): void {
    if (this.trafficTaps.has(connection.id)) return;
    const id = connection.id;
    this.trafficTaps.set(id, connection.log.onDidAppend((record) => this.traffic.fire(toRecord(connection, record))));
  }

  private untapAll(): void {
    for (const tap of this.trafficTaps.values()) tap.dispose();
    this.trafficTaps.clear();
  }

  private wrapConnection(connection: Connection): TcpLabConnection {
    const known = this.connectionWrappers.get(connection);
    if (known) return known;
    const info = infoOf(connection);
    const wrapper: TcpLabConnection = {
      ...info,
      get state() {
        return connection.state;
      },
      send: async (data) => connection.send(toBytes(data)),
      end: () => connection.end(),
      close: () => connection.destroy(),
      onDidTraffic: event((listener) => connection.log.onDidAppend((record) => listener(toRecord(connection, record)))),
      onDidClose: event((listener) => connection.onDidClose(() => listener(closeEventOf(connection)))),
      closed: async () => {
        if (connection.state !== 'closed') await connection.waitForClose();
        return closeEventOf(connection);
      },
    };
    this.connectionWrappers.set(connection, wrapper);
    return wrapper;
  }

  private wrapListener(listener: Listener): TcpLabListener {
    const known = this.listenerWrappers.get(listener);
    if (known) return known;
    const wrapper: TcpLabListener = {
      id: listener.id,
      host: listener.host,
      port: listener.address?.port ?? listener.requestedPort,
      connections: () => listener.connections.map((c) => this.wrapConnection(c)),
      onDidAccept: event((subscriber) => listener.onDidAccept((c) => subscriber(this.wrapConnection(c)))),
      broadcast: async (data) => listener.broadcast(toBytes(data)),
      stop: () => listener.stop({ closeConnections: true }),
    };
    this.listenerWrappers.set(listener, wrapper);
    return wrapper;
  }

  dispose(): void {
    this.untapAll();
    this.store.dispose();
    this.live.clear();
  }
}
