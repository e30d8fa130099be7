// The `tcplab_*` language-model tools, registered with `vscode.lm` so an agent in chat can listen,
// connect, send, expect and read on the same Registry as the user: what it opens shows in the tree and
// the panels. Everything but the VS Code types lives in app/agentTools; this file only translates.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AgentTools, TOOL_NAMES, type AgentToolsHost, type LoadedTcpFile, type ToolName } from '../app/agentTools/agentTools';
import type { ToolSchema } from '../app/agentTools/inputValidation';
import type { Registry } from '../core/registry';
import { isInside } from '../core/tcpFile/fileRoot';
import type { TcpLabConfig } from './config';
import type { ConnectionsTreeProvider } from './connectionsTree';
import type { TcpFileWorkspace } from './tcpFileWorkspace';
import type { TrafficPanelManager } from './trafficPanel';

export interface LanguageModelToolServices {
  context: vscode.ExtensionContext;
  registry: Registry;
  config: TcpLabConfig;
  tree: ConnectionsTreeProvider;
  panels: TrafficPanelManager;
  tcpFiles: TcpFileWorkspace;
  log: vscode.LogOutputChannel;
}

/** Each tool's inputSchema as package.json declares it: the schema the model sees is the one checked. */
function declaredSchemas(context: vscode.ExtensionContext): Record<string, ToolSchema> {
  const contributed = (context.extension.packageJSON as { contributes?: { languageModelTools?: { name: string; inputSchema: ToolSchema }[] } }).contributes?.languageModelTools ?? [];
  return Object.fromEntries(contributed.map((tool) => [tool.name, tool.inputSchema]));
}

async function loadTcpFile(requested: string, tcpFiles: TcpFileWorkspace, config: TcpLabConfig): Promise<{ ok: true; loaded: LoadedTcpFile } | { ok: false; error: string }> {
  const folders = vscode.workspace.workspaceFolders?.filter((f) => f.uri.scheme === 'file') ?? [];
  if (folders.length === 0) return { ok: false, error: 'No folder is open: tcplab_run_tcp_file runs .tcp files of the workspace folder.' };
  const absolute = path.isAbsolute(requested) ? requested : path.join(folders[0].uri.fsPath, requested);
  // The agent names the file, so it stays inside the workspace like the files a block may send.
  if (!folders.some((f) => isInside(f.uri.fsPath, absolute))) return { ok: false, error: `"${requested}" is outside the workspace folder; give a .tcp file inside it.` };
  const uri = vscode.Uri.file(absolute);
  try {
    await vscode.workspace.fs.stat(uri);
  } catch {
    return { ok: false, error: `There is no file "${requested}" in the workspace folder; give its path relative to the folder, e.g. tests/echo.tcp.` };
  }
  const file = await tcpFiles.read(uri);
  // The environment is the tool's to choose (or the selected one's), so the run options' own is left out.
  const options = tcpFiles.runOptions(uri);
  delete options.environment;
  return {
    ok: true,
    loaded: { file, displayPath: vscode.workspace.asRelativePath(uri), options, environments: config.environments, selectedEnvironment: tcpFiles.selectedEnvironment },
  };
}

export function registerLanguageModelTools(services: LanguageModelToolServices): vscode.Disposable {
  const { registry, config, tree, panels, tcpFiles, log } = services;
  const host: AgentToolsHost = {
    isTrusted: () => vscode.workspace.isTrusted,
    // Workspace presets of an untrusted workspace never count; the tools refuse there anyway.
    findPreset: (name) => {
      const entry = config.findPreset(name);
      return entry && !entry.restricted ? entry.preset : undefined;
    },
    presetNames: () => config.presets().filter((e) => !e.restricted).map((e) => e.preset.name),
    defaultEncoding: () => config.defaultEncoding,
    adoptMockServer: (listener, server, preset) => panels.adoptMockServer(listener, server, preset),
    nameAfterPreset: (id, name) => tree.nameAfterPreset(id, name),
    loadTcpFile: (requested) => loadTcpFile(requested, tcpFiles, config),
  };
  const tools = new AgentTools(registry, host, declaredSchemas(services.context));
  const registrations = TOOL_NAMES.map((name: ToolName) =>
    vscode.lm.registerTool<unknown>(name, {
      prepareInvocation: async (options) => {
        const prepared = await tools.prepare(name, options.input);
        return {
          invocationMessage: prepared.invocationMessage,
          confirmationMessages: prepared.confirmation && { title: prepared.confirmation.title, message: new vscode.MarkdownString().appendText(prepared.confirmation.message) },
        };
      },
      invoke: async (options, token) => {
        const abort = new AbortController();
        const cancel = token.onCancellationRequested(() => abort.abort());
        try {
          const outcome = await tools.invoke(name, options.input, abort.signal);
          if (!outcome.ok) {
            log.warn(`${name}: ${outcome.error}`);
            // The API's way to report a failure to the model: an error whose message it reads.
            throw new Error(outcome.error);
          }
          log.info(`${name}: ${outcome.text.split('\n')[0]}`);
          return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(outcome.text)]);
        } finally {
          cancel.dispose();
        }
      },
    }),
  );
  return vscode.Disposable.from(...registrations);
}
