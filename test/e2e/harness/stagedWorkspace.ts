// A temporary copy of a workspace fixture, edited before code-server opens it: tests write values
// only known at run time (a free port, the port of a peer they started) into the files, so what
// VS Code reads at start is already the final content, as it would be in a user's repository.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class StagedWorkspace {
  private constructor(readonly dir: string) {}

  static copy(fixture: string): StagedWorkspace {
    const root = mkdtempSync(join(tmpdir(), 'tcp-lab-e2e-fixture-'));
    const dir = join(root, 'workspace');
    cpSync(fixture, dir, { recursive: true });
    return new StagedWorkspace(dir);
  }

  /** Rewrites one file of the copy; throws if the edit changed nothing (a fixture that drifted). */
  edit(relativePath: string, change: (text: string) => string): void {
    const path = join(this.dir, relativePath);
    const before = readFileSync(path, 'utf8');
    const after = change(before);
    if (after === before) throw new Error(`Editing ${relativePath} of the staged workspace changed nothing: the fixture no longer has what the test rewrites.`);
    writeFileSync(path, after);
  }

  dispose(): void {
    rmSync(join(this.dir, '..'), { recursive: true, force: true });
  }
}
