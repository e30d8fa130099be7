// Capture to file end to end: the memory log is bounded (here to 64 KiB), so the capture file is
// where every byte is kept. A workspace with `tcpLab.capture.directory` set makes every new
// connection capture from its first byte; the test rebuilds both directions of the stream from the
// file and compares them with what an independent Python client really sent and received.
import { strict as assert } from 'node:assert';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { E2ESession } from './harness/session';
import { PythonPeer } from './harness/pythonPeer';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { escapeRegExp } from './harness/workbench';

const fixture = join(__dirname, 'workspaceCapture');
const host = '127.0.0.1';
const captureFolder = 'captures';
/** Far below what the client sends, so the memory log must evict while the file keeps everything. */
const memoryLogBytes = 64 * 1024;
const artifacts = new ScenarioArtifacts('capture');

/** tshark on an exported file; a missing tshark fails with a sentence, never a skip. */
function tshark(args: string[]): SpawnSyncReturns<string> {
  const result = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.ok(!result.error, 'tshark is not installed: install the Debian package (apt-get install tshark) to run this test.');
  return result;
}

// Root level: runs after every e2e file, so a later file's reset of test-results/e2e keeps these.
after(() => artifacts.restore());

interface CaptureLine {
  seq: number;
  time: number;
  dir: 'in' | 'out';
  base64: string;
}

