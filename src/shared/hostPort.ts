// The one definition of a TCP address as people type and read it: `host:port`, `[::1]:9000`, a bare
// port. Shared so the webview's forms, the host's input boxes, the engine's checks and `.tcp` files
// accept the same text and print IPv6 with brackets everywhere. No Node imports: it runs in the webview.

export const MAX_PORT = 65535;
const MAX_HOST_NAME_LENGTH = 253;
// RFC 1123 labels; underscores are tolerated because real LAN device names use them.
const HOST_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;
const IPV4_PART = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6_GROUP = /^[0-9A-Fa-f]{1,4}$/;
// A zone index (`fe80::1%eth0`), as node:net accepts it.
const IPV6_ZONE = /^%[0-9A-Za-z_.~-]+$/;

export interface HostPort {
  host: string;
  port: number;
}

export type HostPortResult = ({ ok: true } & HostPort) | { ok: false; message: string };

export interface HostPortOptions {
  /** Used when the input is a bare port; without it a bare port is rejected with a hint. */
  defaultHost?: string;
  /** Port 0 means "any free port" for a listener but cannot be connected to. */
  allowZeroPort?: boolean;
}

/** A dotted-quad IPv4 literal (no leading zeros, as node:net's isIPv4). */
export function isIPv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((part) => IPV4_PART.test(part));
}

/** An IPv6 literal without brackets, optionally with an embedded IPv4 tail or a zone index. */
export function isIPv6(text: string): boolean {
  const percent = text.indexOf('%');
  const address = percent === -1 ? text : text.slice(0, percent);
  if (percent !== -1 && !IPV6_ZONE.test(text.slice(percent))) return false;
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')));
  const all = groups.flat();
  if (all.length === 0) return halves.length === 2;
  // An IPv4 tail counts as two groups and may only come last (after any `::`).
  const lastHalf = groups[groups.length - 1];
  const last = all[all.length - 1];
  const v4Tail = lastHalf.length > 0 && last.includes('.');
  if (v4Tail && !isIPv4(last)) return false;
  const hexGroups = v4Tail ? all.slice(0, -1) : all;
  if (!hexGroups.every((group) => IPV6_GROUP.test(group))) return false;
  const width = hexGroups.length + (v4Tail ? 2 : 0);
  return halves.length === 2 ? width <= 7 : width === 8;
}

/** 4 or 6 for an IP literal, 0 otherwise (the contract of node:net's isIP). */
export function ipVersion(text: string): 0 | 4 | 6 {
  if (isIPv4(text)) return 4;
  return isIPv6(text) ? 6 : 0;
}

/** A plausible DNS name: RFC 1123 labels, an optional root dot, not all digits and dots. */
export function isHostName(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name === '' || name.length > MAX_HOST_NAME_LENGTH || /^[\d.]+$/.test(name)) return false;
  return name.split('.').every((label) => HOST_LABEL.test(label));
}

/** Bracket IPv6 literals so `host:port` stays unambiguous, as URLs do. */
export function formatHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A bound or peer address as `address:port`, IPv6 in brackets. */
export function formatEndpoint(endpoint: { address: string; port: number; family?: string }): string {
  const v6 = endpoint.family === 'IPv6' || isIPv6(endpoint.address);
  return v6 ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`;
}

/** True for an integer port in range (0 only when `allowZeroPort`). */
export function isPortNumber(value: unknown, options: { allowZeroPort?: boolean } = {}): value is number {
  const lowest = options.allowZeroPort ? 0 : 1;
  return typeof value === 'number' && Number.isInteger(value) && value >= lowest && value <= MAX_PORT;
}

/** Returns a one-sentence problem with a port number, or undefined when it is usable. */
export function validatePortNumber(value: unknown, options: { allowZeroPort?: boolean } = {}): string | undefined {
  if (isPortNumber(value, options)) return undefined;
  const range = `${options.allowZeroPort ? 0 : 1} to ${MAX_PORT}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) return `Port ${String(value)} is not a whole number; enter a port from ${range}.`;
  return value === 0
    ? `Port 0 cannot be connected to; enter a port from ${range}.`
    : `Port ${value} is out of range; enter a port from ${range}.`;
}

/** Returns a one-sentence problem with the port text, or undefined when it is a usable port. */
export function validatePortText(text: string, options: { allowZeroPort?: boolean } = {}): string | undefined {
  const trimmed = text.trim();
  const range = `${options.allowZeroPort ? 0 : 1} to ${MAX_PORT}`;
  if (trimmed === '') {
    return options.allowZeroPort ? `Enter a port from ${range} (0 picks any free port).` : `Enter a port from ${range}.`;
  }
  if (!/^\d+$/.test(trimmed)) return `Port "${trimmed}" is not a whole number; enter a port from ${range}.`;
  return validatePortNumber(Number(trimmed), options);
}

