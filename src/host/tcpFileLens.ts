// CodeLens above each block: **Send** opens (or reuses) the connection through the Registry, sends
// and shows the traffic panel; **Send & Check** runs the block as a test and shows the outcome
// inline, with what was received in a hover over the block and its EXPECT lines.
import * as vscode from 'vscode';
import type { BytesView } from '../core/tcpFile/bytesView';
import { blockHasExpectations } from '../core/tcpFile/model';
import { prepareBlock, type BlockResult } from '../core/tcpFile/runner';
import type { Registry } from '../core/registry';
import { sameHost } from '../app/tcpFileSockets';
import { confirmTcpRun } from './tcpFileTrust';
import type { TcpFileTestController } from './tcpFileTestController';
import { TCP_LANGUAGE_ID, type TcpFileWorkspace } from './tcpFileWorkspace';
import { formatEndpoint, formatHostPort } from '../shared/hostPort';
import { errorMessage } from '../shared/errorMessage';

export const SEND_COMMAND = 'tcpLab.tcpFiles.send';
export const SEND_AND_CHECK_COMMAND = 'tcpLab.tcpFiles.sendAndCheck';
export const CANCEL_RUN_COMMAND = 'tcpLab.tcpFiles.cancelRun';
const OPEN_PANEL_COMMAND = 'tcpLab.openTrafficPanel';

/** The latest Send & Check result of each block, for documents at the version it ran on. */
class ResultStore {
  private readonly byDocument = new Map<string, { version: number; results: Map<number, BlockResult> }>();

  set(document: vscode.TextDocument, result: BlockResult): void {
    const key = document.uri.toString();
    let entry = this.byDocument.get(key);
    if (!entry || entry.version !== document.version) {
      entry = { version: document.version, results: new Map() };
      this.byDocument.set(key, entry);
    }
    entry.results.set(result.blockIndex, result);
  }

  /** Results go stale as soon as the text changes: lines and blocks may have moved. */
  get(document: vscode.TextDocument): Map<number, BlockResult> | undefined {
    const entry = this.byDocument.get(document.uri.toString());
    return entry && entry.version === document.version ? entry.results : undefined;
  }

  delete(uri: vscode.Uri): void {
    this.byDocument.delete(uri.toString());
  }
}

/** Peer bytes go into code blocks: VS Code escapes them there, so nothing received is rendered as markup. */
function appendBytes(md: vscode.MarkdownString, title: string, view: BytesView | undefined): void {
  if (!view) return;
  md.appendMarkdown(`${vscode.l10n.t('**{0}** ({1} bytes)', title, view.length)}\n\n`);
  md.appendCodeblock(view.text, 'text');
  if (view.hex) md.appendCodeblock(view.hex, 'text');
}

