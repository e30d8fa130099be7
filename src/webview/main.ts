// The traffic panel's browser side, wired together: it asks the host for a snapshot (`ready`),
// then shows the header, the toolbar, the log window (logWindow.ts), the behaviour editor and the
// send box (sendBox.ts), or the forms (forms.ts) while there is no target. Everything
// peer-controlled reaches the DOM as textContent only.
import './l10nBoot';
import { t } from '../shared/l10n';
import { describeTlsLines } from '../shared/tls';
import { PROTOCOL_LIMITS, RequestTracker, type PanelSettings, type TargetInfo, type ToWebviewMessage } from '../shared/protocol';
import { ReceivedAnnouncer } from './announcer';
import { createBehaviourEditor } from './behaviourEditor';
import { TEXT_ENCODINGS, type TextEncodingName } from '../shared/payloadTypes';
import { describeCloseReason } from '../shared/closeReasons';
import { COPY_FORMATS, formatForCopy, type CopyFormat } from '../shared/copyFormats';
import { bytesToBase64 } from './codec';
import { el, icon, iconButton, segmented, select, setIcon } from './dom';
import { renderForms } from './forms';
import { LogWindow } from './logWindow';
import { endpointText, formatBytes, formatDuration, hasBehaviour, isTargetOpen, restartTargetOf, sameRestartTarget, type PanelContext, type RestartTarget, type ViewState } from './panelState';
import { formatHostPort } from '../shared/hostPort';
import type { BehaviourInfo } from '../shared/protocol';
import { createFaultsEditor } from './faultsEditor';
import { createQuickSendBar } from './quickSend';
import { createSendBox } from './sendBox';
import type { LogRecord } from './recordStore';
import { PROXY_DIRECTIONS, rowContent, type RowContext, type ViewMode } from './virtualLog';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;



const vscode = acquireVsCodeApi();
// Generous: a save dialog or preset name prompt waits on the user, not on the host.
const requests = new RequestTracker((message) => vscode.postMessage(message), 10 * 60_000);

const saved = (vscode.getState() ?? {}) as Partial<ViewState>;
const view: ViewState = {
  mode: 'text',
  filterText: '',
  filterKind: 'text',
  direction: 'all',
  sendFormat: 'text',
  copyFormat: 'hex',
  history: [],
  draft: '',
  ...saved,
};

let settings: PanelSettings = { encoding: 'utf-8', lineEnding: 'none', timestamps: 'absolute', maxRecords: 10000, maxBytes: 16 * 1024 * 1024, defaultHost: '127.0.0.1', announceReceived: false };
let target: TargetInfo | undefined;
let headerQueued = false;
const rateSamples: { at: number; bytes: number }[] = [];

function persist(): void {
  // Remembered so that, after a reload closed it, the panel can offer to start the same thing again.
  const restart = target ? restartTargetOf(target) : undefined;
  if (restart) view.lastTarget = restart;
  vscode.setState({ ...view, targetId: target?.id });
}

const app = el('main', { className: 'app' });
// Outside `app`, which every snapshot rebuilds: a live region must stay in the page to be heard.
const announcements = el('div', { className: 'sr-only', attrs: { id: 'received-announcements', 'aria-live': 'polite', 'aria-atomic': 'true' } });
document.body.append(app, announcements);
const announcer = new ReceivedAnnouncer(
  // A new node each time, so a screen reader says a repeated sentence again.
  (text) => announcements.replaceChildren(el('p', { text })),
  { now: () => performance.now(), later: (callback, ms) => { const timer = setTimeout(callback, ms); return () => clearTimeout(timer); } },
);

// ---------- the log ----------

function displayEncoding(): TextEncodingName {
  return view.encoding ?? settings.encoding;
}

