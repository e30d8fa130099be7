// The traffic panel's browser side. It asks the host for a snapshot (`ready`), then keeps a
// bounded copy of the traffic and draws it through the virtual log. Everything peer-controlled
// reaches the DOM as textContent only.
import { PROTOCOL_LIMITS, RequestTracker, type PanelSettings, type TargetInfo, type ToWebviewMessage } from '../shared/protocol';
import { planWrites, summariseWrites, validateFaultOptions, type FaultOptions } from '../shared/faultPlan';
import { createBehaviourEditor } from './behaviourEditor';
import { LINE_ENDINGS, TEXT_ENCODINGS, type LineEnding, type PayloadFormat, type TextEncodingName } from '../shared/payloadTypes';
import { describeCloseReason } from '../shared/closeReasons';
import { COPY_FORMATS, formatForCopy, type CopyFormat } from '../shared/copyFormats';
import { parsePayload } from '../shared/parsePayload';
import { bytesToBase64 } from './codec';
import { el, segmented, select } from './dom';
import { LogWindow } from './logWindow';
import type { LogRecord } from './recordStore';
import type { RowContext, ViewMode } from './virtualLog';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What survives the panel being hidden or the window reloading. */
interface ViewState {
  targetId?: string;
  mode: ViewMode;
  encoding?: TextEncodingName;
  timestamps?: 'absolute' | 'relative';
  filterText: string;
  filterKind: 'text' | 'hex';
  direction: 'all' | 'in' | 'out';
  sendFormat: PayloadFormat;
  sendEncoding?: TextEncodingName;
  lineEnding?: LineEnding;
  copyFormat: CopyFormat;
  history: { format: PayloadFormat; text: string }[];
  draft: string;
}

const HISTORY_LIMIT = 50;
const HISTORY_ENTRY_LIMIT = 64 * 1024;
const MIN_REPEAT_MS = 10;

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

let settings: PanelSettings = { encoding: 'utf-8', lineEnding: 'none', timestamps: 'absolute', maxRecords: 10000, maxBytes: 16 * 1024 * 1024, defaultHost: '127.0.0.1' };
let target: TargetInfo | undefined;
let headerQueued = false;
const rateSamples: { at: number; bytes: number }[] = [];

function persist(): void {
  vscode.setState({ ...view, targetId: target?.id });
}

const app = el('main', { className: 'app' });
document.body.append(app);

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
    },
    onFollowChange: (following) => showFollowing(following),
    onStatus: () => updateStatus(),
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

const statusLine = el('div', { className: 'status', attrs: { role: 'status', 'aria-live': 'polite' } });
const noticeLine = el('div', { className: 'notice', attrs: { role: 'status' } });
const followButton = el('button', { text: 'Pause autoscroll', attrs: { type: 'button', 'aria-pressed': 'false' } });
followButton.addEventListener('click', () => logWindow.setFollowing(!logWindow.isFollowing));
const startButton = el('button', { text: 'First record', attrs: { type: 'button', title: 'Show the oldest records TCP Lab still keeps' } });
startButton.addEventListener('click', () => void logWindow.jumpToStart());
const copyButton = el('button', { text: 'Copy as', attrs: { type: 'button', title: 'Copy the selected record (Ctrl+C in the log)' } });
copyButton.disabled = true;
copyButton.addEventListener('click', () => void copySelected());

function showFollowing(following: boolean): void {
  followButton.textContent = following ? 'Pause autoscroll' : 'Resume autoscroll';
  followButton.setAttribute('aria-pressed', String(!following));
}

async function copySelected(): Promise<void> {
  const record = selectedRecord;
  if (!record) return;
  const bytes = await logWindow.wholeBytes(record);
  if (!bytes) {
    showNotice('That record is too large to copy or no longer kept; use Save log instead.');
    return;
  }
  const text = formatForCopy(bytes, view.copyFormat, displayEncoding());
  if (text.length > PROTOCOL_LIMITS.maxCopyChars) {
    showNotice('That record is too large to copy; use Save log instead.');
    return;
  }
  vscode.postMessage({ type: 'copy', text });
  const number = record.rec > 0 ? `record #${record.rec}${target?.kind === 'listener' ? ` of ${record.conn}` : ''}` : 'the row';
  showNotice(`Copied ${number} as ${COPY_FORMATS.find((f) => f.id === view.copyFormat)?.label}.`);
}