describe('Capture to file in code-server (end to end)', function () {
  let session: E2ESession | undefined;

  before(async function () {
    // Installing code-server on a machine that lacks it takes a few minutes; later runs reuse it.
    this.timeout(15 * 60_000);
    artifacts.reset();
    session = await E2ESession.start({
      workspaceFixture: fixture,
      userSettings: { 'workbench.colorTheme': 'Default Light Modern', 'tcpLab.log.maxBytes': memoryLogBytes },
    });
  });

  afterEach(async function () {
    this.timeout(30_000);
    if (session && this.currentTest?.state === 'failed') await artifacts.keepFailure(session, this.currentTest.fullTitle());
    session?.killPeers();
  });

  after(async function () {
    this.timeout(30_000);
    await session?.dispose();
  });

  function current(): E2ESession {
    assert.ok(session, 'the code-server session did not start');
    return session;
  }

  /** A Python client of the listener on `port`, shown in the tree under its listener. */
  async function connectClient(port: number): Promise<{ client: PythonPeer; clientPort: number }> {
    const s = current();
    const client = s.track(await PythonPeer.connect(host, port));
    const clientPort = client.events[0].localPort ?? 0;
    await s.workbench.openTcpLabView();
    await s.workbench.expandTreeRow(new RegExp(`${escapeRegExp(`${host}:${port}`)}(?!\\d).*listening · 1 client`));
    await s.workbench.waitForTreeRow(new RegExp(`${escapeRegExp(`${host}:${clientPort}`)}(?!\\d)`));
    return { client, clientPort };
  }

  /** Sends the writes one at a time, each only after Python reported the previous one sent. */
  /** Right-click a tree row → Start Capture to File…, until the dialog whose prompt matches opens. */
  async function startCaptureFromContextMenu(row: RegExp, prompt: RegExp, shotName?: string): Promise<void> {
    await fromContextMenu(row, /Start Capture to File/, prompt, shotName);
  }

  /** Right-click a tree row → the menu item named `item`, until the prompt that matches opens. */
  async function fromContextMenu(row: RegExp, item: RegExp, prompt: RegExp, shotName?: string): Promise<void> {
    const s = current();
    await s.workbench.treeRow(row).click({ button: 'right' });
    const menuItem = s.page.getByRole('menuitem', { name: item });
    await menuItem.waitFor({ state: 'visible', timeout: 10_000 });
    if (shotName) await artifacts.shot(s, shotName);
    await menuItem.click();
    try {
      await s.workbench.waitForPrompt(prompt, 5_000);
    } catch (err) {
      // A context menu still settling can swallow a click (seen once on a busy machine): the item stays
      // highlighted and the menu open. Click once more; anything else is a real failure.
      if (!(await menuItem.isVisible())) throw err;
      await menuItem.click();
      await s.workbench.waitForPrompt(prompt);
    }
  }

  async function sendInWrites(client: PythonPeer, writes: readonly Buffer[]): Promise<void> {
    for (const write of writes) {
      const before = client.events.filter((e) => e.event === 'sent').length;
      client.send(write);
      await client.waitFor(() => client.events.filter((e) => e.event === 'sent').length > before, 20_000);
    }
  }

  it('with tcpLab.capture.directory set, a listener’s client is captured byte-exactly both ways, past the memory log’s limit', async function () {
    this.timeout(180_000);
    const s = current();
    const { workbench } = s;
    const captures = join(s.workspace, captureFolder);
    assert.ok(!existsSync(captures), 'the fixture must not ship a captures folder, or the test proves nothing');

    const port = await current().workbench.startListenerOnAnyPort();
    const { client, clientPort } = await connectClient(port);
    await artifacts.shot(s, 'client-connected');

    // Text, every byte value, ~200 KB of noise and a tail of NULs and CRLF: separate writes.
    const writes = [Buffer.from('HELLO capture\r\n'), Buffer.from(Array.from({ length: 256 }, (_, i) => i)), noise(200_000, 0x5eed), Buffer.from([0x00, 0x00, 0xff, 0x0d, 0x0a])];
    const sent = Buffer.concat(writes);
    assert.ok(sent.length > memoryLogBytes * 3);
    await sendInWrites(client, writes);

    // The file is written while the connection lives: wait until it holds every byte that came in.
    const file = await waitForSingleCapture(captures, clientPort);
    await waitFor(() => streamOf(readCapture(file, true), 'in').length === sent.length, `the capture file never held all ${sent.length} received bytes`);

    // Meanwhile the bounded memory log behind the traffic panel has dropped the oldest records.
    const clientRow = new RegExp(`${escapeRegExp(`${host}:${clientPort}`)}(?!\\d)`);
    const treeRow = workbench.treeRow(clientRow);
    await treeRow.hover();
    await treeRow.locator('.actions .action-label[aria-label^="Open Traffic Panel"]').click();
    const status = workbench.webview().locator('.status');
    await status.filter({ hasText: /older records? dropped by the log limits/ }).waitFor({ timeout: 15_000 });
    await artifacts.shot(s, 'memory-log-dropped-records');
    await workbench.runCommand('View: Close All Editors');

    // The listener answers with TCP: Send Hex… and TCP: Send Text…, picking the client.
    const hexReply = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0xde, 0xad, 0xbe, 0xef]);
    await current().workbench.runOnTarget('TCP: Send Hex…', clientRow);
    await workbench.waitForPrompt(/Hex bytes/);
    await workbench.answer('00 FF 0D 0A DE AD BE EF');
    await client.waitForBytes(hexReply.length);
    const textReply = Buffer.from(`ACK ${sent.length}`);
    await current().workbench.runOnTarget('TCP: Send Text…', clientRow);
    await workbench.waitForPrompt(/Text to send/);
    await workbench.answer(textReply.toString('utf8'));
    const replies = Buffer.concat([hexReply, textReply]);
    assert.equal((await client.waitForBytes(replies.length)).toString('hex'), replies.toString('hex'));
    await artifacts.shot(s, 'replied');

    // Stopping the listener closes the client, which flushes and closes its capture file.
    await current().workbench.runOnTarget('TCP: Stop Listener', new RegExp(`${escapeRegExp(`${host}:${port}`)}(?!\\d)`));
    await client.waitFor((e) => e.event === 'closed');
    // The stopped listener stays in the history, its client under it.
    await workbench.waitForTreeRow(new RegExp(`${escapeRegExp(`${host}:${port}`)}(?!\\d).*stopped .* · no clients · 1 closed`));
    await artifacts.shot(s, 'listener-stopped');

    // Still exactly one file for this client, and it is complete JSON Lines (no partial last line).
    assert.equal(await waitForSingleCapture(captures, clientPort), file);
    const lines = readCapture(file, false);
    assertWellFormed(lines);
    assert.equal(lines[0].seq, 1, 'the capture starts with the connection’s first record');
    assert.equal(streamOf(lines, 'in').toString('hex'), sent.toString('hex'), 'the in records must be exactly the bytes the client sent');
    assert.equal(streamOf(lines, 'out').toString('hex'), replies.toString('hex'), 'the out records must be exactly the bytes sent back');
    assert.deepEqual(
      lines.filter((line) => line.dir === 'out').map((line) => Buffer.from(line.base64, 'base64').toString('hex')),
      [hexReply.toString('hex'), textReply.toString('hex')],
      'each send is one out record',
    );

    // Export as pcapng from the stopped listener's context menu: the memory log kept only the newest
    // bytes, so the export says it left a gap; tshark still reads the file.
    await workbench.clearNotifications();
    const listenerRow = new RegExp(`${escapeRegExp(`${host}:${port}`)}(?!\\d).*stopped`);
    await fromContextMenu(listenerRow, /Export as pcapng/, /Export L\d+ as pcapng|pcapng/);
    const fromMemory = join(s.workspace, 'listener-memory.pcapng');
    await workbench.answer(fromMemory);
    await workbench.waitForNotification(/Exported \d+ records? as 1 TCP stream .*listener-memory\.pcapng\. The log had already dropped \d+ older bytes/);
    assert.equal(tshark(['-r', fromMemory, '-q']).status, 0);

    // The capture file keeps every byte: converted with TCP: Export Capture File as pcapng…, it
    // follows back to exactly what the client sent and received, with the listener's real port
    // (TCP Lab still knows the connection that wrote the file).
    await workbench.clearNotifications();
    await workbench.runCommand('TCP: Export Capture File as pcapng…');
    await workbench.waitForPrompt(/Export which capture file as pcapng/);
    // In this dialog Enter may still be resolving the typed path; its button accepts the file.
    await workbench.type(file);
    await s.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: basename(file) }).first().waitFor({ timeout: 10_000 });
    await s.page.locator('.quick-input-widget').getByRole('button', { name: 'Export' }).click();
    await workbench.waitForPrompt(new RegExp(`Export ${escapeRegExp(basename(file))} as pcapng`));
    const fromCapture = join(s.workspace, 'capture.pcapng');
    await workbench.type(fromCapture);
    await s.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: '..' }).first().waitFor({ timeout: 10_000 });
    await s.page.locator('.quick-input-widget').getByRole('button', { name: 'OK' }).click();
    await workbench.waitForNotification(new RegExp(`Exported ${lines.length} records as 1 TCP stream .*capture\\.pcapng\\.`));
    const followed = tshark(['-r', fromCapture, '-q', '-z', 'follow,tcp,raw,0']);
    assert.equal(followed.status, 0, followed.stderr);
    assert.match(followed.stdout, new RegExp(`Node 0: ${escapeRegExp(`${host}:${clientPort}`)}\\nNode 1: ${escapeRegExp(`${host}:${port}`)}\\n`), 'the client connected to the listener');
    const body = followed.stdout.split(/^=+$/m)[1] ?? '';
    const hexLines = body.split('\n').filter((line) => /^\t?[0-9a-f]+$/.test(line));
    assert.equal(hexLines.filter((line) => !line.startsWith('\t')).join(''), sent.toString('hex'), 'client → listener');
    assert.equal(hexLines.filter((line) => line.startsWith('\t')).map((line) => line.slice(1)).join(''), replies.toString('hex'), 'listener → client');
  });

  it('TCP: Start Capture to File… from a client’s context menu switches its capture to the typed path; Stop Capture ends it', async function () {
    this.timeout(180_000);
    const s = current();
    const { workbench } = s;
    const captures = join(s.workspace, captureFolder);
    const port = await current().workbench.startListenerOnAnyPort();
    const { client, clientPort } = await connectClient(port);
    const clientRow = new RegExp(`${escapeRegExp(`${host}:${clientPort}`)}(?!\\d)`);

    // Before the switch the setting's automatic capture has it.
    const beforeSwitch = Buffer.from('before switch\r\n');
    await sendInWrites(client, [beforeSwitch]);
    const automatic = await waitForSingleCapture(captures, clientPort);
    await waitFor(() => streamOf(readCapture(automatic, true), 'in').length === beforeSwitch.length, 'the automatic capture never held the first bytes');

    // Right-click the client in the tree → Start Capture to File…; code-server's save dialog is a
    // quick input holding a path, so the user types one.
    await startCaptureFromContextMenu(clientRow, /JSON Lines/, 'context-menu');
    await artifacts.shot(s, 'save-dialog');
    const picked = join(s.workspace, 'picked-capture.jsonl');
    await workbench.answer(picked);
    await workbench.waitForNotification(new RegExp(`Capturing .*${escapeRegExp('picked-capture.jsonl')}`));
    await artifacts.shot(s, 'capture-switched');

    const afterSwitch = [Buffer.from('after switch '), Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x0a])];
    await sendInWrites(client, afterSwitch);
    const hexReply = Buffer.from([0xca, 0xfe, 0x00, 0x0d, 0x0a]);
    await current().workbench.runOnTarget('TCP: Send Hex…', clientRow);
    await workbench.waitForPrompt(/Hex bytes/);
    await workbench.answer('CA FE 00 0D 0A');
    await client.waitForBytes(hexReply.length);
    const switched = Buffer.concat(afterSwitch);
    await waitFor(() => existsSync(picked) && streamOf(readCapture(picked, true), 'out').length === hexReply.length, 'the picked capture file never held the reply');

    // TCP: Stop Capture on the client: bytes after it are counted but written nowhere.
    await current().workbench.runOnTarget('TCP: Stop Capture', clientRow);
    await workbench.waitForNotification(/Stopped capturing the client .*the file holds every byte/);
    const afterStop = Buffer.from('after stop');
    await sendInWrites(client, [afterStop]);
    const totalIn = beforeSwitch.length + switched.length + afterStop.length;
    await workbench.waitForTreeRow(new RegExp(`${escapeRegExp(`${host}:${clientPort}`)}(?!\\d).*↓${totalIn} B ↑${hexReply.length} B`));
    await artifacts.shot(s, 'capture-stopped');

    const automaticLines = readCapture(automatic, false);
    const pickedLines = readCapture(picked, false);
    assertWellFormed(automaticLines);
    assertWellFormed(pickedLines);
    assert.equal(streamOf(automaticLines, 'in').toString('hex'), beforeSwitch.toString('hex'), 'the automatic file keeps what came before the switch, and nothing after');
    assert.equal(streamOf(automaticLines, 'out').length, 0);
    assert.equal(streamOf(pickedLines, 'in').toString('hex'), switched.toString('hex'), 'the picked file holds exactly what came in between switch and stop');
    assert.equal(streamOf(pickedLines, 'out').toString('hex'), hexReply.toString('hex'));
    // No record falls between the two files.
    assert.equal(pickedLines[0].seq, automaticLines[automaticLines.length - 1].seq + 1, 'the picked file starts right after the automatic one ends');
    assert.equal(await waitForSingleCapture(captures, clientPort), automatic, 'the switch must not start another automatic file');
  });

  it('Start Capture to File… with a .pcapng name writes the stream for Wireshark as it happens: tshark follows every byte and the close', async function () {
    this.timeout(180_000);
    const s = current();
    const { workbench } = s;
    const port = await current().workbench.startListenerOnAnyPort();
    const { client, clientPort } = await connectClient(port);
    const clientRow = new RegExp(`${escapeRegExp(`${host}:${clientPort}`)}(?!\\d)`);
    await startCaptureFromContextMenu(clientRow, /pcapng for Wireshark/);
    const picked = join(s.workspace, 'picked-capture.pcapng');
    await workbench.answer(picked);
    await workbench.waitForNotification(new RegExp(`Capturing .*${escapeRegExp('picked-capture.pcapng')}`));
    const sent = [Buffer.from('pcapng hello\r\n'), noise(100_000, 0xcafe), Buffer.from([0x00, 0xff])];
    await sendInWrites(client, sent);
    await current().workbench.runOnTarget('TCP: Send Text…', clientRow);
    await workbench.waitForPrompt(/Text to send/);
    await workbench.answer('pcapng reply');
    await client.waitForBytes('pcapng reply'.length);
    // The peer ends: TCP Lab closes too (keepHalfOpen off), which finishes the file with the FINs.
    client.end();
    await client.waitFor((e) => e.event === 'closed');
    await waitFor(() => existsSync(picked) && tshark(['-r', picked, '-T', 'fields', '-e', 'tcp.flags.fin']).stdout.trim().split('\n').filter((f) => f === '1' || f === 'True').length === 2, 'the pcapng capture never showed both FINs');
    const followed = tshark(['-r', picked, '-q', '-z', 'follow,tcp,raw,0']).stdout;
    const body = followed.split(/^=+$/m)[1] ?? '';
    const fromPeer = Buffer.from(body.split('\n').filter((line) => /^[0-9a-f]+$/.test(line)).join(''), 'hex');
    const fromLab = Buffer.from(body.split('\n').filter((line) => /^\t[0-9a-f]+$/.test(line)).map((line) => line.slice(1)).join(''), 'hex');
    // The peer connected, so its SYN is first and it is node 0.
    assert.equal(fromPeer.toString('hex'), Buffer.concat(sent).toString('hex'), 'every byte the client sent, in order');
    assert.equal(fromLab.toString(), 'pcapng reply');
  });

  it('Start Capture to File… on a listener captures every current and future client into the chosen folder; Stop Capture ends them all', async function () {
    this.timeout(180_000);
    const s = current();
    const { workbench, page } = s;
    const captures = join(s.workspace, captureFolder);
    // The user picks a folder that exists (the folder dialog opens existing folders).
    const chosen = join(s.workspace, 'listener-captures');
    mkdirSync(chosen);
    const port = await current().workbench.startListenerOnAnyPort();
    const listenerAddress = new RegExp(`${escapeRegExp(`${host}:${port}`)}(?!\\d)`);
    const listenerRow = new RegExp(`${listenerAddress.source}.*listening`);
    const { client: early, clientPort: earlyPort } = await connectClient(port);
    const earlyBefore = Buffer.from('early, before');
    await sendInWrites(early, [earlyBefore]);
    const earlyAutomatic = await waitForSingleCapture(captures, earlyPort);
    await waitFor(() => streamOf(readCapture(earlyAutomatic, true), 'in').length === earlyBefore.length, 'the automatic capture never held the early bytes');

    await startCaptureFromContextMenu(listenerRow, /into a folder/);
    // In this dialog Enter on a folder's path opens that folder; its button accepts it.
    await workbench.type(`${chosen}/`);
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: '..' }).first().waitFor({ timeout: 10_000 });
    await artifacts.shot(s, 'folder-dialog');
    await page.locator('.quick-input-widget').getByRole('button', { name: 'Capture Here' }).click();
    await workbench.waitForNotification(/Capturing every client of the listener into/);

    // A client connecting now captures into the chosen folder from its first byte.
    const late = s.track(await PythonPeer.connect(host, port));
    const latePort = late.events[0].localPort ?? 0;
    await workbench.waitForTreeRow(/listening · 2 clients/);
    const earlyAfter = Buffer.from([0x01, 0x02, 0x00, 0xff]);
    const lateBytes = Buffer.from('late\r\n\x00\xff', 'latin1');
    await sendInWrites(early, [earlyAfter]);
    await sendInWrites(late, [lateBytes]);
    const earlyFile = await waitForSingleCapture(chosen, earlyPort);
    const lateFile = await waitForSingleCapture(chosen, latePort);
    await waitFor(() => streamOf(readCapture(earlyFile, true), 'in').length === earlyAfter.length, 'the early client’s file never held its bytes after the switch');
    await waitFor(() => streamOf(readCapture(lateFile, true), 'in').length === lateBytes.length, 'the late client’s file never held its bytes');

    // Stop Capture on the listener stops every client's file; later bytes are written nowhere.
    await current().workbench.runOnTarget('TCP: Stop Capture', listenerAddress);
    await workbench.waitForNotification(/Stopped capturing the listener .*each client's file holds every byte/);
    await sendInWrites(late, [Buffer.from('after stop')]);
    await workbench.expandTreeRow(listenerRow);
    await workbench.waitForTreeRow(new RegExp(`${escapeRegExp(`${host}:${latePort}`)}(?!\\d).*↓${lateBytes.length + 'after stop'.length} B`));
    await artifacts.shot(s, 'listener-capture-stopped');

    assert.equal(streamOf(readCapture(earlyAutomatic, false), 'in').toString('hex'), earlyBefore.toString('hex'));
    const lateLines = readCapture(lateFile, false);
    assertWellFormed(lateLines);
    assert.equal(lateLines[0].seq, 1, 'a client accepted after the listener started capturing is captured from its first byte');
    assert.equal(streamOf(lateLines, 'in').toString('hex'), lateBytes.toString('hex'));
    assert.equal(streamOf(readCapture(earlyFile, false), 'in').toString('hex'), earlyAfter.toString('hex'));
    const automaticOfLate = readdirSync(captures).filter((name) => name.endsWith(`-${latePort}.jsonl`));
    assert.deepEqual(automaticOfLate, [], 'the listener’s folder replaces the setting’s folder for its clients');
  });
});

