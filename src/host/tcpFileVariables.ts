// Editor help for `{{…}}` placeholders: completion of the names in scope, and a hover telling
// what a placeholder resolves to under the selected environment (REST Client does the same).
import * as vscode from 'vscode';
import { DYNAMIC_VARIABLE_HELP, insidePlaceholder, variableCompletions, type TcpCompletion } from '../core/tcpFile/editing';
import { findPlaceholders, placeholderShapeError, resolveVariables } from '../core/tcpFile/variables';
import { TCP_LANGUAGE_ID, type TcpFileWorkspace } from './tcpFileWorkspace';

const ITEM_KINDS: Record<TcpCompletion['kind'], vscode.CompletionItemKind> = {
  keyword: vscode.CompletionItemKind.Keyword,
  value: vscode.CompletionItemKind.EnumMember,
  variable: vscode.CompletionItemKind.Variable,
  environment: vscode.CompletionItemKind.Constant,
  dynamic: vscode.CompletionItemKind.Function,
};

export function registerTcpFileVariables(workspace: TcpFileWorkspace): vscode.Disposable {
  const selector: vscode.DocumentSelector = { language: TCP_LANGUAGE_ID };

  const completion: vscode.CompletionItemProvider = {
    provideCompletionItems(document, position) {
      const before = document.lineAt(position.line).text.slice(0, position.character);
      if (!insidePlaceholder(before)) return undefined;
      const names = variableCompletions(workspace.parse(document), workspace.environment(), workspace.selectedEnvironment);
      return names.map((name) => {
        const item = new vscode.CompletionItem(name.label, ITEM_KINDS[name.kind]);
        item.detail = name.detail;
        if (name.snippet) item.insertText = new vscode.SnippetString(name.snippet);
        return item;
      });
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
        md.appendText(DYNAMIC_VARIABLE_HELP[placeholder.name as keyof typeof DYNAMIC_VARIABLE_HELP]?.detail ?? placeholder.name);
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
