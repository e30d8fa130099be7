// How every `tcpLab.*` palette and tree command is registered. A host file that owns commands
// exports an id table and an object whose `commands()` maps each id to its handler; the composition
// root (extension.ts) passes those maps to `registerCommands`, which adds the one error net.
import * as vscode from 'vscode';
import { errorMessage } from '../shared/errorMessage';

/** Handlers by command id. A handler receives what VS Code passes (a tree node, a URI, an id or nothing). */
export type CommandHandlers = Readonly<Record<string, (...args: unknown[]) => unknown>>;

/** What a command file hands to the composition root. */
export interface CommandSource {
  commands(): CommandHandlers;
}

/**
 * Registers each handler under its id. Whatever a handler throws still reaches the user as one
 * sentence (and the log), never as a stack trace or a silent failure; its result is returned to
 * `executeCommand` callers.
 */
export function registerCommands(log: vscode.LogOutputChannel, ...sources: CommandSource[]): vscode.Disposable {
  const registrations = sources.flatMap((source) =>
    Object.entries(source.commands()).map(([id, handler]) =>
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(...args);
        } catch (err) {
          log.error(`${id}: ${errorMessage(err)}`);
          void vscode.window.showErrorMessage(errorMessage(err));
          return undefined;
        }
      }),
    ),
  );
  return vscode.Disposable.from(...registrations);
}
