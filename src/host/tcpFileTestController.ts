// The Testing view for `.tcp` files: each file with EXPECT lines is a test and each such block a
// child; a failure points at its EXPECT line with expected vs received, in text and hex. Files are
// listed when found and parsed only when expanded, run or opened (see LazyParseIndex).
import * as vscode from 'vscode';
import { LazyParseIndex } from '../app/lazyParseIndex';
import type { BytesView } from '../core/tcpFile/bytesView';
import { blockHasExpectations, type TcpBlock, type TcpFile } from '../core/tcpFile/model';
import { formatBlockResult } from '../core/tcpFile/report';
import { runBlock, type BlockResult, type SocketFactory } from '../core/tcpFile/runner';
import { confirmTcpRun } from './tcpFileTrust';
import { isTcpDocument, type TcpFileWorkspace } from './tcpFileWorkspace';
import { formatEndpoint } from '../shared/hostPort';

const FILE_GLOB = '**/*.tcp';
const EXCLUDE_GLOB = '**/node_modules/**';

function blockId(uri: vscode.Uri, index: number): string {
  return `${uri.toString()}#${index}`;
}

/** File items have the file's URI as id; block items add `#index`. */
function isFileItem(item: vscode.TestItem): boolean {
  return !item.id.includes('#');
}

function collectItems(items: vscode.TestItemCollection): vscode.TestItem[] {
  const all: vscode.TestItem[] = [];
  items.forEach((i) => all.push(i));
  return all;
}

function lineRange(line: number): vscode.Range {
  return new vscode.Range(line, 0, line, 0);
}

function describeBytes(view: BytesView | undefined): string {
  if (!view) return '';
  return view.hex ? `${view.text}\n[${view.hex}]` : view.text;
}

/** A block found in a test item, plus where to report it. */
interface QueuedBlock {
  uri: vscode.Uri;
  index: number;
  name: string;
  item: vscode.TestItem;
}

export class TcpFileTestController implements vscode.Disposable {
  readonly controller = vscode.tests.createTestController('tcpLab.tcpFiles', vscode.l10n.t('TCP Lab files'));
  private readonly results = new vscode.EventEmitter<{ uri: vscode.Uri; results: BlockResult[] }>();
  /** Every finished block, wherever the run came from (Testing view or CodeLens). */
  readonly onDidFinishBlocks = this.results.event;
  private readonly subscriptions: vscode.Disposable[] = [this.controller, this.results];
  private readonly index = new LazyParseIndex<TcpFile>(async (key) => {
    try {
      return await this.workspace.read(vscode.Uri.parse(key));
    } catch {
      // Deleted or unreadable between the event and the read: it is simply not a test any more.
      return undefined;
    }
  });

  constructor(
    private readonly workspace: TcpFileWorkspace,
    private readonly sockets: SocketFactory,
  ) {
    this.controller.resolveHandler = async (item) => {
      if (!item) await this.discover();
      else if (item.uri && isFileItem(item)) await this.resolveFile(item.uri);
    };
    this.controller.refreshHandler = async () => {
      await this.discover();
      await this.refreshAllParsed();
    };
    this.controller.createRunProfile(vscode.l10n.t('Run'), vscode.TestRunProfileKind.Run, (request, token) => this.run(request, token).then(() => undefined), true);

    const watcher = vscode.workspace.createFileSystemWatcher(FILE_GLOB);
    this.subscriptions.push(
      watcher,
      watcher.onDidCreate((uri) => this.addLazily(uri)),
      watcher.onDidChange((uri) => this.refreshParsed(uri)),
      watcher.onDidDelete((uri) => {
        this.index.forget(uri.toString());
        this.controller.items.delete(uri.toString());
      }),
      vscode.workspace.onDidOpenTextDocument((d) => isTcpDocument(d) && this.update(d.uri, workspace.parse(d))),
      vscode.workspace.onDidChangeTextDocument((e) => isTcpDocument(e.document) && this.update(e.document.uri, workspace.parse(e.document))),
      workspace.onDidChangeContext(() => void this.refreshAllParsed()),
    );
    for (const d of vscode.workspace.textDocuments) if (isTcpDocument(d)) this.update(d.uri, workspace.parse(d));
  }

  /** Lists every `.tcp` file of the workspace without reading one. */
  private async discover(): Promise<void> {
    const uris = await vscode.workspace.findFiles(FILE_GLOB, EXCLUDE_GLOB);
    uris.forEach((uri) => this.addLazily(uri));
  }

  /** A file item whose blocks are read when it is expanded or run. */
  private addLazily(uri: vscode.Uri): void {
    const key = uri.toString();
    // A file already parsed is listed exactly when it has blocks with EXPECT lines.
    if (this.controller.items.get(key) || this.index.isParsed(key)) return;
    this.index.discover(key);
    const item = this.controller.createTestItem(key, vscode.workspace.asRelativePath(uri), uri);
    item.canResolveChildren = true;
    this.controller.items.add(item);
  }

  private async resolveFile(uri: vscode.Uri): Promise<void> {
    const file = await this.index.ensure(uri.toString());
    if (file) this.update(uri, file);
    else this.controller.items.delete(uri.toString());
  }

  /** A file changed on disk: parse it again only if it was parsed before. */
  private async refreshParsed(uri: vscode.Uri): Promise<void> {
    const key = uri.toString();
    if (!this.index.isParsed(key)) return;
    const file = await this.index.changed(key);
    if (file) this.update(uri, file);
    else this.controller.items.delete(key);
  }

  /** Settings changed or the user asked: every file parsed so far is parsed again, the others stay lazy. */
  private async refreshAllParsed(): Promise<void> {
    await Promise.all(this.index.parsedKeys().map((key) => this.refreshParsed(vscode.Uri.parse(key))));
  }