/** The single capture file of the client on `clientPort`, once it exists. */
async function waitForSingleCapture(folder: string, clientPort: number): Promise<string> {
  const pattern = new RegExp(`^\\d{4}-\\d\\d-\\d\\d_\\d\\d-\\d\\d-\\d\\d_C\\d+_127\\.0\\.0\\.1-${clientPort}\\.jsonl$`);
  let matches: string[] = [];
  await waitFor(() => {
    matches = existsSync(folder) ? readdirSync(folder).filter((name) => pattern.test(name)) : [];
    return matches.length > 0;
  }, `no capture file for client port ${clientPort} appeared in ${captureFolder}/ (it holds ${JSON.stringify(existsSync(folder) ? readdirSync(folder) : [])})`);
  assert.equal(matches.length, 1, `one capture file per connection, found ${JSON.stringify(matches)}`);
  return join(folder, matches[0]);
}

/**
 * The capture's records. While the file is still being written its last line may be cut short;
 * `allowPartialTail` ignores that one line, otherwise every line must parse.
 */
function readCapture(file: string, allowPartialTail: boolean): CaptureLine[] {
  const text = readFileSync(file, 'utf8');
  const rawLines = text.split('\n');
  const tail = rawLines.pop();
  if (!allowPartialTail) assert.equal(tail, '', 'a finished capture file ends with a newline');
  return rawLines.map((line) => JSON.parse(line) as CaptureLine);
}

