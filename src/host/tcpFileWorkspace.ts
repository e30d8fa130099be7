// Shared state of the `.tcp` features: the parsed documents, the settings they depend on
// (presets, environments) and the selected environment, with one event when any of them changes.
import type { TcpLabConfig } from './config';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseTcpFile } from '../core/tcpFile/parser';
import type { TcpFile } from '../core/tcpFile/model';
import { environmentVariables } from '../core/tcpFile/variables';
import type { Environments } from '../app/settingsFile';
import type { Preset } from '../shared/preset';
import type { RunOptions } from '../core/tcpFile/runner';

export const TCP_LANGUAGE_ID = 'tcp';
export const ALLOW_OUTSIDE_SETTING = 'tcpLab.tcpFiles.allowFilesOutsideWorkspace';
const SELECTED_ENVIRONMENT_KEY = 'tcpLab.tcpFiles.environment';

export function isTcpDocument(document: vscode.TextDocument): boolean {
  return document.languageId === TCP_LANGUAGE_ID || document.uri.path.endsWith('.tcp');
}

export class TcpFileWorkspace implements vscode.Disposable {
  private readonly cache = new Map<string, { version: number; file: TcpFile }>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Settings or the environment changed: every parse and diagnostic may differ. */
  readonly onDidChangeContext = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly state: vscode.Memento,
    /** The one reader of `tcpLab.*`: presets validated, environments checked. */
    private readonly config: TcpLabConfig,
  ) {
    this.subscriptions.push(
      config.onDidChange((e) => {
        if (e.affectsConfiguration('tcpLab.presets') || e.affectsConfiguration('tcpLab.environments') || e.affectsConfiguration(ALLOW_OUTSIDE_SETTING)) this.invalidate();
      }),
      // Trusting the workspace makes its restricted settings (environments, presets) count.
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.invalidate()),
      vscode.workspace.onDidCloseTextDocument((d) => this.cache.delete(d.uri.toString())),
    );
  }

  presets(): Preset[] {
    // A workspace preset in Restricted Mode is only listed, never used (VS Code ignores it for a run too).
    return this.config.presets().filter((entry) => !entry.restricted).map((entry) => entry.preset);
  }

  environments(): Environments {
    return this.config.environments;
  }

  /** Names a user can pick; `$shared` is merged into each, not picked. */
  environmentNames(): string[] {
    return Object.keys(this.environments()).filter((name) => name !== '$shared');
  }

  get selectedEnvironment(): string | undefined {
    const name = this.state.get<string>(SELECTED_ENVIRONMENT_KEY);
    return name && this.environments()[name] ? name : undefined;
  }

  async selectEnvironment(name: string | undefined): Promise<void> {
    await this.state.update(SELECTED_ENVIRONMENT_KEY, name);
    this.invalidate();
  }

  environment(): Record<string, string> {
    return environmentVariables(this.environments(), this.selectedEnvironment);
  }

  /** The parse of a document's current text (unsaved edits included), cached per version. */
  parse(document: vscode.TextDocument): TcpFile {
    const key = document.uri.toString();
    const cached = this.cache.get(key);
    if (cached && cached.version === document.version) return cached.file;
    const file = this.parseText(document.getText());
    this.cache.set(key, { version: document.version, file });
    return file;
  }

  /** Parse a file that is not open in an editor (read from disk by the Testing view). */
  parseText(text: string): TcpFile {
    return parseTcpFile(text, { presetNames: this.presets().map((p) => p.name), environment: this.environment() });
  }

  /** The editor's text when the file is open (unsaved edits count), else the text on disk. */
  async read(uri: vscode.Uri): Promise<TcpFile> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) return this.parse(open);
    return this.parseText(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)));
  }

  /** Everything a run needs besides the sockets (and the confirmation, which the caller owns). */
  runOptions(uri: vscode.Uri): Omit<RunOptions, 'sockets'> {
    const baseDir = uri.scheme === 'file' ? path.dirname(uri.fsPath) : undefined;
    // SEND file stays inside the workspace folder of the .tcp file (its own folder when it is in none).
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const rootDir = folder?.uri.scheme === 'file' ? folder.uri.fsPath : baseDir;
    // A restricted setting: in Restricted Mode only the user's own value counts, never the workspace's.
    const allowOutside = this.config.allowFilesOutsideWorkspace;
    return {
      environment: this.environment(),
      presets: this.presets(),
      baseDir,
      fileRoot: rootDir ? { dir: rootDir, allowOutside, howToAllow: vscode.l10n.t('set {0} to true in your user settings', ALLOW_OUTSIDE_SETTING) } : undefined,
    };
  }

  private invalidate(): void {
    this.cache.clear();
    this.changed.fire();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
