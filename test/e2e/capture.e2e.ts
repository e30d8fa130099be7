// Capture to file end to end: the memory log is bounded (here to 64 KiB), so the capture file is
// where every byte is kept. A workspace with `tcpLab.capture.directory` set makes every new
// connection capture from its first byte; the test rebuilds both directions of the stream from the
// file and compares them with what an independent Python client really sent and received.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

  /** TCP: Start Listener on port 0 from the palette; returns the port the notification names. */
  async function startListener(): Promise<number> {
    const { workbench } = current();
    await workbench.clearNotifications();
    await workbench.runCommand('TCP: Start Listener');
    await workbench.waitForPrompt(/Start Listener/);
    await workbench.answer('0');
    const text = await workbench.waitForNotification(/Listening on /);
    const match = /Listening on 127\.0\.0\.1:(\d+)/.exec(text);
    assert.ok(match, `the notification "${text}" names no 127.0.0.1 port`);
    return Number(match[1]);
  }

  /** Runs a palette command that asks which listener or connection, and picks the matching row. */
  async function runOnTarget(title: string, label: RegExp): Promise<void> {
    const { workbench } = current();
    await workbench.runCommand(title);
    await workbench.waitForPrompt(/Choose a listener or connection|which|…/i);
    await workbench.pick(label);
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

    const port = await startListener();
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

    // The listener answers with TCP: Send Hex… and TCP: Send Text…, picking the client.
    const clientRow = new RegExp(`${escapeRegExp(`${host}:${clientPort}`)}(?!\\d)`);
    const hexReply = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0xde, 0xad, 0xbe, 0xef]);
    await runOnTarget('TCP: Send Hex…', clientRow);
    await workbench.waitForPrompt(/Hex bytes/);
    await workbench.answer('00 FF 0D 0A DE AD BE EF');
    await client.waitForBytes(hexReply.length);
    const textReply = Buffer.from(`ACK ${sent.length}`);
    await runOnTarget('TCP: Send Text…', clientRow);
    await workbench.waitForPrompt(/Text to send/);
    await workbench.answer(textReply.toString('utf8'));
    const replies = Buffer.concat([hexReply, textReply]);
    assert.equal((await client.waitForBytes(replies.length)).toString('hex'), replies.toString('hex'));
    await artifacts.shot(s, 'replied');

    // Stopping the listener closes the client, which flushes and closes its capture file.
    await runOnTarget('TCP: Stop Listener', new RegExp(`${escapeRegExp(`${host}:${port}`)}(?!\\d)`));
    await client.waitFor((e) => e.event === 'closed');
    await workbench.waitForNoTreeRow(new RegExp(`${escapeRegExp(`${host}:${port}`)}(?!\\d)`));
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
