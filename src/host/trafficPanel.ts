// The traffic panel's VS Code side: creates, reveals and restores webview panels, and gives each
// a PanelSession (which does the real work without `vscode`). One panel per connection or
// listener; a panel opened without a target shows the Listen/Connect forms.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Listener } from '../core/listener';
import type { MockServer } from '../core/mockServer';
import type { Registry } from '../core/registry';
import type { TextEncodingName } from '../shared/payloadTypes';
import type { TargetInfo } from '../shared/protocol';
import { logFileName, toCsv, toJsonLines, type ExportRecord } from '../app/logExport';
import { CHECKSUM_COMMANDS } from './checksumCommands';
import { confirmExposure } from './exposurePrompt';
import { localCaDirectory } from './tlsCommands';
import { presetForTarget, quickSendFor, withBehaviour, withPayload } from '../app/targetPresets';
import type { TcpLabConfig } from './config';
import { renderPanelHtml } from '../app/panelHtml';
import { ListenerBehaviours } from '../app/listenerBehaviours';
import type { PanelProxies } from '../app/panel/panelProxies';
import { PanelSession, type PanelSessionHost, type PresetBehaviourRequest, type PresetPayloadRequest } from '../app/panel/panelSession';
import { formatEndpoint } from '../shared/hostPort';
import { recordsText } from './countText';
import { askSaveLocation, whereSaved } from './saveDialog';
import { exportPcapngWithDialog } from './pcapCommands';

const VIEW_TYPE = 'tcpLab.traffic';

interface OpenPanel {
  panel: vscode.WebviewPanel;
  session: PanelSession;
}

function titleFor(target: TargetInfo | undefined): string {
  if (!target) return 'TCP Lab';
  if (target.proxy) return target.kind === 'listener' ? `Proxy ${target.proxy.name}` : `Proxy ${target.proxy.name} ${target.id}`;
  if (target.kind === 'listener') return `TCP ${target.id} :${target.local?.port ?? target.requestedPort}`;
  return `TCP ${target.id} ${target.remote ? formatEndpoint(target.remote) : ''}`.trim();
}

