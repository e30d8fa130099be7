import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkPayloadParses, validatePresets, type PayloadDataCheck } from '../../src/app/presetValidation';

const good = {
  name: 'PLC',
  kind: 'client',
  host: 'plc.local',
  port: 502,
  encoding: 'latin1',
  lineEnding: 'crlf',
  payloads: [
    { name: 'hello', format: 'text', data: 'HELLO' },
    { name: 'ping', format: 'hex', data: '01 02' },
  ],
};

/** Validates `good` with one field replaced (or removed, for undefined) and returns the single problem. */
function problemWith(patch: Record<string, unknown>, check?: PayloadDataCheck) {
  const entry: Record<string, unknown> = { ...good, ...patch };
  for (const [key, value] of Object.entries(patch)) if (value === undefined) delete entry[key];
  const other = { name: 'Echo', kind: 'listener', host: '127.0.0.1', port: 0 };
  const result = validatePresets([entry, other], check);
  assert.equal(result.problems.length, 1, JSON.stringify(result.problems));
  assert.deepEqual(result.presets.map((p) => p.name), ['Echo'], 'the valid preset keeps working');
  const [problem] = result.problems;
  assert.match(problem.message, /^[^\n]+\.$/, 'one sentence');
  return problem;
}

describe('preset validation', () => {
  it('accepts well-formed presets and keeps fields for later features', () => {
    const withRules = { ...good, name: 'Rules', kind: 'listener', framing: { mode: 'delimiter', delimiter: 'lf' }, rules: [{ name: 'ping', match: 'exact', pattern: 'PING', reply: 'PONG' }], notes: 'kept as is' };
    const result = validatePresets([good, withRules, { name: 'Any port', kind: 'listener', host: '::', port: 0 }]);
    assert.deepEqual(result.problems, []);
    assert.equal(result.presets.length, 3);
    assert.deepEqual(result.presets[0], good);
    assert.deepEqual(result.presets[1].framing, { mode: 'delimiter', delimiter: 'lf' });
    assert.deepEqual(result.presets[1].rules, [{ name: 'ping', match: 'exact', pattern: 'PING', reply: 'PONG' }]);
    assert.equal(result.presets[1].notes, 'kept as is');
  });

  it('treats an unset setting as no presets and a non-list as one problem', () => {
    assert.deepEqual(validatePresets(undefined), { presets: [], problems: [] });
    const result = validatePresets({ name: 'x' });
    assert.equal(result.problems.length, 1);
    assert.match(result.problems[0].message, /tcpLab\.presets setting must be a list/);
  });

  it('names the preset and the field for every malformed field', () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ kind: 'server' }, 'kind', /Preset "PLC": "kind" must be "listener", "client" or "proxy", but is "server"/],
      [{ kind: undefined }, 'kind', /"kind" .* but is missing/],
      [{ host: 42 }, 'host', /Preset "PLC": "host" must be a host name or IP address string, but is 42/],
      [{ host: 'bad host' }, 'host', /Preset "PLC": "host" is not usable: host "bad host" is not a valid host name/],
      [{ host: undefined }, 'host', /"host" .* but is missing/],
      [{ port: 70000 }, 'port', /Preset "PLC": "port" must be a whole number from 1 to 65535, but is 70000/],
      [{ port: 0 }, 'port', /from 1 to 65535, but is 0/],
      [{ port: '502' }, 'port', /but is "502"/],
      [{ port: 1.5 }, 'port', /but is 1\.5/],
      [{ port: undefined }, 'port', /but is missing/],
      [{ encoding: 'utf8' }, 'encoding', /Preset "PLC": "encoding" must be one of utf-8, latin1, .* but is "utf8"/],
      [{ lineEnding: '\n' }, 'lineEnding', /Preset "PLC": "lineEnding" must be one of none, lf, cr, crlf/],
      [{ payloads: 'HELLO' }, 'payloads', /Preset "PLC": "payloads" must be a list/],
      [{ payloads: [null] }, 'payloads[0]', /"payloads\[0\]" must be an object .* but is null/],
      [{ payloads: [good.payloads[0], { format: 'hex', data: '00' }] }, 'payloads[1].name', /Preset "PLC": "payloads\[1\]\.name" must be a non-empty string/],
      [{ payloads: [{ name: 'x', format: 'binary', data: '00' }] }, 'payloads[0].format', /"payloads\[0\]\.format" must be one of text, hex, base64, but is "binary"/],
      [{ payloads: [{ name: 'x', format: 'text', data: ['a'] }] }, 'payloads[0].data', /"payloads\[0\]\.data" must be a string, but is a list/],
    ];
    for (const [patch, field, message] of cases) {
      const problem = problemWith(patch);
      assert.equal(problem.field, field, JSON.stringify(patch));
      assert.equal(problem.presetName, 'PLC');
      assert.equal(problem.index, 0);
      assert.match(problem.message, message);
    }
  });

  it('allows port 0 for listeners only', () => {
    assert.equal(validatePresets([{ name: 'L', kind: 'listener', host: '127.0.0.1', port: 0 }]).problems.length, 0);
    assert.equal(validatePresets([{ name: 'C', kind: 'client', host: '127.0.0.1', port: 0 }]).problems.length, 1);
  });

  it('accepts a bracketed IPv6 host and stores it bare', () => {
    const { presets } = validatePresets([{ name: 'v6', kind: 'client', host: '[::1]', port: 9000 }]);
    assert.equal(presets[0].host, '::1');
  });

  it('reports entries without a usable name by position', () => {
    const result = validatePresets([good, { kind: 'client', host: 'a', port: 1 }, 'PLC', { ...good, name: '  ' }]);
    assert.deepEqual(result.presets.map((p) => p.name), ['PLC']);
    assert.deepEqual(result.problems.map((p) => [p.index, p.field]), [[1, 'name'], [2, '(entry)'], [3, 'name']]);
    assert.match(result.problems[0].message, /Entry 2 of tcpLab\.presets has no "name"/);
    assert.match(result.problems[1].message, /Entry 3 of tcpLab\.presets is not an object/);
  });

  it('keeps the first of two presets with the same name and reports the second', () => {
    const result = validatePresets([good, { ...good, port: 503 }]);
    assert.equal(result.presets.length, 1);
    assert.equal(result.presets[0].port, 502);
    assert.equal(result.problems.length, 1);
    assert.match(result.problems[0].message, /Preset "PLC" appears more than once .* entry 2/);
  });

  it('rejects a payload whose data does not parse, through the given check', () => {
    const check: PayloadDataCheck = (payload) => (payload.format === 'hex' && /[^0-9a-f\s]/i.test(payload.data) ? 'Invalid hex digit "G" at position 3.' : undefined);
    const problem = problemWith({ payloads: [{ name: 'bad', format: 'hex', data: '01 G2' }] }, check);
    assert.equal(problem.field, 'payloads[0].data');
    assert.match(problem.message, /Preset "PLC": "payloads\[0\]\.data" does not parse: invalid hex digit "G" at position 3\.$/);
  });
});

