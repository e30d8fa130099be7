// The bad-input table of docs/reliability.md, produced by the real code paths: each input a user can
// get wrong gets one sentence that names it and says what to do; no stack trace, no silent no-op,
// nothing left open. `PRINT_BAD_INPUT=1 npx mocha` prints the table as markdown.
import * as assert from 'node:assert/strict';
import { Registry } from '../../src/core/registry';
import { checkPayloadParses, validatePresets } from '../../src/app/presetValidation';
import { parsePayload } from '../../src/shared/parsePayload';
import { validateTlsOptions } from '../../src/shared/tls';
import { parseTarget } from '../../src/shared/hostPort';
import { Cleanup, rawServer, waitUntil } from './support/sockets';
import { tlsFixtures } from './support/tlsFixtures';

describe('bad input: one sentence each, from the real code paths', () => {
  const cleanup = new Cleanup();
  let registry: Registry;
  const rows: [string, string][] = [];

  beforeEach(() => {
    registry = new Registry();
  });
  afterEach(async () => {
    await registry.stopAll();
    registry.dispose();
    await cleanup.run();
  });
  after(() => {
    if (!process.env.PRINT_BAD_INPUT) return;
    console.log(['| Input | The sentence |', '| --- | --- |', ...rows.map(([input, sentence]) => `| ${input} | ${sentence.replace(/\|/g, '\\|')} |`)].join('\n'));
  });

  async function sentenceOf(run: () => Promise<unknown> | unknown): Promise<string> {
    try {
      await run();
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
    assert.fail('the input was accepted');
  }

  function check(input: string, sentence: string, names: RegExp): void {
    rows.push([input, sentence]);
    assert.match(sentence, names, `names the input: ${sentence}`);
    assert.doesNotMatch(sentence, /\n|\bat .*:\d+:\d+/, `one line, no stack trace: ${sentence}`);
    assert.match(sentence, /; [a-z]|, and |use |enter |choose |check |must be /i, `says what to do: ${sentence}`);
  }

  it('ports, hosts, refused and unknown targets, a port in use', async () => {
    check('listen on port 70000', await sentenceOf(() => registry.listen({ port: 70000 })), /70000/);
    check('connect to port "abc"', await sentenceOf(() => registry.connect({ host: '127.0.0.1', port: 'abc' as unknown as number })), /abc/);
    const taken = await registry.listen({ port: 0 });
    check('listen on a port in use', await sentenceOf(() => registry.listen({ port: taken.address!.port })), new RegExp(String(taken.address!.port)));
    const closed = await rawServer(cleanup, () => undefined);
    await cleanup.run();
    check('connect to a closed port', await sentenceOf(() => registry.connect({ host: '127.0.0.1', port: closed })), new RegExp(`127\\.0\\.0\\.1:${closed}`));
    check('connect to an unknown host', await sentenceOf(() => registry.connect({ host: 'no-such-host.invalid', port: 80, timeoutMs: 5000 })), /no-such-host\.invalid/);
    assert.equal(registry.connections().length, 0, 'nothing is left half-open');
    assert.equal(registry.listeners().length, 1, 'only the listener that was meant to be there');
  });

  it('payloads and presets', () => {
    const hex = parsePayload('48 6G', { format: 'hex', encoding: 'utf-8', lineEnding: 'none' });
    check('hex payload `48 6G`', hex.ok ? assert.fail('accepted') : hex.error.message, /6G|G/);
    const odd = parsePayload('48 6', { format: 'hex', encoding: 'utf-8', lineEnding: 'none' });
    check('hex payload `48 6` (odd digits)', odd.ok ? assert.fail('accepted') : odd.error.message, /6|digit/);
    const presets = validatePresets([{ name: 'PLC', kind: 'client', host: '192.0.2.1', port: 'abc' }], checkPayloadParses);
    check('preset with port "abc"', presets.problems[0]?.message ?? assert.fail('accepted'), /PLC.*port.*abc/);
    const payload = validatePresets([{ name: 'Dev', kind: 'client', host: '127.0.0.1', port: 9, payloads: [{ name: 'Bad', format: 'hex', data: 'ZZ' }] }], checkPayloadParses);
    check('preset payload with hex `ZZ`', payload.problems[0]?.message ?? assert.fail('accepted'), /Dev.*payloads\[0\].*'Z'/);
  });

  it('TLS: files, passphrases, keys, certificates, versions and plain peers', async () => {
    const f = await tlsFixtures();
    const { execFileSync } = await import('node:child_process');
    const pfx = `${f.dir}/client-${process.pid}.p12`;
    execFileSync('openssl', ['pkcs12', '-export', '-in', f.clientCert, '-inkey', f.clientKey, '-out', pfx, '-passout', 'pass:right']);
    const env = { TLS_PASS: 'wrong' };
    check('a wrong PFX passphrase', await sentenceOf(() => registry.connect({ host: 'localhost', port: 9, tls: { pfx, passphraseEnv: 'TLS_PASS', env } })), /TLS_PASS.*client-\d+\.p12/);
    check('a PFX passphrase variable that is not set', await sentenceOf(() => registry.connect({ host: 'localhost', port: 9, tls: { pfx, passphraseEnv: 'TLS_PASS', env: {} } })), /TLS_PASS/);
    check('a key that does not match its certificate', await sentenceOf(() => registry.listen({ port: 0, tls: { cert: f.serverCert, key: f.clientKey } })), /client-key\.pem.*localhost\.pem/);
    check('an unreadable certificate file', await sentenceOf(() => registry.listen({ port: 0, tls: { cert: 'missing.pem', key: f.serverKey } })), /missing\.pem/);
    check('a TLS listener without a certificate', await sentenceOf(() => registry.listen({ port: 0, tls: {} })), /certificate/);
    const listener = await registry.listen({ port: 0, tls: { cert: f.serverCert, key: f.serverKey, maxVersion: 'TLSv1.2' } });
    const listenerErrors: string[] = [];
    listener.onDidError((err) => listenerErrors.push(err.message));
    const port = listener.address!.port;
    check('a self-signed (untrusted) peer chain', await sentenceOf(() => registry.connect({ host: 'localhost', port, tls: {} })), /TCP Lab Local CA/);
    check('a name mismatch', await sentenceOf(() => registry.connect({ host: '127.0.0.1', port, tls: { ca: [f.caCert], serverName: 'example.com' } })), /example\.com/);
    const expired = await registry.listen({ port: 0, tls: { cert: f.expiredCert, key: f.expiredKey } });
    check('an expired peer certificate', await sentenceOf(() => registry.connect({ host: 'localhost', port: expired.address!.port, tls: { ca: [f.caCert] } })), /expired on/);
    check('no shared protocol version', await sentenceOf(() => registry.connect({ host: 'localhost', port, tls: { ca: [f.caCert], minVersion: 'TLSv1.3' } })), /version/);
    check('no shared cipher', await sentenceOf(() => registry.connect({ host: 'localhost', port, tls: { ca: [f.caCert], ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' } })), /cipher/);
    check('an unknown cipher name', await sentenceOf(() => registry.connect({ host: 'localhost', port, tls: { ciphers: 'NOPE' } })), /NOPE/);
    const plain = await registry.listen({ port: 0 });
    plain.onDidAccept((connection) => void connection.send(Buffer.from('220 ready\r\n')));
    check('a plain-TCP peer on a TLS target', await sentenceOf(() => registry.connect({ host: '127.0.0.1', port: plain.address!.port, tls: { insecure: true } })), new RegExp(`127\\.0\\.0\\.1:${plain.address!.port}`));
    const plainClient = await registry.connect({ host: '127.0.0.1', port });
    await plainClient.send(Buffer.from('HELLO\r\n'));
    await waitUntil(() => listenerErrors.some((m) => /plain text/.test(m)), 'the listener sentence');
    check('a plain-TCP client on a TLS listener', listenerErrors.find((m) => /plain text/.test(m))!, /127\.0\.0\.1:\d+/);
    const bad = validateTlsOptions({ minVersion: 'TLSv1.4' }, 'client', 'Preset "Web" tls');
    check('TLS option minVersion "TLSv1.4"', bad.ok ? assert.fail('accepted') : bad.message, /Web.*minVersion.*TLSv1\.4/);
    const scheme = parseTarget('https://example.com:443');
    check('target https://example.com:443', scheme.ok ? assert.fail('accepted') : scheme.message, /https:\/\//);
    assert.ok(registry.connections().every((connection) => connection.state !== 'connecting'), 'nothing is left half-open');
  });
});