function rowContext(): RowContext {
  const origin = target ? (target.kind === 'connection' ? target.openedAt : target.startedAt) : 0;
  const peers = target?.kind === 'listener' ? new Map(target.peers.map((p) => [p.id, p.remote ? endpointText(p.remote) : p.id])) : undefined;
  return {
    mode: view.mode,
    encoding: displayEncoding(),
    timestamps: view.timestamps ?? settings.timestamps,
    origin,
    peerLabel: peers ? (conn) => peers.get(conn) ?? conn : undefined,
    wrap: view.wrap === true,
    ...(target?.proxy ? { directions: PROXY_DIRECTIONS } : {}),
  };
}

let selectedRecord: LogRecord | undefined;
const logWindow = new LogWindow(
  {
    request: (body) => requests.request(body),
    post: (message) => vscode.postMessage(message),
    context: rowContext,
    filter: () => ({ text: view.filterText, kind: view.filterKind, direction: view.direction }),
    onSelect: (record) => {
      selectedRecord = record;
      copyButton.disabled = !record;
      checksumButton.disabled = !record;
    },
    onFollowChange: (following) => showFollowing(following),
    onStatus: () => updateStatus(),
    onReceived: (records) => {
      // Read out as the log shows it, except that a hex dump is read as plain hex.
      const ctx = rowContext();
      const spoken = { ...ctx, mode: ctx.mode === 'dump' ? 'hex' : ctx.mode } satisfies RowContext;
      for (const record of records) announcer.received(() => rowContent(record, spoken, false).lines.join(' '), record.length);
    },
  },
  settings,
);
const log = logWindow.log;
log.root.addEventListener('keydown', (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'c' && selectedRecord) {
    event.preventDefault();
    void copySelected();
  }
});

// ---------- shared widgets ----------

// Not a live region: its counts change with every update, and a screen reader would read them out
// without end. The filter names it as its description; received data is announced only on request.
const statusLine = el('div', { className: 'status', attrs: { id: 'log-status' } });
const noticeLine = el('div', { className: 'notice', attrs: { role: 'status' } });
const followButton = iconButton('debug-pause', t('Pause autoscroll'));
followButton.setAttribute('aria-pressed', 'false');
followButton.addEventListener('click', () => logWindow.setFollowing(!logWindow.isFollowing));
const startButton = iconButton('arrow-up', t('First record'), t('First record: show the oldest records TCP Lab still keeps'));
startButton.addEventListener('click', () => void logWindow.jumpToStart());
const copyButton = iconButton('copy', t('Copy'), t('Copy the selected record (Ctrl+C in the log)'));
copyButton.disabled = true;
copyButton.addEventListener('click', () => void copySelected());
const checksumButton = iconButton('symbol-numeric', t('Checksum'), t('Checksums of the text selected in the log, or of the selected record (TCP: Compute Checksum)'));
checksumButton.disabled = true;
checksumButton.addEventListener('click', () => void checksumOfSelection());

/** Text selected inside the log wins over the selected row: "select bytes in a row". */
async function checksumOfSelection(): Promise<void> {
  const selection = window.getSelection();
  const text = selection && !selection.isCollapsed && log.root.contains(selection.anchorNode) ? selection.toString() : '';
  if (text.trim() !== '') {
    vscode.postMessage({ type: 'computeChecksum', text, source: t('text selected in the log') });
    return;
  }
  const record = selectedRecord;
  if (!record) return;
  const bytes = await logWindow.wholeBytes(record);
  if (!bytes) {
    showNotice(t('That record is too large or no longer kept; select part of its text instead.'));
    return;
  }
  vscode.postMessage({ type: 'computeChecksum', data: bytesToBase64(bytes), source: record.rec ? t('record #{0}', record.rec) : t('the selected row') });
}

function showFollowing(following: boolean): void {
  const label = following ? t('Pause autoscroll') : t('Resume autoscroll');
  followButton.setAttribute('aria-label', label);
  followButton.title = label;
  setIcon(followButton, following ? 'debug-pause' : 'play');
  followButton.setAttribute('aria-pressed', String(!following));
}