describe('preset payload data, checked with the shared parser', () => {
  it('accepts payloads that parse and reports the position of a bad hex digit', () => {
    const preset = (data: string, format = 'hex') => [{ name: 'Dev', kind: 'client', host: 'localhost', port: 7, payloads: [{ name: 'p', format, data }] }];
    assert.deepEqual(validatePresets(preset('48 65 6c'), checkPayloadParses).problems, []);
    assert.deepEqual(validatePresets(preset('SGVsbG8=', 'base64'), checkPayloadParses).problems, []);
    assert.deepEqual(validatePresets(preset('PING\\r\\n', 'text'), checkPayloadParses).problems, []);
    const { presets, problems } = validatePresets(preset('48 6G'), checkPayloadParses);
    assert.equal(presets.length, 0);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].field, 'payloads[0].data');
    assert.match(problems[0].message, /^Preset "Dev": "payloads\[0\]\.data" does not parse: .*position 5/);
  });
});

describe('tcpLab.presets schema in package.json', () => {
  it('carries the mock-server fields (framing, echo, rules) exactly as the shared schema fragment defines them', () => {
    const root = join(__dirname, '..', '..');
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, { items?: { properties: Record<string, unknown> } }> }[] };
    };
    const fragment = JSON.parse(readFileSync(join(root, 'src', 'shared', 'presetSchemaFragment.json'), 'utf8')) as Record<string, unknown>;
    // package.json names its descriptions as %keys% of package.nls.json (localisation); compare the English.
    const nls = JSON.parse(readFileSync(join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;
    const english = (value: unknown): unknown => {
      if (typeof value === 'string') return value.replace(/^%([^%]+)%$/, (whole, key: string) => nls[key] ?? whole);
      if (Array.isArray(value)) return value.map(english);
      if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, english(v)]));
      return value;
    };
    const presets = manifest.contributes.configuration.map((c) => c.properties['tcpLab.presets']).find((p) => p !== undefined);
    assert.ok(presets?.items, 'tcpLab.presets is declared with an item schema');
    for (const [field, schema] of Object.entries(fragment)) assert.deepEqual(english(presets.items.properties[field]), schema, field);
    for (const field of ['name', 'kind', 'host', 'port', 'encoding', 'lineEnding', 'payloads']) assert.ok(field in presets.items.properties, field);
  });
});

