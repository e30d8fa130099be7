// Issue 18 items 7 and 12 end to end: a broken preset in the workspace settings stays in the tree
// with its reason, and the warning's Open Settings opens that file at that entry without writing any
// setting; a preset's connection is labelled with the preset's name, and its payload's inline Send
// goes to it without asking. Its own code-server session, on its own workspace fixture.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { E2ESession } from './harness/session';
import { PythonPeer } from './harness/pythonPeer';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { useScenarioSession } from './harness/scenarioSession';
import { escapeRegExp } from './harness/workbench';

const fixture = join(__dirname, 'workspacePresets');
const settingsPath = join('.vscode', 'settings.json');
const artifacts = new ScenarioArtifacts('presets');

after(() => artifacts.restore());

describe('Presets in code-server (end to end)', function () {
  let echo: PythonPeer | undefined;
  let port = 0;

  before(async () => {
    const started = await PythonPeer.echoServer();
    echo = started.peer;
    port = started.port;
  });
  after(() => echo?.kill());
  const current = useScenarioSession(artifacts, () => ({
    fixture,
    stage: (staged) => staged.edit(settingsPath, (text) => text.replace('"port": 47071', `"port": ${port}`)),
  }));

  it('keeps a broken preset visible and opens its settings file at the entry, writing nothing', async function () {
    this.timeout(60_000);
    const s = current();
    const userSettings = join(s.dirs.userData, 'User', 'settings.json');
    const userBefore = existsSync(userSettings) ? readFileSync(userSettings, 'utf8') : '';
    const workspaceBefore = readFileSync(join(s.workspace, settingsPath), 'utf8');

    await s.workbench.openTcpLabView();
    await s.workbench.waitForTreeRow(/PLC.*"port" must be a whole number/, 30_000);
    await s.workbench.waitForTreeRow(/Echo device.*client 127\.0\.0\.1/);
    await artifacts.shot(s, 'broken-preset-listed');

    const toast = s.page.locator('.notification-toast').filter({ hasText: /Preset "PLC": "port" must be a whole number/ }).first();
    await toast.waitFor({ state: 'visible', timeout: 20_000 });
    await toast.getByRole('button', { name: 'Open Settings' }).click();
    // The workspace's settings file, in a text editor, with the cursor on the PLC entry.
    await s.page.locator('.tabs-container .tab.active[aria-label^="settings.json"]').waitFor({ timeout: 15_000 });
    const plcLine = workspaceBefore.split('\n').findIndex((line) => line.includes('"name": "PLC"')) ;
    assert.ok(plcLine > 0);
    const position = s.page.locator('.statusbar-item[id="status.editor.selection"]');
    await position.waitFor({ state: 'visible', timeout: 10_000 });
    // The entry's opening brace is the line above its name.
    await waitUntil(s, async () => new RegExp(`^Ln ${plcLine}, Col 5`).test((await position.textContent()) ?? ''), 'the cursor never reached the PLC entry');
    await artifacts.shot(s, 'settings-opened-at-entry');
    await s.page.waitForTimeout(1000);
    assert.equal(readFileSync(join(s.workspace, settingsPath), 'utf8'), workspaceBefore, 'the workspace settings file was changed');
    assert.equal(existsSync(userSettings) ? readFileSync(userSettings, 'utf8') : '', userBefore, 'the user settings file was changed');
  });

  it('labels what a preset started with its name, and sends its payload there without asking', async function () {
    this.timeout(60_000);
    assert.ok(echo, 'the echo server did not start');
    const s = current();
    await s.workbench.openTcpLabView();
    const presetRow = s.workbench.treeRow(/^Echo device/);
    await presetRow.hover();
    await presetRow.locator('.actions .action-label[aria-label^="Start Preset"]').click();
    const where = escapeRegExp(`127.0.0.1:${port}`);
    // In the Clients group the connection is called by the preset's name, its address beside it.
    await s.workbench.waitForTreeRow(new RegExp(`^Echo device${where}.*open`));
    await s.workbench.expandTreeRow(/^Echo device.*client 127/);
    const payloadRow = s.workbench.treeRow(/^Status/);
    await payloadRow.hover();
    await payloadRow.locator('.actions .action-label[aria-label^="Send"]').click();
    await echo.waitForBytes('STATUS?\r\n'.length);
    assert.equal(echo.received().toString(), 'STATUS?\r\n');
    assert.equal(await s.workbench.quickInputVisible(), false, 'no target picker for the preset\'s own connection');
    await s.page.locator('#workbench\\.parts\\.statusbar').filter({ hasText: /started by preset "Echo device"/ }).waitFor({ timeout: 5000 });
    await artifacts.shot(s, 'preset-payload-sent');
  });
});

async function waitUntil(session: E2ESession, check: () => Promise<boolean>, message: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(message);
    await session.page.waitForTimeout(150);
  }
}
