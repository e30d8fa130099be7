// The one definition of TLS options as people write them (presets, `.tcp` files, the CLI) and of what
// a finished handshake reports (`TlsInfo`). No Node imports: the webview shows TlsInfo and the preset
// validation reuses the option checks. File paths stay paths here; core/tls.ts reads them.

/** Versions node:tls accepts for minVersion/maxVersion. */
export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** How a TLS listener asks for a client certificate (mTLS). */
export const TLS_CLIENT_CERT_MODES = ['off', 'request', 'require'] as const;
export type TlsClientCertMode = (typeof TLS_CLIENT_CERT_MODES)[number];

/**
 * TLS options of a client connection or a listener. Secrets are never part of it: a PFX or key
 * passphrase is named by `passphraseEnv`, the environment variable that holds it.
 */
export interface TlsOptions {
  /** SNI name a client sends; default: the host, unless it is an IP address (SNI carries names only). */
  serverName?: string;
  /** ALPN protocols, most preferred first (a client offers them, a listener accepts them). */
  alpn?: string[];
  /** CA certificate files (PEM) to trust instead of the system store. */
  ca?: string[];
  /** Certificate chain file (PEM): the client certificate, or the listener's own. */
  cert?: string;
  /** Private key file (PEM) for `cert`. */
  key?: string;
  /** A PKCS#12 file holding certificate and key, instead of cert + key. */
  pfx?: string;
  /** Environment variable holding the passphrase of `pfx` or an encrypted `key`. */
  passphraseEnv?: string;
  /** Client only: complete the handshake whatever the certificate says; every problem is still reported. */
  insecure?: boolean;
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  /** OpenSSL cipher list (TLS 1.2 and below), e.g. `ECDHE-RSA-AES128-GCM-SHA256`. */
  ciphers?: string;
  /** Listener only: ask clients for a certificate (mTLS). */
  requestCert?: TlsClientCertMode;
}

/** Every key of TlsOptions, for the unknown-key check of presets and for docs. */
export const TLS_OPTION_KEYS: readonly (keyof TlsOptions)[] = [
  'serverName',
  'alpn',
  'ca',
  'cert',
  'key',
  'pfx',
  'passphraseEnv',
  'insecure',
  'minVersion',
  'maxVersion',
  'ciphers',
  'requestCert',
];

export type TlsRole = 'client' | 'listener';

export type TlsOptionsResult = { ok: true; options: TlsOptions } | { ok: false; message: string };

const ALPN_NAME = /^[\x21-\x7e]{1,255}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VERSION_RANK: Record<TlsVersion, number> = { TLSv1: 1, 'TLSv1.1': 2, 'TLSv1.2': 3, 'TLSv1.3': 4 };

function isTlsVersion(value: unknown): value is TlsVersion {
  return typeof value === 'string' && (TLS_VERSIONS as readonly string[]).includes(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/**
 * Checks TLS options written by a person (`where` names them in the sentence, e.g. `Preset "Web" tls`).
 * Returns them normalised (trimmed strings) or one sentence naming the bad key and what to write.
 */
export function validateTlsOptions(value: unknown, role: TlsRole, where = 'TLS options'): TlsOptionsResult {
  const fail = (message: string): TlsOptionsResult => ({ ok: false, message: `${where}: ${message}` });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('must be an object such as { "serverName": "example.com", "alpn": ["h2"] }.');
  }
  const input = value as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!(TLS_OPTION_KEYS as readonly string[]).includes(key)) return fail(`"${key}" is not a TLS option; use one of ${TLS_OPTION_KEYS.join(', ')}.`);
  }
  const options: TlsOptions = {};
  const path = (key: keyof TlsOptions): string | undefined | false => {
    const raw = input[key];
    if (raw === undefined) return undefined;
    if (!nonEmptyString(raw)) return false;
    return raw.trim();
  };
  for (const key of ['cert', 'key', 'pfx'] as const) {
    const file = path(key);
    if (file === false) return fail(`"${key}" must be a file path, such as certs/${key === 'pfx' ? 'client.p12' : `${key}.pem`}.`);
    if (file !== undefined) options[key] = file;
  }
  if (input.ca !== undefined) {
    const list = typeof input.ca === 'string' ? [input.ca] : input.ca;
    if (!Array.isArray(list) || list.length === 0 || !list.every(nonEmptyString)) {
      return fail('"ca" must be a CA file path or a list of them, such as ["certs/ca.pem"].');
    }
    options.ca = list.map((file) => file.trim());
  }
  if (options.pfx !== undefined && (options.cert !== undefined || options.key !== undefined)) {
    return fail('use either "pfx" or "cert" with "key", not both.');
  }
  if ((options.cert === undefined) !== (options.key === undefined)) {
    return fail(options.cert === undefined ? '"key" needs the certificate it belongs to; add "cert".' : '"cert" needs its private key; add "key".');
  }
  if (input.passphraseEnv !== undefined) {
    if (typeof input.passphraseEnv !== 'string' || !ENV_NAME.test(input.passphraseEnv)) {
      return fail(`"passphraseEnv" must name an environment variable such as TLS_PASSPHRASE, not the passphrase itself.`);
    }
    options.passphraseEnv = input.passphraseEnv;
  }
  if (input.serverName !== undefined) {
    if (role === 'listener') return fail('"serverName" is what a client sends; remove it from a listener.');
    if (!nonEmptyString(input.serverName) || /[\s/:]/.test(input.serverName.trim())) {
      return fail(`"serverName" ${JSON.stringify(input.serverName)} is not a host name; use a name such as example.com.`);
    }
    options.serverName = input.serverName.trim();
  }
  if (input.alpn !== undefined) {
    const list = typeof input.alpn === 'string' ? input.alpn.split(',').map((name) => name.trim()) : input.alpn;
    if (!Array.isArray(list) || list.length === 0 || !list.every((name) => typeof name === 'string' && ALPN_NAME.test(name))) {
      return fail('"alpn" must list protocol names such as ["h2", "http/1.1"].');
    }
    options.alpn = list as string[];
  }
  if (input.insecure !== undefined) {
    if (typeof input.insecure !== 'boolean') return fail('"insecure" must be true or false.');
    if (role === 'listener' && input.insecure) return fail('"insecure" applies to clients; a listener accepts any client unless "requestCert" is "require".');
    options.insecure = input.insecure;
  }
  for (const key of ['minVersion', 'maxVersion'] as const) {
    const version = input[key];
    if (version === undefined) continue;
    if (!isTlsVersion(version)) return fail(`"${key}" ${JSON.stringify(version)} is not a TLS version; use one of ${TLS_VERSIONS.join(', ')}.`);
    options[key] = version;
  }
  if (options.minVersion && options.maxVersion && VERSION_RANK[options.minVersion] > VERSION_RANK[options.maxVersion]) {
    return fail(`"minVersion" ${options.minVersion} is above "maxVersion" ${options.maxVersion}; swap them or widen the range.`);
  }
  if (input.ciphers !== undefined) {
    if (!nonEmptyString(input.ciphers)) return fail('"ciphers" must be an OpenSSL cipher list such as ECDHE-RSA-AES128-GCM-SHA256.');
    options.ciphers = input.ciphers.trim();
  }
  if (input.requestCert !== undefined) {
    if (role === 'client') return fail('"requestCert" is for listeners; a client sends its certificate with "cert" and "key".');
    if (typeof input.requestCert !== 'string' || !(TLS_CLIENT_CERT_MODES as readonly string[]).includes(input.requestCert)) {
      return fail(`"requestCert" must be one of ${TLS_CLIENT_CERT_MODES.join(', ')}.`);
    }
    options.requestCert = input.requestCert as TlsClientCertMode;
  }
  return { ok: true, options };
}

