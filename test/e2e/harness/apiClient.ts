// The test-only API client (test/e2e/apiClient): packed into its own .vsix for a session, never into
// TCP Lab's, and driven from the palette to use TCP Lab's public API as another extension would.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { E2ESession } from './session';
import { packTestExtension } from './testExtensions';

const clientDir = join(__dirname, '..', 'apiClient');

/** Packs the client into `outDir` and returns the .vsix path, for SessionOptions.extraExtensions. */
export function packApiClient(outDir: string): string {
  return packTestExtension(clientDir, join(outDir, 'api-client.vsix'));
}

export interface ApiStepResult<T> {
  ok: boolean;
  result?: T;
  error?: string;
}

/** Runs one step of the client (its palette command) and returns what it recorded. */
export async function runApiStep<T>(session: E2ESession, input: Record<string, unknown>): Promise<ApiStepResult<T>> {
  const results = join(session.workspace, '.api-results.jsonl');
  const count = (): number => (existsSync(results) ? readFileSync(results, 'utf8').trim().split('\n').filter(Boolean).length : 0);
  const before = count();
  await session.workbench.runCommand('TCP Lab Test: Use the TCP Lab API');
  await session.workbench.waitForPrompt(/Use the TCP Lab API/);
  await session.workbench.answer(JSON.stringify(input));
  const deadline = Date.now() + 30_000;
  while (count() <= before) {
    if (Date.now() > deadline) throw new Error(`The API client recorded nothing for ${JSON.stringify(input)} within 30 s`);
    await session.page.waitForTimeout(150);
  }
  const lines = readFileSync(results, 'utf8').trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as ApiStepResult<T>;
}
