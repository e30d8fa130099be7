// One named proxy: a registered Listener (marked with `Listener.proxy`) whose accepted clients each
// become a ProxyPair to the upstream, and the proxy's toxics, which every open pair follows live.
import { TcpError } from '../errors';
import { validateFraming, type ResolvedFraming } from '../../shared/framing';
import { formatHostPort } from '../../shared/hostPort';
import type { CheckedProxyDefinition, ProxyDefinition, ProxyListenerInfo, ToxicDefinition, ToxicStream } from '../../shared/toxics';
import { formatBytes } from '../../shared/formatBytes';
import type { Connection } from '../connection';
import type { Listener } from '../listener';
import type { Registry } from '../registry';
import { RuleSet } from '../rules';
import { prepareTls, type PreparedTls, type TlsSetup } from '../tls';
import type { ProxyToxic } from './pairToxic';
import { ProxyPair } from './proxyPair';
import { randomSeed } from './random';

/** TLS around a proxy, prepared by the caller (the app layer owns the local CA). */
export interface ProxyTlsOptions {
  /** Terminate TLS: clients speak TLS to the proxy with this certificate (the decrypted stream is relayed). */
  listen?: TlsSetup;
  /** Options for a `tls://` upstream (a CA to trust, insecure, server name, ALPN). */
  upstream?: TlsSetup;
}

/** A line about a proxy's pairs and faults (tcp-lab serve prints one per line). */
export interface ProxyLogLine {
  proxyName: string;
  connectionId?: string;
  message: string;
  /** Set when a fault caused the line: the toxic's phrase. */
  fault?: string;
}

export function compileToxic(definition: ToxicDefinition, previous?: ProxyToxic): ProxyToxic {
  const seed = definition.seed ?? (previous && previous.definition.seed === undefined ? previous.seed : randomSeed());
  let trigger: RuleSet | undefined;
  if (definition.when) {
    // The trigger is checked by validateToxic with the rules' own validation; checksum 'any' because
    // a trigger is about content, and a frame failing its checksum may be exactly the one to catch.
    const compiled = RuleSet.compile([{ ...definition.when, closeAfterReply: true, checksum: 'any' }], 'when');
    if (compiled.ok) trigger = compiled.rules;
  }
  return { definition, seed, trigger };
}

export class Proxy {
  readonly name: string;
  private listenHost: string;
  private listenPort: number;
  private upstreamHost: string;
  private upstreamPort: number;
  private upstreamTls: boolean;
  private enabledFlag: boolean;
  private toxicList: ProxyToxic[];
  private framingDefinition: ProxyDefinition['framing'];
  private resolvedFraming: { upstream?: ResolvedFraming; downstream?: ResolvedFraming } = {};
  private listener: Listener | undefined;
  private readonly pairs = new Set<ProxyPair>();
  private pairCount = 0;
  private readonly marker: ProxyListenerInfo;
  /** The upstream's TLS, files read once, when the upstream is `tls://`. */
  private upstreamPrepared: PreparedTls | undefined;

  constructor(
    private readonly registry: Registry,
    checked: CheckedProxyDefinition,
    private readonly tls: ProxyTlsOptions,
    private readonly log: (line: ProxyLogLine) => void,
    /** The proxy changed by itself (its listener was stopped from outside, e.g. the tree's Stop). */
    private readonly changed: () => void = () => undefined,
  ) {
    this.name = checked.name;
    this.listenHost = checked.listenHost;
    this.listenPort = checked.listenPort;
    this.upstreamHost = checked.upstreamHost;
    this.upstreamPort = checked.upstreamPort;
    this.upstreamTls = checked.upstreamTls;
    this.enabledFlag = checked.enabled;
    this.toxicList = checked.toxics.map((toxic) => compileToxic(toxic));
    this.setFraming(checked.framing);
    this.marker = { name: this.name, upstream: this.upstreamText, enabled: this.enabledFlag, toxics: this.toxics };
  }

  get enabled(): boolean {
    return this.enabledFlag;
  }

  /** The registered listener while enabled. */
  get listenerId(): string | undefined {
    return this.listener?.listening ? this.listener.id : undefined;
  }

  get toxics(): ToxicDefinition[] {
    return this.toxicList.map((toxic) => toxic.definition);
  }

  /** Open pairs' client connections (registered connections), oldest first. */
  get connections(): Connection[] {
    return [...this.pairs].map((pair) => pair.client);
  }

  private get upstreamText(): string {
    return `${this.upstreamTls ? 'tls://' : ''}${formatHostPort(this.upstreamHost, this.upstreamPort)}`;
  }

  describe(): ProxyDefinition {
    const port = this.listener?.address?.port ?? this.listenPort;
    return {
      name: this.name,
      listen: formatHostPort(this.listenHost, port),
      upstream: this.upstreamText,
      enabled: this.enabledFlag,
      toxics: this.toxics.map((toxic) => ({ ...toxic })),
      ...(this.framingDefinition ? { framing: { ...this.framingDefinition } } : {}),
    };
  }