function streamOf(lines: readonly CaptureLine[], dir: 'in' | 'out'): Buffer {
  return Buffer.concat(lines.filter((line) => line.dir === dir).map((line) => Buffer.from(line.base64, 'base64')));
}

/** Every line has exactly the documented fields, seq counts up by one, time never goes back. */
function assertWellFormed(lines: readonly CaptureLine[]): void {
  assert.ok(lines.length > 0, 'the capture file is empty');
  lines.forEach((line, index) => {
    assert.deepEqual(Object.keys(line).sort(), ['base64', 'dir', 'seq', 'time'], `line ${index + 1} has other fields`);
    assert.ok(line.dir === 'in' || line.dir === 'out', `line ${index + 1} has dir ${String(line.dir)}`);
    assert.ok(Number.isFinite(line.time) && line.time > 1_600_000_000_000, `line ${index + 1} has no epoch-ms time`);
    if (index > 0) {
      assert.equal(line.seq, lines[index - 1].seq + 1, `seq jumps at line ${index + 1}`);
      assert.ok(line.time >= lines[index - 1].time, `time goes back at line ${index + 1}`);
    }
  });
}

/** Reproducible bytes that are not text (a xorshift generator), so a failure can be replayed. */
function noise(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

async function waitFor(check: () => boolean, message: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
}