export class TrafficPanelManager implements vscode.Disposable {
  private readonly panels = new Set<OpenPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly output: vscode.LogOutputChannel;
  /** Mock-server behaviour set from listener panels; outlives any one panel, ends with its listener. */
  private readonly behaviours = new ListenerBehaviours();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly registry: Registry,
    /** The one owner of `tcpLab.*`: what panels read, and where "Save as preset" writes. */
    private readonly config: TcpLabConfig,
    /** Proxy panels: faults live, starting a proxy from the form, injection both ways. */
    private readonly proxies?: PanelProxies,
  ) {
    this.output = vscode.window.createOutputChannel('TCP Lab: Traffic Panel', { log: true });
    this.disposables.push(
      this.output,
      this.behaviours,
      vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => this.restore(panel, state),
      }),
      config.onDidChange(() => {
        for (const open of this.panels) open.session.settingsChanged();
      }),
    );
  }

  /** For whoever starts a listener preset as a mock server: its panel then edits that server. */
  adoptMockServer(listener: Listener, server: MockServer, preset: { framing?: unknown; echo?: unknown; rules?: unknown }): void {
    this.behaviours.adopt(listener, server, preset);
  }

  /** Reveals the panel of `targetId` (a listener or connection id), or opens one; no id = the forms. */
  open(targetId?: string): void {
    if (targetId !== undefined && !this.registry.get(targetId)) {
      void vscode.window.showWarningMessage(vscode.l10n.t('TCP Lab no longer keeps "{0}" (it left the history); pick another one from the Connections view.', targetId));
      return;
    }
    for (const open of this.panels) {
      if (open.session.targetId === targetId) {
        open.panel.reveal();
        return;
      }
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'TCP Lab', vscode.ViewColumn.Active, this.webviewOptions());
    this.attach(panel, targetId);
  }

  /** Saves a listener's or connection's retained log (live or from the history) through a save dialog. */
  async saveLogOf(targetId: string): Promise<void> {
    // A session without a webview owns the same export as the panel's Save log.
    const quiet: PanelSessionHost = {
      post: () => undefined,
      settings: () => this.config.panelSettings,
      log: (line) => this.output.warn(line),
      onDidRetarget: () => undefined,
      saveLog: (format, records, name) => this.saveLog(format, records, name),
      exportPcapng: async () => undefined,
      copy: async () => undefined,
      savePreset: async () => false,
      saveBehaviour: async () => false,
      confirmExposure: async () => false,
    };
    const session = new PanelSession(this.registry, quiet, targetId, undefined, this.behaviours);
    try {
      const records = session.exportRecords();
      await this.saveLog('jsonl', records, logFileName(targetId, 'jsonl'));
    } finally {
      session.dispose();
    }
  }

  dispose(): void {
    for (const open of [...this.panels]) open.panel.dispose();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    // No retainContextWhenHidden: a hidden panel costs nothing and re-syncs from a snapshot.
    return {
      enableScripts: true,
      enableFindWidget: false,
      localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist'), vscode.Uri.joinPath(this.context.extensionUri, 'media')],
    };
  }

  private restore(panel: vscode.WebviewPanel, state: unknown): void {
    const saved = typeof state === 'object' && state !== null ? (state as { targetId?: unknown }).targetId : undefined;
    const targetId = typeof saved === 'string' && saved.length <= 32 ? saved : undefined;
    panel.webview.options = this.webviewOptions();
    if (targetId !== undefined && this.registry.get(targetId)) {
      this.attach(panel, targetId);
      return;
    }
    // Sockets do not survive a window reload; say so rather than showing an empty log.
    const notice = targetId !== undefined ? `${targetId} closed when the window reloaded; start a listener or connect again.` : undefined;
    this.attach(panel, undefined, notice);
  }

  private attach(panel: vscode.WebviewPanel, targetId: string | undefined, notice?: string): void {
    const webview = panel.webview;
    const disposables: vscode.Disposable[] = [];
    const host: PanelSessionHost = {
      post: (message) => void webview.postMessage(message),
      settings: () => this.config.panelSettings,
      log: (line) => this.output.warn(line),
      onDidRetarget: () => (panel.title = titleFor(session.describeTarget())),
      saveLog: (format, records, suggestedName, encoding) => this.saveLog(format, records, suggestedName, encoding),
      exportPcapng: (id) => exportPcapngWithDialog(this.registry, id, this.output),
      copy: async (text) => vscode.env.clipboard.writeText(text),
      savePreset: (request) => this.savePreset(request),
      saveBehaviour: (request) => this.saveBehaviour(request),
      confirmExposure,
      computeChecksum: (subject) => void vscode.commands.executeCommand(CHECKSUM_COMMANDS.computeChecksum, subject),
      quickSend: (target) => quickSendFor(this.config.presets(), target, { encoding: this.config.defaultEncoding, lineEnding: this.config.defaultLineEnding }),
      localCaDirectory: () => localCaDirectory(this.context),
      ...(this.proxies ? { proxies: this.proxies } : {}),
    };
    const session = new PanelSession(this.registry, host, targetId, notice, this.behaviours);
    const open: OpenPanel = { panel, session };
    this.panels.add(open);
    panel.title = titleFor(session.describeTarget());
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'panel-icon.svg');
    webview.html = this.html(webview, panel.title);
    disposables.push(
      webview.onDidReceiveMessage((message: unknown) => session.handle(message)),
      panel.onDidChangeViewState(() => session.setVisible(panel.visible)),
    );
    panel.onDidDispose(() => {
      this.panels.delete(open);
      session.dispose();
      for (const disposable of disposables) disposable.dispose();
    });
  }

  private html(webview: vscode.Webview, title: string): string {
    return renderPanelHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'media', 'panel.css')).toString(),
      // Copied from @vscode/codicons by the build; dist/ is already a local resource root.
      codiconsUri: webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'codicons', 'codicon.css')).toString(),
      title,
      // The panel's strings come from the same bundle as the host's, handed over in the page itself.
      language: vscode.env.language,
      l10n: vscode.l10n.bundle,
    });
  }

  private async saveLog(format: 'jsonl' | 'csv', records: ExportRecord[], suggestedName: string, encoding?: TextEncodingName): Promise<string | undefined> {
    const uri = await askSaveLocation(vscode.l10n.t('Save traffic log'), suggestedName, format === 'csv' ? { CSV: ['csv'] } : { [vscode.l10n.t('JSON Lines')]: ['jsonl'] });
    if (!uri) return undefined;
    const text = format === 'csv' ? toCsv(records, encoding ?? this.config.panelSettings.encoding) : toJsonLines(records);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    const where = whereSaved(uri);
    this.output.info(`Saved ${records.length} records to ${where}.`);
    const openLabel = vscode.l10n.t('Open');
    void vscode.window.showInformationMessage(vscode.l10n.t('Saved {0} to {1}.', recordsText(records.length), where), openLabel).then((choice) => {
      if (choice === openLabel) void vscode.window.showTextDocument(uri);
    });
    return where;
  }

  /** Writes framing (listeners: also echo and rules) into this target's preset, creating it if needed. */
  private async saveBehaviour(request: PresetBehaviourRequest): Promise<boolean> {
    const { preset } = presetForTarget(this.config.presets(), request.target);
    const saved = withBehaviour(preset, request.behaviour);
    await this.config.savePreset(saved);
    this.output.info(`Saved framing${saved.kind === 'listener' ? ', echo and rules' : ''} into preset "${saved.name}".`);
    return true;
  }

  /** Adds the payload to this target's preset (matched by kind, host and port), creating it if needed. */
  private async savePreset(request: PresetPayloadRequest): Promise<boolean> {
    const { preset, existing } = presetForTarget(this.config.presets(), request.target);
    const name = await vscode.window.showInputBox({
      title: vscode.l10n.t('Save payload into a preset'),
      prompt: existing ? vscode.l10n.t('Payload name in preset "{0}"', preset.name) : vscode.l10n.t('Payload name (a new preset "{0}" is created)', preset.name),
      value: vscode.l10n.t('payload {0}', (preset.payloads?.length ?? 0) + 1),
      validateInput: (value) => (value.trim() ? undefined : vscode.l10n.t('Enter a name for the payload.')),
    });
    if (!name) return false;
    const base = existing ? preset : { ...preset, encoding: request.encoding, lineEnding: request.lineEnding };
    const saved = withPayload(base, { name: name.trim(), format: request.format, data: request.data, ...(request.checksum ? { checksum: request.checksum } : {}) });
    await this.config.savePreset(saved);
    this.output.info(`Saved payload "${name.trim()}" into preset "${saved.name}".`);
    return true;
  }
}
