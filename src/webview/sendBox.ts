// The send box: payload in text, hex or base64 with live validation, history, the target picker
// of a listener panel, a checksum appended with a live preview, dynamic variables, faults for the
// next send, and a repeat that runs on the host.
import { CHECKSUM_ALGORITHMS, CHECKSUM_INFO, describeAppended, validateChecksum, type ChecksumDefinition, type ResolvedChecksum } from '../shared/checksum';
import { planWrites, summariseWrites, validateFaultOptions, type FaultOptions } from '../shared/faultPlan';
import { buildPayload, type PayloadBuild } from '../shared/payloadBytes';
import { findPlaceholders, type VariableScope } from '../shared/variables';
import { LINE_ENDINGS, TEXT_ENCODINGS, type LineEnding, type PayloadFormat, type TextEncodingName } from '../shared/payloadTypes';
import { PROTOCOL_LIMITS } from '../shared/protocol';
import { bytesToBase64 } from './codec';
import { el, segmented, select } from './dom';
import { endpointText, isTargetOpen, previewScope, sendScope, type PanelContext } from './panelState';
import { t } from '../shared/l10n';

const HISTORY_LIMIT = 50;

const HISTORY_ENTRY_LIMIT = 64 * 1024;
const MIN_REPEAT_MS = 10;

/** The checksum picker: an algorithm, the covered range and the byte order, checked as typed. */
export function createChecksumControls(initial: ChecksumDefinition | undefined, onChange: () => void) {
  const algorithm = el('select', { attrs: { 'aria-label': t('Append checksum'), title: t('Append a checksum to every send') } });
  algorithm.replaceChildren(
    el('option', { text: t('No checksum'), attrs: { value: '' } }),
    ...CHECKSUM_ALGORITHMS.map((a) => el('option', { text: `+ ${CHECKSUM_INFO[a].label}`, attrs: { value: a } })),
  );
  const number = (label: string, value: number | undefined) => el('input', { attrs: { type: 'number', min: '0', value: String(value ?? 0), 'aria-label': label, class: 'small' } });
  const from = number(t('Checksum from byte'), initial?.from);
  const minus = number(t('Checksum to the end minus N bytes'), initial?.toEndMinus);
  const order = el('select', { attrs: { 'aria-label': t('Checksum byte order') } });
  order.replaceChildren(el('option', { text: t('big endian'), attrs: { value: 'big' } }), el('option', { text: t('little endian'), attrs: { value: 'little' } }));
  const range = el('span', { className: 'checksum-range' }, [el('span', { text: t('from byte') }), from, el('span', { text: t('to end −') }), minus, order]);
  const known = initial && validateChecksum(initial);
  algorithm.value = known?.ok ? known.checksum.algorithm : '';
  order.value = known?.ok ? known.checksum.order : 'big';
  const refresh = () => {
    range.hidden = algorithm.value === '';
  };
  algorithm.addEventListener('change', () => {
    // A new algorithm starts from its usual byte order (little for Modbus), which the user may then change.
    if (algorithm.value) order.value = CHECKSUM_INFO[algorithm.value as keyof typeof CHECKSUM_INFO].order;
    refresh();
    onChange();
  });
  for (const input of [from, minus, order]) input.addEventListener('input', onChange);
  refresh();

  /** The definition as chosen (for the view state), or undefined for none. */
  function definition(): ChecksumDefinition | undefined {
    if (!algorithm.value) return undefined;
    return { algorithm: algorithm.value, from: Number(from.value), toEndMinus: Number(minus.value), order: order.value as 'big' | 'little' };
  }
  function resolved(): { ok: true; checksum?: ResolvedChecksum } | { ok: false; error: string } {
    const def = definition();
    if (!def) return { ok: true };
    const checked = validateChecksum(def, 'Checksum');
    return checked.ok ? { ok: true, checksum: checked.checksum } : checked;
  }
  /** Shows a preset payload's checksum (Shift+click on a quick-send button), or none. */
  function set(checksum: ResolvedChecksum | undefined): void {
    algorithm.value = checksum?.algorithm ?? '';
    from.value = String(checksum?.from ?? 0);
    minus.value = String(checksum?.toEndMinus ?? 0);
    order.value = checksum?.order ?? 'big';
    refresh();
  }
  return { algorithm, range, definition, resolved, set };
}