async function copySelected(): Promise<void> {
  const record = selectedRecord;
  if (!record) return;
  // The clipboard is the user's: only a real click or key press in the panel may write to it.
  if (navigator.userActivation && !navigator.userActivation.isActive) {
    showNotice(t('Copying needs a click or a key press in the panel; press Copy as or Ctrl+C.'));
    return;
  }
  const bytes = await logWindow.wholeBytes(record);
  if (!bytes) {
    showNotice(t('That record is too large to copy or no longer kept; use Save log instead.'));
    return;
  }
  const text = formatForCopy(bytes, view.copyFormat, displayEncoding());
  if (text.length > PROTOCOL_LIMITS.maxCopyChars) {
    showNotice(t('That record is too large to copy; use Save log instead.'));
    return;
  }
  vscode.postMessage({ type: 'copy', text });
  const number = record.rec > 0 ? (target?.kind === 'listener' ? t('record #{0} of {1}', record.rec, record.conn) : t('record #{0}', record.rec)) : t('the row');
  showNotice(t('Copied {0} as {1}.', number, COPY_FORMATS.find((f) => f.id === view.copyFormat)?.label ?? view.copyFormat));
}

function showNotice(text: string): void {
  noticeLine.textContent = text;
}


function updateStatus(): void {
  const { held, shown } = logWindow.counts;
  const feed = logWindow.feed;
  const more = logWindow.more;
  const parts = [feed.size === 1 ? t('1 row kept') : t('{0} rows kept', feed.size)];
  if (held < feed.size) parts.push(more.before ? t('{0} loaded (scroll up for older)', held) : t('{0} loaded', held));
  const problem = logWindow.filterProblem;
  filterInput?.setAttribute('aria-invalid', String(problem !== undefined));
  if (problem) parts.push(t('none shown: {0}', problem));
  else if (shown !== held) parts.push(shown === 1 ? t('1 matches the filter') : t('{0} match the filter', shown));
  if (feed.dropped) parts.push(feed.dropped === 1 ? t('1 older record dropped by the log limits (a capture file keeps every byte)') : t('{0} older records dropped by the log limits (a capture file keeps every byte)', feed.dropped));
  if (feed.badChecksums) parts.push(feed.badChecksums === 1 ? t('1 frame failed the checksum') : t('{0} frames failed the checksum', feed.badChecksums));
  if (feed.pendingFrameBytes) parts.push(feed.pendingFrameBytes === 1 ? t('1 byte waiting for the rest of a frame') : t('{0} bytes waiting for the rest of a frame', feed.pendingFrameBytes));
  statusLine.textContent = parts.join(t(', '));
  startButton.disabled = !more.before;
}


// ---------- the connection / listener view ----------

const header = {
  title: el('h1', { className: 'title' }),
  state: el('span', { className: 'state', attrs: { role: 'status' } }),
  addresses: el('span', { className: 'addresses' }),
  totals: el('span', { className: 'totals' }),
  rate: el('span', { className: 'rate', attrs: { 'aria-label': t('Current rate') } }),
  latency: el('span', { className: 'latency', attrs: { 'aria-label': t('Request to response latency') } }),
  slowed: el('span', { className: 'slowed', attrs: { role: 'status' } }),
  tls: el('span', { className: 'tls', attrs: { 'aria-label': t('TLS session') } }),
  startTls: el('button', { className: 'with-icon', attrs: { type: 'button', title: t("STARTTLS: upgrade this plain connection to TLS now, after your protocol's own \"start TLS\" exchange. As the client it accepts any certificate and shows what is wrong with it; as the server it presents the local CA's certificate.") } }),
  close: el('button', { className: 'with-icon', attrs: { type: 'button' } }),
};
header.startTls.append(icon('lock'), 'Start TLS');

/** Text a screen reader says in place of an icon that stands between two words. */
function spoken(text: string): HTMLElement {
  return el('span', { className: 'sr-only', text });
}

