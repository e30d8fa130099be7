// What the preset commands decide without the editor: which open items a preset started (so its
// payloads go there first), which open items sit at a preset's address, whether a listener preset
// answers by itself, what Save as Preset records and proposes as a name.
import type { Connection } from '../core/connection';
import type { Listener } from '../core/listener';
import type { Registry, RegistryItem } from '../core/registry';
import { formatHostPort, type HostPort } from '../shared/hostPort';
import type { Preset } from '../shared/preset';
import type { TlsSetup } from '../core/tls';
import { isListener } from './targets';

/** What Save as Preset records about an open listener or connection, before the user names it. */
export type PresetBase = Pick<Preset, 'kind' | 'host' | 'port'>;

/** Registry ids started from each preset, newest first. */
export class PresetStarts {
  private readonly started = new Map<string, string[]>();

  constructor(private readonly registry: Registry) {}

  record(presetName: string, id: string): void {
    this.started.set(presetName, [id, ...this.live(presetName).map((item) => item.id)]);
  }

  /** The preset's items that are still open, newest first. */
  live(presetName: string): RegistryItem[] {
    return (this.started.get(presetName) ?? [])
      .map((id) => this.registry.getLive(id))
      .filter((item): item is RegistryItem => item !== undefined);
  }
}

/** Open outgoing connections to a client preset's host and port, or listeners on a listener preset's port. */
export function openAtPresetAddress(registry: Registry, preset: Preset): RegistryItem[] {
  const loopback = (address: string): boolean => address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
  const sameHost = (address: string): boolean => address === preset.host || (preset.host === 'localhost' && loopback(address));
  if (preset.kind === 'listener') return preset.port === 0 ? [] : registry.listeners().filter((l) => l.address?.port === preset.port);
  return registry.connections().filter((c) => c.role === 'client' && c.remote?.port === preset.port && sameHost(c.remote.address));
}

/** Whether a listener preset asks to answer peers by itself. */
export function hasMockBehaviour(preset: Preset): boolean {
  return preset.kind === 'listener' && (preset.framing !== undefined || preset.echo === true || (Array.isArray(preset.rules) && preset.rules.length > 0));
}

/**
 * A listener keeps the port actually bound, so clients of the saved preset find it again; a
 * connection keeps its target as typed when there is one.
 */
export function presetBaseOf(item: Listener | Connection, typed: HostPort | undefined): PresetBase {
  if (isListener(item)) return { kind: 'listener', host: item.host, port: item.address?.port ?? item.requestedPort };
  return { kind: 'client', host: typed?.host ?? item.remote?.address ?? '127.0.0.1', port: typed?.port ?? item.remote?.port ?? 0 };
}

/** `Listener 127.0.0.1:9000`, or with ` (2)`, ` (3)`… when that name is taken. */
export function suggestPresetName(base: PresetBase, existing: ReadonlySet<string>): string {
  const stem = `${base.kind === 'listener' ? 'Listener' : 'Client'} ${formatHostPort(base.host, base.port)}`;
  if (!existing.has(stem)) return stem;
  for (let n = 2; ; n++) if (!existing.has(`${stem} (${n})`)) return `${stem} (${n})`;
}

/**
 * The TLS setup a preset starts with, or undefined for plain TCP. Its file paths are read from
 * `baseDir` (the workspace folder, as the settings schema says); a TLS listener or proxy preset that
 * names no certificate serves the local CA's.
 */
export async function presetTlsSetup(preset: Preset, baseDir: string | undefined, listenerDefault: () => Promise<{ cert: string; key: string }>): Promise<TlsSetup | undefined> {
  if (!preset.tls) return undefined;
  const setup: TlsSetup = { ...preset.tls, ...(baseDir ? { baseDir } : {}) };
  // A proxy preset's TLS is its listening side, so it gets a listener's default certificate too.
  if (preset.kind !== 'client' && !setup.cert && !setup.pfx) Object.assign(setup, await listenerDefault());
  return setup;
}
