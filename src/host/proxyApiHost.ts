// Starts and stops the Toxiproxy-compatible HTTP API with the `tcpLab.proxy.api` setting. An address
// other machines can reach asks first (the exposure policy's question), and so does a proxy an API
// client wants to listen on such an address; refusals and failures are one sentence each.
import * as vscode from 'vscode';
import { assessBindExposure } from '../app/exposurePolicy';
import { ProxyApiServer } from '../app/proxy/proxyApi';
import type { ProxyHub } from '../core/proxy/proxyHub';
import { errorMessage } from '../shared/errorMessage';
import { parseHostPort } from '../shared/hostPort';
import type { TcpLabConfig } from './config';
import { confirmExposure } from './exposurePrompt';

export const PROXY_API_SETTING = 'tcpLab.proxy.api';

export class ProxyApiHost implements vscode.Disposable {
  private api: ProxyApiServer | undefined;
  /** The setting's value the running API (or the last refusal) belongs to. */
  private applied: string | undefined;
  /** Changes apply one after another, so a quick edit cannot start two servers. */
  private queue: Promise<void> = Promise.resolve();
  private readonly subscription: vscode.Disposable;
  private disposed = false;

  constructor(
    private readonly hub: ProxyHub,
    private readonly config: TcpLabConfig,
    private readonly log: vscode.LogOutputChannel,
    private readonly version: string,
  ) {
    this.subscription = config.onDidChange((e) => {
      if (e.affectsConfiguration(PROXY_API_SETTING)) void this.apply();
    });
    void this.apply();
  }

  /** Where the API listens now, if it runs. */
  get address(): string | undefined {
    return this.api?.address;
  }

  /** Brings the API in line with the setting; resolves once it has. */
  apply(): Promise<void> {
    this.queue = this.queue.then(() => this.applyNow()).catch((err: unknown) => this.log.error(`Proxy API: ${errorMessage(err)}`));
    return this.queue;
  }

  private async applyNow(): Promise<void> {
    const wanted = this.disposed ? undefined : this.config.proxyApiAddress;
    if (wanted === this.applied && (wanted === undefined || this.api)) return;
    await this.stop();
    this.applied = wanted;
    if (wanted === undefined) return;

    const parsed = parseHostPort(wanted, { allowZeroPort: true });
    if (!parsed.ok) {
      this.refuse(`${PROXY_API_SETTING} ${JSON.stringify(wanted)} is not usable: ${parsed.message}`);
      return;
    }
    const exposure = assessBindExposure(parsed.host, parsed.port);
    if (exposure.exposed && !(await confirmExposure({ ...exposure, sentence: `The proxy API (${PROXY_API_SETTING}): ${exposure.sentence} Anyone who reaches it can open proxies on this machine.` }))) {
      this.refuse(`The proxy API was not started: listening on ${wanted} was not confirmed. Set ${PROXY_API_SETTING} to 127.0.0.1:8474 to keep it on this machine.`);
      return;
    }
    if (this.disposed || this.config.proxyApiAddress !== wanted) return;
    try {
      this.api = await ProxyApiServer.start(this.hub, {
        address: wanted,
        allowExposed: exposure.exposed,
        version: this.version,
        onDidLog: (line) => this.log.info(line),
        confirmProxyListen: async (host, port) => {
          const asked = assessBindExposure(host, port);
          const ok = await confirmExposure({ ...asked, sentence: `A client of the proxy API asks for a proxy on ${host}:${port}. ${asked.sentence ?? ''}` });
          return ok ? undefined : `Not allowed: the user declined a proxy on ${host}:${port}, which other machines could reach; listen on 127.0.0.1 or ::1.`;
        },
      });
      this.log.info(`Proxy API (Toxiproxy-compatible) listening on http://${this.api.address}`);
    } catch (err) {
      this.refuse(errorMessage(err));
    }
  }

  private refuse(sentence: string): void {
    this.log.warn(sentence);
    void vscode.window.showWarningMessage(sentence);
  }

  private async stop(): Promise<void> {
    const api = this.api;
    this.api = undefined;
    if (!api) return;
    const where = api.address;
    await api.close();
    this.log.info(`Proxy API on http://${where} stopped`);
  }

  dispose(): void {
    this.disposed = true;
    this.subscription.dispose();
    void this.stop();
  }
}
