// Small helpers for telling the registry's two kinds of item apart and naming them for people.
import type { Connection } from '../core/connection';
import type { Listener } from '../core/listener';
import type { Registry, RegistryItem } from '../core/registry';
import { formatEndpoint, formatHostPort } from '../shared/hostPort';
import { t } from '../shared/l10n';

export function isListener(item: RegistryItem): item is Listener {
  return 'broadcast' in item;
}

export function isConnection(item: RegistryItem): item is Connection {
  return !isListener(item);
}

/** `127.0.0.1:54321` for a listener's bound address (or what was asked for, before it is bound). */
export function listenerAddress(listener: Listener): string {
  return listener.address ? formatEndpoint(listener.address) : formatHostPort(listener.host, listener.requestedPort);
}

/** The peer's `address:port`, which is what identifies a connection to people. */
export function connectionPeer(connection: Connection): string {
  return connection.remote ? formatEndpoint(connection.remote) : connection.id;
}

/** In English: for the log and the language-model tools' results (`describeItemForUser` for sentences the user reads). */
export function describeItem(item: RegistryItem): string {
  if (isListener(item)) return `listener ${listenerAddress(item)}`;
  return item.role === 'client' ? `connection to ${connectionPeer(item)}` : `client ${connectionPeer(item)}`;
}

/** `describeItem` in the editor's language (shared/l10n.ts), for notifications and input titles. */
export function describeItemForUser(item: RegistryItem): string {
  if (isListener(item)) return t('listener {0}', listenerAddress(item));
  return item.role === 'client' ? t('connection to {0}', connectionPeer(item)) : t('client {0}', connectionPeer(item));
}

/** The one listener or connection open, when there is exactly one: then a command need not ask. */
export function soleItem(registry: Registry): RegistryItem | undefined {
  const candidates = [...registry.connections(), ...registry.listeners()];
  return candidates.length === 1 ? candidates[0] : undefined;
}