/** Fault injection for the next send: how its bytes are cut into writes, and what follows them. */
export function createFaultControls(onChange: () => void) {
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
  const enabled = checkbox(t('Inject faults'));
  const splitInto = number(t('Split into N writes'), '1', '1');
  const splitDelay = number(t('Pause between split writes in ms'), '50', '0');
  const drip = checkbox(t('Slow drip, one byte per write'));
  const dripInterval = number(t('Drip interval in ms'), '20', '0');
  const copies = number(t('Copies of the payload'), '1', '1');
  const coalesce = checkbox(t('Coalesce the copies into one write'));
  const after = select(t('After the last write'), [{ value: 'none', label: t('then nothing') }, { value: 'halfClose', label: t('then half-close (FIN)') }, { value: 'reset', label: t('then reset (RST)') }], 'none', onChange);
  const plan = el('div', { className: 'hint', attrs: { role: 'status', 'aria-label': t('Planned writes') } });
  const summary = el('summary', { text: t('Faults') });
  let problemText: string | undefined;
  let armedText: string | undefined;

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

  /**
   * Shows the write pattern the host will make, computed with the same planner it runs, and keeps
   * the armed state visible on the section's summary even while it is collapsed.
   */
  function preview(bytes: Uint8Array | undefined): void {
    problemText = undefined;
    plan.textContent = '';
    armedText = enabled.checked ? describe(bytes) : undefined;
    summary.textContent = armedText ? t('Faults: armed, {0}', armedText) : t('Faults');
    root.classList.toggle('armed', armedText !== undefined);
  }

  /** What the next send will do, in a few words ("3 writes, then RST"); sets problemText when it cannot. */
  function describe(bytes: Uint8Array | undefined): string {
    const n = copyCount();
    if (!Number.isInteger(n) || n < 1 || n > PROTOCOL_LIMITS.maxCopies) {
      problemText = t('Copies must be a whole number from 1 to {0}.', PROTOCOL_LIMITS.maxCopies);
      return t('options to fix');
    }
    const checked = validateFaultOptions(raw(), 'Faults');
    if (!checked.ok) {
      problemText = checked.error;
      return t('options to fix');
    }
    const tail = checked.options.after === 'halfClose' ? t(', then FIN') : checked.options.after === 'reset' ? t(', then RST') : '';
    if (!bytes || bytes.length === 0) return `${t('split and timed')}${tail}`;
    const planned = planWrites(Array.from({ length: n }, () => bytes), checked.options);
    if (!planned.ok) {
      problemText = planned.error;
      return t('options to fix');
    }
    let at = 0;
    plan.textContent = `${t('Plan:')} ${summariseWrites(planned.writes.map((w) => ({ bytes: w.bytes, at: (at += w.delayBeforeMs) })))}${tail}.`;
    const count = planned.writes.length;
    return `${count === 1 ? t('1 write') : t('{0} writes', count)}${tail}`;
  }

  const root = el('details', { className: 'faults' }, [
    summary,
    el('div', { className: 'fields' }, [
      el('label', {}, [enabled, ' Inject faults:']),
      el('span', { text: t('split into') }), splitInto, el('span', { text: t('writes,') }), splitDelay, el('span', { text: t('ms apart;') }),
      el('label', {}, [drip, ' slow drip every']), dripInterval, el('span', { text: 'ms;' }),
      copies, el('span', { text: 'copies,' }), el('label', {}, [coalesce, ' coalesced into one write;']),
      after,
    ]),
    plan,
  ]);
  return { root, options, preview, problem: () => problemText, armed: () => armedText };
}

