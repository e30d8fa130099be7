// Every `tcpLab.*` command. Each works from the palette (asking for what it needs) and from the tree
// (acting on the clicked item). Failures end in one sentence for the user, never a stack trace.
import { errorMessage, targetIdOf } from '../app/commandArgs';
import * as vscode from 'vscode';
import type { Connection } from '../core/connection';
import type { Listener } from '../core/listener';
import { MockServer } from '../core/mockServer';
import type { Registry, RegistryItem } from '../core/registry';
import { encodeText } from '../shared/encodeText';
import { parsePayload } from '../shared/parsePayload';
import type { LineEnding, PayloadFormat } from '../shared/payloadTypes';
import type { Preset, PresetPayload } from '../shared/preset';
import { captureFileName } from '../app/captureFiles';
import type { CaptureManager } from './captureManager';
import type { TcpLabConfig } from './config';
import type { ConnectionsTreeProvider } from './connectionsTree';
import { assessBindExposure } from '../app/exposurePolicy';
import { confirmExposure } from './exposurePrompt';
import { formatHostPort, parseHostPort, validateHostText, type HostPort } from '../shared/hostPort';
import { readRecentTargets, rememberTarget } from '../app/recentTargets';
import { connectionPeer, describeItem, isConnection, isListener, listenerAddress } from '../app/targets';
import type { TrafficPanelManager } from './trafficPanel';
import type { PresetEntry, TreeNode } from '../app/treeModel';

export const COMMANDS = {
  startListener: 'tcpLab.startListener',
  connect: 'tcpLab.connect',
  stopListener: 'tcpLab.stopListener',
  disconnect: 'tcpLab.disconnect',
  stopAll: 'tcpLab.stopAll',
  sendText: 'tcpLab.sendText',
  sendHex: 'tcpLab.sendHex',
  sendSelection: 'tcpLab.sendSelection',
  sendFile: 'tcpLab.sendFile',
  saveAsPreset: 'tcpLab.saveAsPreset',
  startPreset: 'tcpLab.startPreset',
  sendPresetPayload: 'tcpLab.sendPresetPayload',
  copyAddress: 'tcpLab.copyAddress',
  startCapture: 'tcpLab.startCapture',
  stopCapture: 'tcpLab.stopCapture',
} as const;

const LINE_ENDING_TEXT: Record<LineEnding, string> = { none: '', lf: '\n', cr: '\r', crlf: '\r\n' };

const RECENT_TARGETS_KEY = 'tcpLab.recentTargets';

/** Listen failures the user can fix by choosing another port. */
const RETRYABLE_LISTEN_CODES = new Set(['EADDRINUSE', 'EACCES', 'EPERM', 'EADDRNOTAVAIL']);

/** What Save as Preset records about an open listener or connection, before the user names it. */
type PresetBase = Pick<Preset, 'kind' | 'host' | 'port'>;

/** What a command may receive: a tree node, a registry id, or (for scripted use) explicit options. */
type CommandArg = TreeNode | string | undefined;

export interface CommandServices {
  context: vscode.ExtensionContext;
  registry: Registry;
  config: TcpLabConfig;
  tree: ConnectionsTreeProvider;
  treeView: vscode.TreeView<TreeNode>;
  panels: TrafficPanelManager;
  captures: CaptureManager;
  log: vscode.LogOutputChannel;
}

export function registerCommands(services: CommandServices): vscode.Disposable {
  const controller = new CommandController(services);
  const handlers: Record<string, (...args: unknown[]) => unknown> = {
    [COMMANDS.startListener]: (arg) => controller.startListener(arg as Partial<HostPort> | undefined),
    [COMMANDS.connect]: (arg) => controller.connect(arg as Partial<HostPort> | string | undefined),
    [COMMANDS.stopListener]: (arg) => controller.stopListener(arg as CommandArg),
    [COMMANDS.disconnect]: (arg) => controller.disconnect(arg as CommandArg),
    [COMMANDS.stopAll]: () => controller.stopAll(),
    [COMMANDS.sendText]: (arg) => controller.sendTyped('text', arg as CommandArg),
    [COMMANDS.sendHex]: (arg) => controller.sendTyped('hex', arg as CommandArg),
    [COMMANDS.sendSelection]: (arg) => controller.sendSelection(arg),
    [COMMANDS.sendFile]: (arg) => controller.sendFile(arg),
    [COMMANDS.saveAsPreset]: (arg) => controller.saveAsPreset(arg as CommandArg),
    [COMMANDS.startPreset]: (arg) => controller.startPreset(arg as TreeNode | string | undefined),
    [COMMANDS.sendPresetPayload]: (arg) => controller.sendPresetPayload(arg as TreeNode | undefined),
    [COMMANDS.copyAddress]: (arg) => controller.copyAddress(arg as CommandArg),
    [COMMANDS.startCapture]: (arg) => controller.startCapture(arg as CommandArg),
    [COMMANDS.stopCapture]: (arg) => controller.stopCapture(arg as CommandArg),
  };
  const registrations = Object.entries(handlers).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (err) {
        // The last line of defence: whatever escaped still reaches the user as one sentence.
        services.log.error(`${id}: ${errorMessage(err)}`);
        void vscode.window.showErrorMessage(errorMessage(err));
        return undefined;
      }
    }),
  );
  return vscode.Disposable.from(...registrations);
}

