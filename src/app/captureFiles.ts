// Names and folders for capture files. Kept free of the VS Code API so the naming rules are unit-tested.
import { isAbsolute, join } from 'node:path';
import type { Connection } from '../core/connection';
import type { Endpoint } from '../core/types';
import { isIPv4, isIPv6 } from '../shared/hostPort';

/**
 * `2026-11-27_07-05-09_C3_127.0.0.1-54321.jsonl`: sortable by time, unique per connection id within
 * one session, and free of characters a file system might refuse (`:` of IPv6 and ports, `%` of scopes).
 */
export function captureFileName(connection: Connection, now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}_${pad(now.getHours())}-${pad(now.getMinutes())}-${pad(now.getSeconds())}`;
  const peer = connection.remote ? `${connection.remote.address}-${connection.remote.port}` : 'peer';
  return `${stamp}_${connection.id}_${peer.replace(/[^A-Za-z0-9.-]/g, '-')}.jsonl`;
}

/** The capture folder setting resolved against the workspace folder; undefined when unset or unresolvable. */
export function resolveCaptureDirectory(setting: string, workspaceFolder: string | undefined): string | undefined {
  const trimmed = setting.trim();
  if (!trimmed) return undefined;
  if (isAbsolute(trimmed)) return trimmed;
  return workspaceFolder === undefined ? undefined : join(workspaceFolder, trimmed);
}

/** What a capture file's name (see captureFileName) says: when it started, whose it was, and the peer when the name keeps it whole. */
export interface CaptureFileNameInfo {
  /** Local time the capture started, to the second. */
  started: Date;
  connectionId: string;
  remote?: Endpoint;
}

/**
 * Reads a name captureFileName wrote. IPv6 colons became dashes there, so an address is taken back
 * only when putting the colons back yields a valid IPv6 literal (a zone index cannot be recovered).
 */
export function parseCaptureFileName(name: string): CaptureFileNameInfo | undefined {
  const match = /^(\d{4})-(\d\d)-(\d\d)_(\d\d)-(\d\d)-(\d\d)_(C\d+)_(.+)-(\d{1,5})\.jsonl$/.exec(name);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, connectionId, addressText, portText] = match;
  const started = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const port = Number(portText);
  const info: CaptureFileNameInfo = { started, connectionId };
  if (port < 1 || port > 65535) return info;
  if (isIPv4(addressText)) info.remote = { address: addressText, family: 'IPv4', port };
  else if (isIPv6(addressText.replace(/-/g, ':'))) info.remote = { address: addressText.replace(/-/g, ':'), family: 'IPv6', port };
  return info;
}
