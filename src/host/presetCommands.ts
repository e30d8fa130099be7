// Presets from the palette and the tree: Save as Preset, Start Preset (Restricted Mode asks first,
// a listener preset may answer as a mock server), and the inline Send on a preset's payload.
import * as vscode from 'vscode';
import type { CommandArg } from '../app/commandArgs';
import { assessBindExposure } from '../app/exposurePolicy';
import { presetPayloadBytes } from '../app/presetPayloads';
import { localCaListenerTls } from '../app/localCa';
import { PresetStarts, hasMockBehaviour, openAtPresetAddress, presetBaseOf, presetTlsSetup, suggestPresetName } from '../app/presetStarts';
import type { TargetMemory } from '../app/targetMemory';
import { describeItemForUser, isConnection, isListener } from '../app/targets';
import { PRESET_ICONS, type PresetEntry, type TreeNode } from '../app/treeModel';
import type { Listener } from '../core/listener';
import { MockServer } from '../core/mockServer';
import type { ProxyHub } from '../core/proxy/proxyHub';
import type { Registry, RegistryItem } from '../core/registry';
import { errorMessage } from '../shared/errorMessage';
import { formatHostPort } from '../shared/hostPort';
import { plural } from '../shared/plural';
import type { Preset, PresetPayload } from '../shared/preset';
import type { VariableScope } from '../shared/variables';
import type { CommandHandlers, CommandSource } from './commandRegistration';
import type { TcpLabConfig } from './config';
import type { ConnectionsTreeProvider } from './connectionsTree';
import { confirmExposure } from './exposurePrompt';
import type { SendCommands } from './sendCommands';
import { pickItemFor, type TargetPicker } from './targetPicker';
import type { TrafficPanelManager } from './trafficPanel';

export const PRESET_COMMANDS = {
  saveAsPreset: 'tcpLab.saveAsPreset',
  startPreset: 'tcpLab.startPreset',
  sendPresetPayload: 'tcpLab.sendPresetPayload',
} as const;

export interface PresetServices {
  registry: Registry;
  config: TcpLabConfig;
  log: vscode.LogOutputChannel;
  tree: ConnectionsTreeProvider;
  panels: TrafficPanelManager;
  memory: TargetMemory;
  picker: TargetPicker;
  send: SendCommands;
  /** Where the local CA lives: a TLS listener preset without a certificate serves its. */
  localCaDirectory: string;
  /** Starts proxy presets; without it they say they cannot start here. */
  proxies?: ProxyHub;
}

export class PresetCommands implements CommandSource, vscode.Disposable {
  private readonly starts: PresetStarts;
  /** The log lines of each preset's mock server, until its listener stops. */
  private readonly mockLogs = new Set<vscode.Disposable>();
  /** `{{$counter}}` of the tree's Send: one count for every preset payload sent from here. */
  private readonly variables: VariableScope = { file: new Map(), environment: {} };

  constructor(private readonly services: PresetServices) {
    this.starts = new PresetStarts(services.registry);
  }

  commands(): CommandHandlers {
    return {
      [PRESET_COMMANDS.saveAsPreset]: (arg) => this.saveAsPreset(arg as CommandArg),
      [PRESET_COMMANDS.startPreset]: (arg) => this.startPreset(arg as TreeNode | string | undefined),
      [PRESET_COMMANDS.sendPresetPayload]: (arg) => this.sendPresetPayload(arg as TreeNode | undefined),
    };
  }

