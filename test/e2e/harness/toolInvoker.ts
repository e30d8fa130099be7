// The test-only tool invoker (test/e2e/toolInvoker): packed into its own .vsix for a session, never
// into TCP Lab's, and driven from the palette to call a language-model tool through
// vscode.lm.invokeTool, as an agent's tool call is made, without a language model.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { E2ESession } from './session';
import { packTestExtension } from './testExtensions';

const invokerDir = join(__dirname, '..', 'toolInvoker');

/** What the invoker recorded of one call: the result text, or the error the tool threw. */
export interface ToolCall {
  name: string;
  ok: boolean;
  text?: string;
  error?: string;
}

/** Packs the invoker into `outDir` and returns the .vsix path, for SessionOptions.extraExtensions. */
export function packToolInvoker(outDir: string): string {
  return packTestExtension(invokerDir, join(outDir, 'tool-invoker.vsix'));
}

/** Starts one tool call; the returned function waits for its result (so a test can answer a dialog first). */
export async function startTool(session: E2ESession, name: string, input: Record<string, unknown>): Promise<() => Promise<ToolCall>> {
  const results = join(session.workspace, '.tool-results.jsonl');
  const count = (): number => (existsSync(results) ? readFileSync(results, 'utf8').trim().split('\n').filter(Boolean).length : 0);
  const before = count();
  await session.workbench.runCommand('TCP Lab Test: Invoke Language Model Tool');
  await session.workbench.waitForPrompt(/Invoke a language-model tool/);
  await session.workbench.answer(`${name} ${JSON.stringify(input)}`);
  return async () => {
    const deadline = Date.now() + 30_000;
    while (count() <= before) {
      if (Date.now() > deadline) throw new Error(`${name} returned nothing within 30 s`);
      await session.page.waitForTimeout(150);
    }
    const lines = readFileSync(results, 'utf8').trim().split('\n');
    return JSON.parse(lines[lines.length - 1]) as ToolCall;
  };
}

/** Calls one tool the way an agent does and returns what the invoker recorded. */
export async function invokeTool(session: E2ESession, name: string, input: Record<string, unknown>): Promise<ToolCall> {
  return (await startTool(session, name, input))();
}
