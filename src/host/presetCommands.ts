// Presets from the palette and the tree: Save as Preset, Start Preset (Restricted Mode asks first,
// a listener preset may answer as a mock server), and the inline Send on a preset's payload.
import * as vscode from 'vscode';
import type { CommandArg } from '../app/commandArgs';
import { assessBindExposure } from '../app/exposurePolicy';
import { presetPayloadBytes } from '../app/presetPayloads';
import { localCaListenerTls } from '../app/localCa';
import { PresetStarts, hasMockBehaviour, openAtPresetAddress, presetBaseOf, presetTlsSetup, suggestPresetName } from '../app/presetStarts';
import type { TargetMemory } from '../app/targetMemory';
import { describeItem, isConnection, isListener } from '../app/targets';
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
    const item = await picker.resolve(arg, 'saveable', 'Save which listener or connection as a preset?');
    if (!item) return;
    if (isConnection(item) && item.role !== 'client') {
      void vscode.window.showWarningMessage('Only listeners and outgoing connections can be saved as presets; save the listener that accepted this client instead.');
      return;
    }
    const base = presetBaseOf(item, memory.typedTarget(item.id));
    const existing = new Set(config.presets().map((e) => e.preset.name));
    const name = await vscode.window.showInputBox({
      title: `Save ${describeItem(item)} as a Preset`,
      prompt: 'Preset name, shown in the Connections view and in Start Preset…',
      value: suggestPresetName(base, existing),
      ignoreFocusOut: true,
      validateInput: (text) => {
        if (text.trim() === '') return 'Enter a name for the preset.';
        if (existing.has(text.trim())) {
          return { message: `A preset named "${text.trim()}" exists; saving replaces it.`, severity: vscode.InputBoxValidationSeverity.Warning };
        }
        return undefined;
      },
    });
    if (name === undefined || name.trim() === '') return;
    const preset: Preset = { name: name.trim(), ...base };
    const { target, replaced } = await config.savePreset(preset);
    const scope = target === vscode.ConfigurationTarget.Global ? 'user settings' : 'workspace settings';
    log.info(`${replaced ? 'Replaced' : 'Saved'} preset "${preset.name}" in ${scope}`);
    void vscode.window.showInformationMessage(`${replaced ? 'Replaced' : 'Saved'} preset "${preset.name}" in ${scope}.`, 'Open Settings').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'tcpLab.presets');
    });
  }

  async startPreset(arg: TreeNode | string | undefined): Promise<RegistryItem | undefined> {
    const name = typeof arg === 'string' ? arg : arg?.presetName;
    let entry = name !== undefined ? this.services.config.findPreset(name) : undefined;
    if (name !== undefined && !entry) {
      void vscode.window.showErrorMessage(`There is no valid preset named "${name}" in tcpLab.presets; check the name or fix the entry.`);
      return undefined;
    }
    entry ??= await this.pickPreset();
    return entry ? this.startEntry(entry) : undefined;
  }

  private async pickPreset(): Promise<PresetEntry | undefined> {
    const presets = this.services.config.presets();
    if (presets.length === 0) {
      const choice = await vscode.window.showInformationMessage('There are no presets yet: add them to tcpLab.presets, or use Save as Preset on a listener or connection.', 'Open Settings');
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'tcpLab.presets');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      presets.map((entry) => ({
        label: entry.preset.name,
        description: `${entry.preset.kind} ${formatHostPort(entry.preset.host, entry.preset.port)}`,
        detail: entry.restricted ? 'From the settings of an untrusted workspace: starting it asks for confirmation.' : undefined,
        iconPath: new vscode.ThemeIcon(entry.restricted ? 'shield' : PRESET_ICONS[entry.preset.kind]),
        entry,
      })),
      { title: 'Start Preset…', placeHolder: 'Choose a preset to start', matchOnDescription: true },
    );
    return picked?.entry;
  }

  /** Starts a preset. Restricted Mode gets an explicit modal confirmation before any socket opens. */
  async startEntry(entry: PresetEntry): Promise<RegistryItem | undefined> {
    const { registry, log, tree, memory, picker } = this.services;
    const { preset } = entry;
    const where = formatHostPort(preset.host, preset.port);
    const action = preset.kind === 'listener' ? `listen on ${where}` : preset.kind === 'proxy' ? `relay clients of ${where} to ${preset.upstream ?? '?'}` : `connect to ${where}`;
    const exposure = preset.kind === 'client' ? undefined : assessBindExposure(preset.host, preset.port);
    if (entry.restricted) {
      const exposed = exposure?.exposed ? ` ${exposure.sentence}` : '';
      const choice = await vscode.window.showWarningMessage(
        `Preset "${preset.name}" comes from the settings of a workspace you have not trusted. Start it and ${action}?`,
        { modal: true, detail: `Restricted Mode never starts workspace presets on its own.${exposed}` },
        'Start',
      );
      if (choice !== 'Start') return undefined;
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
        vscode.window.setStatusBarMessage(`TCP Lab: preset "${preset.name}" connected to ${where}`, 4000);
      }
      return item;
    } catch (err) {
      log.error(`Preset "${preset.name}": ${errorMessage(err)}`);
      void vscode.window.showErrorMessage(`Preset "${preset.name}": ${errorMessage(err)}`);
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
      void vscode.window.showErrorMessage(`The payload "${node.label}" is no longer in preset "${node.presetName}"; the settings changed.`);
      return;
    }
    // The same bytes the panel's quick-send button makes: checksum appended, {{$…}} variables resolved.
    const parsed = presetPayloadBytes(payload, entry.preset, { encoding: config.defaultEncoding, lineEnding: config.defaultLineEnding }, this.variables);
    if (!parsed.ok) {
      void vscode.window.showErrorMessage(`Payload "${payload.name}" of preset "${entry.preset.name}": ${parsed.error}`);
      return;
    }

    const started = this.starts.live(entry.preset.name);
    // The preset's own listener or connection is the obvious target; one open to the preset's
    // address (e.g. reconnected from the history) is the next most obvious. Ask only beyond that.
    const own = started.length > 0 ? started : openAtPresetAddress(registry, entry.preset);
    let target: RegistryItem | undefined = own.length === 1 ? own[0] : undefined;
    const why = target ? (started.length > 0 ? `started by preset "${entry.preset.name}"` : `open at preset "${entry.preset.name}"'s address`) : undefined;
    if (!target && own.length > 1) {
      const picked = await vscode.window.showQuickPick(own.map((item) => ({ ...pickItemFor(item), item })), { title: `Send "${payload.name}" to…`, placeHolder: `Preset "${entry.preset.name}" has several open` });
      if (!picked) return;
      target = picked.item;
    }
    if (!target && registry.listeners().length + registry.connections().length > 0) {
      target = await picker.resolve(undefined, 'any', `Send "${payload.name}" to…`);
      if (!target) return;
    }
    if (!target) {
      const start = `Start "${entry.preset.name}"`;
      const choice = await vscode.window.showInformationMessage(`Nothing is open to send "${payload.name}" to; start preset "${entry.preset.name}" first.`, start);
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