class CommandController {
  private readonly registry: Registry;
  private readonly config: TcpLabConfig;
  private readonly log: vscode.LogOutputChannel;
  /** Where Send Selection goes when the user does not choose. */
  private lastTargetId: string | undefined;
  /** The target as typed (e.g. `localhost:9000`), which Save as Preset keeps instead of the resolved address. */
  private readonly typedTargets = new Map<string, HostPort>();
  /** Registry ids started from each preset, so its payloads go to them first. */
  private readonly presetItems = new Map<string, string[]>();

  constructor(private readonly services: CommandServices) {
    this.registry = services.registry;
    this.config = services.config;
    this.log = services.log;
  }

  // ---- Start Listener --------------------------------------------------------------------------

  async startListener(options?: Partial<HostPort>): Promise<Listener | undefined> {
    let host = options?.host ?? this.config.defaultHost;
    let port = options?.port;
    // Asked once per Start Listener: a retry on another port of the same host does not ask again.
    let confirmedHost: string | undefined;
    for (;;) {
      if (port === undefined) {
        const answer = await this.promptListenAddress(host);
        if (!answer) return undefined;
        ({ host, port } = answer);
      }
      const exposure = assessBindExposure(host, port);
      if (exposure.exposed && host !== confirmedHost) {
        if (!(await confirmExposure(exposure))) return undefined;
        confirmedHost = host;
      }
      try {
        const listener = await this.registry.listen({ host, port });
        this.announceListening(listener);
        return listener;
      } catch (err) {
        this.log.error(errorMessage(err));
        if (!RETRYABLE_LISTEN_CODES.has(errorCode(err) ?? '')) {
          void vscode.window.showErrorMessage(errorMessage(err));
          return undefined;
        }
        const choice = await vscode.window.showErrorMessage(errorMessage(err), 'Try Another Port');
        if (choice !== 'Try Another Port') return undefined;
        port = undefined;
      }
    }
  }

  /** The port input: validated as the user types; a title button switches the host. */
  private async promptListenAddress(initialHost: string): Promise<HostPort | undefined> {
    let host = initialHost;
    let value = '';
    for (;;) {
      const result = await this.showPortInput(host, value);
      if (!result) return undefined;
      if ('address' in result) return result.address;
      value = result.value;
      host = (await pickListenHost(host)) ?? host;
    }
  }

