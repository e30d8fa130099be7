// `.tcp` editing as REST Client offers it for `.http`: the outline, keyword completion, go to
// definition for {{variables}}, and Send Block at Cursor. The decisions are in
// core/tcpFile/editing.ts; this file only converts them to and from VS Code's types.
import * as vscode from 'vscode';
import { blockAtLine, findDefinition, keywordCompletions, starterTcpFile, tcpOutline, type TcpSpan, type TcpSymbol } from '../core/tcpFile/editing';
import type { Registry } from '../core/registry';
import { locateNamedEntry, locateObjectKey, positionOf } from '../app/settingsLocation';
import type { TcpFileLens } from './tcpFileLens';
import { TCP_LANGUAGE_ID, isTcpDocument, type TcpFileWorkspace } from './tcpFileWorkspace';

export const SEND_BLOCK_AT_CURSOR_COMMAND = 'tcpLab.tcpFiles.sendBlockAtCursor';
export const NEW_TCP_FILE_COMMAND = 'tcpLab.tcpFiles.newFile';
const ENVIRONMENTS_SETTING = 'tcpLab.environments';
const PRESETS_SETTING = 'tcpLab.presets';

const SYMBOL_KINDS: Record<TcpSymbol['kind'], vscode.SymbolKind> = {
  block: vscode.SymbolKind.Module,
  target: vscode.SymbolKind.Interface,
  step: vscode.SymbolKind.Event,
  variable: vscode.SymbolKind.Variable,
};

function toRange(span: TcpSpan): vscode.Range {
  return new vscode.Range(span.startLine, span.startCol, span.endLine, span.endCol);
}

function toSymbol(symbol: TcpSymbol): vscode.DocumentSymbol {
  const out = new vscode.DocumentSymbol(symbol.name, symbol.detail, SYMBOL_KINDS[symbol.kind], toRange(symbol.range), toRange(symbol.selection));
  out.children = symbol.children.map(toSymbol);
  return out;
}

function documentLines(document: vscode.TextDocument): string[] {
  return Array.from({ length: document.lineCount }, (_, i) => document.lineAt(i).text);
}

export function registerTcpFileEditing(workspace: TcpFileWorkspace, lens: TcpFileLens, registry: Registry): vscode.Disposable {
  const selector: vscode.DocumentSelector = { language: TCP_LANGUAGE_ID };

  const symbols: vscode.DocumentSymbolProvider = {
    provideDocumentSymbols: (document) => tcpOutline(workspace.parse(document), documentLines(document)).map(toSymbol),
  };

  const keywords: vscode.CompletionItemProvider = {
    provideCompletionItems(document, position) {
      const items = keywordCompletions(document.lineAt(position.line).text, position.character);
      return items?.map((item) => {
        const out = new vscode.CompletionItem(item.label, item.kind === 'keyword' ? vscode.CompletionItemKind.Keyword : vscode.CompletionItemKind.EnumMember);
        out.detail = item.detail;
        return out;
      });
    },
  };

  const definitions: vscode.DefinitionProvider = {
    async provideDefinition(document, position) {
      const found = findDefinition(workspace.parse(document), document.lineAt(position.line).text, position.character, workspace.environments(), workspace.selectedEnvironment);
      if (!found) return undefined;
      if (found.kind === 'file') return new vscode.Location(document.uri, toRange({ startLine: found.range.line, startCol: found.range.startCol - 1, endLine: found.range.line, endCol: found.range.endCol }));
      // The list is found at whatever depth, so one call serves folder settings and .code-workspace files.
      if (found.kind === 'preset') return settingsEntry((text) => locateNamedEntry(text, PRESETS_SETTING, found.name), 1);
      return settingsEntry((text, inWorkspaceFile) => locateObjectKey(text, [...(inWorkspaceFile ? ['settings'] : []), ENVIRONMENTS_SETTING, found.environment, found.name]), found.name.length + 2);
    },
  };

  const sendAtCursor = async (): Promise<void> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !isTcpDocument(editor.document)) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a .tcp file and place the cursor in a block to send it.'));
      return;
    }
    const file = workspace.parse(editor.document);
    const block = blockAtLine(file, editor.selection.active.line);
    if (!block) {
      void vscode.window.showInformationMessage(vscode.l10n.t('The cursor is not in a block: place it on a line below a ### header, or on a CONNECT or LISTEN line.'));
      return;
    }
    if (!block.target) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Block "{0}" has no target: add CONNECT host:port, LISTEN host:port or PRESET name.', block.name));
      return;
    }
    await lens.send(editor.document.uri, block.index);
  };

  // The walkthrough's last step: a file to run straight away, aimed at the listener started in its first.
  const newFile = async (): Promise<void> => {
    const listening = registry.listeners().find((l) => l.address !== undefined);
    const document = await vscode.workspace.openTextDocument({ language: TCP_LANGUAGE_ID, content: starterTcpFile(listening?.address && { host: listening.host, port: listening.address.port }) });
    await vscode.window.showTextDocument(document);
  };

  return vscode.Disposable.from(
    vscode.commands.registerCommand(NEW_TCP_FILE_COMMAND, newFile),
    vscode.languages.registerDocumentSymbolProvider(selector, symbols, { label: 'TCP Lab' }),
    // Space brings up the next word's choices (SEND ⎵ → text, hex, …); letters are typed anyway.
    vscode.languages.registerCompletionItemProvider(selector, keywords, ' '),
    vscode.languages.registerDefinitionProvider(selector, definitions),
    vscode.commands.registerCommand(SEND_BLOCK_AT_CURSOR_COMMAND, sendAtCursor),
  );
}

/**
 * An entry of the workspace's settings files (folder settings, or a .code-workspace file), found by
 * `locate` in each file's text. The user settings file has no public URI, so what only the user
 * settings define has no location to go to.
 */
async function settingsEntry(locate: (text: string, inWorkspaceFile: boolean) => number | undefined, length: number): Promise<vscode.Location | undefined> {
  const candidates = [vscode.workspace.workspaceFile, ...(vscode.workspace.workspaceFolders ?? []).map((folder) => vscode.Uri.joinPath(folder.uri, '.vscode', 'settings.json'))];
  for (const uri of candidates) {
    if (!uri || uri.scheme === 'untitled') continue;
    let text: string;
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      continue; // no settings file in this folder
    }
    // A .code-workspace file keeps settings one level down, under "settings".
    const offset = locate(text, uri.path.endsWith('.code-workspace'));
    if (offset === undefined) continue;
    const at = positionOf(text, offset);
    return new vscode.Location(uri, new vscode.Range(at.line, at.character, at.line, at.character + length));
  }
  return undefined;
}
