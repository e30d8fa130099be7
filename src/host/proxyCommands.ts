// Proxies from the palette and the tree: Start Proxy… (upstream, then the local address; port 0
// picks a free one), Stop Proxy, Add Fault… and Remove Fault… on a proxy or one of its pairs. The
// engine (ProxyHub) checks every value and words every refusal; this file only asks and reports.
import * as vscode from 'vscode';
import { targetIdOf, type CommandArg } from '../app/commandArgs';
import { assessBindExposure } from '../app/exposurePolicy';
import type { ProxyPanelControl } from '../app/panel/proxyPanelControl';
import type { ProxyHub } from '../core/proxy/proxyHub';
import type { Registry } from '../core/registry';
import { errorMessage } from '../shared/errorMessage';
import { formatHostPort, parseHostPort, parseTarget } from '../shared/hostPort';
import { RULE_MATCH_KINDS, type RuleMatchKind } from '../shared/ruleDefinition';
import { TOXIC_ATTRIBUTE_FIELDS, TOXIC_STREAM_LABELS, TOXIC_TYPE_HINTS, describeToxicAttributes } from '../shared/toxicFields';
import { TOXIC_STREAMS, TOXIC_TYPES, validateToxic, type ProxyDefinition, type ToxicStream, type ToxicType } from '../shared/toxics';
import type { CommandHandlers, CommandSource } from './commandRegistration';
import type { TcpLabConfig } from './config';
import { confirmExposure } from './exposurePrompt';
import type { TargetPicker } from './targetPicker';
import type { TrafficPanelManager } from './trafficPanel';

export const PROXY_COMMANDS = {
  startProxy: 'tcpLab.startProxy',
  stopProxy: 'tcpLab.stopProxy',
  addFault: 'tcpLab.addProxyFault',
  removeFault: 'tcpLab.removeProxyFault',
} as const;

export interface ProxyServices {
  registry: Registry;
  hub: ProxyHub;
  control: ProxyPanelControl;
  config: TcpLabConfig;
  log: vscode.LogOutputChannel;
  picker: TargetPicker;
  panels: TrafficPanelManager;
}

/** What Start Proxy may be given by a caller (a test, another command) instead of asking. */
export interface StartProxyArgs {
  upstream?: string;
  listen?: string;
  name?: string;
}

const MATCH_WORDS: Record<RuleMatchKind, string> = { exact: 'is exactly', hexPrefix: 'starts with the hex bytes', contains: 'contains', regex: 'matches the regex' };

export class ProxyCommands implements CommandSource {
  constructor(private readonly services: ProxyServices) {}

  commands(): CommandHandlers {
    return {
      [PROXY_COMMANDS.startProxy]: (arg) => this.startProxy(typeof arg === 'object' && arg !== null && !('targetId' in arg) ? (arg as StartProxyArgs) : {}),
      [PROXY_COMMANDS.stopProxy]: (arg) => this.stopProxy(arg as CommandArg),
      [PROXY_COMMANDS.addFault]: (arg) => this.addFault(arg as CommandArg),
      [PROXY_COMMANDS.removeFault]: (arg) => this.removeFault(arg as CommandArg),
    };
  }

