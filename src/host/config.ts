// The one owner of the `tcpLab.*` settings: typed getters, change events, preset validation with
// warnings, and writes that land in the scope the user already keeps the key in.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PanelSettings } from '../shared/protocol';
import { readEnvironments, type Environments } from '../app/settingsFile';
import { CAPTURE_FORMATS, type CaptureFormat } from '../core/captureFormats';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../core/connection';
import { DEFAULT_HISTORY_LIMITS, type HistoryLimits } from '../core/history';
import { DEFAULT_LOG_LIMITS, type TrafficLogLimits } from '../core/trafficLog';
import { LINE_ENDINGS, TEXT_ENCODINGS, type LineEnding, type TextEncodingName } from '../shared/payloadTypes';
import type { Preset } from '../shared/preset';
import { parseJsonc } from '../app/jsonc';
import { checkPayloadParses, validatePresets, type PresetProblem } from '../app/presetValidation';
import type { BrokenPresetEntry, PresetEntry } from '../app/treeModel';
import { locateSettingEntry, positionOf } from '../app/settingsLocation';

type PresetOrigin = PresetEntry['origin'];

export const SECTION = 'tcpLab';

/** The schema's maximum for `tcpLab.connection.connectTimeout`, in seconds. */
const MAX_CONNECT_TIMEOUT_S = 3600;
/** Named in a connect-timeout error, so the user knows what to raise. */
export const CONNECT_TIMEOUT_SETTING = `${SECTION}.connection.connectTimeout`;

export type TimestampMode = 'absolute' | 'relative';

/** Keys below `tcpLab.`, as declared in package.json. */
export type SettingKey =
  | 'listener.defaultHost'
  | 'defaultEncoding'
  | 'defaultLineEnding'
  | 'log.maxRecords'
  | 'log.maxBytes'
  | 'connection.keepHalfOpen'
  | 'connection.connectTimeout'
  | 'history.maxClosed'
  | 'history.maxBytes'
  | 'capture.directory'
  | 'tls.keyLogFile'
  | 'timestamps'
  | 'statusBar.enabled'
  | 'panel.announceReceived'
  | 'presets'
  | 'environments'
  | 'tcpFiles.allowFilesOutsideWorkspace'
  | 'proxy.api';


