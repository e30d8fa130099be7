// Names and folders for capture files. Kept free of the VS Code API so the naming rules are unit-tested.
import { isAbsolute, join, normalize } from 'node:path';
import type { CaptureFormat } from '../core/captureFormats';
import type { Connection } from '../core/connection';
import type { Endpoint } from '../core/types';
import { isIPv4, isIPv6 } from '../shared/hostPort';

/**
 * `2026-11-27_07-05-09_C3_127.0.0.1-54321.jsonl` (or `.pcapng`): sortable by time, unique per connection
 * id within one session, and free of characters a file system might refuse (`:` of IPv6 and ports, `%` of scopes).
 */
export function captureFileName(connection: Connection, now: Date, format: CaptureFormat = 'jsonl'): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}_${pad(now.getHours())}-${pad(now.getMinutes())}-${pad(now.getSeconds())}`;
  const peer = connection.remote ? `${connection.remote.address}-${connection.remote.port}` : 'peer';
  return `${stamp}_${connection.id}_${peer.replace(/[^A-Za-z0-9.-]/g, '-')}.${format}`;
}

/** A workspace folder on the local file system, as the capture folder setting may name it. */
export interface LocalFolder {
  name: string;
  path: string;
}

/**
 * The capture folder setting resolved against the workspace: `${workspaceFolder}` is the first folder
 * and `${workspaceFolder:name}` the folder of that name, as in tasks and launch configurations; a
 * relative path starts at the first folder. `folder` is undefined when the setting is empty; `problem`
 * says, in one sentence, why a set value names no folder (so captures do not silently stop).
 */
export function resolveCaptureDirectory(setting: string, folders: readonly LocalFolder[]): { folder?: string; problem?: string } {
  const trimmed = setting.trim();
  if (!trimmed) return {};
  let missing: string | undefined;
  const expanded = trimmed.replace(/\$\{workspaceFolder(?::([^}]*))?\}/g, (_whole, name: string | undefined) => {
    const folder = name === undefined ? folders[0] : folders.find((f) => f.name === name.trim());
    if (!folder) {
      missing ??= name === undefined
        ? `tcpLab.capture.directory "${trimmed}" uses \${workspaceFolder}, but no local workspace folder is open; open a folder or give an absolute path.`
        : `tcpLab.capture.directory "${trimmed}" names the workspace folder "${name}", which is not open; use one of ${folders.map((f) => `"${f.name}"`).join(', ') || 'the open folders'} or an absolute path.`;
      return '';
    }
    return folder.path;
  });
  if (missing) return { problem: missing };
  if (/\$\{[^}]*\}/.test(expanded)) {
    return { problem: `tcpLab.capture.directory "${trimmed}" uses a variable TCP Lab does not know; only \${workspaceFolder} and \${workspaceFolder:name} are replaced.` };
  }
  if (isAbsolute(expanded)) return { folder: normalize(expanded) };
  if (folders.length === 0) {
    return { problem: `tcpLab.capture.directory "${trimmed}" is relative, but no local workspace folder is open to start it from; open a folder or give an absolute path.` };
  }
  return { folder: join(folders[0].path, expanded) };
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
