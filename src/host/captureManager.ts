// Capture to file: the memory log is bounded, so this is how a user keeps every byte. A connection
// captures on request, every client of a listener captures from its first byte once the listener
// does, and with `tcpLab.capture.directory` set every new connection captures from its first byte.
import { mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { captureFormatOfPath, type CaptureFormat } from '../core/captureFormats';
import type { Connection } from '../core/connection';
import type { Listener } from '../core/listener';
import type { Registry } from '../core/registry';
import { captureFileName, resolveCaptureDirectory } from '../app/captureFiles';
import type { TcpLabConfig } from './config';
import { errorMessage } from '../shared/errorMessage';

export class CaptureManager implements vscode.Disposable {
  /** Folders that every (current and future) client of a listener captures into, by listener id. */
  private readonly listenerFolders = new Map<string, string>();
  /** The file each capturing connection writes, by connection id. */
  private readonly files = new Map<string, string>();
  /** The last capture-folder problem shown, so a burst of connections warns once. */
  private shownProblem: string | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    registry: Registry,
    private readonly config: TcpLabConfig,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const registration = registry.onDidChange((change) => {
      if (change.item === 'listener' && change.kind === 'closed') this.listenerFolders.delete(change.id);
      if (change.item !== 'connection') return;
      if (change.kind === 'closed') {
        this.files.delete(change.id);
        return;
      }
      if (change.kind !== 'added') return;
      const connection = registry.get(change.id) as Connection | undefined;
      if (!connection) return;
      // Started synchronously with the 'added' event, before node delivers the first chunk.
      const folder = (connection.listenerId && this.listenerFolders.get(connection.listenerId)) || this.settingFolder();
      if (folder) void this.startInFolder(connection, folder);
    });
    this.subscription = { dispose: () => registration.dispose() };
  }

  /** The format of captures the user does not name a file for (`tcpLab.capture.format`). */
  get defaultFormat(): CaptureFormat {
    return this.config.captureFormat;
  }

  /** The file a connection is capturing into, if it is. */
  fileOf(connection: Connection): string | undefined {
    return connection.log.capturing ? this.files.get(connection.id) : undefined;
  }

  isCapturingListener(listener: Listener): boolean {
    return this.listenerFolders.has(listener.id);
  }

  /** The file's name says the format: pcapng when it ends in .pcapng, JSON Lines otherwise. */
  async startConnection(connection: Connection, filePath: string): Promise<void> {
    await this.start(connection, filePath, captureFormatOfPath(filePath));
    void vscode.window.showInformationMessage(vscode.l10n.t('Capturing {0} to {1}; every byte from now on is written there.', connection.label, filePath));
  }

  async startListener(listener: Listener, folder: string): Promise<void> {
    await mkdir(folder, { recursive: true });
    this.listenerFolders.set(listener.id, folder);
    await Promise.all(listener.connections.map((connection) => this.startInFolder(connection, folder)));
    this.log.info(`capturing every client of ${listener.id} into ${folder}`);
    void vscode.window.showInformationMessage(vscode.l10n.t('Capturing every client of the listener into {0}, one file per connection.', folder));
  }

  async stop(item: Listener | Connection): Promise<void> {
    const connections = 'broadcast' in item ? item.connections : [item];
    if ('broadcast' in item) this.listenerFolders.delete(item.id);
    const results = await Promise.allSettled(connections.map((connection) => connection.log.stopCapture()));
    for (const connection of connections) this.files.delete(connection.id);
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private settingFolder(): string | undefined {
    // Only folders on this machine's disk: a capture file is written with node:fs.
    const folders = (vscode.workspace.workspaceFolders ?? [])
      .filter((folder) => folder.uri.scheme === 'file')
      .map((folder) => ({ name: folder.name, path: folder.uri.fsPath }));
    const { folder, problem } = resolveCaptureDirectory(this.config.captureDirectory, folders);
    // Said once per distinct problem: the user relies on the setting, yet every new connection asks again.
    if (problem && problem !== this.shownProblem) {
      this.shownProblem = problem;
      this.log.warn(problem);
      void vscode.window.showWarningMessage(problem);
    }
    return folder;
  }

  private async startInFolder(connection: Connection, folder: string): Promise<void> {
    try {
      // Synchronous up to startCapture, so the capture is in place before the first chunk arrives.
      mkdirSync(folder, { recursive: true });
      const format = this.config.captureFormat;
      await this.start(connection, join(folder, captureFileName(connection, new Date(), format)), format);
    } catch (err) {
      // An automatic capture that cannot start must not pass unnoticed: the user relies on it.
      const message = errorMessage(err);
      this.log.error(message);
      void vscode.window.showErrorMessage(message);
    }
  }

  private async start(connection: Connection, filePath: string, format: CaptureFormat): Promise<void> {
    await connection.startCapture(filePath, format);
    this.files.set(connection.id, filePath);
    this.log.info(`${connection.id} capturing to ${filePath}`);
  }

  dispose(): void {
    this.subscription.dispose();
    // Each connection's log flushes its own file when the socket closes at deactivation.
    this.listenerFolders.clear();
  }
}
