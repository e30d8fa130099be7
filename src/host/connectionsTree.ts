// The Connections view: renders the plain tree model as VS Code tree items and keeps it current
// without letting a flood of traffic re-render the view more than a few times a second.
import * as vscode from 'vscode';
import type { Registry } from '../core/registry';
import type { TcpLabConfig } from './config';
import { Throttle } from '../app/throttle';
import { projectTree, updateInPlace, type TreeModel, type TreeNode } from '../app/treeModel';

export const CONNECTIONS_VIEW_ID = 'tcpLab.connections';

/** At most four re-renders a second, however much data flows. */
export const TREE_REFRESH_INTERVAL_MS = 250;
/**
 * Byte counters alone re-render the view once a second: each re-render costs the workbench a restyle
 * of the view, CPU a flood's sockets need on two cores (socat into an open panel ran 540–600 MiB/s
 * with the tree refreshing counters four times a second, 620–770 MiB/s once a second). Clients
 * coming and going still show at the faster pace; the panel shows the live counters.
 */
const TOTALS_REFRESH_INTERVAL_MS = 1000;
/** Ages ("12s") drift while nothing else changes; re-render now and then while connections exist. */
const AGE_REFRESH_INTERVAL_MS = 5000;
/**
 * Rows whose tooltip alone changed (a listener's totals) are refreshed at most this often: only a
 * tooltip already shown is kept by VS Code until then (see updateInPlace), and a listener's refresh
 * redraws all its clients.
 */
const TOOLTIP_REFRESH_INTERVAL_MS = 5000;

export class ConnectionsTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<TreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly throttle = new Throttle(() => this.rebuild(), TREE_REFRESH_INTERVAL_MS);
  private readonly totalsThrottle = new Throttle(() => this.throttle.trigger(), TOTALS_REFRESH_INTERVAL_MS);
  private readonly disposables: vscode.Disposable[] = [this.changeEmitter, this.throttle, this.totalsThrottle];
  private model: TreeModel;
  private ageTimer: ReturnType<typeof setInterval> | undefined;
  /** Ids of rows whose tooltip changed since VS Code last had them (see updateInPlace). */
  private readonly staleTooltips = new Set<string>();
  private tooltipsRefreshedAt = 0;
  /** Brings stale tooltips in once they are due when nothing else rebuilds the tree (a flood ended). */
  private tooltipTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly config: TcpLabConfig,
  ) {
    this.model = this.project();
    this.disposables.push(
      registry.onDidChange(() => this.throttle.trigger()),
      registry.onDidChangeTotals(() => this.totalsThrottle.trigger()),
      config.onDidChangePresets(() => this.throttle.trigger()),
    );
  }

  private readonly presetNames = new Map<string, string>();

  private project(): TreeModel {
    const presets = this.config.presets();
    return projectTree(this.registry.snapshot(), presets, Date.now(), { presetNames: this.presetNames, brokenPresets: this.config.brokenPresets() });
  }

  /** Calls a listener or connection a preset started by the preset's name. */
  nameAfterPreset(targetId: string, presetName: string): void {
    this.presetNames.set(targetId, presetName);
    this.throttle.trigger();
  }

  private rebuild(): void {
    const next = this.project();
    this.updateAgeTimer();
    const changed = updateInPlace(this.model, next, this.staleTooltips);
    if (changed === undefined) {
      this.model = next;
      this.staleTooltips.clear();
      this.changeEmitter.fire(undefined);
      return;
    }
    const now = Date.now();
    if (this.staleTooltips.size > 0 && now - this.tooltipsRefreshedAt >= TOOLTIP_REFRESH_INTERVAL_MS) {
      for (const id of this.staleTooltips) {
        const node = this.model.byId.get(id);
        if (node && !changed.includes(node)) changed.push(node);
      }
      this.staleTooltips.clear();
      this.tooltipsRefreshedAt = now;
    } else if (this.staleTooltips.size > 0 && !this.tooltipTimer) {
      this.tooltipTimer = setTimeout(() => {
        this.tooltipTimer = undefined;
        this.throttle.trigger();
      }, this.tooltipsRefreshedAt + TOOLTIP_REFRESH_INTERVAL_MS - now);
    }
    if (changed.length > 0) {
      // Only the rows whose text changed are re-rendered: a row under the pointer keeps its element,
      // so an inline action clicked during a flood still gets its argument.
      this.changeEmitter.fire(changed);
    }
  }

  private updateAgeTimer(): void {
    const hasConnections = this.registry.connections().length > 0;
    if (hasConnections && !this.ageTimer) {
      this.ageTimer = setInterval(() => this.throttle.trigger(), AGE_REFRESH_INTERVAL_MS);
    } else if (!hasConnections && this.ageTimer) {
      clearInterval(this.ageTimer);
      this.ageTimer = undefined;
    }
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const collapsible = {
      none: vscode.TreeItemCollapsibleState.None,
      collapsed: vscode.TreeItemCollapsibleState.Collapsed,
      expanded: vscode.TreeItemCollapsibleState.Expanded,
    }[node.collapsible];
    const item = new vscode.TreeItem(node.label, collapsible);
    item.id = node.id;
    item.description = node.description;
    // The tooltip comes from resolveTreeItem, current when the pointer rests on the row (see updateInPlace).
    item.contextValue = node.contextValue;
    // A click on a listener or connection row opens (or reveals) its traffic panel, as VS Code's own trees open what a row names.
    if (node.targetId) item.command = { command: 'tcpLab.openTrafficPanel', title: vscode.l10n.t('Open Traffic Panel'), arguments: [node.targetId] };
    if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon, node.color ? new vscode.ThemeColor(node.color) : undefined);
    return item;
  }

  resolveTreeItem(item: vscode.TreeItem, node: TreeNode): vscode.TreeItem {
    // From the current projection: a row's totals and ages in its tooltip change without refreshing it.
    item.tooltip = this.model.byId.get(node.id)?.tooltip ?? node.tooltip;
    return item;
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) return this.model.roots;
    // VS Code may hand back a node from an earlier projection; answer from the current one.
    return this.model.byId.get(node.id)?.children ?? [];
  }

  getParent(node: TreeNode): TreeNode | undefined {
    const parentId = this.model.byId.get(node.id)?.parentId;
    return parentId ? this.model.byId.get(parentId) : undefined;
  }

  /** Finds the node for a registry id (`L1`, `C3`), e.g. to reveal it after it is created. */
  nodeForTarget(targetId: string): TreeNode | undefined {
    // A just-created item may still wait behind the throttle: project now so it can be found.
    this.rebuild();
    for (const node of this.model.byId.values()) if (node.targetId === targetId) return node;
    return undefined;
  }

  dispose(): void {
    if (this.ageTimer) clearInterval(this.ageTimer);
    this.ageTimer = undefined;
    clearTimeout(this.tooltipTimer);
    this.tooltipTimer = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