export class TcpLabConfig implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changeEmitter = new vscode.EventEmitter<vscode.ConfigurationChangeEvent>();
  private readonly presetsEmitter = new vscode.EventEmitter<void>();
  private presetCache: PresetEntry[] | undefined;
  private brokenCache: BrokenPresetEntry[] = [];
  /**
   * Workspace preset values read from the settings files while the workspace is untrusted: VS Code
   * withholds a restricted setting's workspace value from the API, yet the user should see them.
   */
  private untrustedScopes: { value: unknown; origin: PresetEntry['origin'] }[] = [];
  private untrustedWatcher: vscode.Disposable | undefined;
  /** Warnings already shown, so an unrelated settings edit does not repeat them. */
  private readonly shownProblems = new Set<string>();

  /** Fires for any change under `tcpLab`; use `e.affectsConfiguration('tcpLab.x')` to narrow. */
  readonly onDidChange = this.changeEmitter.event;
  /** Fires when the preset list may differ: a settings edit or a workspace trust grant. */
  readonly onDidChangePresets = this.presetsEmitter.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(
      this.changeEmitter,
      this.presetsEmitter,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(SECTION)) return;
        if (e.affectsConfiguration(`${SECTION}.presets`)) this.invalidatePresets();
        this.changeEmitter.fire(e);
      }),
      // Trust changes what a workspace preset may do, so the tree must re-render its markers.
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.untrustedWatcher?.dispose();
        this.untrustedWatcher = undefined;
        this.untrustedScopes = [];
        this.invalidatePresets();
      }),
    );
    if (!vscode.workspace.isTrusted) this.watchUntrustedSettings();
  }

  /** Reads workspace presets from the settings files, and again whenever those files change. */
  private watchUntrustedSettings(): void {
    const watcher = vscode.workspace.createFileSystemWatcher('**/.vscode/settings.json');
    const reload = (): void => void this.readUntrustedSettings();
    const workspaceFile = vscode.workspace.workspaceFile;
    this.untrustedWatcher = vscode.Disposable.from(
      watcher,
      watcher.onDidChange(reload),
      watcher.onDidCreate(reload),
      watcher.onDidDelete(reload),
      vscode.workspace.onDidChangeWorkspaceFolders(reload),
      // A saved multi-root workspace keeps its settings inside the .code-workspace file.
      ...(workspaceFile?.scheme === 'file'
        ? [vscode.workspace.onDidSaveTextDocument((doc) => doc.uri.toString() === workspaceFile.toString() && reload())]
        : []),
    );
    this.disposables.push({ dispose: () => this.untrustedWatcher?.dispose() });
    reload();
  }

  private async readUntrustedSettings(): Promise<void> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const workspaceFile = vscode.workspace.workspaceFile;
    const sources: { uri: vscode.Uri; origin: PresetEntry['origin']; inWorkspaceFile?: boolean }[] = [];
    if (workspaceFile) {
      // A multi-root workspace keeps window-scoped settings such as this one in its .code-workspace
      // file; VS Code ignores them in folder settings there, and so do we.
      if (workspaceFile.scheme !== 'untitled') sources.push({ uri: workspaceFile, origin: 'workspace', inWorkspaceFile: true });
    } else {
      // With a single folder open its .vscode/settings.json *is* the workspace settings.
      for (const folder of folders) sources.push({ uri: vscode.Uri.joinPath(folder.uri, '.vscode', 'settings.json'), origin: 'workspace' });
    }

    const scopes: { value: unknown; origin: PresetEntry['origin'] }[] = [];
    for (const source of sources) {
      let text: string;
      try {
        text = new TextDecoder().decode(await vscode.workspace.fs.readFile(source.uri));
      } catch {
        continue; // No settings file in this folder.
      }
      try {
        const parsed = parseJsonc(text) as Record<string, unknown> | null;
        const settings = source.inWorkspaceFile ? (parsed?.settings as Record<string, unknown> | undefined) : parsed;
        const value = settings?.[`${SECTION}.presets`];
        if (value !== undefined) scopes.push({ value, origin: source.origin });
      } catch {
        // VS Code reports syntax errors in settings files itself; a file it cannot read yields no presets.
        this.log.warn(`Could not read presets from ${vscode.workspace.asRelativePath(source.uri)}: the file is not valid JSON.`);
      }
    }
    this.untrustedScopes = scopes;
    this.invalidatePresets();
  }

  private section(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION);
  }

  get defaultHost(): string {
    const host = this.section().get<string>('listener.defaultHost', '127.0.0.1');
    return typeof host === 'string' && host.trim() !== '' ? host.trim() : '127.0.0.1';
  }

  get defaultEncoding(): TextEncodingName {
    return oneOf(this.section().get('defaultEncoding'), TEXT_ENCODINGS, 'utf-8');
  }

  get defaultLineEnding(): LineEnding {
    return oneOf(this.section().get('defaultLineEnding'), LINE_ENDINGS, 'none');
  }

  get logLimits(): TrafficLogLimits {
    const section = this.section();
    return {
      maxRecords: positiveInteger(section.get('log.maxRecords'), DEFAULT_LOG_LIMITS.maxRecords),
      maxBytes: positiveInteger(section.get('log.maxBytes'), DEFAULT_LOG_LIMITS.maxBytes),
    };
  }

  /**
   * `.tcp` variables per environment, read as the CLI reads them (a restricted setting, so an
   * untrusted workspace's own value is ignored by VS Code).
   */
  get environments(): Environments {
    return readEnvironments(this.section().get<unknown>('environments'));
  }

  /** Whether `SEND file` may read outside the workspace folder (restricted setting). */
  get allowFilesOutsideWorkspace(): boolean {
    return this.section().get<boolean>('tcpFiles.allowFilesOutsideWorkspace', false) === true;
  }

  /** What a traffic panel needs of the settings, validated like every other read. */
  get panelSettings(): PanelSettings {
    const limits = this.logLimits;
    return {
      encoding: this.defaultEncoding,
      lineEnding: this.defaultLineEnding,
      timestamps: this.timestamps,
      maxRecords: limits.maxRecords,
      maxBytes: limits.maxBytes,
      defaultHost: this.defaultHost,
      announceReceived: this.announceReceived,
    };
  }

  /** Whether traffic panels announce received data to screen readers (opt-in: it is chatty). */
  get announceReceived(): boolean {
    return this.section().get<boolean>('panel.announceReceived', false) === true;
  }

  /** How many closed connections (and how many bytes of their logs) the history keeps. */
  get historyLimits(): HistoryLimits {
    const section = this.section();
    const whole = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fallback);
    return {
      maxClosed: whole(section.get('history.maxClosed'), DEFAULT_HISTORY_LIMITS.maxClosed),
      maxBytes: whole(section.get('history.maxBytes'), DEFAULT_HISTORY_LIMITS.maxBytes),
    };
  }

  /** False (the default) closes our side when the peer ends, as Qt and ncat do; true keeps it open to reply. */
  get keepHalfOpen(): boolean {
    return this.section().get<boolean>('connection.keepHalfOpen', false) === true;
  }

  /**
   * `tcpLab.connection.connectTimeout`, declared in seconds (as people think of it), in milliseconds
   * for the engine. A value the schema would flag (not a number, zero, negative) falls back to 10 s.
   */
  get connectTimeoutMs(): number {
    const seconds = this.section().get<number>('connection.connectTimeout', DEFAULT_CONNECT_TIMEOUT_MS / 1000);
    return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0
      ? Math.round(Math.min(seconds, MAX_CONNECT_TIMEOUT_S) * 1000)
      : DEFAULT_CONNECT_TIMEOUT_MS;
  }

  /** What capture files hold (`tcpLab.capture.format`); anything else reads as JSON Lines. */
  get captureFormat(): CaptureFormat {
    const value = this.section().get<string>('capture.format', 'jsonl');
    return (CAPTURE_FORMATS as readonly string[]).includes(value) ? (value as CaptureFormat) : 'jsonl';
  }

  /** Where every new connection captures its traffic; empty (the default) captures only on request. */
  get captureDirectory(): string {
    const value = this.section().get<string>('capture.directory', '');
    return typeof value === 'string' ? value : '';
  }

  /**
   * Where TLS key-log lines go (for Wireshark), as an absolute path: relative paths start at the first
   * workspace folder. Undefined when unset (the default), or relative without a folder to anchor it.
   */
  get tlsKeyLogFile(): string | undefined {
    const value = this.section().get<string>('tls.keyLogFile', '');
    if (typeof value !== 'string' || value.trim() === '') return undefined;
    if (path.isAbsolute(value)) return value;
    const folder = vscode.workspace.workspaceFolders?.[0];
    return folder && folder.uri.scheme === 'file' ? path.join(folder.uri.fsPath, value) : undefined;
  }

  /** `tcpLab.proxy.api`: where the Toxiproxy-compatible API listens, as typed; undefined when off (empty). */
  get proxyApiAddress(): string | undefined {
    const value = this.section().get<string>('proxy.api', '');
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  }

  get timestamps(): TimestampMode {
    return oneOf(this.section().get('timestamps'), ['absolute', 'relative'] as const, 'absolute');
  }

  get statusBarEnabled(): boolean {
    return this.section().get<boolean>('statusBar.enabled', true) !== false;
  }

  /**
   * Valid presets from user and workspace settings, workspace first (a workspace preset hides a user
   * one of the same name). In Restricted Mode the workspace ones come from the settings files and are
   * marked restricted: shown, but starting one needs the user's explicit confirmation.
   */
  presets(): PresetEntry[] {
    if (this.presetCache) return this.presetCache;
    const info = this.section().inspect<unknown>('presets');
    const trusted = vscode.workspace.isTrusted;
    const entries: PresetEntry[] = [];
    const problems: (PresetProblem & { origin: PresetOrigin })[] = [];
    const scopes: { value: unknown; origin: PresetEntry['origin'] }[] = trusted
      ? [
          { value: info?.workspaceFolderValue, origin: 'workspaceFolder' },
          { value: info?.workspaceValue, origin: 'workspace' },
          { value: info?.globalValue, origin: 'user' },
        ]
      : [...this.untrustedScopes, { value: info?.globalValue, origin: 'user' }];
    for (const { value, origin } of scopes) {
      const result = validatePresets(value, checkPayloadParses);
      problems.push(...result.problems.map((problem) => ({ ...problem, origin })));
      for (const preset of result.presets) {
        if (entries.some((e) => e.preset.name === preset.name)) continue;
        entries.push({ preset, origin, restricted: !trusted && origin !== 'user' });
      }
    }
    this.reportProblems(problems);
    this.brokenCache = problems.map((p) => ({
      name: p.presetName ?? (p.index >= 0 ? vscode.l10n.t('Entry {0}', p.index + 1) : `${SECTION}.presets`),
      origin: p.origin,
      index: p.index,
      reason: p.message,
    }));
    this.presetCache = entries;
    return entries;
  }

  /** Entries of tcpLab.presets that cannot be used, with the reason: the tree keeps them visible. */
  brokenPresets(): BrokenPresetEntry[] {
    this.presets();
    return this.brokenCache;
  }

  /**
   * Opens the settings file that holds a preset entry (user, workspace or folder settings) at that
   * entry. It only opens and selects: nothing is written, whatever the file holds.
   */
  async revealPresetEntry(origin: PresetOrigin, index: number): Promise<void> {
    const document = await this.settingsDocument(origin);
    if (!document) {
      void vscode.window.showWarningMessage(origin === 'user'
        ? vscode.l10n.t('Could not find the user settings file that holds {0}; open it with "Preferences: Open Settings (JSON)".', `${SECTION}.presets`)
        : vscode.l10n.t('Could not find the workspace settings file that holds {0}; open it with "Preferences: Open Settings (JSON)".', `${SECTION}.presets`));
      return;
    }
    const editor = await vscode.window.showTextDocument(document);
    const text = document.getText();
    const offset = locateSettingEntry(text, `${SECTION}.presets`, index);
    if (offset === undefined) return;
    const at = positionOf(text, offset);
    const position = new vscode.Position(at.line, at.character);
    editor.selection = new vscode.Selection(position, position);
    editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private async settingsDocument(origin: PresetOrigin): Promise<vscode.TextDocument | undefined> {
    if (origin === 'user') {
      // The user settings file has no public URI; VS Code's own command opens it (and writes nothing).
      await vscode.commands.executeCommand('workbench.action.openSettingsJson');
      const document = vscode.window.activeTextEditor?.document;
      return document && /settings\.json$/i.test(document.uri.path) ? document : undefined;
    }
    const workspaceFile = vscode.workspace.workspaceFile;
    const candidates = origin === 'workspace' && workspaceFile && workspaceFile.scheme !== 'untitled'
      ? [workspaceFile]
      : (vscode.workspace.workspaceFolders ?? []).map((folder) => vscode.Uri.joinPath(folder.uri, '.vscode', 'settings.json'));
    for (const uri of candidates) {
      try {
        const document = await vscode.workspace.openTextDocument(uri);
        if (locateSettingEntry(document.getText(), `${SECTION}.presets`, -1) !== undefined) return document;
      } catch {
        // No settings file in this folder: try the next.
      }
    }
    return undefined;
  }

  findPreset(name: string): PresetEntry | undefined {
    return this.presets().find((entry) => entry.preset.name === name);
  }

  /**
   * Writes a setting where the user already keeps it (workspace, then user settings); a key set
   * nowhere goes to the workspace so the team shares it, or to user settings when no folder is open.
   */
  async update(key: SettingKey, value: unknown): Promise<vscode.ConfigurationTarget> {
    const target = this.targetFor(key);
    await this.section().update(key, value, target);
    return target;
  }

  targetFor(key: SettingKey): vscode.ConfigurationTarget {
    const info = this.section().inspect(key);
    if (this.workspaceValueOf(key, info?.workspaceValue) !== undefined) return vscode.ConfigurationTarget.Workspace;
    if (info?.globalValue !== undefined) return vscode.ConfigurationTarget.Global;
    const hasWorkspace = (vscode.workspace.workspaceFolders?.length ?? 0) > 0 || vscode.workspace.workspaceFile !== undefined;
    return hasWorkspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  }

  /** Adds or replaces (by name) a preset in the scope chosen by `targetFor`, keeping other entries untouched. */
  async savePreset(preset: Preset): Promise<{ target: vscode.ConfigurationTarget; replaced: boolean }> {
    const target = this.targetFor('presets');
    const info = this.section().inspect<unknown>('presets');
    const current = target === vscode.ConfigurationTarget.Workspace ? this.workspaceValueOf('presets', info?.workspaceValue) : info?.globalValue;
    const list: unknown[] = Array.isArray(current) ? [...current] : [];
    const existing = list.findIndex((entry) => isNamed(entry, preset.name));
    if (existing >= 0) list[existing] = preset;
    else list.push(preset);
    await this.section().update('presets', list, target);
    this.invalidatePresets();
    return { target, replaced: existing >= 0 };
  }

  /**
   * The workspace value of a setting. Restricted Mode hides it from `inspect` for restricted settings,
   * so for the presets we fall back to what was read from the settings file: writing must never drop
   * the workspace's existing presets just because the API did not show them.
   */
  private workspaceValueOf(key: SettingKey, inspected: unknown): unknown {
    if (inspected !== undefined || vscode.workspace.isTrusted || key !== 'presets') return inspected;
    return this.untrustedScopes.find((scope) => scope.origin === 'workspace')?.value;
  }

  private invalidatePresets(): void {
    this.presetCache = undefined;
    this.presetsEmitter.fire();
  }

  private reportProblems(problems: readonly (PresetProblem & { origin: PresetOrigin })[]): void {
    const current = new Set(problems.map((p) => p.message));
    // Forget fixed problems, so the same mistake made again later is reported again.
    for (const message of this.shownProblems) if (!current.has(message)) this.shownProblems.delete(message);
    for (const { message, origin, index } of problems) {
      if (this.shownProblems.has(message)) continue;
      this.shownProblems.add(message);
      this.log.warn(message);
      // To the file and line of the bad entry, not the Settings UI: its "Edit in settings.json" writes a default.
      void vscode.window.showWarningMessage(message, vscode.l10n.t('Open Settings')).then((choice) => {
        if (choice) void this.revealPresetEntry(origin, index);
      });
    }
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return (allowed as readonly unknown[]).includes(value) ? (value as T) : fallback;
}

function positiveInteger(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}

function isNamed(entry: unknown, name: string): boolean {
  return typeof entry === 'object' && entry !== null && (entry as { name?: unknown }).name === name;
}
