import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as net from 'node:net';
import * as path from 'node:path';
import { parseTcpFile } from '../../src/core/tcpFile/parser';
import { bundleCli } from './support/cliBundle';
import { echoServer, hex, serverPeer, stopPeers } from './tcpFilePeers';

/** Run the bundled CLI exactly as a pipeline would: node executes dist-style output with its shebang. */
async function runCli(cli: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

describe('tcp-lab-test CLI', function () {
  this.timeout(20000);
  let dir: string;
  let cli: string;
  const repo = path.resolve(__dirname, '..', '..');

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tcp-lab-cli-'));
    // The same entry and options as scripts/build.mjs, bundled into a scratch directory.
    cli = await bundleCli(dir);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(stopPeers);

  it('runs the shipped sample against an echo service and exits 0', async () => {
    const echo = await echoServer();
    const settings = path.join(dir, 'settings.json');
    const shipped = await readFile(path.join(repo, 'samples', 'settings.json'), 'utf8');
    // Keep the sample's settings (comments and all), pointing the `local` environment at the peer.
    await writeFile(settings, shipped.replace('"port": "7000" }', `"port": "${echo.port}" }`));
    const result = await runCli(cli, ['--settings', settings, '--env', 'local', path.join(repo, 'samples', 'echo.tcp')], dir);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /✓ Echo a line of text \(\d+ ms\)/);
    assert.match(result.stdout, /\n4 passed, 0 failed\n$/);
  });

  it('prints expected vs received for a failure, counts per block and exits 1', async () => {
    const good = await serverPeer([['recv', 4], ['send', hex('pong')]]);
    const bad = await serverPeer([['send', hex('nope')]]);
    await writeFile(
      path.join(dir, 'a.tcp'),
      `### good\nCONNECT 127.0.0.1:${good.port}\nSEND text ping\nEXPECT text pong\n### bad\nCONNECT 127.0.0.1:${bad.port}\nEXPECT text yes\n### no expectations\nCONNECT 127.0.0.1:1\nSEND text x\n`,
    );
    const result = await runCli(cli, ['*.tcp'], dir);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /^a\.tcp\n/, 'the quoted pattern was expanded by the CLI');
    assert.match(result.stdout, /✓ good/);
    assert.match(result.stdout, /✗ bad/);
    assert.match(result.stdout, /line 7: EXPECT text yes/);
    assert.match(result.stdout, /expected: yes {2}\[79 65 73\]/i);
    assert.match(result.stdout, /received: nope {2}\[6e 6f 70 65\]/i);
    assert.match(result.stdout, /\n1 passed, 1 failed\n$/);
  });

  it('reports diagnostics with file:line:col and fails the broken block', async () => {
    await writeFile(path.join(dir, 'broken.tcp'), '### broken\nCONNECT 127.0.0.1:9\nSEND hex 0g\nEXPECT close\n');
    const result = await runCli(cli, ['broken.tcp'], dir);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /broken\.tcp:3:11 error: /);
    assert.match(result.stdout, /\n0 passed, 1 failed, 1 file with errors\n$/);
  });

  it('fails a file whose only problem is an error outside any block with EXPECT (a misspelled EXPCT)', async () => {
    const echo = await echoServer();
    await writeFile(path.join(dir, 'typo.tcp'), `### typo\nCONNECT 127.0.0.1:${echo.port}\nSEND text hi\nEXPCT text hi\n`);
    const result = await runCli(cli, ['typo.tcp'], dir);
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /typo\.tcp:4:1 error: .*EXPCT/);
    assert.match(result.stdout, /✗ typo\.tcp has 1 error: fix it \(listed above\) for this file to pass\./);
    assert.match(result.stdout, /\n0 passed, 0 failed, 1 file with errors\n$/);
    // Warnings alone do not fail a run.
    await writeFile(path.join(dir, 'clean.tcp'), '# only a comment\n');
    assert.equal((await runCli(cli, ['clean.tcp'], dir)).code, 0);
  });

  it('sends files only from inside the .tcp file’s folder or --root, unless --allow-outside-root', async () => {
    const project = path.join(dir, 'project');
    await mkdir(path.join(project, 'tests'), { recursive: true });
    await writeFile(path.join(dir, 'secret.txt'), 'private');
    await writeFile(path.join(project, 'shared.bin'), 'shared');
    const echo = await echoServer();
    const block = (file: string, expected: string) => `### send\nCONNECT 127.0.0.1:${echo.port}\nSEND file ${file}\nEXPECT text ${expected}\n`;
    await writeFile(path.join(project, 'tests', 'leak.tcp'), block('../../secret.txt', 'private'));
    await writeFile(path.join(project, 'tests', 'shared.tcp'), block('../shared.bin', 'shared'));

    const refused = await runCli(cli, ['tests/leak.tcp'], project);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /SEND file '\.\.\/\.\.\/secret\.txt' is outside .*tests and is not sent: move the file inside that folder, or pass --root DIR for a folder that contains it, or --allow-outside-root\./);
    assert.doesNotMatch(refused.stdout, /private/);

    // --root widens the folder to the project, still not beyond it.
    assert.equal((await runCli(cli, ['--root', '.', 'tests/shared.tcp'], project)).code, 0);
    const stillOut = await runCli(cli, ['--root', '.', 'tests/leak.tcp'], project);
    assert.match(stillOut.stdout, /is outside .*project and is not sent: .*pass another --root or --allow-outside-root\./);

    const allowed = await runCli(cli, ['--allow-outside-root', 'tests/leak.tcp'], project);
    assert.equal(allowed.code, 0, allowed.stdout);
    assert.match(allowed.stdout, /\n1 passed, 0 failed\n$/);
  });

  it('refuses a LISTEN other machines could reach unless --allow-exposed: nobody is there to ask', async () => {
    const port = await freePort();
    const wide = path.join(dir, 'wide.tcp');
    await writeFile(wide, `### wide\nLISTEN 0.0.0.0:${port}\nTIMEOUT 5s\nEXPECT text hi\n`);
    const refused = await runCli(cli, [wide], dir);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, new RegExp(`Not run: Listening on 0\\.0\\.0\\.0:${port} makes port ${port} reachable from other machines on your network\\. Listen on 127\\.0\\.0\\.1 or ::1, or pass --allow-exposed\\.`));
    assert.match(refused.stdout, /\n0 passed, 1 failed\n$/);

    // With the flag the block listens and passes; on loopback it needs no flag.
    const loopback = path.join(dir, 'loopback.tcp');
    await writeFile(loopback, `### local\nLISTEN 127.0.0.1:${port}\nTIMEOUT 5s\nEXPECT text hi\n`);
    for (const [args, label] of [[['--allow-exposed', wide], 'wide with --allow-exposed'], [[loopback], 'loopback']] as const) {
      const running = runCli(cli, [...args], dir);
      await sendWhenListening(port, 'hi');
      const result = await running;
      assert.equal(result.code, 0, `${label}: ${result.stdout}`);
      assert.match(result.stdout, /\n1 passed, 0 failed\n$/);
    }
  });

  it('exits 2 with usage on bad arguments', async () => {
    const none = await runCli(cli, [], dir);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Give at least one \.tcp file\.\nUsage: tcp-lab-test/);
    const env = await runCli(cli, ['--env', 'prod', 'x.tcp'], dir);
    assert.equal(env.code, 2);
    assert.match(env.stderr, /Unknown environment 'prod'/);
  });

  it('reads options with node:util parseArgs: --name=value, short flags, one sentence per mistake', async () => {
    const echo = await echoServer();
    const settings = path.join(dir, 'envs.json');
    await writeFile(settings, JSON.stringify({ 'tcpLab.environments': { staging: { port: String(echo.port) } } }));
    await writeFile(path.join(dir, 'env.tcp'), '### env\nCONNECT 127.0.0.1:{{port}}\nSEND text hi\nEXPECT text hi\n');
    const equals = await runCli(cli, [`--settings=${settings}`, '--env=staging', '--timeout=3s', '-v', 'env.tcp'], dir);
    assert.equal(equals.code, 0, equals.stdout + equals.stderr);
    assert.match(equals.stdout, /\n1 passed, 0 failed\n$/);

    const cases: [string[], RegExp][] = [
      [['--bogus', 'x.tcp'], /^Unknown option --bogus\.\nUsage: tcp-lab-test/],
      [['x.tcp', '--env'], /^--env needs a value\.\n/],
      [['--verbose=yes', 'x.tcp'], /^--verbose takes no value; write --verbose alone\.\n/],
      [['--timeout=soon', 'x.tcp'], /^Invalid --timeout 'soon': write a duration such as 2s or 500ms\.\n/],
      [['--reporter', 'xml', 'x.tcp'], /^Unknown --reporter 'xml': use text, junit, tap\.\n/],
      [['--output', 'r.xml', 'x.tcp'], /^--output is where a junit or tap report goes: add --reporter junit or --reporter tap\.\n/],
      [['capture2pcap', '--remote=nowhere', 'a.jsonl'], /^Invalid --remote 'nowhere': write a numeric address and port/],
      [['capture2pcap', '--what', 'a.jsonl'], /^Unknown option --what\.\nUsage: tcp-lab-test capture2pcap/],
    ];
    for (const [args, expected] of cases) {
      const result = await runCli(cli, args, dir);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, expected, args.join(' '));
    }
    const help = await runCli(cli, ['--help'], dir);
    assert.equal(help.code, 0);
    assert.match(help.stderr, /^Usage: tcp-lab-test .*--reporter junit\|tap/);
  });

  it('expands a quoted tests/**/*.tcp itself, in sorted order, whatever the shell', async () => {
    const echo = await echoServer();
    const project = path.join(dir, 'globbed');
    await mkdir(path.join(project, 'tests', 'deep', 'er'), { recursive: true });
    const block = `### echo\nCONNECT 127.0.0.1:${echo.port}\nSEND text hi\nEXPECT text hi\n`;
    for (const name of ['tests/b.tcp', 'tests/deep/a.tcp', 'tests/deep/er/c.tcp', 'tests/notes.txt']) await writeFile(path.join(project, name), block);
    const result = await runCli(cli, ['tests/**/*.tcp'], project);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const files = result.stdout.split('\n').filter((line) => line.endsWith('.tcp'));
    assert.deepEqual(files, ['tests/b.tcp', 'tests/deep/a.tcp', 'tests/deep/er/c.tcp']);
    assert.match(result.stdout, /\n3 passed, 0 failed\n$/);
    // A pattern matching nothing is reported as the file it names, and fails the run.
    const none = await runCli(cli, ['missing/**/*.tcp'], project);
    assert.equal(none.code, 1);
    assert.match(none.stdout, /Cannot read 'missing\/\*\*\/\*\.tcp': check the path\./);
  });

  it('writes a JUnit XML report CI servers read: suites per file, failures and errors with messages, seconds, escaped', async () => {
    const echo = await echoServer();
    await writeFile(
      path.join(dir, 'junit.tcp'),
      `### echo <ok> & fine\nCONNECT 127.0.0.1:${echo.port}\nSEND text hi\nEXPECT text hi\n### wrong "reply"\nCONNECT 127.0.0.1:${echo.port}\nSEND text a<b&c\nEXPECT text x>y\n`,
    );
    await writeFile(path.join(dir, 'junit-broken.tcp'), `### typo\nCONNECT 127.0.0.1:${echo.port}\nSEND text hi\nEXPCT text hi\n`);
    const out = path.join(dir, 'results.xml');
    const result = await runCli(cli, ['--reporter', 'junit', '--output', out, 'junit.tcp', 'junit-broken.tcp'], dir);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /\n1 passed, 1 failed, 1 file with errors\n$/, 'progress stays on stdout when the report goes to a file');
    const xml = await readFile(out, 'utf8');
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/);
    const root = parseXml(xml);
    assert.equal(root.name, 'testsuites');
    assert.deepEqual(pick(root.attrs, ['tests', 'failures', 'errors']), { tests: '3', failures: '1', errors: '1' });
    const [suite, broken] = root.children;
    assert.equal(root.children.length, 2);
    assert.deepEqual(pick(suite.attrs, ['name', 'tests', 'failures', 'errors']), { name: 'junit.tcp', tests: '2', failures: '1', errors: '0' });
    assert.match(suite.attrs.time, /^\d+\.\d{3}$/, 'times in seconds');
    const [pass, fail] = suite.children;
    assert.equal(pass.name, 'testcase');
    assert.equal(pass.attrs.name, 'echo <ok> & fine', 'escaped in the file, read back as written');
    assert.equal(pass.attrs.classname, 'junit.tcp');
    assert.deepEqual(pass.children, []);
    assert.match(fail.attrs.time, /^\d+\.\d{3}$/);
    assert.ok(Number(fail.attrs.time) < 10, `milliseconds written as seconds: ${fail.attrs.time}`);
    assert.equal(fail.attrs.name, 'wrong "reply"');
    assert.equal(fail.children[0].name, 'failure');
    assert.match(fail.children[0].attrs.message, /^line 8: EXPECT text x>y: /);
    assert.match(fail.children[0].text, /expected: x>y/);
    assert.match(fail.children[0].text, /received: a<b&c/);
    assert.deepEqual(pick(broken.attrs, ['name', 'tests', 'failures', 'errors']), { name: 'junit-broken.tcp', tests: '1', failures: '0', errors: '1' });
    const error = broken.children[0].children[0];
    assert.equal(error.name, 'error');
    assert.match(error.attrs.message, /^junit-broken\.tcp:4:1 error: .*EXPCT/);
  });

  it('prints a TAP 13 report on stdout, progress on stderr, and exits 1 on a failure', async () => {
    const echo = await echoServer();
    await writeFile(path.join(dir, 'tap.tcp'), `### one # two\nCONNECT 127.0.0.1:${echo.port}\nSEND text hi\nEXPECT text hi\n### three\nCONNECT 127.0.0.1:${echo.port}\nSEND text no\nEXPECT text yes\nTIMEOUT 200ms\n`);
    const result = await runCli(cli, ['--reporter=tap', 'tap.tcp'], dir);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /\n1 passed, 1 failed\n$/);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'TAP version 13');
    assert.equal(lines[1], 'ok 1 - tap.tcp: one \\# two');
    assert.equal(lines[2], 'not ok 2 - tap.tcp: three');
    assert.equal(lines[3], '  ---');
    assert.match(lines[5], /^ {4}line 8: EXPECT text yes: /);
    assert.ok(lines.includes('  severity: fail'));
    assert.equal(lines.at(-2), '  ...');
    assert.equal(lines.at(-1), '1..2');
  });

  it('ships samples that parse without diagnostics', async () => {
    for (const name of ['echo.tcp', 'server.tcp']) {
      const file = parseTcpFile(await readFile(path.join(repo, 'samples', name), 'utf8'), { environment: { host: 'h', port: '1' } });
      assert.deepEqual(file.diagnostics, [], name);
      assert.ok(file.blocks.length >= 2, name);
    }
  });
});

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Connects to 127.0.0.1:port as soon as the CLI listens there, sends `text` and closes. */
async function sendWhenListening(port: number, text: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const socket = net.connect(port, '127.0.0.1');
    try {
      await once(socket, 'connect');
      socket.end(text);
      await once(socket, 'close');
      return;
    } catch (err) {
      socket.destroy();
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e] ?? '');
}