/**
 * Rebuilds a header part made of icons and text only when its text changes: the header is updated
 * up to 30 times a second, and new nodes each time would drop a selection the user is making.
 */
function setParts(node: HTMLElement, key: string, parts: () => (Node | string)[]): void {
  if (node.dataset.key === key) return;
  node.dataset.key = key;
  node.replaceChildren(...parts());
}
header.startTls.addEventListener('click', async () => {
  header.startTls.disabled = true;
  const reply = await requests.request({ type: 'startTls' });
  if (!reply.ok) showNotice(reply.error ?? t('Could not start TLS.'));
  header.startTls.disabled = false;
});
header.close.addEventListener('click', async () => {
  header.close.disabled = true;
  const reply = await requests.request({ type: 'close' });
  if (!reply.ok) showNotice(reply.error ?? t('Could not close it.'));
});

function updateHeader(): void {
  if (!target) return;
  const info = target;
  const now = performance.now();
  const bytes = info.totals.bytesIn + info.totals.bytesOut;
  rateSamples.push({ at: now, bytes });
  while (rateSamples.length > 2 && now - rateSamples[0].at > 2000) rateSamples.shift();
  const first = rateSamples[0];
  const seconds = (now - first.at) / 1000;
  const rate = seconds > 0.2 ? (bytes - first.bytes) / seconds : 0;
  if (info.kind === 'connection') {
    header.title.textContent = info.proxy ? t('Proxy {0}: pair {1}', info.proxy.name, info.id) : t('Connection {0}', info.id);
    header.state.textContent = info.state === 'closed' ? describeCloseReason(info.closeReason) : info.state === 'halfClosed' ? t('half-closed') : info.state === 'open' ? t('open') : t('connecting');
    header.state.dataset.state = info.state;
    if (info.proxy) {
      const upstreamState = info.proxy.upstreamState && info.proxy.upstreamState !== info.state ? ` (${info.proxy.upstreamState})` : '';
      const pair = t('client {0} ⇄ {1} ⇄ upstream {2}', info.remote ? endpointText(info.remote) : '?', info.proxy.listen, info.proxy.upstream) + upstreamState;
      setParts(header.addresses, pair, () => [pair]);
      setParts(header.close, t('Close pair'), () => [icon('debug-disconnect'), t('Close pair')]);
    } else {
      const local = info.local ? endpointText(info.local) : '?';
      const remote = info.remote ? endpointText(info.remote) : '?';
      setParts(header.addresses, t('{0} to {1}', local, remote), () => [local, icon('arrow-swap'), spoken(` ${t('to')} `), remote]);
      setParts(header.close, t('Disconnect'), () => [icon('debug-disconnect'), t('Disconnect')]);
    }
    header.tls.hidden = !info.tls;
    // A proxy pair relays bytes as they are; upgrading its client side alone would break the conversation.
    header.startTls.hidden = Boolean(info.tls) || info.state !== 'open' || info.proxy !== undefined;
    if (info.tls) {
      // Peer text (names from its certificate) only ever goes in as text.
      const session = `${info.tls.version} · ${info.tls.cipher}${info.tls.alpn ? ` · ALPN ${info.tls.alpn}` : ''}${info.tls.serverName ? ` · SNI ${info.tls.serverName}` : ''} — ${info.tls.verification}`;
      setParts(header.tls, session, () => [icon('lock'), session]);
      header.tls.title = describeTlsLines(info.tls).join('\n');
      header.tls.dataset.verified = String(info.tls.verified);
    }
    const latency = info.latency;
    header.latency.hidden = !latency;
    if (latency) {
      header.latency.textContent =
        latency.p50 === undefined
          ? t('latency: no answer yet')
          : latency.count === 1
            ? t('latency p50 {0} · p95 {1} (1 answer)', formatDuration(latency.p50), formatDuration(latency.p95 ?? latency.p50))
            : t('latency p50 {0} · p95 {1} ({2} answers)', formatDuration(latency.p50), formatDuration(latency.p95 ?? latency.p50), latency.count);
    }
  } else {
    header.latency.hidden = true;
    header.tls.hidden = true;
    header.startTls.hidden = true;
    const open = info.peers.filter((p) => p.state === 'open' || p.state === 'halfClosed').length;
    header.title.textContent = info.proxy ? t('Proxy {0}', info.proxy.name) : t('Listener {0}', info.id);
    const state = info.listening ? t('listening') : t('stopped');
    const opened = info.proxy
      ? open === 1 ? t('{0}, 1 pair open', state) : t('{0}, {1} pairs open', state, open)
      : open === 1 ? t('{0}, 1 client open', state) : t('{0}, {1} clients open', state, open);
    header.state.textContent = info.acceptedCount > open ? t('{0}, {1} accepted in all', opened, info.acceptedCount) : opened;
    header.state.dataset.state = info.listening ? 'open' : 'closed';
    const where = `${info.tls ? 'tls://' : ''}${info.local ? endpointText(info.local) : formatHostPort(info.host, info.requestedPort)}`;
    const shown = info.proxy ? `${t('{0} → upstream {1}', where, info.proxy.upstream)}${info.proxy.enabled ? '' : ` (${t('disabled')})`}` : where;
    setParts(header.addresses, shown, () => [shown]);
    const stop = info.proxy ? t('Stop proxy') : t('Stop listener');
    setParts(header.close, stop, () => [icon('debug-stop'), stop]);
  }
  header.close.disabled = !isTargetOpen(target);
  header.totals.textContent = info.proxy
    ? t('client → upstream {0} / {1} msg · upstream → client {2} / {3} msg', formatBytes(info.totals.bytesIn), info.totals.messagesIn, formatBytes(info.totals.bytesOut), info.totals.messagesOut)
    : t('in {0} / {1} msg · out {2} / {3} msg', formatBytes(info.totals.bytesIn), info.totals.messagesIn, formatBytes(info.totals.bytesOut), info.totals.messagesOut);
  // The exact counts, for a tooltip and assistive tools: the text rounds above 1 KiB.
  const exact = info.proxy
    ? info.kind === 'listener'
      ? t('Client to upstream {0} bytes in {1} chunks; upstream to client {2} bytes in {3} chunks, over all pairs the proxy has had', info.totals.bytesIn, info.totals.messagesIn, info.totals.bytesOut, info.totals.messagesOut)
      : t('Client to upstream {0} bytes in {1} chunks; upstream to client {2} bytes in {3} chunks', info.totals.bytesIn, info.totals.messagesIn, info.totals.bytesOut, info.totals.messagesOut)
    : info.kind === 'listener'
      ? t('Received {0} bytes in {1} messages; sent {2} bytes in {3} messages, over all clients the listener has had', info.totals.bytesIn, info.totals.messagesIn, info.totals.bytesOut, info.totals.messagesOut)
      : t('Received {0} bytes in {1} messages; sent {2} bytes in {3} messages', info.totals.bytesIn, info.totals.messagesIn, info.totals.bytesOut, info.totals.messagesOut);
  header.totals.title = exact;
  header.totals.setAttribute('aria-label', exact);
  header.rate.textContent = `${formatBytes(Math.round(rate))}/s`;
  header.slowed.hidden = !info.slowedBy;
  setParts(header.slowed, info.slowedBy ?? '', () => (info.slowedBy ? [icon('debug-pause'), info.slowedBy] : []));
  sendBox.refreshTargets();
  sendBox.refreshRepeat();
  behaviourEditor.refreshTarget(info);
  faultsEditor.set(info.proxy);
  // Send faults cut TCP Lab's own writes; a proxy's faults are in Proxy faults instead.
  sendBox.faults.hidden = info.proxy !== undefined;
}

