// The Connections tree as plain data, projected from a registry snapshot and the presets. No VS Code
// types here, so the unit tests can check exactly what the tree will show for real sockets.
import type { ConnectionInfo, ListenerInfo, RegistrySnapshot } from '../core/registry';
import { describeTlsLines } from '../shared/tls';
import type { ConnectionState } from '../core/types';
import type { Preset, PresetPayload } from '../shared/preset';
import { describeCloseReason } from '../shared/closeReasons';
import { describeReadHolds } from '../shared/readHolds';
import { formatBytes } from '../shared/formatBytes';
import { formatEndpoint, formatHostPort } from '../shared/hostPort';
import { t } from '../shared/l10n';

export type TreeNodeKind = 'group' | 'listener' | 'connection' | 'client' | 'proxy' | 'proxyPair' | 'preset' | 'presetPayload' | 'placeholder';

/**
 * Menus in package.json match on these values; they are part of the extension's public face.
 * Closed connections and stopped listeners stay in the tree from the history: `closedConnection`
 * (accepted), `closedClient` (outgoing, can reconnect), `stoppedListener`.
 */
export type TreeContextValue =
  | 'listenersGroup' | 'clientsGroup' | 'proxiesGroup' | 'presetsGroup'
  | 'listener' | 'connection' | 'client' | 'preset' | 'presetPayload'
  | 'closedConnection' | 'closedClient' | 'stoppedListener' | 'placeholder' | 'brokenPreset'
  | 'proxy' | 'stoppedProxy' | 'proxyPair' | 'closedProxyPair';

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
  /** Every node by id; updateInPlace keeps it current as rows come and go. */
  byId: Map<string, TreeNode>;
}

/** Where a preset came from, and whether Restricted Mode demands a confirmation before it starts anything. */
export interface PresetEntry {
  preset: Preset;
  origin: 'user' | 'workspace' | 'workspaceFolder';
  restricted: boolean;
}

/** A preset entry the settings hold but that cannot be used: shown with its reason, never dropped silently. */
export interface BrokenPresetEntry {
  /** The entry's name, or "Entry N" when it has none. */
  name: string;
  origin: PresetEntry['origin'];
  /** Position in that scope's list. */
  index: number;
  /** The one sentence saying what is wrong and what to do. */
  reason: string;
}

/** What the tree shows beyond the registry and the valid presets. */
export interface TreeExtras {
  /** Registry id → the name of the preset that started it. */
  presetNames?: ReadonlyMap<string, string>;
  brokenPresets?: readonly BrokenPresetEntry[];
}

export const GROUP_IDS = { listeners: 'group:listeners', clients: 'group:clients', proxies: 'group:proxies', presets: 'group:presets' } as const;