  async saveAsPreset(arg: CommandArg): Promise<void> {
    const { config, log, memory, picker } = this.services;
    const item = await picker.resolve(arg, 'saveable', vscode.l10n.t('Save which listener or connection as a preset?'));
    if (!item) return;
    if (isConnection(item) && item.role !== 'client') {
      void vscode.window.showWarningMessage(vscode.l10n.t('Only listeners and outgoing connections can be saved as presets; save the listener that accepted this client instead.'));
      return;
    }
    const base = presetBaseOf(item, memory.typedTarget(item.id));
    const existing = new Set(config.presets().map((e) => e.preset.name));
    const name = await vscode.window.showInputBox({
      title: vscode.l10n.t('Save {0} as a Preset', describeItemForUser(item)),
      prompt: vscode.l10n.t('Preset name, shown in the Connections view and in Start Preset…'),
      value: suggestPresetName(base, existing),
      ignoreFocusOut: true,
      validateInput: (text) => {
        if (text.trim() === '') return vscode.l10n.t('Enter a name for the preset.');
        if (existing.has(text.trim())) {
          return { message: vscode.l10n.t('A preset named "{0}" exists; saving replaces it.', text.trim()), severity: vscode.InputBoxValidationSeverity.Warning };
        }
        return undefined;
      },
    });
    if (name === undefined || name.trim() === '') return;
    const preset: Preset = { name: name.trim(), ...base };
    const { target, replaced } = await config.savePreset(preset);
    const inUser = target === vscode.ConfigurationTarget.Global;
    log.info(`${replaced ? 'Replaced' : 'Saved'} preset "${preset.name}" in ${inUser ? 'user settings' : 'workspace settings'}`);
    const sentence = replaced
      ? inUser ? vscode.l10n.t('Replaced preset "{0}" in user settings.', preset.name) : vscode.l10n.t('Replaced preset "{0}" in workspace settings.', preset.name)
      : inUser ? vscode.l10n.t('Saved preset "{0}" in user settings.', preset.name) : vscode.l10n.t('Saved preset "{0}" in workspace settings.', preset.name);
    void vscode.window.showInformationMessage(sentence, vscode.l10n.t('Open Settings')).then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'tcpLab.presets');
    });
  }

  async startPreset(arg: TreeNode | string | undefined): Promise<RegistryItem | undefined> {
    const name = typeof arg === 'string' ? arg : arg?.presetName;
    let entry = name !== undefined ? this.services.config.findPreset(name) : undefined;
    if (name !== undefined && !entry) {
      void vscode.window.showErrorMessage(vscode.l10n.t('There is no valid preset named "{0}" in tcpLab.presets; check the name or fix the entry.', name));
      return undefined;
    }
    entry ??= await this.pickPreset();
    return entry ? this.startEntry(entry) : undefined;
  }

  private async pickPreset(): Promise<PresetEntry | undefined> {
    const presets = this.services.config.presets();
    if (presets.length === 0) {
      const choice = await vscode.window.showInformationMessage(vscode.l10n.t('There are no presets yet: add them to tcpLab.presets, or use Save as Preset on a listener or connection.'), vscode.l10n.t('Open Settings'));
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'tcpLab.presets');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      presets.map((entry) => ({
        label: entry.preset.name,
        description: entry.preset.kind === 'listener'
          ? vscode.l10n.t('listener {0}', formatHostPort(entry.preset.host, entry.preset.port))
          : entry.preset.kind === 'proxy'
            ? vscode.l10n.t('proxy {0}', formatHostPort(entry.preset.host, entry.preset.port))
            : vscode.l10n.t('client {0}', formatHostPort(entry.preset.host, entry.preset.port)),
        detail: entry.restricted ? vscode.l10n.t('From the settings of an untrusted workspace: starting it asks for confirmation.') : undefined,
        iconPath: new vscode.ThemeIcon(entry.restricted ? 'shield' : PRESET_ICONS[entry.preset.kind]),
        entry,
      })),
      { title: vscode.l10n.t('Start Preset…'), placeHolder: vscode.l10n.t('Choose a preset to start'), matchOnDescription: true },
    );
    return picked?.entry;
  }

  /** Starts a preset. Restricted Mode gets an explicit modal confirmation before any socket opens. */
  async startEntry(entry: PresetEntry): Promise<RegistryItem | undefined> {
    const { registry, log, tree, memory, picker } = this.services;
    const { preset } = entry;
    const where = formatHostPort(preset.host, preset.port);
    const exposure = preset.kind === 'client' ? undefined : assessBindExposure(preset.host, preset.port);
    if (entry.restricted) {
      const never = vscode.l10n.t('Restricted Mode never starts workspace presets on its own.');
      const start = vscode.l10n.t('Start');
      const choice = await vscode.window.showWarningMessage(
        preset.kind === 'listener'
          ? vscode.l10n.t('Preset "{0}" comes from the settings of a workspace you have not trusted. Start it and listen on {1}?', preset.name, where)
          : preset.kind === 'proxy'
            ? vscode.l10n.t('Preset "{0}" comes from the settings of a workspace you have not trusted. Start it and relay clients of {1} to {2}?', preset.name, where, preset.upstream ?? '?')
            : vscode.l10n.t('Preset "{0}" comes from the settings of a workspace you have not trusted. Start it and connect to {1}?', preset.name, where),
        { modal: true, detail: exposure?.exposed ? `${never} ${exposure.sentence ?? ''}` : never },
        start,
      );
      if (choice !== start) return undefined;
    } else if (exposure?.exposed && !(await confirmExposure(exposure))) {
      return undefined;
    }

    if (preset.kind === 'proxy') return this.startProxyPreset(preset);
    try {
      const workspaceFolder = vscode.workspace.workspaceFolders?.find((folder) => folder.uri.scheme === 'file')?.uri.fsPath;
      const tls = await presetTlsSetup(preset, workspaceFolder, () => localCaListenerTls(this.services.localCaDirectory));
      const item: RegistryItem = preset.kind === 'listener'
        ? await registry.listen({ host: preset.host, port: preset.port, ...(tls ? { tls } : {}) })
        : await registry.connect({ host: preset.host, port: preset.port, ...(tls ? { tls } : {}) });
      this.starts.record(preset.name, item.id);
      tree.nameAfterPreset(item.id, preset.name);
      if (isListener(item)) {
        if (hasMockBehaviour(preset) && !(await this.attachMockServer(item, preset))) return undefined;
        picker.announceListening(item);
      } else {
        memory.rememberTyped(item.id, { host: preset.host, port: preset.port });
        memory.lastTargetId = item.id;
        void picker.reveal(item.id);
        vscode.window.setStatusBarMessage(vscode.l10n.t('TCP Lab: preset "{0}" connected to {1}', preset.name, where), 4000);
      }
      return item;
    } catch (err) {
      log.error(`Preset "${preset.name}": ${errorMessage(err)}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Preset "{0}": {1}', preset.name, errorMessage(err)));
      return undefined;
    }
  }

  /**
   * A proxy preset becomes a named proxy on the hub (the API and the tree see the same one); its
   * listener is what Start Preset returns. The preset's framing applies to both directions.
   */
  private async startProxyPreset(preset: Preset): Promise<RegistryItem | undefined> {
    const { proxies, registry, log, picker } = this.services;
    if (!proxies) {
      void vscode.window.showErrorMessage(`Preset "${preset.name}" is a proxy preset, which this window cannot start yet; run it with tcp-lab serve --preset "${preset.name}".`);
      return undefined;
    }
    try {
      if (proxies.get(preset.name)) throw new Error(`a proxy named "${preset.name}" is already running; stop it first`);
      const framing = preset.framing ? { upstream: preset.framing, downstream: preset.framing } : undefined;
      const workspaceFolder = vscode.workspace.workspaceFolders?.find((folder) => folder.uri.scheme === 'file')?.uri.fsPath;
      const tls = await presetTlsSetup(preset, workspaceFolder, () => localCaListenerTls(this.services.localCaDirectory));
      await proxies.create(
        { name: preset.name, listen: formatHostPort(preset.host, preset.port), upstream: preset.upstream, toxics: preset.faults ?? [], ...(framing ? { framing } : {}) },
        tls ? { tls: { listen: tls } } : {},
      );
      const listenerId = proxies.listenerId(preset.name);
      const listener = listenerId ? registry.getLive(listenerId) : undefined;
      if (!listener || !isListener(listener)) return undefined;
      this.starts.record(preset.name, listener.id);
      this.services.tree.nameAfterPreset(listener.id, preset.name);
      picker.announceListening(listener);
      log.info(`[${listener.id}] Preset "${preset.name}" relays to ${preset.upstream ?? '?'}${preset.faults?.length ? ` with ${plural(preset.faults.length, 'fault')}` : ''}`);
      return listener;
    } catch (err) {
      log.error(`Preset "${preset.name}": ${errorMessage(err)}`);
      void vscode.window.showErrorMessage(`Preset "${preset.name}": ${errorMessage(err)}`);
      return undefined;
    }
  }

  /**
   * Lets a listener preset answer by itself (framing, echo, rules). The preset was validated when read,
   * so a refusal here is unexpected; it still stops the listener rather than leave it half set up.
   */
  private async attachMockServer(listener: Listener, preset: Preset): Promise<boolean> {
    const { log, panels } = this.services;
    const attached = MockServer.attach(listener, preset, `Preset "${preset.name}"`);
    if (!attached.ok) {
      await listener.stop({ closeConnections: true });
      log.error(attached.error);
      void vscode.window.showErrorMessage(attached.error);
      return false;
    }
    const server = attached.server;
    const id = listener.id;
    log.info(`[${id}] Preset "${preset.name}" answers as a mock server: ${plural(server.ruleStatus().length, 'rule')}, echo ${server.echo ? 'on' : 'off'}, framing ${server.settings.framing.mode}`);
    // Only the log lines are ours; the server has one owner, the listener behaviours the panels share,
    // which dispose it when the listener stops (and its panel edits this same server, so nothing answers twice).
    const lines = vscode.Disposable.from(
      server.onDidHitRule((hit) => log.info(`[${hit.connectionId}] rule "${hit.name}" matched (hit ${hit.hits})`)),
      server.onDidFramingError(({ connectionId, error }) => log.warn(`[${connectionId}] ${error.message}`)),
      server.onDidFaultRule((fault) => log.warn(`[${id}] rule "${fault.name}" switched off: ${fault.message}`)),
      server.onDidError((err) => log.error(`[${id}] ${err.message}`)),
    );
    const untilStopped = vscode.Disposable.from(lines, listener.onDidStop(() => {
      untilStopped.dispose();
      this.mockLogs.delete(untilStopped);
    }));
    this.mockLogs.add(untilStopped);
    panels.adoptMockServer(listener, server, preset);
    return true;
  }

  /** The inline Send on a preset payload: to what that preset started, else to a chosen target. */
  async sendPresetPayload(node: TreeNode | undefined): Promise<void> {
    const { registry, config, picker, send } = this.services;
    if (!node?.presetName || node.payloadIndex === undefined) return;
    const entry = config.findPreset(node.presetName);
    const payload: PresetPayload | undefined = entry?.preset.payloads?.[node.payloadIndex];
    if (!entry || !payload) {
      void vscode.window.showErrorMessage(vscode.l10n.t('The payload "{0}" is no longer in preset "{1}"; the settings changed.', node.label, node.presetName));
      return;
    }
    // The same bytes the panel's quick-send button makes: checksum appended, {{$…}} variables resolved.
    const parsed = presetPayloadBytes(payload, entry.preset, { encoding: config.defaultEncoding, lineEnding: config.defaultLineEnding }, this.variables);
    if (!parsed.ok) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Payload "{0}" of preset "{1}": {2}', payload.name, entry.preset.name, parsed.error));
      return;
    }

    const started = this.starts.live(entry.preset.name);
    // The preset's own listener or connection is the obvious target; one open to the preset's
    // address (e.g. reconnected from the history) is the next most obvious. Ask only beyond that.
    const own = started.length > 0 ? started : openAtPresetAddress(registry, entry.preset);
    let target: RegistryItem | undefined = own.length === 1 ? own[0] : undefined;
    const why = target ? (started.length > 0 ? vscode.l10n.t('started by preset "{0}"', entry.preset.name) : vscode.l10n.t('open at preset "{0}"\'s address', entry.preset.name)) : undefined;
    if (!target && own.length > 1) {
      const picked = await vscode.window.showQuickPick(own.map((item) => ({ ...pickItemFor(item), item })), { title: vscode.l10n.t('Send "{0}" to…', payload.name), placeHolder: vscode.l10n.t('Preset "{0}" has several open', entry.preset.name) });
      if (!picked) return;
      target = picked.item;
    }
    if (!target && registry.listeners().length + registry.connections().length > 0) {
      target = await picker.resolve(undefined, 'any', vscode.l10n.t('Send "{0}" to…', payload.name));
      if (!target) return;
    }
    if (!target) {
      const start = vscode.l10n.t('Start "{0}"', entry.preset.name);
      const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Nothing is open to send "{0}" to; start preset "{1}" first.', payload.name, entry.preset.name), start);
      if (choice !== start) return;
      target = await this.startEntry(entry);
      if (!target) return;
    }
    await send.sendTo(target, parsed.bytes, why);
  }

  dispose(): void {
    for (const lines of this.mockLogs) lines.dispose();
    this.mockLogs.clear();
  }
}