/** Enough XML for a shape check: elements, attributes, text; throws on a tag that does not close. */
function parseXml(xml: string): XmlElement {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: XmlElement[] = [{ name: '#root', attrs: {}, children: [], text: '' }];
  const re = /<(\/?)([\w:-]+)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let match: RegExpExecArray | null;
  while ((match = re.exec(body))) {
    const [, closing, name, attrText, selfClosing, text] = match;
    const top = stack[stack.length - 1];
    if (text !== undefined) {
      if (/&(?!(lt|gt|quot|apos|amp);)/.test(text)) throw new Error(`unescaped & in ${JSON.stringify(text)}`);
      top.text += unescapeXml(text);
    } else if (closing) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
    } else {
      const attrs: Record<string, string> = {};
      for (const [, key, value] of attrText.matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[key] = unescapeXml(value);
      const element: XmlElement = { name, attrs, children: [], text: '' };
      top.children.push(element);
      if (!selfClosing) stack.push(element);
    }
  }
  assert.equal(re.lastIndex === 0 ? body.length : re.lastIndex, body.length, 'the whole document parsed');
  assert.equal(stack.length, 1, 'every element closed');
  assert.equal(stack[0].children.length, 1, 'one root element');
  return stack[0].children[0];
}

function pick(attrs: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, attrs[k]]));
}
