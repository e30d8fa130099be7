// TCP Lab end to end: the packaged .vsix in a real VS Code (code-server), driven through headless
// chromium like a user, against independent Python peers. One code-server for the whole file keeps
// the run to a few minutes on two cores; every scenario leaves no listener or connection behind.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { E2ESession, resetResultsDir } from './harness/session';

const workspaceFixture = join(__dirname, 'workspace');

describe('TCP Lab in code-server (end to end)', function () {
  let session: E2ESession | undefined;

  before(async function () {
    // Installing code-server on a machine that lacks it takes a few minutes; later runs reuse it.
    this.timeout(15 * 60_000);
    resetResultsDir();
    session = await E2ESession.start({ workspaceFixture, userSettings: { 'workbench.colorTheme': 'Default Light Modern' } });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await session?.keepFailureArtifacts(this.currentTest.fullTitle());
  });

  after(async function () {
    this.timeout(30_000);
    await session?.dispose();
  });

  function current(): E2ESession {
    assert.ok(session, 'the code-server session did not start');
    return session;
  }

  it('loads the packaged extension and shows the TCP Lab view container', async () => {
    const s = current();
    await s.shot('workbench-ready');
    await s.workbench.openTcpLabView();
    await s.shot('tcp-lab-view');
    s.assertExtensionHealthy();
  });
});