function showNotice(text: string): void {
  noticeLine.textContent = text;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function updateStatus(): void {
  const { held, shown } = logWindow.counts;
  const feed = logWindow.feed;
  const more = logWindow.more;
  const parts = [`${plural(feed.size, 'row')} kept`];
  if (held < feed.size) parts.push(`${held} loaded${more.before ? ' (scroll up for older)' : ''}`);
  if (shown !== held) parts.push(`${shown} match the filter`);
  if (feed.dropped) parts.push(`${plural(feed.dropped, 'older record')} dropped by the log limits (a capture file keeps every byte)`);
  if (feed.pendingFrameBytes) parts.push(`${plural(feed.pendingFrameBytes, 'byte')} waiting for the rest of a frame`);
  statusLine.textContent = parts.join(', ');
  startButton.disabled = !more.before;
}

function formatBytes(value: number): string {
  if (value < 1024) return `${value} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value;
  let unit = -1;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return `${scaled.toFixed(scaled < 10 ? 2 : 1)} ${units[unit]}`;
}

function endpointText(endpoint: { address: string; family: string; port: number }): string {
  return endpoint.family === 'IPv6' ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`;
}

// ---------- forms (no target yet) ----------

type FieldCheck = (value: string) => string | undefined;

function checkHost(value: string): string | undefined {
  const host = value.trim();
  if (!host) return 'Enter a host name or IP address, for example 127.0.0.1.';
  if (/\s/.test(host) || host.length > PROTOCOL_LIMITS.maxHostChars) return `"${host.slice(0, 40)}" is not a host name; use a name or IP address without spaces.`;
  return undefined;
}

function checkPort(allowZero: boolean): FieldCheck {
  return (value) => {
    const text = value.trim();
    const min = allowZero ? 0 : 1;
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > 65535) {
      return `Port "${text}" is not valid; enter a whole number from ${min} to 65535${allowZero ? ' (0 picks a free port)' : ''}.`;
    }
    return undefined;
  };
}

function field(id: string, label: string, value: string, check: FieldCheck, onInput: () => void): { root: HTMLElement; input: HTMLInputElement; valid(): boolean } {
  const error = el('div', { className: 'field-error', attrs: { id: `${id}-error`, 'aria-live': 'polite' } });
  const input = el('input', { attrs: { id, type: 'text', spellcheck: 'false', 'aria-describedby': `${id}-error` } });
  input.value = value;
  const validate = (): boolean => {
    const problem = check(input.value);
    error.textContent = problem ?? '';
    input.setAttribute('aria-invalid', String(problem !== undefined));
    return problem === undefined;
  };
  input.addEventListener('input', () => {
    validate();
    onInput();
  });
  return { root: el('div', { className: 'field' }, [el('label', { text: label, attrs: { for: id } }), input, error]), input, valid: () => check(input.value) === undefined };
}

function endpointForm(kind: 'listen' | 'connect'): HTMLElement {
  const listen = kind === 'listen';
  const formError = el('div', { className: 'form-error', attrs: { role: 'alert' } });
  const button = el('button', { text: listen ? 'Start' : 'Connect', attrs: { type: 'submit' } });
  let busy = false;
  const refresh = (): void => {
    button.disabled = busy || !host.valid() || !port.valid();
  };
  const host = field(`${kind}-host`, 'Host', listen ? settings.defaultHost : '127.0.0.1', checkHost, refresh);
  const port = field(`${kind}-port`, 'Port', listen ? '0' : '', checkPort(listen), refresh);
  const form = el('form', { className: 'endpoint-form', attrs: { 'aria-label': listen ? 'Listen' : 'Connect' } }, [
    el('h2', { text: listen ? 'Listen' : 'Connect' }),
    el('p', { className: 'hint', text: listen ? 'Accept TCP clients on a local address.' : 'Open a TCP connection to a server.' }),
    host.root,
    port.root,
    el('div', { className: 'actions' }, [button]),
    formError,
  ]);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy || !host.valid() || !port.valid()) return;
    busy = true;
    refresh();
    formError.textContent = '';
    const reply = await requests.request({ type: kind, host: host.input.value.trim(), port: Number(port.input.value.trim()) });
    // On success the host re-targets this panel and sends a fresh snapshot; the button stays
    // disabled until then so a double click cannot open two sockets.
    if (!reply.ok) {
      busy = false;
      refresh();
      formError.textContent = reply.error ?? 'That did not work.';
    }
  });
  refresh();
  return form;
}

