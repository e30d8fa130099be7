// Sending from the palette, the tree and the editor: typed text or hex, the editor selection, a
// file. Each names its target (or asks), and the status line says how many bytes went where.
import * as vscode from 'vscode';
import { targetIdOf, type CommandArg } from '../app/commandArgs';
import type { TargetMemory } from '../app/targetMemory';
import { describeItemForUser, isListener, soleItem } from '../app/targets';
import type { Registry, RegistryItem } from '../core/registry';
import { encodeText } from '../shared/encodeText';
import { LINE_ENDING_TEXT, parsePayload } from '../shared/parsePayload';
import type { PayloadFormat } from '../shared/payloadTypes';
import type { CommandHandlers, CommandSource } from './commandRegistration';
import { bytesText, clientsText } from './countText';
import type { TcpLabConfig } from './config';
import type { TargetPicker } from './targetPicker';

export const SEND_COMMANDS = {
  sendText: 'tcpLab.sendText',
  sendHex: 'tcpLab.sendHex',
  sendSelection: 'tcpLab.sendSelection',
  sendFile: 'tcpLab.sendFile',
} as const;

export class SendCommands implements CommandSource {
  constructor(
    private readonly registry: Registry,
    private readonly config: TcpLabConfig,
    private readonly memory: TargetMemory,
    private readonly picker: TargetPicker,
  ) {}

  commands(): CommandHandlers {
    return {
      [SEND_COMMANDS.sendText]: (arg) => this.sendTyped('text', arg as CommandArg),
      [SEND_COMMANDS.sendHex]: (arg) => this.sendTyped('hex', arg as CommandArg),
      [SEND_COMMANDS.sendSelection]: (arg) => this.sendSelection(arg),
      [SEND_COMMANDS.sendFile]: (arg) => this.sendFile(arg),
    };
  }

  async sendTyped(format: PayloadFormat, arg: CommandArg): Promise<void> {
    // With one listener or connection open there is nothing to choose; the input box names it.
    const only = targetIdOf(arg) === undefined ? soleItem(this.registry) : undefined;
    const target = only ?? (await this.picker.resolve(arg, 'any', format === 'hex' ? vscode.l10n.t('Send hex to…') : vscode.l10n.t('Send text to…')));
    if (!target) return;
    const encoding = this.config.defaultEncoding;
    // Hex means exactly these bytes: the default line ending belongs to text only.
    const lineEnding = format === 'text' ? this.config.defaultLineEnding : 'none';
    const parse = (text: string) => parsePayload(text, { format, encoding, lineEnding });
    const input = await vscode.window.showInputBox({
      title: format === 'hex' ? vscode.l10n.t('Send Hex to {0}', describeItemForUser(target)) : vscode.l10n.t('Send Text to {0}', describeItemForUser(target)),
      prompt: format === 'hex'
        ? vscode.l10n.t('Hex bytes, e.g. 48 65 6C 6C 6F or 48656C6C6F')
        : vscode.l10n.t('Text to send ({0}, line ending: {1}); escapes such as \\r, \\n and \\xHH work', encoding, lineEnding),
      placeHolder: format === 'hex' ? '48 65 6C 6C 6F' : vscode.l10n.t('Hello'),
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
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a text editor and select what to send.'));
      return;
    }
    const selection = editor.selection;
    const text = selection.isEmpty ? editor.document.lineAt(selection.active.line).text : editor.document.getText(selection);
    if (text === '') {
      void vscode.window.showInformationMessage(vscode.l10n.t('The current line is empty: select some text to send.'));
      return;
    }
    // The editor context menu passes the document's URI: only a tree node or an id names a target.
    const target = targetIdOf(arg) !== undefined ? await this.picker.resolve(arg as CommandArg, 'any', vscode.l10n.t('Send selection to…')) : await this.defaultSendTarget();
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
    const last = this.memory.lastTargetId ? this.registry.getLive(this.memory.lastTargetId) : undefined;
    return last ?? soleItem(this.registry) ?? this.picker.resolve(undefined, 'any', vscode.l10n.t('Send selection to…'));
  }

  async sendFile(arg: unknown): Promise<void> {
    let fileUri = arg instanceof vscode.Uri ? arg : undefined;
    const target = await this.picker.resolve(arg instanceof vscode.Uri ? undefined : (arg as CommandArg), 'any', vscode.l10n.t('Send a file to…'));
    if (!target) return;
    if (!fileUri) {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: vscode.l10n.t('Send'), title: vscode.l10n.t('Send a file to {0}', describeItemForUser(target)) });
      fileUri = picked?.[0];
    }
    if (!fileUri) return;
    // Read through the workspace file system so remote and virtual files work; bytes go out unchanged.
    const bytes = await vscode.workspace.fs.readFile(fileUri);
    await this.sendTo(target, bytes);
  }

  /** Sends to a connection, or to every client of a listener. `why` tells the status line how the target was chosen when nobody was asked. */
  async sendTo(target: RegistryItem, bytes: Uint8Array, why?: string): Promise<void> {
    const name = describeItemForUser(target);
    if (isListener(target)) {
      if (target.connections.length === 0) {
        void vscode.window.showWarningMessage(vscode.l10n.t('No client is connected to {0}, so nothing was sent; connect a client first.', name));
        return;
      }
      await target.broadcast(bytes);
    } else {
      await target.send(bytes);
    }
    this.memory.lastTargetId = target.id;
    const to = isListener(target) ? vscode.l10n.t('{0} ({1})', name, clientsText(target.connections.length)) : name;
    const sent = vscode.l10n.t('TCP Lab: sent {0} to {1}', bytesText(bytes.length), to);
    vscode.window.setStatusBarMessage(why ? vscode.l10n.t('{0}, {1}', sent, why) : sent, 4000);
  }
}
