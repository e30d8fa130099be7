// Issue 15 end to end, in one code-server session: the walkthrough opens from Help's "Open
// Walkthrough…" and its first step completes when its link is used; Send Block at Cursor
// (Ctrl+Alt+R) sends the block under the cursor to a Python echo server; the outline, go to
// definition and // comments work in a .tcp editor; and another extension uses TCP Lab's public
// API from getExtension(...).exports, its sockets showing in TCP Lab's tree and panel.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packApiClient, runApiStep } from './harness/apiClient';
import { PythonPeer } from './harness/pythonPeer';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { useScenarioSession } from './harness/scenarioSession';

const fixture = join(__dirname, 'workspaceTcpEditing');
const fileName = 'device.tcp';
const artifacts = new ScenarioArtifacts('tcpEditing');

// Root level: runs after every e2e file, so a later file's reset of test-results/e2e keeps these.
after(() => artifacts.restore());

describe('.tcp editing, the walkthrough and the public API in code-server (end to end)', function () {
  let echo: PythonPeer | undefined;
  let echoPort = 0;
  let clientOut: string | undefined;

  before(async () => {
    const started = await PythonPeer.echoServer();
    echo = started.peer;
    echoPort = started.port;
  });
  after(() => {
    echo?.kill();
    if (clientOut) rmSync(clientOut, { recursive: true, force: true });
  });
  const current = useScenarioSession(artifacts, () => {
    clientOut = mkdtempSync(join(tmpdir(), 'tcp-lab-api-client-'));
    return {
      fixture,
      stage: (staged) => staged.edit(fileName, (text) => text.replace('@port = 7000', `@port = ${echoPort}`)),
      extraExtensions: () => [packApiClient(clientOut as string)],
    };
  });

  it('opens the walkthrough from the palette; Start Listener checks off its first step, a Python client connecting the second', async function () {
    this.timeout(90_000);
    const s = current();
    const { page, workbench } = s;
    await workbench.runCommand('Welcome: Open Walkthrough...');
    await workbench.pick('Get Started with TCP Lab');
    const steps = page.locator('button.getting-started-step[data-step-id*="#tcpLab.gettingStarted#"]');
    await steps.first().waitFor({ state: 'visible', timeout: 20_000 });
    const ids = await steps.evaluateAll((buttons) => buttons.map((b) => (b.getAttribute('data-step-id') ?? '').split('#').pop()));
    assert.deepEqual(ids, ['startListener', 'connect', 'sendHex', 'savePreset', 'runTcpFile']);
    assert.ok((await page.locator('.gettingStartedContainer').textContent())?.includes('Get Started with TCP Lab'));
    const first = page.locator('button.getting-started-step[data-step-id$="#startListener"]');
    assert.equal(await first.getAttribute('aria-checked'), 'false');
    await artifacts.shot(s, 'walkthrough-open');

    await first.click();
    const link = page.locator('.getting-started-step.expanded .step-description-container').getByText('Start Listener', { exact: true });
    await link.waitFor({ state: 'visible', timeout: 10_000 });
    await workbench.clearNotifications();
    await link.click();
    await workbench.waitForPrompt(/Start Listener/);
    await workbench.answer('0');
    const listening = await workbench.waitForNotification(/Listening on 127\.0\.0\.1:\d+/);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(listening)?.[1]);
    const checkedOff = async (step: string, why: string): Promise<void> => {
      const button = page.locator(`button.getting-started-step[data-step-id$="#${step}"]`);
      const deadline = Date.now() + 15_000;
      while ((await button.getAttribute('aria-checked')) !== 'true') {
        if (Date.now() > deadline) throw new Error(`The walkthrough never checked off "${step}" after ${why}`);
        await page.waitForTimeout(200);
      }
    };
    // The completion event (onCommand:tcpLab.startListener) checks the step off.
    await checkedOff('startListener', 'its command ran');
    await artifacts.shot(s, 'walkthrough-step-done');

    // "Connect" completes on any open connection (onContext:tcpLab.hasConnections): here a Python client's.
    const connectStep = page.locator('button.getting-started-step[data-step-id$="#connect"]');
    assert.equal(await connectStep.getAttribute('aria-checked'), 'false');
    const client = await PythonPeer.connect('127.0.0.1', port);
    try {
      await checkedOff('connect', 'a Python client connected to the listener');
    } finally {
      client.kill();
    }
    await artifacts.shot(s, 'walkthrough-connect-done');
  });

  it('Send Block at Cursor (Ctrl+Alt+R) sends only the block under the cursor to a Python echo server', async function () {
    this.timeout(60_000);
    const s = current();
    const { page, workbench } = s;
    const peer = echo as PythonPeer;
    await workbench.runCommand('View: Close All Editors', 10_000);
    await workbench.openFile(fileName);
    // Code lenses mean the extension parsed the file: the keybinding's command is registered by then.
    await workbench.codeLensLink(/Send/).waitFor({ state: 'visible', timeout: 30_000 });
    const before = peer.received().length;
    await page.locator('.editor-instance .monaco-editor .view-line', { hasText: 'second block at the cursor' }).first().click();
    await page.keyboard.press('Control+Alt+R');
    const expected = 'second block at the cursor\n';
    const got = await peer.waitForBytes(before + expected.length, 15_000);
    assert.equal(got.subarray(before).toString('latin1'), expected, 'exactly the second block’s payload, not the first’s');
    // Send shows the connection's traffic panel, with the echo coming back.
    const panel = workbench.webview();
    await panel.locator('.log').waitFor({ timeout: 20_000 });
    await workbench.waitForPanelText(panel, '.log .row.out .content', /second block at the cursor/);
    await workbench.waitForPanelText(panel, '.log .row.in .content', /second block at the cursor/);
    await artifacts.shot(s, 'send-block-at-cursor');
  });

  it('shows the blocks in Go to Symbol, goes to @port, an environment entry and a preset, and toggles // comments', async function () {
    this.timeout(60_000);
    const s = current();
    const { page, workbench } = s;
    await workbench.runCommand('View: Close All Editors', 10_000);
    await workbench.openFile(fileName);
    await workbench.codeLensLink(/Send/).waitFor({ state: 'visible', timeout: 30_000 });

    await workbench.focusEditor();
    await page.keyboard.press('Control+Shift+O');
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    await rows.filter({ hasText: 'Second block' }).first().waitFor({ state: 'visible', timeout: 10_000 });
    const labels = (await rows.locator('.label-name').allTextContents()).map((t) => t.trim());
    for (const name of ['@host', '@port', 'First block', 'Second block', 'Names from the settings (never sent by this test)']) assert.ok(labels.includes(name), `Go to Symbol lists ${name}: ${JSON.stringify(labels)}`);
    await artifacts.shot(s, 'outline');
    await page.keyboard.press('Escape');

    // F12 on {{port}} in the second block's CONNECT line lands on line 3, `@port = …`.
    const connect = page.locator('.editor-instance .monaco-editor .view-line', { hasText: 'CONNECT' }).last();
    await connect.locator('span', { hasText: /^port$/ }).last().click();
    await page.keyboard.press('F12');
    const selection = page.locator('.statusbar-item[id="status.editor.selection"]');
    const deadline = Date.now() + 10_000;
    while (!/Ln 3,/.test((await selection.textContent()) ?? '')) {
      if (Date.now() > deadline) throw new Error(`Go to definition did not reach line 3; the status bar says "${await selection.textContent()}"`);
      await page.waitForTimeout(150);
    }
    await artifacts.shot(s, 'go-to-definition');

    // F12 on {{greeting}} opens the workspace settings at its tcpLab.environments entry (line 5), and
    // F12 on a PRESET line's name at that preset's entry (line 9).
    const settingsTab = page.locator('.tabs-container .tab[aria-label^="settings.json"]');
    const goFrom = async (line: string, word: RegExp, expectedLine: number): Promise<void> => {
      await page.locator('.tabs-container .tab[aria-label^="device.tcp"]').first().click();
      await page.locator('.editor-instance .monaco-editor .view-line', { hasText: line }).last().locator('span', { hasText: word }).last().click();
      await page.keyboard.press('F12');
      await settingsTab.first().waitFor({ state: 'visible', timeout: 10_000 });
      const by = Date.now() + 10_000;
      while (!new RegExp(`Ln ${expectedLine},`).test((await selection.textContent()) ?? '')) {
        if (Date.now() > by) throw new Error(`F12 did not reach line ${expectedLine} of settings.json; the status bar says "${await selection.textContent()}"`);
        await page.waitForTimeout(150);
      }
    };
    await goFrom('{{greeting}}', /^greeting$/, 5);
    await artifacts.shot(s, 'go-to-environment-entry');
    await goFrom('PRESET', /Bench/, 9);
    await artifacts.shot(s, 'go-to-preset-entry');
    await page.locator('.tabs-container .tab[aria-label^="device.tcp"]').first().click();

    // Toggle Line Comment uses the language configuration's lineComment.
    await page.locator('.editor-instance .monaco-editor .view-line', { hasText: 'SEND text first block' }).first().click();
    await page.keyboard.press('Control+/');
    // Monaco renders spaces as no-break spaces and may split a line into spans: compare the plain text.
    const lineTexts = async (): Promise<string[]> =>
      (await page.locator('.editor-instance .monaco-editor .view-line').allTextContents()).map((t) => t.replace(/\u00a0/g, ' ').replace(/[\u200b-\u200d]/g, ''));
    const commentedBy = Date.now() + 10_000;
    while (!(await lineTexts()).some((t) => t.startsWith('// SEND text first block'))) {
      if (Date.now() > commentedBy) throw new Error(`Toggle Line Comment did not write //; the lines are ${JSON.stringify(await lineTexts())}`);
      await page.waitForTimeout(150);
    }
    await artifacts.shot(s, 'line-comment');
    await page.keyboard.press('Control+Z');
  });

  it('another extension uses the API from getExtension(...).exports: its sockets show in the tree and the panel', async function () {
    this.timeout(90_000);
    const s = current();
    const { workbench } = s;
    const peer = echo as PythonPeer;
    const text = 'hello through the API\n';
    // Only the panel showTraffic opens may be on screen, so the newest webview is that one.
    await workbench.runCommand('View: Close All Editors', 10_000);
    const before = peer.received().length;
    type Opened = { apiVersion: number; listener: { id: string; host: string; port: number }; connection: { id: string; role: string; state: string; remotePort: number }; echoed: string; connections: string[]; listeners: string[] };
    const opened = await runApiStep<Opened>(s, { step: 'open', echoPort, text });
    assert.ok(opened.ok && opened.result, `the API client failed: ${opened.error ?? ''}`);
    const r = opened.result;
    assert.equal(r.apiVersion, 1);
    assert.equal(r.listener.host, '127.0.0.1');
    assert.ok(r.listener.port > 0);
    assert.deepEqual([r.connection.role, r.connection.state, r.connection.remotePort], ['client', 'open', echoPort]);
    assert.equal(r.echoed, text);
    assert.ok(r.connections.includes(r.connection.id) && r.listeners.includes(r.listener.id));
    assert.equal((await peer.waitForBytes(before + text.length)).subarray(before).toString('latin1'), text, 'the echo server got the API’s bytes');

    // showTraffic opened TCP Lab's panel on that connection; the tree lists both sockets.
    const panel = workbench.webview();
    await panel.locator('.log').waitFor({ timeout: 20_000 });
    await workbench.waitForPanelText(panel, '.log .row.out .content', /hello through the API/);
    await workbench.waitForPanelText(panel, '.log .row.in .content', /hello through the API/);
    await workbench.openTcpLabView();
    await workbench.waitForTreeRow(new RegExp(`127\\.0\\.0\\.1:${r.listener.port}`));
    await workbench.waitForTreeRow(new RegExp(`127\\.0\\.0\\.1:${echoPort}`));
    await artifacts.shot(s, 'api-sockets-in-tree');

    const closed = await runApiStep<{ closed: { id: string; reason: string }; listeners: string[]; connections: string[] }>(s, { step: 'close' });
    assert.ok(closed.ok && closed.result, `closing failed: ${closed.error ?? ''}`);
    assert.deepEqual([closed.result.closed.id, closed.result.closed.reason], [r.connection.id, 'local']);
    assert.ok(!closed.result.listeners.includes(r.listener.id) && !closed.result.connections.includes(r.connection.id));

    type Report = { opened: { id: string; role: string }[]; closed: { id: string; reason: string }[]; traffic: { id: string; seq: number; direction: string; text: string }[] };
    const report = await runApiStep<Report>(s, { step: 'report' });
    assert.ok(report.ok && report.result, report.error);
    assert.ok(report.result.opened.some((o) => o.id === r.connection.id && o.role === 'client'), JSON.stringify(report.result.opened));
    assert.ok(report.result.closed.some((c) => c.id === r.connection.id && c.reason === 'local'), JSON.stringify(report.result.closed));
    const own = report.result.traffic.filter((t) => t.id === r.connection.id);
    assert.equal(own.filter((t) => t.direction === 'out').map((t) => t.text).join(''), text);
    assert.equal(own.filter((t) => t.direction === 'in').map((t) => t.text).join(''), text);
    assert.deepEqual(own.map((t) => t.seq), own.map((_, i) => i + 1));
  });
});
