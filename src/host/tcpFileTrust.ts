// The questions asked before a `.tcp` block touches the network. A `.tcp` file comes with the
// repository, so in Restricted Mode one click must not send anything anywhere: the user sees the
// target and every file the block would read, and confirms, or nothing runs. A LISTEN block on a
// host other machines can reach asks like the palette does (the exposure policy words it).
import * as vscode from 'vscode';
import { assessBindExposure } from '../app/exposurePolicy';
import type { PreparedBlock } from '../core/tcpFile/runner';
import { confirmExposure } from './exposurePrompt';
import { formatHostPort } from '../shared/hostPort';

export const TRUST_REFUSAL = 'Not run: this workspace is not trusted; confirm the run, or trust the workspace (Workspaces: Manage Workspace Trust) to run .tcp files without asking.';
export const EXPOSURE_REFUSAL = 'Not run: listening there would make the port reachable from other machines; use 127.0.0.1 or ::1 to keep it on this machine.';

function describeTarget(block: PreparedBlock): string {
  const where = formatHostPort(block.host, block.port);
  return block.kind === 'listen' ? `listen on ${where}` : `connect to ${where}`;
}

function describeFiles(files: readonly string[]): string {
  if (files.length === 0) return 'send only what the .tcp file itself contains';
  return `read and send ${files.length === 1 ? 'the file' : `${files.length} files:`} ${files.map((f) => vscode.workspace.asRelativePath(f)).join(', ')}`;
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
    const choice = await vscode.window.showWarningMessage(
      `Run "${name}" from a .tcp file of a workspace you have not trusted? It would ${describeTarget(block)} and ${describeFiles(block.files)}.`,
      {
        modal: true,
        detail: `Restricted Mode runs nothing from a .tcp file on its own.${exposure?.exposed ? ` ${exposure.sentence}` : ''} Trust the workspace (Workspaces: Manage Workspace Trust) to run without asking.`,
      },
      'Run Once',
    );
    if (choice !== 'Run Once') return TRUST_REFUSAL;
  } else if (exposure?.exposed && !(await confirmExposure(exposure))) {
    return EXPOSURE_REFUSAL;
  }
  approved?.add(key);
  return undefined;
}
