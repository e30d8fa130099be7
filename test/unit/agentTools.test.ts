// The tcplab_* language-model tools, vscode-free: each tool's invoke on a real Registry, against
// Python peers on loopback, with the schemas package.json declares. Inputs a model can get wrong,
// the confirmation text, Restricted Mode and the output bounds are checked on the same real sockets.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AgentTools, RESTRICTED_REFUSAL, TOOL_NAMES, type AgentToolsHost, type ToolName, type ToolOutcome } from '../../src/app/agentTools/agentTools';
import { boundText, MAX_RESULT_BYTES } from '../../src/app/agentTools/boundedOutput';
import type { ToolSchema } from '../../src/app/agentTools/inputValidation';
import { Registry } from '../../src/core/registry';
import { parseTcpFile } from '../../src/core/tcpFile/parser';
import type { Preset } from '../../src/shared/preset';
import { clientPeer, echoServer, hex, serverPeer, stopPeers } from './tcpFilePeers';

interface ToolContribution {
  name: string;
  displayName: string;
  modelDescription: string;
  userDescription: string;
  toolReferenceName: string;
  canBeReferencedInPrompt: boolean;
  inputSchema: ToolSchema;
}

const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  engines: { vscode: string };
  activationEvents: string[];
  devDependencies: Record<string, string>;
  contributes: { languageModelTools: ToolContribution[] };
};
/** package.json names the tools' display names and user descriptions as %keys% of package.nls.json (localisation). */
const nls = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.nls.json'), 'utf8')) as Record<string, string>;
const english = (value: string): string => value.replace(/^%([^%]+)%$/, (whole, key: string) => nls[key] ?? whole);
const schemas = Object.fromEntries(manifest.contributes.languageModelTools.map((t) => [t.name, t.inputSchema]));

const encoder = new TextEncoder();

function text(outcome: ToolOutcome): string {
  if (!outcome.ok) assert.fail(`the tool refused: ${outcome.error}`);
  return outcome.text;
}

function error(outcome: ToolOutcome): string {
  if (outcome.ok) assert.fail(`the tool should have refused, but said: ${outcome.text}`);
  return outcome.error;
}

