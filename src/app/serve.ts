// `tcp-lab serve`: runs listener presets (mock servers) and proxy presets without VS Code, with the
// Toxiproxy-compatible API if asked, and prints one line per connection, rule hit and fault. The
// same engine, presets and lifecycle lines as the editor; nobody is here to confirm an exposed
// port, so binding beyond loopback needs the caller's explicit `allowExposed`.
import { DisposableStore, type Disposable } from '../core/events';
import type { Listener } from '../core/listener';
import { MockServer } from '../core/mockServer';
import { ProxyHub } from '../core/proxy/proxyHub';
import { Registry } from '../core/registry';
import { errorMessage } from '../shared/errorMessage';
import { formatHostPort } from '../shared/hostPort';
import type { Preset } from '../shared/preset';
import { plural } from '../shared/plural';
import { assessBindExposure } from './exposurePolicy';
import { LifecycleLines, type LogSink } from './lifecycleLines';
import { hasMockBehaviour, presetTlsSetup } from './presetStarts';
import { ProxyApiServer, apiAddressProblem } from './proxy/proxyApi';

export interface ServeOptions {
  /** Every valid preset of the settings file. */
  presets: Preset[];
  /** The presets to run by name; empty: every listener and proxy preset. */
  names: string[];
  /** host:port for the proxy API; undefined: no API. */
  api?: string;
  /** Let presets, proxies and the API bind addresses other machines reach. */
  allowExposed: boolean;
  /** Where a preset's TLS file paths are read from (the workspace folder). */
  baseDir: string;
  /** Reported by the API's GET /version. */
  version: string;
  /** Receives every line (no trailing newline). */
  print: (line: string) => void;
}

/** A mistake in what was asked (unknown preset, exposed address): one sentence, exit code 2. */
export class ServeUsageError extends Error {}

const HOW_TO_EXPOSE = 'Use 127.0.0.1 or ::1, or pass --allow-exposed.';

/** The presets to run, or a ServeUsageError naming the problem. */
export function choosePresets(presets: Preset[], names: string[], hasApi: boolean): Preset[] {
  const runnable = presets.filter((p) => p.kind === 'listener' || p.kind === 'proxy');
  if (names.length === 0) {
    if (runnable.length === 0 && !hasApi) {
      throw new ServeUsageError('Nothing to serve: the settings have no listener or proxy preset; add one to tcpLab.presets, or pass --api 127.0.0.1:8474.');
    }
    return runnable;
  }
  return names.map((name) => {
    const preset = presets.find((p) => p.name === name);
    if (!preset) {
      const known = runnable.map((p) => JSON.stringify(p.name));
      throw new ServeUsageError(`Unknown preset ${JSON.stringify(name)}: ${known.length ? `use one of ${known.join(', ')}` : 'the settings have no listener or proxy preset'}.`);
    }
    if (preset.kind === 'client') throw new ServeUsageError(`Preset ${JSON.stringify(name)} is a client preset; tcp-lab serve runs listener and proxy presets (a .tcp file with tcp-lab test runs a client).`);
    return preset;
  });
}

/** Without the editor there is no local CA to fall back on. */
function noLocalCa(): never {
  throw new Error('serves TLS without a certificate, which only the editor\'s local CA provides; give tls.cert and tls.key (or tls.pfx) in the preset.');
}

/** Milliseconds-precise wall-clock time for a line: CI logs interleave with other programs'. */
function stamp(): string {
  return new Date().toISOString().slice(11, 23);
}

export class ServeSession implements Disposable {
  readonly registry = new Registry();
  readonly hub = new ProxyHub(this.registry);
  private api: ProxyApiServer | undefined;
  private readonly store = new DisposableStore();
  private stopping: Promise<void> | undefined;

  private constructor(private readonly options: ServeOptions) {
    const line = (text: string): void => options.print(`${stamp()} ${text}`);
    const sink: LogSink = { info: line, warn: line, error: line };
    this.store.add(new LifecycleLines(this.registry, sink));
    this.store.add(this.hub.onDidLog((entry) => line(`proxy ${entry.proxyName}: ${entry.message}`)));
  }

