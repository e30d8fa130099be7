// The questions asked before a `.tcp` block touches the network. A `.tcp` file comes with the
// repository, so in Restricted Mode one click must not send anything anywhere: the user sees the
// target and every file the block would read, and confirms, or nothing runs. A LISTEN block on a
// host other machines can reach asks like the palette does (the exposure policy words it).
import * as vscode from 'vscode';
import { assessBindExposure } from '../app/exposurePolicy';
import type { PreparedBlock } from '../core/tcpFile/runner';
import { confirmExposure } from './exposurePrompt';
import { formatHostPort } from '../shared/hostPort';

const trustRefusal = (): string => vscode.l10n.t('Not run: this workspace is not trusted; confirm the run, or trust the workspace (Workspaces: Manage Workspace Trust) to run .tcp files without asking.');
const exposureRefusal = (): string => vscode.l10n.t('Not run: listening there would make the port reachable from other machines; use 127.0.0.1 or ::1 to keep it on this machine.');

function describeTarget(block: PreparedBlock): string {
  const where = formatHostPort(block.host, block.port);
  return block.kind === 'listen' ? vscode.l10n.t('listen on {0}', where) : vscode.l10n.t('connect to {0}', where);
}

function describeFiles(files: readonly string[]): string {
  if (files.length === 0) return vscode.l10n.t('send only what the .tcp file itself contains');
  const names = files.map((f) => vscode.workspace.asRelativePath(f)).join(', ');
  return files.length === 1 ? vscode.l10n.t('read and send the file {0}', names) : vscode.l10n.t('read and send {0} files: {1}', files.length, names);
}

/**
 * Asks what must be asked before `block` runs. Resolves undefined to go on, or the one-sentence
 * refusal. `approved` remembers what the user already confirmed in this run, so running a file of
 * ten blocks against one host asks once.
 */
export async function confirmTcpRun(block: PreparedBlock, name: string, approved?: Set<string>): Promise<string | undefined> {
  const exposure = block.kind === 'listen' ? assessBindExposure(block.host, block.port) : undefined;
  const key = `${block.kind} ${block.host} ${block.port} ${block.files.join('\n')}`;
  if (approved?.has(key)) return undefined;
  if (!vscode.workspace.isTrusted) {
    const runOnce = vscode.l10n.t('Run Once');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Run "{0}" from a .tcp file of a workspace you have not trusted? It would {1} and {2}.', name, describeTarget(block), describeFiles(block.files)),
      {
        modal: true,
        detail: [
          vscode.l10n.t('Restricted Mode runs nothing from a .tcp file on its own.'),
          ...(exposure?.exposed && exposure.sentence ? [exposure.sentence] : []),
          vscode.l10n.t('Trust the workspace (Workspaces: Manage Workspace Trust) to run without asking.'),
        ].join(' '),
      },
      runOnce,
    );
    if (choice !== runOnce) return trustRefusal();
  } else if (exposure?.exposed && !(await confirmExposure(exposure))) {
    return exposureRefusal();
  }
  approved?.add(key);
  return undefined;
}