function showForms(notice?: string): void {
  app.replaceChildren(
    el('div', { className: 'forms' }, [
      notice ? el('p', { className: 'notice', text: notice, attrs: { role: 'status' } }) : undefined,
      endpointForm('listen'),
      endpointForm('connect'),
    ]),
  );
}

// ---------- the connection / listener view ----------

const header = {
  title: el('h1', { className: 'title' }),
  state: el('span', { className: 'state', attrs: { role: 'status' } }),
  addresses: el('span', { className: 'addresses' }),
  totals: el('span', { className: 'totals' }),
  rate: el('span', { className: 'rate', attrs: { 'aria-label': 'Current rate' } }),
  latency: el('span', { className: 'latency', attrs: { 'aria-label': 'Request to response latency' } }),
  close: el('button', { attrs: { type: 'button' } }),
};
header.close.addEventListener('click', async () => {
  header.close.disabled = true;
  const reply = await requests.request({ type: 'close' });
  if (!reply.ok) showNotice(reply.error ?? 'Could not close it.');
});

function targetOpen(): boolean {
  if (!target) return false;
  return target.kind === 'connection' ? target.state === 'open' || target.state === 'halfClosed' : target.listening;
}

function updateHeader(): void {
  if (!target) return;
  const t = target;
  const now = performance.now();
  const bytes = t.totals.bytesIn + t.totals.bytesOut;
  rateSamples.push({ at: now, bytes });
  while (rateSamples.length > 2 && now - rateSamples[0].at > 2000) rateSamples.shift();
  const first = rateSamples[0];
  const seconds = (now - first.at) / 1000;
  const rate = seconds > 0.2 ? (bytes - first.bytes) / seconds : 0;
  if (t.kind === 'connection') {
    header.title.textContent = `Connection ${t.id}`;
    header.state.textContent = t.state === 'closed' ? describeCloseReason(t.closeReason) : t.state === 'halfClosed' ? 'half-closed' : t.state;
    header.state.dataset.state = t.state;
    header.addresses.textContent = `${t.local ? endpointText(t.local) : '?'} ⇄ ${t.remote ? endpointText(t.remote) : '?'}`;
    header.close.textContent = 'Disconnect';
    const latency = t.latency;
    header.latency.hidden = !latency;
    if (latency) {
      header.latency.textContent =
        latency.p50 === undefined ? 'latency: no answer yet' : `latency p50 ${latency.p50} ms · p95 ${latency.p95} ms (${latency.count} answer${latency.count === 1 ? '' : 's'})`;
    }
  } else {
    header.latency.hidden = true;
    const open = t.peers.filter((p) => p.state === 'open' || p.state === 'halfClosed').length;
    header.title.textContent = `Listener ${t.id}`;
    const seen = t.acceptedCount > open ? `, ${t.acceptedCount} accepted in all` : '';
    header.state.textContent = `${t.listening ? 'listening' : 'stopped'}, ${open} client${open === 1 ? '' : 's'} open${seen}`;
    header.state.dataset.state = t.listening ? 'open' : 'closed';
    header.addresses.textContent = t.local ? endpointText(t.local) : `${t.host}:${t.requestedPort}`;
    header.close.textContent = 'Stop listener';
  }
  header.close.disabled = !targetOpen();
  header.totals.textContent = `in ${formatBytes(t.totals.bytesIn)} / ${t.totals.messagesIn} msg · out ${formatBytes(t.totals.bytesOut)} / ${t.totals.messagesOut} msg`;
  header.rate.textContent = `${formatBytes(Math.round(rate))}/s`;
  sendBox.refreshTargets();
  sendBox.refreshRepeat();
  behaviourEditor.refreshTarget(t);
}

function scheduleHeader(): void {
  if (headerQueued) return;
  headerQueued = true;
  requestAnimationFrame(() => {
    headerQueued = false;
    updateHeader();
  });
}

