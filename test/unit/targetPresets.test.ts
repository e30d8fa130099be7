// Which preset a panel's Save as preset / Save into preset writes: found by the target's host and
// port among the validated presets, or a new one named after it; the write itself is config.ts's.
import * as assert from 'node:assert/strict';
import { presetForTarget, withBehaviour, withPayload } from '../../src/app/targetPresets';
import type { PresetEntry } from '../../src/app/treeModel';
import type { TargetInfo } from '../../src/shared/protocol';

const listener: TargetInfo = {
  kind: 'listener', id: 'L1', listening: true, host: '127.0.0.1', requestedPort: 0, local: { address: '127.0.0.1', family: 'IPv4', port: 5020 },
  totals: { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 }, startedAt: 0, acceptedCount: 0, peers: [],
};
const client: TargetInfo = { kind: 'connection', id: 'C1', state: 'open', remote: { address: '::1', family: 'IPv6', port: 502 }, totals: { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 }, openedAt: 0 };
const entries: PresetEntry[] = [
  { preset: { name: 'PLC', kind: 'client', host: '::1', port: 502, payloads: [{ name: 'Status', format: 'hex', data: '01' }] }, origin: 'workspace', restricted: false },
];

describe('the preset a panel saves into', () => {
  it('finds the preset of the connection by its server, and adds a payload after the others', () => {
    const { preset, existing } = presetForTarget(entries, client);
    assert.equal(existing, true);
    assert.equal(preset.name, 'PLC');
    const saved = withPayload(preset, { name: 'Reset', format: 'text', data: 'R' });
    assert.deepEqual(saved.payloads?.map((p) => p.name), ['Status', 'Reset']);
    assert.deepEqual(entries[0].preset.payloads?.map((p) => p.name), ['Status'], 'the settings read is not changed in place');
  });

  it('names a new preset after a listener, with its bound port, and writes framing, echo and rules into it', () => {
    const { preset, existing } = presetForTarget(entries, listener);
    assert.equal(existing, false);
    assert.deepEqual({ name: preset.name, kind: preset.kind, host: preset.host, port: preset.port }, { name: 'Listener 127.0.0.1:5020', kind: 'listener', host: '127.0.0.1', port: 5020 });
    const saved = withBehaviour(preset, { framing: { mode: 'delimiter', delimiter: 'lf' }, echo: true, rules: [{ match: 'exact', pattern: 'A', reply: 'B' }] });
    assert.deepEqual([saved.framing, saved.echo, saved.rules?.length], [{ mode: 'delimiter', delimiter: 'lf' }, true, 1]);
    const clientSaved = withBehaviour(presetForTarget([], client).preset, { framing: { mode: 'none' }, echo: true, rules: [] });
    assert.equal(clientSaved.echo, undefined, 'a client preset gets framing only');
    assert.equal(clientSaved.name, 'Client [::1]:502', 'IPv6 in brackets');
  });
});
