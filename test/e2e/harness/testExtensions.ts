// Test-only extensions (the tool invoker, the API client) are packed into .vsix files of their own
// for a session, never into TCP Lab's; one packer serves them all.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../scripts/codeServer';

/** Packs the extension in `folder` to `vsix` with the repository's vsce and returns that path. */
export function packTestExtension(folder: string, vsix: string): string {
  const vsce = join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
  const result = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', vsix], { cwd: folder, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0 || !existsSync(vsix)) throw new Error(`Packing the test extension in ${folder} failed: ${result.stdout}${result.stderr}`);
  return vsix;
}
