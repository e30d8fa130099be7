// Opening and closing: Start Listener (with the exposure question and a retry on another port),
// Connect… (recent targets and client presets), Stop Listener, Disconnect, Stop All, Copy Address.
import * as vscode from 'vscode';
import type { CommandArg } from '../app/commandArgs';
import { assessBindExposure } from '../app/exposurePolicy';
import { readRecentTargets, rememberTarget } from '../app/recentTargets';
import type { TargetMemory } from '../app/targetMemory';
import { connectionPeer, isConnection, isListener, listenerAddress } from '../app/targets';
import type { Connection } from '../core/connection';
import { errorCode } from '../core/errors';
import type { Listener } from '../core/listener';
import type { Registry } from '../core/registry';
import { errorMessage } from '../shared/errorMessage';
import { formatTarget, type HostPort } from '../shared/hostPort';
import { plural } from '../shared/plural';
import { promptConnectTarget, promptListenAddress, type ConnectTarget } from './addressPrompts';
import type { CommandHandlers, CommandSource } from './commandRegistration';
import { connectionsText, listenersText } from './countText';
import type { TcpLabConfig } from './config';
import { confirmExposure } from './exposurePrompt';
import type { PresetCommands } from './presetCommands';
import type { TargetPicker } from './targetPicker';
import type { TrafficPanelManager } from './trafficPanel';

export const CONNECT_COMMANDS = {
  startListener: 'tcpLab.startListener',
  connect: 'tcpLab.connect',
  stopListener: 'tcpLab.stopListener',
  disconnect: 'tcpLab.disconnect',
  stopAll: 'tcpLab.stopAll',
  copyAddress: 'tcpLab.copyAddress',
} as const;

const RECENT_TARGETS_KEY = 'tcpLab.recentTargets';

/** Listen failures the user can fix by choosing another port. */
const RETRYABLE_LISTEN_CODES = new Set(['EADDRINUSE', 'EACCES', 'EPERM', 'EADDRNOTAVAIL']);

export interface ConnectServices {
  registry: Registry;
  config: TcpLabConfig;
  log: vscode.LogOutputChannel;
  /** Where Connect… keeps its recent targets, per workspace. */
  workspaceState: vscode.Memento;
  memory: TargetMemory;
  picker: TargetPicker;
  panels: TrafficPanelManager;
  /** Connect… offers client presets and starts the chosen one through the preset commands. */
  presets: PresetCommands;
}

export class ConnectCommands implements CommandSource {
  constructor(private readonly services: ConnectServices) {}

  commands(): CommandHandlers {
    return {
      [CONNECT_COMMANDS.startListener]: (arg) => this.startListener(arg as Partial<HostPort> | undefined),
      [CONNECT_COMMANDS.connect]: (arg) => this.connect(arg as Partial<HostPort> | string | undefined),
      [CONNECT_COMMANDS.stopListener]: (arg) => this.stopListener(arg as CommandArg),
      [CONNECT_COMMANDS.disconnect]: (arg) => this.disconnect(arg as CommandArg),
      [CONNECT_COMMANDS.stopAll]: () => this.stopAll(),
      [CONNECT_COMMANDS.copyAddress]: (arg) => this.copyAddress(arg as CommandArg),
    };
  }

  async startListener(options?: Partial<HostPort>): Promise<Listener | undefined> {
    const { registry, config, log, picker } = this.services;
    let host = options?.host ?? config.defaultHost;
    let port = options?.port;
    // Asked once per Start Listener: a retry on another port of the same host does not ask again.
    let confirmedHost: string | undefined;
    for (;;) {
      if (port === undefined) {
        const answer = await promptListenAddress(host);
        if (!answer) return undefined;
        ({ host, port } = answer);
      }
      const exposure = assessBindExposure(host, port);
      if (exposure.exposed && host !== confirmedHost) {
        if (!(await confirmExposure(exposure))) return undefined;
        confirmedHost = host;
      }
      try {
        const listener = await registry.listen({ host, port });
        picker.announceListening(listener);
        return listener;
      } catch (err) {
        log.error(errorMessage(err));
        if (!RETRYABLE_LISTEN_CODES.has(errorCode(err) ?? '')) {
          void vscode.window.showErrorMessage(errorMessage(err));
          return undefined;
        }
        const another = vscode.l10n.t('Try Another Port');
        const choice = await vscode.window.showErrorMessage(errorMessage(err), another);
        if (choice !== another) return undefined;
        port = undefined;
      }
    }
  }