export function projectTree(snapshot: RegistrySnapshot, presets: readonly PresetEntry[], now: number, extras: TreeExtras = {}): TreeModel {
  const broken = extras.brokenPresets ?? [];
  const connectionsById = new Map(snapshot.connections.map((c) => [c.id, c]));
  const clients = snapshot.connections.filter((c) => c.role === 'client' || (c.listenerId !== undefined && !snapshot.listeners.some((l) => l.id === c.listenerId)));
  const roots: TreeNode[] = [];

  // An empty root lets VS Code show the welcome view with its Start Listener / Connect… buttons.
  if (snapshot.listeners.length === 0 && clients.length === 0 && presets.length === 0 && broken.length === 0) {
    return { roots, byId: new Map() };
  }

  const named = (node: TreeNode): TreeNode => withPresetName(node, node.targetId ? extras.presetNames?.get(node.targetId) : undefined);
  // A proxy's listening socket and its pairs are registry items too, but they read as one thing: a proxy.
  const plainListeners = snapshot.listeners.filter((l) => l.proxy === undefined);
  const proxies = snapshot.listeners.filter((l) => l.proxy !== undefined);
  const listenerNodes = plainListeners.map((info) => named(listenerNode(info, connectionsById, now)));
  const listening = plainListeners.filter((l) => l.listening).length;
  roots.push(groupNode(GROUP_IDS.listeners, 'listenersGroup', t('Listeners'), listenerNodes, withRecent(countLabel(listening, t('1 listener'), t('{0} listeners', listening)), listenerNodes.length - listening)));
  const clientNodes = clients.map((info) => named(connectionNode(info, 'client', now)));
  const openClients = clients.filter((c) => c.state !== 'closed').length;
  roots.push(groupNode(GROUP_IDS.clients, 'clientsGroup', t('Clients'), clientNodes, withRecent(countLabel(openClients, t('1 connection'), t('{0} connections', openClients)), clientNodes.length - openClients)));
  if (proxies.length > 0) {
    const proxyNodes = proxies.map((info) => named(proxyNode(info, connectionsById, now)));
    const running = proxies.filter((p) => p.listening).length;
    roots.push(groupNode(GROUP_IDS.proxies, 'proxiesGroup', t('Proxies'), proxyNodes, withRecent(countLabel(running, t('1 proxy'), t('{0} proxies', running)), proxies.length - running)));
  }
  if (presets.length > 0 || broken.length > 0) {
    const presetNodes = [...presets.map(presetNode), ...broken.map(brokenPresetNode)];
    const count = countLabel(presets.length, t('1 preset'), t('{0} presets', presets.length));
    const description = broken.length ? `${count} · ${t('{0} with problems', broken.length)}` : count;
    roots.push(groupNode(GROUP_IDS.presets, 'presetsGroup', t('Presets'), presetNodes, description));
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
  return { id, kind: 'group', contextValue, label, description, tooltip: t('{0}: {1}', label, description), collapsible: 'expanded', children };
}

function listenerNode(info: ListenerInfo, connectionsById: ReadonlyMap<string, ConnectionInfo>, now: number): TreeNode {
  const known = (ids: string[]): ConnectionInfo[] => ids.map((id) => connectionsById.get(id)).filter((c): c is ConnectionInfo => c !== undefined);
  const open = known(info.connectionIds);
  // Newest closed first: the client that just left is the one a person looks for.
  const closed = known(info.closedConnectionIds).reverse();
  const label = info.address ? formatEndpoint(info.address) : formatHostPort(info.host, info.requestedPort);
  const state = info.listening ? t('listening') : t('stopped {0} ago', formatAge(now - (info.stoppedAt ?? now)));
  const clients = open.length === 0 ? t('no clients') : countLabel(open.length, t('1 client'), t('{0} clients', open.length));
  const description = `${state} · ${clients}${closed.length ? ` · ${t('{0} closed', closed.length)}` : ''}`;
  const children = [...open, ...closed].map((c) => connectionNode(c, 'connection', now));
  if (children.length === 0 && info.listening) children.push(placeholderNode(`placeholder:${info.id}`, t('waiting for clients…'), t('Connect a client to {0}; it shows up here.', label)));
  return {
    // One id for the listener's whole life, so an inline action clicked while traffic refreshes the
    // row still reaches it; it always has a child (a placeholder while empty), so it starts expanded.
    id: `listener:${info.id}`,
    kind: 'listener',
    contextValue: info.listening ? 'listener' : 'stoppedListener',
    label,
    description,
    tooltip: [
      t('Listener {0} on {1}', info.id, label),
      info.listening ? t('Listening for {0}', formatAge(now - info.startedAt)) : t('Stopped after {0}', formatAge((info.stoppedAt ?? now) - info.startedAt)),
      t('{0}; {1} accepted in all', capitalize(clients), countLabel(info.acceptedCount, t('1 client'), t('{0} clients', info.acceptedCount))),
      t("Received {0} bytes in {1} chunks; sent {2} bytes in {3} writes (all clients, over the listener's life)", info.totals.bytesIn, info.totals.messagesIn, info.totals.bytesOut, info.totals.messagesOut),
    ].join('\n'),
    icon: info.listening ? 'radio-tower' : 'circle-slash',
    color: info.listening ? 'charts.green' : 'disabledForeground',
    collapsible: children.length > 0 ? 'expanded' : 'none',
    children,
    targetId: info.id,
  };
}

/** A proxy: where it listens → its upstream, its open pairs first, then the recent ones. */
function proxyNode(info: ListenerInfo, connectionsById: ReadonlyMap<string, ConnectionInfo>, now: number): TreeNode {
  const proxy = info.proxy!;
  const known = (ids: string[]): ConnectionInfo[] => ids.map((id) => connectionsById.get(id)).filter((c): c is ConnectionInfo => c !== undefined);
  const open = known(info.connectionIds);
  const closed = known(info.closedConnectionIds).reverse();
  const bound = info.address ? formatEndpoint(info.address) : formatHostPort(info.host, info.requestedPort);
  const state = info.listening ? '' : proxy.enabled ? `${t('stopped {0} ago', formatAge(now - (info.stoppedAt ?? now)))} · ` : `${t('disabled')} · `;
  const pairs = open.length === 0 ? t('no pairs') : countLabel(open.length, t('1 pair'), t('{0} pairs', open.length));
  const faults = proxy.toxics.length ? ` · ⚡ ${countLabel(proxy.toxics.length, t('1 fault'), t('{0} faults', proxy.toxics.length))}` : '';
  const description = `${state}${bound} → ${proxy.upstream} · ${pairs}${closed.length ? ` · ${t('{0} closed', closed.length)}` : ''}${faults}`;
  const children = [...open, ...closed].map((c) => proxyPairNode(c, proxy.upstream, now));
  if (children.length === 0 && info.listening) children.push(placeholderNode(`placeholder:${info.id}`, t('waiting for clients…'), t('Point your client at {0}; TCP Lab relays it to {1} and shows both directions.', bound, proxy.upstream)));
  const tooltip = [
    t('Proxy "{0}" ({1}): listens on {2}, relays each client to {3}', proxy.name, info.id, bound, proxy.upstream),
    info.listening ? t('Running for {0}', formatAge(now - info.startedAt)) : t('Stopped after {0}', formatAge((info.stoppedAt ?? now) - info.startedAt)),
    t('{0}; {1} relayed in all', capitalize(pairs), countLabel(info.acceptedCount, t('1 client'), t('{0} clients', info.acceptedCount))),
    t('Client → upstream {0} bytes; upstream → client {1} bytes (all pairs)', info.totals.bytesIn, info.totals.bytesOut),
    ...(proxy.toxics.length ? [t('Faults:'), ...proxy.toxics.map((t) => `  ${t.name}: ${t.type} on ${t.stream}${t.toxicity < 1 ? `, toxicity ${t.toxicity}` : ''}${t.when ? `, frames that ${t.when.match} ${JSON.stringify(t.when.pattern)}` : ''}`)] : [t('No faults: bytes are relayed as they come')]),
  ];
  return {
    id: `proxy:${info.id}`,
    kind: 'proxy',
    contextValue: info.listening ? 'proxy' : 'stoppedProxy',
    label: proxy.name,
    description,
    tooltip: tooltip.join('\n'),
    icon: info.listening ? (proxy.toxics.length ? 'zap' : 'arrow-swap') : 'circle-slash',
    color: info.listening ? (proxy.toxics.length ? 'charts.orange' : 'charts.green') : 'disabledForeground',
    collapsible: children.length > 0 ? 'expanded' : 'none',
    children,
    targetId: info.id,
  };
}

/** One client ⇄ upstream pair: the client's address, the bytes each way, the upstream side's state. */
function proxyPairNode(info: ConnectionInfo, upstream: string, now: number): TreeNode {
  const pair = info.proxy;
  const client = info.remote ? formatEndpoint(info.remote) : '(client)';
  const closed = info.state === 'closed';
  const traffic = `→ ${formatBytes(info.totals.bytesIn)} ← ${formatBytes(info.totals.bytesOut)}`;
  const upstreamState = pair?.upstreamState ?? 'connecting';
  const state = closed
    ? `${describeCloseReason(info.closeReason)} · ${t('{0} ago', formatAge(now - (info.closedAt ?? now)))}`
    : upstreamState === 'open'
      ? formatAge(now - info.openedAt)
      : t('upstream {0}', upstreamState);
  const applied = pair?.faultsApplied ?? [];
  const tooltip = [
    `Pair ${info.id}: client ${client} ⇄ upstream ${upstream}${pair?.upstreamLocal ? ` (from ${formatEndpoint(pair.upstreamLocal)})` : ''}`,
    closed
      ? t('Closed {0} ago ({1}); its log is kept in the history', formatAge(now - (info.closedAt ?? now)), describeCloseReason(info.closeReason))
      : t('Open for {0}; upstream side {1}', formatAge(now - info.openedAt), upstreamState),
    `Client → upstream: ${info.totals.bytesIn} bytes in ${info.totals.messagesIn} chunks${pair ? `, ${pair.bytesToUpstream} written to the upstream` : ''}`,
    `Upstream → client: ${info.totals.bytesOut} bytes in ${info.totals.messagesOut} writes${pair ? `, ${pair.bytesFromUpstream} read from the upstream` : ''}`,
    ...(pair?.upstreamError ? [pair.upstreamError] : []),
    ...(applied.length ? [t('Faults on this pair: {0}', applied.join(', '))] : []),
  ];
  return {
    id: `proxyPair:${info.id}`,
    kind: 'proxyPair',
    contextValue: closed ? 'closedProxyPair' : 'proxyPair',
    label: `${client} ⇄ ${upstream}`,
    description: `${traffic} · ${state}${applied.length ? ` · ⚡ ${applied.length}` : ''}`,
    tooltip: tooltip.join('\n'),
    icon: closed ? 'debug-disconnect' : upstreamState === 'failed' ? 'error' : upstreamState === 'open' ? 'arrow-swap' : 'loading~spin',
    color: closed ? 'disabledForeground' : upstreamState === 'failed' ? 'errorForeground' : upstreamState === 'open' ? 'charts.green' : 'charts.yellow',
    collapsible: 'none',
    children: [],
    targetId: info.id,
  };
}

/** A listener or connection a preset started is called by the preset's name; its address moves to the description. */
function withPresetName(node: TreeNode, presetName: string | undefined): TreeNode {
  if (presetName === undefined) return node;
  // A proxy preset's proxy already bears the preset's name; its description stays as it is.
  if (node.kind === 'proxy' && node.label === presetName) return { ...node, tooltip: `${t('Started from preset "{0}"', presetName)}\n${node.tooltip}` };
  return { ...node, label: presetName, description: `${node.label} · ${node.description ?? ''}`, tooltip: `${t('Started from preset "{0}"', presetName)}\n${node.tooltip}` };
}

function brokenPresetNode(entry: BrokenPresetEntry): TreeNode {
  const origin = { user: t('user settings'), workspace: t('workspace settings'), workspaceFolder: t('folder settings') }[entry.origin];
  return {
    // By place, not name: two broken entries may share a name, or lack one.
    id: `brokenPreset:${entry.origin}:${entry.index}`,
    kind: 'preset',
    contextValue: 'brokenPreset',
    label: entry.name,
    description: entry.reason,
    tooltip: `${entry.reason}\n${t('Entry {0} of tcpLab.presets in the {1}; it starts nothing until it is fixed.', entry.index + 1, origin)}`,
    icon: 'warning',
    color: 'list.warningForeground',
    collapsible: 'none',
    children: [],
  };
}

function placeholderNode(id: string, label: string, tooltip: string): TreeNode {
  return { id, kind: 'placeholder', contextValue: 'placeholder', label, tooltip, collapsible: 'none', children: [], color: 'disabledForeground' };
}

function connectionNode(info: ConnectionInfo, kind: 'connection' | 'client', now: number): TreeNode {
  const label = info.remote ? formatEndpoint(info.remote) : t('(not connected)');
  const traffic = `↓${formatBytes(info.totals.bytesIn)} ↑${formatBytes(info.totals.bytesOut)}`;
  const age = formatAge((info.closedAt ?? now) - info.openedAt);
  const closed = info.state === 'closed';
  // Accepted connections are usually open, so their state is only spelled out when it is not; their age says more.
  const description = closed
    ? `${describeCloseReason(info.closeReason)} · ${t('{0} ago', formatAge(now - (info.closedAt ?? now)))} · ${traffic}`
    : kind === 'connection'
      ? `${info.state === 'open' ? '' : `${stateLabel(info.state)} · `}${traffic} · ${age}`
      : `${stateLabel(info.state)} · ${traffic}`;
  const { icon, color } = STATE_ICONS[info.state];
  const tooltip = [
    `${kind === 'client' ? t('Client connection {0}', info.id) : t('Accepted connection {0}', info.id)}: ${info.local ? formatEndpoint(info.local) : '?'} → ${label}`,
    closed
      ? t('Closed {0} ago ({1}) after {2}; its log is kept in the history', formatAge(now - (info.closedAt ?? now)), describeCloseReason(info.closeReason), age)
      : t('State: {0}, open for {1}', stateLabel(info.state), age),
    t('Received {0} bytes in {1} chunks; sent {2} bytes in {3} writes', info.totals.bytesIn, info.totals.messagesIn, info.totals.bytesOut, info.totals.messagesOut),
  ];
  if (info.queuedBytes > 0 && !closed) tooltip.push(t('{0} bytes waiting to be written', info.queuedBytes));
  const slowed = closed ? undefined : describeReadHolds(info.readHolds);
  if (slowed) tooltip.push(t('Reading paused: {0}; TCP flow control slows the peer, nothing is dropped', slowed));
  if (info.tls) tooltip.push(...describeTlsLines(info.tls));
  const contextValue: TreeContextValue = closed ? (info.reconnectable ? 'closedClient' : 'closedConnection') : kind;
  return {
    // The same id open and closed: the row stays where it is and keeps its selection as it closes.
    id: `${kind}:${info.id}`,
    kind,
    contextValue,
    label,
    description: slowed ? `${description} · ⏸ ${info.readHolds.join(', ')}` : description,
    tooltip: tooltip.join('\n'),
    icon,
    color,
    collapsible: 'none',
    children: [],
    targetId: info.id,
  };
}

/** The codicon of each kind of preset. */
export const PRESET_ICONS: Record<Preset['kind'], string> = { listener: 'radio-tower', client: 'plug', proxy: 'arrow-swap' };

function presetNode(entry: PresetEntry): TreeNode {
  const { preset } = entry;
  const payloads = preset.payloads ?? [];
  const where = formatHostPort(preset.host, preset.port);
  const origin = entry.origin === 'user' ? t('user settings') : t('workspace settings');
  const kindWhere = preset.kind === 'listener' ? t('listener {0}', where) : preset.kind === 'proxy' ? t('proxy {0}', where) : t('client {0}', where);
  const description = entry.restricted ? `${kindWhere} · ${t('Restricted Mode')}` : kindWhere;
  const tooltip = [
    preset.kind === 'listener'
      ? t('Preset "{0}" from {1}: listen on {2}', preset.name, origin, where)
      : preset.kind === 'proxy'
        ? t('Preset "{0}" from {1}: relay clients of {2} to {3}', preset.name, origin, where, preset.upstream ?? '?')
        : t('Preset "{0}" from {1}: connect to {2}', preset.name, origin, where),
  ];
  if (entry.restricted) tooltip.push(t('This workspace is not trusted: starting it asks for confirmation first.'));
  const node: TreeNode = {
    id: `preset:${preset.name}`,
    kind: 'preset',
    contextValue: 'preset',
    label: preset.name,
    description,
    tooltip: tooltip.join('\n'),
    icon: entry.restricted ? 'shield' : PRESET_ICONS[preset.kind],
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
    tooltip: `${t('{0} payload of preset "{1}":', payload.format, preset.name)}\n${preview}`,
    icon: PAYLOAD_ICONS[payload.format],
    collapsible: 'none',
    children: [],
    presetName: preset.name,
    payloadIndex: index,
  };
}

// A function, not a table: translated when the tree is drawn, after the host installed the bundle.
function stateLabel(state: ConnectionState): string {
  switch (state) {
    case 'connecting':
      return t('connecting');
    case 'open':
      return t('open');
    case 'halfClosed':
      return t('half-closed');
    case 'closed':
      return t('closed');
  }
}

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

export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  // Whole minutes past the first: a row's text (and so the row) then changes once a minute, not
  // every second, for each of up to a hundred closed connections the tree keeps.
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

function withRecent(live: string, recent: number): string {
  return recent > 0 ? `${live} · ${t('{0} closed', recent)}` : live;
}

/** "none", or the singular or plural sentence the caller wrote out (literal, so the bundles have both). */
function countLabel(count: number, one: string, many: string): string {
  if (count === 0) return t('none');
  return count === 1 ? one : many;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Copies what changed from `next` into the nodes VS Code already holds and returns the nodes to
 * refresh: a node whose row or context changed, and a node whose children came or went (VS Code
 * then asks for its children again). A node whose tooltip alone changed is not returned but added to
 * `staleTooltips`, for the caller to refresh at a slower pace: the view asks for a tooltip only when
 * the pointer rests on the row (resolveTreeItem) and keeps it until the row is refreshed, and
 * refreshing a row makes VS Code fetch and draw its whole subtree again, so a listener's totals in
 * its tooltip redrew every client row (and the hover over it) once a second during a flood.
 * Undefined when the top level changed or a node moved or changed how it folds: the whole tree
 * must be rendered again.
 */
export function updateInPlace(current: TreeModel, next: TreeModel, staleTooltips: Set<string> = new Set()): TreeNode[] | undefined {
  if (current.roots.length !== next.roots.length || current.roots.some((root, i) => root.id !== next.roots[i].id)) return undefined;
  for (const [id, node] of next.byId) {
    const old = current.byId.get(id);
    if (old && (old.parentId !== node.parentId || old.collapsible !== node.collapsible)) return undefined;
  }
  const changed: TreeNode[] = [];
  for (const [id, node] of next.byId) {
    const old = current.byId.get(id);
    // A new node arrives with its parent's refresh.
    if (!old) continue;
    const childrenChanged = old.children.length !== node.children.length || old.children.some((child, i) => child.id !== node.children[i].id);
    // A row's context menu follows its contextValue (a connection that closed): refreshing the row brings it.
    const rowChanged = old.label !== node.label || old.description !== node.description || old.icon !== node.icon || old.color !== node.color || old.contextValue !== node.contextValue;
    if (old.tooltip !== node.tooltip) {
      old.tooltip = node.tooltip;
      staleTooltips.add(id);
    }
    if (!childrenChanged && !rowChanged) continue;
    old.label = node.label;
    old.description = node.description;
    old.icon = node.icon;
    old.color = node.color;
    old.contextValue = node.contextValue;
    // Children that stay keep the objects VS Code holds; new ones are next's.
    if (childrenChanged) old.children = node.children.map((child) => current.byId.get(child.id) ?? child);
    // The refresh brings its tooltip too.
    staleTooltips.delete(id);
    changed.push(old);
  }
  for (const id of [...current.byId.keys()]) if (!next.byId.has(id)) current.byId.delete(id);
  for (const [id, node] of next.byId) if (!current.byId.has(id)) current.byId.set(id, node);
  // A refreshed row's subtree is fetched again, tooltips and all; a row that is gone has none to show.
  const forget = (node: TreeNode): void => {
    staleTooltips.delete(node.id);
    node.children.forEach(forget);
  };
  changed.forEach(forget);
  for (const id of staleTooltips) if (!current.byId.has(id)) staleTooltips.delete(id);
  return changed;
}
