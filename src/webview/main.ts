// The traffic panel's browser side. It asks the host for a snapshot (`ready`), then keeps a
// bounded copy of the traffic and draws it through the virtual log. Everything peer-controlled
// reaches the DOM as textContent only.
import { PROTOCOL_LIMITS, RequestTracker, type PanelSettings, type TargetInfo, type ToWebviewMessage, type WireRecord } from '../shared/protocol';
import { LINE_ENDINGS, TEXT_ENCODINGS, type LineEnding, type PayloadFormat, type TextEncodingName } from '../shared/payloadTypes';
import { COPY_FORMATS, formatForCopy, type CopyFormat } from '../shared/copyFormats';
import { parsePayload } from '../shared/parsePayload';
import { bytesToBase64, indexOfBytes, parseHexPattern, toVisibleText } from './codec';
import { el, segmented, select } from './dom';
import { bytesOf, RecordStore, type LogRecord } from './recordStore';
import { VirtualLog, type RowContext, type ViewMode } from './virtualLog';

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
const store = new RecordStore(settings.maxRecords, settings.maxBytes);
let following = true;
let renderQueued = false;
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
  const origin = target ? (target.kind === 'connection' ? target.openedAt : target.startedAt) : (store[Symbol.iterator]().next().value?.time ?? 0);
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
const log = new VirtualLog(rowContext(), {
  onSelect: (record) => {
    selectedRecord = record;
    copyButton.disabled = false;
  },
  onActivate: () => undefined,
  onUserScrollUp: () => setFollowing(false),
});
log.root.addEventListener('keydown', (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'c' && selectedRecord) {
    event.preventDefault();
    copySelected();
  }
});

let filterBytes: Uint8Array | undefined;
let filterNeedle = '';

function compileFilter(): void {
  filterNeedle = view.filterText.trim().toLowerCase();
  filterBytes = view.filterKind === 'hex' ? parseHexPattern(view.filterText) : undefined;
}

function matches(record: LogRecord): boolean {
  if (view.direction !== 'all' && record.dir !== view.direction) return false;
  if (!filterNeedle) return true;
  if (view.filterKind === 'hex') return filterBytes ? indexOfBytes(bytesOf(record), filterBytes) >= 0 : true;
  return toVisibleText(bytesOf(record), displayEncoding()).toLowerCase().includes(filterNeedle);
}

function refilter(): void {
  compileFilter();
  const kept: LogRecord[] = [];
  for (const record of store) if (matches(record)) kept.push(record);
  log.reset(kept);
  scheduleRender();
}

function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    if (following) log.scrollToEnd();
    log.render();
    updateStatus();
  });
}

function appendRecords(records: WireRecord[]): void {
  for (const wire of records) {
    const record = store.append(wire);
    if (matches(record)) log.push(record);
  }
  log.evictBefore(store.firstSeq);
  if (selectedRecord && selectedRecord.seq < store.firstSeq) selectedRecord = undefined;
  scheduleRender();
}

// ---------- shared widgets ----------

const statusLine = el('div', { className: 'status', attrs: { role: 'status', 'aria-live': 'polite' } });
const noticeLine = el('div', { className: 'notice', attrs: { role: 'status' } });
const followButton = el('button', { text: 'Pause autoscroll', attrs: { type: 'button', 'aria-pressed': 'false' } });
followButton.addEventListener('click', () => setFollowing(!following));
const copyButton = el('button', { text: 'Copy as', attrs: { type: 'button', title: 'Copy the selected record (Ctrl+C in the log)' } });
copyButton.disabled = true;
copyButton.addEventListener('click', () => copySelected());

function setFollowing(next: boolean): void {
  following = next;
  followButton.textContent = following ? 'Pause autoscroll' : 'Resume autoscroll';
  followButton.setAttribute('aria-pressed', String(!following));
  if (following) scheduleRender();
}

function copySelected(): void {
  if (!selectedRecord) return;
  const text = formatForCopy(bytesOf(selectedRecord), view.copyFormat, displayEncoding());
  if (text.length > PROTOCOL_LIMITS.maxCopyChars) {
    showNotice('That record is too large to copy; use Save log instead.');
    return;
  }
  vscode.postMessage({ type: 'copy', text });
  showNotice(`Copied record #${selectedRecord.seq} as ${COPY_FORMATS.find((f) => f.id === view.copyFormat)?.label}.`);
}

function showNotice(text: string): void {
  noticeLine.textContent = text;
}

