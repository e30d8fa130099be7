// Counted nouns in the editor's language ("1 client", "3 clients"): one function per noun, each with a
// literal singular and plural sentence, so `npm run l10n:check` finds both and a translator writes the
// form their language uses (Chinese and Japanese need a counter word, not an "s").
import * as vscode from 'vscode';

export function listenersText(count: number): string {
  return count === 1 ? vscode.l10n.t('1 listener') : vscode.l10n.t('{0} listeners', count);
}

export function connectionsText(count: number): string {
  return count === 1 ? vscode.l10n.t('1 connection') : vscode.l10n.t('{0} connections', count);
}

export function openConnectionsText(count: number): string {
  return count === 1 ? vscode.l10n.t('1 open connection') : vscode.l10n.t('{0} open connections', count);
}

export function clientsText(count: number): string {
  return count === 1 ? vscode.l10n.t('1 client') : vscode.l10n.t('{0} clients', count);
}

export function bytesText(count: number): string {
  return count === 1 ? vscode.l10n.t('1 byte') : vscode.l10n.t('{0} bytes', count);
}

export function recordsText(count: number): string {
  return count === 1 ? vscode.l10n.t('1 record') : vscode.l10n.t('{0} records', count);
}
