import * as assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createLocalCa, localCaListenerTls } from '../../src/app/localCa';
import { presetTlsSetup } from '../../src/app/presetStarts';
import { Registry } from '../../src/core/registry';
import type { Preset } from '../../src/shared/preset';

describe('a preset\u2019s TLS setup (Start Preset, the tree)', function () {
  this.timeout(20_000);
  let dir: string;
  let registry: Registry | undefined;
  const noCa = (): Promise<{ cert: string; key: string }> => Promise.reject(new Error('the local CA was asked for'));
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tcplab-preset-tls-'));
  });
  afterEach(() => {
    registry?.dispose();
    registry = undefined;
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is plain TCP without "tls", reads files from the workspace folder, and keeps a listener\u2019s own certificate', async () => {
    const plain: Preset = { name: 'plain', kind: 'client', host: '127.0.0.1', port: 9000 };
    assert.equal(await presetTlsSetup(plain, dir, noCa), undefined);
    const client: Preset = { name: 'c', kind: 'client', host: 'localhost', port: 8443, tls: { ca: ['certs/ca.pem'], alpn: ['h2'] } };
    assert.deepEqual(await presetTlsSetup(client, dir, noCa), { ca: ['certs/ca.pem'], alpn: ['h2'], baseDir: dir });
    const own: Preset = { name: 'l', kind: 'listener', host: '127.0.0.1', port: 0, tls: { cert: 'c.pem', key: 'k.pem' } };
    assert.deepEqual(await presetTlsSetup(own, dir, noCa), { cert: 'c.pem', key: 'k.pem', baseDir: dir });
  });

  it('says how to make a local CA when a TLS listener preset names no certificate and there is none', async () => {
    const listener: Preset = { name: 'l', kind: 'listener', host: '127.0.0.1', port: 0, tls: {} };
    await assert.rejects(
      presetTlsSetup(listener, dir, () => localCaListenerTls(path.join(dir, 'missing'))),
      { message: 'A TLS listener needs a certificate; run TCP: Create Local Certificate Authority first (or give the preset a "tls" cert and key), then start the TLS listener again.' },
    );
  });

  it('serves the local CA\u2019s certificate, which a client trusting that CA verifies over real loopback TLS', async () => {
    const caDir = path.join(dir, 'local-ca');
    const paths = await createLocalCa(caDir);
    registry = new Registry();
    const listenerPreset: Preset = { name: 'secure', kind: 'listener', host: '127.0.0.1', port: 0, tls: {} };
    const serverTls = await presetTlsSetup(listenerPreset, dir, () => localCaListenerTls(caDir));
    const listener = await registry.listen({ host: '127.0.0.1', port: 0, ...(serverTls ? { tls: serverTls } : {}) });
    const port = listener.address?.port as number;
    const clientPreset: Preset = { name: 'to secure', kind: 'client', host: 'localhost', port, tls: { ca: [path.relative(dir, paths.caCert)] } };
    const clientTls = await presetTlsSetup(clientPreset, dir, noCa);
    const connection = await registry.connect({ host: 'localhost', port, ...(clientTls ? { tls: clientTls } : {}) });
    assert.equal(connection.tls?.verified, true, connection.tls?.verification);
  });
});
