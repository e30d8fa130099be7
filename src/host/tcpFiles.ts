// Everything `.tcp` in the editor, registered in one call from the composition root: diagnostics,
// CodeLens with inline results and hovers, the Testing view, the environment switcher, and
// completion and hovers for {{variables}}.
import type { TcpLabConfig } from './config';
import type * as vscode from 'vscode';
import { registerEnvironmentStatus } from './tcpEnvironmentStatus';
import { registerTcpFileDiagnostics } from './tcpFileDiagnostics';
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
  context.subscriptions.push(
    workspace,
    registerTcpFileDiagnostics(workspace),
    tests,
    new TcpFileLens(workspace, registry, tests),
    registerEnvironmentStatus(workspace),
    registerTcpFileVariables(workspace),
  );
  return workspace;
}
