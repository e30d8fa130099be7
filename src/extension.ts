// Composition root: build the core, wrap it in host adapters, register every disposable.
import * as vscode from 'vscode';
import { Registry } from './core/registry';
import { registerCommands } from './host/commands';
import { registerHistoryCommands } from './host/historyCommands';
import { registerTlsCommands } from './host/tlsCommands';
import { CaptureManager } from './host/captureManager';
import { TcpLabConfig } from './host/config';
import { CONNECTIONS_VIEW_ID, ConnectionsTreeProvider } from './host/connectionsTree';
import { ContextKeys } from './host/contextKeys';
import { LifecycleLog } from './host/lifecycleLog';
import { ConnectionsStatusBar } from './host/statusBar';
import { registerTcpFiles } from './host/tcpFiles';
import { TrafficPanelManager } from './host/trafficPanel';

/** Kept for deactivate, which must close every socket before the extension host goes away. */
let activeRegistry: Registry | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('TCP Lab', { log: true });
  context.subscriptions.push(log);

  const registry = new Registry();
  activeRegistry = registry;
  context.subscriptions.push(registry);

  const config = new TcpLabConfig(log);
  const tree = new ConnectionsTreeProvider(registry, config);
  const treeView = vscode.window.createTreeView(CONNECTIONS_VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  const panels = new TrafficPanelManager(context, registry, config);
  const captures = new CaptureManager(registry, config, log);
  context.subscriptions.push(
    captures,
    config,
    tree,
    treeView,
    new LifecycleLog(registry, log),
    new ConnectionsStatusBar(registry, config),
    new ContextKeys(registry, config),
    panels,
    registerCommands({ context, registry, config, tree, treeView, panels, captures, log }),
    registerHistoryCommands({ registry, panels }),
    registerTlsCommands(context),
  );
  // .tcp files: diagnostics, CodeLens, the Testing view and {{variables}}, on the same registry.
  registerTcpFiles(context, registry, config);
  // Every listen/connect, whichever view starts it, follows the settings; log bounds also apply
  // live to open connections (evicting at once if they shrank).
  const applySocketDefaults = () => {
    registry.setDefaults({ log: config.logLimits, allowHalfOpen: config.keepHalfOpen, keyLogFile: config.tlsKeyLogFile });
    registry.setHistoryLimits(config.historyLimits);
  };
  applySocketDefaults();
  context.subscriptions.push(
    config.onDidChange((e) => {
      if (!e.affectsConfiguration('tcpLab.log') && !e.affectsConfiguration('tcpLab.connection') && !e.affectsConfiguration('tcpLab.history') && !e.affectsConfiguration('tcpLab.tls')) return;
      applySocketDefaults();
      if (!e.affectsConfiguration('tcpLab.log')) return;
      const limits = config.logLimits;
      for (const connection of registry.connections()) connection.log.setLimits(limits);
      for (const connection of registry.closedConnections()) connection.log.setLimits(limits);
      registry.historyLogsChanged();
    }),
  );
  // Reading the presets once validates them, so a malformed entry is reported at startup.
  config.presets();
  log.info(`TCP Lab ${String(context.extension.packageJSON.version)} activated${vscode.workspace.isTrusted ? '' : ' in Restricted Mode'}`);
}

export async function deactivate(): Promise<void> {
  // Close every socket and listener before the extension host goes away; disposal then finds nothing open.
  const current = activeRegistry;
  activeRegistry = undefined;
  await current?.stopAll();
}
