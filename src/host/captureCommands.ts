// Start and Stop Capture to File: a connection captures into a file the user names; a listener,
// every client into a folder. The files themselves are the capture manager's.
import * as vscode from 'vscode';
import { captureFileName } from '../app/captureFiles';
import type { CommandArg } from '../app/commandArgs';
import { describeItemForUser, isListener, listenerAddress } from '../app/targets';
import type { CaptureManager } from './captureManager';
import type { CommandHandlers, CommandSource } from './commandRegistration';
import type { TargetPicker } from './targetPicker';

export const CAPTURE_COMMANDS = {
  startCapture: 'tcpLab.startCapture',
  stopCapture: 'tcpLab.stopCapture',
} as const;

export class CaptureCommands implements CommandSource {
  constructor(
    private readonly captures: CaptureManager,
    private readonly picker: TargetPicker,
  ) {}

  commands(): CommandHandlers {
    return {
      [CAPTURE_COMMANDS.startCapture]: (arg) => this.startCapture(arg as CommandArg),
      [CAPTURE_COMMANDS.stopCapture]: (arg) => this.stopCapture(arg as CommandArg),
    };
  }

  async startCapture(arg: CommandArg): Promise<void> {
    const target = await this.picker.resolve(arg, 'any', vscode.l10n.t('Capture the traffic of…'));
    if (!target) return;
    const base = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (isListener(target)) {
      const folders = await vscode.window.showOpenDialog({
        title: vscode.l10n.t('Capture every client of {0} into a folder', listenerAddress(target)),
        canSelectFolders: true,
        canSelectFiles: false,
        canSelectMany: false,
        defaultUri: base,
        openLabel: vscode.l10n.t('Capture Here'),
      });
      if (!folders?.[0]) return;
      await this.captures.startListener(target, folders[0].fsPath);
      return;
    }
    // The setting picks the suggested name; the name the user keeps picks the format (.pcapng or not).
    const format = this.captures.defaultFormat;
    const jsonLines = { 'JSON Lines': ['jsonl'] };
    const pcapng = { pcapng: ['pcapng'] };
    const file = await vscode.window.showSaveDialog({
      title: vscode.l10n.t('Capture {0} to a file (JSON Lines, or pcapng for Wireshark)', describeItemForUser(target)),
      defaultUri: base ? vscode.Uri.joinPath(base, captureFileName(target, new Date(), format)) : undefined,
      filters: format === 'pcapng' ? { ...pcapng, ...jsonLines } : { ...jsonLines, ...pcapng },
      saveLabel: vscode.l10n.t('Capture'),
    });
    if (!file) return;
    await this.captures.startConnection(target, file.fsPath);
  }

  async stopCapture(arg: CommandArg): Promise<void> {
    const target = await this.picker.resolve(arg, 'any', vscode.l10n.t('Stop capturing…'));
    if (!target) return;
    const captures = this.captures;
    const capturing = isListener(target) ? captures.isCapturingListener(target) || target.connections.some((c) => c.log.capturing) : target.log.capturing;
    if (!capturing) {
      void vscode.window.showInformationMessage(vscode.l10n.t('The {0} is not capturing; use TCP: Start Capture to File… to begin.', describeItemForUser(target)));
      return;
    }
    await captures.stop(target);
    // A listener stops one file per client, so the sentence says which files are complete.
    const what = describeItemForUser(target);
    void vscode.window.showInformationMessage(isListener(target)
      ? vscode.l10n.t("Stopped capturing the {0}; each client's file holds every byte up to now.", what)
      : vscode.l10n.t('Stopped capturing the {0}; the file holds every byte up to now.', what));
  }
}
