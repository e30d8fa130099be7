// TLS on node:tls for connections and listeners: reading certificate files into a secure context,
// checking the peer ourselves so every problem becomes one sentence (and "insecure" can accept it yet
// still report it), describing the negotiated session as TlsInfo, appending keylog lines, and turning
// OpenSSL's errors into sentences that name the cause and what to do.
import { appendFile, readFileSync } from 'node:fs';
import { isIP, type Socket } from 'node:net';
import * as path from 'node:path';
import {
  checkServerIdentity,
  createSecureContext,
  createServer as createTlsServer,
  type DetailedPeerCertificate,
  type PeerCertificate,
  type SecureContext,
  type SecureContextOptions,
  type Server as TlsServer,
  type TLSSocket,
} from 'node:tls';
import type { CertificateSummary, TlsInfo, TlsOptions, TlsRole } from '../shared/tls';
import { TcpError, formatHostPort } from './errors';

/** TLS options as the engine takes them: the shared options plus where to find files and secrets. */
export interface TlsSetup extends TlsOptions {
  /** Folder relative file paths are read from (the workspace, the `.tcp` file's folder); default the process's. */
  baseDir?: string;
  /** The environment `passphraseEnv` is read from; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A setup turned into what node:tls needs, files read and checked once. */
export interface PreparedTls {
  role: TlsRole;
  options: TlsOptions;
  secureContext: SecureContext;
  /** What the context was made from: a tls.Server builds its own context from these. */
  contextOptions: SecureContextOptions;
}

/** How long a TLS listener waits for a client's handshake before dropping it. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

function readMaterial(file: string, what: string, baseDir: string | undefined): Buffer {
  const resolved = baseDir ? path.resolve(baseDir, file) : path.resolve(file);
  try {
    return readFileSync(resolved);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${String(code ?? err)})`;
    throw new TcpError('TLS_FILE', `The TLS ${what} file "${file}" ${why}; check the path (relative paths start at ${baseDir ?? 'the current folder'}).`, { cause: err });
  }
}

function passphraseOf(setup: TlsSetup): string | undefined {
  if (setup.passphraseEnv === undefined) return undefined;
  const value = (setup.env ?? process.env)[setup.passphraseEnv];
  if (value === undefined) {
    throw new TcpError(
      'TLS_PASSPHRASE',
      `The environment variable ${setup.passphraseEnv} named by passphraseEnv is not set; set it to the key's passphrase before starting.`,
    );
  }
  return value;
}

/** Why createSecureContext refused the material, as one sentence about the named files. */
function describeContextError(err: unknown, setup: TlsSetup): TcpError {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  const keyName = setup.pfx ?? setup.key ?? 'the key';
  const make = (text: string): TcpError => new TcpError('TLS_MATERIAL', text, { cause: err });
  if (code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH') {
    return make(`The key "${setup.key}" does not belong to the certificate "${setup.cert}"; use the key file made together with that certificate.`);
  }
  if (/mac verify failure|bad decrypt|bad password/i.test(message)) {
    return make(
      setup.passphraseEnv
        ? `The passphrase in ${setup.passphraseEnv} does not unlock "${keyName}"; set ${setup.passphraseEnv} to the right passphrase.`
        : `"${keyName}" is protected by a passphrase; name the environment variable holding it with passphraseEnv (TLS-PASSPHRASE-ENV in .tcp files).`,
    );
  }
  if (code === 'ERR_SSL_NO_CIPHER_MATCH') {
    return make(`The cipher list "${setup.ciphers}" names no cipher OpenSSL knows; use names such as ECDHE-RSA-AES128-GCM-SHA256 (see openssl ciphers).`);
  }
  if (code === 'ERR_OSSL_PEM_NO_START_LINE' || code === 'ERR_OSSL_UNSUPPORTED' || /no start line|unsupported|asn1|wrong tag/i.test(message)) {
    const file = setup.pfx ?? (/key|DECODER/i.test(message) ? setup.key : setup.cert) ?? setup.cert;
    return make(`"${file}" is not a PEM certificate or key that OpenSSL can read; export it as PEM (-----BEGIN …-----) or use a PKCS#12 file as pfx.`);
  }
  return make(`The TLS certificate settings were refused (${message}); check the cert, key, pfx and ca files.`);
}

/** Read and check the files of a TLS setup; throws a TcpError naming the file at fault. */
export function prepareTls(setup: TlsSetup, role: TlsRole): PreparedTls {
  const options: SecureContextOptions = {};
  const base = setup.baseDir;
  if (setup.cert !== undefined) options.cert = readMaterial(setup.cert, 'certificate', base);
  if (setup.key !== undefined) options.key = readMaterial(setup.key, 'key', base);
  if (setup.pfx !== undefined) options.pfx = readMaterial(setup.pfx, 'PKCS#12 (pfx)', base);
  if (setup.ca !== undefined) options.ca = setup.ca.map((file) => readMaterial(file, 'CA', base));
  if (role === 'listener' && setup.cert === undefined && setup.pfx === undefined) {
    throw new TcpError(
      'TLS_NO_CERTIFICATE',
      'A TLS listener needs a certificate and key; set cert and key (or pfx), or run TCP: Create Local Certificate Authority to use the local one.',
    );
  }
  const passphrase = passphraseOf(setup);
  if (passphrase !== undefined) options.passphrase = passphrase;
  if (setup.minVersion) options.minVersion = setup.minVersion;
  if (setup.maxVersion) options.maxVersion = setup.maxVersion;
  if (setup.ciphers) options.ciphers = setup.ciphers;
  let secureContext: SecureContext;
  try {
    secureContext = createSecureContext(options);
  } catch (err) {
    throw describeContextError(err, setup);
  }
  const plain: TlsSetup = { ...setup };
  // Kept for display and EXPECT; where files were read from and the environment are not options.
  delete plain.baseDir;
  delete plain.env;
  return { role, options: plain, secureContext, contextOptions: options };
}

/** SNI carries host names only: the explicit serverName, else the host unless it is an IP literal. */
export function serverNameFor(options: TlsOptions, host: string): string | undefined {
  if (options.serverName !== undefined) return options.serverName;
  return isIP(host) === 0 ? host : undefined;
}

function formatName(name: Record<string, string | string[]> | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`)
    .join(', ');
}

function altNames(cert: PeerCertificate): string[] {
  return cert.subjectaltname ? cert.subjectaltname.split(', ').map((name) => name.trim()) : [];
}

/**
 * The peer's chain, leaf first, as node reports it (the last certificate links to itself). Kept per
 * socket: node converts the whole chain to objects on every call, the costliest part of a handshake
 * after the crypto itself.
 */
const chains = new WeakMap<TLSSocket, DetailedPeerCertificate[]>();

function peerChain(socket: TLSSocket): DetailedPeerCertificate[] {
  const known = chains.get(socket);
  if (known) return known;
  const chain = readPeerChain(socket);
  chains.set(socket, chain);
  return chain;
}

/**
 * Keep the certificate node itself converted for its checkServerIdentity call (see
 * capturingIdentityCheck), so the chain is not converted a second time.
 */
export function rememberPeerCertificate(socket: TLSSocket, leaf: DetailedPeerCertificate): void {
  chains.set(socket, chainFrom(leaf));
}

/** A listener that asks for no client certificate has none to read: skip node's conversion. */
export function expectNoPeerCertificate(socket: TLSSocket): void {
  chains.set(socket, []);
}

/** A checkServerIdentity option that hands node's converted certificate to `keep` and checks nothing itself (verifyPeer does). */
export function capturingIdentityCheck(keep: (leaf: DetailedPeerCertificate) => void): (host: string, cert: PeerCertificate) => Error | undefined {
  return (_host, cert) => {
    keep(cert as DetailedPeerCertificate);
    return undefined;
  };
}

function readPeerChain(socket: TLSSocket): DetailedPeerCertificate[] {
  return chainFrom(socket.getPeerCertificate(true));
}

function chainFrom(leaf: DetailedPeerCertificate | undefined): DetailedPeerCertificate[] {
  const chain: DetailedPeerCertificate[] = [];
  let cert = leaf;
  const seen = new Set<string>();
  while (cert && cert.fingerprint256 && !seen.has(cert.fingerprint256)) {
    chain.push(cert);
    seen.add(cert.fingerprint256);
    cert = cert.issuerCertificate;
  }
  return chain;
}

function summarize(cert: DetailedPeerCertificate): CertificateSummary {
  return {
    subject: formatName(cert.subject as unknown as Record<string, string>),
    issuer: formatName(cert.issuer as unknown as Record<string, string>),
    subjectAltNames: altNames(cert),
    validFrom: cert.valid_from,
    validTo: cert.valid_to,
    sha256: cert.fingerprint256,
  };
}

function subjectName(cert: DetailedPeerCertificate | undefined): string {
  if (!cert) return 'the peer';
  const cn = (cert.subject as unknown as Record<string, string> | undefined)?.CN;
  return cn ? `"${cn}"` : `"${formatName(cert.subject as unknown as Record<string, string>)}"`;
}

/** OpenSSL's verification code as a sentence about this chain. */
function describeVerifyError(code: string, chain: DetailedPeerCertificate[], role: TlsRole): string {
  const leaf = chain[0];
  const top = chain[chain.length - 1];
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return `certificate ${subjectName(leaf)} expired on ${leaf ? new Date(leaf.valid_to).toISOString() : 'an earlier date'}`;
    case 'CERT_NOT_YET_VALID':
      return `certificate ${subjectName(leaf)} is not valid until ${leaf ? new Date(leaf.valid_from).toISOString() : 'a later date'}`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return `certificate ${subjectName(leaf)} is self-signed and not trusted`;
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return `the chain ends in the self-signed CA ${subjectName(top)}, which is not trusted`;
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return `the issuer of ${subjectName(top)} (${top ? formatName(top.issuer as unknown as Record<string, string>) : 'unknown'}) is not a trusted CA`;
    case 'CERT_SIGNATURE_FAILURE':
      return `the signature of ${subjectName(leaf)} does not verify`;
    case 'INVALID_PURPOSE':
      return `certificate ${subjectName(leaf)} is not meant for ${role === 'client' ? 'server' : 'client'} authentication (its extended key usage)`;
    case 'CERT_REVOKED':
      return `certificate ${subjectName(leaf)} was revoked`;
    default:
      return `the peer's certificate failed verification (${code})`;
  }
}

