// The quick-send bar's host side: preset payloads with checksum, repeat and sequence read from
// settings, the panel's sequence message checked, and a sequence run on real sockets against a
// Python Modbus-style server that verifies every CRC with its own code.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonc } from '../../src/app/jsonc';
import { PanelSession } from '../../src/app/panel/panelSession';
import { validateWebviewMessage } from '../../src/app/panel/panelMessages';
import { checkPayloadParses, validatePresets } from '../../src/app/presetValidation';
import { presetPayloadBytes } from '../../src/app/presetPayloads';
import { quickSendFor } from '../../src/app/targetPresets';
import { Registry } from '../../src/core/registry';
import { defaultChecksum } from '../../src/shared/checksum';
import { buildPayload } from '../../src/shared/payloadBytes';
import type { TargetInfo } from '../../src/shared/protocol';
import { RecordingHost } from './panelSession.test';
import { Cleanup, startPythonPeer, waitUntil } from './support/sockets';

const client = { name: 'PLC', kind: 'client', host: '127.0.0.1', port: 502 };
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

function modbus(hex: string): Uint8Array {
  const built = buildPayload({ format: 'hex', data: hex, checksum: defaultChecksum('crc16modbus') }, { encoding: 'utf-8', lineEnding: 'none' });
  if (!built.ok) throw new Error(built.error);
  return built.bytes;
}

describe('quick-send payloads in presets', () => {
  it('accepts checksum, repeat and sequence, and keeps them as written', () => {
    const payloads = [
      { name: 'Read', format: 'hex', data: '01 03 00 0A 00 02', checksum: { algorithm: 'crc16modbus', order: 'little' } },
      { name: 'Poll', format: 'text', data: 'STATUS {{$counter}}', repeat: { intervalMs: 1000, count: 5 } },
      { name: 'Handshake', format: 'text', data: '', sequence: [{ send: 'Read' }, { expect: 'hex', pattern: '01 03', withinMs: 2000 }, { delayMs: 100 }, { send: 'Poll' }] },
    ];
    const { presets, problems } = validatePresets([{ ...client, payloads }]);
    assert.deepEqual(problems, []);
    assert.deepEqual(presets[0].payloads, payloads);
  });

  it('names the field and says what to do for each bad quick-send field', () => {
    const problem = (payload: object) => {
      const { problems } = validatePresets([{ ...client, payloads: [{ name: 'A', format: 'hex', data: '01' }, { name: 'B', format: 'hex', data: '02', ...payload }] }]);
      assert.equal(problems.length, 1);
      return [problems[0].field, problems[0].message];
    };
    assert.deepEqual(problem({ checksum: 'crc7' }), ['payloads[1].checksum', `Preset "PLC": payloads[1].checksum.algorithm must be one of crc16modbus, crc16ccittfalse, crc16xmodem, crc32, crc8, xor, lrc, sum8, sum16 (got "crc7").`]);
    assert.deepEqual(problem({ repeat: { intervalMs: 1 } }), ['payloads[1].repeat', 'Preset "PLC": payloads[1].repeat.intervalMs must be a whole number of milliseconds, at least 10 (got 1).']);
    assert.deepEqual(problem({ sequence: [{ send: 'C' }] }), ['payloads[1].sequence', 'Preset "PLC": payloads[1].sequence[0].send must name a payload of this preset ("A", "B"), but is "C".']);
    assert.deepEqual(problem({ sequence: [{ expect: 'regex', pattern: '(a+)+' }] })[0], 'payloads[1].sequence');
    assert.deepEqual(problem({ sequence: [{ delayMs: 5, send: 'A' }] }), ['payloads[1].sequence', 'Preset "PLC": payloads[1].sequence[0] must have exactly one of "send", "expect" or "delayMs".']);
    assert.deepEqual(problem({ sequence: [], repeat: { intervalMs: 100 } }), ['payloads[1].repeat', 'Preset "PLC": payloads[1] has both "repeat" and "sequence"; a button does one of them, so keep one.']);
    assert.deepEqual(problem({ data: '' }), ['payloads[1].data', 'Preset "PLC": payloads[1].data is empty; write the bytes to send, or add a "sequence".']);
  });

  it('gives a panel the payloads of the preset matching its target, never a restricted one', () => {
    const { presets } = validatePresets([{ ...client, payloads: [{ name: 'Read', format: 'hex', data: '01' }] }]);
    const target = { kind: 'connection', id: 'c1', state: 'open', remote: { address: '127.0.0.1', family: 'IPv4', port: 502 } } as TargetInfo;
    const defaults = { encoding: 'latin1', lineEnding: 'crlf' } as const;
    assert.deepEqual(quickSendFor([{ preset: presets[0], origin: 'workspace', restricted: false }], target, defaults), { preset: 'PLC', encoding: 'latin1', lineEnding: 'crlf', payloads: presets[0].payloads });
    assert.equal(quickSendFor([{ preset: presets[0], origin: 'workspace', restricted: true }], target, defaults), undefined);
    assert.equal(quickSendFor([{ preset: { ...presets[0], port: 503 }, origin: 'user', restricted: false }], target, defaults), undefined);
  });

  it('checks a sequence from the panel before running it', () => {
    const ok = validateWebviewMessage({ type: 'sendSequence', requestId: 1, encoding: 'utf-8', steps: [{ kind: 'send', data: 'AQI=' }, { kind: 'expect', match: 'regex', pattern: '^OK', withinMs: 100, label: 'expect /^OK/' }, { kind: 'delay', ms: 5 }] });
    assert.ok(ok.ok);
    const refused = (steps: unknown) => {
      const result = validateWebviewMessage({ type: 'sendSequence', requestId: 1, encoding: 'utf-8', steps });
      return result.ok ? '' : result.reason;
    };
    assert.equal(refused([{ kind: 'expect', match: 'regex', pattern: '(a*)*b', withinMs: 100, label: 'x' }]), "sendSequence: the expectation's regex can take exponential time");
    assert.equal(refused([{ kind: 'send', data: 'not base64!' }]), 'sendSequence: a send step needs non-empty base64 data');
    assert.equal(refused([{ kind: 'delay', ms: 10_000_000 }]), 'sendSequence: a delay must be 0 to 600000 ms');
    assert.equal(refused([]), 'sendSequence: steps must be a list of 1 to 100 steps');
  });
});

