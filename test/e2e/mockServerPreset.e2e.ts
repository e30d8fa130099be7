// Issue 6 end to end: a listener preset with framing and two auto-reply rules, checked into the
// workspace's .vscode/settings.json, is started from the Connections tree and answers an independent
// Python client byte for byte. Its own code-server session, on its own workspace fixture.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { freePort } from '../../scripts/codeServer';
import { E2ESession } from './harness/session';
import { PythonPeer } from './harness/pythonPeer';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { StagedWorkspace } from './harness/stagedWorkspace';
import { escapeRegExp } from './harness/workbench';

const fixture = join(__dirname, 'workspaceMock');
const host = '127.0.0.1';
const presetName = 'E2E mock server';
const artifacts = new ScenarioArtifacts('mockServerPreset');

// Root level: runs after every e2e file, so a later file's reset of test-results/e2e keeps these.
after(() => artifacts.restore());

describe('Mock-server preset in code-server (end to end)', function () {
  let session: E2ESession | undefined;
  let port = 0;

  before(async function () {
    // Installing code-server on a machine that lacks it takes a few minutes; later runs reuse it.
    this.timeout(15 * 60_000);
    artifacts.reset();
    port = await freePort();
    const staged = StagedWorkspace.copy(fixture);
    try {
      staged.edit(join('.vscode', 'settings.json'), (text) => text.replace('"port": 47070', `"port": ${port}`));
      session = await E2ESession.start({ workspaceFixture: staged.dir, userSettings: { 'workbench.colorTheme': 'Default Light Modern' } });
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

  it('a listener preset with two rules, started from the tree, answers a Python client byte-exactly', async function () {
    this.timeout(60_000);
    assert.ok(session, 'the code-server session did not start');
    const s = session;
    const where = escapeRegExp(`${host}:${port}`);

    await s.workbench.openTcpLabView();
    await s.workbench.waitForTreeRow(new RegExp(`${escapeRegExp(presetName)}.*listener ${where}`), 30_000);
    await s.workbench.waitForNoTreeRow(/listening ·/, 1000);
    await artifacts.shot(s, 'preset-listed');

    // The preset row's inline Start action (tcpLab.startPreset with the row as argument).
    const presetRow = s.workbench.treeRow(new RegExp(escapeRegExp(presetName)));
    await presetRow.hover();
    await presetRow.locator('.actions .action-label[aria-label^="Start Preset"]').click();
    await s.workbench.waitForNotification(new RegExp(`Listening on ${where}`));
    await s.workbench.waitForTreeRow(new RegExp(`${where}.*listening`));
    await artifacts.shot(s, 'preset-started');

    const client = s.track(await PythonPeer.connect(host, port));
    const clientPort = client.events[0].localPort ?? 0;

    // Rule "ping" (regex with a named capture) on CRLF frames. The first frame arrives in two
    // writes, and its second half shares a write with the next frame: framing must restore both.
    const pingRequests = [Buffer.from('PI'), Buffer.from('NG 7\r\nPING 42\r\n')];
    client.send(pingRequests[0]);
    await client.waitFor((e) => e.event === 'sent');
    await s.page.waitForTimeout(150);
    client.send(pingRequests[1]);
    const pongs = Buffer.from('PONG 7\r\nPONG 42\r\n');
    assert.equal((await client.waitForBytes(pongs.length)).toString('hex'), pongs.toString('hex'));

    // A frame no rule matches gets no answer (echo is off); rule "status" answers a hex prefix in hex.
    const unmatched = Buffer.from('HELLO\r\n');
    const statusRequest = Buffer.from([0x02, 0x3f, 0x0d, 0x0a]);
    client.send(unmatched);
    client.send(statusRequest);
    const statusReply = Buffer.from([0x02, 0x4f, 0x4b, 0x03, 0x0d, 0x0a]);
    const expected = Buffer.concat([pongs, statusReply]);
    await client.waitForBytes(expected.length);
    // A moment more proves nothing else (no echo of HELLO, no duplicate reply) follows.
    await s.page.waitForTimeout(500);
    assert.equal(client.received().toString('hex'), expected.toString('hex'));
    assert.ok(!client.events.some((e) => e.event === 'closed'), 'the mock server must keep the connection open');

    // The tree counts exactly what crossed the wire, both ways.
    const sentBytes = pingRequests[0].length + pingRequests[1].length + unmatched.length + statusRequest.length;
    await s.workbench.expandTreeRow(new RegExp(`${where}.*listening · 1 client`));
    await s.workbench.waitForTreeRow(new RegExp(`${host}:${clientPort}.*↓${sentBytes} B ↑${expected.length} B`));
    await artifacts.shot(s, 'preset-answered');

    // The TCP Lab output channel (a log file of the extension host) counts the hits of each rule.
    await waitForLog(s, /rule "ping" matched \(hit 2\)/);
    await waitForLog(s, /rule "status" matched \(hit 1\)/);
    assert.doesNotMatch(s.server.logText(), /rule "ping" matched \(hit 3\)|rule "status" matched \(hit 2\)/);
  });
});

async function waitForLog(session: E2ESession, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(session.server.logText())) {
    if (Date.now() > deadline) throw new Error(`The code-server logs never showed ${String(pattern)}.`);
    await session.page.waitForTimeout(250);
  }
}