  async connect(options?: Partial<HostPort> | string): Promise<Connection | undefined> {
    let initial = typeof options === 'string' ? options : '';
    if (typeof options === 'object' && options.host !== undefined && options.port !== undefined) {
      return (await this.connectTo({ host: options.host, port: options.port })) ?? undefined;
    }
    for (;;) {
      const choice = await promptConnectTarget(initial, this.recentTargets(), this.services.config.presets());
      if (!choice) return undefined;
      if ('preset' in choice) {
        const item = await this.services.presets.startEntry(choice.preset);
        return item && isConnection(item) ? item : undefined;
      }
      const connection = await this.connectTo(choice.target, true);
      if (connection) return connection;
      if (connection === null) {
        initial = formatTarget(choice.target.host, choice.target.port, choice.target.tls === true);
        continue;
      }
      return undefined;
    }
  }

  /** Resolves undefined if the user gave up, null when they asked to try another target. */
  private async connectTo(target: ConnectTarget, offerRetry = false): Promise<Connection | undefined | null> {
    const { registry, log, memory, picker, panels } = this.services;
    const label = formatTarget(target.host, target.port, target.tls === true);
    try {
      // A typed tls:// target verifies against the system's CAs; presets and the panel choose more.
      const connection = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Connecting to {0}…', label) },
        () => registry.connect({ host: target.host, port: target.port, ...(target.tls ? { tls: {} } : {}) }),
      );
      memory.rememberTyped(connection.id, target);
      memory.lastTargetId = connection.id;
      await this.rememberRecent(label);
      void picker.reveal(connection.id);
      void vscode.window.showInformationMessage(vscode.l10n.t('Connected to {0}', label), vscode.l10n.t('Open Traffic')).then((choice) => {
        if (choice) panels.open(connection.id);
      });
      return connection;
    } catch (err) {
      log.error(errorMessage(err));
      if (!offerRetry) {
        void vscode.window.showErrorMessage(errorMessage(err));
        return undefined;
      }
      const again = vscode.l10n.t('Try Again');
      const choice = await vscode.window.showErrorMessage(errorMessage(err), again);
      return choice === again ? null : undefined;
    }
  }

  private recentTargets(): string[] {
    return readRecentTargets(this.services.workspaceState.get(RECENT_TARGETS_KEY));
  }

  private async rememberRecent(target: string): Promise<void> {
    await this.services.workspaceState.update(RECENT_TARGETS_KEY, rememberTarget(this.recentTargets(), target));
  }

  async stopListener(arg: CommandArg): Promise<void> {
    const listener = await this.services.picker.resolve(arg, 'listener', vscode.l10n.t('Stop which listener?'));
    if (!listener || !isListener(listener)) return;
    await listener.stop({ closeConnections: true });
  }

  async disconnect(arg: CommandArg): Promise<void> {
    const connection = await this.services.picker.resolve(arg, 'connection', vscode.l10n.t('Disconnect which connection?'));
    if (!connection || !isConnection(connection)) return;
    connection.destroy();
  }

  async stopAll(): Promise<void> {
    const { registry, log } = this.services;
    const listeners = registry.listeners().length;
    const connections = registry.connections().length;
    if (listeners + connections === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Nothing is open: there is no listener or connection to stop.'));
      return;
    }
    await registry.stopAll();
    const summary = `stopped ${plural(listeners, 'listener')} and closed ${plural(connections, 'connection')}`;
    log.info(`Stop All: ${summary}`);
    vscode.window.setStatusBarMessage(vscode.l10n.t('TCP Lab: stopped {0} and closed {1}', listenersText(listeners), connectionsText(connections)), 4000);
  }

  async copyAddress(arg: CommandArg): Promise<void> {
    const item = await this.services.picker.resolve(arg, 'any', vscode.l10n.t('Copy the address of…'));
    if (!item) return;
    const address = isListener(item) ? listenerAddress(item) : connectionPeer(item);
    await vscode.env.clipboard.writeText(address);
    vscode.window.setStatusBarMessage(vscode.l10n.t('TCP Lab: copied {0}', address), 3000);
  }
}
