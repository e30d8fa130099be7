// The quick-send bar: the matching preset's payloads as buttons. A click sends (variables resolved,
// checksum appended, with the panel's one counter); Shift+click puts the payload in the send box to
// edit first. A payload's repeat runs on the host's repeater; a sequence is resolved here into bytes
// and patterns and run by the host, so hiding the panel does not cut it short.
import { hexBytes, validateChecksum, type ResolvedChecksum } from '../shared/checksum';
import { encodeText } from '../shared/encodeText';
import { buildPayload } from '../shared/payloadBytes';
import { parseHex } from '../shared/parsePayload';
import type { PresetPayload } from '../shared/preset';
import type { QuickSendInfo } from '../shared/protocol';
import { validatePayloadRepeat, validateSequence, type SequenceWireStep } from '../shared/quickSend';
import type { VariableScope } from '../shared/variables';
import { bytesToBase64 } from './codec';
import { el } from './dom';
import { previewScope, sendScope, type PanelContext } from './panelState';
import { t } from '../shared/l10n';

/** Bytes a tooltip shows before it says how many more there are. */
const TOOLTIP_BYTES = 48;

export interface QuickSendHost {
  /** Puts a payload into the send box (Shift+click). */
  load(payload: PresetPayload, checksum: ResolvedChecksum | undefined): void;
  /** A client id or 'all' in a listener panel. */
  recipient(): string | undefined;
  /** Why nothing can be sent now, if so. */
  canSend(): string | undefined;
}

function checksumOf(payload: PresetPayload): ResolvedChecksum | undefined {
  if (payload.checksum === undefined) return undefined;
  const checked = validateChecksum(payload.checksum);
  return checked.ok ? checked.checksum : undefined;
}