function toolbar(): HTMLElement {
  const filterInput = el('input', { attrs: { type: 'search', placeholder: 'Filter', 'aria-label': 'Filter the log by text or hex bytes', spellcheck: 'false' } });
  filterInput.value = view.filterText;
  let filterTimer: ReturnType<typeof setTimeout> | undefined;
  filterInput.addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => {
      view.filterText = filterInput.value;
      persist();
      logWindow.refilter();
    }, 150);
  });
  const clearButton = el('button', { text: 'Clear', attrs: { type: 'button', title: 'Clear the log (counters stay)' } });
  clearButton.addEventListener('click', () => vscode.postMessage({ type: 'clear' }));
  const saveFormat = select('Log file format', [{ value: 'jsonl', label: 'JSON Lines' }, { value: 'csv', label: 'CSV' }], 'jsonl', () => undefined);
  const saveButton = el('button', { text: 'Save log as…', attrs: { type: 'button' } });
  saveButton.addEventListener('click', async () => {
    const reply = await requests.request({ type: 'saveLog', format: saveFormat.value as 'jsonl' | 'csv' });
    if (!reply.ok && reply.error) showNotice(reply.error);
  });
  return el('div', { className: 'toolbar', attrs: { role: 'toolbar', 'aria-label': 'Log view' } }, [
    segmented<ViewMode>('View mode', [{ value: 'text', label: 'Text' }, { value: 'hex', label: 'Hex' }, { value: 'dump', label: 'Dump' }], view.mode, (mode) => {
      view.mode = mode;
      persist();
      log.setContext(rowContext());
    }).root,
    select('Display encoding', TEXT_ENCODINGS.map((e) => ({ value: e, label: e })), displayEncoding(), (value) => {
      view.encoding = value as TextEncodingName;
      persist();
      logWindow.retrack();
      log.setContext(rowContext());
      if (view.filterText.trim() && view.filterKind === 'text') logWindow.refilter();
    }),
    select('Timestamps', [{ value: 'absolute', label: 'Clock time' }, { value: 'relative', label: 'Relative' }], view.timestamps ?? settings.timestamps, (value) => {
      view.timestamps = value as 'absolute' | 'relative';
      persist();
      log.setContext(rowContext());
    }),
    filterInput,
    select('Filter kind', [{ value: 'text', label: 'text' }, { value: 'hex', label: 'hex' }], view.filterKind, (value) => {
      view.filterKind = value as 'text' | 'hex';
      persist();
      logWindow.refilter();
    }),
    select('Direction', [{ value: 'all', label: '⇄ both' }, { value: 'in', label: '← received' }, { value: 'out', label: '→ sent' }], view.direction, (value) => {
      view.direction = value as 'all' | 'in' | 'out';
      persist();
      logWindow.refilter();
    }),
    followButton,
    startButton,
    clearButton,
    copyButton,
    select('Copy format', COPY_FORMATS.map((f) => ({ value: f.id, label: f.label })), view.copyFormat, (value) => {
      view.copyFormat = value as CopyFormat;
      persist();
    }),
    saveButton,
    saveFormat,
  ]);
}

// ---------- sending ----------

