import * as assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Toxiproxy } from 'toxiproxy-node-client';
import { bundleCli } from './support/cliBundle';
import { tlsFixtures } from './support/tlsFixtures';
import { Cleanup, runPythonPeer, startPythonPeer, waitUntil } from './support/sockets';

/** `tcp-lab serve` as a CI step runs it: the bundled CLI in a child process, its stdout read line by line. */
class ServeProcess {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  }

  /** The first line matching, waiting for it to be printed. */
  async line(pattern: RegExp, timeoutMs = 8000): Promise<RegExpExecArray> {
    let found: RegExpExecArray | null = null;
    await waitUntil(() => (found = this.lines.map((l) => pattern.exec(l)).find((m) => m) ?? null) !== null, `a line matching ${pattern} in:\n${this.lines.join('\n')}\n${this.stderr}`, timeoutMs);
    return found as unknown as RegExpExecArray;
  }

  get output(): string {
    return `${this.lines.join('\n')}\n${this.stderr}`;
  }
}

/** Runs Python's client peer through `port`: sends, half-closes, returns what came back and how long it took. */
async function pythonClient(port: number, message: string): Promise<{ code: number | null; text: string; stderr: string; ms: number }> {
  const started = Date.now();
  const result = await runPythonPeer('client.py', ['127.0.0.1', String(port), message]);
  return { code: result.code, text: result.stdout.toString('utf8'), stderr: result.stderr, ms: Date.now() - started };
}

/** The next JSON report of the witness server (one per ended connection). */
async function nextReport(reports: unknown[], count: number): Promise<{ first_byte_ms: number | null; bytes: number; end: string }> {
  await waitUntil(() => reports.length >= count, `witness report ${count}`);
  return reports[count - 1] as { first_byte_ms: number | null; bytes: number; end: string };
}

