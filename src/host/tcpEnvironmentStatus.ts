// Status bar switcher for the `tcpLab.environments` setting, as REST Client does for `.http` files:
// shown while a `.tcp` file is in the editor; the choice is kept per workspace.
import * as vscode from 'vscode';
import { isTcpDocument, type TcpFileWorkspace } from './tcpFileWorkspace';

export const SELECT_ENVIRONMENT_COMMAND = 'tcpLab.tcpFiles.selectEnvironment';

export function registerEnvironmentStatus(workspace: TcpFileWorkspace): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('tcpLab.tcpFiles.environment', vscode.StatusBarAlignment.Right, 100);
  item.name = vscode.l10n.t('TCP Lab Environment');
  item.command = SELECT_ENVIRONMENT_COMMAND;

  const refresh = (): void => {
    const selected = workspace.selectedEnvironment;
    item.text = `$(symbol-variable) ${selected ?? vscode.l10n.t('No Environment')}`;
    item.tooltip = vscode.l10n.t('TCP Lab environment for {{variables}} in .tcp files: click to switch');
    const editor = vscode.window.activeTextEditor;
    if (editor && isTcpDocument(editor.document)) item.show();
    else item.hide();
  };

  const select = async (): Promise<void> => {
    const names = workspace.environmentNames();
    if (names.length === 0) {
      const open = vscode.l10n.t('Open Settings');
      const choice = await vscode.window.showInformationMessage(vscode.l10n.t('No environments are defined: add them to the tcpLab.environments setting.'), open);
      if (choice === open) await vscode.commands.executeCommand('workbench.action.openSettings', 'tcpLab.environments');
      return;
    }
    const current = workspace.selectedEnvironment;
    // The "none" row is told apart by its missing name, not its label, which is translated.
    const picks: (vscode.QuickPickItem & { environment?: string })[] = [undefined, ...names].map((environment) => ({
      label: environment ?? vscode.l10n.t('No Environment'),
      environment,
      description: environment === current ? vscode.l10n.t('selected') : undefined,
    }));
    const picked = await vscode.window.showQuickPick(picks, { placeHolder: vscode.l10n.t('Environment for {{variables}} in .tcp files') });
    if (!picked) return;
    await workspace.selectEnvironment(picked.environment);
  };

  refresh();
  return vscode.Disposable.from(
    item,
    vscode.commands.registerCommand(SELECT_ENVIRONMENT_COMMAND, select),
    vscode.window.onDidChangeActiveTextEditor(refresh),
    workspace.onDidChangeContext(refresh),
  );
}