/** Fault injection for the next send: how its bytes are cut into writes, and what follows them. */
function createFaultControls(onChange: () => void) {
  const number = (label: string, value: string, min: string) => {
    const input = el('input', { attrs: { type: 'number', min, value, 'aria-label': label, class: 'small' } });
    input.addEventListener('input', onChange);
    return input;
  };
  const checkbox = (label: string) => {
    const input = el('input', { attrs: { type: 'checkbox', 'aria-label': label } });
    input.addEventListener('change', onChange);
    return input;
  };
  const enabled = checkbox('Inject faults');
  const splitInto = number('Split into N writes', '1', '1');
  const splitDelay = number('Pause between split writes in ms', '50', '0');
  const drip = checkbox('Slow drip, one byte per write');
  const dripInterval = number('Drip interval in ms', '20', '0');
  const copies = number('Copies of the payload', '1', '1');
  const coalesce = checkbox('Coalesce the copies into one write');
  const after = select('After the last write', [{ value: 'none', label: 'then nothing' }, { value: 'halfClose', label: 'then half-close (FIN)' }, { value: 'reset', label: 'then reset (RST)' }], 'none', onChange);
  const plan = el('div', { className: 'hint', attrs: { role: 'status', 'aria-label': 'Planned writes' } });
  let problemText: string | undefined;

  const raw = (): FaultOptions => ({
    splitInto: Number(splitInto.value),
    splitDelayMs: Number(splitDelay.value),
    ...(drip.checked ? { dripIntervalMs: Number(dripInterval.value) } : {}),
    coalesce: coalesce.checked,
    after: after.value as FaultOptions['after'],
  });
  const copyCount = (): number => Number(copies.value);

  function options(): { faults: FaultOptions; copies: number } | undefined {
    return enabled.checked ? { faults: raw(), copies: copyCount() } : undefined;
  }

  /** Shows the write pattern the host will make, computed with the same planner it runs. */
  function preview(bytes: Uint8Array | undefined): void {
    problemText = undefined;
    plan.textContent = '';
    if (!enabled.checked) return;
    const n = copyCount();
    if (!Number.isInteger(n) || n < 1 || n > PROTOCOL_LIMITS.maxCopies) {
      problemText = `Copies must be a whole number from 1 to ${PROTOCOL_LIMITS.maxCopies}.`;
      return;
    }
    const checked = validateFaultOptions(raw(), 'Faults');
    if (!checked.ok) {
      problemText = checked.error;
      return;
    }
    if (!bytes || bytes.length === 0) return;
    const planned = planWrites(Array.from({ length: n }, () => bytes), checked.options);
    if (!planned.ok) {
      problemText = planned.error;
      return;
    }
    let at = 0;
    const summary = summariseWrites(planned.writes.map((w) => ({ bytes: w.bytes, at: (at += w.delayBeforeMs) })));
    const tail = checked.options.after === 'halfClose' ? ', then FIN' : checked.options.after === 'reset' ? ', then RST' : '';
    plan.textContent = `Plan: ${summary}${tail}.`;
  }

  const root = el('details', { className: 'faults' }, [
    el('summary', { text: 'Faults' }),
    el('div', { className: 'fields' }, [
      el('label', {}, [enabled, ' Inject faults:']),
      el('span', { text: 'split into' }), splitInto, el('span', { text: 'writes,' }), splitDelay, el('span', { text: 'ms apart;' }),
      el('label', {}, [drip, ' slow drip every']), dripInterval, el('span', { text: 'ms;' }),
      copies, el('span', { text: 'copies,' }), el('label', {}, [coalesce, ' coalesced into one write;']),
      after,
    ]),
    plan,
  ]);
  return { root, options, preview, problem: () => problemText };
}