describe('tcp-lab serve', function () {
  this.timeout(30000);
  const cleanup = new Cleanup();
  let dir: string;
  let cli: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tcp-lab-serve-'));
    cli = await bundleCli(dir);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => cleanup.run());

  async function settingsFile(presets: unknown[]): Promise<string> {
    const file = path.join(dir, `settings-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, `{\n  // checked in next to the code\n  "tcpLab.presets": ${JSON.stringify(presets, null, 2)},\n}\n`);
    return file;
  }

  function serve(args: string[]): ServeProcess {
    const child = spawn(process.execPath, [cli, 'serve', ...args], { cwd: dir, stdio: 'pipe' });
    const proc = new ServeProcess(child);
    cleanup.add(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // Only the child this test started, by its own handle.
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.kill('SIGTERM');
      await proc.exited;
      clearTimeout(timer);
    });
    return proc;
  }

  async function witness(): Promise<{ port: number; reports: unknown[] }> {
    const { child, port } = await startPythonPeer(cleanup, 'witnessServer.py');
    const reports: unknown[] = [];
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const part of parts) if (part.trim()) reports.push(JSON.parse(part));
    });
    return { port, reports };
  }

  it('toxiproxy-node-client drives `serve --api`: latency and reset_peer take effect on a Python client and a Python server, and go away when removed', async () => {
    const server = await witness();
    const proc = serve(['--settings', await settingsFile([]), '--api', '127.0.0.1:0']);
    const [, apiAddress] = await proc.line(/Serving 0 presets, proxy API on http:\/\/(\S+);/);
    const toxiproxy = new Toxiproxy(`http://${apiAddress}`);
    const { version } = JSON.parse(await readFile(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    assert.deepEqual(JSON.parse(await toxiproxy.getVersion()), { version }, 'the bundle reports the version it was built from');

    const proxy = await toxiproxy.createProxy({ name: 'python', listen: '127.0.0.1:0', upstream: `127.0.0.1:${server.port}` });
    const port = Number(proxy.listen.split(':').pop());
    assert.ok(port > 0, proxy.listen);
    assert.deepEqual(Object.keys(await toxiproxy.getAll()), ['python']);

    const plain = await pythonClient(port, 'plain');
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.text, 'plain');
    const plainReport = await nextReport(server.reports, 1);
    assert.equal(plainReport.end, 'eof');

    // Latency on what the client sends: the server sees the first byte late, the client its echo late.
    const latency = await proxy.addToxic({ name: 'slow_requests', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 500 } } as never);
    assert.equal(latency.name, 'slow_requests');
    const slow = await pythonClient(port, 'slow');
    assert.equal(slow.text, 'slow');
    assert.ok(slow.ms >= 500, `the client waited ${slow.ms} ms, not the 500 ms latency`);
    const slowReport = await nextReport(server.reports, 2);
    assert.ok((slowReport.first_byte_ms ?? 0) >= 300, `the server got the first byte after ${slowReport.first_byte_ms} ms`);
    await latency.remove();
    const fast = await pythonClient(port, 'fast');
    assert.equal(fast.text, 'fast');
    // Timed on the server's side: a Python client's own start-up time varies with the machine's load.
    const fastReport = await nextReport(server.reports, 3);
    assert.ok((fastReport.first_byte_ms ?? 999) < 250, `without the toxic the server got the first byte after ${fastReport.first_byte_ms} ms`);

    // reset_peer: 400 ms into the pair it is reset; the Python client and the Python server both see RST.
    const reset = await proxy.addToxic({ name: 'rst', type: 'reset_peer', stream: 'downstream', toxicity: 1, attributes: { timeout: 400 } } as never);
    const held = await runPythonPeer('holdingClient.py', ['127.0.0.1', String(port), 'doomed', '5']);
    const seen = JSON.parse(held.stdout.toString()) as { received: string; end: string; ms: number };
    assert.equal(seen.received, 'doomed', 'the echo went through before the reset');
    assert.equal(seen.end, 'reset', held.stdout.toString());
    assert.ok(seen.ms >= 350 && seen.ms < 3000, `reset after ${seen.ms} ms, not after about 400 ms`);
    const serverSide = await nextReport(server.reports, 4);
    assert.deepEqual({ bytes: serverSide.bytes, end: serverSide.end }, { bytes: 6, end: 'reset' });
    await proc.line(/proxy python: C\d+: .*reset/i);
    await reset.remove();
    const healed = await pythonClient(port, 'healed');
    assert.equal(healed.code, 0, healed.stderr);
    assert.equal(healed.text, 'healed');

    await (await toxiproxy.get('python')).remove();
    await assert.rejects(toxiproxy.get('python'), /404/);
    const refused = net.connect({ host: '127.0.0.1', port });
    const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNREFUSED');
    assert.match(proc.output, /API created proxy python: 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+/);
    assert.match(proc.output, /API added toxic slow_requests \(latency, upstream\) to proxy python/);
    assert.match(proc.output, /API removed proxy python/);
  });

  it('runs a listener preset (mock server) and a proxy preset with faults, prints connection, rule and fault lines, and stops cleanly on SIGTERM', async () => {
    const settings = await settingsFile([
      { name: 'Mock', kind: 'listener', host: '127.0.0.1', port: 0, framing: { mode: 'delimiter', delimiter: 'lf' }, rules: [{ name: 'ping', match: 'exact', pattern: 'PING', reply: 'PONG\n' }] },
      { name: 'Client', kind: 'client', host: '127.0.0.1', port: 9 },
    ]);
    const mock = serve(['--settings', settings, '--preset', 'Mock']);
    const [, mockPort] = await mock.line(/\[L\d+\] Listening on 127\.0\.0\.1:(\d+)/);
    await mock.line(/Serving 1 preset;/);

    // The proxy preset relays to the mock server, with 300 ms on the replies.
    const proxySettings = await settingsFile([
      { name: 'slow-mock', kind: 'proxy', host: '127.0.0.1', port: 0, upstream: `127.0.0.1:${mockPort}`, faults: [{ type: 'latency', attributes: { latency: 300 } }] },
    ]);
    const proxied = serve(['--settings', proxySettings]);
    const [, proxyPort] = await proxied.line(/Proxy "slow-mock": 127\.0\.0\.1:(\d+) → 127\.0\.0\.1:\d+ with latency_downstream \(latency, downstream\)/);
    await proxied.line(/Serving 1 preset;/);

    // The mock server keeps a half-closed connection open, so this client waits for the reply, not a close.
    const asking = new net.Socket();
    cleanup.socket(asking);
    asking.connect(Number(proxyPort), '127.0.0.1');
    await once(asking, 'connect');
    const started = Date.now();
    let answer = '';
    asking.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    asking.write('PING\n');
    await waitUntil(() => answer === 'PONG\n', `PONG through the proxy (got ${JSON.stringify(answer)})`);
    const ms = Date.now() - started;
    assert.ok(ms >= 300, `the reply came after ${ms} ms, not after the preset's 300 ms latency`);
    asking.destroy();
    await mock.line(/\[C\d+\] rule "ping" matched \(hit 1\)/);
    await proxied.line(/\[C\d+\] Accepted 127\.0\.0\.1:\d+ on L\d+/);
    await proxied.line(/proxy slow-mock: C\d+: client 127\.0\.0\.1:\d+ → upstream 127\.0\.0\.1:\d+/);

    // A client still connected when the signal comes is closed, and the process exits 0.
    const open = new net.Socket();
    cleanup.socket(open);
    open.connect(Number(proxyPort), '127.0.0.1');
    await once(open, 'connect');
    const closed = once(open, 'close');
    proxied.child.kill('SIGTERM');
    const [code, signal] = await proxied.exited;
    assert.equal(code, 0, proxied.output);
    assert.equal(signal, null);
    await closed;
    assert.match(proxied.output, /Stopped on SIGTERM: every proxy, listener and connection is closed\.\n/);
    mock.child.kill('SIGINT');
    assert.deepEqual(await mock.exited, [0, null]);
    assert.match(mock.output, /Stopped listening on 127\.0\.0\.1:\d+/);
    assert.match(mock.output, /Stopped on SIGINT/);
    for (const port of [Number(mockPort), Number(proxyPort)]) {
      const probe = net.connect({ host: '127.0.0.1', port });
      const [err] = (await once(probe, 'error')) as [NodeJS.ErrnoException];
      assert.equal(err.code, 'ECONNREFUSED', `port ${port} is closed`);
    }
  });

  it('a proxy preset with "tls" terminates TLS for its clients and relays the plain stream to a Python server', async () => {
    const certs = await tlsFixtures();
    const server = await witness();
    const settings = await settingsFile([
      { name: 'tls-front', kind: 'proxy', host: '127.0.0.1', port: 0, upstream: `127.0.0.1:${server.port}`, tls: { cert: certs.serverCert, key: certs.serverKey } },
    ]);
    const proc = serve(['--settings', settings]);
    const [, port] = await proc.line(/Proxy "tls-front": 127\.0\.0\.1:(\d+) → /);
    const socket = tls.connect({ host: '127.0.0.1', port: Number(port), servername: 'localhost', ca: await readFile(certs.caCert, 'utf8') });
    cleanup.socket(socket);
    await once(socket, 'secureConnect');
    assert.equal(socket.authorized, true, String(socket.authorizationError));
    let echoed = '';
    socket.on('data', (chunk: Buffer) => (echoed += chunk.toString()));
    socket.write('over tls');
    await waitUntil(() => echoed === 'over tls', `the echo through the TLS proxy (got ${JSON.stringify(echoed)})`);
    socket.end();
    const report = await nextReport(server.reports, 1);
    assert.equal(report.bytes, 'over tls'.length, 'the server got the decrypted bytes');
  });

  it('says what is wrong in one sentence and exits 2 (usage) or 1 (a start failed)', async () => {
    const settings = await settingsFile([
      { name: 'Wide', kind: 'listener', host: '0.0.0.0', port: 0 },
      { name: 'Client', kind: 'client', host: '127.0.0.1', port: 9 },
      { name: 'Local', kind: 'listener', host: '127.0.0.1', port: 0 },
      { name: 'Broken', kind: 'proxy', host: '127.0.0.1', port: 0 },
    ]);
    const busy = net.createServer();
    cleanup.server(busy);
    busy.listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const busyPort = (busy.address() as net.AddressInfo).port;
    const cases: [string[], number, RegExp][] = [
      [['--preset', 'Nope'], 2, /^Unknown preset "Nope": use one of "Wide", "Local"\.\n$/m],
      [['--preset', 'Client'], 2, /^Preset "Client" is a client preset; tcp-lab serve runs listener and proxy presets/m],
      [['--preset', 'Wide'], 2, /^Preset "Wide" not started: Listening on 0\.0\.0\.0:0 makes a free port reachable from other machines on your network\. Use 127\.0\.0\.1 or ::1, or pass --allow-exposed\.\n$/m],
      [['--preset', 'Local', '--api', '0.0.0.0:0'], 2, /^The proxy API stays on this machine: Listening on 0\.0\.0\.0:0 makes a free port reachable from other machines on your network\. Use 127\.0\.0\.1:8474, or pass --allow-exposed\.\n$/m],
      [['--preset', 'Local', '--api', `127.0.0.1:${busyPort}`], 1, new RegExp(`^The proxy API cannot listen on 127\\.0\\.0\\.1:${busyPort}: the port is in use`, 'm')],
      [['--api', '8474'], 2, /^The proxy API address "8474" is not usable: "8474" has no host; enter host:port, for example 127\.0\.0\.1:8474\.\n$/m],
      [['--bogus'], 2, /^Unknown option --bogus\.\nUsage: tcp-lab serve/],
      [['Local'], 2, /^Unexpected argument 'Local': name presets with --preset NAME\./],
    ];
    for (const [args, code, message] of cases) {
      const proc = serve(['--settings', settings, ...args]);
      const [exit] = await proc.exited;
      assert.equal(exit, code, `${args.join(' ')}: ${proc.output}`);
      assert.match(proc.stderr, message, args.join(' '));
      assert.doesNotMatch(proc.stderr, /    at /, 'no stack trace');
    }
    // The broken proxy preset (no upstream) is reported as the editor reports it, and skipped.
    const proc = serve(['--settings', settings, '--preset', 'Local']);
    await proc.line(/Serving 1 preset;/);
    assert.match(proc.output, /warning: Preset "Broken": "upstream" must be the server to relay to/);
  });
});