/** Returns a one-sentence problem with the host, or undefined for an IP literal or a plausible host name. */
export function validateHostText(host: string): string | undefined {
  if (host === '') return 'The host is empty; enter a name like localhost or an address like 127.0.0.1.';
  if (ipVersion(host) !== 0 || isHostName(host)) return undefined;
  return `Host "${host}" is not a valid host name or IP address; use a name like localhost, an address like 127.0.0.1, or [::1] for IPv6.`;
}

/** The host part without IPv6 brackets (`[::1]` → `::1`); other text is returned as it is. */
export function unbracketHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * Splits `host:port` or `[ipv6]:port` by syntax alone (the port must be digits); undefined when the
 * text has no such shape. Callers that need a valid host and port go through parseHostPort.
 */
export function splitHostPort(text: string): { host: string; portText: string } | undefined {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (bracketed) return { host: bracketed[1], portText: bracketed[2] };
  const plain = /^([^:\s[\]]+):(\d+)$/.exec(text);
  return plain ? { host: plain[1], portText: plain[2] } : undefined;
}

/** Parses `host:port`, `[ipv6]:port`, or a bare port (with `defaultHost`), explaining any problem. */
export function parseHostPort(input: string, options: HostPortOptions = {}): HostPortResult {
  const text = input.trim();
  const example = options.allowZeroPort ? '127.0.0.1:0' : '127.0.0.1:9000';
  if (text === '') {
    return fail(options.defaultHost !== undefined
      ? `Enter a port, or host:port such as ${example}.`
      : `Enter host:port, for example ${example} or [::1]:9000.`);
  }

  let host: string;
  let portText: string;
  if (/^\d+$/.test(text)) {
    if (options.defaultHost === undefined) return fail(`"${text}" has no host; enter host:port, for example 127.0.0.1:${text}.`);
    host = options.defaultHost;
    portText = text;
  } else if (text.startsWith('[')) {
    const match = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
    if (!match) return fail(`"${text}" is not host:port; write IPv6 addresses as [::1]:9000.`);
    host = match[1];
    if (!isIPv6(host)) return fail(`"${host}" inside the brackets is not an IPv6 address; write IPv6 targets as [::1]:9000.`);
    if (match[2] === undefined) return fail(`"${text}" has no port; add one after the bracket, for example [${host}]:9000.`);
    portText = match[2];
  } else {
    const colons = text.split(':').length - 1;
    if (colons === 0) return fail(`"${text}" has no port; enter host:port, for example ${text}:9000.`);
    // An unbracketed IPv6 literal: the last group could be part of the address or the port.
    if (colons > 1) return fail(`"${text}" is ambiguous; put IPv6 addresses in brackets, for example [::1]:9000.`);
    const colon = text.lastIndexOf(':');
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }

  const problem = validateHostText(host) ?? validatePortText(portText, options);
  return problem ? fail(problem) : { ok: true, host, port: Number(portText) };
}

function fail(message: string): HostPortResult {
  return { ok: false, message };
}

/** A target as typed: `host:port`, optionally behind `tls://` (or an explicit `tcp://`). */
export type TargetResult = ({ ok: true; tls: boolean } & HostPort) | { ok: false; message: string };

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/** True when the text starts with `tls://` (any case), so a form can show its TLS fields. */
export function hasTlsScheme(input: string): boolean {
  return /^tls:\/\//i.test(input.trim());
}

/**
 * Parses a connection or listener target: what parseHostPort accepts, optionally prefixed with
 * `tls://` (TLS) or `tcp://` (plain, the default). Other schemes are refused with a hint.
 */
export function parseTarget(input: string, options: HostPortOptions = {}): TargetResult {
  const text = input.trim();
  const scheme = SCHEME.exec(text);
  if (!scheme) return withTls(parseHostPort(text, options));
  const name = scheme[1].toLowerCase();
  if (name !== 'tls' && name !== 'tcp') {
    return { ok: false, message: `"${scheme[1]}://" is not a TCP Lab target scheme; write host:port for plain TCP or tls://host:port for TLS.` };
  }
  const rest = text.slice(scheme[0].length).replace(/\/$/, '');
  return withTls(parseHostPort(rest, options), name === 'tls');
}

function withTls(result: HostPortResult, tls = false): TargetResult {
  return result.ok ? { ...result, tls } : result;
}

/** `tls://host:port` for a TLS target, `host:port` otherwise. */
export function formatTarget(host: string, port: number, tls: boolean): string {
  return `${tls ? 'tls://' : ''}${formatHostPort(host, port)}`;
}
