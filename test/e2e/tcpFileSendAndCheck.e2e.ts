// Issue 7 end to end: a `.tcp` file whose block connects to a Python echo server. Its Send & Check
// CodeLens passes; with the expectation broken in the editor and saved, it fails, and the Testing
// view shows that block as failed. Its own code-server session, on its own workspace fixture.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { E2ESession } from './harness/session';
import { PythonPeer } from './harness/pythonPeer';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { StagedWorkspace } from './harness/stagedWorkspace';

const fixture = join(__dirname, 'workspaceTcpFile');
const fileName = 'echo.tcp';
const blockName = 'Echo a greeting';
const payload = 'ping from e2e\r\n';
const artifacts = new ScenarioArtifacts('tcpFileSendAndCheck');

// Root level: runs after every e2e file, so a later file's reset of test-results/e2e keeps these.
after(() => artifacts.restore());

describe('.tcp files in code-server (end to end)', function () {
  let session: E2ESession | undefined;
  let echo: PythonPeer | undefined;

  before(async function () {
    // Installing code-server on a machine that lacks it takes a few minutes; later runs reuse it.
    this.timeout(15 * 60_000);
    artifacts.reset();
    const started = await PythonPeer.echoServer();
    echo = started.peer;
    const staged = StagedWorkspace.copy(fixture);
    try {
      // The block targets {{host}}:{{port}}; the file's own variable carries this run's echo port.
      staged.edit(fileName, (text) => `${text.replace(/^@port = \d+$/m, `@port = ${started.port}`)}\n### Wait for a device\nLISTEN 127.0.0.1:0\nEXPECT within 60s text hello\n`);
      session = await E2ESession.start({ workspaceFixture: staged.dir, userSettings: { 'workbench.colorTheme': 'Default Light Modern' } });
      session.track(echo);
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
    echo?.kill();
    await session?.dispose();
  });

  it('Send & Check passes against an echo server; a broken expectation fails in the Testing view', async function () {
    this.timeout(60_000);
    assert.ok(session && echo, 'the code-server session or the echo server did not start');
    const s = session;
    const peer = echo;
    const { page, workbench } = s;

    await workbench.openFile(fileName);
    // The lens appears once the extension has activated for the tcp language and parsed the file.
    // The link itself: the lens line's wrapper also holds "Send", and a click on the wrapper's centre
    // could land on that lens instead.
    const sendAndCheck = s.workbench.codeLensLink(/Send & Check/);
    await sendAndCheck.waitFor({ state: 'visible', timeout: 30_000 });
    await artifacts.shot(s, 'tcp-file-open');

    await sendAndCheck.click();
    await s.workbench.codeLens(/Passed in \d+ ms/).waitFor({ state: 'visible', timeout: 30_000 });
    // The echo server saw exactly the block's payload, so the pass is real traffic.
    assert.equal(peer.received().toString('hex'), Buffer.from(payload).toString('hex'));
    await artifacts.shot(s, 'send-and-check-passed');

    // Break the expectation in the editor, as a user would, and save.
    const expectLine = page.locator('.editor-instance .monaco-editor .view-line', { hasText: 'EXPECT within' }).first();
    await expectLine.click();
    await page.keyboard.press('End');
    await page.keyboard.press('Shift+Home');
    await page.keyboard.type('EXPECT within 3s text pong from e2e\\r\\n');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+S');
    const onDisk = join(s.workspace, fileName);
    await waitUntil(s, () => readFileSync(onDisk, 'utf8').includes('EXPECT within 3s text pong from e2e\\r\\n'), `${fileName} was not saved with the broken expectation`);
    await artifacts.shot(s, 'expectation-broken');

    // The old result went stale with the edit, so the lens offers Send & Check again.
    await sendAndCheck.waitFor({ state: 'visible', timeout: 15_000 });
    await sendAndCheck.click();
    const failed = s.workbench.codeLens(/Failed: /);
    await failed.waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(peer.received().toString('hex'), Buffer.from(payload + payload).toString('hex'), 'the second run must send the payload again');
    await artifacts.shot(s, 'send-and-check-failed');

    await workbench.runCommand('Testing: Focus on Test Explorer View');
    const explorer = page.locator('.test-explorer .monaco-list');
    await explorer.waitFor({ state: 'visible', timeout: 15_000 });
    const fileRow = explorer.locator('.monaco-list-row', { hasText: fileName }).first();
    await fileRow.waitFor({ state: 'visible', timeout: 15_000 });
    if ((await fileRow.getAttribute('aria-expanded')) === 'false') await fileRow.locator('.monaco-tl-twistie').click();
    const blockRow = explorer.locator('.monaco-list-row', { hasText: blockName }).first();
    await blockRow.waitFor({ state: 'visible', timeout: 15_000 });
    await waitUntilAsync(s, async () => /\(Failed\)/.test((await blockRow.getAttribute('aria-label')) ?? ''), `the Testing view never marked "${blockName}" as failed`);
    assert.match((await blockRow.getAttribute('aria-label')) ?? '', new RegExp(`^${blockName}\\b.*\\(Failed\\)`));
    assert.ok((await blockRow.locator('.codicon-testing-failed-icon').count()) > 0, `"${blockName}" shows no failed icon in the Testing view`);
    await artifacts.shot(s, 'testing-view-failed');
  });

  it('a LISTEN block waiting for its client offers Cancel in the editor, and Cancel ends the run', async function () {
    this.timeout(60_000);
    assert.ok(session, 'the code-server session did not start');
    const s = session;
    await s.workbench.runCommand('View: Close All Editors', 10_000);
    await s.workbench.openFile(fileName);
    // The second block's lens: it listens and waits up to 60 s for a client that never comes.
    const lenses = s.page.locator('.editor-instance .codelens-decoration a').filter({ hasText: /Send & Check/ });
    await lenses.nth(1).waitFor({ state: 'visible', timeout: 30_000 });
    await lenses.nth(1).click();
    const cancel = s.workbench.codeLensLink(/Cancel/);
    await cancel.waitFor({ state: 'visible', timeout: 15_000 });
    await artifacts.shot(s, 'listen-block-waiting');
    const started = Date.now();
    await cancel.click();
    await cancel.waitFor({ state: 'detached', timeout: 15_000 });
    assert.ok(Date.now() - started < 15_000, 'the run ended on Cancel, long before its 60 s timeout');
    await lenses.nth(1).waitFor({ state: 'visible', timeout: 15_000 });
    await artifacts.shot(s, 'listen-block-cancelled');
  });
});

async function waitUntil(session: E2ESession, check: () => boolean, message: string, timeoutMs = 10_000): Promise<void> {
  await waitUntilAsync(session, () => Promise.resolve(check()), message, timeoutMs);
}

async function waitUntilAsync(session: E2ESession, check: () => Promise<boolean>, message: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(message);
    await session.page.waitForTimeout(150);
  }
}
