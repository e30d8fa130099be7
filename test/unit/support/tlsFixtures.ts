// Certificates for TLS tests, made once per run with the product's own local CA code (so the tests
// also prove the CA works with node, openssl and Python), in a temporary folder removed at exit.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createCa, createLocalCa, issueCertificate, type LocalCaPaths } from '../../../src/app/localCa';

export interface TlsFixtures extends LocalCaPaths {
  dir: string;
  /** A server certificate for localhost that expired yesterday, with its key. */
  expiredCert: string;
  expiredKey: string;
  /** A second CA the tests never trust, and a localhost server certificate it signed. */
  otherCa: string;
  otherCert: string;
  otherKey: string;
}

let fixtures: Promise<TlsFixtures> | undefined;

/** The shared fixtures (created on first use). */
export function tlsFixtures(): Promise<TlsFixtures> {
  fixtures ??= build();
  return fixtures;
}

async function build(): Promise<TlsFixtures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tcplab-tls-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const paths = await createLocalCa(path.join(dir, 'ca'));
  const { readFile } = await import('node:fs/promises');
  const ca = { certPem: await readFile(paths.caCert, 'utf8'), keyPem: await readFile(paths.caKey, 'utf8') };
  const day = 24 * 60 * 60 * 1000;
  const expired = await issueCertificate(ca, {
    commonName: 'localhost',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
    notBefore: new Date(Date.now() - 30 * day),
    notAfter: new Date(Date.now() - day),
  });
  const other = await createCa('Untrusted Test CA');
  const otherLeaf = await issueCertificate(other, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server' });
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  return {
    ...paths,
    dir,
    expiredCert: write('expired.pem', expired.certPem + ca.certPem),
    expiredKey: write('expired-key.pem', expired.keyPem),
    otherCa: write('other-ca.pem', other.certPem),
    otherCert: write('other.pem', otherLeaf.certPem + other.certPem),
    otherKey: write('other-key.pem', otherLeaf.keyPem),
  };
}