function scheduleHeader(): void {
  if (headerQueued) return;
  headerQueued = true;
  requestAnimationFrame(() => {
    headerQueued = false;
    updateHeader();
  });
}

let filterInput: HTMLInputElement | undefined;

/** The view controls above the log (one row), and the actions on its records under it. */
function toolbars(): { view: HTMLElement; actions: HTMLElement } {
  const input = el('input', { attrs: { type: 'search', placeholder: t('Filter'), 'aria-label': t('Filter the log by text or hex bytes'), spellcheck: 'false', 'aria-describedby': 'log-status' } });
  filterInput = input;
  input.value = view.filterText;
  let filterTimer: ReturnType<typeof setTimeout> | undefined;
  input.addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => {
      view.filterText = input.value;
      persist();
      logWindow.refilter();
    }, 150);
  });
  const clearButton = iconButton('clear-all', t('Clear'), t('Clear the log (counters stay)'));
  clearButton.addEventListener('click', () => vscode.postMessage({ type: 'clear' }));
  // The toolbar is rebuilt with every snapshot (Apply framing sends one): choices live in the view state.
  // pcapng is one more format here rather than another button: the toolbar stays one row on a narrow panel.
  const saveFormat = select(t('Log file format'), [{ value: 'jsonl', label: t('JSON Lines') }, { value: 'csv', label: 'CSV' }, { value: 'pcapng', label: 'pcapng' }], view.saveFormat ?? 'jsonl', (value) => {
    view.saveFormat = value as 'jsonl' | 'csv' | 'pcapng';
    persist();
  });
  const saveButton = iconButton('save', t('Save log…'), t('Save log: every record TCP Lab keeps for this panel (pcapng: as TCP packets Wireshark opens)'));
  saveButton.addEventListener('click', async () => {
    const reply =
      saveFormat.value === 'pcapng'
        ? await requests.request({ type: 'exportPcapng' })
        : await requests.request({ type: 'saveLog', format: saveFormat.value as 'jsonl' | 'csv', encoding: displayEncoding() });
    // The status line says where the file went (or why not), replacing whatever it said before.
    if (reply.ok && reply.detail) showNotice(reply.detail);
    else if (!reply.ok && reply.error) showNotice(reply.error);
  });
  const wrapButton = iconButton('word-wrap', t('Wrap'), t('Wrap long lines to the log width (off: lines stay whole and the log scrolls sideways)'));
  wrapButton.setAttribute('aria-pressed', String(view.wrap === true));
  wrapButton.addEventListener('click', () => {
    view.wrap = !view.wrap;
    wrapButton.setAttribute('aria-pressed', String(view.wrap));
    persist();
    log.setContext(rowContext());
  });
  const copyFormat = select(t('Copy format'), COPY_FORMATS.map((f) => ({ value: f.id, label: f.label })), view.copyFormat, (value) => {
    view.copyFormat = value as CopyFormat;
    persist();
  });
  const viewBar = el('div', { className: 'toolbar', attrs: { role: 'toolbar', 'aria-label': t('Log view') } }, [
    group(
      segmented<ViewMode>(t('View mode'), [{ value: 'text', label: t('Text') }, { value: 'hex', label: t('Hex') }, { value: 'dump', label: t('Dump') }], view.mode, (mode) => {
        view.mode = mode;
        persist();
        log.setContext(rowContext());
      }).root,
      wrapButton,
    ),
    select(t('Display encoding'), TEXT_ENCODINGS.map((e) => ({ value: e, label: e })), displayEncoding(), (value) => {
      view.encoding = value as TextEncodingName;
      persist();
      logWindow.retrack();
      log.setContext(rowContext());
      if (view.filterText.trim() && view.filterKind === 'text') logWindow.refilter();
    }),
    select(t('Timestamps'), [{ value: 'absolute', label: t('Clock time') }, { value: 'relative', label: t('Relative') }], view.timestamps ?? settings.timestamps, (value) => {
      view.timestamps = value as 'absolute' | 'relative';
      persist();
      log.setContext(rowContext());
    }),
    group(
      input,
      select(t('Filter kind'), [{ value: 'text', label: t('text') }, { value: 'hex', label: t('hex') }], view.filterKind, (value) => {
        view.filterKind = value as 'text' | 'hex';
        persist();
        logWindow.refilter();
      }),
      select(t('Direction'), target?.proxy ? [{ value: 'all', label: t('both ways') }, { value: 'in', label: PROXY_DIRECTIONS.in }, { value: 'out', label: PROXY_DIRECTIONS.out }] : [{ value: 'all', label: t('both ways') }, { value: 'in', label: t('received') }, { value: 'out', label: t('sent') }], view.direction, (value) => {
        view.direction = value as 'all' | 'in' | 'out';
        persist();
        logWindow.refilter();
      }),
    ),
    group(followButton, startButton),
  ]);
  const actions = el('div', { className: 'toolbar log-actions', attrs: { role: 'toolbar', 'aria-label': t('Log actions') } }, [
    group(labelFor(t('Copy as'), copyFormat), copyFormat, copyButton, checksumButton),
    group(labelFor(t('Save as'), saveFormat), saveFormat, saveButton),
    clearButton,
  ]);
  return { view: viewBar, actions };
}