  private showPortInput(host: string, value: string): Promise<{ address: HostPort } | { value: string } | undefined> {
    const input = vscode.window.createInputBox();
    input.title = `Start Listener on ${host}`;
    input.prompt = `Port to listen on (0 picks any free port), or host:port. Listens on ${host}: use the button to change the host.`;
    input.placeholder = 'e.g. 9000 or 0';
    input.value = value;
    input.ignoreFocusOut = true;
    const changeHost: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('server-environment'), tooltip: 'Choose Host…' };
    input.buttons = [changeHost];
    const parse = (text: string) => parseHostPort(text, { defaultHost: host, allowZeroPort: true });
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: { address: HostPort } | { value: string } | undefined): void => {
        if (settled) return;
        settled = true;
        resolve(result);
        input.hide();
      };
      const subscriptions = [
        input.onDidChangeValue((text) => {
          const parsed = parse(text);
          input.validationMessage = text.trim() === '' || parsed.ok ? undefined : parsed.message;
        }),
        input.onDidAccept(() => {
          const parsed = parse(input.value);
          if (parsed.ok) finish({ address: { host: parsed.host, port: parsed.port } });
          else input.validationMessage = parsed.message;
        }),
        input.onDidTriggerButton(() => finish({ value: input.value })),
        input.onDidHide(() => {
          finish(undefined);
          for (const s of subscriptions) s.dispose();
          input.dispose();
        }),
      ];
      input.show();
    });
  }

  private announceListening(listener: Listener): void {
    const address = listenerAddress(listener);
    void this.revealTarget(listener.id);
    void vscode.window.showInformationMessage(`Listening on ${address}`, 'Copy Address', 'Open Traffic').then((choice) => {
      if (choice === 'Copy Address') void vscode.env.clipboard.writeText(address);
      if (choice === 'Open Traffic') this.services.panels.open(listener.id);
    });
  }

  // ---- Connect… --------------------------------------------------------------------------------

  async connect(options?: Partial<HostPort> | string): Promise<Connection | undefined> {
    let initial = typeof options === 'string' ? options : '';
    if (typeof options === 'object' && options.host !== undefined && options.port !== undefined) {
      return (await this.connectTo({ host: options.host, port: options.port })) ?? undefined;
    }
    for (;;) {
      const choice = await this.promptConnectTarget(initial);
      if (!choice) return undefined;
      if ('preset' in choice) {
        const item = await this.startPresetEntry(choice.preset);
        return item && isConnection(item) ? item : undefined;
      }
      const connection = await this.connectTo(choice.target, true);
      if (connection) return connection;
      if (connection === null) {
        initial = formatHostPort(choice.target.host, choice.target.port);
        continue;
      }
      return undefined;
    }
  }

  /** Resolves undefined if the user gave up, null when they asked to try another target. */
  private async connectTo(target: HostPort, offerRetry = false): Promise<Connection | undefined | null> {
    const label = formatHostPort(target.host, target.port);
    try {
      const connection = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `Connecting to ${label}…` },
        () => this.registry.connect({ host: target.host, port: target.port }),
      );
      this.rememberTypedTarget(connection.id, target);
      this.lastTargetId = connection.id;
      await this.rememberRecent(label);
      void this.revealTarget(connection.id);
      void vscode.window.showInformationMessage(`Connected to ${label}`, 'Open Traffic').then((choice) => {
        if (choice) this.services.panels.open(connection.id);
      });
      return connection;
    } catch (err) {
      this.log.error(errorMessage(err));
      if (!offerRetry) {
        void vscode.window.showErrorMessage(errorMessage(err));
        return undefined;
      }
      const choice = await vscode.window.showErrorMessage(errorMessage(err), 'Try Again');
      return choice === 'Try Again' ? null : undefined;
    }
  }

  /**
   * A quick pick over recent targets and client presets; what the user types becomes the first item,
   * which shows as the problem sentence while the text is not a valid `host:port`.
   */
  private promptConnectTarget(initial: string): Promise<{ target: HostPort } | { preset: PresetEntry } | undefined> {
    type Item = vscode.QuickPickItem & { target?: HostPort; preset?: PresetEntry };
    const recent: Item[] = this.recentTargets().flatMap((text) => {
      const parsed = parseHostPort(text);
      return parsed.ok ? [{ label: text, description: 'recent', iconPath: new vscode.ThemeIcon('history'), target: parsed }] : [];
    });
    const presets: Item[] = this.config.presets()
      .filter((entry) => entry.preset.kind === 'client')
      .map((entry) => ({
        label: entry.preset.name,
        description: `preset · ${formatHostPort(entry.preset.host, entry.preset.port)}${entry.restricted ? ' · Restricted Mode' : ''}`,
        iconPath: new vscode.ThemeIcon(entry.restricted ? 'shield' : 'bookmark'),
        preset: entry,
      }));
    const fixed: Item[] = [
      ...(recent.length ? [{ label: 'Recent', kind: vscode.QuickPickItemKind.Separator }, ...recent] : []),
      ...(presets.length ? [{ label: 'Presets', kind: vscode.QuickPickItemKind.Separator }, ...presets] : []),
    ];

    const pick = vscode.window.createQuickPick<Item>();
    pick.title = 'Connect…';
    pick.placeholder = 'host:port, e.g. 127.0.0.1:9000, localhost:8080 or [::1]:9000';
    pick.ignoreFocusOut = true;
    pick.matchOnDescription = true;
    const refresh = (text: string): void => {
      if (text.trim() === '') {
        pick.items = fixed;
        return;
      }
      const parsed = parseHostPort(text);
      if (parsed.ok) {
        // A complete target stands alone: a recent entry that merely starts with the same text
        // (127.0.0.1:9000 for 127.0.0.1:900) must not be what Enter picks.
        const typed: Item = { label: `$(plug) Connect to ${formatHostPort(parsed.host, parsed.port)}`, alwaysShow: true, target: { host: parsed.host, port: parsed.port } };
        pick.items = [typed];
        pick.activeItems = [typed];
        return;
      }
      // Incomplete text may still be filtering recents and presets by name; the problem shows on top.
      pick.items = [{ label: `$(warning) ${parsed.message}`, alwaysShow: true }, ...fixed];
    };
    pick.value = initial;
    refresh(initial);

    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: { target: HostPort } | { preset: PresetEntry } | undefined): void => {
        if (settled) return;
        settled = true;
        resolve(result);
        pick.hide();
      };
      const subscriptions = [
        pick.onDidChangeValue(refresh),
        pick.onDidAccept(() => {
          const [selected] = pick.selectedItems.length ? pick.selectedItems : pick.activeItems;
          if (selected?.target) finish({ target: selected.target });
          else if (selected?.preset) finish({ preset: selected.preset });
          // An invalid typed target keeps the picker open with its problem sentence on show.
        }),
        pick.onDidHide(() => {
          finish(undefined);
          for (const s of subscriptions) s.dispose();
          pick.dispose();
        }),
      ];
      pick.show();
    });
  }

  /** Keeps the typed form of a target for Save as Preset, forgetting connections that are gone. */
  private rememberTypedTarget(id: string, target: HostPort): void {
    for (const known of this.typedTargets.keys()) if (!this.registry.get(known)) this.typedTargets.delete(known);
    this.typedTargets.set(id, target);
  }

  private recentTargets(): string[] {
    return readRecentTargets(this.services.context.workspaceState.get(RECENT_TARGETS_KEY));
  }

  private async rememberRecent(target: string): Promise<void> {
    await this.services.context.workspaceState.update(RECENT_TARGETS_KEY, rememberTarget(this.recentTargets(), target));
  }

  // ---- Stop Listener, Disconnect, Stop All -------------------------------------------------------

  async stopListener(arg: CommandArg): Promise<void> {
    const listener = await this.resolveTarget(arg, 'listener', 'Stop which listener?');
    if (!listener || !isListener(listener)) return;
    await listener.stop({ closeConnections: true });
  }

  async disconnect(arg: CommandArg): Promise<void> {
    const connection = await this.resolveTarget(arg, 'connection', 'Disconnect which connection?');
    if (!connection || !isConnection(connection)) return;
    connection.destroy();
  }

  async stopAll(): Promise<void> {
    const listeners = this.registry.listeners().length;
    const connections = this.registry.connections().length;
    if (listeners + connections === 0) {
      void vscode.window.showInformationMessage('Nothing is open: there is no listener or connection to stop.');
      return;
    }
    await this.registry.stopAll();
    const summary = `stopped ${plural(listeners, 'listener')} and closed ${plural(connections, 'connection')}`;
    this.log.info(`Stop All: ${summary}`);
    vscode.window.setStatusBarMessage(`TCP Lab: ${summary}`, 4000);
  }

  // ---- Sending ----------------------------------------------------------------------------------

  async sendTyped(format: PayloadFormat, arg: CommandArg): Promise<void> {
    // With one listener or connection open there is nothing to choose; the input box names it.
    const only = targetIdOf(arg) === undefined ? this.soleTarget() : undefined;
    const target = only ?? (await this.resolveTarget(arg, 'any', `Send ${format === 'hex' ? 'hex' : 'text'} to…`));
    if (!target) return;
    const encoding = this.config.defaultEncoding;
    // Hex means exactly these bytes: the default line ending belongs to text only.
    const lineEnding = format === 'text' ? this.config.defaultLineEnding : 'none';
    const parse = (text: string) => parsePayload(text, { format, encoding, lineEnding });
    const input = await vscode.window.showInputBox({
      title: `Send ${format === 'hex' ? 'Hex' : 'Text'} to ${describeItem(target)}`,
      prompt: format === 'hex'
        ? 'Hex bytes, e.g. 48 65 6C 6C 6F or 48656C6C6F'
        : `Text to send (${encoding}, line ending: ${lineEnding}); escapes such as \\r, \\n and \\xHH work`,
      placeHolder: format === 'hex' ? '48 65 6C 6C 6F' : 'Hello',
      ignoreFocusOut: true,
      validateInput: (text) => {
        if (text === '') return undefined;
        const result = parse(text);
        return result.ok ? undefined : result.error.message;
      },
    });
    if (input === undefined || input === '') return;
    const parsed = parse(input);
    if (!parsed.ok) {
      void vscode.window.showErrorMessage(parsed.error.message);
      return;
    }
    await this.sendTo(target, parsed.bytes);
  }

  async sendSelection(arg: unknown): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Open a text editor and select what to send.');
      return;
    }
    const selection = editor.selection;
    const text = selection.isEmpty ? editor.document.lineAt(selection.active.line).text : editor.document.getText(selection);
    if (text === '') {
      void vscode.window.showInformationMessage('The current line is empty: select some text to send.');
      return;
    }
    // The editor context menu passes the document's URI: only a tree node or an id names a target.
    const target = targetIdOf(arg) !== undefined ? await this.resolveTarget(arg as CommandArg, 'any', 'Send selection to…') : await this.defaultSendTarget();
    if (!target) return;
    // Editor text is sent as written, without escape processing: a backslash and an n stay two characters.
    const parsed = encodeText(text + LINE_ENDING_TEXT[this.config.defaultLineEnding], this.config.defaultEncoding);
    if (!parsed.ok) {
      void vscode.window.showErrorMessage(parsed.error.message);
      return;
    }
    await this.sendTo(target, parsed.bytes);
  }

  /** The last-used target while it is open; otherwise the only one; otherwise ask. */
  private async defaultSendTarget(): Promise<RegistryItem | undefined> {
    const last = this.lastTargetId ? this.registry.getLive(this.lastTargetId) : undefined;
    return last ?? this.soleTarget() ?? this.resolveTarget(undefined, 'any', 'Send selection to…');
  }

  /** The one listener or connection open, when there is exactly one. */
  private soleTarget(): RegistryItem | undefined {
    const candidates = [...this.registry.connections(), ...this.registry.listeners()];
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  async sendFile(arg: unknown): Promise<void> {
    let fileUri = arg instanceof vscode.Uri ? arg : undefined;
    const target = await this.resolveTarget(arg instanceof vscode.Uri ? undefined : (arg as CommandArg), 'any', 'Send a file to…');
    if (!target) return;
    if (!fileUri) {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Send', title: `Send a file to ${describeItem(target)}` });
      fileUri = picked?.[0];
    }
    if (!fileUri) return;
    // Read through the workspace file system so remote and virtual files work; bytes go out unchanged.
    const bytes = await vscode.workspace.fs.readFile(fileUri);
    await this.sendTo(target, bytes);
  }

  /** `why` tells the status line how the target was chosen when nobody was asked. */
  private async sendTo(target: RegistryItem, bytes: Uint8Array, why?: string): Promise<void> {
    const name = describeItem(target);
    if (isListener(target)) {
      if (target.connections.length === 0) {
        void vscode.window.showWarningMessage(`No client is connected to ${name}, so nothing was sent; connect a client first.`);
        return;
      }
      await target.broadcast(bytes);
    } else {
      await target.send(bytes);
    }
    this.lastTargetId = target.id;
    const clients = isListener(target) ? ` (${plural(target.connections.length, 'client')})` : '';
    vscode.window.setStatusBarMessage(`TCP Lab: sent ${plural(bytes.length, 'byte')} to ${name}${clients}${why ? `, ${why}` : ''}`, 4000);
  }

  // ---- Traffic panel, presets, addresses ---------------------------------------------------------

  async copyAddress(arg: CommandArg): Promise<void> {
    const item = await this.resolveTarget(arg, 'any', 'Copy the address of…');
    if (!item) return;
    const address = isListener(item) ? listenerAddress(item) : connectionPeer(item);
    await vscode.env.clipboard.writeText(address);
    vscode.window.setStatusBarMessage(`TCP Lab: copied ${address}`, 3000);
  }

  async saveAsPreset(arg: CommandArg): Promise<void> {
    const item = await this.resolveTarget(arg, 'saveable', 'Save which listener or connection as a preset?');
    if (!item) return;
    if (isConnection(item) && item.role !== 'client') {
      void vscode.window.showWarningMessage('Only listeners and outgoing connections can be saved as presets; save the listener that accepted this client instead.');
      return;
    }
    const base = this.presetFor(item);
    const existing = new Set(this.config.presets().map((e) => e.preset.name));
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
    const { target, replaced } = await this.config.savePreset(preset);
    const scope = target === vscode.ConfigurationTarget.Global ? 'user settings' : 'workspace settings';
    this.log.info(`${replaced ? 'Replaced' : 'Saved'} preset "${preset.name}" in ${scope}`);
    void vscode.window.showInformationMessage(`${replaced ? 'Replaced' : 'Saved'} preset "${preset.name}" in ${scope}.`, 'Open Settings').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'tcpLab.presets');
    });
  }

  private presetFor(item: Listener | Connection): PresetBase {
    if (isListener(item)) {
      // Keep the port actually bound, so clients of the saved preset find it again.
      return { kind: 'listener', host: item.host, port: item.address?.port ?? item.requestedPort };
    }
    const typed = this.typedTargets.get(item.id);
    return { kind: 'client', host: typed?.host ?? item.remote?.address ?? '127.0.0.1', port: typed?.port ?? item.remote?.port ?? 0 };
  }

  async startPreset(arg: TreeNode | string | undefined): Promise<RegistryItem | undefined> {
    const name = typeof arg === 'string' ? arg : arg?.presetName;
    let entry = name !== undefined ? this.config.findPreset(name) : undefined;
    if (name !== undefined && !entry) {
      void vscode.window.showErrorMessage(`There is no valid preset named "${name}" in tcpLab.presets; check the name or fix the entry.`);
      return undefined;
    }
    entry ??= await this.pickPreset();
    return entry ? this.startPresetEntry(entry) : undefined;
  }

  private async pickPreset(): Promise<PresetEntry | undefined> {
    const presets = this.config.presets();
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
        iconPath: new vscode.ThemeIcon(entry.restricted ? 'shield' : entry.preset.kind === 'listener' ? 'radio-tower' : 'plug'),
        entry,
      })),
      { title: 'Start Preset…', placeHolder: 'Choose a preset to start', matchOnDescription: true },
    );
    return picked?.entry;
  }

  /** Starts a preset. Restricted Mode gets an explicit modal confirmation before any socket opens. */
  private async startPresetEntry(entry: PresetEntry): Promise<RegistryItem | undefined> {
    const { preset } = entry;
    const where = formatHostPort(preset.host, preset.port);
    const action = preset.kind === 'listener' ? `listen on ${where}` : `connect to ${where}`;
    const exposure = preset.kind === 'listener' ? assessBindExposure(preset.host, preset.port) : undefined;
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

    try {
      const item: RegistryItem = preset.kind === 'listener'
        ? await this.registry.listen({ host: preset.host, port: preset.port })
        : await this.registry.connect({ host: preset.host, port: preset.port });
      const stillOpen = (this.presetItems.get(preset.name) ?? []).filter((id) => this.registry.getLive(id));
      this.presetItems.set(preset.name, [item.id, ...stillOpen]);
      this.services.tree.nameAfterPreset(item.id, preset.name);
      if (isListener(item)) {
        if (hasMockBehaviour(preset) && !(await this.attachMockServer(item, preset))) return undefined;
        this.announceListening(item);
      } else {
        this.rememberTypedTarget(item.id, { host: preset.host, port: preset.port });
        this.lastTargetId = item.id;
        void this.revealTarget(item.id);
        vscode.window.setStatusBarMessage(`TCP Lab: preset "${preset.name}" connected to ${where}`, 4000);
      }
      return item;
    } catch (err) {
      this.log.error(`Preset "${preset.name}": ${errorMessage(err)}`);
      void vscode.window.showErrorMessage(`Preset "${preset.name}": ${errorMessage(err)}`);
      return undefined;
    }
  }

  /**
   * Lets a listener preset answer by itself (framing, echo, rules). The preset was validated when read,
   * so a refusal here is unexpected; it still stops the listener rather than leave it half set up.
   */
  private async attachMockServer(listener: Listener, preset: Preset): Promise<boolean> {
    const attached = MockServer.attach(listener, preset, `Preset "${preset.name}"`);
    if (!attached.ok) {
      await listener.stop({ closeConnections: true });
      this.log.error(attached.error);
      void vscode.window.showErrorMessage(attached.error);
      return false;
    }
    const server = attached.server;
    const id = listener.id;
    const rules = server.ruleStatus().length;
    this.log.info(`[${id}] Preset "${preset.name}" answers as a mock server: ${rules} rule${rules === 1 ? '' : 's'}, echo ${server.echo ? 'on' : 'off'}, framing ${server.settings.framing.mode}`);
    const subscriptions = [
      server.onDidHitRule((hit) => this.log.info(`[${hit.connectionId}] rule "${hit.name}" matched (hit ${hit.hits})`)),
      server.onDidFramingError(({ connectionId, error }) => this.log.warn(`[${connectionId}] ${error.message}`)),
      server.onDidFaultRule((fault) => this.log.warn(`[${id}] rule "${fault.name}" switched off: ${fault.message}`)),
      server.onDidError((err) => this.log.error(`[${id}] ${err.message}`)),
    ];
    // Only the log lines are ours; the server has one owner, the listener behaviours the panels share,
    // which dispose it when the listener stops (and its panel edits this same server, so nothing answers twice).
    subscriptions.push(listener.onDidStop(() => {
      for (const subscription of subscriptions) subscription.dispose();
    }));
    this.services.panels.adoptMockServer(listener, server, preset);
    return true;
  }

  /** The inline Send on a preset payload: to what that preset started, else to a chosen target. */
  async sendPresetPayload(node: TreeNode | undefined): Promise<void> {
    if (!node?.presetName || node.payloadIndex === undefined) return;
    const entry = this.config.findPreset(node.presetName);
    const payload: PresetPayload | undefined = entry?.preset.payloads?.[node.payloadIndex];
    if (!entry || !payload) {
      void vscode.window.showErrorMessage(`The payload "${node.label}" is no longer in preset "${node.presetName}"; the settings changed.`);
      return;
    }
    const parsed = parsePayload(payload.data, {
      format: payload.format,
      encoding: entry.preset.encoding ?? this.config.defaultEncoding,
      lineEnding: payload.format === 'text' ? entry.preset.lineEnding ?? this.config.defaultLineEnding : 'none',
    });
    if (!parsed.ok) {
      void vscode.window.showErrorMessage(`Payload "${payload.name}" of preset "${entry.preset.name}": ${parsed.error.message}`);
      return;
    }

    const started = (this.presetItems.get(entry.preset.name) ?? [])
      .map((id) => this.registry.getLive(id))
      .filter((item): item is RegistryItem => item !== undefined);
    // The preset's own listener or connection is the obvious target; one open to the preset's
    // address (e.g. reconnected from the history) is the next most obvious. Ask only beyond that.
    const own = started.length > 0 ? started : this.openAtPresetAddress(entry.preset);
    let target: RegistryItem | undefined = own.length === 1 ? own[0] : undefined;
    const why = target ? (started.length > 0 ? `started by preset "${entry.preset.name}"` : `open at preset "${entry.preset.name}"'s address`) : undefined;
    if (!target && own.length > 1) {
      const picked = await vscode.window.showQuickPick(own.map((item) => ({ ...pickItemFor(item), item })), { title: `Send "${payload.name}" to…`, placeHolder: `Preset "${entry.preset.name}" has several open` });
      if (!picked) return;
      target = picked.item;
    }
    if (!target && this.registry.listeners().length + this.registry.connections().length > 0) {
      target = await this.resolveTarget(undefined, 'any', `Send "${payload.name}" to…`);
      if (!target) return;
    }
    if (!target) {
      const start = `Start "${entry.preset.name}"`;
      const choice = await vscode.window.showInformationMessage(`Nothing is open to send "${payload.name}" to; start preset "${entry.preset.name}" first.`, start);
      if (choice !== start) return;
      target = await this.startPresetEntry(entry);
      if (!target) return;
    }
    await this.sendTo(target, parsed.bytes, why);
  }

  /** Open outgoing connections to a client preset's host and port, or listeners on a listener preset's port. */
  private openAtPresetAddress(preset: Preset): RegistryItem[] {
    const loopback = (address: string): boolean => address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
    const sameHost = (address: string): boolean => address === preset.host || (preset.host === 'localhost' && loopback(address));
    if (preset.kind === 'listener') return preset.port === 0 ? [] : this.registry.listeners().filter((l) => l.address?.port === preset.port);
    return this.registry.connections().filter((c) => c.role === 'client' && c.remote?.port === preset.port && sameHost(c.remote.address));
  }

  // ---- Capture to file ------------------------------------------------------------------------

  /** A connection captures into a file the user names; a listener, every client into a folder. */
  async startCapture(arg: CommandArg): Promise<void> {
    const target = await this.resolveTarget(arg, 'any', 'Capture the traffic of…');
    if (!target) return;
    const captures = this.services.captures;
    const base = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (isListener(target)) {
      const folders = await vscode.window.showOpenDialog({
        title: `Capture every client of ${listenerAddress(target)} into a folder`,
        canSelectFolders: true,
        canSelectFiles: false,
        canSelectMany: false,
        defaultUri: base,
        openLabel: 'Capture Here',
      });
      if (!folders?.[0]) return;
      await captures.startListener(target, folders[0].fsPath);
      return;
    }
    const file = await vscode.window.showSaveDialog({
      title: `Capture ${describeItem(target)} to a JSON Lines file`,
      defaultUri: base ? vscode.Uri.joinPath(base, captureFileName(target, new Date())) : undefined,
      filters: { 'JSON Lines': ['jsonl'] },
      saveLabel: 'Capture',
    });
    if (!file) return;
    await captures.startConnection(target, file.fsPath);
  }

  async stopCapture(arg: CommandArg): Promise<void> {
    const target = await this.resolveTarget(arg, 'any', 'Stop capturing…');
    if (!target) return;
    const captures = this.services.captures;
    const capturing = isListener(target) ? captures.isCapturingListener(target) || target.connections.some((c) => c.log.capturing) : target.log.capturing;
    if (!capturing) {
      void vscode.window.showInformationMessage(`The ${describeItem(target)} is not capturing; use TCP: Start Capture to File… to begin.`);
      return;
    }
    await captures.stop(target);
    // A listener stops one file per client, so the sentence says which files are complete.
    const kept = isListener(target) ? "each client's file holds every byte up to now" : 'the file holds every byte up to now';
    void vscode.window.showInformationMessage(`Stopped capturing the ${describeItem(target)}; ${kept}.`);
  }

  // ---- Targets ----------------------------------------------------------------------------------

  /**
   * The item a command acts on: the clicked tree node or given id if any, otherwise one the user
   * picks. Tells the user (instead of doing nothing) when there is nothing of the right kind.
   */
  private async resolveTarget(arg: CommandArg, kind: 'listener' | 'connection' | 'saveable' | 'any', title: string): Promise<RegistryItem | undefined> {
    const id = targetIdOf(arg);
    if (id !== undefined) {
      const item = this.registry.getLive(id);
      if (!item) void vscode.window.showWarningMessage(`${id} is no longer open; pick another listener or connection.`);
      return item;
    }
    const listeners = kind === 'connection' ? [] : this.registry.listeners();
    const connections = kind === 'listener' ? [] : this.registry.connections().filter((c) => kind !== 'saveable' || c.role === 'client');
    const candidates: RegistryItem[] = [...connections, ...listeners];
    if (candidates.length === 0) {
      const what = { listener: 'no listener is running', connection: 'no connection is open', saveable: 'no listener or outgoing connection is open', any: 'no listener or connection is open' }[kind];
      const choice = await vscode.window.showInformationMessage(`Nothing to do: ${what}.`, 'Start Listener', 'Connect…');
      if (choice === 'Start Listener') void vscode.commands.executeCommand(COMMANDS.startListener);
      if (choice === 'Connect…') void vscode.commands.executeCommand(COMMANDS.connect);
      return undefined;
    }
    // The last-used target first, so repeating an action is one Enter away.
    candidates.sort((a, b) => Number(b.id === this.lastTargetId) - Number(a.id === this.lastTargetId));
    const picked = await vscode.window.showQuickPick(
      candidates.map((item) => ({ ...pickItemFor(item), item })),
      { title, placeHolder: 'Choose a listener or connection', matchOnDescription: true },
    );
    return picked?.item;
  }

  private async revealTarget(id: string): Promise<void> {
    const node = this.services.tree.nodeForTarget(id);
    if (!node || !this.services.treeView.visible) return;
    try {
      await this.services.treeView.reveal(node, { select: true, focus: false, expand: true });
    } catch {
      // Revealing is a courtesy; the item may already be gone again.
    }
  }
}

