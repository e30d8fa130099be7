// The proxies by name: what the Start Proxy command, the panel, proxy presets, `tcp-lab serve` and
// the Toxiproxy-compatible HTTP API all drive. Built on the Registry: each proxy's listening socket
// is a registered Listener (ListenerInfo.proxy) and each accepted client a registered Connection
// (ConnectionInfo.proxy), so tree, panel, history, capture and pcapng export work unchanged. Every
// failure is a TcpError with one sentence; its code says which HTTP status Toxiproxy would answer
// (see proxyErrorStatus).
import { describeValue, isRecord } from '../../shared/describeValue';
import { parseHostPort, parseTarget } from '../../shared/hostPort';
import { mergeToxicUpdate, validateProxyDefinition, validateToxic, type ProxyDefinition, type ToxicDefinition } from '../../shared/toxics';
import { TcpError } from '../errors';
import { Emitter, type Disposable, type Event } from '../events';
import type { Registry } from '../registry';
import { Proxy, type ProxyLogLine, type ProxyTlsOptions } from './proxy';

export type { ProxyLogLine, ProxyTlsOptions } from './proxy';

/** 'created' / 'updated' (listen, upstream, enabled, toxics) / 'removed'. */
export interface ProxyHubChange {
  kind: 'created' | 'updated' | 'removed';
  name: string;
}

/** What may change on a proxy after it was created (Toxiproxy's POST /proxies/{name}). */
export interface ProxyUpdate {
  listen?: string;
  upstream?: string;
  enabled?: boolean;
}

export interface ProxyCreateOptions {
  tls?: ProxyTlsOptions;
}

/** TcpError codes of the hub, and the HTTP status Toxiproxy answers for each. */
export const PROXY_ERROR_STATUS: Readonly<Record<string, number>> = {
  INVALID_PROXY: 400,
  INVALID_TOXIC: 400,
  PROXY_NOT_FOUND: 404,
  TOXIC_NOT_FOUND: 404,
  PROXY_EXISTS: 409,
  TOXIC_EXISTS: 409,
  PAIR_NOT_FOUND: 404,
  PAIR_CLOSED: 409,
  PAIR_CONNECTING: 409,
};

/** The HTTP status for a hub error: 400/404/409 by code, 500 for socket errors (a port in use, …). */
export function proxyErrorStatus(err: unknown): number {
  const code = err instanceof TcpError ? err.code : undefined;
  return (code !== undefined ? PROXY_ERROR_STATUS[code] : undefined) ?? 500;
}

export class ProxyHub implements Disposable {
  private readonly proxies = new Map<string, Proxy>();
  private readonly changeEmitter = new Emitter<ProxyHubChange>();
  private readonly logEmitter = new Emitter<ProxyLogLine>();
  private disposed = false;

  readonly onDidChange: Event<ProxyHubChange> = this.changeEmitter.event;
  /** One line per pair opened/closed, fault acting, upstream failing (tcp-lab serve prints them). */
  readonly onDidLog: Event<ProxyLogLine> = this.logEmitter.event;

  constructor(private readonly registry: Registry) {}

  /**
   * Creates and (unless `enabled: false`) starts a proxy from `{name, listen, upstream, enabled?,
   * toxics?, framing?}`. Rejects with INVALID_PROXY / INVALID_TOXIC, PROXY_EXISTS, or the listener's
   * sentence (a port in use) and leaves nothing behind.
   */
  async create(definition: unknown, options: ProxyCreateOptions = {}): Promise<ProxyDefinition> {
    this.throwIfDisposed();
    const checked = validateProxyDefinition(definition);
    if (!checked.ok) throw new TcpError(isToxicProblem(checked.error) ? 'INVALID_TOXIC' : 'INVALID_PROXY', checked.error);
    if (this.proxies.has(checked.proxy.name)) {
      throw new TcpError('PROXY_EXISTS', `A proxy named "${checked.proxy.name}" already exists; choose another name, or update or delete that one.`);
    }
    const name = checked.proxy.name;
    const proxy = new Proxy(this.registry, checked.proxy, options.tls ?? {}, (line) => this.logEmitter.fire(line), () => this.changeEmitter.fire({ kind: 'updated', name }));
    // Claimed before listening, so two creates of one name cannot both succeed.
    this.proxies.set(proxy.name, proxy);
    try {
      await proxy.start();
    } catch (err) {
      this.proxies.delete(proxy.name);
      proxy.dispose();
      throw err;
    }
    this.changeEmitter.fire({ kind: 'created', name: proxy.name });
    return proxy.describe();
  }

  get(name: string): ProxyDefinition | undefined {
    return this.proxies.get(name)?.describe();
  }

  /** Like get(), but a missing proxy is a PROXY_NOT_FOUND error. */
  describe(name: string): ProxyDefinition {
    return this.proxy(name).describe();
  }

  list(): ProxyDefinition[] {
    return [...this.proxies.values()].map((proxy) => proxy.describe());
  }

  /** The registered listener's id of an enabled proxy (for the tree and the panel). */
  listenerId(name: string): string | undefined {
    return this.proxies.get(name)?.listenerId;
  }