function createSendBox() {
  const input = el('textarea', { attrs: { rows: '3', spellcheck: 'false', 'aria-label': 'Payload to send', 'aria-describedby': 'send-error', placeholder: 'Payload (Ctrl+Enter sends, ↑/↓ history)' } });
  input.value = view.draft;
  const error = el('div', { className: 'field-error', attrs: { id: 'send-error', 'aria-live': 'polite' } });
  const sendButton = el('button', { text: 'Send', attrs: { type: 'button', class: 'primary' } });
  const presetButton = el('button', { text: 'Save as preset', attrs: { type: 'button' } });
  const targetSelect = el('select', { attrs: { 'aria-label': 'Send to', title: 'Send to' } });
  const repeatToggle = el('input', { attrs: { type: 'checkbox', id: 'repeat', 'aria-label': 'Repeat sending' } });
  const everyInput = el('input', { attrs: { type: 'number', min: String(MIN_REPEAT_MS), value: '1000', 'aria-label': 'Repeat every N milliseconds', class: 'small' } });
  const timesInput = el('input', { attrs: { type: 'number', min: '0', value: '0', 'aria-label': 'Repeat count, 0 = until stopped', class: 'small' } });
  const counter = el('span', { className: 'counter', attrs: { role: 'status', 'aria-live': 'polite' } });
  const stopButton = el('button', { text: 'Stop', attrs: { type: 'button', 'aria-label': 'Stop repeating' } });
  stopButton.disabled = true;
  let historyIndex = -1;
  const faults = createFaultControls(() => validate());

  const format = segmented<PayloadFormat>('Payload format', [{ value: 'text', label: 'Text' }, { value: 'hex', label: 'Hex' }, { value: 'base64', label: 'Base64' }], view.sendFormat, (value) => {
    view.sendFormat = value;
    persist();
    validate();
  });
  const lineEnding = select('Line ending', LINE_ENDINGS.map((e) => ({ value: e, label: { none: 'No line ending', lf: 'LF \\n', cr: 'CR \\r', crlf: 'CRLF \\r\\n' }[e] })), view.lineEnding ?? settings.lineEnding, (value) => {
    view.lineEnding = value as LineEnding;
    persist();
    validate();
  });
  const encoding = select('Send encoding', TEXT_ENCODINGS.map((e) => ({ value: e, label: e })), view.sendEncoding ?? settings.encoding, (value) => {
    view.sendEncoding = value as TextEncodingName;
    persist();
    validate();
  });

  function parse() {
    return parsePayload(input.value, { format: view.sendFormat, encoding: encoding.value as TextEncodingName, lineEnding: lineEnding.value as LineEnding });
  }

  function canSendTo(): string | undefined {
    if (!target) return 'Nothing is open in this panel yet.';
    if (target.kind === 'connection') return targetOpen() ? undefined : 'The connection is closed.';
    // A stopped listener no longer accepts, but the clients it already has can still be talked to.
    if (target.peers.some((p) => p.state === 'open' || p.state === 'halfClosed')) return undefined;
    return target.listening ? 'No client is connected yet.' : 'The listener is stopped and has no clients left.';
  }

  function repeatRunning(): boolean {
    return target?.repeat?.running === true;
  }

  function validate(): boolean {
    const result = parse();
    let problem: string | undefined;
    if (!result.ok) problem = result.error.message;
    else if (result.bytes.length === 0) problem = input.value ? undefined : '';
    faults.preview(result.ok ? result.bytes : undefined);
    if (problem === undefined || problem === '') problem = faults.problem() ?? problem;
    error.textContent = problem ?? '';
    input.setAttribute('aria-invalid', String(!!problem));
    const blocked = problem !== undefined || (result.ok && result.bytes.length === 0) || canSendTo() !== undefined || repeatRunning();
    sendButton.disabled = blocked;
    sendButton.title = canSendTo() ?? (problem || 'Send (Ctrl+Enter)');
    presetButton.disabled = !result.ok || !input.value;
    return !blocked;
  }

  async function sendBytes(bytes: Uint8Array, repeat?: { intervalMs: number; count?: number }): Promise<boolean> {
    const to = target?.kind === 'listener' ? targetSelect.value : undefined;
    const fault = faults.options();
    const reply = await requests.request({
      type: 'send',
      data: bytesToBase64(bytes),
      ...(to ? { to } : {}),
      ...(fault ? { faults: fault.faults as Record<string, unknown>, copies: fault.copies } : {}),
      ...(repeat ? { repeat } : {}),
    });
    if (!reply.ok) error.textContent = reply.error ?? 'Sending failed.';
    if (reply.detail) showNotice(`Written: ${reply.detail}`);
    return reply.ok;
  }

  function remember(): void {
    const entry = { format: view.sendFormat, text: input.value };
    // Big payloads stay out of the history: it lives in the webview state, which should stay small.
    if (entry.text.length > HISTORY_ENTRY_LIMIT) return;
    view.history = [entry, ...view.history.filter((h) => h.text !== entry.text || h.format !== entry.format)].slice(0, HISTORY_LIMIT);
    historyIndex = -1;
    persist();
  }

  /** The repeat runs on the host, so it survives the panel being hidden; this only mirrors its state. */
  function refreshRepeat(): void {
    const repeat = target?.repeat;
    stopButton.disabled = !repeat?.running;
    if (!repeat) counter.textContent = '';
    else if (repeat.running) counter.textContent = repeat.count ? `sent ${repeat.sent} of ${repeat.count}` : `sent ${repeat.sent}`;
    else counter.textContent = repeat.outcome ?? `sent ${repeat.sent}`;
    validate();
  }

  function send(): void {
    if (!validate()) return;
    const result = parse();
    if (!result.ok) return;
    const bytes = result.bytes;
    remember();
    if (!repeatToggle.checked) {
      void sendBytes(bytes);
      return;
    }
    const every = Math.max(MIN_REPEAT_MS, Math.floor(Number(everyInput.value)) || 1000);
    const times = Math.max(0, Math.floor(Number(timesInput.value) || 0));
    counter.textContent = 'starting…';
    void sendBytes(bytes, { intervalMs: every, ...(times ? { count: times } : {}) });
  }

  input.addEventListener('input', () => {
    view.draft = input.value.length <= HISTORY_ENTRY_LIMIT ? input.value : '';
    persist();
    validate();
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      send();
      return;
    }
    const atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    const atEnd = input.selectionStart === input.value.length;
    if (event.key === 'ArrowUp' && (atStart || !input.value.includes('\n')) && view.history.length) {
      event.preventDefault();
      historyIndex = Math.min(view.history.length - 1, historyIndex + 1);
      recall();
    } else if (event.key === 'ArrowDown' && (atEnd || !input.value.includes('\n')) && historyIndex >= 0) {
      event.preventDefault();
      historyIndex--;
      if (historyIndex < 0) input.value = '';
      else recall();
      validate();
    }
  });
  function recall(): void {
    const entry = view.history[historyIndex];
    input.value = entry.text;
    view.sendFormat = entry.format;
    format.set(entry.format);
    validate();
  }
  sendButton.addEventListener('click', () => send());
  stopButton.addEventListener('click', async () => {
    stopButton.disabled = true;
    const reply = await requests.request({ type: 'stopRepeat' });
    if (!reply.ok) showNotice(reply.error ?? 'Could not stop the repeat.');
  });
  presetButton.addEventListener('click', async () => {
    const reply = await requests.request({ type: 'savePreset', format: view.sendFormat, data: input.value, encoding: encoding.value as TextEncodingName, lineEnding: lineEnding.value as LineEnding });
    showNotice(reply.ok ? 'Payload saved into the preset.' : (reply.error ?? 'Could not save the preset.'));
  });

  function refreshTargets(): void {
    if (target?.kind !== 'listener') {
      targetSelect.hidden = true;
      validate();
      return;
    }
    targetSelect.hidden = false;
    const previous = targetSelect.value || 'all';
    const open = target.peers.filter((p) => p.state === 'open' || p.state === 'halfClosed');
    const options = [{ value: 'all', label: `All clients (${open.length})` }, ...open.map((p) => ({ value: p.id, label: `${p.id} ${p.remote ? endpointText(p.remote) : ''}` }))];
    const signature = options.map((o) => o.value + o.label).join('|');
    if (targetSelect.dataset.signature !== signature) {
      targetSelect.dataset.signature = signature;
      targetSelect.replaceChildren(...options.map((o) => el('option', { text: o.label, attrs: { value: o.value } })));
      targetSelect.value = options.some((o) => o.value === previous) ? previous : 'all';
    }
    validate();
  }

  const root = el('section', { className: 'send', attrs: { 'aria-label': 'Send' } }, [
    el('div', { className: 'send-options' }, [format.root, lineEnding, encoding, targetSelect]),
    input,
    error,
    faults.root,
    el('div', { className: 'send-actions' }, [
      sendButton,
      el('label', { className: 'repeat', attrs: { for: 'repeat' } }, [repeatToggle, ' Repeat every']),
      everyInput,
      el('span', { text: 'ms,' }),
      timesInput,
      el('span', { text: 'times (0 = until stopped)' }),
      counter,
      stopButton,
      presetButton,
    ]),
  ]);
  return { root, refreshTargets, refreshRepeat, validate };
}

