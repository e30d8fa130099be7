// The one owner of "does binding this host expose a port beyond this machine, and what do we ask
// the user first". Hosts are parsed, not compared with a list of spellings: `::`, `::0`, `0::0`,
// `0:0:0:0:0:0:0:0`, `[::]`, `::ffff:0.0.0.0` and `0` (which the resolver reads as 0.0.0.0) are
// all the same wildcard, and a list always misses one. Every bind path (palette, presets, panel,
// `.tcp` LISTEN blocks) asks through here, so they all ask the same question.
import { formatHostPort, isIPv4, isIPv6, unbracketHost } from '../shared/hostPort';
import { t } from '../shared/l10n';

/** What a bind reaches: only this machine, every interface, one address of it, or a name we cannot judge. */
export type BindScope = 'loopback' | 'allInterfaces' | 'address' | 'name';

export interface BindExposure {
  /** True when other machines may reach the port: ask before binding. */
  exposed: boolean;
  scope: BindScope;
  /** The question, one sentence naming the address (only when exposed). */
  sentence?: string;
  /** A second line for the modal: how to stay on this machine. */
  detail?: string;
  /** The button that confirms. */
  confirmLabel?: string;
}

// Worded through shared/l10n.ts: in the editor's language, in English for the CLI (which sets no bundle).
const stayLocal = (): string => t('Choose 127.0.0.1 or ::1 to keep it on this machine.');

/**
 * Reads a dotted IPv4 address the way the system resolver does (inet_aton): one to four parts,
 * each decimal, octal (leading 0) or hex (0x), the last part filling the remaining bytes. So `0`,
 * `0x0`, `00.0.0.0` and `127.1` are addresses, not names. Returns the 32-bit value or undefined.
 */
export function parseIPv4Loose(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]*$/.test(part)) value = parseInt(part, 8);
    else if (/^[1-9]\d*$/.test(part)) value = Number(part);
    else return undefined;
    values.push(value);
  }
  const last = values.pop() as number;
  if (values.some((v) => v > 255) || last >= 2 ** (8 * (4 - values.length))) return undefined;
  return values.reduce((acc, v, i) => acc + v * 2 ** (8 * (3 - i)), 0) + last;
}

/** The eight 16-bit groups of a valid IPv6 literal (an embedded IPv4 tail becomes two groups). */
export function ipv6Groups(text: string): number[] {
  let body = text;
  const lastColon = body.lastIndexOf(':');
  const last = body.slice(lastColon + 1);
  if (last.includes('.')) {
    const v = parseIPv4Loose(last) ?? 0;
    body = `${body.slice(0, lastColon + 1)}${(v >>> 16).toString(16)}:${(v & 0xffff).toString(16)}`;
  }
  const group = (g: string): number => parseInt(g, 16);
  // A valid literal has at most one `::`, standing for as many zero groups as are missing.
  const [left, right] = body.split('::');
  const head = left ? left.split(':').map(group) : [];
  if (right === undefined) return head;
  const rest = right ? right.split(':').map(group) : [];
  return [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
}

function scopeOfIPv4(value: number): BindScope {
  if (value === 0) return 'allInterfaces';
  return Math.floor(value / 2 ** 24) === 127 ? 'loopback' : 'address';
}

/** Which interfaces binding `host` reaches (the host as typed: brackets and a `%zone` are allowed). */
export function bindScope(host: string): BindScope {
  const bare = host.trim().replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  // No host: Node binds every interface.
  if (bare === '') return 'allInterfaces';
  const lower = bare.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost')) return 'loopback';
  if (isIPv6(bare)) {
    const g = ipv6Groups(lower);
    if (g.every((v) => v === 0)) return 'allInterfaces';
    if (g.slice(0, 7).every((v) => v === 0) && g[7] === 1) return 'loopback';
    // IPv4-mapped (::ffff:a.b.c.d): the IPv4 address decides.
    if (g.slice(0, 5).every((v) => v === 0) && g[5] === 0xffff) return scopeOfIPv4(g[6] * 65536 + g[7]);
    return 'address';
  }
  const v4 = isIPv4(bare) ? parseIPv4Loose(bare) : parseIPv4Loose(lower);
  if (v4 !== undefined) return scopeOfIPv4(v4);
  return 'name';
}

function where(host: string, port: number | undefined): string {
  const bare = unbracketHost(host.trim());
  const shown = bare === '' ? '*' : bare;
  return port === undefined ? shown : formatHostPort(shown, port);
}

/** Does listening on `host` expose the port, and if so, the question to ask (port 0 reads "a free port"). */
export function assessBindExposure(host: string, port?: number): BindExposure {
  const scope = bindScope(host);
  const portText = port === undefined ? t('the port') : port === 0 ? t('a free port') : t('port {0}', port);
  const at = where(host, port);
  switch (scope) {
    case 'loopback':
      return { exposed: false, scope };
    case 'allInterfaces':
      return {
        exposed: true,
        scope,
        sentence: t('Listening on {0} makes {1} reachable from other machines on your network.', at, portText),
        detail: stayLocal(),
        confirmLabel: t('Listen on All Interfaces'),
      };
    case 'address':
      return {
        exposed: true,
        scope,
        sentence: t("Listening on {0} makes {1} reachable from other machines on that address's network.", at, portText),
        detail: stayLocal(),
        confirmLabel: t('Listen on This Address'),
      };
    case 'name':
      return {
        exposed: true,
        scope,
        sentence: t("Listening on {0} binds whatever address '{1}' resolves to, which can make {2} reachable from other machines.", at, host.trim(), portText),
        detail: stayLocal(),
        confirmLabel: t('Listen Anyway'),
      };
  }
}

/**
 * For a run nobody can be asked in (the `tcp-lab-test` CLI): the sentence refusing a LISTEN on a host
 * other machines can reach, ending with `howToAllow`; undefined for loopback and for connects.
 */
export function unattendedListenRefusal(kind: 'listen' | 'connect', host: string, port: number, howToAllow: string): string | undefined {
  if (kind !== 'listen') return undefined;
  const exposure = assessBindExposure(host, port);
  return exposure.exposed ? `Not run: ${exposure.sentence} ${howToAllow}` : undefined;
}

/**
 * Does connecting to `host` leave this machine, and if so, the question to ask. The language-model
 * tools ask before an agent opens a socket to another machine, as the bind questions do for listening.
 */
export function assessConnectExposure(host: string, port: number): BindExposure {
  const scope = bindScope(host);
  if (scope === 'loopback') return { exposed: false, scope };
  const at = where(host, port);
  return {
    exposed: true,
    scope,
    sentence: scope === 'name'
      ? t("Connecting to {0} opens a socket to whatever address '{1}' resolves to, which can be another machine.", at, host.trim())
      : t('Connecting to {0} opens a socket to another machine.', at),
    detail: t('Use 127.0.0.1, ::1 or localhost to stay on this machine.'),
    confirmLabel: t('Connect'),
  };
}
