import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { validatePresetBehaviour } from '../../src/shared/presetBehaviour';
import { FRAMING_MODES, MAX_FRAME_BYTES_LIMIT, DEFAULT_MAX_FRAME_BYTES } from '../../src/shared/framing';
import { RuleSet } from '../../src/core/rules';
import { RULE_MATCH_KINDS, MAX_RULES, MAX_RULE_DELAY_MS, MAX_PATTERN_CHARS } from '../../src/shared/ruleDefinition';

const fragmentPath = path.join(__dirname, '..', '..', 'src', 'shared', 'presetSchemaFragment.json');
const guidePath = path.join(__dirname, '..', '..', 'docs', 'mockServer.md');

describe('preset behaviour (framing, echo, rules)', () => {
  it('accepts a listener mock-server preset and fills defaults', () => {
    const result = validatePresetBehaviour({
      name: 'HL7 mock',
      kind: 'listener',
      host: '127.0.0.1',
      port: 2575,
      framing: { mode: 'markers', start: '0b', end: '1c0d' },
      echo: true,
      rules: [{ match: 'hexPrefix', pattern: '4d5348', reply: 'ACK' }],
    });
    assert.ok(result.ok);
    assert.equal(result.behaviour.echo, true);
    assert.equal(result.behaviour.framing.mode, 'markers');
    assert.equal(result.behaviour.rules[0].name, 'rule 1');
    // A preset that sets none of the fields: raw chunks, no echo, no rules.
    assert.deepEqual(validatePresetBehaviour({ kind: 'client' }), { ok: true, behaviour: { framing: { mode: 'none', maxFrameBytes: 1048576 }, echo: false, rules: [] } });
  });

  it('names the bad field with the preset path', () => {
    const cases: [unknown, string][] = [
      [{ framing: { mode: 'fixed', size: 'ten' } }, 'tcpLab.presets[3].framing.size must be a whole number of bytes, at least 1 (got "ten").'],
      [{ echo: 'yes' }, 'tcpLab.presets[3].echo must be true or false (got "yes").'],
      [{ rules: [{ match: 'exact', pattern: 'a', reply: 'b' }, { match: 'regex', pattern: '(x+)*', reply: 'b' }] }, 'tcpLab.presets[3].rules[1].pattern is refused because the nested quantifier "(x+)*" at position 1 can make matching take exponential time; repeat only groups that end or start with a separator such as "," (e.g. "(\\w+,)*"), and avoid backreferences.'],
      [{ kind: 'client', echo: true }, 'tcpLab.presets[3] is a client preset, but echo and rules only apply to listener presets; move them to a listener preset or remove them.'],
      [[], 'tcpLab.presets[3] must be an object.'],
    ];
    for (const [preset, message] of cases) {
      assert.deepEqual(validatePresetBehaviour(preset, 'tcpLab.presets[3]'), { ok: false, error: message });
    }
  });

  it('the JSON schema fragment agrees with the validator on names and limits', () => {
    const fragment = JSON.parse(readFileSync(fragmentPath, 'utf8'));
    assert.deepEqual(Object.keys(fragment).sort(), ['echo', 'faults', 'framing', 'rules', 'upstream']);
    assert.deepEqual(fragment.framing.properties.mode.enum, FRAMING_MODES);
    assert.equal(fragment.framing.properties.maxFrameBytes.maximum, MAX_FRAME_BYTES_LIMIT);
    assert.equal(fragment.framing.properties.maxFrameBytes.default, DEFAULT_MAX_FRAME_BYTES);
    assert.deepEqual(fragment.rules.items.properties.match.enum, RULE_MATCH_KINDS);
    assert.equal(fragment.rules.maxItems, MAX_RULES);
    assert.equal(fragment.rules.items.properties.delayMs.maximum, MAX_RULE_DELAY_MS);
    assert.equal(fragment.rules.items.properties.pattern.maxLength, MAX_PATTERN_CHARS);
    // Every snippet the schema offers must itself pass validation.
    for (const snippet of fragment.framing.defaultSnippets) {
      assert.ok(validatePresetBehaviour({ framing: snippet.body }).ok, snippet.label);
    }
    for (const snippet of fragment.rules.items.defaultSnippets) {
      const rule = { ...snippet.body, name: 'n', reply: String(snippet.body.reply).replace('\\$', '$') };
      const result = validatePresetBehaviour({ rules: [rule] });
      assert.ok(result.ok, `${snippet.label}: ${result.ok ? '' : result.error}`);
    }
  });

  it('the example in the mock server guide is a valid preset that answers as the guide says', () => {
    const guide = readFileSync(guidePath, 'utf8');
    const example = /```json\n([\s\S]*?)```/.exec(guide);
    assert.ok(example, 'the guide has a JSON example');
    const presets = JSON.parse(example[1])['tcpLab.presets'] as unknown[];
    const result = validatePresetBehaviour(presets[0], 'tcpLab.presets[0]');
    assert.ok(result.ok, result.ok ? '' : result.error);
    const rules = new RuleSet(result.behaviour.rules);
    const reply = (frame: string) => Buffer.from(rules.evaluate(Buffer.from(frame, 'latin1'))?.reply ?? []).toString('latin1');
    assert.equal(reply('PING 7'), 'PONG 7\n');
    assert.equal(reply('ORDER A12'), 'ACCEPTED A12\n');
    assert.equal(reply('\x05'), '\x06');
    assert.equal(reply('QUIT'), 'BYE\n');
  });
});
