// The Connections tree as plain data, projected from a registry snapshot and the presets. No VS Code
// types here, so the unit tests can check exactly what the tree will show for real sockets.
import type { ConnectionInfo, ListenerInfo, RegistrySnapshot } from '../core/registry';
import type { ConnectionState, Endpoint } from '../core/types';
import type { Preset, PresetPayload } from '../shared/preset';
import { formatHostPort } from './hostPort';

export type TreeNodeKind = 'group' | 'listener' | 'connection' | 'client' | 'preset' | 'presetPayload';

/** Menus in package.json match on these values; they are part of the extension's public face. */
export type TreeContextValue =
  | 'listenersGroup' | 'clientsGroup' | 'presetsGroup'
  | 'listener' | 'connection' | 'client' | 'preset' | 'presetPayload';

export interface TreeNode {
  /** Stable across refreshes, so VS Code keeps expansion and selection. */
  id: string;
  kind: TreeNodeKind;
  contextValue: TreeContextValue;
  label: string;
  description?: string;
  tooltip: string;
  /** A codicon id and an optional theme colour id. */
  icon?: string;
  color?: string;
  collapsible: 'none' | 'collapsed' | 'expanded';
  children: TreeNode[];
  parentId?: string;
  /** The registry id (`L1`, `C3`) for listener, connection and client nodes. */
  targetId?: string;
  /** The preset's name for preset and presetPayload nodes. */
  presetName?: string;
  payloadIndex?: number;
}

export interface TreeModel {
  roots: TreeNode[];
  byId: ReadonlyMap<string, TreeNode>;
}

/** Where a preset came from, and whether Restricted Mode demands a confirmation before it starts anything. */
export interface PresetEntry {
  preset: Preset;
  origin: 'user' | 'workspace' | 'workspaceFolder';
  restricted: boolean;
}

export const GROUP_IDS = { listeners: 'group:listeners', clients: 'group:clients', presets: 'group:presets' } as const;

export function projectTree(snapshot: RegistrySnapshot, presets: readonly PresetEntry[], now: number): TreeModel {
  const connectionsById = new Map(snapshot.connections.map((c) => [c.id, c]));
  const clients = snapshot.connections.filter((c) => c.role === 'client');
  const roots: TreeNode[] = [];

  // An empty root lets VS Code show the welcome view with its Start Listener / Connect… buttons.
  if (snapshot.listeners.length === 0 && clients.length === 0 && presets.length === 0) {
    return { roots, byId: new Map() };
  }

  const listenerNodes = snapshot.listeners.map((info) => listenerNode(info, connectionsById, now));
  roots.push(groupNode(GROUP_IDS.listeners, 'listenersGroup', 'Listeners', listenerNodes, countLabel(listenerNodes.length, 'listener')));
  const clientNodes = clients.map((info) => connectionNode(info, 'client', now));
  roots.push(groupNode(GROUP_IDS.clients, 'clientsGroup', 'Clients', clientNodes, countLabel(clientNodes.length, 'connection')));
  if (presets.length > 0) {
    const presetNodes = presets.map(presetNode);
    roots.push(groupNode(GROUP_IDS.presets, 'presetsGroup', 'Presets', presetNodes, countLabel(presetNodes.length, 'preset')));
  }

  const byId = new Map<string, TreeNode>();
  const index = (node: TreeNode, parentId?: string): void => {
    node.parentId = parentId;
    byId.set(node.id, node);
    for (const child of node.children) index(child, node.id);
  };
  for (const root of roots) index(root);
  return { roots, byId };
}

function groupNode(id: string, contextValue: TreeContextValue, label: string, children: TreeNode[], description: string): TreeNode {
  return { id, kind: 'group', contextValue, label, description, tooltip: `${label}: ${description}`, collapsible: 'expanded', children };
}

function listenerNode(info: ListenerInfo, connectionsById: ReadonlyMap<string, ConnectionInfo>, now: number): TreeNode {
  const accepted = info.connectionIds
    .map((id) => connectionsById.get(id))
    .filter((c): c is ConnectionInfo => c !== undefined);
  const label = info.address ? formatEndpoint(info.address) : formatHostPort(info.host, info.requestedPort);
  const state = info.listening ? 'listening' : 'stopped';
  const clients = accepted.length === 0 ? 'no clients' : countLabel(accepted.length, 'client');
  return {
    // VS Code remembers a node's collapse state by id, and a node created without children stays
    // collapsed once they arrive. A distinct id for "has clients" lets the first client show up expanded.
    id: accepted.length > 0 ? `listener:${info.id}:clients` : `listener:${info.id}`,
    kind: 'listener',
    contextValue: 'listener',
    label,
    description: `${state} · ${clients}`,
    tooltip: [`Listener ${info.id} on ${label}`, `${capitalize(state)} for ${formatAge(now - info.startedAt)}`, capitalize(clients)].join('\n'),
    icon: info.listening ? 'radio-tower' : 'circle-slash',
    color: info.listening ? 'charts.green' : 'disabledForeground',
    collapsible: accepted.length > 0 ? 'expanded' : 'none',
    children: accepted.map((c) => connectionNode(c, 'connection', now)),
    targetId: info.id,
  };
}

