// Composition root: build the core, wrap it in host adapters, register every disposable.
import * as vscode from 'vscode';
import { ProxyHub } from './core/proxy/proxyHub';
import type { TcpLabApi } from './api/tcpLab';
import { PublicApi } from './app/publicApi';
import { Registry } from './core/registry';
import { TargetMemory } from './app/targetMemory';
import { CaptureCommands } from './host/captureCommands';
import { registerLanguageModelTools } from './host/languageModelTools';
import { PcapCommands } from './host/pcapCommands';
import { TlsCommands, localCaDirectory } from './host/tlsCommands';
import { CaptureManager } from './host/captureManager';
import { ChecksumCommands } from './host/checksumCommands';
import { registerCommands } from './host/commandRegistration';
import { ConnectCommands } from './host/connectCommands';
import { HistoryCommands } from './host/historyCommands';
import { PresetCommands } from './host/presetCommands';
import { ProxyApiHost } from './host/proxyApiHost';
import { ProxyCommands } from './host/proxyCommands';
import { ProxyPanelControl } from './app/panel/proxyPanelControl';
import { SendCommands } from './host/sendCommands';
import { TargetPicker } from './host/targetPicker';
import { CONNECT_TIMEOUT_SETTING, TcpLabConfig } from './host/config';
import { CONNECTIONS_VIEW_ID, ConnectionsTreeProvider } from './host/connectionsTree';
import { ContextKeys } from './host/contextKeys';
import { confirmExposure } from './host/exposurePrompt';
import { LifecycleLog } from './host/lifecycleLog';
import { ConnectionsStatusBar } from './host/statusBar';
import { registerTcpFiles } from './host/tcpFiles';
import { TrafficPanelManager } from './host/trafficPanel';
import { setL10nBundle } from './shared/l10n';

/** Kept for deactivate, which must close every socket before the extension host goes away. */
let activeRegistry: Registry | undefined;

/** Returns TCP Lab's public API (src/api/tcpLab.ts, docs/api.md) to other extensions. */
export function activate(context: vscode.ExtensionContext): TcpLabApi {
  // The vscode-free layers (tree labels, the exposure questions) translate through shared/l10n.ts
  // with the bundle VS Code loaded for the editor's language; without one they speak English.
  setL10nBundle(vscode.l10n.bundle);
  const log = vscode.window.createOutputChannel('TCP Lab', { log: true });
  context.subscriptions.push(log);

  const registry = new Registry();
  activeRegistry = registry;
  context.subscriptions.push(registry);

  const config = new TcpLabConfig(log);
  // Named proxies on the same registry: proxy presets, the Toxiproxy-compatible API and the tree share them.
  const proxies = new ProxyHub(registry);
  context.subscriptions.push(proxies);
  const tree = new ConnectionsTreeProvider(registry, config);
  const treeView = vscode.window.createTreeView(CONNECTIONS_VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  const proxyControl = new ProxyPanelControl(registry, proxies);
  const panels = new TrafficPanelManager(context, registry, config, proxyControl);
  const captures = new CaptureManager(registry, config, log);
  // The commands, one file per job; they share what was last used and how a target is picked.
  const memory = new TargetMemory((id) => registry.get(id) !== undefined);
  const picker = new TargetPicker(registry, memory, tree, treeView, panels);
  const send = new SendCommands(registry, config, memory, picker);
  const presets = new PresetCommands({ registry, config, log, tree, panels, memory, picker, send, localCaDirectory: localCaDirectory(context), proxies });
  const connections = new ConnectCommands({ registry, config, log, workspaceState: context.workspaceState, memory, picker, panels, presets });
  context.subscriptions.push(
    captures,
    config,
    tree,
    treeView,
    new LifecycleLog(registry, log),
    new ConnectionsStatusBar(registry, config),
    new ContextKeys(registry, config),
    panels,
    presets,
    new ProxyApiHost(proxies, config, log, String(context.extension.packageJSON.version)),
    // To add a command: declare it in package.json, handle it in a CommandSource, and list that here.
    registerCommands(
      log,
      connections,
      send,
      presets,
      new CaptureCommands(captures, picker),
      new HistoryCommands(registry, panels),
      new ChecksumCommands(),
      new PcapCommands(registry, log),
      new TlsCommands(context),
      new ProxyCommands({ registry, hub: proxies, control: proxyControl, config, log, picker, panels }),
    ),
  );
  // .tcp files: diagnostics, CodeLens, the Testing view and {{variables}}, on the same registry.
  const tcpFiles = registerTcpFiles(context, registry, config);
  // The tcplab_* tools for agents in chat, on the same registry: what they open shows in the tree.
  context.subscriptions.push(registerLanguageModelTools({ context, registry, config, tree, panels, tcpFiles, log }));
  // Every listen/connect, whichever view starts it, follows the settings; log bounds also apply
  // live to open connections (evicting at once if they shrank).
  const applySocketDefaults = () => {
    registry.setDefaults({
      log: config.logLimits,
      allowHalfOpen: config.keepHalfOpen,
      keyLogFile: config.tlsKeyLogFile,
      connectTimeoutMs: config.connectTimeoutMs,
      connectTimeoutHint: `${CONNECT_TIMEOUT_SETTING} (seconds)`,
    });
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
  // Other extensions get the same registry: what they open shows in the tree and closes on deactivate.
  const api = new PublicApi(registry, {
    isTrusted: () => vscode.workspace.isTrusted,
    confirmExposure,
    showTraffic: async (id) => {
      await vscode.commands.executeCommand('tcpLab.openTrafficPanel', id);
    },
  });
  context.subscriptions.push(api);
  log.info(`TCP Lab ${String(context.extension.packageJSON.version)} activated${vscode.workspace.isTrusted ? '' : ' in Restricted Mode'}`);
  return api;
}

export async function deactivate(): Promise<void> {
  // Close every socket and listener before the extension host goes away; disposal then finds nothing open.
  const current = activeRegistry;
  activeRegistry = undefined;
  await current?.stopAll();
}
