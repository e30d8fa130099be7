// The panel's view of the proxy engine (PanelProxies over a ProxyHub and the Registry): a panel
// shows a proxy's listener or one of its pairs, so every call starts from a registry id and finds
// the proxy's name through the registry's markers (ListenerInfo.proxy / ConnectionInfo.proxy).
import { Connection } from '../../core/connection';
import { TcpError } from '../../core/errors';
import type { Event } from '../../core/events';
import { Listener } from '../../core/listener';
import type { ProxyHub } from '../../core/proxy/proxyHub';
import type { Registry } from '../../core/registry';
import type { FramingDefinition } from '../../shared/framing';
import { formatHostPort } from '../../shared/hostPort';
import type { ProxyPanelInfo } from '../../shared/protocol';
import { validateToxic, type ToxicStream } from '../../shared/toxics';
import type { PanelProxies } from './panelProxies';

export class ProxyPanelControl implements PanelProxies {
  readonly onDidChange: Event<string>;

  constructor(
    private readonly registry: Registry,
    private readonly hub: ProxyHub,
  ) {
    this.onDidChange = (listener) => hub.onDidChange((change) => listener(change.name));
  }

  /** The proxy's name for a listener (the proxy's) or connection (a pair's client side) id. */
  proxyNameOf(targetId: string): string | undefined {
    const item = this.registry.get(targetId);
    if (item instanceof Listener) return item.proxy?.name;
    if (item instanceof Connection) return item.proxy?.proxyName;
    return undefined;
  }

  infoFor(targetId: string): ProxyPanelInfo | undefined {
    const item = this.registry.get(targetId);
    const marker = item instanceof Listener ? item.proxy : undefined;
    const pair = item instanceof Connection ? item.proxy : undefined;
    const name = marker?.name ?? pair?.proxyName;
    if (name === undefined) return undefined;
    // The hub's definition is the live one (bound port, faults); a removed proxy's panel keeps its marker's.
    const live = this.hub.get(name);
    const listener = item instanceof Listener ? item : undefined;
    const bound = listener?.address ? formatHostPort(listener.address.address, listener.address.port) : undefined;
    const info: ProxyPanelInfo = {
      name,
      listen: live?.listen ?? bound ?? '?',
      upstream: live?.upstream ?? marker?.upstream ?? pair?.upstream ?? '?',
      enabled: live?.enabled ?? false,
      toxics: live?.toxics ?? marker?.toxics ?? [],
    };
    if (pair) {
      info.upstreamState = pair.upstreamState === 'failed' ? 'closed' : pair.upstreamState;
      if (pair.upstreamLocal) info.upstreamLocal = { ...pair.upstreamLocal };
    }
    return info;
  }

  async start(request: { host: string; port: number; upstream: string }): Promise<string> {
    const name = this.freeName();
    await this.hub.create({ name, listen: formatHostPort(request.host, request.port), upstream: request.upstream });
    const id = this.hub.listenerId(name);
    if (id === undefined) throw new TcpError('PROXY_NOT_FOUND', `Proxy "${name}" started but is not listening; start it again.`);
    return id;
  }

  /** Stops the proxy of a listener (its pairs close) and forgets it; its log stays in the history. */
  async stop(targetId: string): Promise<void> {
    await this.hub.remove(this.requireName(targetId));
  }

  setToxic(targetId: string, toxic: Record<string, unknown>, replaces?: string): void {
    const name = this.requireName(targetId);
    if (replaces === undefined) {
      this.hub.addToxic(name, toxic);
      return;
    }
    const existing = this.hub.getToxic(name, replaces);
    if (!existing) throw new TcpError('TOXIC_NOT_FOUND', `Proxy "${name}" has no fault named "${replaces}" any more; add it again.`);
    const checked = validateToxic(toxic);
    if (!checked.ok) throw new TcpError('INVALID_TOXIC', checked.error);
    // Same name and type: changed in place, so open pairs keep their draw. Otherwise it is replaced,
    // checked first so a refused fault never costs the old one.
    if (checked.toxic.name === existing.name && checked.toxic.type === existing.type) {
      this.hub.updateToxic(name, replaces, checked.toxic);
      return;
    }
    if (checked.toxic.name !== replaces && this.hub.getToxic(name, checked.toxic.name)) {
      throw new TcpError('TOXIC_EXISTS', `Proxy "${name}" already has a fault named "${checked.toxic.name}"; choose another name.`);
    }
    this.hub.removeToxic(name, replaces);
    this.hub.addToxic(name, checked.toxic);
  }

  removeToxic(targetId: string, toxicName: string): void {
    this.hub.removeToxic(this.requireName(targetId), toxicName);
  }

  setFraming(targetId: string, framing: FramingDefinition): void {
    this.hub.setFraming(this.requireName(targetId), { upstream: framing, downstream: framing });
  }

  async inject(pairId: string, stream: ToxicStream, bytes: Uint8Array): Promise<void> {
    // The engine writes past the pair's toxics and marks the record as injected.
    this.hub.inject(pairId, stream, bytes);
  }

  private requireName(targetId: string): string {
    const name = this.proxyNameOf(targetId);
    if (name === undefined) throw new TcpError('PROXY_NOT_FOUND', `${targetId} is not a proxy or a proxy pair; faults belong to a proxy (TCP: Start Proxy…).`);
    return name;
  }

  private freeName(): string {
    for (let n = 1; ; n++) if (!this.hub.get(`proxy${n}`)) return `proxy${n}`;
  }
}
