// Test-only extension (never in the TCP Lab .vsix): stands in for a chat agent. Its one command takes
// "tool_name {json input}", calls vscode.lm.invokeTool the way an agent's tool call does (no chat
// request, so no invocation token), and appends what came back to .tool-results.jsonl in the workspace.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS that VS Code loads without a build step
const vscode = require('vscode');

async function invoke(line) {
  const space = line.indexOf(' ');
  const name = space < 0 ? line : line.slice(0, space);
  const input = space < 0 ? {} : JSON.parse(line.slice(space + 1));
  try {
    const result = await vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined });
    const text = result.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : '')).join('');
    return { name, ok: true, text };
  } catch (err) {
    return { name, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

exports.activate = (context) => {
  context.subscriptions.push(
    vscode.commands.registerCommand('tcpLabTest.invokeTool', async () => {
      const line = await vscode.window.showInputBox({ title: 'Invoke a language-model tool', prompt: 'tool_name {"json":"input"}', ignoreFocusOut: true });
      if (!line) return;
      const outcome = await invoke(line.trim());
      const folder = vscode.workspace.workspaceFolders[0].uri;
      const file = vscode.Uri.joinPath(folder, '.tool-results.jsonl');
      let previous = '';
      try {
        previous = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
      } catch {
        // The first result creates the file.
      }
      await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(`${previous}${JSON.stringify(outcome)}\n`));
      void vscode.window.showInformationMessage(`Tool ${outcome.name} ${outcome.ok ? 'returned' : 'failed'}`);
    }),
  );
};
