// The one save dialog for everything TCP Lab writes on request (logs, pcapng exports): offered in
// the first workspace folder under a name that says what and when, so saves never overwrite each other.
import * as vscode from 'vscode';

/** Asks where to save; undefined when the user cancels. `near` puts the default beside a file instead. */
export function askSaveLocation(title: string, suggestedName: string, filters: Record<string, string[]>, near?: vscode.Uri): Thenable<vscode.Uri | undefined> {
  const folder = near ? vscode.Uri.joinPath(near, '..') : vscode.workspace.workspaceFolders?.[0]?.uri;
  return vscode.window.showSaveDialog({ title, defaultUri: folder ? vscode.Uri.joinPath(folder, suggestedName) : undefined, filters });
}

/** How a saved file is named to the user: its path on disk, or its URI elsewhere. */
export function whereSaved(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.toString();
}
