// Connection history end to end, in the packaged extension: a client that came and went is still
// there to look at; TCP: Open Traffic Panel reaches what is running; a closed outgoing connection
// reconnects to the same server. The peers are independent Python programs.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { PythonPeer } from './harness/pythonPeer';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { useScenarioSession } from './harness/scenarioSession';
import { escapeRegExp } from './harness/workbench';

const workspaceFixture = join(__dirname, 'workspace');
const host = '127.0.0.1';
const artifacts = new ScenarioArtifacts('history');

after(() => artifacts.restore());

describe('Connection history in code-server (end to end)', function () {
  const current = useScenarioSession(artifacts, () => ({ fixture: workspaceFixture, userSettings: { 'workbench.colorTheme': 'Default Light Modern' } }));

  afterEach(() => current().killPeers());

  const waitForPanel = (panel: FrameLocator, selector: string, pattern: RegExp, timeoutMs?: number): Promise<string> => current().workbench.waitForPanelText(panel, selector, pattern, timeoutMs);

  it('shows a client that came and went in the listener panel opened afterwards, from its first byte', async function () {
    this.timeout(120_000);
    const s = current();
    const { workbench } = s;
    await workbench.openTcpLabView();
    const port = await workbench.startListenerOnAnyPort();
    const listenerRow = new RegExp(`${escapeRegExp(`${host}:${port}`)}(?!\\d)`);

    // The client sends and leaves before anyone looks.
    const client = s.track(await PythonPeer.connect(host, port));
    const clientPort = client.events[0].localPort ?? 0;
    client.send(Buffer.from('Hello-Gone\r\n'));
    await client.waitFor((e) => e.event === 'sent');
    client.end();
    await client.waitFor((e) => e.event === 'closed');
    await workbench.waitForTreeRow(new RegExp(`${escapeRegExp(`${host}:${clientPort}`)}(?!\\d).*closed by peer \\(FIN\\)`));
    await workbench.waitForTreeRow(new RegExp(`${escapeRegExp(`${host}:${port}`)}(?!\\d).*listening · no clients · 1 closed`));
    await artifacts.shot(s, 'closed-client-in-tree');

    // A click on the listener row opens its panel.
    await workbench.treeRow(listenerRow).locator('.label-name').click();
    const panel = workbench.webview();
    await panel.locator('.log').waitFor({ timeout: 15_000 });
    await waitForPanel(panel, '.log .row.in .content', /Hello-Gone\\r\\n/);
    await waitForPanel(panel, '.log .row.event .content', /connected from .*closed by peer \(FIN\)/);
    await waitForPanel(panel, '.header .totals', /^in 12 B \/ 1 msg/);
    await waitForPanel(panel, '.header .state', /listening, 0 clients open, 1 accepted in all/);
    await artifacts.shot(s, 'listener-panel');

    // Save log as CSV: the save dialog (a path in a quick input here), a confirmation with the path,
    // and a file whose text column shows the bytes with their escapes and the log's record number.
    await panel.getByRole('combobox', { name: 'Log file format' }).selectOption('csv');
    await panel.getByRole('button', { name: 'Save log…' }).click();
    await workbench.waitForPrompt(/Save traffic log|CSV|\.csv/);
    const saved = join(s.workspace, 'gone-client.csv');
    await workbench.answer(saved);
    await workbench.waitForNotification(new RegExp(`Saved 1 record to .*gone-client\\.csv`));
    await waitForPanel(panel, '.status, .notice', /Saved 1 record to .*gone-client\.csv/);
    const [header, row] = readFileSync(saved, 'utf8').split('\r\n');
    assert.equal(header, 'seq,time,iso,dir,conn,peer,length,hex,text');
    const fields = row.split(',');
    assert.deepEqual([fields[0], fields[3], fields[6], fields[7], fields[8]], ['1', 'in', '12', Buffer.from('Hello-Gone\r\n').toString('hex'), 'Hello-Gone\\r\\n']);

    // Save as pcapng: the same dialog, then a file tshark follows back to the client's bytes, the
    // client's SYN first (it connected to the listener) and its FIN close.
    await panel.getByRole('combobox', { name: 'Log file format' }).selectOption('pcapng');
    await panel.getByRole('button', { name: 'Save log…' }).click();
    await workbench.waitForPrompt(/Export L\d+ as pcapng|pcapng/);
    const pcap = join(s.workspace, 'gone-client.pcapng');
    await workbench.answer(pcap);
    await workbench.waitForNotification(/Exported 1 record as 1 TCP stream \(\d+ packets\) to .*gone-client\.pcapng/);
    await waitForPanel(panel, '.status, .notice', /Exported as pcapng to .*gone-client\.pcapng/);
    const followed = spawnSync('tshark', ['-r', pcap, '-q', '-z', 'follow,tcp,raw,0'], { encoding: 'utf8' });
    assert.ok(!followed.error, 'tshark is not installed: install the Debian package (apt-get install tshark) to run this test.');
    assert.equal(followed.status, 0, followed.stderr);
    assert.match(followed.stdout, new RegExp(`Node 0: ${escapeRegExp(`${host}:${clientPort}`)}\n`));
    assert.match(followed.stdout, new RegExp(`\n${Buffer.from('Hello-Gone\r\n').toString('hex')}\n`));
    const flags = spawnSync('tshark', ['-r', pcap, '-Y', 'tcp.flags.fin==1', '-T', 'fields', '-e', 'tcp.srcport'], { encoding: 'utf8' });
    assert.deepEqual(flags.stdout.trim().split('\n'), [String(clientPort), String(port)], 'the client ended first, the listener answered');
  });

  it('TCP: Open Traffic Panel offers live and recent targets, and reaches the live listener', async function () {
    this.timeout(120_000);
    const s = current();
    const { workbench } = s;
    await workbench.runCommand('View: Close All Editors', 10_000);
    const port = await workbench.startListenerOnAnyPort();
    await workbench.runCommand('TCP: Open Traffic Panel');
    await workbench.waitForPrompt(/Open a traffic panel on/);
    // The list fills in as the picks arrive: read it until the live listener is there (or 10 s pass).
    const list = s.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    let rows = await list.allTextContents();
    for (let tries = 0; tries < 50 && !rows.some((row) => row.includes(`listener ${host}:${port}`)); tries++) {
      await s.page.waitForTimeout(200);
      rows = await list.allTextContents();
    }
    assert.ok(rows.some((row) => row.includes(`listener ${host}:${port}`) && row.includes('listening')), `the live listener is offered: ${JSON.stringify(rows)}`);
    assert.ok(rows.some((row) => row.includes('closed by peer (FIN)')), `the recent client is offered too: ${JSON.stringify(rows)}`);
    assert.ok(rows.at(-1)?.includes('New listener or connection'), `the forms stay one pick away: ${JSON.stringify(rows)}`);
    await workbench.pick(new RegExp(`listener ${escapeRegExp(`${host}:${port}`)}`));
    const panel = workbench.webview();
    await panel.locator('.header').waitFor({ timeout: 15_000 });
    await waitForPanel(panel, '.header .addresses', new RegExp(`${escapeRegExp(`${host}:${port}`)}`));
  });

  it('Reconnect opens the same host and port again for a closed outgoing connection', async function () {
    this.timeout(120_000);
    const s = current();
    const { workbench } = s;
    await workbench.runCommand('View: Close All Editors', 10_000);
    const { peer: server, port } = await PythonPeer.echoServer();
    s.track(server);
    const target = `${host}:${port}`;
    await workbench.runCommand('TCP: Connect…');
    await workbench.waitForPrompt(/Connect/);
    await workbench.type(target);
    await workbench.pick(new RegExp(`Connect to ${escapeRegExp(target)}`));
    await workbench.waitForTreeRow(new RegExp(`${escapeRegExp(target)}.*open ·`));
    await workbench.runOnTarget('TCP: Disconnect', new RegExp(escapeRegExp(target)));
    const closedRow = new RegExp(`${escapeRegExp(target)}.*closed by you`);
    await workbench.waitForTreeRow(closedRow);

    const row = workbench.treeRow(closedRow);
    await row.hover();
    await row.locator('.actions .action-label[aria-label^="Reconnect"]').click();
    await workbench.waitForTreeRow(new RegExp(`${escapeRegExp(target)}.*open ·`));
    await server.waitFor((e) => e.event === 'accepted' && (server.events.filter((x) => x.event === 'accepted').length >= 2), 20_000);
    await artifacts.shot(s, 'reconnected');
  });
});
