// TCP Lab end to end: the packaged .vsix in a real VS Code (code-server), driven through headless
// chromium like a user, against independent Python peers. One code-server for the whole file keeps
// the run to a few minutes on two cores; every scenario closes what it opened.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { E2ESession, resetResultsDir } from './harness/session';
import { PythonPeer } from './harness/pythonPeer';
import { escapeRegExp } from './harness/workbench';

const workspaceFixture = join(__dirname, 'workspace');
const host = '127.0.0.1';

describe('TCP Lab in code-server (end to end)', function () {
  let session: E2ESession | undefined;

  before(async function () {
    // Installing code-server on a machine that lacks it takes a few minutes; later runs reuse it.
    this.timeout(15 * 60_000);
    resetResultsDir();
    session = await E2ESession.start({ workspaceFixture, userSettings: { 'workbench.colorTheme': 'Default Light Modern' } });
  });

  /** Set by a scenario whose connection and panel the next scenario continues with. */
  let keepStateForNext = false;
  /** Set once the extension's view showed up; without it every scenario would only time out. */
  let extensionLoaded = false;

  beforeEach(function () {
    if (this.currentTest?.title.startsWith('loads the packaged extension')) return;
    if (!extensionLoaded) throw new Error('The extension never showed its TCP Lab view (see the first failure); the scenarios cannot run.');
  });

  afterEach(async function () {
    this.timeout(60_000);
    const failed = this.currentTest?.state === 'failed';
    if (failed) await session?.keepFailureArtifacts(this.currentTest?.fullTitle() ?? 'unknown');
    if (keepStateForNext && !failed) {
      keepStateForNext = false;
      return;
    }
    keepStateForNext = false;
    // Every scenario starts from a workbench with nothing open, whatever the previous one left.
    session?.killPeers();
    if (session) await resetWorkbench().catch((err: unknown) => console.error(`reset after "${this.currentTest?.title}" failed: ${String(err)}`));
  });

  after(async function () {
    this.timeout(30_000);
    await session?.dispose();
  });

  function current(): E2ESession {
    assert.ok(session, 'the code-server session did not start');
    return session;
  }

  // ---- steps a user takes, shared by the scenarios ---------------------------------------------

  /** Closes every listener and connection (TCP: Stop All), forgets the history, closes editors and notifications. */
  async function resetWorkbench(): Promise<void> {
    const { workbench } = current();
    await workbench.page.keyboard.press('Escape');
    const rows = async () => await workbench.treeRows();
    const anyOpen = async () => (await rows()).some((row) => /listening|open|↓/.test(row) && !/closed by|reset \(RST\)|timed out|stopped/.test(row));
    if (await anyOpen()) {
      try {
        await workbench.runCommand('TCP: Stop All', 10_000);
      } catch (err) {
        // The palette offers Stop All only while something is open: a row seen a moment ago may have been closing.
        if (await anyOpen()) throw err;
      }
    }
    if ((await rows()).some((row) => /listening ·|stopped|↓\d/.test(row))) {
      // Closed connections and stopped listeners stay in the history until it is cleared.
      await workbench.runCommand('TCP: Clear History', 15_000);
      await workbench.waitForNoTreeRow(/listening ·|stopped|↓\d/);
    }
    await workbench.runCommand('View: Close All Editors', 10_000);
    await workbench.clearNotifications();
  }

  /** Opens the traffic panel of a tree row through its inline action, returns the panel document. */
  async function openPanelFromTree(row: RegExp): Promise<FrameLocator> {
    const { workbench, page } = current();
    const treeRow = workbench.treeRow(row);
    await treeRow.hover();
    await treeRow.locator('.actions .action-label[aria-label^="Open Traffic Panel"]').click();
    const panel = workbench.webview();
    await panel.locator('.log').waitFor({ timeout: 15_000 });
    await page.waitForTimeout(300);
    return panel;
  }

  function logRows(panel: FrameLocator, dir: 'in' | 'out'): Promise<string[]> {
    return panel.locator(`.log .row.${dir} .content`).allTextContents();
  }

  async function waitForLogRow(panel: FrameLocator, dir: 'in' | 'out', pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await logRows(panel, dir);
      const match = rows.find((row) => pattern.test(row));
      if (match !== undefined) return match;
      if (Date.now() > deadline) throw new Error(`The traffic log has no ${dir} row matching ${String(pattern)}; ${dir} rows: ${JSON.stringify(rows)}`);
      await current().page.waitForTimeout(200);
    }
  }

  async function setViewMode(panel: FrameLocator, mode: 'Text' | 'Hex' | 'Dump'): Promise<void> {
    await panel.locator('[role="radiogroup"][aria-label="View mode"]').getByRole('radio', { name: mode, exact: true }).click();
  }

  /** Types a payload into the panel's send box in the given format and presses Send. */
  async function sendFromPanel(panel: FrameLocator, format: 'Text' | 'Hex', payload: string, lineEnding: 'none' | 'crlf' = 'none'): Promise<void> {
    await panel.locator('[role="radiogroup"][aria-label="Payload format"]').getByRole('radio', { name: format, exact: true }).click();
    await panel.locator('select[aria-label="Line ending"]').selectOption(lineEnding);
    await panel.locator('textarea[aria-label="Payload to send"]').fill(payload);
    const send = panel.getByRole('button', { name: 'Send', exact: true });
    await assertEventually(async () => !(await send.isDisabled()), 'the panel’s Send button never became enabled');
    await send.click();
  }

  async function assertEventually(check: () => Promise<boolean>, message: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(message);
      await current().page.waitForTimeout(150);
    }
  }

  /** Waits a moment and proves the peer got nothing more than `expected`. */
  async function assertPeerReceivedExactly(peer: PythonPeer, expected: Buffer): Promise<void> {
    const received = await peer.waitForBytes(expected.length);
    await current().page.waitForTimeout(400);
    assert.equal(peer.received().toString('hex'), expected.toString('hex'));
    assert.equal(received.subarray(0, expected.length).toString('hex'), expected.toString('hex'));
  }

  // ---- the scenarios -------------------------------------------------------------------------

  it('loads the packaged extension and shows the TCP Lab view', async () => {
    const s = current();
    await s.shot('workbench-ready');
    await s.workbench.openTcpLabView();
    await s.shot('tcp-lab-view');
    s.assertExtensionHealthy();
    extensionLoaded = true;
  });

  // Scenarios 1b and 2 continue on 1a's listener and client; 3b on 3a's connection.
  let client: PythonPeer | undefined;
  let clientPort = 0;
  let panel: FrameLocator | undefined;

  it('1a. Start Listener on port 0 shows the bound port; a Python client’s bytes show in the tree', async () => {
    const s = current();
    const port = await current().workbench.startListenerOnAnyPort();
    assert.ok(port > 0 && port < 65536);
    await s.workbench.openTcpLabView();
    await s.workbench.waitForTreeRow(new RegExp(`${escapeRegExp(`${host}:${port}`)}.*listening`));
    await s.shot('listener-started');

    client = s.track(await PythonPeer.connect(host, port));
    clientPort = client.events[0].localPort ?? 0;
    await s.workbench.expandTreeRow(new RegExp(`${escapeRegExp(`${host}:${port}`)}.*listening · 1 client`));
    client.send(Buffer.from('hello\r\n'));
    await s.workbench.waitForTreeRow(new RegExp(`${host}:${clientPort}.*↓7 B`));
    // Sent only after the first chunk was counted, so the two stay separate records.
    client.send(Buffer.from([0x00, 0xff, 0x7f, 0x80]));
    const row = await s.workbench.waitForTreeRow(new RegExp(`${host}:${clientPort}.*↓11 B ↑0 B`));
    assert.match(row, /↓11 B ↑0 B/);
    await s.shot('client-connected-tree');
    keepStateForNext = true;
  });

  it('1b. the traffic panel shows the client’s text with a visible \\r\\n, and 00 FF 7F 80 in Hex mode', async () => {
    const s = current();
    assert.ok(client, 'scenario 1a did not leave a connected client');
    panel = await openPanelFromTree(new RegExp(`${host}:${clientPort}`));
    await setViewMode(panel, 'Text');
    await waitForLogRow(panel, 'in', /^hello\\r\\n$/);
    await s.shot('panel-text');
    await setViewMode(panel, 'Hex');
    await waitForLogRow(panel, 'in', /^00 ff 7f 80$/i);
    await s.shot('panel-hex');
    keepStateForNext = true;
  });

  it('2. the panel sends hex DE AD BE EF and CRLF text as exactly those bytes, and refuses hex GZ', async () => {
    const s = current();
    assert.ok(client && panel, 'scenario 1b did not leave a connected client and an open panel');
    await sendFromPanel(panel, 'Hex', 'DE AD BE EF');
    await assertPeerReceivedExactly(client, Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    await waitForLogRow(panel, 'out', /^de ad be ef$/i);
    await s.shot('panel-sent-hex');

    await sendFromPanel(panel, 'Text', 'status?', 'crlf');
    await assertPeerReceivedExactly(client, Buffer.concat([Buffer.from([0xde, 0xad, 0xbe, 0xef]), Buffer.from('status?\r\n')]));
    await s.shot('panel-sent-text-crlf');

    // Invalid hex in the panel: a sentence with the position under the box, and Send stays off.
    await panel.locator('[role="radiogroup"][aria-label="Payload format"]').getByRole('radio', { name: 'Hex', exact: true }).click();
    await panel.locator('textarea[aria-label="Payload to send"]').fill('GZ');
    await assertEventually(async () => /position/i.test((await panel?.locator('#send-error').textContent()) ?? ''), 'the panel shows no error for hex "GZ"');
    assert.ok(await panel.getByRole('button', { name: 'Send', exact: true }).isDisabled(), 'Send must stay disabled for invalid hex');
    await panel.locator('textarea[aria-label="Payload to send"]').press('Control+Enter');
    await s.page.waitForTimeout(400);
    assert.equal(client.received().length, 4 + 9, 'invalid hex must send nothing');
    await s.shot('panel-bad-hex');
  });

  let echo: PythonPeer | undefined;
  let echoPort = 0;

  it('3a. Connect… to a Python echo server; Send Text…; the echo is counted as received', async () => {
    const s = current();
    const started = await PythonPeer.echoServer();
    echo = s.track(started.peer);
    echoPort = started.port;
    const target = escapeRegExp(`${host}:${echoPort}`);
    await s.workbench.runCommand('TCP: Connect…');
    await s.workbench.waitForPrompt(/Connect/);
    await s.workbench.type(`${host}:${echoPort}`);
    await s.workbench.pick(new RegExp(`Connect to ${target}`));
    await s.workbench.waitForNotification(new RegExp(`Connected to ${target}`));
    await s.workbench.openTcpLabView();
    await s.workbench.waitForTreeRow(new RegExp(`${target}.*open`));
    await s.shot('client-connected');

    // The only connection open: Send Text… asks no target and names it in its title.
    await s.workbench.runCommand('TCP: Send Text…');
    await s.workbench.waitForPrompt(new RegExp(`Send Text to connection to ${target}.*Text to send`));
    await s.workbench.answer('echo me');
    await echo.waitForBytes(7);
    assert.equal(echo.received().toString('utf8'), 'echo me');
    await s.workbench.waitForTreeRow(new RegExp(`${target}.*↓7 B ↑7 B`));
    await s.shot('echo-counted');
    keepStateForNext = true;
  });

  it('3b. the echo appears as received in the connection’s traffic panel', async () => {
    const s = current();
    assert.ok(echo, 'scenario 3a did not leave a connection to the echo server');
    const connectionPanel = await openPanelFromTree(new RegExp(escapeRegExp(`${host}:${echoPort}`)));
    await setViewMode(connectionPanel, 'Text');
    await waitForLogRow(connectionPanel, 'out', /^echo me$/);
    await waitForLogRow(connectionPanel, 'in', /^echo me$/);
    await sendFromPanel(connectionPanel, 'Text', 'and again');
    await waitForLogRow(connectionPanel, 'in', /^and again$/);
    assert.equal(echo.received().toString('utf8'), 'echo meand again');
    await s.shot('echo-received-panel');
  });

  it('4. Save as Preset writes .vscode/settings.json; after a reload Start Preset… starts it', async function () {
    this.timeout(180_000);
    const s = current();
    const port = await current().workbench.startListenerOnAnyPort();
    await current().workbench.runOnTarget('TCP: Save as Preset', new RegExp(escapeRegExp(`${host}:${port}`)));
    await s.workbench.waitForPrompt(/Preset name/);
    await s.workbench.answer('E2E listener');
    await s.workbench.waitForNotification(/Saved preset "E2E listener" in workspace settings/);
    const settings = readJsonc(join(s.workspace, '.vscode', 'settings.json')) as { 'tcpLab.presets'?: unknown[] };
    assert.deepEqual(
      settings['tcpLab.presets']?.find((p) => (p as { name?: string }).name === 'E2E listener'),
      { name: 'E2E listener', kind: 'listener', host, port },
    );
    await s.shot('preset-saved');
    await resetWorkbench();

    await s.reloadWindow();
    await s.workbench.openTcpLabView();
    await s.workbench.waitForTreeRow(/E2E listener.*listener 127\.0\.0\.1/, 20_000);
    await s.shot('preset-listed-after-reload');

    await s.workbench.runCommand('TCP: Start Preset…');
    await s.workbench.waitForPrompt(/Choose a preset/);
    await s.workbench.pick(/E2E listener/);
    await s.workbench.waitForNotification(new RegExp(`Listening on ${escapeRegExp(`${host}:${port}`)}`));
    const client = s.track(await PythonPeer.connect(host, port));
    await s.workbench.expandTreeRow(new RegExp(`${escapeRegExp(`${host}:${port}`)}.*1 client`));
    await s.workbench.waitForTreeRow(new RegExp(`${host}:${client.events[0].localPort ?? 0}`));
    await s.shot('preset-started');
  });

  it('5. bad input gets one clear sentence; nothing is sent and nothing is left open', async function () {
    this.timeout(180_000);
    const s = current();
    const { workbench } = s;

    // Out-of-range and non-numeric ports are refused while typing, naming the input.
    await workbench.runCommand('TCP: Start Listener');
    await workbench.waitForPrompt(/Start Listener/);
    await workbench.type('70000');
    await workbench.waitForPrompt(/70000/);
    assert.match(await workbench.promptText(), /70000.*(65535|range|valid)/i);
    await s.shot('bad-port-70000');
    await workbench.page.keyboard.press('Enter');
    assert.ok(await workbench.quickInputVisible(), 'Enter on an invalid port must keep the prompt open');
    await workbench.type('abc');
    await workbench.waitForPrompt(/abc/);
    await s.shot('bad-port-abc');
    await workbench.page.keyboard.press('Escape');
    await workbench.openTcpLabView();
    await workbench.waitForNoTreeRow(/listening ·/, 2000);

    // Invalid hex is refused with its position; the connected peer receives nothing.
    const port = await current().workbench.startListenerOnAnyPort();
    const client = s.track(await PythonPeer.connect(host, port));
    const clientPort = client.events[0].localPort ?? 0;
    await workbench.expandTreeRow(new RegExp(`${escapeRegExp(`${host}:${port}`)}.*1 client`));
    await workbench.waitForTreeRow(new RegExp(`${host}:${clientPort}`));
    await current().workbench.runOnTarget('TCP: Send Hex…', new RegExp(`${host}:${clientPort}`));
    await workbench.waitForPrompt(/Hex bytes/);
    await workbench.type('GZ');
    await workbench.waitForPrompt(/position|GZ|"G"/i);
    await s.shot('bad-hex-gz');
    await workbench.page.keyboard.press('Enter');
    await workbench.page.waitForTimeout(500);
    await workbench.page.keyboard.press('Escape');
    await workbench.page.waitForTimeout(500);
    assert.equal(client.received().length, 0, 'invalid hex must send nothing');
    assert.ok(!client.events.some((e) => e.event === 'closed'), 'invalid hex must not close the connection');
    client.kill();
    await resetWorkbench();

    // A port already in use: one error sentence naming the port, and no listener left behind.
    const { peer: holder, port: busyPort } = await PythonPeer.echoServer();
    s.track(holder);
    try {
      await workbench.runCommand('TCP: Start Listener');
      await workbench.waitForPrompt(/Start Listener/);
      await workbench.answer(String(busyPort));
      const error = await workbench.waitForNotification(new RegExp(`${busyPort}`));
      assert.match(error, /in use|already/i);
      assert.ok(!/\n\s+at /.test(error), `the message must not be a stack trace: ${error}`);
      await s.shot('port-in-use');
      await workbench.waitForNoTreeRow(new RegExp(`${host}:${busyPort}.*listening`), 2000);
    } finally {
      holder.kill();
    }
  });

  it('6. Send Selection sends exactly the selected editor text', async () => {
    const s = current();
    const { workbench, page } = s;
    const port = await current().workbench.startListenerOnAnyPort();
    const client = s.track(await PythonPeer.connect(host, port));
    const clientPort = client.events[0].localPort ?? 0;
    await workbench.expandTreeRow(new RegExp(`${escapeRegExp(`${host}:${port}`)}.*1 client`));
    await workbench.waitForTreeRow(new RegExp(`${host}:${clientPort}`));

    await workbench.openFile('message.txt');
    await workbench.focusEditor();
    // Line 2 is "SELECTED: grüße 42": go there, then select to the end of the line.
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await s.shot('selection');
    await workbench.runCommand('TCP: Send Selection');
    // Two things are open (the listener and its client): the command asks which; pick the client.
    await workbench.waitForPrompt(/Choose a listener or connection/);
    await workbench.pick(new RegExp(`${host}:${clientPort}`));
    await assertPeerReceivedExactly(client, Buffer.from('SELECTED: grüße 42', 'utf8'));
    await s.shot('selection-sent');
  });

  it('7. Stop Listener closes its connections and the peers see the close', async () => {
    const s = current();
    const { workbench } = s;
    const port = await current().workbench.startListenerOnAnyPort();
    const first = s.track(await PythonPeer.connect(host, port));
    const second = s.track(await PythonPeer.connect(host, port));
    await workbench.waitForTreeRow(/listening · 2 clients/);
    await s.shot('two-clients');

    await current().workbench.runOnTarget('TCP: Stop Listener', new RegExp(escapeRegExp(`${host}:${port}`)));
    await first.waitFor((e) => e.event === 'closed');
    await second.waitFor((e) => e.event === 'closed');
    // The listener and its two clients stay in the history, stopped and closed by us.
    await workbench.waitForTreeRow(new RegExp(`${escapeRegExp(`${host}:${port}`)}(?!\\d).*stopped .* · no clients · 2 closed`));
    await s.shot('listener-stopped');
    // Nothing listens on the port any more.
    await assert.rejects(PythonPeer.connect(host, port), /refused/i);
  });
});

/** Reads VS Code's settings.json, which may hold comments and trailing commas. */
function readJsonc(path: string): unknown {
  const text = readFileSync(path, 'utf8')
    .replace(/("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (_, quoted: string | undefined) => quoted ?? '')
    .replace(/,(\s*[}\]])/g, '$1');
  return JSON.parse(text);
}