  /** Resolves the new proxy's listener id, or undefined when the user cancelled. */
  async startProxy(args: StartProxyArgs = {}): Promise<string | undefined> {
    const { hub, config, log, picker, panels, registry } = this.services;
    const upstream =
      args.upstream ??
      (await vscode.window.showInputBox({
        title: vscode.l10n.t('Start Proxy (1/2): upstream'),
        prompt: vscode.l10n.t('The server every client is relayed to, as host:port (tls://host:port to speak TLS to it)'),
        placeHolder: '127.0.0.1:8080',
        ignoreFocusOut: true,
        validateInput: (value) => {
          const parsed = parseTarget(value);
          return parsed.ok ? undefined : parsed.message;
        },
      }));
    if (upstream === undefined) return undefined;
    const listen =
      args.listen ??
      (await vscode.window.showInputBox({
        title: vscode.l10n.t('Start Proxy (2/2): listen on'),
        prompt: vscode.l10n.t('Where your client connects instead, as host:port or a port (0 picks a free port)'),
        value: formatHostPort(config.defaultHost, 0),
        ignoreFocusOut: true,
        validateInput: (value) => {
          const parsed = parseHostPort(value, { allowZeroPort: true, defaultHost: config.defaultHost });
          return parsed.ok ? undefined : parsed.message;
        },
      }));
    if (listen === undefined) return undefined;
    const at = parseHostPort(listen, { allowZeroPort: true, defaultHost: config.defaultHost });
    if (!at.ok) throw new Error(at.message);
    if (!(await confirmExposure(assessBindExposure(at.host, at.port)))) return undefined;
    const name = args.name ?? this.freeName(upstream);
    const created = await hub.create({ name, listen: formatHostPort(at.host, at.port), upstream: upstream.trim() });
    const id = hub.listenerId(name);
    log.info(`Proxy "${name}" listens on ${created.listen} and relays to ${created.upstream}`);
    const listener = id ? registry.getLive(id) : undefined;
    if (id && listener) {
      void picker.reveal(id);
      panels.open(id);
    }
    void vscode.window.showInformationMessage(vscode.l10n.t('Proxy "{0}" listens on {1} and relays to {2}.', name, created.listen, created.upstream), vscode.l10n.t('Copy Address')).then((choice) => {
      if (choice) void vscode.env.clipboard.writeText(created.listen);
    });
    return id;
  }

  async stopProxy(arg: CommandArg): Promise<void> {
    const proxy = await this.resolveProxy(arg, vscode.l10n.t('Stop which proxy?'));
    if (!proxy) return;
    await this.services.hub.remove(proxy.name);
    this.services.log.info(`Proxy "${proxy.name}" stopped`);
  }

  async addFault(arg: CommandArg): Promise<void> {
    const proxy = await this.resolveProxy(arg, vscode.l10n.t('Add a fault to which proxy?'));
    if (!proxy) return;
    const typePick = await vscode.window.showQuickPick(
      TOXIC_TYPES.map((type) => ({ label: type, description: TOXIC_TYPE_HINTS[type], type })),
      { title: vscode.l10n.t('Add Fault to "{0}": type', proxy.name) },
    );
    if (!typePick) return;
    const type: ToxicType = typePick.type;
    const streamPick = await vscode.window.showQuickPick(
      TOXIC_STREAMS.map((stream) => ({ label: TOXIC_STREAM_LABELS[stream], stream })),
      { title: vscode.l10n.t('Add Fault "{0}": which direction', type) },
    );
    if (!streamPick) return;
    const stream: ToxicStream = streamPick.stream;
    const attributes: Record<string, unknown> = {};
    for (const field of TOXIC_ATTRIBUTE_FIELDS[type]) {
      const value = await vscode.window.showInputBox({
        title: vscode.l10n.t('Add Fault "{0}": {1}', type, field.label),
        prompt: field.optional ? vscode.l10n.t('Leave empty for the default') : undefined,
        ignoreFocusOut: true,
        validateInput: (text) => {
          if (text.trim() === '') return field.optional ? undefined : vscode.l10n.t('Enter {0}.', field.label);
          if (field.text) return undefined;
          // The engine's own check, on the fault as it would be with this value.
          const checked = validateToxic({ type, stream, attributes: { ...attributes, [field.key]: Number(text) } });
          return checked.ok || !checked.error.includes(field.key) ? undefined : checked.error;
        },
      });
      if (value === undefined) return;
      if (value.trim() === '') continue;
      attributes[field.key] = field.text ? value : Number(value);
    }
    const scope = await vscode.window.showQuickPick(
      [
        { label: vscode.l10n.t('Every byte of the stream'), match: undefined },
        ...RULE_MATCH_KINDS.map((match) => ({ label: vscode.l10n.t('Only frames whose content {0}…', MATCH_WORDS[match]), match })),
      ],
      { title: vscode.l10n.t('Add Fault "{0}": applies to', type) },
    );
    if (!scope) return;
    let when: Record<string, unknown> | undefined;
    if (scope.match) {
      const pattern = await vscode.window.showInputBox({ title: vscode.l10n.t('Add Fault "{0}": pattern', type), prompt: scope.label, ignoreFocusOut: true, validateInput: (text) => (text === '' ? vscode.l10n.t('Enter the pattern frames must match.') : undefined) });
      if (pattern === undefined) return;
      when = { match: scope.match, pattern };
    }
    const toxic = { type, stream, toxicity: 1, attributes, ...(when ? { when } : {}) };
    try {
      const added = this.services.hub.addToxic(proxy.name, toxic);
      this.services.log.info(`Proxy "${proxy.name}": added fault ${added.name} (${added.type} on ${added.stream}${describeToxicAttributes(added.type, added.attributes as Record<string, unknown>) ? `: ${describeToxicAttributes(added.type, added.attributes as Record<string, unknown>)}` : ''})`);
      void vscode.window.showInformationMessage(vscode.l10n.t('Fault {0} applies to proxy "{1}" now, open pairs included.', added.name, proxy.name));
    } catch (err) {
      void vscode.window.showErrorMessage(errorMessage(err));
    }
  }