/** Every verification problem of the peer, each as a sentence fragment; empty when verified. */
export function verifyPeer(socket: TLSSocket, role: TlsRole, serverName: string | undefined, host: string): string[] {
  const chain = peerChain(socket);
  if (chain.length === 0) return role === 'client' ? ['the server sent no certificate'] : [];
  const problems: string[] = [];
  const authError = socket.authorizationError as unknown as string | Error | null | undefined;
  // A name mismatch node noted itself is checked (and worded) below.
  if (authError && authError !== 'ERR_TLS_CERT_ALTNAME_INVALID') problems.push(describeVerifyError(typeof authError === 'string' ? authError : ((authError as { code?: string }).code ?? authError.message), chain, role));
  if (role === 'client') {
    const name = serverName ?? host;
    const mismatch = checkServerIdentity(name, chain[0]);
    if (mismatch) {
      const names = altNames(chain[0]);
      problems.push(`name mismatch: ${name} is not in ${names.length > 0 ? names.join(', ') : `the certificate's subject ${formatName(chain[0].subject as unknown as Record<string, string>)}`}`);
    }
  }
  return problems;
}

/** What the handshake negotiated and what the peer proved. */
export function describeSession(
  socket: TLSSocket,
  details: { role: TlsRole; serverName: string | undefined; handshakeMs: number; problems: string[]; afterRecord?: number },
): TlsInfo {
  const cipher = socket.getCipher();
  const chain = peerChain(socket);
  const alpn = socket.alpnProtocol;
  const verified = details.problems.length === 0 && chain.length > 0;
  const leafName = chain[0] ? subjectName(chain[0]) : '';
  const verification = verified
    ? details.role === 'client'
      ? `verified: ${leafName} is trusted and matches ${details.serverName ?? 'the host'}`
      : `verified: client certificate ${leafName} is trusted`
    : details.problems.length > 0
      ? details.problems.join('; ')
      : 'no client certificate was sent';
  return {
    version: socket.getProtocol() ?? 'unknown',
    cipher: cipher?.standardName ?? cipher?.name ?? 'unknown',
    ...(typeof alpn === 'string' ? { alpn } : {}),
    ...(details.serverName !== undefined ? { serverName: details.serverName } : {}),
    handshakeMs: details.handshakeMs,
    handshakeAt: Date.now(),
    afterRecord: details.afterRecord ?? 0,
    peerChain: chain.map(summarize),
    verified,
    verification,
    acceptedErrors: details.problems,
  };
}

/** A rejected peer certificate, as the sentence connect() rejects with. */
export function certificateRejected(host: string, port: number, problems: string[]): TcpError {
  return new TcpError(
    'TLS_CERTIFICATE',
    `TLS to ${formatHostPort(host, port)} was refused because ${problems.join('; ')}; trust its CA with ca (TLS-CA), fix the name with serverName (TLS-SERVERNAME), or accept it for testing with insecure (TLS-INSECURE).`,
  );
}

const ALERT_HINTS: [RegExp, (where: string) => string][] = [
  [
    /WRONG_VERSION_NUMBER|HTTP_REQUEST|PACKET_LENGTH_TOO_LONG|RECORD_LAYER_FAILURE/,
    (where) =>
      where.startsWith('The client')
        ? `${where} sent plain text, not TLS, to this TLS listener; connect it with TLS (tls://) or use a plain listener`
        : `${where} does not speak TLS there (it answered in plain text); connect without tls:// or check the port`,
  ],
  [/UNSUPPORTED_PROTOCOL|PROTOCOL_VERSION|VERSION_TOO_LOW|VERSION_TOO_HIGH|NO_PROTOCOLS_AVAILABLE/, (where) => `${where} and TCP Lab share no TLS version; widen minVersion/maxVersion (TLS-MIN, TLS-MAX)`],
  [/NO_SHARED_CIPHER|NO_CIPHERS_AVAILABLE|NO_SUITABLE_SIGNATURE/, (where) => `${where} and TCP Lab share no cipher; change the ciphers list or the peer's`],
  [/HANDSHAKE_FAILURE/, (where) => `${where} refused the handshake (alert "handshake failure"): it may require a client certificate (set cert and key, TLS-CERT and TLS-KEY) or share no cipher with TCP Lab (check ciphers)`],
  [/NO_APPLICATION_PROTOCOL/, (where) => `${where} supports none of the ALPN protocols offered; offer one it supports with alpn (TLS-ALPN)`],
  [/CERTIFICATE_REQUIRED|PEER_DID_NOT_RETURN_A_CERTIFICATE/, (where) => `${where} requires a client certificate; set cert and key (TLS-CERT, TLS-KEY)`],
  [/BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|CERTIFICATE_EXPIRED|DECRYPT_ERROR/, (where) => `${where} rejected the certificate TCP Lab presented; check that it is signed by a CA the peer trusts and still valid`],
];

/** A handshake failure on our side or an alert from the peer, as one sentence. */
export function describeTlsError(err: unknown, role: TlsRole, host: string, port: number): TcpError {
  if (err instanceof TcpError) return err;
  const code = String((err as { code?: unknown }).code ?? '');
  const peer = role === 'client' ? `The server at ${formatHostPort(host, port)}` : `The client at ${formatHostPort(host, port)}`;
  for (const [pattern, hint] of ALERT_HINTS) {
    if (pattern.test(code)) return new TcpError(code, `TLS handshake failed: ${hint(peer)}.`, { cause: err });
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || /socket disconnected|socket hang up/i.test(err instanceof Error ? err.message : '')) {
    return new TcpError(
      code || 'ECONNRESET',
      `TLS handshake failed: ${peer} closed the connection during the handshake; check that it speaks TLS on that port and accepts the offered versions, ciphers and certificate.`,
      { cause: err },
    );
  }
  const detail = err instanceof Error ? err.message.split('\n')[0].replace(/^[0-9A-F]+:error:[0-9A-F]+:/, '') : String(err);
  return new TcpError(code || 'TLS_HANDSHAKE', `TLS handshake with ${formatHostPort(host, port)} failed (${detail}); check the peer's TLS settings and TCP Lab's.`, { cause: err });
}

/**
 * Appends NSS key-log lines (what Wireshark reads to decrypt a capture) to a file. Write errors are
 * reported once through `onError` and further lines are dropped.
 */
export class KeyLogWriter {
  private failed = false;
  constructor(
    readonly file: string,
    private readonly onError: (err: TcpError) => void,
  ) {}

  /** Subscribe to a socket's key material (node's 'keylog' event). */
  attach(socket: TLSSocket): void {
    socket.on('keylog', (line: Buffer) => this.write(line));
  }

  write(line: Buffer): void {
    if (this.failed) return;
    appendFile(this.file, line, (err) => {
      if (!err || this.failed) return;
      this.failed = true;
      this.onError(new TcpError('KEYLOG_FAILED', `Could not append TLS keys to "${this.file}" (${err.code ?? err.message}); check tcpLab.tls.keyLogFile points to a writable file.`));
    });
  }
}

/**
 * A tls.Server that never listens: a TCP listener (or an accepted connection doing STARTTLS) hands
 * it plain sockets with emit('connection'), and it runs the server side of the handshake, the
 * client-certificate check, ALPN selection and the handshake timeout.
 */
export function createTlsAcceptor(prepared: PreparedTls, keyLog: KeyLogWriter | undefined): TlsServer {
  const mode = prepared.options.requestCert ?? 'off';
  const server = createTlsServer({
    ...prepared.contextOptions,
    requestCert: mode !== 'off',
    rejectUnauthorized: mode === 'require',
    ALPNProtocols: prepared.options.alpn,
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
    allowHalfOpen: true,
  });
  if (keyLog) server.on('keylog', (line: Buffer) => keyLog.write(line));
  return server;
}

/** The TCP socket under a TLSSocket a tls.Server made from it (node keeps it as `_parent`). */
export function tcpSocketUnder(socket: TLSSocket): Socket | undefined {
  const parent = (socket as unknown as { _parent?: unknown })._parent;
  return parent && typeof (parent as { resetAndDestroy?: unknown }).resetAndDestroy === 'function' ? (parent as Socket) : undefined;
}