/** Controls that belong together wrap as one piece, so no dropdown ends up alone on a line. */
function group(...children: HTMLElement[]): HTMLElement {
  return el('span', { className: 'tool-group' }, children);
}

let labelIds = 0;
/** A visible label for a toolbar dropdown (its accessible name stays the aria-label). */
function labelFor(text: string, control: HTMLElement): HTMLElement {
  control.id ||= `toolbar-${++labelIds}`;
  return el('label', { className: 'tool-label', text, attrs: { for: control.id } });
}

const context: PanelContext = {
  view,
  persist,
  settings: () => settings,
  target: () => target,
  request: (body) => requests.request(body),
  showNotice,
};
const sendBox = createSendBox(context);
const quickSend = createQuickSendBar(context, sendBox);
const behaviourEditor = createBehaviourEditor({
  request: (body) => requests.request(body),
  notice: (text) => showNotice(text),
});
const faultsEditor = createFaultsEditor({
  request: (body) => requests.request(body),
  notice: (text) => showNotice(text),
});

/** What a reload closed, while the forms offered it again: its framing and rules come back on request. */
let reopened: { target: RestartTarget; behaviour: BehaviourInfo | undefined } | undefined;
const restoreBar = el('div', { className: 'restore', attrs: { role: 'status' } });

