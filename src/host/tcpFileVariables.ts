// Editor help for `{{…}}` placeholders: completion of the names in scope, and a hover telling
// what a placeholder resolves to under the selected environment (REST Client does the same).
import * as vscode from 'vscode';
import { findPlaceholders, placeholderShapeError, resolveVariables } from '../core/tcpFile/variables';
import { TCP_LANGUAGE_ID, type TcpFileWorkspace } from './tcpFileWorkspace';

// `detail` is a function so that it is translated when shown, after VS Code loaded the bundle.
const DYNAMIC_HELP: Record<string, { insert: string; detail: () => string }> = {
  $counter: { insert: '$counter', detail: () => vscode.l10n.t('1, 2, 3 … : one more for every payload that uses it in this run') },
  $datetime: { insert: '$datetime ${1|iso8601,rfc1123|}', detail: () => vscode.l10n.t('The date and time in UTC, ISO 8601 or RFC 1123') },
  $timestamp: { insert: '$timestamp', detail: () => vscode.l10n.t('Unix time in seconds, when the block runs') },
  $randomInt: { insert: '$randomInt ${1:0} ${2:100}', detail: () => vscode.l10n.t('A random integer, min ≤ n < max') },
  $uuid: { insert: '$uuid', detail: () => vscode.l10n.t('A random UUID v4') },
};

export function registerTcpFileVariables(workspace: TcpFileWorkspace): vscode.Disposable {
  const selector: vscode.DocumentSelector = { language: TCP_LANGUAGE_ID };

  const completion: vscode.CompletionItemProvider = {
    provideCompletionItems(document, position) {
      const before = document.lineAt(position.line).text.slice(0, position.character);
      const open = before.lastIndexOf('{{');
      if (open < 0 || before.indexOf('}}', open) >= 0) return undefined;
      const file = workspace.parse(document);
      const environment = workspace.environment();
      const items: vscode.CompletionItem[] = [];
      for (const variable of file.variables.values()) {
        const item = new vscode.CompletionItem(variable.name, vscode.CompletionItemKind.Variable);
        item.detail = vscode.l10n.t('{0} (file)', variable.value);
        items.push(item);
      }
      for (const [name, value] of Object.entries(environment)) {
        if (file.variables.has(name)) continue;
        const item = new vscode.CompletionItem(name, vscode.CompletionItemKind.Constant);
        item.detail = `${value} (${workspace.selectedEnvironment ?? '$shared'})`;
        items.push(item);
      }
      for (const [name, help] of Object.entries(DYNAMIC_HELP)) {
        const item = new vscode.CompletionItem(name, vscode.CompletionItemKind.Function);
        item.insertText = new vscode.SnippetString(help.insert);
        item.detail = help.detail();
        items.push(item);
      }
      return items;
    },
  };

  const hover: vscode.HoverProvider = {
    provideHover(document, position) {
      const line = document.lineAt(position.line).text;
      const placeholder = findPlaceholders(line).find((p) => position.character >= p.start && position.character < p.end);
      if (!placeholder) return undefined;
      const range = new vscode.Range(position.line, placeholder.start, position.line, placeholder.end);
      const md = new vscode.MarkdownString();
      const shape = placeholderShapeError(placeholder);
      if (shape) {
        md.appendText(shape);
      } else if (placeholder.name.startsWith('$')) {
        md.appendText(DYNAMIC_HELP[placeholder.name]?.detail() ?? placeholder.name);
      } else {
        const file = workspace.parse(document);
        const resolved = resolveVariables(line.slice(placeholder.start, placeholder.end), { file: file.variables, environment: workspace.environment() });
        const source = file.variables.has(placeholder.name) ? vscode.l10n.t('file variable') : vscode.l10n.t('environment {0}', workspace.selectedEnvironment ?? '$shared');
        if (resolved.ok) {
          md.appendText(`${placeholder.name} (${source})`);
          md.appendCodeblock(resolved.value, 'text');
        } else {
          md.appendText(resolved.error);
        }
      }
      return new vscode.Hover(md, range);
    },
  };

  return vscode.Disposable.from(
    vscode.languages.registerCompletionItemProvider(selector, completion, '{'),
    vscode.languages.registerHoverProvider(selector, hover),
  );
}
