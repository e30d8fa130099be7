// One status bar item with the counts of listeners and open connections; it hides when nothing is open
// so an idle extension takes no room, and a click brings the Connections view forward.
import * as vscode from 'vscode';
import type { Registry } from '../core/registry';
import type { TcpLabConfig } from './config';
import { listenersText, openConnectionsText } from './countText';
import { CONNECTIONS_VIEW_ID, TREE_REFRESH_INTERVAL_MS } from './connectionsTree';
import { Throttle } from '../app/throttle';

export class ConnectionsStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('tcpLab.status', vscode.StatusBarAlignment.Left, 50);
  private readonly throttle = new Throttle(() => this.update(), TREE_REFRESH_INTERVAL_MS);
  private readonly disposables: vscode.Disposable[] = [this.item, this.throttle];

  constructor(
    private readonly registry: Registry,
    private readonly config: TcpLabConfig,
  ) {
    this.item.name = 'TCP Lab';
    this.item.command = `${CONNECTIONS_VIEW_ID}.focus`;
    this.disposables.push(
      // Only membership changes alter the counts; traffic updates are ignored.
      registry.onDidChange((change) => {
        if (change.kind !== 'updated') this.throttle.trigger();
      }),
      config.onDidChange((e) => {
        if (e.affectsConfiguration('tcpLab.statusBar.enabled')) this.update();
      }),
    );
    this.update();
  }

  private update(): void {
    const listeners = this.registry.listeners().length;
    const connections = this.registry.connections().length;
    if (!this.config.statusBarEnabled || listeners + connections === 0) {
      this.item.hide();
      return;
    }
    this.item.text = `$(radio-tower) ${listeners} $(plug) ${connections}`;
    const counts = vscode.l10n.t('TCP Lab: {0}, {1}', listenersText(listeners), openConnectionsText(connections));
    this.item.tooltip = vscode.l10n.t('{0}. Click to show the Connections view.', counts);
    this.item.accessibilityInformation = { label: counts };
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
