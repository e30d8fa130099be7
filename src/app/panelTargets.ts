// What TCP: Open Traffic Panel offers when no row was clicked: every live and recent listener and
// connection, most recent first, with its peers and byte counts, plus the forms for a new one.
// Plain data from a registry snapshot, so the order and wording are tested without VS Code.
import type { ConnectionInfo, ListenerInfo, RegistrySnapshot } from '../core/registry';
import type { Endpoint, TrafficTotals } from '../core/types';
import { describeCloseReason } from '../shared/closeReasons';
import { formatBytes } from '../shared/formatBytes';
import { formatEndpoint } from '../shared/hostPort';
import { t } from '../shared/l10n';

export interface PanelTargetPick {
  /** Undefined: the Listen/Connect forms. */
  targetId?: string;
  label: string;
  description: string;
  detail?: string;
  icon: string;
  live: boolean;
}

function endpointText(endpoint: Endpoint | undefined): string {
  return endpoint ? formatEndpoint(endpoint) : '?';
}

function connectionStateText(state: ConnectionInfo['state']): string {
  if (state === 'connecting') return t('connecting');
  if (state === 'halfClosed') return t('half-closed');
  return state === 'open' ? t('open') : t('closed');
}

function traffic(totals: TrafficTotals): string {
  return `↓${formatBytes(totals.bytesIn)} ↑${formatBytes(totals.bytesOut)}`;
}

function listenerPick(info: ListenerInfo, byId: ReadonlyMap<string, ConnectionInfo>): PanelTargetPick & { at: number } {
  const peers = info.connectionIds.map((id) => endpointText(byId.get(id)?.remote));
  const state = info.listening ? t('listening') : t('stopped');
  const clients = t('{0} open, {1} accepted', info.connectionIds.length, info.acceptedCount);
  return {
    targetId: info.id,
    label: `${info.id} ${t('listener {0}', endpointText(info.address))}`,
    description: `${state} · ${clients} · ${traffic(info.totals)}`,
    ...(peers.length ? { detail: peers.length > 5 ? t('peers: {0} and {1} more', peers.slice(0, 5).join(', '), peers.length - 5) : t('peers: {0}', peers.join(', ')) } : {}),
    icon: info.listening ? 'radio-tower' : 'circle-slash',
    live: info.listening,
    at: info.stoppedAt ?? Math.max(info.startedAt, ...info.connectionIds.map((id) => byId.get(id)?.openedAt ?? 0)),
  };
}

function connectionPick(info: ConnectionInfo): PanelTargetPick & { at: number } {
  const live = info.state !== 'closed';
  const role = info.role === 'client' ? t('outgoing') : info.listenerId ? t('client of {0}', info.listenerId) : t('client of a listener');
  const state = live ? connectionStateText(info.state) : describeCloseReason(info.closeReason);
  return {
    targetId: info.id,
    label: `${info.id} ${endpointText(info.remote)}`,
    description: `${role} · ${state} · ${traffic(info.totals)}`,
    icon: live ? 'plug' : 'debug-disconnect',
    live,
    at: info.closedAt ?? info.openedAt,
  };
}

/** Live targets first, then recent ones; newest first within each; the forms last. */
export function panelTargetPicks(snapshot: RegistrySnapshot): PanelTargetPick[] {
  const byId = new Map(snapshot.connections.map((c) => [c.id, c]));
  const picks = [...snapshot.listeners.map((l) => listenerPick(l, byId)), ...snapshot.connections.map(connectionPick)];
  picks.sort((a, b) => Number(b.live) - Number(a.live) || b.at - a.at);
  const forms: PanelTargetPick = { label: t('New listener or connection…'), description: t('the Listen and Connect forms'), icon: 'add', live: false };
  return [...picks.map(({ at: _at, ...pick }) => pick), forms];
}
