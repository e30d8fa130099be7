// Issue 11 end to end: a workspace opened with workspace trust ON and never trusted (Restricted
// Mode). Its listener preset does not start by itself, and a `.tcp` Send (or Send & Check) does not
// reach the Python echo server until the user confirms a modal that names the target and the file
// it reads. An agent's language-model tool call is refused there, and opens nothing.
// Its own code-server session, on its own workspace fixture.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, isPortFree } from '../../scripts/codeServer';
import { E2ESession } from './harness/session';
import { PythonPeer } from './harness/pythonPeer';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { StagedWorkspace } from './harness/stagedWorkspace';
import { invokeTool, packToolInvoker } from './harness/toolInvoker';
import { escapeRegExp } from './harness/workbench';

const fixture = join(__dirname, 'workspaceRestricted');
const presetName = 'E2E untrusted listener';
const notes = readFileSync(join(fixture, 'notes.txt'));
const artifacts = new ScenarioArtifacts('restrictedMode');

// Root level: runs after every e2e file, so a later file's reset of test-results/e2e keeps these.
after(() => artifacts.restore());

describe('Restricted Mode in code-server (end to end)', function () {
  let session: E2ESession | undefined;
  let echo: PythonPeer | undefined;
  let echoPort = 0;
  let presetPort = 0;
  const invokerOut = mkdtempSync(join(tmpdir(), 'tcp-lab-invoker-'));

  before(async function () {
    // Installing code-server on a machine that lacks it takes a few minutes; later runs reuse it.
    this.timeout(15 * 60_000);
    artifacts.reset();
    const started = await PythonPeer.echoServer();
    echo = started.peer;
    echoPort = started.port;
    presetPort = await freePort();
    const staged = StagedWorkspace.copy(fixture);
    try {
      staged.edit('send.tcp', (text) => text.replace(/^@port = \d+$/m, `@port = ${echoPort}`));
      staged.edit(join('.vscode', 'settings.json'), (text) => text.replace('"port": 47071', `"port": ${presetPort}`));
      session = await E2ESession.start({
        workspaceFixture: staged.dir,
        workspaceTrust: true,
        // No startup question: the folder simply opens untrusted, as after answering "No".
        userSettings: { 'workbench.colorTheme': 'Default Light Modern', 'security.workspace.trust.startupPrompt': 'never' },
        extraExtensions: [packToolInvoker(invokerOut)],
      });
      session.track(echo);
    } finally {
      staged.dispose();
    }
  });

  artifacts.sessionHooks(
    () => session,
    () => {
      echo?.kill();
      rmSync(invokerOut, { recursive: true, force: true });
    },
  );

  it('a workspace preset does not start by itself, nor after its confirmation is cancelled', async function () {
    this.timeout(60_000);
    assert.ok(session, 'the code-server session did not start');
    const s = session;
    // Opening the view activates the extension; its log says whether VS Code really is in Restricted Mode.
    await s.workbench.openTcpLabView();
    await waitForLog(s, /TCP Lab \S+ activated in Restricted Mode/);
    await s.workbench.waitForTreeRow(new RegExp(`${escapeRegExp(presetName)}.*Restricted Mode`), 30_000);
    // Activation is over and the preset is listed: give anything that would auto-start a moment.
    await s.page.waitForTimeout(1500);
    assert.ok(await isPortFree(presetPort), `port ${presetPort} of the preset is open although nobody started it`);
    await artifacts.shot(s, 'preset-listed-not-started');

    const presetRow = s.workbench.treeRow(new RegExp(escapeRegExp(presetName)));
    await presetRow.hover();
    await presetRow.locator('.actions .action-label[aria-label^="Start Preset"]').click();
    const dialog = await s.workbench.modal(/comes from the settings of a workspace you have not trusted/);
    await artifacts.shot(s, 'preset-confirmation');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 5000 });
    await s.page.waitForTimeout(500);
    assert.ok(await isPortFree(presetPort), `port ${presetPort} was opened although the confirmation was cancelled`);
  });

  it('a .tcp Send reaches the peer only after the modal naming its target and file is confirmed', async function () {
    this.timeout(60_000);
    assert.ok(session && echo, 'the code-server session or the echo server did not start');
    const s = session;
    const peer = echo;

    await s.workbench.openFile('send.tcp');
    const send = s.workbench.codeLensLink(/^\s*Send\s*$/);
    await send.waitFor({ state: 'visible', timeout: 30_000 });

    await send.click();
    const dialog = await s.workbench.modal(/Run "Send the notes" from a \.tcp file of a workspace you have not trusted\?/);
    const text = (await dialog.innerText()).replace(/\s+/g, ' ');
    assert.ok(text.includes(`connect to 127.0.0.1:${echoPort}`), `the confirmation does not name the target: ${text}`);
    assert.ok(text.includes('read and send the file notes.txt'), `the confirmation does not name the file: ${text}`);
    await artifacts.shot(s, 'send-confirmation');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 5000 });
    await s.workbench.waitForNotification(/Not run: this workspace is not trusted/);
    // Long enough for a connection and a send on loopback to have shown up at the peer.
    await s.page.waitForTimeout(1500);
    assert.deepEqual(peer.events.filter((e) => e.event !== 'listening'), [], 'the echo server saw a connection or bytes although the run was cancelled');
    await artifacts.shot(s, 'send-refused');

    // The same click, confirmed: now the file's bytes arrive, so the silence above was the refusal.
    await send.click();
    const again = await s.workbench.modal(/Run "Send the notes"/);
    await again.getByRole('button', { name: 'Run Once' }).click();
    assert.equal((await peer.waitForBytes(notes.length, 15_000)).toString('hex'), notes.toString('hex'));
    // Send ends by opening the connection's traffic panel; wait for it so it does not cover the next step.
    await s.page.locator('.tabs-container .tab').filter({ hasText: new RegExp(`TCP C\\d+ 127\\.0\\.0\\.1:${echoPort}`) }).first().waitFor({ timeout: 15_000 });
    await artifacts.shot(s, 'send-confirmed');
  });

  it('Send & Check (a Testing-view run) is refused when its confirmation is cancelled, and says how to trust', async function () {
    this.timeout(60_000);
    assert.ok(session && echo, 'the code-server session or the echo server did not start');
    const s = session;
    const peer = echo;
    const before = peer.events.length;

    // The confirmed Send above opened the traffic panel: back to the file's tab (a focused webview
    // may swallow the Quick Open keys).
    const fileTab = s.page.locator('.tabs-container .tab').filter({ hasText: 'send.tcp' }).first();
    await fileTab.click();
    await s.page.locator('.tabs-container .tab.active').filter({ hasText: 'send.tcp' }).first().waitFor({ timeout: 10_000 });
    const check = s.workbench.codeLensLink(/Send & Check/);
    await check.waitFor({ state: 'visible', timeout: 30_000 });
    await check.click();
    const dialog = await s.workbench.modal(/Run "Check the echo" from a \.tcp file of a workspace you have not trusted\?/);
    const text = (await dialog.innerText()).replace(/\s+/g, ' ');
    assert.ok(text.includes(`connect to 127.0.0.1:${echoPort} and send only what the .tcp file itself contains`), text);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    // The block's result is the refusal, shown on its lens.
    await s.workbench.codeLens(/Not run: this workspace is not trusted/).waitFor({ state: 'visible', timeout: 15_000 });
    await s.page.waitForTimeout(1000);
    assert.deepEqual(peer.events.slice(before), [], 'the echo server saw a connection or bytes although the run was cancelled');
    await artifacts.shot(s, 'send-and-check-refused');
  });

  it("an agent's language-model tool calls are refused: nothing listens, nothing connects", async function () {
    this.timeout(60_000);
    assert.ok(session && echo, 'the code-server session or the echo server did not start');
    const s = session;
    const peer = echo;
    const before = peer.events.length;
    const listen = await invokeTool(s, 'tcplab_listen', { port: presetPort });
    assert.equal(listen.ok, false, `the listen went ahead: ${listen.text ?? ''}`);
    assert.match(listen.error ?? '', /^TCP Lab's tools do not run in Restricted Mode: trust the workspace/);
    assert.ok(await isPortFree(presetPort), `port ${presetPort} is open although the tool was refused`);
    const connect = await invokeTool(s, 'tcplab_connect', { target: `127.0.0.1:${echoPort}` });
    assert.equal(connect.ok, false, `the connect went ahead: ${connect.text ?? ''}`);
    assert.match(connect.error ?? '', /Restricted Mode/);
    await s.page.waitForTimeout(1000);
    assert.deepEqual(peer.events.slice(before), [], 'the echo server saw a connection although the tool was refused');
    await artifacts.shot(s, 'agent-tools-refused');
  });
});

async function waitForLog(session: E2ESession, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(session.server.logText())) {
    if (Date.now() > deadline) throw new Error(`The code-server logs never showed ${String(pattern)}.`);
    await session.page.waitForTimeout(250);
  }
}