  /**
   * Starts every chosen preset and the API; on the first failure stops what started and rejects with
   * its sentence (a ServeUsageError for a mistake in what was asked).
   */
  static async start(options: ServeOptions): Promise<ServeSession> {
    const chosen = choosePresets(options.presets, options.names, options.api !== undefined);
    const apiProblem = options.api === undefined ? undefined : apiAddressProblem(options.api, options.allowExposed, 'or pass --allow-exposed');
    if (apiProblem) throw new ServeUsageError(apiProblem);
    if (!options.allowExposed) {
      for (const preset of chosen) {
        const exposure = assessBindExposure(preset.host, preset.port);
        if (exposure.exposed) throw new ServeUsageError(`Preset ${JSON.stringify(preset.name)} not started: ${exposure.sentence} ${HOW_TO_EXPOSE}`);
      }
    }
    const session = new ServeSession(options);
    try {
      for (const preset of chosen) await session.startPreset(preset);
      if (options.api !== undefined) await session.startApi(options.api);
    } catch (err) {
      await session.stop();
      throw err;
    }
    const parts = [plural(chosen.length, 'preset')];
    if (session.api) parts.push(`proxy API on http://${session.api.address}`);
    options.print(`${stamp()} Serving ${parts.join(', ')}; stop with Ctrl-C (SIGINT) or SIGTERM.`);
    return session;
  }

  /** Where the API listens, when it runs. */
  get apiAddress(): string | undefined {
    return this.api?.address;
  }

  private async startPreset(preset: Preset): Promise<void> {
    const label = `Preset ${JSON.stringify(preset.name)}`;
    try {
      if (preset.kind === 'proxy') await this.startProxy(preset);
      else await this.startListener(preset);
    } catch (err) {
      throw err instanceof ServeUsageError ? err : new Error(`${label}: ${errorMessage(err)}`);
    }
  }

  private async startProxy(preset: Preset): Promise<void> {
    // A preset's one framing applies to both directions; its `tls` terminates TLS for the clients.
    const framing = preset.framing ? { upstream: preset.framing, downstream: preset.framing } : undefined;
    const tls = await presetTlsSetup(preset, this.options.baseDir, noLocalCa);
    const proxy = await this.hub.create({
      name: preset.name,
      listen: formatHostPort(preset.host, preset.port),
      upstream: preset.upstream,
      toxics: preset.faults ?? [],
      ...(framing ? { framing } : {}),
    }, tls ? { tls: { listen: tls } } : {});
    const faults = proxy.toxics.length ? ` with ${proxy.toxics.map((t) => `${t.name} (${t.type}, ${t.stream})`).join(', ')}` : '';
    this.options.print(`${stamp()} Proxy ${JSON.stringify(preset.name)}: ${proxy.listen} → ${proxy.upstream}${faults}`);
  }

  private async startListener(preset: Preset): Promise<void> {
    const tls = await presetTlsSetup(preset, this.options.baseDir, noLocalCa);
    const listener = await this.registry.listen({ host: preset.host, port: preset.port, ...(tls ? { tls } : {}) });
    if (hasMockBehaviour(preset)) this.attachMockServer(listener, preset);
  }

  private attachMockServer(listener: Listener, preset: Preset): void {
    const attached = MockServer.attach(listener, preset, `Preset "${preset.name}"`);
    if (!attached.ok) throw new Error(attached.error);
    const server = attached.server;
    const line = (text: string): void => this.options.print(`${stamp()} ${text}`);
    line(`[${listener.id}] Preset ${JSON.stringify(preset.name)} answers as a mock server: ${plural(server.ruleStatus().length, 'rule')}, echo ${server.echo ? 'on' : 'off'}, framing ${server.settings.framing.mode}`);
    this.store.add(server);
    this.store.add(server.onDidHitRule((hit) => line(`[${hit.connectionId}] rule "${hit.name}" matched (hit ${hit.hits})`)));
    this.store.add(server.onDidFramingError(({ connectionId, error }) => line(`[${connectionId}] ${error.message}`)));
    this.store.add(server.onDidFaultRule((fault) => line(`[${listener.id}] rule "${fault.name}" switched off: ${fault.message}`)));
    this.store.add(server.onDidError((err) => line(`[${listener.id}] ${err.message}`)));
  }

  private async startApi(address: string): Promise<void> {
    const { allowExposed } = this.options;
    this.api = await ProxyApiServer.start(this.hub, {
      address,
      allowExposed,
      howToAllow: 'or pass --allow-exposed',
      version: this.options.version,
      onDidLog: (text) => this.options.print(`${stamp()} ${text}`),
      confirmProxyListen: async (host, port) => {
        if (allowExposed) return undefined;
        return `Not allowed: ${assessBindExposure(host, port).sentence} tcp-lab serve was started without --allow-exposed; listen on 127.0.0.1 or ::1.`;
      },
    });
  }

  /** Closes the API, every proxy and every listener with its connections; safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.api?.close();
      await this.hub.removeAll();
      await this.registry.stopAll();
      this.dispose();
    })();
    return this.stopping;
  }

  dispose(): void {
    this.store.dispose();
    this.hub.dispose();
    this.registry.dispose();
  }
}
