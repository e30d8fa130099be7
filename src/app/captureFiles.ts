// Names and folders for capture files. Kept free of the VS Code API so the naming rules are unit-tested.
import { isAbsolute, join } from 'node:path';
import type { Connection } from '../core/connection';

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