const sendBox = createSendBox();
const behaviourEditor = createBehaviourEditor({
  request: (body) => requests.request(body),
  notice: (text) => showNotice(text),
});

function showTarget(): void {
  app.replaceChildren(
    el('header', { className: 'header' }, [header.title, header.state, header.addresses, header.totals, header.rate, header.latency, header.close]),
    toolbar(),
    log.root,
    el('div', { className: 'footer' }, [statusLine, noticeLine]),
    behaviourEditor.root,
    sendBox.root,
  );
  updateHeader();
}

// ---------- host messages ----------

function applySettings(next: PanelSettings): void {
  settings = next;
  logWindow.setLimits(settings.maxRecords, settings.maxBytes);
}

function onMessage(message: ToWebviewMessage): void {
  switch (message.type) {
    case 'snapshot': {
      applySettings(message.settings);
      target = message.target;
      rateSamples.length = 0;
      persist();
      if (!target) {
        showForms(message.notice);
        return;
      }
      behaviourEditor.setBehaviour(message.behaviour ?? { framing: { mode: 'none' }, echo: false, rules: [] }, target.kind);
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
      if (target) behaviourEditor.setBehaviour(message.behaviour, target.kind);
      return;
    case 'cleared':
      logWindow.clear();
      selectedRecord = undefined;
      copyButton.disabled = true;
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