function connectionNode(info: ConnectionInfo, kind: 'connection' | 'client', now: number): TreeNode {
  const label = info.remote ? formatEndpoint(info.remote) : '(not connected)';
  const traffic = `↓${formatBytes(info.totals.bytesIn)} ↑${formatBytes(info.totals.bytesOut)}`;
  const age = formatAge((info.closedAt ?? now) - info.openedAt);
  // Accepted connections are usually open, so their state is only spelled out when it is not; their age says more.
  const description = kind === 'connection'
    ? `${info.state === 'open' ? '' : `${STATE_LABELS[info.state]} · `}${traffic} · ${age}`
    : `${STATE_LABELS[info.state]} · ${traffic}`;
  const { icon, color } = STATE_ICONS[info.state];
  const tooltip = [
    `${kind === 'client' ? 'Client connection' : 'Accepted connection'} ${info.id}: ${info.local ? formatEndpoint(info.local) : '?'} → ${label}`,
    `State: ${STATE_LABELS[info.state]}${info.closeReason ? ` (${info.closeReason})` : ''}, open for ${age}`,
    `Received ${info.totals.bytesIn} bytes in ${info.totals.messagesIn} chunks; sent ${info.totals.bytesOut} bytes in ${info.totals.messagesOut} writes`,
  ];
  if (info.queuedBytes > 0) tooltip.push(`${info.queuedBytes} bytes waiting to be written`);
  return {
    id: `${kind}:${info.id}`,
    kind,
    contextValue: kind,
    label,
    description,
    tooltip: tooltip.join('\n'),
    icon,
    color,
    collapsible: 'none',
    children: [],
    targetId: info.id,
  };
}

function presetNode(entry: PresetEntry): TreeNode {
  const { preset } = entry;
  const payloads = preset.payloads ?? [];
  const where = formatHostPort(preset.host, preset.port);
  const origin = entry.origin === 'user' ? 'user settings' : 'workspace settings';
  const description = `${preset.kind} ${where}${entry.restricted ? ' · Restricted Mode' : ''}`;
  const tooltip = [`Preset "${preset.name}" from ${origin}: ${preset.kind === 'listener' ? 'listen on' : 'connect to'} ${where}`];
  if (entry.restricted) tooltip.push('This workspace is not trusted: starting it asks for confirmation first.');
  const node: TreeNode = {
    id: `preset:${preset.name}`,
    kind: 'preset',
    contextValue: 'preset',
    label: preset.name,
    description,
    tooltip: tooltip.join('\n'),
    icon: entry.restricted ? 'shield' : preset.kind === 'listener' ? 'radio-tower' : 'plug',
    color: entry.restricted ? 'list.warningForeground' : undefined,
    collapsible: payloads.length > 0 ? 'collapsed' : 'none',
    children: [],
    presetName: preset.name,
  };
  node.children = payloads.map((payload, i) => payloadNode(preset, payload, i));
  return node;
}

function payloadNode(preset: Preset, payload: PresetPayload, index: number): TreeNode {
  const preview = payload.data.length > 200 ? `${payload.data.slice(0, 200)}…` : payload.data;
  return {
    id: `presetPayload:${preset.name}:${index}`,
    kind: 'presetPayload',
    contextValue: 'presetPayload',
    label: payload.name,
    description: payload.format,
    tooltip: `${payload.format} payload of preset "${preset.name}":\n${preview}`,
    icon: PAYLOAD_ICONS[payload.format],
    collapsible: 'none',
    children: [],
    presetName: preset.name,
    payloadIndex: index,
  };
}

const STATE_LABELS: Record<ConnectionState, string> = {
  connecting: 'connecting',
  open: 'open',
  halfClosed: 'half-closed',
  closed: 'closed',
};

const STATE_ICONS: Record<ConnectionState, { icon: string; color: string }> = {
  connecting: { icon: 'loading~spin', color: 'charts.yellow' },
  open: { icon: 'plug', color: 'charts.green' },
  halfClosed: { icon: 'debug-pause', color: 'charts.orange' },
  closed: { icon: 'debug-disconnect', color: 'disabledForeground' },
};

const PAYLOAD_ICONS: Record<PresetPayload['format'], string> = {
  text: 'symbol-text',
  hex: 'file-binary',
  base64: 'symbol-key',
};

export function formatEndpoint(endpoint: Endpoint): string {
  return endpoint.family === 'IPv6' ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`;
}

/** Exact below 1 KiB so small test exchanges read as the byte counts people expect. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

function countLabel(count: number, noun: string): string {
  if (count === 0) return 'none';
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
