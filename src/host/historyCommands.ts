// Commands on what TCP Lab remembers: open a traffic panel on anything live or recent (a quick pick
// when no row was clicked), reconnect a closed outgoing connection, save a log, forget history.
import * as vscode from 'vscode';
import { targetIdOf } from '../app/commandArgs';
import { panelTargetPicks } from '../app/panelTargets';
import type { Registry } from '../core/registry';
import type { CommandHandlers, CommandSource } from './commandRegistration';
import type { TrafficPanelManager } from './trafficPanel';

export const HISTORY_COMMANDS = {
  openTrafficPanel: 'tcpLab.openTrafficPanel',
  reconnect: 'tcpLab.reconnect',
  saveLog: 'tcpLab.saveLog',
  removeFromHistory: 'tcpLab.removeFromHistory',
  clearHistory: 'tcpLab.clearHistory',
} as const;

/** Asks which live or recent item; `undefined` item = the forms; `false` = cancelled. */
export async function pickTarget(registry: Registry, title: string, filter: (id: string) => boolean = () => true, withForms = true): Promise<string | undefined | false> {
  const picks = panelTargetPicks(registry.snapshot()).filter((p) => (p.targetId === undefined ? withForms : filter(p.targetId)));
  if (picks.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('TCP Lab has nothing of that kind open or in its history yet.'));
    return false;
  }
  const picked = await vscode.window.showQuickPick(
    picks.map((p) => ({ label: `$(${p.icon}) ${p.label}`, description: p.description, detail: p.detail, pick: p })),
    { title, placeHolder: vscode.l10n.t('Live ones first, then recent ones, newest first'), matchOnDescription: true, matchOnDetail: true },
  );
  return picked ? picked.pick.targetId : false;
}

/** The history's commands; like every command file, registered by the composition root. */
export class HistoryCommands implements CommandSource {
  constructor(
    private readonly registry: Registry,
    private readonly panels: TrafficPanelManager,
  ) {}

  commands(): CommandHandlers {
    const { registry, panels } = this;
    return {
      // With exactly one live target it still asks: the user may want the forms instead.
      [HISTORY_COMMANDS.openTrafficPanel]: async (arg) => {
        const id = targetIdOf(arg) ?? (await pickTarget(registry, vscode.l10n.t('Open a traffic panel on…')));
        if (id === false) return;
        panels.open(id);
      },
      [HISTORY_COMMANDS.reconnect]: async (arg) => {
        const id = targetIdOf(arg) ?? (await pickTarget(registry, vscode.l10n.t('Reconnect which closed connection?'), (candidate) => {
          const info = registry.snapshot().connections.find((c) => c.id === candidate);
          return info?.state === 'closed' && info.reconnectable;
        }, false));
        if (id === false || id === undefined) return;
        const connection = await registry.reconnect(id);
        vscode.window.setStatusBarMessage(vscode.l10n.t('TCP Lab: {0} reconnected to {1}', connection.id, connection.label), 4000);
        panels.open(connection.id);
      },
      [HISTORY_COMMANDS.saveLog]: async (arg) => {
        const id = targetIdOf(arg) ?? (await pickTarget(registry, vscode.l10n.t('Save the log of…'), () => true, false));
        if (id === false || id === undefined) return;
        await panels.saveLogOf(id);
      },
      [HISTORY_COMMANDS.removeFromHistory]: (arg) => {
        const id = targetIdOf(arg);
        if (id === undefined) return;
        if (!registry.remove(id)) void vscode.window.showInformationMessage(`${id} is still open; close it first, then remove it from the history.`);
      },
      [HISTORY_COMMANDS.clearHistory]: (arg) => {
        const id = targetIdOf(arg);
        registry.clearHistory(id?.startsWith('L') ? id : undefined);
      },
    };
  }
}