  /** Starts listening when enabled; rejects (and stays stopped) with the listener's one sentence. */
  async start(): Promise<void> {
    if (!this.enabledFlag || this.listener?.listening) return;
    // Bad TLS files fail the start with their sentence, not each pair later.
    if (this.upstreamTls) this.upstreamPrepared ??= prepareTls(this.tls.upstream ?? {}, 'client');
    this.listener = await this.registry.listen(
      { host: this.listenHost, port: this.listenPort, allowHalfOpen: true, noDelay: true, ...(this.tls.listen ? { tls: this.tls.listen } : {}) },
      (listener) => {
        listener.setProxy(this.marker);
        // Stopped by someone else (the tree's Stop, Stop All): the proxy is disabled, as Toxiproxy shows it.
        listener.onDidStop(() => {
          if (this.listener !== listener) return;
          this.listener = undefined;
          this.enabledFlag = false;
          this.marker.enabled = false;
          this.changed();
        });
        // Ours runs before the registry's own subscriber, so a pair is marked before anyone sees it.
        listener.onDidAccept((client) => this.accept(client));
      },
    );
    // A proxy asked for port 0 keeps the port it got, so disabling and enabling it keeps its address.
    if (this.listenPort === 0 && this.listener.address) this.listenPort = this.listener.address.port;
  }

  /** Stops listening and closes every pair (Toxiproxy's disable). */
  async stop(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    if (listener) await listener.stop({ closeConnections: true });
    // Closing the clients only FINs each upstream (kept for a server still reading); a stopped proxy
    // must not leave those sockets behind, so both ends of every pair go at once.
    for (const pair of this.pairs) pair.dispose();
    await Promise.all([...this.pairs].map((pair) => pair.client.waitForClose()));
  }

  async setEnabled(enabled: boolean): Promise<void> {
    if (enabled === this.enabledFlag) return;
    this.enabledFlag = enabled;
    this.marker.enabled = enabled;
    if (enabled) {
      try {
        await this.start();
      } catch (err) {
        this.enabledFlag = false;
        this.marker.enabled = false;
        throw err;
      }
    } else {
      await this.stop();
    }
  }

  /** A new listen address: the listener moves (its pairs are closed, as Toxiproxy does). */
  async setListen(host: string, port: number): Promise<void> {
    if (host === this.listenHost && (port === this.listenPort || port === 0)) return;
    const previous = { host: this.listenHost, port: this.listenPort };
    const wasListening = this.listener !== undefined;
    await this.stop();
    this.listenHost = host;
    this.listenPort = port;
    if (!wasListening) return;
    try {
      await this.start();
    } catch (err) {
      // Back to the old address, so a port in use does not leave the proxy dead.
      this.listenHost = previous.host;
      this.listenPort = previous.port;
      await this.start().catch(() => undefined);
      throw err;
    }
  }

  /** New pairs go to the new upstream; open pairs keep theirs. */
  setUpstream(host: string, port: number, tls: boolean): void {
    if (tls) this.upstreamPrepared ??= prepareTls(this.tls.upstream ?? {}, 'client');
    this.upstreamHost = host;
    this.upstreamPort = port;
    this.upstreamTls = tls;
    this.marker.upstream = this.upstreamText;
    this.listener?.setProxy(this.marker);
  }

  /** Throws one sentence for a definition that is not valid, before changing anything. */
  setFraming(framing: ProxyDefinition['framing']): void {
    const resolved: typeof this.resolvedFraming = {};
    for (const stream of ['upstream', 'downstream'] as const) {
      const definition = framing?.[stream];
      if (definition === undefined) continue;
      const checked = validateFraming(definition);
      if (!checked.ok) throw new TcpError('INVALID_PROXY', `proxy.framing.${stream}: ${checked.error}`);
      resolved[stream] = checked.framing;
    }
    this.framingDefinition = framing;
    this.resolvedFraming = resolved;
  }

  /** Replaces the toxic list (already checked); open pairs follow at once. */
  setToxics(toxics: ToxicDefinition[]): void {
    const previous = this.toxicList;
    this.toxicList = toxics.map((definition) => {
      const same = previous.find((toxic) => toxic.definition === definition || sameToxic(toxic.definition, definition));
      return same ?? compileToxic(definition, previous.find((toxic) => toxic.definition.name === definition.name));
    });
    for (const toxic of previous) if (!this.toxicList.includes(toxic)) toxic.trigger?.dispose();
    this.marker.toxics = this.toxics;
    for (const pair of this.pairs) pair.setToxics(this.toxicList);
    this.listener?.setProxy(this.marker);
  }

  dispose(): void {
    for (const toxic of this.toxicList) toxic.trigger?.dispose();
    this.listener?.dispose();
    this.listener = undefined;
  }

  /** The open pair whose client connection has this id. */
  pair(connectionId: string): ProxyPair | undefined {
    for (const pair of this.pairs) if (pair.client.id === connectionId) return pair;
    return undefined;
  }

  private accept(client: Connection): void {
    const number = ++this.pairCount;
    const upstream = this.upstreamText;
    const pair = new ProxyPair(client, {
      proxyName: this.name,
      upstreamHost: this.upstreamHost,
      upstreamPort: this.upstreamPort,
      ...(this.upstreamTls && this.upstreamPrepared ? { upstreamTls: this.upstreamPrepared } : {}),
      pairNumber: number,
      toxics: this.toxicList,
      framing: (stream: ToxicStream) => this.resolvedFraming[stream],
      announce: (message, fault) => this.log({ proxyName: this.name, connectionId: client.id, message, ...(fault ? { fault } : {}) }),
    });
    this.pairs.add(pair);
    this.log({ proxyName: this.name, connectionId: client.id, message: `${client.id}: client ${client.label} → upstream ${upstream}` });
    client.onDidClose((event) => {
      this.pairs.delete(pair);
      this.log({
        proxyName: this.name,
        connectionId: client.id,
        message: `${client.id}: closed (${event.reason}); ${formatBytes(pair.info.bytesToUpstream)} to the upstream, ${formatBytes(client.totals.bytesOut)} to the client`,
      });
    });
  }
}

function sameToxic(a: ToxicDefinition, b: ToxicDefinition): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
