// Marks malformed blocks while the user types: every parser diagnostic becomes an editor squiggle.
import * as vscode from 'vscode';
import type { TcpDiagnostic } from '../core/tcpFile/model';
import { isTcpDocument, type TcpFileWorkspace } from './tcpFileWorkspace';

/** Typing fast should not re-parse on every keystroke. */
const DEBOUNCE_MS = 150;

export function toVscodeDiagnostic(d: TcpDiagnostic): vscode.Diagnostic {
  const severity = d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
  const diagnostic = new vscode.Diagnostic(new vscode.Range(d.line, d.startCol, d.line, d.endCol), d.message, severity);
  diagnostic.source = 'TCP Lab';
  return diagnostic;
}

export function registerTcpFileDiagnostics(workspace: TcpFileWorkspace): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('tcpLab.tcpFiles');
  const timers = new Map<string, NodeJS.Timeout>();

  const update = (document: vscode.TextDocument): void => {
    if (!isTcpDocument(document)) return;
    collection.set(document.uri, workspace.parse(document).diagnostics.map(toVscodeDiagnostic));
  };
  const schedule = (document: vscode.TextDocument): void => {
    const key = document.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        update(document);
      }, DEBOUNCE_MS),
    );
  };

  vscode.workspace.textDocuments.forEach(update);
  return vscode.Disposable.from(
    collection,
    vscode.workspace.onDidOpenTextDocument(update),
    vscode.workspace.onDidChangeTextDocument((e) => schedule(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => {
      clearTimeout(timers.get(d.uri.toString()));
      collection.delete(d.uri);
    }),
    workspace.onDidChangeContext(() => vscode.workspace.textDocuments.forEach(update)),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  );
}
