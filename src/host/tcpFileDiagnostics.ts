// Marks malformed blocks while the user types: every parser diagnostic becomes an editor squiggle.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isInside } from '../core/tcpFile/fileRoot';
import type { TcpDiagnostic, TcpFile } from '../core/tcpFile/model';
import { findPlaceholders } from '../core/tcpFile/variables';
import { isTcpDocument, type TcpFileWorkspace } from './tcpFileWorkspace';

/** Typing fast should not re-parse on every keystroke. */
const DEBOUNCE_MS = 150;

export function toVscodeDiagnostic(d: TcpDiagnostic): vscode.Diagnostic {
  const severity = d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
  const diagnostic = new vscode.Diagnostic(new vscode.Range(d.line, d.startCol, d.line, d.endCol), d.message, severity);
  diagnostic.source = 'TCP Lab';
  return diagnostic;
}

/**
 * `SEND file` paths that do not exist or lead out of the workspace folder, checked here because the
 * parser has no file system. The run checks again on real paths (symlinks resolved); this is the
 * early hint while typing.
 */
function fileProblems(document: vscode.TextDocument, file: TcpFile, workspace: TcpFileWorkspace): vscode.Diagnostic[] {
  if (document.uri.scheme !== 'file') return [];
  const dir = path.dirname(document.uri.fsPath);
  const root = workspace.runOptions(document.uri).fileRoot;
  const found: vscode.Diagnostic[] = [];
  for (const block of file.blocks) {
    for (const step of block.steps) {
      if (step.kind !== 'sendFile' || findPlaceholders(step.path).length > 0) continue;
      const full = path.resolve(dir, step.path);
      let message: string | undefined;
      if (root && !root.allowOutside && !isInside(path.resolve(root.dir), full)) {
        message = vscode.l10n.t("File '{0}' is outside {1}, so SEND file refuses it: move it inside, or {2}.", step.path, root.dir, root.howToAllow);
      } else if (!existsSync(full)) {
        message = vscode.l10n.t("File '{0}' does not exist: the path is relative to this .tcp file.", step.path);
      }
      if (!message) continue;
      const range = new vscode.Range(step.range.line, step.range.endCol - step.path.length, step.range.line, step.range.endCol);
      const diagnostic = new vscode.Diagnostic(range, message, vscode.DiagnosticSeverity.Warning);
      diagnostic.source = 'TCP Lab';
      found.push(diagnostic);
    }
  }
  return found;
}

export function registerTcpFileDiagnostics(workspace: TcpFileWorkspace): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('tcpLab.tcpFiles');
  const timers = new Map<string, NodeJS.Timeout>();

  const update = (document: vscode.TextDocument): void => {
    if (!isTcpDocument(document)) return;
    const file = workspace.parse(document);
    collection.set(document.uri, [...file.diagnostics.map(toVscodeDiagnostic), ...fileProblems(document, file, workspace)]);
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