function updateStatus(): void {
  const shown = log.count;
  statusLine.textContent = `${store.size} records kept${shown !== store.size ? `, ${shown} shown` : ''}${store.evicted ? `, ${store.evicted} older ones dropped by the log limits` : ''}`;
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
    header.state.textContent = t.state + (t.closeReason ? ` (${t.closeReason})` : '');
    header.state.dataset.state = t.state;
    header.addresses.textContent = `${t.local ? endpointText(t.local) : '?'} ⇄ ${t.remote ? endpointText(t.remote) : '?'}`;
    header.close.textContent = 'Disconnect';
  } else {
    const open = t.peers.filter((p) => p.state === 'open' || p.state === 'halfClosed').length;
    header.title.textContent = `Listener ${t.id}`;
    header.state.textContent = t.listening ? `listening, ${open} client${open === 1 ? '' : 's'}` : 'stopped';
    header.state.dataset.state = t.listening ? 'open' : 'closed';
    header.addresses.textContent = t.local ? endpointText(t.local) : `${t.host}:${t.requestedPort}`;
    header.close.textContent = 'Stop listener';
  }
  header.close.disabled = !targetOpen();
  header.totals.textContent = `in ${formatBytes(t.totals.bytesIn)} / ${t.totals.messagesIn} msg · out ${formatBytes(t.totals.bytesOut)} / ${t.totals.messagesOut} msg`;
  header.rate.textContent = `${formatBytes(Math.round(rate))}/s`;
  sendBox.refreshTargets();
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
      refilter();
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
      log.setContext(rowContext());
      if (filterNeedle && view.filterKind === 'text') refilter();
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
      refilter();
    }),
    select('Direction', [{ value: 'all', label: '⇄ both' }, { value: 'in', label: '← received' }, { value: 'out', label: '→ sent' }], view.direction, (value) => {
      view.direction = value as 'all' | 'in' | 'out';
      persist();
      refilter();
    }),
    followButton,
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
  const stopButton = el('button', { text: 'Stop', attrs: { type: 'button' } });
  stopButton.disabled = true;
  let historyIndex = -1;
  let repeatTimer: ReturnType<typeof setInterval> | undefined;
  let repeatSent = 0;

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

  function validate(): boolean {
    const result = parse();
    let problem: string | undefined;
    if (!result.ok) problem = result.error.message;
    else if (result.bytes.length === 0) problem = input.value ? undefined : '';
    error.textContent = problem ?? '';
    input.setAttribute('aria-invalid', String(!!problem));
    const blocked = problem !== undefined || (result.ok && result.bytes.length === 0) || canSendTo() !== undefined || repeatTimer !== undefined;
    sendButton.disabled = blocked;
    sendButton.title = canSendTo() ?? (problem || 'Send (Ctrl+Enter)');
    presetButton.disabled = !result.ok || !input.value;
    return !blocked;
  }

  async function sendOnce(bytes: Uint8Array): Promise<boolean> {
    const to = target?.kind === 'listener' ? targetSelect.value : undefined;
    const reply = await requests.request({ type: 'send', data: bytesToBase64(bytes), ...(to ? { to } : {}) });
    if (!reply.ok) error.textContent = reply.error ?? 'Sending failed.';
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

  function stopRepeat(): void {
    if (repeatTimer !== undefined) clearInterval(repeatTimer);
    repeatTimer = undefined;
    stopButton.disabled = true;
    validate();
  }

  function send(): void {
    if (!validate()) return;
    const result = parse();
    if (!result.ok) return;
    const bytes = result.bytes;
    remember();
    if (!repeatToggle.checked) {
      void sendOnce(bytes);
      return;
    }
    const every = Math.max(MIN_REPEAT_MS, Number(everyInput.value) || 1000);
    const times = Math.max(0, Math.floor(Number(timesInput.value) || 0));
    repeatSent = 0;
    const tick = (): void => {
      repeatSent++;
      counter.textContent = times ? `sent ${repeatSent} of ${times}` : `sent ${repeatSent}`;
      void sendOnce(bytes).then((ok) => {
        if (!ok) stopRepeat();
      });
      if (times && repeatSent >= times) stopRepeat();
    };
    repeatTimer = setInterval(tick, every);
    stopButton.disabled = false;
    tick();
    validate();
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
  stopButton.addEventListener('click', () => {
    stopRepeat();
    counter.textContent = `stopped after ${repeatSent}`;
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
  return { root, refreshTargets, validate, stop: stopRepeat };
}

const sendBox = createSendBox();

function showTarget(): void {
  app.replaceChildren(
    el('header', { className: 'header' }, [header.title, header.state, header.addresses, header.totals, header.rate, header.close]),
    toolbar(),
    log.root,
    el('div', { className: 'footer' }, [statusLine, noticeLine]),
    sendBox.root,
  );
  updateHeader();
}

// ---------- host messages ----------

function applySettings(next: PanelSettings): void {
  settings = next;
  store.setLimits(settings.maxRecords, settings.maxBytes);
}

function onMessage(message: ToWebviewMessage): void {
  switch (message.type) {
    case 'snapshot': {
      applySettings(message.settings);
      const previousId = target?.id;
      target = message.target;
      rateSamples.length = 0;
      store.clear();
      store.evicted = message.evicted;
      if (previousId !== target?.id) sendBox.stop();
      persist();
      if (!target) {
        showForms(message.notice);
        return;
      }
      for (const wire of message.records) store.append(wire);
      refilter();
      log.setContext(rowContext());
      showTarget();
      setFollowing(true);
      if (message.notice) showNotice(message.notice);
      return;
    }
    case 'traffic':
      store.evicted += message.dropped;
      appendRecords(message.records);
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
      log.setContext(rowContext());
      refilter();
      return;
    case 'cleared':
      store.clear();
      selectedRecord = undefined;
      copyButton.disabled = true;
      refilter();
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
window.addEventListener('resize', () => scheduleRender());

vscode.postMessage({ type: 'ready' });