export class TcpFileLens implements vscode.CodeLensProvider, vscode.HoverProvider, vscode.FoldingRangeProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly store = new ResultStore();
  private readonly passedStyle = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('testing.iconPassed') },
  });
  private readonly failedStyle = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('testing.iconFailed') },
  });
  private readonly subscriptions: vscode.Disposable[];
  /** Send & Check runs still going (a LISTEN block may wait for a client), by document and block. */
  private readonly running = new Map<string, vscode.CancellationTokenSource>();

  constructor(
    private readonly workspace: TcpFileWorkspace,
    private readonly registry: Registry,
    private readonly tests: TcpFileTestController,
  ) {
    const selector: vscode.DocumentSelector = { language: TCP_LANGUAGE_ID };
    this.subscriptions = [
      this.changed,
      this.passedStyle,
      this.failedStyle,
      vscode.languages.registerCodeLensProvider(selector, this),
      vscode.languages.registerHoverProvider(selector, this),
      vscode.languages.registerFoldingRangeProvider(selector, this),
      vscode.commands.registerCommand(SEND_COMMAND, (uri: vscode.Uri, index: number) => this.send(uri, index)),
      vscode.commands.registerCommand(SEND_AND_CHECK_COMMAND, (uri: vscode.Uri, index: number) => this.sendAndCheck(uri, index)),
      vscode.commands.registerCommand(CANCEL_RUN_COMMAND, (uri: vscode.Uri, index: number) => this.running.get(runKey(uri, index))?.cancel()),
      workspace.onDidChangeContext(() => this.changed.fire()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0) this.decorate(e.document);
      }),
      vscode.window.onDidChangeVisibleTextEditors(() => vscode.window.visibleTextEditors.forEach((ed) => this.decorate(ed.document))),
      vscode.workspace.onDidCloseTextDocument((d) => this.store.delete(d.uri)),
      tests.onDidFinishBlocks(({ uri, results }) => {
        const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
        if (!document) return;
        for (const r of results) this.store.set(document, r);
        this.decorate(document);
        this.changed.fire();
      }),
    ];
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const file = this.workspace.parse(document);
    const results = this.store.get(document);
    const lenses: vscode.CodeLens[] = [];
    for (const block of file.blocks) {
      if (!block.target) continue;
      const range = new vscode.Range(block.headerLine, 0, block.headerLine, 0);
      lenses.push(new vscode.CodeLens(range, { title: `$(play) ${vscode.l10n.t('Send')}`, command: SEND_COMMAND, arguments: [document.uri, block.index], tooltip: vscode.l10n.t('Open or reuse the connection, send this block’s payloads and show the traffic panel') }));
      if (!blockHasExpectations(block)) continue;
      if (this.running.has(runKey(document.uri, block.index))) {
        // A run in progress (a LISTEN block waiting for its client, a slow peer) can be stopped from here.
        lenses.push(new vscode.CodeLens(range, { title: `$(debug-stop) ${vscode.l10n.t('Cancel')}`, command: CANCEL_RUN_COMMAND, arguments: [document.uri, block.index], tooltip: vscode.l10n.t('Stop this block’s run; its sockets are closed') }));
        continue;
      }
      lenses.push(new vscode.CodeLens(range, { title: `$(beaker) ${vscode.l10n.t('Send & Check')}`, command: SEND_AND_CHECK_COMMAND, arguments: [document.uri, block.index], tooltip: vscode.l10n.t('Run this block and check its EXPECT lines') }));
      const result = results?.get(block.index);
      if (result) {
        const title =
          result.status === 'passed'
            ? `$(pass) ${vscode.l10n.t('Passed in {0} ms', result.durationMs)}`
            : `$(error) ${result.status === 'error' ? result.error : vscode.l10n.t('Failed: {0}', result.expectations.find((e) => e.status === 'failed')?.message ?? '')}`;
        // An empty command id renders the lens as a plain label.
        lenses.push(new vscode.CodeLens(range, { title, command: '', tooltip: vscode.l10n.t('Hover the block’s header or its EXPECT lines for the received bytes') }));
      }
    }
    return lenses;
  }

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const results = this.store.get(document);
    if (!results) return undefined;
    for (const result of results.values()) {
      const block = this.workspace.parse(document).blocks[result.blockIndex];
      if (block?.headerLine === position.line) {
        const md = new vscode.MarkdownString();
        md.appendText(`${vscode.l10n.t('{0}: {1} in {2} ms, {3} bytes sent', result.name, result.status, result.durationMs, result.bytesSent)}\n\n`);
        if (result.error) md.appendText(result.error + '\n\n');
        appendBytes(md, vscode.l10n.t('Received'), result.received);
        return new vscode.Hover(md);
      }
      const expectation = result.expectations.find((e) => e.range.line === position.line);
      if (expectation) {
        const md = new vscode.MarkdownString(`${vscode.l10n.t('**{0}** in {1} ms', expectation.status, expectation.durationMs)}\n\n`);
        if (expectation.message) md.appendText(expectation.message + '\n\n');
        appendBytes(md, vscode.l10n.t('Expected'), expectation.expected);
        appendBytes(md, vscode.l10n.t('Received'), expectation.received);
        return new vscode.Hover(md);
      }
    }
    return undefined;
  }

  /** Each block folds from its header to its last non-blank line. */
  provideFoldingRanges(document: vscode.TextDocument): vscode.FoldingRange[] {
    return this.workspace.parse(document).blocks.flatMap((block) => {
      let end = block.endLine;
      while (end > block.headerLine && document.lineAt(end).isEmptyOrWhitespace) end--;
      return end > block.headerLine ? [new vscode.FoldingRange(block.headerLine, end, vscode.FoldingRangeKind.Region)] : [];
    });
  }

  /** Show ✓/✗ after each EXPECT line of the last result, or clear them once the text changed. */
  private decorate(document: vscode.TextDocument): void {
    const results = this.store.get(document);
    const passed: vscode.DecorationOptions[] = [];
    const failed: vscode.DecorationOptions[] = [];
    for (const result of results?.values() ?? []) {
      for (const e of result.expectations) {
        if (e.status === 'skipped') continue;
        // Short on purpose: the Testing view already shows the failure message inline; the bytes are in the hover.
        const text = `${e.status === 'passed' ? '✓' : '✗'} ${e.durationMs} ms`;
        const range = new vscode.Range(e.range.line, e.range.endCol, e.range.line, e.range.endCol);
        (e.status === 'passed' ? passed : failed).push({ range, renderOptions: { after: { contentText: text } } });
      }
    }
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document !== document) continue;
      editor.setDecorations(this.passedStyle, passed);
      editor.setDecorations(this.failedStyle, failed);
    }
  }

  private async documentFor(uri: vscode.Uri): Promise<vscode.TextDocument> {
    return vscode.workspace.openTextDocument(uri);
  }

  /** Send a block's payloads over an open connection to its target (opened if needed). */
  async send(uri: vscode.Uri, index: number): Promise<void> {
    const document = await this.documentFor(uri);
    const file = this.workspace.parse(document);
    const block = file.blocks[index];
    if (!block) return;
    const prepared = await prepareBlock(file, block, this.workspace.runOptions(uri));
    if (!prepared.ok) {
      void vscode.window.showErrorMessage(prepared.error);
      return;
    }
    const refusal = await confirmTcpRun(prepared.block, block.name);
    if (refusal) {
      void vscode.window.showInformationMessage(refusal);
      return;
    }
    const { kind, host, port, steps, timeoutMs } = prepared.block;
    const payloads = steps.flatMap((s) => (s.kind === 'send' ? [s.bytes] : []));
    try {
      if (kind === 'connect') {
        const reused = this.registry
          .connections()
          .find((c) => c.role === 'client' && c.state === 'open' && c.remote?.port === port && sameHost(host, c.remote.address));
        const connection = reused ?? (await this.registry.connect({ host, port, timeoutMs }));
        for (const bytes of payloads) await connection.send(bytes);
        await vscode.commands.executeCommand(OPEN_PANEL_COMMAND, connection.id);
        return;
      }
      const listener = this.registry.listeners().find((l) => l.requestedPort === port && l.requestedPort !== 0 && sameHost(host, l.host)) ?? (await this.registry.listen({ host, port }));
      await vscode.commands.executeCommand(OPEN_PANEL_COMMAND, listener.id);
      if (payloads.length === 0) return;
      if (listener.connections.length === 0) {
        const where = listener.address ? formatEndpoint(listener.address) : formatHostPort(host, port);
        void vscode.window.showInformationMessage(vscode.l10n.t('Listening on {0}: no client is connected yet, so nothing was sent. Click Send again once a client connects.', where));
        return;
      }
      for (const bytes of payloads) await listener.broadcast(bytes);
    } catch (err) {
      void vscode.window.showErrorMessage(errorMessage(err));
    }
  }

  /** Run one block as a test: the outcome shows in the Testing view, in the lens and inline. */
  async sendAndCheck(uri: vscode.Uri, index: number): Promise<BlockResult | undefined> {
    const document = await this.documentFor(uri);
    const file = this.workspace.parse(document);
    const items = this.tests.itemsFor(uri, file, [index]);
    if (items.length === 0) {
      void vscode.window.showErrorMessage(vscode.l10n.t('This block has no EXPECT lines to check: use Send, or add EXPECT text … below its SEND lines.'));
      return undefined;
    }
    const key = runKey(uri, index);
    if (this.running.has(key)) return undefined;
    const cancel = new vscode.CancellationTokenSource();
    this.running.set(key, cancel);
    this.changed.fire();
    try {
      const [result] = await this.tests.run(new vscode.TestRunRequest(items), cancel.token);
      return result;
    } finally {
      this.running.delete(key);
      cancel.dispose();
      this.changed.fire();
    }
  }

  dispose(): void {
    for (const source of this.running.values()) source.cancel();
    for (const s of this.subscriptions) s.dispose();
  }
}

function runKey(uri: vscode.Uri, index: number): string {
  return `${uri.toString()}#${index}`;
}
