// Issue 17 end to end: the tcplab_* language-model tools in a real VS Code (code-server), invoked
// through vscode.lm.invokeTool as an agent's tool calls are, by a test-only extension (no language
// model). What the tools open must show in the Connections tree and the traffic panel like anything
// the user opened, and the traffic must be real: a Python client and echo server are the peers.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PythonPeer } from './harness/pythonPeer';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { useScenarioSession } from './harness/scenarioSession';
import { invokeTool as callTool, packToolInvoker, startTool, type ToolCall } from './harness/toolInvoker';

const fixture = join(__dirname, 'workspaceAgent');
const artifacts = new ScenarioArtifacts('agentTools');

after(() => artifacts.restore());

describe('Language-model tools in code-server (end to end)', function () {
  let echo: PythonPeer | undefined;
  let client: PythonPeer | undefined;
  let echoPort = 0;
  let invokerOut: string | undefined;

  before(async () => {
    const started = await PythonPeer.echoServer();
    echo = started.peer;
    echoPort = started.port;
  });
  after(() => {
    client?.kill();
    echo?.kill();
    if (invokerOut) rmSync(invokerOut, { recursive: true, force: true });
  });
  const current = useScenarioSession(artifacts, () => {
    invokerOut = mkdtempSync(join(tmpdir(), 'tcp-lab-invoker-'));
    return {
      fixture,
      stage: (staged) => staged.edit('echo.tcp', (text) => text.replace('@port = 0', `@port = ${echoPort}`)),
      extraExtensions: () => [packToolInvoker(invokerOut as string)],
    };
  });

  const invokeTool = (name: string, input: Record<string, unknown>): Promise<ToolCall> => callTool(current(), name, input);

  function ok(call: ToolCall): string {
    assert.ok(call.ok, `${call.name} failed: ${call.error ?? ''}`);
    return call.text ?? '';
  }

  it('an agent listens, waits for a client, checks its line, answers, and the tree and the panel show it all', async function () {
    this.timeout(120_000);
    const s = current();
    const { workbench } = s;
    await workbench.openTcpLabView();

    const listened = ok(await invokeTool('tcplab_listen', { port: 0 }));
    const [, port, listenerId] = /^Listening on 127\.0\.0\.1:(\d+) with id (L\d+)\./.exec(listened) ?? [];
    assert.ok(port && listenerId, listened);
    await workbench.waitForTreeRow(new RegExp(`127\\.0\\.0\\.1:${port}`));
    await artifacts.shot(s, 'listener-from-tool');

    client = await PythonPeer.connect('127.0.0.1', Number(port));
    client.send(Buffer.from('READ 40001\r\n'));
    const expected = ok(await invokeTool('tcplab_expect', { id: listenerId, match: 'regex', value: '^READ (\\d+)\\r\\n', timeoutMs: 10_000 }));
    const [, connectionId] = /^Passed on (C\d+) \(127\.0\.0\.1:\d+\)/.exec(expected) ?? [];
    assert.ok(connectionId, expected);

    assert.match(ok(await invokeTool('tcplab_send', { id: connectionId, data: 'VALUE 17', lineEnding: 'crlf' })), new RegExp(`^Sent 10 bytes to 127\\.0\\.0\\.1:\\d+ \\(${connectionId}\\)`));
    const answered = await client.waitForBytes(10);
    assert.equal(answered.toString('latin1'), 'VALUE 17\r\n');

    const listed = ok(await invokeTool('tcplab_list', {}));
    assert.match(listed, new RegExp(`^${listenerId} listener 127\\.0\\.0\\.1:${port}, listening, open clients ${connectionId}, 1 accepted`, 'm'));
    const read = ok(await invokeTool('tcplab_read', { id: connectionId }));
    assert.match(read, /#1 [\d:.]+ in 12 bytes: READ 40001\\r\\n\n#2 [\d:.]+ out 10 bytes: VALUE 17\\r\\n/);

    // The tree shows the listener with the agent's client under it, counting its bytes.
    await workbench.expandTreeRow(new RegExp(`127\\.0\\.0\\.1:${port}`));
    await workbench.waitForTreeRow(/↓12 B.*↑10 B|↑10 B.*↓12 B|12 B.*10 B/);
    // And the listener's traffic panel shows both lines, opened from its tree row like a user would.
    const row = workbench.treeRow(new RegExp(`127\\.0\\.0\\.1:${port}`));
    await row.hover();
    await row.locator('.actions .action-label[aria-label^="Open Traffic Panel"]').click();
    const panel = workbench.webview();
    await panel.locator('.log').waitFor({ timeout: 15_000 });
    await workbench.waitForPanelText(panel, '.log .row.in .content', /READ 40001/);
    await workbench.waitForPanelText(panel, '.log .row.out .content', /VALUE 17/);
    await artifacts.shot(s, 'panel-shows-agent-traffic');

    // A model that gets an input wrong hears one sentence, and nothing opens.
    const wrong = await invokeTool('tcplab_listen', { port: 70000 });
    assert.equal(wrong.ok, false);
    assert.match(wrong.error ?? '', /"port" must be at most 65535, not 70000\./);

    assert.match(ok(await invokeTool('tcplab_close', { id: listenerId })), new RegExp(`^Stopped listener ${listenerId} \\(127\\.0\\.0\\.1:${port}\\) and closed 1 client`));
    await workbench.waitForTreeRow(/stopped/);
    await artifacts.shot(s, 'listener-stopped-by-tool');
  });

  it("listening beyond loopback waits for the user's answer in VS Code's own confirmation; Cancel opens nothing", async function () {
    this.timeout(60_000);
    const s = current();
    const pending = await startTool(s, 'tcplab_listen', { host: '0.0.0.0', port: 0 });
    const dialog = await s.workbench.modal(/Listening on 0\.0\.0\.0:0 makes a free port reachable from other machines on your network\./);
    assert.match((await dialog.textContent()) ?? '', /Listen on 0\.0\.0\.0:0\?/);
    await artifacts.shot(s, 'confirmation-for-all-interfaces');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    const refused = await pending();
    assert.equal(refused.ok, false, `the listen went ahead: ${refused.text ?? ''}`);
    assert.doesNotMatch((await s.workbench.treeRows()).join('\n'), /0\.0\.0\.0/);
    assert.doesNotMatch(ok(await invokeTool('tcplab_list', {})), /0\.0\.0\.0/);
  });

  it('an agent runs a .tcp file of the workspace against a Python echo server', async function () {
    this.timeout(90_000);
    const result = ok(await invokeTool('tcplab_run_tcp_file', { path: 'echo.tcp' }));
    assert.match(result, /^echo\.tcp: 1 passed, 0 failed\.\n✓ Echo a greeting \(\d+ ms\)\n {4}sent 21 bytes, received 21 bytes, connection C\d+/);
    const echoed = await (echo as PythonPeer).waitForBytes(21);
    assert.equal(echoed.toString('latin1'), 'hello from the agent\n');
    await artifacts.shot(current(), 'tcp-file-run-by-tool');
  });
});
