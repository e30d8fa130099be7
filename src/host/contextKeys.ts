// Context keys for `when` clauses in package.json (palette entries and view buttons). Updated on every
// membership change without throttling: a command must be available as soon as its target exists.
import * as vscode from 'vscode';
import type { Registry } from '../core/registry';
import type { TcpLabConfig } from './config';

export class ContextKeys implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly values = new Map<string, boolean>();

  constructor(
    private readonly registry: Registry,
    private readonly config: TcpLabConfig,
  ) {
    this.disposables.push(
      registry.onDidChange((change) => {
        if (change.kind !== 'updated') this.update();
      }),
      config.onDidChangePresets(() => this.update()),
    );
    this.update();
  }

  private update(): void {
    const listeners = this.registry.listeners().length;
    const connections = this.registry.connections();
    const clients = connections.filter((c) => c.role === 'client').length;
    this.set('tcpLab.hasListeners', listeners > 0);
    this.set('tcpLab.hasConnections', connections.length > 0);
    this.set('tcpLab.hasClients', clients > 0);
    this.set('tcpLab.hasItems', listeners + connections.length > 0);
    this.set('tcpLab.hasPresets', this.config.presets().length > 0);
    this.set('tcpLab.hasProxies', this.registry.listeners().some((l) => l.proxy !== undefined));
    this.set('tcpLab.hasHistory', this.registry.closedConnections().length + this.registry.stoppedListeners().length > 0);
  }

  private set(key: string, value: boolean): void {
    if (this.values.get(key) === value) return;
    this.values.set(key, value);
    void vscode.commands.executeCommand('setContext', key, value);
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
