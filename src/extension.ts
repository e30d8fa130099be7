// Composition root: build the core, wrap it in host adapters, register every disposable.
import type * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {
  // The VS Code face arrives with the host adapters.
}

export function deactivate(): void {
  // Nothing is open yet.
}
