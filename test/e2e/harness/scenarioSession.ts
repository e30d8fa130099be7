// The lifecycle every single-session e2e file shares: its artifacts folder, one code-server session
// on a staged copy of a workspace fixture, failure artifacts after a failed test, and a clean stop.
import { E2ESession } from './session';
import type { ScenarioArtifacts } from './scenarioArtifacts';
import { StagedWorkspace } from './stagedWorkspace';

export interface ScenarioOptions {
  /** Folder copied and opened as the workspace. */
  fixture: string;
  /** Edits the staged copy before code-server opens it (ports known only at run time). */
  stage?: (workspace: StagedWorkspace) => void | Promise<void>;
  userSettings?: Record<string, unknown>;
  /** Further .vsix files to install beside TCP Lab. */
  extraExtensions?: () => string[];
  /** VS Code's display language, e.g. `zh-cn`; default English. */
  locale?: string;
}

/**
 * Registers, inside the file's describe, the hooks of its one session and returns a getter for it
 * (which throws when the session did not start). The file itself keeps `after(() =>
 * artifacts.restore())` at its root, so the pictures survive a later file's reset.
 */
export function useScenarioSession(artifacts: ScenarioArtifacts, options: () => ScenarioOptions): () => E2ESession {
  let started: E2ESession | undefined;
  before(async function () {
    // Installing code-server on a machine that lacks it takes a few minutes; later runs reuse it.
    this.timeout(15 * 60_000);
    artifacts.reset();
    const { fixture, stage, userSettings, extraExtensions, locale } = options();
    const staged = StagedWorkspace.copy(fixture);
    try {
      await stage?.(staged);
      started = await E2ESession.start({ workspaceFixture: staged.dir, userSettings: userSettings ?? {}, extraExtensions: extraExtensions?.(), locale });
    } finally {
      staged.dispose();
    }
  });
  afterEach(async function () {
    this.timeout(30_000);
    if (started && this.currentTest?.state === 'failed') await artifacts.keepFailure(started, this.currentTest.fullTitle());
  });
  after(async function () {
    this.timeout(30_000);
    await started?.dispose();
  });
  return () => {
    if (!started) throw new Error('The code-server session did not start (see the before hook).');
    return started;
  };
}
