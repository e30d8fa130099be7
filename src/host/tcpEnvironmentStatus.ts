// Status bar switcher for the `tcpLab.environments` setting, as REST Client does for `.http` files:
// shown while a `.tcp` file is in the editor; the choice is kept per workspace.
import * as vscode from 'vscode';
import { isTcpDocument, type TcpFileWorkspace } from './tcpFileWorkspace';

export const SELECT_ENVIRONMENT_COMMAND = 'tcpLab.tcpFiles.selectEnvironment';
const NO_ENVIRONMENT = 'No Environment';

export function registerEnvironmentStatus(workspace: TcpFileWorkspace): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('tcpLab.tcpFiles.environment', vscode.StatusBarAlignment.Right, 100);
  item.name = 'TCP Lab Environment';
  item.command = SELECT_ENVIRONMENT_COMMAND;

  const refresh = (): void => {
    const selected = workspace.selectedEnvironment;
    item.text = `$(symbol-variable) ${selected ?? NO_ENVIRONMENT}`;
    item.tooltip = 'TCP Lab environment for {{variables}} in .tcp files: click to switch';
    const editor = vscode.window.activeTextEditor;
    if (editor && isTcpDocument(editor.document)) item.show();
    else item.hide();
  };

  const select = async (): Promise<void> => {
    const names = workspace.environmentNames();
    if (names.length === 0) {
      const open = 'Open Settings';
      const choice = await vscode.window.showInformationMessage('No environments are defined: add them to the tcpLab.environments setting.', open);
      if (choice === open) await vscode.commands.executeCommand('workbench.action.openSettings', 'tcpLab.environments');
      return;
    }
    const current = workspace.selectedEnvironment;
    const picks: vscode.QuickPickItem[] = [NO_ENVIRONMENT, ...names].map((label) => ({
      label,
      description: (label === NO_ENVIRONMENT ? current === undefined : label === current) ? 'selected' : undefined,
    }));
    const picked = await vscode.window.showQuickPick(picks, { placeHolder: 'Environment for {{variables}} in .tcp files' });
    if (!picked) return;
    await workspace.selectEnvironment(picked.label === NO_ENVIRONMENT ? undefined : picked.label);
  };

  refresh();
  return vscode.Disposable.from(
    item,
    vscode.commands.registerCommand(SELECT_ENVIRONMENT_COMMAND, select),
    vscode.window.onDidChangeActiveTextEditor(refresh),
    workspace.onDidChangeContext(refresh),
  );
}