/** Offers the framing and rules the panel had before the reload, once the same target is back. */
function offerBehaviourAgain(current: BehaviourInfo | undefined): void {
  const previous = reopened;
  reopened = undefined;
  restoreBar.replaceChildren();
  if (!previous || !target || !sameRestartTarget(previous.target, restartTargetOf(target))) return;
  if (!hasBehaviour(previous.behaviour) || hasBehaviour(current)) return;
  const behaviour = previous.behaviour;
  const rules = behaviour.rules.length === 1 ? t('1 rule') : t('{0} rules', behaviour.rules.length);
  const what = [behaviour.framing.mode !== 'none' ? t('framing') : '', behaviour.echo ? t('echo') : '', behaviour.rules.length ? rules : ''].filter(Boolean).join(t(', '));
  const apply = el('button', { text: t('Apply them again'), attrs: { type: 'button', class: 'primary' } });
  const dismiss = el('button', { text: t('Dismiss'), attrs: { type: 'button' } });
  apply.addEventListener('click', async () => {
    apply.disabled = true;
    const reply = await requests.request({ type: 'behaviour', behaviour });
    if (reply.ok) {
      restoreBar.replaceChildren();
      showNotice(t('Applied again: {0}. Save into preset keeps them for good.', what));
    } else {
      apply.disabled = false;
      showNotice(reply.error ?? t('Could not apply them again.'));
    }
  });
  dismiss.addEventListener('click', () => restoreBar.replaceChildren());
  restoreBar.replaceChildren(el('span', { text: `${t('Before the reload this panel had {0}.', what)} ` }), apply, dismiss);
}