describe('preset mock-server fields', () => {
  const listener = { name: 'Mock', kind: 'listener', host: '127.0.0.1', port: 0 };

  it('accepts framing, echo and rules on a listener and keeps them on the preset', () => {
    const rules = [{ name: 'ping', match: 'exact', pattern: 'PING', reply: 'PONG\n' }];
    const { presets, problems } = validatePresets([{ ...listener, framing: { mode: 'delimiter', delimiter: 'lf' }, echo: true, rules }]);
    assert.deepEqual(problems, []);
    assert.deepEqual(presets[0].rules, rules);
    assert.equal(presets[0].echo, true);
  });

  it('names the preset and the nested field of a bad framing, echo or rule', () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ framing: { mode: 'bogus' } }, 'framing.mode', /^Preset "Mock"\.framing\.mode must be one of/],
      [{ echo: 'yes' }, 'echo', /^Preset "Mock"\.echo must be true or false/],
      [{ rules: [{ name: 'slow', match: 'regex', pattern: '(a+)+', reply: 'x' }] }, 'rules[0].pattern', /^Preset "Mock"\.rules\[0\]\.pattern is refused/],
    ];
    for (const [extra, field, message] of cases) {
      const { presets, problems } = validatePresets([{ ...listener, ...extra }, { ...listener, name: 'Plain' }]);
      assert.deepEqual(presets.map((p) => p.name), ['Plain'], 'the valid preset keeps working');
      assert.equal(problems.length, 1);
      assert.equal(problems[0].field, field);
      assert.match(problems[0].message, message);
    }
  });

  it('refuses echo and rules on a client preset', () => {
    const { problems } = validatePresets([{ name: 'C', kind: 'client', host: 'localhost', port: 7, echo: true }]);
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /Preset "C" is a client preset, but echo and rules only apply to listener presets/);
  });
});

describe('preset tls', () => {
  it('keeps valid TLS options and refuses bad ones with the preset, the key and what to write', () => {
    const ok = validatePresets([{ name: 'Web', kind: 'client', host: 'example.com', port: 443, tls: { alpn: ['h2'], ca: 'certs/ca.pem', passphraseEnv: 'WEB_PASS' } }]);
    assert.deepEqual(ok.problems, []);
    assert.deepEqual(ok.presets[0].tls, { alpn: ['h2'], ca: ['certs/ca.pem'], passphraseEnv: 'WEB_PASS' });
    const secret = validatePresets([{ name: 'Web', kind: 'client', host: 'example.com', port: 443, tls: { passphrase: 'hunter2' } }]);
    assert.match(secret.problems[0].message, /^Preset "Web" tls: "passphrase" is not a TLS option; use one of serverName, .*passphraseEnv/);
    assert.equal(secret.problems[0].field, 'tls');
    const listener = validatePresets([{ name: 'Mock', kind: 'listener', host: '127.0.0.1', port: 0, tls: { serverName: 'x' } }]);
    assert.match(listener.problems[0].message, /"serverName" is what a client sends; remove it from a listener/);
    const half = validatePresets([{ name: 'Mock', kind: 'listener', host: '127.0.0.1', port: 0, tls: { cert: 'a.pem' } }]);
    assert.match(half.problems[0].message, /"cert" needs its private key; add "key"/);
  });
});