/** One sentence: a capital, one full stop at the end, no stack trace. */
function assertOneSentence(message: string): void {
  assert.match(message, /^[A-Z"'].*[.]$/s, message);
  assert.doesNotMatch(message, /\n|at .*\.ts:\d+/, message);
}

describe('language-model tools (app/agentTools)', function () {
  this.timeout(20_000);
  let registry: Registry;
  let tools: AgentTools;
  let trusted: boolean;
  let presets: Preset[];
  let adopted: string[];
  let named: [string, string][];
  let workspace: string;

  const host: AgentToolsHost = {
    isTrusted: () => trusted,
    findPreset: (name) => presets.find((p) => p.name === name),
    presetNames: () => presets.map((p) => p.name),
    defaultEncoding: () => 'utf-8',
    adoptMockServer: (listener, server) => {
      adopted.push(listener.id);
      // The owner disposes the server when the listener stops, as ListenerBehaviours does.
      listener.onDidStop(() => server.dispose());
    },
    nameAfterPreset: (id, name) => named.push([id, name]),
    loadTcpFile: (requested) => {
      const file = path.join(workspace, requested);
      let source: string;
      try {
        source = readFileSync(file, 'utf8');
      } catch {
        return Promise.resolve({ ok: false, error: `There is no file "${requested}" in the workspace folder.` });
      }
      return Promise.resolve({
        ok: true,
        loaded: {
          file: parseTcpFile(source, { presetNames: presets.map((p) => p.name) }),
          displayPath: requested,
          options: { baseDir: workspace, presets },
          environments: { local: { host: '127.0.0.1' } },
        },
      });
    },
  };

  /** What VS Code does for each call: prepareInvocation first, then invoke. */
  async function call(name: ToolName, input: unknown): Promise<ToolOutcome> {
    await tools.prepare(name, input);
    return tools.invoke(name, input);
  }

  beforeEach(() => {
    registry = new Registry();
    trusted = true;
    presets = [];
    adopted = [];
    named = [];
    workspace = mkdtempSync(path.join(tmpdir(), 'tcp-lab-agent-tools-'));
    tools = new AgentTools(registry, host, schemas);
  });

  afterEach(async () => {
    await registry.stopAll();
    registry.dispose();
    await stopPeers();
    rmSync(workspace, { recursive: true, force: true });
  });

  describe('package.json', () => {
    it('declares every tool with descriptions, a reference name and an object schema, and activates on each', () => {
      assert.deepEqual(manifest.contributes.languageModelTools.map((t) => t.name), [...TOOL_NAMES]);
      for (const tool of manifest.contributes.languageModelTools) {
        assert.ok(tool.modelDescription.length > 80, `${tool.name} tells the model when to use it`);
        assert.ok(english(tool.userDescription).length > 10 && english(tool.displayName).startsWith('TCP Lab: '), tool.name);
        assert.equal(tool.canBeReferencedInPrompt, true);
        assert.match(tool.toolReferenceName, /^tcp[A-Z]\w+$/);
        assert.equal(tool.inputSchema.type, 'object');
        assert.equal(tool.inputSchema.additionalProperties, false, `${tool.name} refuses keys it does not know`);
        assert.ok(manifest.activationEvents.includes(`onLanguageModelTool:${tool.name}`), tool.name);
      }
    });

    it('needs VS Code 1.95, and declares no API newer than that', () => {
      assert.equal(manifest.engines.vscode, '^1.95.0');
      assert.equal(manifest.devDependencies['@types/vscode'], '1.95.0');
    });
  });

  describe('input validation', () => {
    const bad: [ToolName, unknown, RegExp][] = [
      ['tcplab_expect', { id: 'C1', match: 'text', since: -1 }, /^"since" must be at least 0, not -1\.$/],
      ['tcplab_listen', { port: 70000 }, /^"port" must be at most 65535, not 70000\.$/],
      ['tcplab_listen', { port: '5020' }, /^"port" must be a number, not the text "5020"\.$/],
      ['tcplab_listen', { port: 1.5 }, /whole number/],
      ['tcplab_listen', { prot: 5020 }, /^"prot" is not an input of this tool; use "port", "host", "preset"\.$/],
      ['tcplab_listen', {}, /Give "port" \(0 picks a free one\)/],
      ['tcplab_listen', { port: 0, host: 'bad host!' }, /^"host": /],
      ['tcplab_connect', { target: '127.0.0.1' }, /^"target": /],
      ['tcplab_connect', {}, /Give "target" as host:port/],
      ['tcplab_send', { id: 'C1' }, /^The input "data" is required\.$/],
      ['tcplab_send', { id: 'C999', data: 'x', format: 'binary' }, /"format" must be one of "text", "hex", "base64"/],
      ['tcplab_send', { id: 'C999', data: 'x' }, /There is no listener or connection with id "C999"; tcplab_list shows the ids\./],
      ['tcplab_expect', { id: 'C1', match: 'maybe' }, /"match" must be one of/],
      ['tcplab_expect', { id: 'C1', match: 'text', timeoutMs: 500_000 }, /"timeoutMs" must be at most 120000/],
      ['tcplab_read', { id: 'C1', maxBytes: 1_000_000 }, /"maxBytes" must be at most 16384/],
      ['tcplab_read', { id: 'nope' }, /There is no listener or connection with id "nope"/],
      ['tcplab_list', { verbose: true }, /"verbose" is not an input of this tool; use no inputs\./],
      ['tcplab_run_tcp_file', {}, /^The input "path" is required\.$/],
      ['tcplab_close', { id: 42 }, /^"id" must be text, not number 42\.$/],
      ['tcplab_list', ['a'], /^The input must be an object, not a list\.$/],
      ['tcplab_listen', { preset: 'Nope' }, /There is no valid preset named "Nope" in tcpLab.presets; there are no presets yet\./],
    ];
    for (const [name, input, expected] of bad) {
      it(`${name} ${JSON.stringify(input)} is refused in one sentence, opening nothing`, async () => {
        const message = error(await call(name, input));
        assert.match(message, expected);
        assertOneSentence(message);
        assert.equal(registry.listeners().length + registry.connections().length, 0);
      });
    }

    it('refuses a preset of the other kind, naming the tool to use', async () => {
      presets = [{ name: 'Device', kind: 'client', host: '127.0.0.1', port: 5020 }];
      assert.equal(error(await call('tcplab_listen', { preset: 'Device' })), 'Preset "Device" is a client preset; use tcplab_connect for it.');
    });

    it('a bad regular expression, a bad hex value and a missing value are one sentence each', async () => {
      const peer = await serverPeer([]);
      const id = /id (C\d+)/.exec(text(await call('tcplab_connect', { target: `127.0.0.1:${peer.port}` })))![1];
      assert.match(error(await call('tcplab_expect', { id, match: 'regex', value: '(' })), /^"value": /);
      assert.match(error(await call('tcplab_expect', { id, match: 'hex', value: 'zz' })), /^"value" is not valid hex: /);
      assert.equal(error(await call('tcplab_expect', { id, match: 'text' })), '"match": "text" needs "value": the text to wait for.');
      assert.match(error(await call('tcplab_send', { id, data: '4', format: 'hex' })), /^"data" is not valid hex: /);
      assert.match(error(await call('tcplab_expect', { id, match: 'close', framing: 'lines' })), /^"framing": Unknown framing 'lines'/);
    });
  });

  describe('listening, expecting and answering a Python client', () => {
    it('listens on a free port, waits for the client, matches its line, answers it, and reads the log', async () => {
      const listened = text(await call('tcplab_listen', { port: 0 }));
      const match = /Listening on 127\.0\.0\.1:(\d+) with id (L\d+)\./.exec(listened);
      assert.ok(match, listened);
      const [port, listenerId] = [Number(match[1]), match[2]];
      assert.ok(port > 0);
      assert.equal(registry.getLive(listenerId)?.id, listenerId, 'the listener is on the shared registry, so the tree shows it');

      // The expectation starts before the client exists: it waits for the accept, then for the bytes.
      const expecting = call('tcplab_expect', { id: listenerId, match: 'text', value: 'HELLO 1\\r\\n', timeoutMs: 10_000 });
      const peer = clientPeer(port, [['sleep', 100], ['send', hex('HELLO 1\r\n')], ['recv', 4], ['close']]);
      const expected = text(await expecting);
      assert.match(expected, /^Passed on (C\d+) \(127\.0\.0\.1:\d+\) after \d+ ms: matched\. Matched 9 bytes: HELLO 1\\r\\n/);
      const connectionId = /^Passed on (C\d+)/.exec(expected)![1];

      assert.equal(text(await call('tcplab_send', { id: listenerId, data: 'OK', lineEnding: 'crlf' })), `Sent 4 bytes to each of 1 client of listener ${listenerId} (127.0.0.1:${port}): ${connectionId}.`);
      assert.equal(await peer.exited, 0, 'the Python client received the 4 bytes it waited for');

      const read = text(await call('tcplab_read', { id: connectionId }));
      assert.match(read, /#1 \d\d:\d\d:\d\d\.\d{3} in 9 bytes: HELLO 1\\r\\n/);
      assert.match(read, /#2 \d\d:\d\d:\d\d\.\d{3} out 4 bytes: OK\\r\\n/);
      const hexRead = text(await call('tcplab_read', { id: connectionId, since: 1, format: 'hex' }));
      assert.match(hexRead, /#2 .* out 4 bytes: 4F 4B 0D 0A/);
      assert.doesNotMatch(hexRead, /#1 /);

      const listed = text(await call('tcplab_list', {}));
      assert.match(listed, new RegExp(`^${listenerId} listener 127\\.0\\.0\\.1:${port}, listening, .*1 accepted, in 9 B \\(1 chunk\\), out 4 B \\(1 send\\)`, 'm'));
      assert.match(listed, new RegExp(`^${connectionId} client 127\\.0\\.0\\.1:\\d+ of ${listenerId}, `, 'm'));

      assert.match(error(await call('tcplab_read', { id: listenerId })), new RegExp(`^${listenerId} is a listener; read one of its connections instead: ${connectionId}\\.$`));
      assert.match(text(await call('tcplab_close', { id: listenerId })), new RegExp(`^Stopped listener ${listenerId} \\(127\\.0\\.0\\.1:${port}\\) and closed 1 client`));
      assert.equal(registry.listeners().length, 0);
    });

    it('a listener without clients sends nothing and says so; an expectation on it times out naming the address', async () => {
      const listenerId = /id (L\d+)/.exec(text(await call('tcplab_listen', { port: 0 })))![1];
      assert.match(error(await call('tcplab_send', { id: listenerId, data: 'x' })), /^No client is connected to listener L\d+ \(127\.0\.0\.1:\d+\), so nothing was sent; /);
      assert.match(error(await call('tcplab_expect', { id: listenerId, match: 'text', value: 'x', timeoutMs: 200 })), /^No client connected to 127\.0\.0\.1:\d+ \(L\d+\) within 200 ms; /);
    });

    it('a client that came and went before the call is still the one checked; a read of a silent connection says so', async () => {
      // Without half-open connections the client's FIN closes ours too, so the client is gone before the call.
      registry.setDefaults({ allowHalfOpen: false });
      const listened = text(await call('tcplab_listen', { port: 0 }));
      const [, port, listenerId] = /127\.0\.0\.1:(\d+) with id (L\d+)/.exec(listened)!;
      const peer = clientPeer(Number(port), [['send', hex('quick\n')], ['close']]);
      assert.equal(await peer.exited, 0);
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (registry.closedConnections(listenerId).length === 1) {
            clearInterval(timer);
            resolve();
          }
        }, 10);
      });
      assert.match(text(await call('tcplab_expect', { id: listenerId, match: 'text', value: 'quick\\n' })), /^Passed on C\d+ .*Matched 6 bytes: quick\\n/);
      // That client has been checked: the next expectation waits for a new one.
      assert.match(error(await call('tcplab_expect', { id: listenerId, match: 'close', timeoutMs: 100 })), /^No client connected to .* within 100 ms/);

      const silent = await serverPeer([]);
      const id = /id (C\d+)/.exec(text(await call('tcplab_connect', { target: `127.0.0.1:${silent.port}` })))![1];
      assert.match(text(await call('tcplab_read', { id })), /, open; no records yet, in 0 B \/ out 0 B in all\.\nNo records after #0\.$/);
    });

    it('a listener preset with echo answers the client as a mock server owned by the host', async () => {
      presets = [{ name: 'Echo', kind: 'listener', host: '127.0.0.1', port: 0, echo: true, framing: { mode: 'delimiter', delimiter: 'lf' } }];
      const listened = text(await call('tcplab_listen', { preset: 'Echo' }));
      assert.match(listened, /Preset "Echo" answers as a mock server: echo on, 0 rules, framing delimiter\./);
      const [, port, listenerId] = /127\.0\.0\.1:(\d+) with id (L\d+)/.exec(listened)!;
      assert.deepEqual(adopted, [listenerId]);
      assert.deepEqual(named, [[listenerId, 'Echo']]);
      const peer = clientPeer(Number(port), [['send', hex('ping\n')], ['recv', 5], ['close']]);
      // The preset's framing is the expectation's default: whole lines compare, without their delimiter.
      assert.match(text(await call('tcplab_expect', { id: listenerId, match: 'text', value: 'ping', timeoutMs: 10_000 })), /^Passed on C\d+/);
      assert.equal(await peer.exited, 0, 'the mock server echoed the line back');
    });
  });

  describe('connecting to a Python server', () => {
    it('sends text with a line ending, then expects text, a regex, a mismatch and the close', async () => {
      const peer = await serverPeer([['recv', 7], ['send', hex('220 ready\r\n')], ['sleep', 50], ['send', hex('BYE')], ['sleep', 50], ['close']]);
      const connected = text(await call('tcplab_connect', { target: `127.0.0.1:${peer.port}` }));
      const [, id] = /^Connected to 127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+ with id (C\d+)\.$/.exec(connected)!;
      assert.match(text(await call('tcplab_send', { id, data: 'HELO x', lineEnding: 'lf' })), new RegExp(`^Sent 7 bytes to 127\\.0\\.0\\.1:${peer.port} \\(${id}\\); its log now ends at record #1\\.$`));
      assert.match(text(await call('tcplab_expect', { id, match: 'regex', value: '^220 (\\w+)\\r\\n' })), /^Passed on .*Matched 11 bytes: 220 ready\\r\\n/);
      const mismatch = text(await call('tcplab_expect', { id, match: 'hex', value: '42 59 45 21', timeoutMs: 2000 }));
      assert.match(mismatch, /^Not matched on C\d+ \(127\.0\.0\.1:\d+\) after \d+ ms: /);
      assert.match(mismatch, /Received instead 3 bytes: BYE  \[hex 42 59 45\]\. Nothing was consumed; to compare only what arrives later, pass "since": 3\.$/);
      assert.match(text(await call('tcplab_expect', { id, match: 'close', timeoutMs: 5000 })), /^Passed on .*: the peer closed\./);
      assert.match(text(await call('tcplab_close', { id })), /was already closed\.$|^Closed /);
    });

    it('compares what arrived before the call, and each match consumes only its own bytes', async () => {
      const peer = await serverPeer([['send', hex('abcd')], ['sleep', 200], ['send', hex('ef')]]);
      const id = /id (C\d+)/.exec(text(await call('tcplab_connect', { target: `127.0.0.1:${peer.port}` })))![1];
      // Let "abcd" arrive and sit unread, as it does while a model thinks between two calls.
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.match(text(await call('tcplab_expect', { id, match: 'text', value: 'ab' })), /Matched 2 bytes: ab  \[hex 61 62\]\./);
      assert.match(text(await call('tcplab_expect', { id, match: 'text', value: 'cdef' })), /Matched 4 bytes: cdef  \[hex 63 64 65 66\]\./);
      assert.match(text(await call('tcplab_expect', { id, match: 'nothing', timeoutMs: 150 })), /nothing arrived for 150 ms/);
      // `since` looks again at records already consumed.
      assert.match(text(await call('tcplab_expect', { id, match: 'regex', value: 'b.d', since: 0 })), /^Passed/);
    });

    it('a cancelled wait ends at once with one sentence, and a client preset gives target and encoding', async () => {
      const peer = await serverPeer([['recv', 4]]);
      presets = [{ name: 'Latin device', kind: 'client', host: '127.0.0.1', port: peer.port, encoding: 'latin1' }];
      const connected = text(await call('tcplab_connect', { preset: 'Latin device' }));
      const id = /id (C\d+)/.exec(connected)![1];
      assert.deepEqual(named, [[id, 'Latin device']]);
      // latin1 from the preset: é is one byte, not UTF-8's two.
      assert.match(text(await call('tcplab_send', { id, data: 'café' })), /^Sent 4 bytes/);
      const abort = new AbortController();
      const started = Date.now();
      setTimeout(() => abort.abort(), 100);
      await tools.prepare('tcplab_expect', { id, match: 'text', value: 'never', timeoutMs: 60_000 });
      assert.equal(error(await tools.invoke('tcplab_expect', { id, match: 'text', value: 'never', timeoutMs: 60_000 }, abort.signal)), 'Cancelled while waiting.');
      assert.ok(Date.now() - started < 5000, 'the cancelled wait did not run to its timeout');
    });

    it('compares whole lines with framing "line"', async () => {
      const peer = await serverPeer([['send', hex('status: busy\r\nstatus: ok\r\n')]]);
      const id = /id (C\d+)/.exec(text(await call('tcplab_connect', { target: `127.0.0.1:${peer.port}` })))![1];
      const first = text(await call('tcplab_expect', { id, match: 'text', value: 'status: ok', framing: 'line' }));
      assert.match(first, /^Not matched .*The received line does not|^Not matched .*Expected bytes and the received line differ\./);
      assert.match(first, /status: busy/);
      assert.match(text(await call('tcplab_expect', { id, match: 'text', value: 'status: ok', framing: 'line' })), /^Passed/);
    });

    it('an echo server answers a base64 send, and closing keeps the log readable', async () => {
      const peer = await echoServer();
      const id = /id (C\d+)/.exec(text(await call('tcplab_connect', { target: `localhost:${peer.port}` })))![1];
      assert.match(text(await call('tcplab_send', { id, data: Buffer.from([0, 1, 2, 255]).toString('base64'), format: 'base64' })), /^Sent 4 bytes/);
      assert.match(text(await call('tcplab_expect', { id, match: 'hex', value: '000102FF' })), /Matched 4 bytes: .*\[hex 00 01 02 FF\]/);
      assert.match(text(await call('tcplab_close', { id })), new RegExp(`^Closed ${id} \\(connection to 127\\.0\\.0\\.1:\\d+\\); its log stays readable with tcplab_read\\.$`));
      assert.match(text(await call('tcplab_read', { id, format: 'hex' })), /in 4 bytes: 00 01 02 FF/);
      assert.match(error(await call('tcplab_send', { id, data: 'x' })), /is closed; open a new one with tcplab_connect or tcplab_listen\.$/);
    });
  });

  describe('bounds', () => {
    it('boundText keeps a result within its byte budget and says how much it left out', () => {
      assert.equal(boundText('short'), 'short');
      const long = 'é'.repeat(20_000);
      const bounded = boundText(long);
      assert.ok(encoder.encode(bounded).length <= MAX_RESULT_BYTES);
      const [, rest] = /… (\d+) more bytes not shown\.$/.exec(bounded)!;
      const shownBytes = encoder.encode(bounded.slice(0, bounded.indexOf('\n…'))).length;
      assert.equal(shownBytes + Number(rest), 40_000, 'shown plus not shown is every byte');
      assert.doesNotMatch(bounded, /\uFFFD/, 'never cut inside a character');
    });

    it('a 1 MiB flood reads as at most maxBytes of data, with what was left out and where to go on', async () => {
      const peer = await serverPeer([['flood', 1024 * 1024]]);
      const id = /id (C\d+)/.exec(text(await call('tcplab_connect', { target: `127.0.0.1:${peer.port}` })))![1];
      const connection = registry.getLive(id);
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if ((connection?.totals.bytesIn ?? 0) >= 1024 * 1024) {
            clearInterval(timer);
            resolve();
          }
        }, 10);
      });
      const hexRead = text(await call('tcplab_read', { id, format: 'hex', maxBytes: 16_384 }));
      assert.ok(encoder.encode(hexRead).length <= MAX_RESULT_BYTES, `${encoder.encode(hexRead).length} bytes`);
      assert.match(hexRead, /more bytes not shown\.$/);
      const small = text(await call('tcplab_read', { id, maxBytes: 100 }));
      assert.ok(encoder.encode(small).length < 2000);
      assert.match(small, /… \d+ more bytes not shown\n\d+ more records? \(\d+ more bytes\) not shown; read again with "since": 1\.$/);
      const expected = text(await call('tcplab_expect', { id, match: 'text', value: 'not zeros' }));
      assert.ok(encoder.encode(expected).length <= MAX_RESULT_BYTES);
      assert.match(expected, /^Not matched .*differ at offset 0\./);
    });
  });

  describe('confirmation and safety', () => {
    it('names host, port and bytes in the progress line; loopback asks nothing', async () => {
      const peer = await serverPeer([]);
      assert.deepEqual(await tools.prepare('tcplab_listen', { port: 5020 }), { invocationMessage: 'Listening on 127.0.0.1:5020' });
      assert.deepEqual(await tools.prepare('tcplab_connect', { target: `127.0.0.1:${peer.port}` }), { invocationMessage: `Connecting to 127.0.0.1:${peer.port}` });
      const id = /id (C\d+)/.exec(text(await call('tcplab_connect', { target: `127.0.0.1:${peer.port}` })))![1];
      assert.deepEqual(await tools.prepare('tcplab_send', { id, data: 'hello', lineEnding: 'crlf' }), { invocationMessage: `Send 7 bytes to 127.0.0.1:${peer.port} (${id})` });
    });

    it('listening beyond loopback asks first, and an invoke that skipped the question opens nothing', async () => {
      const prepared = await tools.prepare('tcplab_listen', { host: '0.0.0.0', port: 0 });
      assert.equal(prepared.confirmation?.title, 'Listen on 0.0.0.0:0?');
      assert.match(prepared.confirmation?.message ?? '', /^Listening on 0\.0\.0\.0:0 makes a free port reachable from other machines on your network\. Choose 127\.0\.0\.1 or ::1/);
      // Confirmed once: the one invoke it was asked for runs (binding every interface on a free port, closed at once).
      const listened = text(await tools.invoke('tcplab_listen', { host: '0.0.0.0', port: 0 }));
      assert.match(listened, /^Listening on 0\.0\.0\.0:\d+ with id L\d+\./);
      await registry.stopAll();
      // A second invoke without its own confirmation is refused.
      const refused = error(await tools.invoke('tcplab_listen', { host: '0.0.0.0', port: 0 }));
      assert.match(refused, /^Not started: listening on 0\.0\.0\.0:0 needs the user's confirmation/);
      assert.equal(registry.listeners().length, 0);
    });

    it('connecting to another machine asks first, naming host and port (no socket is opened here)', async () => {
      const prepared = await tools.prepare('tcplab_connect', { target: '192.0.2.10:502' });
      assert.deepEqual(prepared.confirmation, {
        title: 'Connect to 192.0.2.10:502?',
        message: 'Connecting to 192.0.2.10:502 opens a socket to another machine. Use 127.0.0.1, ::1 or localhost to stay on this machine.',
      });
      const named = await tools.prepare('tcplab_connect', { target: 'plc.example:502' });
      assert.match(named.confirmation?.message ?? '', /whatever address 'plc\.example' resolves to/);
      // Without its own prepare step (a fresh tools object has no approval), invoke refuses before touching the network.
      const fresh = new AgentTools(registry, host, schemas);
      assert.match(error(await fresh.invoke('tcplab_connect', { target: '192.0.2.10:502' })), /^Not connected: 192\.0\.2\.10:502 is not on this machine/);
      assert.equal(registry.connections().length, 0);
    });

    it('Restricted Mode refuses every tool and opens nothing', async () => {
      trusted = false;
      const peer = await serverPeer([]);
      for (const [name, input] of [
        ['tcplab_listen', { port: 0 }],
        ['tcplab_connect', { target: `127.0.0.1:${peer.port}` }],
        ['tcplab_send', { id: 'C1', data: 'x' }],
        ['tcplab_expect', { id: 'C1', match: 'close' }],
        ['tcplab_read', { id: 'C1' }],
        ['tcplab_list', {}],
        ['tcplab_run_tcp_file', { path: 'x.tcp' }],
        ['tcplab_close', { id: 'C1' }],
      ] as [ToolName, unknown][]) {
        assert.equal(error(await call(name, input)), RESTRICTED_REFUSAL, name);
      }
      assert.equal(registry.listeners().length + registry.connections().length, 0);
      // Nothing will run, so nothing is put to the user either.
      assert.deepEqual(await tools.prepare('tcplab_listen', { host: '0.0.0.0', port: 0 }), { invocationMessage: 'tcplab_listen: refused in Restricted Mode' });
    });
  });

  describe('tcplab_run_tcp_file', () => {
    it('runs a block against a Python echo server with an environment, and reports the result', async () => {
      const peer = await echoServer();
      writeFileSync(path.join(workspace, 'echo.tcp'), [
        `@port = ${peer.port}`,
        '### Echo',
        'CONNECT {{host}}:{{port}}',
        'SEND text ping\\n',
        'EXPECT text ping\\n',
        '### Wrong',
        'CONNECT {{host}}:{{port}}',
        'SEND text ping\\n',
        'EXPECT within 1s text pong\\n',
        '',
      ].join('\n'));
      const prepared = await tools.prepare('tcplab_run_tcp_file', { path: 'echo.tcp', environment: 'local' });
      assert.equal(prepared.invocationMessage, `Run 2 blocks of echo.tcp: 'Echo': connect to 127.0.0.1:${peer.port}, send 5 bytes; 'Wrong': connect to 127.0.0.1:${peer.port}, send 5 bytes`);
      assert.equal(prepared.confirmation, undefined);
      const all = text(await tools.invoke('tcplab_run_tcp_file', { path: 'echo.tcp', environment: 'local' }));
      assert.match(all, /^echo\.tcp: 1 passed, 1 failed\.\n✓ Echo \(\d+ ms\)\n {4}sent 5 bytes, received 5 bytes, connection C\d+\n✗ Wrong/);
      assert.match(all, /Expected and received bytes differ at offset 1\./);
      const one = text(await call('tcplab_run_tcp_file', { path: 'echo.tcp', block: 'Echo', environment: 'local' }));
      assert.match(one, /^echo\.tcp: 1 passed, 0 failed\./);
      assert.match(error(await call('tcplab_run_tcp_file', { path: 'echo.tcp', block: 'Nope' })), /^echo\.tcp has no block named 'Nope'; its blocks: 'Echo', 'Wrong'\.$/);
      assert.match(error(await call('tcplab_run_tcp_file', { path: 'echo.tcp', environment: 'prod' })), /^There is no environment "prod" in tcpLab\.environments; use one of "local"\.$/);
      assert.match(error(await call('tcplab_run_tcp_file', { path: 'missing.tcp' })), /^There is no file "missing\.tcp"/);
      assert.equal(registry.connections().length, 0, 'every socket a run opened is closed again');
    });

    it('a block that would connect off this machine asks first, and is refused when the question was skipped', async () => {
      writeFileSync(path.join(workspace, 'remote.tcp'), '### Remote\nCONNECT 192.0.2.10:502\nSEND hex 01 02\n');
      const prepared = await tools.prepare('tcplab_run_tcp_file', { path: 'remote.tcp' });
      assert.equal(prepared.confirmation?.title, 'Run remote.tcp?');
      assert.match(prepared.confirmation?.message ?? '', /'Remote': connect to 192\.0\.2\.10:502, send 2 bytes\. Connecting to 192\.0\.2\.10:502 opens a socket to another machine\./);
      // Forget that approval: a fresh tools object has none, so the run refuses before any socket opens.
      const fresh = new AgentTools(registry, host, schemas);
      const result = text(await fresh.invoke('tcplab_run_tcp_file', { path: 'remote.tcp' }));
      assert.match(result, /^remote\.tcp: 0 passed, 1 failed\.\n✗ Remote .*\n {4}Not run: it would connect to 192\.0\.2\.10:502, which is not on this machine and was not confirmed/);
    });
  });
});
