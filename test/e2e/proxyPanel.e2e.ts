// Issue 14 end to end, the editor's side: a proxy preset between a Python client and a Python echo
// server, started from the tree; the pair's panel shows both directions; a latency fault added from
// the panel delays the replies measurably; a content-triggered drop removes exactly the matching frame.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { freePort } from '../../scripts/codeServer';
import { E2ESession } from './harness/session';
import { PythonPeer } from './harness/pythonPeer';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { StagedWorkspace } from './harness/stagedWorkspace';
import { escapeRegExp } from './harness/workbench';

const fixture = join(__dirname, 'workspaceProxyPanel');
const host = '127.0.0.1';
const presetName = 'e2e-panel-proxy';
const artifacts = new ScenarioArtifacts('proxyPanel');

after(() => artifacts.restore());

describe('Proxy preset and its panel in code-server (end to end)', function () {
  let session: E2ESession | undefined;
  let proxyPort = 0;
  let upstreamPort = 0;

  before(async function () {
    this.timeout(15 * 60_000);
    artifacts.reset();
    proxyPort = await freePort();
    const staged = StagedWorkspace.copy(fixture);
    try {
      upstreamPort = await freePort();
      staged.edit(join('.vscode', 'settings.json'), (text) => text.replace('"port": 47090', `"port": ${proxyPort}`).replace('127.0.0.1:47091', `127.0.0.1:${upstreamPort}`));
      session = await E2ESession.start({ workspaceFixture: staged.dir, userSettings: { 'workbench.colorTheme': 'Default Dark Modern' } });
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

  it('relays a Python client to a Python server, shows both directions, and applies faults added from the panel', async function () {
    this.timeout(120_000);
    assert.ok(session, 'the code-server session did not start');
    const s = session;
    const upstream = s.track((await PythonPeer.echoServer(upstreamPort)).peer);

    await s.workbench.openTcpLabView();
    await s.workbench.waitForTreeRow(new RegExp(escapeRegExp(presetName)), 30_000);
    const presetRow = s.workbench.treeRow(new RegExp(`^${escapeRegExp(presetName)}`));
    await presetRow.hover();
    await presetRow.locator('.actions .action-label[aria-label^="Start Preset"]').click();
    const bound = escapeRegExp(`${host}:${proxyPort} → ${host}:${upstreamPort}`);
    await s.workbench.waitForTreeRow(new RegExp(`${bound}.*no pairs`));

    const client = s.track(await PythonPeer.connect(host, proxyPort));
    const clientPort = client.events[0].localPort ?? 0;
    /** Sends one line and resolves with how long its echo took to come back through the proxy. */
    const roundTrip = async (line: string): Promise<number> => {
      const before = client.received().length;
      const started = Date.now();
      client.send(Buffer.from(line));
      await client.waitForBytes(before + line.length);
      return Date.now() - started;
    };
    const plain = await roundTrip('hello\n');
    assert.equal(client.received().toString(), 'hello\n');

    // The pair in the tree: client ⇄ upstream, bytes each way; a click opens its panel.
    const pairPattern = new RegExp(`${escapeRegExp(`${host}:${clientPort} ⇄ ${host}:${upstreamPort}`)}.*→ 6 B ← 6 B`);
    await s.workbench.waitForTreeRow(pairPattern);
    await s.workbench.treeRow(pairPattern).click();
    const panel = s.workbench.webview();
    await panel.getByRole('heading', { name: new RegExp(`Proxy ${escapeRegExp(presetName)}: pair C\\d+`) }).waitFor({ timeout: 20_000 });
    await s.workbench.waitForPanelText(panel, '.row .dir', /client → upstream \| upstream → client/);
    await artifacts.shot(s, 'pair-panel');

    // A latency on the replies, added from the panel, delays the next echo measurably.
    const faults = panel.locator('details.proxy-faults');
    await faults.locator('summary').click();
    await faults.getByLabel('Fault type').selectOption('latency');
    await faults.getByLabel('Stream', { exact: true }).selectOption('downstream');
    await faults.getByLabel('latency (ms)').fill('400');
    await faults.getByRole('button', { name: 'Add fault' }).click();
    await faults.locator('tr[data-fault="latency_downstream"]').waitFor({ timeout: 10_000 });
    const slowed = await roundTrip('slow\n');
    assert.ok(slowed >= 380, `with a 400 ms latency the echo took ${slowed} ms`);
    assert.ok(plain < 300, `without faults the echo took ${plain} ms`);
    await s.workbench.waitForPanelText(panel, '.row .fault-mark', /latency_downstream/);
    await artifacts.shot(s, 'latency-added');

    // Remove it; then drop only the frames that contain SECRET on their way to the server.
    await faults.getByRole('button', { name: 'Remove fault latency_downstream' }).click();
    await faults.locator('tr[data-fault]').first().waitFor({ state: 'detached', timeout: 10_000 });
    await faults.getByLabel('Fault type').selectOption('drop');
    await faults.getByLabel('Stream', { exact: true }).selectOption('upstream');
    await faults.getByLabel('Fault name').fill('drop_secret');
    await faults.getByLabel('Only frames whose content matches').check();
    await faults.getByLabel('Match', { exact: true }).selectOption('contains');
    await faults.getByLabel('Pattern', { exact: true }).fill('SECRET');
    await faults.getByRole('button', { name: 'Add fault' }).click();
    await faults.locator('tr[data-fault="drop_secret"]').waitFor({ timeout: 10_000 });
    const serverBefore = upstream.received().length;
    const clientBefore = client.received().length;
    client.send(Buffer.from('alpha\nSECRET token\nomega\n'));
    await upstream.waitForBytes(serverBefore + 'alpha\nomega\n'.length);
    await client.waitForBytes(clientBefore + 'alpha\nomega\n'.length);
    // A moment more proves the dropped frame does not arrive late.
    await s.page.waitForTimeout(500);
    assert.equal(upstream.received().subarray(serverBefore).toString(), 'alpha\nomega\n');
    assert.equal(client.received().subarray(clientBefore).toString(), 'alpha\nomega\n');
    await s.workbench.waitForPanelText(panel, '.row .fault-mark', /drop_secret/);
    await s.workbench.clearNotifications();
    await artifacts.shot(s, 'drop-added');
  });
});