function showTarget(): void {
  const bars = toolbars();
  app.replaceChildren(
    el('header', { className: 'header' }, [header.title, header.state, header.addresses, header.totals, header.rate, header.latency, header.slowed, header.tls, header.startTls, header.close]),
    restoreBar,
    bars.view,
    // The log keeps most of the height: open sections sit beside it on wide panels and scroll by
    // themselves below it on narrow ones (media/panel.css).
    el('div', { className: 'workspace' }, [
      el('div', { className: 'log-column' }, [log.root, el('div', { className: 'footer' }, [statusLine, noticeLine, bars.actions])]),
      el('div', { className: 'sections' }, [faultsEditor.root, behaviourEditor.root, sendBox.faults]),
    ]),
    quickSend.root,
    sendBox.root,
  );
  updateHeader();
}

// ---------- host messages ----------

function rememberBehaviour(behaviour: BehaviourInfo | undefined): void {
  view.lastBehaviour = hasBehaviour(behaviour) ? behaviour : undefined;
}

function applySettings(next: PanelSettings): void {
  settings = next;
  announcer.setEnabled(settings.announceReceived);
  logWindow.setLimits(settings.maxRecords, settings.maxBytes);
}

function onMessage(message: ToWebviewMessage): void {
  switch (message.type) {
    case 'snapshot': {
      applySettings(message.settings);
      target = message.target;
      rateSamples.length = 0;
      if (!target) {
        if (view.lastTarget) reopened = { target: view.lastTarget, behaviour: view.lastBehaviour };
        persist();
        renderForms(app, context, message.notice, view.lastTarget);
        return;
      }
      offerBehaviourAgain(message.behaviour);
      rememberBehaviour(message.behaviour);
      persist();
      // A proxy relays rather than answers: its panel frames both directions and offers no echo or rules.
      behaviourEditor.setBehaviour(message.behaviour ?? { framing: { mode: 'none' }, echo: false, rules: [] }, target.proxy ? 'connection' : target.kind);
      quickSend.set(message.quickSend);
      log.setContext(rowContext());
      showTarget();
      logWindow.reset(message.records, message.feed);
      if (message.notice) showNotice(message.notice);
      return;
    }
    case 'traffic':
      logWindow.onTraffic(message);
      return;
    case 'target': {
      const peersChanged = target?.kind === 'listener' && message.target.kind === 'listener' && target.peers.length !== message.target.peers.length;
      target = message.target;
      if (peersChanged) log.setContext(rowContext());
      scheduleHeader();
      return;
    }
    case 'settings':
      applySettings(message.settings);
      logWindow.retrack();
      log.setContext(rowContext());
      logWindow.refilter();
      return;
    case 'behaviour':
      rememberBehaviour(message.behaviour);
      persist();
      if (target) behaviourEditor.setBehaviour(message.behaviour, target.proxy ? 'connection' : target.kind);
      return;
    case 'quickSend':
      quickSend.set(message.quickSend);
      return;
    case 'cleared':
      logWindow.clear();
      selectedRecord = undefined;
      copyButton.disabled = true;
      checksumButton.disabled = true;
      return;
    case 'reply':
      requests.settle(message);
      return;
  }
}

window.addEventListener('message', (event: MessageEvent) => {
  const message = event.data as ToWebviewMessage | undefined;
  if (!message || typeof message !== 'object' || typeof message.type !== 'string') return;
  onMessage(message);
});
window.addEventListener('resize', () => logWindow.scheduleRender());

vscode.postMessage({ type: 'ready' });
