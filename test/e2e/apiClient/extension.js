// Test-only extension (never in the TCP Lab .vsix): another extension building on TCP Lab. Its one
// command takes a JSON step, drives TCP Lab through the exports of activate() only, and appends what
// it saw to .api-results.jsonl in the workspace for the test to read.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS that VS Code loads without a build step
const vscode = require('vscode');

/** What stays open between steps: the test checks the tree while it is. */
const state = { api: undefined, listener: undefined, connection: undefined, opened: [], closed: [], traffic: [] };

async function tcpLab() {
  if (state.api) return state.api;
  const extension = vscode.extensions.getExtension('tcp-lab.tcp-lab');
  if (!extension) throw new Error('TCP Lab is not installed');
  const api = extension.isActive ? extension.exports : await extension.activate();
  api.onDidOpenConnection((c) => state.opened.push({ id: c.id, role: c.role, remotePort: c.remote && c.remote.port }));
  api.onDidCloseConnection((e) => state.closed.push({ id: e.id, reason: e.reason }));
  api.onDidTraffic((r) => state.traffic.push({ id: r.connectionId, seq: r.seq, direction: r.direction, text: new TextDecoder().decode(r.bytes) }));
  state.api = api;
  return api;
}

async function until(check, what) {
  const deadline = Date.now() + 10000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function step(input) {
  const api = await tcpLab();
  if (input.step === 'open') {
    state.listener = await api.listen({ port: 0 });
    state.connection = await api.connect({ host: '127.0.0.1', port: input.echoPort });
    await state.connection.send(input.text);
    const echoed = () => state.traffic.filter((r) => r.id === state.connection.id && r.direction === 'in').map((r) => r.text).join('');
    await until(() => echoed() === input.text, 'the echo');
    await api.showTraffic(state.connection.id);
    return {
      apiVersion: api.apiVersion,
      listener: { id: state.listener.id, host: state.listener.host, port: state.listener.port },
      connection: { id: state.connection.id, role: state.connection.role, state: state.connection.state, remotePort: state.connection.remote.port },
      echoed: echoed(),
      connections: api.connections().map((c) => c.id),
      listeners: api.listeners().map((l) => l.id),
    };
  }
  if (input.step === 'close') {
    state.connection.end();
    const closed = await state.connection.closed();
    await state.listener.stop();
    return { closed, listeners: api.listeners().map((l) => l.id), connections: api.connections().map((c) => c.id) };
  }
  if (input.step === 'report') return { opened: state.opened, closed: state.closed, traffic: state.traffic };
  throw new Error(`unknown step ${input.step}`);
}

exports.activate = (context) => {
  context.subscriptions.push(
    vscode.commands.registerCommand('tcpLabApiTest.run', async () => {
      const line = await vscode.window.showInputBox({ title: 'Use the TCP Lab API', prompt: '{"step":"open"|"close"|"report", …}', ignoreFocusOut: true });
      if (!line) return;
      let outcome;
      try {
        outcome = { ok: true, result: await step(JSON.parse(line)) };
      } catch (err) {
        outcome = { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
      const file = vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, '.api-results.jsonl');
      let previous = '';
      try {
        previous = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
      } catch {
        // The first result creates the file.
      }
      await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(`${previous}${JSON.stringify(outcome)}\n`));
    }),
  );
};
