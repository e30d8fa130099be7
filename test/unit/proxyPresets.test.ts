import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { validatePresets } from '../../src/app/presetValidation';
import { parseTcpLabSettings } from '../../src/app/settingsFile';
import { TOXIC_STREAMS, TOXIC_TYPES } from '../../src/shared/toxics';

const proxy = { name: 'Flaky', kind: 'proxy', host: '127.0.0.1', port: 0, upstream: '127.0.0.1:6379' };

describe('proxy presets (kind "proxy")', () => {
  it('accepts upstream and faults and fills in Toxiproxy\'s defaults (downstream, toxicity 1, <type>_<stream>)', () => {
    const { presets, problems } = validatePresets([
      { ...proxy, faults: [{ type: 'latency', attributes: { latency: 200, jitter: 20 } }, { type: 'reset_peer', stream: 'upstream', toxicity: 0.5, seed: 7, attributes: { timeout: 1000 } }] },
    ]);
    assert.deepEqual(problems, []);
    assert.equal(presets[0].kind, 'proxy');
    assert.equal(presets[0].upstream, '127.0.0.1:6379');
    assert.deepEqual(validatePresets([{ ...proxy, upstream: 'tls://127.0.0.1:443' }]).problems, [], 'a TLS upstream is written tls://host:port');
    assert.deepEqual(validatePresets([{ ...proxy, tls: { cert: 'c.pem', key: 'k.pem' } }]).problems, [], 'tls terminates, with a listener\'s options');
    assert.match(validatePresets([{ ...proxy, tls: { requestCert: 'always' } }]).problems[0]?.message ?? '', /^Preset "Flaky" tls: /);
    assert.deepEqual(presets[0].faults, [
      { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 200, jitter: 20 } },
      { name: 'reset_peer_upstream', type: 'reset_peer', stream: 'upstream', toxicity: 0.5, seed: 7, attributes: { timeout: 1000 } },
    ]);
  });

  it('accepts content-triggered faults and framing for both directions', () => {
    const { presets, problems } = validatePresets([
      { ...proxy, framing: { mode: 'delimiter', delimiter: 'lf' }, faults: [{ type: 'drop', stream: 'upstream', attributes: {}, when: { match: 'contains', pattern: 'DEL' } }] },
    ]);
    assert.deepEqual(problems, []);
    assert.deepEqual(presets[0].faults?.[0].when, { match: 'contains', pattern: 'DEL' });
  });

  it('gives one sentence naming the preset and the field for each bad input, and keeps the valid presets', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ upstream: undefined }, 'upstream', 'Preset "Flaky": "upstream" must be the server to relay to, as host:port such as 127.0.0.1:6379, but is missing.'],
      [{ upstream: '127.0.0.1' }, 'upstream', 'Preset "Flaky": "upstream" is not usable: "127.0.0.1" has no port; enter host:port, for example 127.0.0.1:9000.'],
      [{ upstream: '127.0.0.1:0' }, 'upstream', 'Preset "Flaky": "upstream" is not usable: port 0 cannot be connected to; enter a port from 1 to 65535.'],
      [{ port: 70000 }, 'port', 'Preset "Flaky": "port" must be a whole number from 0 to 65535 (0 picks any free port), but is 70000.'],
      [{ faults: { type: 'latency' } }, 'faults', 'Preset "Flaky": "faults" must be a list of faults such as { "type": "latency", "attributes": { "latency": 200 } }, but is an object.'],
      [{ faults: [{ type: 'lag' }] }, 'faults[0].type', 'Preset "Flaky".faults[0].type must be one of "latency", "bandwidth", "slow_close", "timeout", "reset_peer", "slicer", "limit_data", "drop", "replace", "duplicate" (got "lag").'],
      [{ faults: [{ type: 'latency', stream: 'up' }] }, 'faults[0].stream', 'Preset "Flaky".faults[0].stream must be "upstream" (client to server) or "downstream" (server to client) (got "up").'],
      [{ faults: [{ type: 'latency', toxicity: 2 }] }, 'faults[0].toxicity', 'Preset "Flaky".faults[0].toxicity must be a probability from 0 to 1, such as 0.5 (got 2).'],
      [{ faults: [{ type: 'latency', attributes: { latency: -5 } }] }, 'faults[0].attributes.latency', 'Preset "Flaky".faults[0].attributes.latency must be a whole number of ms from 0 to 86400000 (got -5).'],
      [{ faults: [{ type: 'latency', attributes: { delay: 5 } }] }, 'faults[0].attributes.delay', 'Preset "Flaky".faults[0].attributes.delay is not an attribute of latency; a latency toxic takes "latency", "jitter".'],
      [{ faults: [{ type: 'slicer', attributes: { average_size: 8, size_variation: 9 } }] }, 'faults[0].attributes.size_variation', 'Preset "Flaky".faults[0].attributes.size_variation (9) must be smaller than average_size (8), so every slice keeps at least one byte.'],
      [{ faults: [{ type: 'bandwidth', attributes: { rate: 1.5 } }] }, 'faults[0].attributes.rate', 'Preset "Flaky".faults[0].attributes.rate must be a whole number of KB/s from 0 to 10000000 (got 1.5).'],
      [{ faults: [{ type: 'latency', seed: -1 }] }, 'faults[0].seed', 'Preset "Flaky".faults[0].seed must be a whole number from 0 to 4294967295 (got -1).'],
      [{ faults: ['latency'] }, 'faults[0]', 'Preset "Flaky".faults[0] must be an object with "type" and "attributes" (got "latency").'],
      [{ faults: [{ type: 'latency' }, { type: 'latency' }] }, 'faults[1].name', 'Preset "Flaky": "faults[1].name" is "latency_downstream", like an earlier fault (a fault without a name is called <type>_<stream>); give each fault its own "name".'],
      [{ faults: [{ type: 'drop', when: { match: 'glob', pattern: 'x' } }] }, 'faults[0].when.match', 'Preset "Flaky".faults[0].when.match must be one of "exact", "hexPrefix", "contains", "regex" (got "glob").'],
      [{ name: 'Slow mock' }, 'name', 'Preset "Slow mock" name "Slow mock" may not contain slashes, "?", "#" or spaces, since it is part of API paths; use letters, digits, "_", "-" or "." (a proxy preset\'s name is its proxy\'s name in the HTTP API).'],
      [{ echo: true }, 'echo', 'Preset "Flaky": "echo" does not apply to proxy presets (a proxy relays; it does not answer by itself); remove it, or use a listener preset.'],
    ];
    for (const [change, field, message] of cases) {
      const { presets, problems } = validatePresets([{ ...proxy, ...change }, { ...proxy, name: 'Plain' }]);
      assert.deepEqual(presets.map((p) => p.name), ['Plain'], `${field}: the valid preset keeps working`);
      assert.equal(problems.length, 1, field);
      assert.equal(problems[0].field, field);
      assert.equal(problems[0].message, message);
    }
  });

  it('refuses upstream and faults on listener and client presets', () => {
    const { problems } = validatePresets([{ name: 'L', kind: 'listener', host: '127.0.0.1', port: 0, upstream: '127.0.0.1:1' }]);
    assert.equal(problems[0].message, 'Preset "L": "upstream" only applies to proxy presets; set "kind" to "proxy" or remove it.');
  });

  it('reads proxy presets from a settings file as the CLI does', () => {
    const text = `{\n  // a chaos scenario checked in next to the code\n  "tcpLab.presets": [${JSON.stringify({ ...proxy, faults: [{ type: 'timeout', attributes: { timeout: 0 } }] })},],\n}`;
    const settings = parseTcpLabSettings(text, 'settings.json');
    assert.deepEqual(settings.problems, []);
    assert.equal(settings.presets[0].faults?.[0].name, 'timeout_downstream');
  });

  it('the schema fragment lists the toxic types and streams the validator accepts, and its snippets validate', () => {
    const fragment = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'src', 'shared', 'presetSchemaFragment.json'), 'utf8'));
    const item = fragment.faults.items;
    assert.deepEqual(item.properties.type.enum, TOXIC_TYPES);
    assert.deepEqual(item.properties.stream.enum, TOXIC_STREAMS);
    for (const snippet of item.defaultSnippets) {
      const body = JSON.parse(JSON.stringify(snippet.body).replace(/"\^\$\{\d+:(\d+)\}"/g, '$1'));
      const { problems } = validatePresets([{ ...proxy, faults: [body] }]);
      assert.deepEqual(problems, [], snippet.label);
    }
  });
});
