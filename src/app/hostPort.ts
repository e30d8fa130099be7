// Parsing and validation of what users type as a TCP address: `host:port`, `[::1]:9000` or a bare port.
// Kept free of the VS Code API so the same rules drive inline input validation and the unit tests.
import { isIP, isIPv6 } from 'node:net';
import { bindScope } from './exposurePolicy';

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

const MAX_PORT = 65535;
const MAX_HOST_NAME_LENGTH = 253;
// RFC 1123 labels; underscores are tolerated because real LAN device names use them.
const HOST_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/** Bracket IPv6 literals so `host:port` stays unambiguous, as URLs do. */
export function formatHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Hosts that bind every interface (any spelling: the exposure policy parses them). */
export function isAllInterfaces(host: string): boolean {
  return bindScope(host) === 'allInterfaces';
}

/** Returns a one-sentence problem with the port text, or undefined when it is a usable port. */
export function validatePortText(text: string, options: { allowZeroPort?: boolean } = {}): string | undefined {
  const trimmed = text.trim();
  const lowest = options.allowZeroPort ? 0 : 1;
  const range = `${lowest} to ${MAX_PORT}`;
  if (trimmed === '') {
    return options.allowZeroPort
      ? `Enter a port from ${range} (0 picks any free port).`
      : `Enter a port from ${range}.`;
  }
  if (!/^\d+$/.test(trimmed)) {
    return `Port "${trimmed}" is not a whole number; enter a port from ${range}.`;
  }
  const port = Number(trimmed);
  if (port > MAX_PORT || port < lowest) {
    return port === 0
      ? `Port 0 cannot be connected to; enter a port from ${range}.`
      : `Port ${trimmed} is out of range; enter a port from ${range}.`;
  }
  return undefined;
}

/** Returns a one-sentence problem with the host, or undefined for an IP literal or a plausible host name. */
export function validateHostText(host: string): string | undefined {
  if (host === '') return 'The host is empty; enter a name like localhost or an address like 127.0.0.1.';
  if (isIP(host) !== 0) return undefined;
  const looksNumeric = /^[\d.]+$/.test(host);
  const labels = host.replace(/\.$/, '').split('.');
  if (looksNumeric || host.length > MAX_HOST_NAME_LENGTH || !labels.every((label) => HOST_LABEL.test(label))) {
    return `Host "${host}" is not a valid host name or IP address; use a name like localhost, an address like 127.0.0.1, or [::1] for IPv6.`;
  }
  return undefined;
}

/** Parses `host:port`, `[ipv6]:port`, or a bare port (with `defaultHost`). */
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
    if (options.defaultHost === undefined) {
      return fail(`"${text}" has no host; enter host:port, for example 127.0.0.1:${text}.`);
    }
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
    if (colons > 1) {
      // An unbracketed IPv6 literal: the last group could be part of the address or the port.
      return fail(`"${text}" is ambiguous; put IPv6 addresses in brackets, for example [::1]:9000.`);
    }
    const colon = text.lastIndexOf(':');
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }

  const hostProblem = validateHostText(host);
  if (hostProblem) return fail(hostProblem);
  const portProblem = validatePortText(portText, options);
  if (portProblem) return fail(portProblem);
  return { ok: true, host, port: Number(portText) };
}

function fail(message: string): HostPortResult {
  return { ok: false, message };
}
