import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FRAMING_KEYS } from '../../src/shared/framing';
import { RULE_KEYS } from '../../src/shared/ruleDefinition';
import { FAULT_KEYS } from '../../src/shared/faultPlan';
import { validateWebviewMessage } from '../../src/app/panel/panelMessages';

// The TypeScript types are checked against the lists at compile time (shared/keyList.ts); here the
// published settings schema, the other definition of the same JSON, must agree with them too.
const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { contributes: { configuration: Array<{ properties: Record<string, { items?: { properties: Record<string, { properties?: object; items?: { properties: object } }> } }> }> } };
const presetItem = manifest.contributes.configuration.map((c) => c.properties['tcpLab.presets']).find((p) => p !== undefined)?.items?.properties;

describe('key whitelists follow their definitions', () => {
  it('the framing whitelist names every framing key of the preset schema, and no other', () => {
    assert.deepEqual([...FRAMING_KEYS].sort(), Object.keys(presetItem?.framing.properties ?? {}).sort());
  });

  it('the rule whitelist names every rule key of the preset schema, and no other', () => {
    assert.deepEqual([...RULE_KEYS].sort(), Object.keys(presetItem?.rules.items?.properties ?? {}).sort());
  });

  it('a framing and a rule with every key survive the panel message check whole', () => {
    const framing = Object.fromEntries(FRAMING_KEYS.map((key, i) => [key, `v${i}`]));
    const rule = Object.fromEntries(RULE_KEYS.map((key, i) => [key, `r${i}`]));
    const checked = validateWebviewMessage({ type: 'behaviour', requestId: 1, behaviour: { framing, echo: false, rules: [rule], extra: 1 } });
    assert.ok(checked.ok && checked.message.type === 'behaviour');
    assert.deepEqual(checked.message.behaviour, { framing, echo: false, rules: [rule] });
  });

  it('a send with every fault option keeps them all, and only them', () => {
    const faults = { coalesce: true, splitInto: 2, splitDelayMs: 5, dripIntervalMs: 1, after: 'halfClose', extra: 1 };
    assert.deepEqual([...FAULT_KEYS].sort(), Object.keys(faults).filter((k) => k !== 'extra').sort(), 'the test names every option');
    const checked = validateWebviewMessage({ type: 'send', requestId: 1, data: 'aGk=', faults });
    assert.ok(checked.ok && checked.message.type === 'send', JSON.stringify(checked));
    assert.deepEqual(checked.message.faults, { coalesce: true, splitInto: 2, splitDelayMs: 5, dripIntervalMs: 1, after: 'halfClose' });
  });
});
