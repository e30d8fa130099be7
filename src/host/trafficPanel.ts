// Placeholder for the traffic panel's host side, which the panel work replaces wholesale. It keeps the
// agreed signature so commands and the tree can already call `open`.
import * as vscode from 'vscode';
import type { Registry } from '../core/registry';

export class TrafficPanelManager implements vscode.Disposable {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly registry: Registry,
  ) {}

  open(targetId?: string): void {
    const target = targetId ? this.registry.get(targetId) : undefined;
    const what = target ? `for ${targetId}` : 'with the Listen and Connect forms';
    void vscode.window.showInformationMessage(`The traffic panel ${what} is not available in this build of ${this.context.extension.packageJSON.displayName as string}.`);
  }

  dispose(): void {
    // Nothing to release until the panel exists.
  }
}
