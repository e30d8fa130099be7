// Sending from the palette, the tree and the editor: typed text or hex, the editor selection, a
// file. Each names its target (or asks), and the status line says how many bytes went where.
import * as vscode from 'vscode';
import { targetIdOf, type CommandArg } from '../app/commandArgs';
import type { TargetMemory } from '../app/targetMemory';
import { describeItem, isListener, soleItem } from '../app/targets';
import type { Registry, RegistryItem } from '../core/registry';
import { encodeText } from '../shared/encodeText';
import { LINE_ENDING_TEXT, parsePayload } from '../shared/parsePayload';
import type { PayloadFormat } from '../shared/payloadTypes';
import { plural } from '../shared/plural';
import type { CommandHandlers, CommandSource } from './commandRegistration';
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
    const target = only ?? (await this.picker.resolve(arg, 'any', `Send ${format === 'hex' ? 'hex' : 'text'} to…`));
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
    const target = targetIdOf(arg) !== undefined ? await this.picker.resolve(arg as CommandArg, 'any', 'Send selection to…') : await this.defaultSendTarget();
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
    return last ?? soleItem(this.registry) ?? this.picker.resolve(undefined, 'any', 'Send selection to…');
  }

  async sendFile(arg: unknown): Promise<void> {
    let fileUri = arg instanceof vscode.Uri ? arg : undefined;
    const target = await this.picker.resolve(arg instanceof vscode.Uri ? undefined : (arg as CommandArg), 'any', 'Send a file to…');
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

  /** Sends to a connection, or to every client of a listener. `why` tells the status line how the target was chosen when nobody was asked. */
  async sendTo(target: RegistryItem, bytes: Uint8Array, why?: string): Promise<void> {
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
    this.memory.lastTargetId = target.id;
    const clients = isListener(target) ? ` (${plural(target.connections.length, 'client')})` : '';
    vscode.window.setStatusBarMessage(`TCP Lab: sent ${plural(bytes.length, 'byte')} to ${name}${clients}${why ? `, ${why}` : ''}`, 4000);
  }
}