  /** The proxy a registered listener belongs to. */
  proxyOfListener(listenerId: string): string | undefined {
    for (const proxy of this.proxies.values()) if (proxy.listenerId === listenerId) return proxy.name;
    return undefined;
  }

  /** Changes listen, upstream and/or enabled; other fields are ignored, as Toxiproxy does. */
  async update(name: string, patch: unknown): Promise<ProxyDefinition> {
    const proxy = this.proxy(name);
    if (!isRecord(patch)) throw new TcpError('INVALID_PROXY', `The update of proxy "${name}" must be an object with "listen", "upstream" or "enabled" (got ${describeValue(patch)}).`);
    const { listen, upstream, enabled } = patch as ProxyUpdate;
    if (enabled !== undefined && typeof enabled !== 'boolean') throw new TcpError('INVALID_PROXY', `proxy.enabled must be true or false (got ${describeValue(enabled)}).`);
    let listenAt: { host: string; port: number } | undefined;
    if (listen !== undefined) {
      const parsed = typeof listen === 'string' ? parseHostPort(listen, { allowZeroPort: true, defaultHost: '127.0.0.1' }) : undefined;
      if (!parsed?.ok) throw new TcpError('INVALID_PROXY', `proxy.listen: ${parsed?.message ?? `must be host:port such as 127.0.0.1:8080 (got ${describeValue(listen)}).`}`);
      listenAt = parsed;
    }
    let upstreamAt: { host: string; port: number; tls: boolean } | undefined;
    if (upstream !== undefined) {
      const parsed = typeof upstream === 'string' ? parseTarget(upstream) : undefined;
      if (!parsed?.ok) throw new TcpError('INVALID_PROXY', `proxy.upstream: ${parsed?.message ?? `must be host:port of the server (got ${describeValue(upstream)}).`}`);
      upstreamAt = parsed;
    }
    if (upstreamAt) proxy.setUpstream(upstreamAt.host, upstreamAt.port, upstreamAt.tls);
    if (listenAt) await proxy.setListen(listenAt.host, listenAt.port);
    if (enabled !== undefined) await proxy.setEnabled(enabled);
    this.changeEmitter.fire({ kind: 'updated', name });
    return proxy.describe();
  }

  /**
   * How the proxy cuts each stream into frames, for `when` triggers (and `describe`): the panel's
   * framing of a proxy lands here, so a trigger sees the frames the user sees. Takes effect on the
   * next bytes of open pairs too. Throws one sentence for a definition that is not valid.
   */
  setFraming(name: string, framing: ProxyDefinition['framing']): void {
    this.proxy(name).setFraming(framing);
    this.changeEmitter.fire({ kind: 'updated', name });
  }

  /** Stops the proxy (closing its pairs) and forgets it; false when there is none of that name. */
  async remove(name: string): Promise<boolean> {
    const proxy = this.proxies.get(name);
    if (!proxy) return false;
    this.proxies.delete(name);
    await proxy.stop();
    proxy.dispose();
    this.changeEmitter.fire({ kind: 'removed', name });
    return true;
  }

  /**
   * Toxiproxy's populate: every proxy in the list is created, or replaced when one of that name
   * differs (same definition: left alone, pairs and all); proxies not in the list stay. All entries
   * are checked before anything changes.
   */
  async populate(list: unknown, options: ProxyCreateOptions = {}): Promise<ProxyDefinition[]> {
    this.throwIfDisposed();
    if (!Array.isArray(list)) throw new TcpError('INVALID_PROXY', `populate takes a list of proxies (got ${describeValue(list)}).`);
    const names = new Set<string>();
    for (let i = 0; i < list.length; i++) {
      const checked = validateProxyDefinition(list[i], `proxies[${i}]`);
      if (!checked.ok) throw new TcpError(isToxicProblem(checked.error) ? 'INVALID_TOXIC' : 'INVALID_PROXY', checked.error);
      if (names.has(checked.proxy.name)) throw new TcpError('INVALID_PROXY', `proxies[${i}].name "${checked.proxy.name}" appears twice in the list; give each proxy its own name.`);
      names.add(checked.proxy.name);
    }
    const out: ProxyDefinition[] = [];
    for (const entry of list as Record<string, unknown>[]) {
      const name = entry.name as string;
      const existing = this.proxies.get(name);
      if (existing && sameDefinition(existing.describe(), entry)) {
        out.push(existing.describe());
        continue;
      }
      if (existing) await this.remove(name);
      out.push(await this.create(entry, options));
    }
    return out;
  }

  /** Toxiproxy's reset: every proxy enabled again and every toxic removed. */
  async reset(): Promise<void> {
    const problems: unknown[] = [];
    for (const proxy of this.proxies.values()) {
      proxy.setToxics([]);
      await proxy.setEnabled(true).catch((err: unknown) => problems.push(err));
      this.changeEmitter.fire({ kind: 'updated', name: proxy.name });
    }
    if (problems.length > 0) throw problems[0];
  }

  toxics(proxyName: string): ToxicDefinition[] {
    return this.proxy(proxyName).toxics.map((toxic) => ({ ...toxic }));
  }

