// TCP: Compute Checksum: every algorithm's value over the selected bytes — text selected in an
// editor, or a row (or the text selected in it) of a traffic panel, which passes its bytes in.
import * as vscode from 'vscode';
import { checksumLines, checksumSubjectOfText, type ChecksumSubject } from '../app/checksumInput';
import type { CommandHandlers, CommandSource } from './commandRegistration';
import { bytesText } from './countText';

export const CHECKSUM_COMMANDS = {
  computeChecksum: 'tcpLab.computeChecksum',
} as const;

/** What the traffic panel passes: a row's bytes, or text selected in the log. */
export interface ComputeChecksumArgs {
  bytes?: Uint8Array;
  text?: string;
  /** Where they came from, e.g. "record #12". */
  source?: string;
}

/** TCP: Compute Checksum; like every command file, registered by the composition root. */
export class ChecksumCommands implements CommandSource {
  commands(): CommandHandlers {
    return { [CHECKSUM_COMMANDS.computeChecksum]: (args) => this.compute(args as ComputeChecksumArgs | undefined) };
  }

  async compute(args: ComputeChecksumArgs | undefined): Promise<void> {
    const subject = await subjectOf(args);
    if (!subject) return;
    const items = checksumLines(subject.bytes).map((line) => ({ label: line.label, description: line.value, value: line.value }));
    const picked = await vscode.window.showQuickPick(items, {
      title: args?.source ? vscode.l10n.t('Checksums of {0} ({1})', subject.described, args.source) : vscode.l10n.t('Checksums of {0}', subject.described),
      placeHolder: vscode.l10n.t('Pick one to copy its bytes'),
      matchOnDescription: true,
    });
    if (!picked) return;
    await vscode.env.clipboard.writeText(picked.value);
    void vscode.window.showInformationMessage(vscode.l10n.t('Copied {0} ({1}).', picked.value, picked.label));
  }
}

async function subjectOf(args: ComputeChecksumArgs | undefined): Promise<ChecksumSubject | undefined> {
  if (args?.bytes) return { bytes: args.bytes, described: bytesText(args.bytes.length) };
  if (typeof args?.text === 'string' && args.text !== '') return checksumSubjectOfText(args.text);
  const editor = vscode.window.activeTextEditor;
  const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : undefined;
  if (selected) return checksumSubjectOfText(selected);
  const typed = await vscode.window.showInputBox({
    title: vscode.l10n.t('Compute Checksum'),
    prompt: vscode.l10n.t('Bytes in hex (01 03 00 0A) or text; or select them in an editor or a traffic panel row first'),
    validateInput: (value) => (value === '' ? vscode.l10n.t('Type some bytes or text.') : undefined),
  });
  return typed ? checksumSubjectOfText(typed) : undefined;
}