describe('quick-send sequence on real sockets', () => {
  const cleanup = new Cleanup();
  let registry: Registry;
  let session: PanelSession | undefined;
  beforeEach(() => {
    registry = new Registry();
  });
  afterEach(async () => {
    session?.dispose();
    session = undefined;
    await registry.stopAll();
    registry.dispose();
    await cleanup.run();
  });

  it('sends, waits for the reply, and stops at the step whose reply never comes; the peer verified each CRC', async () => {
    const { child, port } = await startPythonPeer(cleanup, 'modbusPeer.py', ['server']);
    let verdicts = '';
    child.stdout.on('data', (chunk: Buffer) => (verdicts += chunk.toString()));
    const connection = await registry.connect({ host: '127.0.0.1', port });
    const host = new RecordingHost();
    session = new PanelSession(registry, host, connection.id);
    session.handle({ type: 'ready' });
    const corrupt = modbus('01 03 00 0A 00 02').slice();
    corrupt[7] ^= 0xff;
    session.handle({
      type: 'sendSequence',
      requestId: 7,
      encoding: 'latin1',
      steps: [
        { kind: 'send', data: b64(modbus('01 03 00 0A 00 02')) },
        { kind: 'expect', match: 'bytes', data: b64(modbus('01 03 04 00 2A 00 2B')), withinMs: 2000, label: 'expect the registers' },
        { kind: 'delay', ms: 20 },
        { kind: 'send', data: b64(corrupt) },
        { kind: 'expect', match: 'regex', pattern: '\\x01\\x03', withinMs: 300, label: 'expect /\\x01\\x03/' },
      ],
    });
    const reply = await host.reply(7);
    assert.deepEqual([reply.ok, reply.error], [false, 'Step 5 of 5 (expect /\\x01\\x03/) was not met within 300 ms.']);
    await waitUntil(() => verdicts.split('\n').length >= 3, 'the peer to judge both requests');
    assert.equal(verdicts, 'ok 01 03 00 0a 00 02 e4 09\nbad 01 03 00 0a 00 02 e4 f6\n');
  });
});

describe('the README example', () => {
  it('is a valid preset whose payloads send what the README says', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Device and PLC protocols'));
    const example = /```jsonc\n([\s\S]*?)```/.exec(section);
    assert.ok(example, 'the section has a JSON example');
    const { presets, problems } = validatePresets((parseJsonc(`{${example[1]}}`) as Record<string, unknown>)['tcpLab.presets'], checkPayloadParses);
    assert.deepEqual(problems, []);
    const [read] = presets[0].payloads ?? [];
    assert.deepEqual(read.checksum, { algorithm: 'crc16modbus' });
    const built = buildPayload({ format: read.format, data: read.data, checksum: defaultChecksum('crc16modbus') }, { encoding: 'utf-8', lineEnding: 'none' });
    assert.equal(built.ok && Buffer.from(built.bytes).toString('hex'), '0103000a0002e409');
  });
});

describe('preset payload bytes outside the panel', () => {
  it('appends the checksum before a text line ending and counts per scope', () => {
    const preset = { name: 'P', kind: 'client', host: '127.0.0.1', port: 1, lineEnding: 'crlf' } as const;
    const scope = { file: new Map(), environment: {} };
    const defaults = { encoding: 'utf-8', lineEnding: 'none' } as const;
    const text = presetPayloadBytes({ name: 'a', format: 'text', data: 'N{{$counter}}', checksum: 'xor' }, preset, defaults, scope);
    assert.equal(text.ok && Buffer.from(text.bytes).toString('latin1'), 'N1\x7f\r\n');
    const again = presetPayloadBytes({ name: 'a', format: 'text', data: 'N{{$counter}}' }, preset, defaults, scope);
    assert.equal(again.ok && Buffer.from(again.bytes).toString('latin1'), 'N2\r\n');
    const hexPayload = presetPayloadBytes({ name: 'b', format: 'hex', data: '01 03 00 0A 00 02', checksum: { algorithm: 'crc16modbus' } }, preset, defaults, scope);
    assert.equal(hexPayload.ok && Buffer.from(hexPayload.bytes).toString('hex'), '0103000a0002e409');
  });
});