/** One certificate of the peer's chain, as the panel and the tree tooltip show it. */
export interface CertificateSummary {
  /** e.g. `CN=localhost, O=TCP Lab`. */
  subject: string;
  issuer: string;
  /** Subject alternative names as OpenSSL prints them, e.g. `DNS:localhost`, `IP Address:127.0.0.1`. */
  subjectAltNames: string[];
  validFrom: string;
  validTo: string;
  /** Colon-separated upper-case hex, as `openssl x509 -fingerprint -sha256` prints it. */
  sha256: string;
}

/** What a finished handshake negotiated and what the peer proved, for display and `EXPECT tls`. */
export interface TlsInfo {
  /** e.g. `TLSv1.3`. */
  version: string;
  /** OpenSSL name, e.g. `TLS_AES_256_GCM_SHA384`. */
  cipher: string;
  /** The protocol ALPN selected, or undefined when none was. */
  alpn?: string;
  /** The SNI name a client sent (or a listener received); undefined when none. */
  serverName?: string;
  /** Milliseconds from the TCP connection (or STARTTLS) to the finished handshake. */
  handshakeMs: number;
  /** Epoch milliseconds when the handshake finished. */
  handshakeAt: number;
  /** The connection log's last record number when it finished (0: TLS from the first byte), so its row keeps its place. */
  afterRecord: number;
  /** The peer's chain, leaf first; empty when the peer sent no certificate. */
  peerChain: CertificateSummary[];
  /** True when the peer's certificate is trusted and (for a client) matches the name. */
  verified: boolean;
  /** One sentence: "verified: …", "certificate expired on …", "name mismatch: … is not in …". */
  verification: string;
  /** Every problem the handshake accepted anyway (insecure, or a listener's "request" mode). */
  acceptedErrors: string[];
}

/** The one-line summary the CLI's --verbose, the tree tooltip and the log share. */
export function describeTlsInfo(info: TlsInfo): string {
  const alpn = info.alpn ? `, ALPN ${info.alpn}` : '';
  const sni = info.serverName ? `, SNI ${info.serverName}` : '';
  return `${info.version} ${info.cipher}${alpn}${sni}, handshake ${info.handshakeMs.toFixed(1)} ms; ${info.verification}`;
}

/** The handshake as one lifecycle row of the traffic panel. */
export function describeHandshake(connectionId: string, info: TlsInfo): string {
  return `${connectionId} TLS handshake in ${info.handshakeMs.toFixed(1)} ms: ${info.version} ${info.cipher}${info.alpn ? `, ALPN ${info.alpn}` : ''}; ${info.verification}`;
}

/** The session as tooltip lines: protocol, then each certificate of the peer's chain. */
export function describeTlsLines(info: TlsInfo): string[] {
  const lines = [`TLS: ${describeTlsInfo(info)}`];
  info.peerChain.forEach((cert, i) => {
    const names = cert.subjectAltNames.length > 0 ? `; ${cert.subjectAltNames.join(', ')}` : '';
    lines.push(`${i === 0 ? 'Peer' : `Issuer ${i}`}: ${cert.subject} (issued by ${cert.issuer}; ${cert.validFrom} – ${cert.validTo}${names}); SHA-256 ${cert.sha256}`);
  });
  return lines;
}