  getToxic(proxyName: string, toxicName: string): ToxicDefinition | undefined {
    const toxic = this.proxies.get(proxyName)?.toxics.find((candidate) => candidate.name === toxicName);
    return toxic && { ...toxic };
  }

  /** Adds a toxic at the end of the chain; open pairs draw its toxicity and feel it at once. */
  addToxic(proxyName: string, toxic: unknown): ToxicDefinition {
    const proxy = this.proxy(proxyName);
    const checked = validateToxic(toxic);
    if (!checked.ok) throw new TcpError('INVALID_TOXIC', checked.error);
    if (proxy.toxics.some((candidate) => candidate.name === checked.toxic.name)) {
      throw new TcpError('TOXIC_EXISTS', `Proxy "${proxyName}" already has a toxic named "${checked.toxic.name}"; choose another name, or update or delete that one.`);
    }
    proxy.setToxics([...proxy.toxics, checked.toxic]);
    this.changeEmitter.fire({ kind: 'updated', name: proxyName });
    return { ...checked.toxic };
  }

  /** Toxiproxy's update: given fields replace the toxic's, attributes merged; open pairs follow. */
  updateToxic(proxyName: string, toxicName: string, patch: unknown): ToxicDefinition {
    const proxy = this.proxy(proxyName);
    const existing = this.toxic(proxy, toxicName);
    const checked = mergeToxicUpdate(existing, patch);
    if (!checked.ok) throw new TcpError('INVALID_TOXIC', checked.error);
    proxy.setToxics(proxy.toxics.map((toxic) => (toxic === existing ? checked.toxic : toxic)));
    this.changeEmitter.fire({ kind: 'updated', name: proxyName });
    return { ...checked.toxic };
  }

  removeToxic(proxyName: string, toxicName: string): void {
    const proxy = this.proxy(proxyName);
    const existing = this.toxic(proxy, toxicName);
    proxy.setToxics(proxy.toxics.filter((toxic) => toxic !== existing));
    this.changeEmitter.fire({ kind: 'updated', name: proxyName });
  }

  /**
   * The panel's injection: bytes into one direction of an open pair (`upstream`: to the server, as
   * if the client sent them; `downstream`: to the client), past the toxics, marked in the log.
   */
  inject(connectionId: string, stream: 'upstream' | 'downstream', bytes: Uint8Array): void {
    for (const proxy of this.proxies.values()) {
      const pair = proxy.pair(connectionId);
      if (pair) {
        pair.inject(stream, bytes);
        return;
      }
    }
    throw new TcpError('PAIR_NOT_FOUND', `${connectionId} is not an open proxy pair; pick an open connection of a proxy.`);
  }

  /** The proxy an open pair belongs to, by its client connection's id. */
  proxyOfConnection(connectionId: string): string | undefined {
    for (const proxy of this.proxies.values()) if (proxy.pair(connectionId)) return proxy.name;
    return undefined;
  }

  /** Stops every proxy and forgets them all. */
  async removeAll(): Promise<void> {
    for (const name of [...this.proxies.keys()]) await this.remove(name);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const proxy of this.proxies.values()) proxy.dispose();
    this.proxies.clear();
    this.changeEmitter.dispose();
    this.logEmitter.dispose();
  }

  private proxy(name: string): Proxy {
    const proxy = this.proxies.get(name);
    if (!proxy) throw new TcpError('PROXY_NOT_FOUND', `There is no proxy named "${name}"; list the proxies to see their names, or create it first.`);
    return proxy;
  }

  private toxic(proxy: Proxy, toxicName: string): ToxicDefinition {
    const toxic = proxy.toxics.find((candidate) => candidate.name === toxicName);
    if (!toxic) throw new TcpError('TOXIC_NOT_FOUND', `Proxy "${proxy.name}" has no toxic named "${toxicName}"; list its toxics to see their names.`);
    return toxic;
  }

  private throwIfDisposed(): void {
    if (this.disposed) throw new TcpError('DISPOSED', 'TCP Lab is shutting down, so no proxy can be started; reload the window to start again.');
  }
}

/** A validation message about a toxic (inside a proxy definition) rather than the proxy itself. */
function isToxicProblem(message: string): boolean {
  return /\.toxics\[\d+\]/.test(message);
}

function sameDefinition(current: ProxyDefinition, entry: Record<string, unknown>): boolean {
  const checked = validateProxyDefinition(entry);
  if (!checked.ok) return false;
  const wanted = checked.proxy;
  const [host, port] = [wanted.listenHost, wanted.listenPort];
  const listenMatches = port === 0 ? current.listen.startsWith(host) : current.listen === `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return (
    listenMatches &&
    current.upstream === `${wanted.upstreamTls ? 'tls://' : ''}${wanted.upstreamHost.includes(':') ? `[${wanted.upstreamHost}]` : wanted.upstreamHost}:${wanted.upstreamPort}` &&
    current.enabled === wanted.enabled &&
    JSON.stringify(current.toxics) === JSON.stringify(wanted.toxics)
  );
}