export function createQuickSendBar(ctx: PanelContext, host: QuickSendHost) {
  const root = el('div', { className: 'quick-send', attrs: { role: 'toolbar', 'aria-label': t('Quick send') } });
  root.hidden = true;
  // Tooltips show the bytes the next click sends, counter included: brought up to date on the way in.
  root.addEventListener('pointerenter', () => refresh());
  let info: QuickSendInfo | undefined;
  let buttons: HTMLButtonElement[] = [];

  function bytesOf(payload: PresetPayload, scope: VariableScope) {
    return buildPayload({ format: payload.format, data: payload.data, checksum: checksumOf(payload) }, { encoding: info?.encoding ?? 'utf-8', lineEnding: payload.format === 'text' ? info?.lineEnding ?? 'none' : 'none' }, scope);
  }

  function tooltip(payload: PresetPayload): string {
    const lines: string[] = [];
    if (payload.data !== '') {
      const built = bytesOf(payload, previewScope(ctx));
      if (!built.ok) lines.push(built.error);
      else {
        const shown = hexBytes(built.bytes.subarray(0, TOOLTIP_BYTES));
        lines.push(`${shown}${built.bytes.length > TOOLTIP_BYTES ? ` … (${built.bytes.length} bytes)` : ''}`);
      }
    }
    if (payload.repeat) lines.push(payload.repeat.count ? t('Repeats every {0} ms, {1} times.', payload.repeat.intervalMs, payload.repeat.count) : t('Repeats every {0} ms until stopped.', payload.repeat.intervalMs));
    if (payload.sequence) lines.push(payload.sequence.length === 1 ? t('Then a sequence of 1 step.') : t('Then a sequence of {0} steps.', payload.sequence.length));
    lines.push(t('Click sends; Shift+click edits first.'));
    return lines.join('\n');
  }

  /** The steps the host runs: this payload's data, then each step with its bytes or pattern resolved. */
  function sequenceSteps(payload: PresetPayload, scope: VariableScope): { ok: true; steps: SequenceWireStep[] } | { ok: false; error: string } {
    const all = info?.payloads ?? [];
    const checked = validateSequence(payload.sequence, `"${payload.name}" sequence`, all.map((p) => p.name));
    if (!checked.ok) return checked;
    const steps: SequenceWireStep[] = [];
    const send = (p: PresetPayload): string | undefined => {
      const built = bytesOf(p, scope);
      if (!built.ok) return `"${p.name}": ${built.error}`;
      if (built.bytes.length > 0) steps.push({ kind: 'send', data: bytesToBase64(built.bytes) });
      return undefined;
    };
    const first = payload.data === '' ? undefined : send(payload);
    if (first) return { ok: false, error: first };
    for (const step of checked.steps) {
      if (step.kind === 'send') {
        const named = all.find((p) => p.name === step.payload);
        const error = named && send(named);
        if (error) return { ok: false, error };
      } else if (step.kind === 'delay') {
        steps.push({ kind: 'delay', ms: step.ms });
      } else if (step.match === 'regex') {
        steps.push({ kind: 'expect', match: 'regex', pattern: step.pattern, withinMs: step.withinMs, label: `expect /${step.pattern}/` });
      } else {
        const bytes = step.match === 'hex' ? parseHex(step.pattern) : encodeText(step.pattern, info?.encoding ?? 'utf-8');
        if (!bytes.ok) return { ok: false, error: bytes.error.message };
        steps.push({ kind: 'expect', match: 'bytes', data: bytesToBase64(bytes.bytes), withinMs: step.withinMs, label: `expect ${step.match} ${step.pattern}` });
      }
    }
    return { ok: true, steps };
  }

  async function fire(payload: PresetPayload, button: HTMLButtonElement): Promise<void> {
    const blocked = host.canSend();
    if (blocked) {
      ctx.showNotice(blocked);
      return;
    }
    const to = host.recipient();
    const scope = sendScope(ctx);
    button.disabled = true;
    try {
      if (payload.sequence) {
        const steps = sequenceSteps(payload, scope);
        if (!steps.ok) return ctx.showNotice(t('Quick send "{0}": {1}', payload.name, steps.error));
        ctx.showNotice(`"${payload.name}": running ${steps.steps.length} steps…`);
        const reply = await ctx.request({ type: 'sendSequence', steps: steps.steps, encoding: info?.encoding ?? 'utf-8', ...(to ? { to } : {}) });
        ctx.showNotice(`"${payload.name}": ${reply.ok ? reply.detail ?? t('done.') : reply.error ?? t('the sequence failed.')}`);
        return;
      }
      const built = bytesOf(payload, scope);
      if (!built.ok) return ctx.showNotice(t('Quick send "{0}": {1}', payload.name, built.error));
      const repeat = payload.repeat && validatePayloadRepeat(payload.repeat, 'repeat');
      const reply = await ctx.request({ type: 'send', data: bytesToBase64(built.bytes), ...(to ? { to } : {}), ...(repeat?.ok ? { repeat: repeat.repeat } : {}) });
      ctx.showNotice(reply.ok
        ? repeat?.ok ? t('Sent "{0}" (repeating): {1} bytes.', payload.name, built.bytes.length) : t('Sent "{0}": {1} bytes.', payload.name, built.bytes.length)
        : t('Quick send "{0}": {1}', payload.name, reply.error ?? t('sending failed.')));
    } finally {
      button.disabled = false;
    }
  }

  function render(): void {
    const payloads = info?.payloads ?? [];
    root.hidden = payloads.length === 0;
    buttons = payloads.map((payload) => {
      const button = el('button', { className: 'quick', text: payload.name, attrs: { type: 'button', title: tooltip(payload), 'aria-label': t('Quick send {0}', payload.name) } });
      button.addEventListener('click', (event) => {
        if (event.shiftKey) host.load(payload, checksumOf(payload));
        else void fire(payload, button);
      });
      return button;
    });
    root.replaceChildren(...(info ? [el('span', { className: 'quick-label', text: `${info.preset}:` })] : []), ...buttons);
  }

  /** New payloads from the host (snapshot, settings changed). */
  function set(next: QuickSendInfo | undefined): void {
    info = next;
    render();
  }

  /** Tooltips show the next counter value: refresh them after a send. */
  function refresh(): void {
    const payloads = info?.payloads ?? [];
    buttons.forEach((button, i) => (button.title = tooltip(payloads[i])));
  }

  return { root, set, refresh };
}