function pickItemFor(item: RegistryItem): vscode.QuickPickItem {
  if (isListener(item)) {
    const clients = item.connections.length;
    return {
      label: listenerAddress(item),
      description: `${item.id} · listener · ${clients === 0 ? 'no clients' : `all ${plural(clients, 'client')}`}`,
      iconPath: new vscode.ThemeIcon('radio-tower'),
    };
  }
  return {
    label: connectionPeer(item),
    description: `${item.id} · ${item.role === 'client' ? 'outgoing connection' : `accepted by ${item.listenerId ?? 'a listener'}`}`,
    iconPath: new vscode.ThemeIcon('plug'),
  };
}

async function pickListenHost(current: string): Promise<string | undefined> {
  type Item = vscode.QuickPickItem & { host?: string };
  const known: Item[] = [
    { label: '127.0.0.1', description: 'IPv4 loopback: this machine only', host: '127.0.0.1' },
    { label: '::1', description: 'IPv6 loopback: this machine only', host: '::1' },
    { label: '0.0.0.0', description: 'every IPv4 interface: reachable from the network', host: '0.0.0.0' },
    { label: '::', description: 'every interface: reachable from the network', host: '::' },
  ];
  if (!known.some((k) => k.host === current)) known.unshift({ label: current, description: 'current', host: current });
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = 'Listen on which host?';
  pick.placeholder = 'Choose an address, or type a host name or IP address';
  pick.items = known;
  pick.activeItems = known.filter((k) => k.host === current);
  pick.onDidChangeValue((text) => {
    const host = text.trim().replace(/^\[(.*)\]$/, '$1');
    if (host === '' || known.some((k) => k.host === host)) {
      pick.items = known;
      return;
    }
    const problem = validateHostText(host);
    const typed: Item = problem
      ? { label: `$(warning) ${problem}`, alwaysShow: true }
      : { label: host, description: 'typed', alwaysShow: true, host };
    pick.items = [typed, ...known];
    pick.activeItems = [typed];
  });
  return new Promise((resolve) => {
    let settled = false;
    pick.onDidAccept(() => {
      const [selected] = pick.selectedItems.length ? pick.selectedItems : pick.activeItems;
      if (!selected?.host) return;
      settled = true;
      resolve(selected.host);
      pick.hide();
    });
    pick.onDidHide(() => {
      if (!settled) resolve(undefined);
      pick.dispose();
    });
    pick.show();
  });
}

/** Whether a listener preset asks to answer peers by itself. */
function hasMockBehaviour(preset: Preset): boolean {
  return preset.kind === 'listener' && (preset.framing !== undefined || preset.echo === true || (Array.isArray(preset.rules) && preset.rules.length > 0));
}

function suggestPresetName(base: PresetBase, existing: ReadonlySet<string>): string {
  const stem = `${base.kind === 'listener' ? 'Listener' : 'Client'} ${formatHostPort(base.host, base.port)}`;
  if (!existing.has(stem)) return stem;
  for (let n = 2; ; n++) if (!existing.has(`${stem} (${n})`)) return `${stem} (${n})`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
