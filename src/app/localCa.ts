// A local certificate authority made on demand: a CA, a server certificate for localhost, 127.0.0.1
// and ::1, and a client certificate for mTLS tests, all EC P-256 signed with SHA-256. Generated with
// @peculiar/x509 on node's WebCrypto (no openssl process), stored as PEM files in a folder the host
// passes in (the extension's global storage). vscode-free, so the CLI and tests use it too.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile, access } from 'node:fs/promises';
import * as path from 'node:path';
import { TcpError } from '../core/errors';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/** File names inside the CA folder; `*-key.pem` files are written owner-only. */
export const LOCAL_CA_FILES = {
  caCert: 'ca.pem',
  caKey: 'ca-key.pem',
  serverCert: 'localhost.pem',
  serverKey: 'localhost-key.pem',
  clientCert: 'client.pem',
  clientKey: 'client-key.pem',
} as const;

/** Absolute paths of a local CA's files. */
export type LocalCaPaths = { [K in keyof typeof LOCAL_CA_FILES]: string };

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

export interface IssueOptions {
  commonName: string;
  /** DNS names and IP addresses for the subject alternative name extension. */
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: 'server' | 'client';
  notBefore?: Date;
  notAfter?: Date;
}

let providerSet = false;

function useNodeCrypto(): void {
  if (providerSet) return;
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  providerSet = true;
}

function serialNumber(): string {
  // Positive (high bit clear) and 16 bytes, as RFC 5280 asks.
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
}

async function keyToPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key as unknown as webcrypto.CryptoKey));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

async function pemToKey(pem: string): Promise<CryptoKey> {
  const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  return (await webcrypto.subtle.importKey('pkcs8', Buffer.from(body, 'base64'), ALGORITHM, false, ['sign'])) as unknown as CryptoKey;
}

/** A self-signed CA certificate and its key. */
export async function createCa(commonName = 'TCP Lab Local CA', years = 10): Promise<IssuedCertificate> {
  useNodeCrypto();
  const keys = await generateKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}, O=TCP Lab`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + years * 365 * DAY_MS),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: `${cert.toString('pem').trimEnd()}\n`, keyPem: await keyToPem(keys.privateKey) };
}

/** A leaf certificate signed by `ca`: a server certificate for the given names, or a client one. */
export async function issueCertificate(ca: IssuedCertificate, options: IssueOptions): Promise<IssuedCertificate> {
  useNodeCrypto();
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await pemToKey(ca.keyPem);
  const keys = await generateKeys();
  const now = Date.now();
  const names: x509.JsonGeneralName[] = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${options.commonName}, O=TCP Lab`,
    issuer: caCert.subject,
    notBefore: options.notBefore ?? new Date(now - DAY_MS),
    // 825 days: the longest validity Apple platforms accept for a server certificate.
    notAfter: options.notAfter ?? new Date(now + 825 * DAY_MS),
    signingAlgorithm: SIGNING,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([options.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: `${cert.toString('pem').trimEnd()}\n`, keyPem: await keyToPem(keys.privateKey) };
}

export function localCaPaths(directory: string): LocalCaPaths {
  const entries = Object.entries(LOCAL_CA_FILES).map(([key, name]) => [key, path.join(directory, name)]);
  return Object.fromEntries(entries) as LocalCaPaths;
}

/** The local CA's paths when all its files exist in `directory`, otherwise undefined. */
export async function findLocalCa(directory: string): Promise<LocalCaPaths | undefined> {
  const paths = localCaPaths(directory);
  try {
    await Promise.all(Object.values(paths).map((file) => access(file)));
    return paths;
  } catch {
    return undefined;
  }
}

/**
 * The certificate and key a TLS listener uses when it names none: the local CA's server
 * certificate. Without a local CA, one sentence says how to make one.
 */
export async function localCaListenerTls(directory: string | undefined): Promise<{ cert: string; key: string }> {
  const paths = directory ? await findLocalCa(directory) : undefined;
  if (!paths) {
    throw new TcpError('NO_LOCAL_CA', 'A TLS listener needs a certificate; run TCP: Create Local Certificate Authority first (or give the preset a "tls" cert and key), then start the TLS listener again.');
  }
  return { cert: paths.serverCert, key: paths.serverKey };
}

/**
 * Create (or replace) the local CA in `directory`: CA, localhost server certificate, client
 * certificate. Keys are written readable by the owner only.
 */
export async function createLocalCa(directory: string): Promise<LocalCaPaths> {
  const paths = localCaPaths(directory);
  try {
    await mkdir(directory, { recursive: true });
    const ca = await createCa();
    const server = await issueCertificate(ca, {
      commonName: 'localhost',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1', '::1'],
      usage: 'server',
    });
    const client = await issueCertificate(ca, { commonName: 'TCP Lab client', usage: 'client' });
    const secret = { mode: 0o600 };
    await writeFile(paths.caCert, ca.certPem);
    await writeFile(paths.caKey, ca.keyPem, secret);
    await writeFile(paths.serverCert, server.certPem + ca.certPem);
    await writeFile(paths.serverKey, server.keyPem, secret);
    await writeFile(paths.clientCert, client.certPem + ca.certPem);
    await writeFile(paths.clientKey, client.keyPem, secret);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new TcpError(
      'LOCAL_CA_FAILED',
      `Could not create the local certificate authority in "${directory}" (${typeof code === 'string' ? code : String(err)}); check that the folder is writable, then try again.`,
      { cause: err },
    );
  }
  return paths;
}

/** The CA certificate (PEM) of the local CA in `directory`, to export for a device or a test. */
export async function readLocalCaCertificate(directory: string): Promise<string> {
  try {
    return await readFile(localCaPaths(directory).caCert, 'utf8');
  } catch {
    throw new TcpError('NO_LOCAL_CA', 'There is no local certificate authority yet; run TCP: Create Local Certificate Authority first.');
  }
}
