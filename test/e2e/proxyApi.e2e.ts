// Issue 14 end to end, the API and preset half: with `tcpLab.proxy.api` set, toxiproxy-node-client
// (a client nobody here wrote) creates a proxy in the running editor and adds a latency fault that a
// Python client measures; the proxy shows in the Connections tree. A proxy preset started from the
// tree runs on the same hub, so the API lists it too. Its own code-server session and workspace.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { Toxiproxy } from 'toxiproxy-node-client';
import { freePort } from '../../scripts/codeServer';
import { E2ESession } from './harness/session';
import { PythonPeer } from './harness/pythonPeer';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { StagedWorkspace } from './harness/stagedWorkspace';
import { escapeRegExp } from './harness/workbench';

const fixture = join(__dirname, 'workspaceProxy');
const host = '127.0.0.1';
const artifacts = new ScenarioArtifacts('proxyApi');

after(() => artifacts.restore());

/** Milliseconds from sending `text` until its echo is back, on a Python client through `port`. */
async function echoTime(session: E2ESession, port: number, text: string): Promise<number> {
  const client = session.track(await PythonPeer.connect(host, port));
  const started = Date.now();
  client.send(Buffer.from(text));
  const bytes = await client.waitForBytes(text.length);
  const ms = Date.now() - started;
  assert.equal(bytes.toString(), text);
  client.kill();
  return ms;
}

describe('Toxiproxy-compatible API and proxy presets in code-server (end to end)', function () {
  let session: E2ESession | undefined;
  let apiPort = 0;
  let presetPort = 0;
  let echoPort = 0;

  before(async function () {
    this.timeout(15 * 60_000);
    artifacts.reset();
    [apiPort, presetPort] = [await freePort(), await freePort()];
    const staged = StagedWorkspace.copy(fixture);
    try {
      const echo = await PythonPeer.echoServer();
      echoPort = echo.port;
      staged.edit(join('.vscode', 'settings.json'), (text) => text.replace('"port": 47080', `"port": ${presetPort}`).replace('127.0.0.1:47081', `127.0.0.1:${echoPort}`));
      // A user setting, as a developer would turn the API on for their machine.
      session = await E2ESession.start({ workspaceFixture: staged.dir, userSettings: { 'workbench.colorTheme': 'Default Light Modern', 'tcpLab.proxy.api': `${host}:${apiPort}` } });
      session.track(echo.peer);
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

  it('a Toxiproxy client creates a proxy and a latency fault in the editor; a proxy preset shares the hub', async function () {
    this.timeout(90_000);
    assert.ok(session, 'the code-server session did not start');
    const s = session;
    await s.workbench.openTcpLabView();
    await s.workbench.waitForTreeRow(new RegExp(`e2e-proxy.*proxy ${escapeRegExp(`${host}:${presetPort}`)}`), 30_000);

    // The setting started the API with the extension: wait for it to answer.
    const toxiproxy = new Toxiproxy(`http://${host}:${apiPort}`);
    const deadline = Date.now() + 20_000;
    let version = '';
    while (!version) {
      version = await toxiproxy.getVersion().catch(() => '');
      if (!version && Date.now() > deadline) throw new Error(`The proxy API never answered on ${host}:${apiPort}.`);
      if (!version) await s.page.waitForTimeout(250);
    }
    assert.match(version, /"version"/);

    const proxyPort = await freePort();
    const proxy = await toxiproxy.createProxy({ name: 'from-api', listen: `${host}:${proxyPort}`, upstream: `${host}:${echoPort}` });
    assert.equal(proxy.listen, `${host}:${proxyPort}`);
    // A running proxy's row: its name, then "listen → upstream" (a stopped one starts "stopped … ago").
    const running = (name: string, port: number): RegExp => new RegExp(`^${name}${escapeRegExp(`${host}:${port}`)} → `);
    await s.workbench.waitForTreeRow(running('from-api', proxyPort));
    await artifacts.shot(s, 'api-proxy-in-tree');
    const plain = await echoTime(s, proxyPort, 'plain');

    const latency = await proxy.addToxic({ name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 600 } } as never);
    const slowed = await echoTime(s, proxyPort, 'slowed');
    assert.ok(slowed >= 600, `the echo took ${slowed} ms with a 600 ms latency (without: ${plain} ms)`);
    await latency.remove();

    // Start the proxy preset from its row: it joins the same hub, so the API lists both.
    const presetRow = s.workbench.treeRow(/e2e-proxy/);
    await presetRow.hover();
    await presetRow.locator('.actions .action-label[aria-label^="Start Preset"]').click();
    await s.workbench.waitForTreeRow(running('e2e-proxy', presetPort));
    const viaPreset = await echoTime(s, presetPort, 'preset');
    assert.ok(viaPreset >= 300, `the preset's 300 ms latency: the echo took ${viaPreset} ms`);
    const all = await toxiproxy.getAll();
    assert.deepEqual(Object.keys(all).sort(), ['e2e-proxy', 'from-api']);
    const presetToxics = (await toxiproxy.get('e2e-proxy')).toJson();
    assert.equal(presetToxics.name, 'e2e-proxy');
    await artifacts.shot(s, 'preset-and-api-proxy');

    await proxy.remove();
    await s.workbench.waitForNoTreeRow(running('from-api', proxyPort));
    assert.match(s.server.logText(), /API created proxy from-api/);
  });
});
