// The listener or connection a command acts on: the clicked tree row or given id, else one the user
// picks (last-used first); and the small courtesies after opening one (reveal it, offer its panel).
import * as vscode from 'vscode';
import { targetIdOf, type CommandArg } from '../app/commandArgs';
import type { TargetMemory } from '../app/targetMemory';
import { connectionPeer, isListener, listenerAddress } from '../app/targets';
import type { TreeNode } from '../app/treeModel';
import type { Listener } from '../core/listener';
import type { Registry, RegistryItem } from '../core/registry';
import type { ConnectionsTreeProvider } from './connectionsTree';
import { CONNECT_COMMANDS } from './connectCommands';
import type { TrafficPanelManager } from './trafficPanel';

export type TargetKind = 'listener' | 'connection' | 'saveable' | 'any';

// A function, not a table: each sentence is translated when it is shown, in the editor's language.
function nothingOpen(kind: TargetKind): string {
  switch (kind) {
    case 'listener':
      return vscode.l10n.t('Nothing to do: no listener is running.');
    case 'connection':
      return vscode.l10n.t('Nothing to do: no connection is open.');
    case 'saveable':
      return vscode.l10n.t('Nothing to do: no listener or outgoing connection is open.');
    case 'any':
      return vscode.l10n.t('Nothing to do: no listener or connection is open.');
  }
}

export class TargetPicker {
  constructor(
    private readonly registry: Registry,
    private readonly memory: TargetMemory,
    private readonly tree: ConnectionsTreeProvider,
    private readonly treeView: vscode.TreeView<TreeNode>,
    private readonly panels: TrafficPanelManager,
  ) {}

  /**
   * The item a command acts on: the clicked tree node or given id if any, otherwise one the user
   * picks. Tells the user (instead of doing nothing) when there is nothing of the right kind.
   */
  async resolve(arg: CommandArg, kind: TargetKind, title: string): Promise<RegistryItem | undefined> {
    const id = targetIdOf(arg);
    if (id !== undefined) {
      const item = this.registry.getLive(id);
      if (!item) void vscode.window.showWarningMessage(vscode.l10n.t('{0} is no longer open; pick another listener or connection.', id));
      return item;
    }
    const listeners = kind === 'connection' ? [] : this.registry.listeners();
    const connections = kind === 'listener' ? [] : this.registry.connections().filter((c) => kind !== 'saveable' || c.role === 'client');
    const candidates: RegistryItem[] = [...connections, ...listeners];
    if (candidates.length === 0) {
      const startListener = vscode.l10n.t('Start Listener');
      const connect = vscode.l10n.t('Connect…');
      const choice = await vscode.window.showInformationMessage(nothingOpen(kind), startListener, connect);
      if (choice === startListener) void vscode.commands.executeCommand(CONNECT_COMMANDS.startListener);
      if (choice === connect) void vscode.commands.executeCommand(CONNECT_COMMANDS.connect);
      return undefined;
    }
    // The last-used target first, so repeating an action is one Enter away.
    const last = this.memory.lastTargetId;
    candidates.sort((a, b) => Number(b.id === last) - Number(a.id === last));
    const picked = await vscode.window.showQuickPick(
      candidates.map((item) => ({ ...pickItemFor(item), item })),
      { title, placeHolder: vscode.l10n.t('Choose a listener or connection'), matchOnDescription: true },
    );
    return picked?.item;
  }

  async reveal(id: string): Promise<void> {
    const node = this.tree.nodeForTarget(id);
    if (!node || !this.treeView.visible) return;
    try {
      await this.treeView.reveal(node, { select: true, focus: false, expand: true });
    } catch {
      // Revealing is a courtesy; the item may already be gone again.
    }
  }

  /** After a listener starts (from the palette or a preset): reveal it and offer its address and panel. */
  announceListening(listener: Listener): void {
    const address = listenerAddress(listener);
    void this.reveal(listener.id);
    const copy = vscode.l10n.t('Copy Address');
    const open = vscode.l10n.t('Open Traffic');
    void vscode.window.showInformationMessage(vscode.l10n.t('Listening on {0}', address), copy, open).then((choice) => {
      if (choice === copy) void vscode.env.clipboard.writeText(address);
      if (choice === open) this.panels.open(listener.id);
    });
  }
}

/** One quick-pick row for a listener or connection. */
export function pickItemFor(item: RegistryItem): vscode.QuickPickItem {
  if (isListener(item)) {
    const clients = item.connections.length;
    return {
      label: listenerAddress(item),
      description: `${item.id} · ${vscode.l10n.t('listener')} · ${clients === 0 ? vscode.l10n.t('no clients') : clients === 1 ? vscode.l10n.t('all 1 client') : vscode.l10n.t('all {0} clients', clients)}`,
      iconPath: new vscode.ThemeIcon('radio-tower'),
    };
  }
  return {
    label: connectionPeer(item),
    description: `${item.id} · ${item.role === 'client' ? vscode.l10n.t('outgoing connection') : item.listenerId ? vscode.l10n.t('accepted by {0}', item.listenerId) : vscode.l10n.t('accepted by a listener')}`,
    iconPath: new vscode.ThemeIcon('plug'),
  };
}
