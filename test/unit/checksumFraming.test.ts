// Checksums on receive: the framing option that verifies each frame, on real loopback sockets, with
// a Python Modbus peer whose CRC is its own, the panel's rows and count, and rules that require it.
import * as assert from 'node:assert/strict';
import { TrafficFeed } from '../../src/app/panel/trafficFeed';
import { Framer } from '../../src/core/framer';
import { Listener } from '../../src/core/listener';
import { MockServer } from '../../src/core/mockServer';
import { Registry } from '../../src/core/registry';
import { appendChecksum, defaultChecksum, hexBytes } from '../../src/shared/checksum';
import { validateFraming } from '../../src/shared/framing';
import { validatePresetBehaviour } from '../../src/shared/presetBehaviour';
import { ByteSink, Cleanup, rawClient, runPythonPeer, waitUntil } from './support/sockets';

const hex = (text: string) => Uint8Array.from(text.split(' ').map((b) => parseInt(b, 16)));
const MODBUS = { mode: 'fixed', size: 8, checksum: { algorithm: 'crc16modbus' } } as const;

function withCrc(text: string): string {
  const appended = appendChecksum(hex(text), defaultChecksum('crc16modbus'));
  if (!appended.ok) throw new Error(appended.error);
  return hexBytes(appended.bytes);
}

describe('checksum framing', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('is validated with the framing, and refused where there are no frames', () => {
    const checked = validateFraming(MODBUS);
    assert.ok(checked.ok);
    assert.deepEqual(checked.framing.checksum, { algorithm: 'crc16modbus', label: 'CRC-16/MODBUS', from: 0, toEndMinus: 0, order: 'little', width: 2 });
    assert.deepEqual(validateFraming({ mode: 'none', checksum: 'crc8' }, 'tcpLab.presets[0].framing'), {
      ok: false,
      error: 'tcpLab.presets[0].framing.checksum needs frames to check: choose a framing mode other than "none" (the chunks TCP delivers are not messages).',
    });
    const bad = validateFraming({ mode: 'delimiter', delimiter: 'lf', checksum: { algorithm: 'md5' } }, 'framing');
    assert.match(bad.ok ? '' : bad.error, /^framing\.checksum\.algorithm must be one of crc16modbus, .* \(got "md5"\)\.$/);
  });

  it('marks each frame that fails, however the stream is split', () => {
    const checked = validateFraming(MODBUS);
    assert.ok(checked.ok);
    const framer = new Framer(checked.framing);
    const stream = hex(`${withCrc('01 03 00 0A 00 02')} 01 03 00 0A 00 02 00 00 ${withCrc('11 03 00 6B 00 03')}`);
    const events = [...framer.push(stream.subarray(0, 5)), ...framer.push(stream.subarray(5, 13)), ...framer.push(stream.subarray(13))];
    assert.deepEqual(
      events.map((e) => (e.type === 'frame' ? e.checksumError ?? 'ok' : e.message)),
      ['ok', 'CRC-16/MODBUS expected E4 09, got 00 00', 'ok'],
    );
  });

  it('lets rules answer only valid requests, and a Python Modbus client verifies the reply CRC', async () => {
    const listener = await Listener.listen({ port: 0 });
    cleanup.add(() => listener.stop({ closeConnections: true }));
    const attached = MockServer.attach(listener, {
      kind: 'listener',
      framing: MODBUS,
      rules: [{ name: 'read registers', match: 'hexPrefix', pattern: '01 03', reply: withCrc('01 03 04 00 2A 00 2B'), replyFormat: 'hex' }],
    });
    if (!attached.ok) throw new Error(attached.error);
    cleanup.add(() => attached.server.dispose());
    const peer = await runPythonPeer('modbusPeer.py', ['client', String(listener.address!.port)]);
    assert.equal(peer.code, 0, peer.stderr);
    // The corrupt request got no answer, as a real device drops a frame with a bad CRC.
    assert.equal(peer.stdout.toString(), 'reply ok 01 03 04 00 2a 00 2b 9b e4\n');
    assert.deepEqual(attached.server.ruleStatus().map((r) => r.hits), [1]);
  });

  it('lets a rule answer only invalid frames', async () => {
    const listener = await Listener.listen({ port: 0 });
    cleanup.add(() => listener.stop({ closeConnections: true }));
    const attached = MockServer.attach(listener, {
      kind: 'listener',
      framing: MODBUS,
      rules: [
        { name: 'corrupt', match: 'hexPrefix', pattern: '01', checksum: 'invalid', reply: 'BAD\n' },
        { name: 'any', match: 'hexPrefix', pattern: '01', checksum: 'any', reply: 'ANY\n' },
      ],
    });
    if (!attached.ok) throw new Error(attached.error);
    cleanup.add(() => attached.server.dispose());
    const socket = await rawClient(cleanup, listener.address!.port);
    const sink = new ByteSink();
    socket.on('data', sink.push);
    socket.write(hex(`${withCrc('01 03 00 0A 00 02')} 01 03 00 0A 00 02 00 00`));
    await waitUntil(() => sink.text() === 'ANY\nBAD\n', `replies, got ${JSON.stringify(sink.text())}`);
  });

  it('refuses a rule checksum requirement it does not know, naming the field', () => {
    const checked = validatePresetBehaviour({ kind: 'listener', framing: MODBUS, rules: [{ match: 'exact', pattern: 'x', reply: 'y', checksum: 'good' }] }, 'tcpLab.presets[0]');
    assert.deepEqual(checked, { ok: false, error: 'tcpLab.presets[0].rules[0].checksum must be "valid", "invalid" or "any" (got "good").' });
  });

  it('shows a bad frame marked in its row, with expected and received values, and counts it', async () => {
    const registry = new Registry();
    cleanup.add(async () => {
      await registry.stopAll();
      registry.dispose();
    });
    const listener = await registry.listen({ port: 0 });
    const checked = validateFraming(MODBUS);
    assert.ok(checked.ok);
    const feed = new TrafficFeed(registry, listener, checked.framing);
    cleanup.add(() => feed.dispose());
    const socket = await rawClient(cleanup, listener.address!.port);
    socket.write(hex(`${withCrc('01 03 00 0A 00 02')} 01 03 00 0A 00 02 00 00`));
    await waitUntil(() => feed.all().filter((r) => r.kind === 'frame').length === 2, 'two frames');
    const frames = feed.all().filter((r) => r.kind === 'frame');
    assert.deepEqual(frames.map((r) => [r.invalid ?? false, r.note]), [
      [false, undefined],
      [true, 'CRC-16/MODBUS expected E4 09, got 00 00'],
    ]);
    assert.equal(feed.badChecksums, 1);
  });
});