  /** Mirror a parsed file into the tree: one item per block with expectations. */
  update(uri: vscode.Uri, file: TcpFile): void {
    this.index.set(uri.toString(), file);
    const blocks = file.blocks.filter(blockHasExpectations);
    if (blocks.length === 0) {
      this.controller.items.delete(uri.toString());
      return;
    }
    let fileItem = this.controller.items.get(uri.toString());
    if (!fileItem) {
      fileItem = this.controller.createTestItem(uri.toString(), vscode.workspace.asRelativePath(uri), uri);
      this.controller.items.add(fileItem);
    }
    fileItem.children.replace(blocks.map((block) => this.blockItem(uri, block)));
    fileItem.canResolveChildren = false;
  }

  private blockItem(uri: vscode.Uri, block: TcpBlock): vscode.TestItem {
    const item = this.controller.createTestItem(blockId(uri, block.index), block.name, uri);
    item.range = lineRange(block.headerLine);
    item.sortText = String(block.index).padStart(5, '0');
    if (block.hasErrors) item.error = vscode.l10n.t('This block has errors: see the Problems view.');
    return item;
  }

  /** Test items for some blocks of a file, creating the tree entry if the file is new. */
  itemsFor(uri: vscode.Uri, file: TcpFile, indices: number[]): vscode.TestItem[] {
    this.update(uri, file);
    const fileItem = this.controller.items.get(uri.toString());
    return indices.map((i) => fileItem?.children.get(blockId(uri, i))).filter((i): i is vscode.TestItem => i !== undefined);
  }

  private collect(request: vscode.TestRunRequest): QueuedBlock[] {
    const excluded = new Set((request.exclude ?? []).map((i) => i.id));
    const roots: vscode.TestItem[] = [];
    if (request.include) roots.push(...request.include);
    else roots.push(...collectItems(this.controller.items));
    const queue: QueuedBlock[] = [];
    const seen = new Set<string>();
    const add = (item: vscode.TestItem): void => {
      if (excluded.has(item.id) || seen.has(item.id) || !item.uri) return;
      const hash = item.id.lastIndexOf('#');
      if (hash < 0) {
        item.children.forEach(add);
        return;
      }
      seen.add(item.id);
      queue.push({ uri: item.uri, index: Number(item.id.slice(hash + 1)), name: item.label, item });
    };
    roots.forEach(add);
    return queue;
  }

  /** Run the requested blocks one after another, reporting each to the Testing view. */
  async run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<BlockResult[]> {
    // Files listed but never expanded are parsed now, so running them runs their blocks.
    const roots = request.include ?? collectItems(this.controller.items);
    await Promise.all(roots.filter((i) => i.uri && isFileItem(i) && i.canResolveChildren).map((i) => this.resolveFile(i.uri as vscode.Uri)));
    const run = this.controller.createTestRun(request);
    const abort = new AbortController();
    const cancel = token.onCancellationRequested(() => abort.abort());
    const queue = this.collect(request);
    const finished: BlockResult[] = [];
    const listening: vscode.Disposable[] = [];
    // What the user confirmed in this run: ten blocks against one host ask once.
    const approved = new Set<string>();
    queue.forEach((q) => run.enqueued(q.item));
    try {
      for (const q of queue) {
        if (token.isCancellationRequested) {
          run.skipped(q.item);
          continue;
        }
        run.started(q.item);
        const file = await this.workspace.read(q.uri);
        const block = file.blocks[q.index];
        if (!block || block.name !== q.name) {
          run.errored(q.item, new vscode.TestMessage(vscode.l10n.t("Block '{0}' moved or was renamed: run it again from its new place.", q.name)));
          continue;
        }
        const result = await runBlock(file, block, {
          ...this.workspace.runOptions(q.uri),
          sockets: this.sockets,
          signal: abort.signal,
          confirm: (prepared) => confirmTcpRun(prepared, block.name, approved),
          // A LISTEN block waits for a client: say where, since the port may have been 0.
          onListening: (address) => {
            const waiting = vscode.window.setStatusBarMessage(`$(radio-tower) ${block.name}: waiting for a client on ${formatEndpoint(address)}`);
            run.appendOutput(`${vscode.l10n.t("Listening on {0} for '{1}'", formatEndpoint(address), block.name)}\r\n`, undefined, q.item);
            listening.push(waiting);
          },
        });
        listening.forEach((d) => d.dispose());
        listening.length = 0;
        this.report(run, q, block, result);
        finished.push(result);
        this.results.fire({ uri: q.uri, results: [result] });
      }
    } finally {
      cancel.dispose();
      run.end();
    }
    return finished;
  }

  private report(run: vscode.TestRun, q: QueuedBlock, block: TcpBlock, result: BlockResult): void {
    const location = new vscode.Location(q.uri, lineRange(block.headerLine));
    // No location: VS Code would print the whole report inline over the block header.
    run.appendOutput(`${formatBlockResult(result, '').join('\r\n')}\r\n`, undefined, q.item);
    if (result.status === 'error') {
      const message = new vscode.TestMessage(result.error ?? vscode.l10n.t('The block could not run.'));
      message.location = location;
      run.errored(q.item, message, result.durationMs);
      return;
    }
    if (result.status === 'passed') {
      run.passed(q.item, result.durationMs);
      return;
    }
    const messages = result.expectations
      .filter((e) => e.status === 'failed')
      .map((e) => {
        const message = vscode.TestMessage.diff(`${e.title}: ${e.message ?? 'failed'}`, describeBytes(e.expected), describeBytes(e.received));
        message.location = new vscode.Location(q.uri, new vscode.Range(e.range.line, e.range.startCol, e.range.line, e.range.endCol));
        return message;
      });
    run.failed(q.item, messages, result.durationMs);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
