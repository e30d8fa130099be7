// Issue 18 item 5 end to end: typing `{{host}}` in a `.tcp` file, key by key, gives `{{host}}` —
// the closing braces type over the ones the editor closed for the user, none are left behind.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { E2ESession } from './harness/session';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { StagedWorkspace } from './harness/stagedWorkspace';

const fixture = join(__dirname, 'workspaceTcpTyping');
const fileName = 'typing.tcp';
const artifacts = new ScenarioArtifacts('tcpFileTyping');

after(() => artifacts.restore());

describe('.tcp typing in code-server (end to end)', function () {
  let session: E2ESession | undefined;

  before(async function () {
    this.timeout(15 * 60_000);
    artifacts.reset();
    const staged = StagedWorkspace.copy(fixture);
    try {
      session = await E2ESession.start({ workspaceFixture: staged.dir, userSettings: {} });
    } finally {
      staged.dispose();
    }
  });

  afterEach(async function () {
    this.timeout(30_000);
    if (session && this.currentTest?.state === 'failed') await artifacts.keepFailure(session, this.currentTest.fullTitle());
  });

  after(async function () {
    this.timeout(30_000);
    await session?.dispose();
  });

  it('types {{host}} and {{port}} with the keyboard and saves exactly what was typed', async function () {
    this.timeout(60_000);
    assert.ok(session, 'the code-server session did not start');
    const { page, workbench } = session;
    await workbench.openFile(fileName);
    await workbench.focusEditor();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('### Typed', { delay: 20 });
    await page.keyboard.press('Enter');
    await page.keyboard.type('CONNECT {{host}}:{{port}}', { delay: 20 });
    await page.keyboard.press('Enter');
    await page.keyboard.type('SEND text [{{host}}]', { delay: 20 });
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+S');
    const onDisk = join(session.workspace, fileName);
    const expected = '### Typed\nCONNECT {{host}}:{{port}}\nSEND text [{{host}}]';
    const deadline = Date.now() + 10_000;
    let text = readFileSync(onDisk, 'utf8');
    while (!text.includes('SEND text') && Date.now() < deadline) {
      await page.waitForTimeout(150);
      text = readFileSync(onDisk, 'utf8');
    }
    await artifacts.shot(session, 'typed');
    const typed = text.slice(text.indexOf('### Typed')).trimEnd();
    assert.equal(typed, expected);
  });
});