  async removeFault(arg: CommandArg): Promise<void> {
    const proxy = await this.resolveProxy(arg, vscode.l10n.t('Remove a fault from which proxy?'));
    if (!proxy) return;
    if (proxy.toxics.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Proxy "{0}" has no faults.', proxy.name));
      return;
    }
    const pick = await vscode.window.showQuickPick(
      proxy.toxics.map((toxic) => ({ label: toxic.name, description: `${toxic.type} · ${toxic.stream} · ${describeToxicAttributes(toxic.type, toxic.attributes as Record<string, unknown>)}` })),
      { title: vscode.l10n.t('Remove which fault of "{0}"?', proxy.name) },
    );
    if (!pick) return;
    this.services.hub.removeToxic(proxy.name, pick.label);
    this.services.log.info(`Proxy "${proxy.name}": removed fault ${pick.label}`);
  }

  /** The proxy a tree row (proxy or pair) or id names, or the one the user picks; the only one without asking. */
  private async resolveProxy(arg: CommandArg, title: string): Promise<ProxyDefinition | undefined> {
    const { hub, control } = this.services;
    const id = targetIdOf(arg);
    if (id !== undefined) {
      const name = control.proxyNameOf(id) ?? (hub.get(id) ? id : undefined);
      const proxy = name !== undefined ? hub.get(name) : undefined;
      if (!proxy) throw new Error(`${id} is not a running proxy; start one with TCP: Start Proxy…`);
      return proxy;
    }
    const proxies = hub.list();
    if (proxies.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No proxy is running; start one with TCP: Start Proxy…'));
      return undefined;
    }
    if (proxies.length === 1) return proxies[0];
    const pick = await vscode.window.showQuickPick(
      proxies.map((proxy) => ({ label: proxy.name, description: `${proxy.listen} → ${proxy.upstream}`, proxy })),
      { title },
    );
    return pick?.proxy;
  }

  /** "proxy-8080", "proxy-8080-2", …: named after the upstream's port, free on the hub. */
  private freeName(upstream: string): string {
    const parsed = parseTarget(upstream);
    const base = parsed.ok ? `proxy-${parsed.port}` : 'proxy';
    if (!this.services.hub.get(base)) return base;
    for (let n = 2; ; n++) if (!this.services.hub.get(`${base}-${n}`)) return `${base}-${n}`;
  }
}