export function createSendBox(ctx: PanelContext) {
  const input = el('textarea', { attrs: { rows: '3', spellcheck: 'false', 'aria-label': t('Payload to send'), 'aria-describedby': 'send-error', placeholder: t('Payload (Ctrl+Enter sends, ↑/↓ history)') } });
  input.value = ctx.view.draft;
  const error = el('div', { className: 'field-error', attrs: { id: 'send-error', 'aria-live': 'polite' } });
  const sendButton = el('button', { text: t('Send'), attrs: { type: 'button', class: 'primary' } });
  const presetButton = el('button', { text: t('Save as preset'), attrs: { type: 'button' } });
  const targetSelect = el('select', { attrs: { 'aria-label': t('Send to'), title: t('Send to') } });
  // A proxy's bytes can go either way: to the upstream as if the client sent them, or to the client as if the upstream did.
  const streamSelect = select(t('Inject into'), [{ value: 'upstream', label: t('inject → upstream (as the client)') }, { value: 'downstream', label: t('inject → client (as the upstream)') }], 'upstream', () => undefined);
  streamSelect.hidden = true;
  const repeatToggle = el('input', { attrs: { type: 'checkbox', id: 'repeat', 'aria-label': t('Repeat sending') } });
  const everyInput = el('input', { attrs: { type: 'number', min: String(MIN_REPEAT_MS), value: '1000', 'aria-label': t('Repeat every N milliseconds'), class: 'small' } });
  const timesInput = el('input', { attrs: { type: 'number', min: '0', value: '0', 'aria-label': t('Repeat count, 0 = until stopped'), class: 'small' } });
  const counter = el('span', { className: 'counter', attrs: { role: 'status', 'aria-live': 'polite' } });
  const stopButton = el('button', { text: t('Stop'), attrs: { type: 'button', 'aria-label': t('Stop repeating') } });
  stopButton.disabled = true;
  let historyIndex = -1;
  const faults = createFaultControls(() => validate());
  const checksum = createChecksumControls(ctx.view.sendChecksum, () => {
    ctx.view.sendChecksum = checksum.definition();
    ctx.persist();
    validate();
  });
  const preview = el('div', { className: 'hint checksum-preview', attrs: { role: 'status', 'aria-label': t('Checksum appended') } });

  const format = segmented<PayloadFormat>(t('Payload format'), [{ value: 'text', label: t('Text') }, { value: 'hex', label: t('Hex') }, { value: 'base64', label: 'Base64' }], ctx.view.sendFormat, (value) => {
    ctx.view.sendFormat = value;
    ctx.persist();
    validate();
  });
  const lineEnding = select(t('Line ending'), LINE_ENDINGS.map((e) => ({ value: e, label: { none: t('No line ending'), lf: 'LF \\n', cr: 'CR \\r', crlf: 'CRLF \\r\\n' }[e] })), ctx.view.lineEnding ?? ctx.settings().lineEnding, (value) => {
    ctx.view.lineEnding = value as LineEnding;
    ctx.persist();
    validate();
  });
  const encoding = select(t('Send encoding'), TEXT_ENCODINGS.map((e) => ({ value: e, label: e })), ctx.view.sendEncoding ?? ctx.settings().encoding, (value) => {
    ctx.view.sendEncoding = value as TextEncodingName;
    ctx.persist();
    validate();
  });

  /** The bytes the send box holds; `scope` is the send's (it uses up a counter value) or the preview's. */
  function parse(scope: VariableScope = previewScope(ctx)): PayloadBuild {
    const chosen = checksum.resolved();
    if (!chosen.ok) return chosen;
    return buildPayload({ format: ctx.view.sendFormat, data: input.value, checksum: chosen.checksum }, { encoding: encoding.value as TextEncodingName, lineEnding: lineEnding.value as LineEnding }, scope);
  }

  function showPreview(result: PayloadBuild): void {
    const chosen = checksum.resolved();
    if (!result.ok || !result.checksum || !chosen.ok || !chosen.checksum) {
      preview.textContent = '';
      return;
    }
    const variable = findPlaceholders(input.value).some((p) => p.name.startsWith('$'));
    preview.textContent = `${describeAppended(result.checksum, chosen.checksum)}${variable ? t(', over the variables as they would be now') : ''}`;
  }

  function canSendTo(): string | undefined {
    const target = ctx.target();
    if (!target) return t('Nothing is open in this panel yet.');
    if (target.kind === 'connection') return isTargetOpen(target) ? undefined : t('The connection is closed.');
    // A stopped listener no longer accepts, but the clients it already has can still be talked to.
    if (target.peers.some((p) => p.state === 'open' || p.state === 'halfClosed')) return undefined;
    return target.listening ? t('No client is connected yet.') : t('The listener is stopped and has no clients left.');
  }

  function repeatRunning(): boolean {
    const target = ctx.target();
    return target?.repeat?.running === true;
  }

  function validate(): boolean {
    const result = parse();
    showPreview(result);
    let problem: string | undefined;
    if (!result.ok) problem = result.error;
    else if (result.bytes.length === 0) problem = input.value ? undefined : '';
    faults.preview(result.ok ? result.bytes : undefined);
    if (problem === undefined || problem === '') problem = faults.problem() ?? problem;
    error.textContent = problem ?? '';
    input.setAttribute('aria-invalid', String(!!problem));
    const blocked = problem !== undefined || (result.ok && result.bytes.length === 0) || canSendTo() !== undefined || repeatRunning();
    sendButton.disabled = blocked;
    // Armed faults change what Send does: the button says so, also while the Faults section is closed.
    const armed = faults.armed();
    sendButton.textContent = armed ? t('Send ({0})', armed) : t('Send');
    sendButton.title = canSendTo() ?? (problem || t('Send (Ctrl+Enter)'));
    presetButton.disabled = !result.ok || !input.value;
    return !blocked;
  }

  async function sendBytes(bytes: Uint8Array, repeat?: { intervalMs: number; count?: number }): Promise<boolean> {
    const target = ctx.target();
    const to = target?.kind === 'listener' ? targetSelect.value : undefined;
    const fault = faults.options();
    const reply = await ctx.request({
      type: 'send',
      data: bytesToBase64(bytes),
      ...(to ? { to } : {}),
      ...(target?.proxy ? { stream: streamSelect.value as 'upstream' | 'downstream' } : {}),
      ...(fault ? { faults: fault.faults as Record<string, unknown>, copies: fault.copies } : {}),
      ...(repeat ? { repeat } : {}),
    });
    if (!reply.ok) error.textContent = reply.error ?? t('Sending failed.');
    if (reply.detail) ctx.showNotice(`Written: ${reply.detail}`);
    return reply.ok;
  }

  function remember(): void {
    const entry = { format: ctx.view.sendFormat, text: input.value };
    // Big payloads stay out of the history: it lives in the webview state, which should stay small.
    if (entry.text.length > HISTORY_ENTRY_LIMIT) return;
    ctx.view.history = [entry, ...ctx.view.history.filter((h) => h.text !== entry.text || h.format !== entry.format)].slice(0, HISTORY_LIMIT);
    historyIndex = -1;
    ctx.persist();
  }

  /** The repeat runs on the host, so it survives the panel being hidden; this only mirrors its state. */
  function refreshRepeat(): void {
    const target = ctx.target();
    const repeat = target?.repeat;
    stopButton.disabled = !repeat?.running;
    if (!repeat) counter.textContent = '';
    else if (repeat.running) counter.textContent = repeat.count ? `sent ${repeat.sent} of ${repeat.count}` : `sent ${repeat.sent}`;
    else counter.textContent = repeat.outcome ?? `sent ${repeat.sent}`;
    validate();
  }

  function send(): void {
    if (!validate()) return;
    const result = parse(sendScope(ctx));
    if (!result.ok) {
      error.textContent = result.error;
      return;
    }
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
    ctx.view.draft = input.value.length <= HISTORY_ENTRY_LIMIT ? input.value : '';
    ctx.persist();
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
    if (event.key === 'ArrowUp' && (atStart || !input.value.includes('\n')) && ctx.view.history.length) {
      event.preventDefault();
      historyIndex = Math.min(ctx.view.history.length - 1, historyIndex + 1);
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
    const entry = ctx.view.history[historyIndex];
    input.value = entry.text;
    ctx.view.sendFormat = entry.format;
    format.set(entry.format);
    validate();
  }
  sendButton.addEventListener('click', () => send());
  stopButton.addEventListener('click', async () => {
    stopButton.disabled = true;
    const reply = await ctx.request({ type: 'stopRepeat' });
    if (!reply.ok) ctx.showNotice(reply.error ?? t('Could not stop the repeat.'));
  });
  presetButton.addEventListener('click', async () => {
    const chosen = checksum.definition();
    const reply = await ctx.request({ type: 'savePreset', format: ctx.view.sendFormat, data: input.value, encoding: encoding.value as TextEncodingName, lineEnding: lineEnding.value as LineEnding, ...(chosen ? { checksum: chosen } : {}) });
    ctx.showNotice(reply.ok ? t('Payload saved into the preset.') : (reply.error ?? t('Could not save the preset.')));
  });

  function refreshTargets(): void {
    const target = ctx.target();
    streamSelect.hidden = !target?.proxy;
    if (target?.kind !== 'listener') {
      targetSelect.hidden = true;
      validate();
      return;
    }
    targetSelect.hidden = false;
    const previous = targetSelect.value || 'all';
    const open = target.peers.filter((p) => p.state === 'open' || p.state === 'halfClosed');
    const options = [{ value: 'all', label: t('All clients ({0})', open.length) }, ...open.map((p) => ({ value: p.id, label: `${p.id} ${p.remote ? endpointText(p.remote) : ''}` }))];
    const signature = options.map((o) => o.value + o.label).join('|');
    if (targetSelect.dataset.signature !== signature) {
      targetSelect.dataset.signature = signature;
      targetSelect.replaceChildren(...options.map((o) => el('option', { text: o.label, attrs: { value: o.value } })));
      targetSelect.value = options.some((o) => o.value === previous) ? previous : 'all';
    }
    validate();
  }

  const root = el('section', { className: 'send', attrs: { 'aria-label': t('Send') } }, [
    el('div', { className: 'send-options' }, [format.root, lineEnding, encoding, checksum.algorithm, checksum.range, targetSelect, streamSelect]),
    input,
    preview,
    error,
    el('div', { className: 'send-actions' }, [
      sendButton,
      el('label', { className: 'repeat', attrs: { for: 'repeat' } }, [repeatToggle, ` ${t('Repeat every')}`]),
      everyInput,
      el('span', { text: t('ms,') }),
      timesInput,
      el('span', { text: t('times (0 = until stopped)') }),
      counter,
      stopButton,
      presetButton,
    ]),
  ]);
  /** Puts a payload into the box to edit before sending (Shift+click on a quick-send button). */
  function load(payload: { format: PayloadFormat; data: string }, payloadChecksum: ResolvedChecksum | undefined): void {
    ctx.view.sendFormat = payload.format;
    format.set(payload.format);
    input.value = payload.data;
    ctx.view.draft = payload.data.length <= HISTORY_ENTRY_LIMIT ? payload.data : '';
    checksum.set(payloadChecksum);
    ctx.view.sendChecksum = checksum.definition();
    ctx.persist();
    validate();
    input.focus();
  }

  /** Who a send goes to: a client id or 'all' in a listener panel, undefined in a connection panel. */
  function recipient(): string | undefined {
    return ctx.target()?.kind === 'listener' ? targetSelect.value || 'all' : undefined;
  }

  /** The Faults section; the panel places it beside or under the log with the other sections. */
  return { root, faults: faults.root, refreshTargets, refreshRepeat, validate, load, recipient, canSend: canSendTo };
}
