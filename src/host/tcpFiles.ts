// Everything `.tcp` in the editor, registered in one call from the composition root: diagnostics,
// CodeLens with inline results and hovers, the Testing view, the environment switcher, completion
// and hovers for {{variables}}, the outline, keyword completion, go to definition and Send Block at Cursor.
import type { TcpLabConfig } from './config';
import type * as vscode from 'vscode';
import { registerEnvironmentStatus } from './tcpEnvironmentStatus';
import { registerTcpFileDiagnostics } from './tcpFileDiagnostics';
import { registerTcpFileEditing } from './tcpFileEditing';
import { TcpFileLens } from './tcpFileLens';
import type { Registry } from '../core/registry';
import { registrySockets } from '../app/tcpFileSockets';
import { TcpFileTestController } from './tcpFileTestController';
import { registerTcpFileVariables } from './tcpFileVariables';
import { TcpFileWorkspace } from './tcpFileWorkspace';

/** Returns the shared `.tcp` state, which the language-model tools run files through too. */
export function registerTcpFiles(context: vscode.ExtensionContext, registry: Registry, config: TcpLabConfig): TcpFileWorkspace {
  const workspace = new TcpFileWorkspace(context.workspaceState, config);
  const tests = new TcpFileTestController(workspace, registrySockets(registry));
  const lens = new TcpFileLens(workspace, registry, tests);
  context.subscriptions.push(
    workspace,
    registerTcpFileDiagnostics(workspace),
    tests,
    lens,
    registerTcpFileEditing(workspace, lens, registry),
    registerEnvironmentStatus(workspace),
    registerTcpFileVariables(workspace),
  );
  return workspace;
}
