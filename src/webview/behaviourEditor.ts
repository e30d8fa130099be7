// The panel's framing selector and, for listeners, the mock-server controls: echo and the ordered
// auto-reply rules with their live hit counters. Every field is checked as it is typed with the same
// shared validators the host uses, so a problem shows as one sentence before anything is posted; the
// host checks again and runs the rules (they keep answering while the panel is hidden or closed).
import { CHECKSUM_ALGORITHMS, CHECKSUM_INFO, validateChecksum } from '../shared/checksum';
import { FRAMING_MODES, validateFraming, type FramingMode } from '../shared/framing';
import type { BehaviourInfo, ReplyMessage, RequestBody, TargetInfo } from '../shared/protocol';
import { RULE_MATCH_KINDS, validateRule, validateRules } from '../shared/ruleDefinition';
import { el, iconButton, select } from './dom';
import type { IconName } from './icons';
import { t } from '../shared/l10n';

export interface BehaviourEditorHost {
  request(body: RequestBody): Promise<ReplyMessage>;
  notice(text: string): void;
}

type Fields = Record<string, unknown>;

// Functions, not strings: the labels are translated when drawn (the bundle is installed by then anyway).
const MODE_LABELS: Record<FramingMode, () => string> = {
  none: () => t('Raw chunks'),
  delimiter: () => t('Delimiter'),
  lengthPrefix: () => t('Length prefix'),
  fixed: () => t('Fixed size'),
  markers: () => t('Start/end markers'),
};

const MATCH_LABELS: Record<string, () => string> = { exact: () => t('exact'), hexPrefix: () => t('hex prefix'), contains: () => t('contains'), regex: () => t('regex') };

let uid = 0;

function labelled(label: string, input: HTMLElement): HTMLElement {
  const id = input.id || `be-${++uid}`;
  input.id = id;
  return el('span', { className: 'labelled' }, [el('label', { text: label, attrs: { for: id } }), ' ', input]);
}

function textInput(label: string, value: string, onInput: () => void, placeholder = ''): HTMLInputElement {
  const input = el('input', { attrs: { type: 'text', spellcheck: 'false', 'aria-label': label, placeholder } });
  input.value = value;
  input.addEventListener('input', onInput);
  return input;
}

function numberInput(label: string, value: string, onInput: () => void): HTMLInputElement {
  const input = el('input', { attrs: { type: 'number', 'aria-label': label, class: 'small' } });
  input.value = value;
  input.addEventListener('input', onInput);
  return input;
}

function checkbox(label: string, checked: boolean, onChange: () => void): { root: HTMLElement; input: HTMLInputElement } {
  const input = el('input', { attrs: { type: 'checkbox', 'aria-label': label } });
  input.checked = checked;
  input.addEventListener('change', onChange);
  return { root: el('label', {}, [input, ` ${label}`]), input };
}

export function createBehaviourEditor(host: BehaviourEditorHost) {
  let kind: TargetInfo['kind'] = 'connection';
  let applied: BehaviourInfo = { framing: { mode: 'none' }, echo: false, rules: [] };
  let rules: Fields[] = [];
  let editing: number | undefined;
  let hits: NonNullable<Extract<TargetInfo, { kind: 'listener' }>['ruleHits']> = [];

  // ---- framing ----
  const framingError = el('div', { className: 'field-error', attrs: { id: 'framing-error', 'aria-live': 'polite' } });
  const framingFields = el('span', { className: 'fields' });
  let readFraming: () => Fields = () => ({ mode: 'none' });
  const modeSelect = select(t('Framing'), FRAMING_MODES.map((m) => ({ value: m, label: MODE_LABELS[m]() })), 'none', () => buildFramingFields({ mode: modeSelect.value }));
  const applyFraming = el('button', { text: t('Apply framing'), attrs: { type: 'button' } });
  applyFraming.addEventListener('click', () => void commit());

  function buildFramingFields(def: Fields): void {
    const mode = (FRAMING_MODES as readonly string[]).includes(String(def.mode)) ? (def.mode as FramingMode) : 'none';
    modeSelect.value = mode;
    const max = numberInput(t('Max frame bytes'), def.maxFrameBytes === undefined ? '' : String(def.maxFrameBytes), checkFraming);
    max.placeholder = '1048576';
    const parts: HTMLElement[] = [];
    let read: () => Fields;
    const withMax = (fields: Fields): Fields => (max.value.trim() ? { ...fields, maxFrameBytes: Number(max.value) } : fields);
    switch (mode) {
      case 'none':
        read = () => ({ mode: 'none' });
        break;
      case 'delimiter': {
        const delimiter = textInput(t('Delimiter'), String(def.delimiter ?? 'lf'), checkFraming, t('lf, crlf, cr, nul or hex'));
        const keep = checkbox(t('Keep delimiter'), def.keepDelimiter === true, checkFraming);
        parts.push(labelled(t('Delimiter'), delimiter), keep.root);
        read = () => withMax({ mode, delimiter: delimiter.value, keepDelimiter: keep.input.checked });
        break;
      }
      case 'lengthPrefix': {
        const bytes = select(t('Length bytes'), ['1', '2', '4', '8'].map((v) => ({ value: v, label: t('{0}-byte length', v) })), String(def.lengthBytes ?? 2), checkFraming);
        const endian = select(t('Endian'), [{ value: 'big', label: t('big endian') }, { value: 'little', label: t('little endian') }], String(def.endian ?? 'big'), checkFraming);
        const adjustment = numberInput(t('Length adjustment'), String(def.adjustment ?? 0), checkFraming);
        const includes = checkbox(t('Length counts the header'), def.lengthIncludesHeader === true, checkFraming);
        const keep = checkbox(t('Keep header'), def.keepHeader === true, checkFraming);
        parts.push(bytes, endian, labelled(t('Adjustment'), adjustment), includes.root, keep.root);
        read = () =>
          withMax({ mode, lengthBytes: Number(bytes.value), endian: endian.value, adjustment: Number(adjustment.value), lengthIncludesHeader: includes.input.checked, keepHeader: keep.input.checked });
        break;
      }
      case 'fixed': {
        const size = numberInput(t('Frame size in bytes'), String(def.size ?? 16), checkFraming);
        parts.push(labelled(t('Size'), size));
        read = () => withMax({ mode, size: Number(size.value) });
        break;
      }
      case 'markers': {
        const start = textInput(t('Start marker (hex)'), String(def.start ?? '02'), checkFraming);
        const end = textInput(t('End marker (hex)'), String(def.end ?? '03'), checkFraming);
        const keep = checkbox(t('Keep markers'), def.keepMarkers === true, checkFraming);
        parts.push(labelled(t('Start'), start), labelled(t('End'), end), keep.root);
        read = () => withMax({ mode, start: start.value, end: end.value, keepMarkers: keep.input.checked });
        break;
      }
    }
    if (mode !== 'none') {
      // A checksum set in settings keeps its range, order and width while its algorithm stays chosen.
      const saved = def.checksum === undefined ? undefined : validateChecksum(def.checksum);
      const savedChecksum = saved?.ok ? saved.checksum : undefined;
      const checksum = select(t('Verify checksum'), [{ value: '', label: t('no checksum') }, ...CHECKSUM_ALGORITHMS.map((a) => ({ value: a, label: t('check {0}', CHECKSUM_INFO[a].label) }))], savedChecksum?.algorithm ?? '', checkFraming);
      parts.push(labelled(t('Max frame bytes'), max), checksum);
      const cut = read;
      read = () => {
        if (!checksum.value) return cut();
        if (savedChecksum?.algorithm !== checksum.value) return { ...cut(), checksum: { algorithm: checksum.value } };
        const { algorithm, from, toEndMinus, order, width } = savedChecksum;
        return { ...cut(), checksum: { algorithm, from, toEndMinus, order, width } };
      };
    }
    readFraming = read;
    framingFields.replaceChildren(...parts);
    checkFraming();
  }

  function checkFraming(): boolean {
    const result = validateFraming(readFraming(), 'Framing');
    framingError.textContent = result.ok ? '' : result.error;
    applyFraming.disabled = !result.ok;
    return result.ok;
  }

  // ---- echo and rules ----
  const echo = checkbox(t('Echo frames no rule answered'), false, () => void commit());
  const rulesBody = el('tbody');
  const rulesTable = el('table', { className: 'rules-table', attrs: { 'aria-label': t('Auto-reply rules') } }, [
    el('thead', {}, [el('tr', {}, ['#', t('Name'), t('Match'), t('Pattern'), t('Reply'), t('Delay'), t('Hits'), t('State'), ''].map((h) => el('th', { text: h })))]),
    rulesBody,
  ]);
  const ruleName = textInput(t('Rule name'), '', checkRule);
  const ruleMatch = select(t('Match kind'), RULE_MATCH_KINDS.map((k) => ({ value: k, label: MATCH_LABELS[k]?.() ?? k })), 'exact', checkRule);
  const rulePattern = textInput(t('Pattern'), '', checkRule, 'PING, 05 01, ^ORDER (\\d+)$');
  const replyFormat = select(t('Reply format'), [{ value: 'text', label: t('text reply') }, { value: 'hex', label: t('hex reply') }], 'text', checkRule);
  const ruleReply = textInput(t('Reply'), '', checkRule, 'PONG $1\\n or ${name}');
  const ruleDelay = numberInput(t('Reply delay in ms'), '0', checkRule);
  const ruleClose = checkbox(t('Close after reply'), false, checkRule);
  const ruleError = el('div', { className: 'field-error', attrs: { id: 'rule-error', 'aria-live': 'polite' } });
  const saveRule = el('button', { text: t('Add rule'), attrs: { type: 'button' } });
  const cancelEdit = el('button', { text: t('Cancel'), attrs: { type: 'button' } });
  cancelEdit.hidden = true;

  function readRule(): Fields {
    // Reply escapes such as \n are typed as two characters; the rule format wants the real character.
    const reply = replyFormat.value === 'text' ? ruleReply.value.replace(/\\(n|r|t|\\)/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t', '\\': '\\' })[c] ?? c) : ruleReply.value;
    const rule: Fields = { match: ruleMatch.value, pattern: rulePattern.value, delayMs: Number(ruleDelay.value || 0) };
    if (ruleName.value.trim()) rule.name = ruleName.value.trim();
    if (ruleReply.value !== '') rule.reply = reply;
    if (replyFormat.value === 'hex') rule.replyFormat = 'hex';
    if (ruleClose.input.checked) rule.closeAfterReply = true;
    return rule;
  }

  function checkRule(): boolean {
    const position = editing ?? rules.length;
    const result = validateRule(readRule(), `Rule ${position + 1}`);
    ruleError.textContent = result.ok || (rulePattern.value === '' && ruleReply.value === '') ? '' : result.error;
    saveRule.disabled = !result.ok;
    return result.ok;
  }

  function loadRule(rule: Fields | undefined): void {
    ruleName.value = typeof rule?.name === 'string' ? rule.name : '';
    ruleMatch.value = typeof rule?.match === 'string' ? rule.match : 'exact';
    rulePattern.value = typeof rule?.pattern === 'string' ? rule.pattern : '';
    replyFormat.value = rule?.replyFormat === 'hex' ? 'hex' : 'text';
    const reply = typeof rule?.reply === 'string' ? rule.reply : '';
    ruleReply.value = replyFormat.value === 'text' ? reply.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t') : reply;
    ruleDelay.value = String(typeof rule?.delayMs === 'number' ? rule.delayMs : 0);
    ruleClose.input.checked = rule?.closeAfterReply === true;
    saveRule.textContent = editing === undefined ? t('Add rule') : t('Save rule {0}', editing + 1);
    cancelEdit.hidden = editing === undefined;
    checkRule();
  }

  saveRule.addEventListener('click', () => {
    if (!checkRule()) return;
    const next = [...rules];
    if (editing === undefined) next.push(readRule());
    else next[editing] = readRule();
    editing = undefined;
    void commit(next).then((ok) => {
      if (ok) loadRule(undefined);
    });
  });
  cancelEdit.addEventListener('click', () => {
    editing = undefined;
    loadRule(undefined);
  });

  function ruleButton(iconName: IconName, label: string, action: () => void, disabled = false): HTMLButtonElement {
    const button = iconButton(iconName, label);
    button.disabled = disabled;
    button.addEventListener('click', action);
    return button;
  }

  function renderRules(): void {
    rulesBody.replaceChildren(
      ...rules.map((rule, index) => {
        const status = hits[index];
        const off = rule.enabled === false || (status !== undefined && !status.enabled);
        const state = status?.disabledReason ? t('switched off: {0}', status.disabledReason) : rule.enabled === false ? t('disabled') : t('on');
        const move = (delta: number) => () => {
          const next = [...rules];
          [next[index], next[index + delta]] = [next[index + delta], next[index]];
          void commit(next);
        };
        const name = typeof rule.name === 'string' && rule.name ? rule.name : t('rule {0}', index + 1);
        return el('tr', { className: off ? 'disabled' : '', attrs: { 'data-rule': String(index) } }, [
          el('td', { text: String(index + 1) }),
          el('td', { text: name }),
          el('td', { text: MATCH_LABELS[String(rule.match)]?.() ?? String(rule.match) }),
          el('td', { text: String(rule.pattern ?? '') }),
          el('td', { text: rule.reply === undefined ? t('(none)') : `${rule.replyFormat === 'hex' ? 'hex ' : ''}${JSON.stringify(rule.reply)}` }),
          el('td', { text: rule.delayMs ? `${String(rule.delayMs)} ms` : '' }),
          el('td', { className: 'rule-hits', text: String(status?.hits ?? 0) }),
          el('td', { className: 'rule-state', text: state + (rule.closeAfterReply ? t(', closes') : ''), attrs: { 'data-state': status?.disabledReason ? 'switchedOff' : rule.enabled === false ? 'disabled' : 'on' } }),
          el('td', {}, [
            ruleButton('edit', t('Edit rule {0}', index + 1), () => {
              editing = index;
              loadRule(rule);
            }),
            ruleButton('arrow-up', t('Move rule {0} up', index + 1), move(-1), index === 0),
            ruleButton('arrow-down', t('Move rule {0} down', index + 1), move(1), index === rules.length - 1),
            ruleButton('trash', t('Remove rule {0}', index + 1), () => {
              if (editing === index) editing = undefined;
              void commit(rules.filter((_, i) => i !== index));
            }),
          ]),
        ]);
      }),
    );
  }

  // ---- applying and saving ----
  const saveButton = el('button', { text: t('Save into preset'), attrs: { type: 'button' } });
  saveButton.addEventListener('click', async () => {
    const reply = await host.request({ type: 'saveBehaviour' });
    host.notice(reply.ok ? t('Framing, echo and rules saved into the preset.') : (reply.error ?? t('Could not save into the preset.')));
  });

  /** Sends the framing fields, echo and `nextRules` to the host; the host's answer decides. */
  async function commit(nextRules: Fields[] = rules): Promise<boolean> {
    if (!checkFraming()) return false;
    const checkedRules = validateRules(nextRules, 'rules');
    if (!checkedRules.ok) {
      ruleError.textContent = checkedRules.error;
      return false;
    }
    const behaviour: BehaviourInfo = { framing: readFraming(), echo: kind === 'listener' && echo.input.checked, rules: kind === 'listener' ? nextRules : [] };
    const reply = await host.request({ type: 'behaviour', behaviour });
    if (!reply.ok) {
      ruleError.textContent = reply.error ?? t('The host refused the change.');
      // The toggle shows what the listener does, not what was asked for.
      echo.input.checked = applied.echo;
      return false;
    }
    applied = behaviour;
    rules = nextRules;
    renderRules();
    host.notice(kind === 'listener' ? t('Applied: {0}.', describeApplied()) : t('Framing applied.'));
    return true;
  }

  function describeApplied(): string {
    const mode = MODE_LABELS[applied.framing.mode as FramingMode]?.() ?? t('framing');
    const rules = applied.rules.length === 1 ? t('1 rule') : t('{0} rules', applied.rules.length);
    return applied.echo ? t('{0}, echo on, {1}', mode, rules) : t('{0}, echo off, {1}', mode, rules);
  }

  const mockSection = el('div', { className: 'mock' }, [
    echo.root,
    rulesTable,
    el('div', { className: 'fields', attrs: { role: 'group', 'aria-label': t('Rule editor') } }, [
      labelled(t('Name'), ruleName),
      ruleMatch,
      labelled(t('Pattern'), rulePattern),
      replyFormat,
      labelled(t('Reply'), ruleReply),
      labelled(t('Delay ms'), ruleDelay),
      ruleClose.root,
      saveRule,
      cancelEdit,
    ]),
    ruleError,
  ]);
  const summary = el('summary', { text: t('Framing') });
  const root = el('details', { className: 'behaviour' }, [
    summary,
    el('div', { className: 'fields' }, [modeSelect, framingFields, applyFraming]),
    framingError,
    mockSection,
    el('div', { className: 'fields' }, [saveButton]),
  ]);

  return {
    root,
    /** The host's current definition (snapshot, or a change made elsewhere). */
    setBehaviour(behaviour: BehaviourInfo, targetKind: TargetInfo['kind']): void {
      kind = targetKind;
      applied = behaviour;
      rules = behaviour.rules.map((r) => ({ ...r }));
      editing = undefined;
      echo.input.checked = behaviour.echo;
      mockSection.hidden = kind !== 'listener';
      summary.textContent = kind === 'listener' ? t('Framing, echo and auto-reply rules') : t('Framing');
      buildFramingFields(behaviour.framing);
      loadRule(undefined);
      renderRules();
    },
    /** Live hit counters and switched-off rules. */
    refreshTarget(target: TargetInfo): void {
      const next = target.kind === 'listener' ? (target.ruleHits ?? []) : [];
      if (JSON.stringify(next) === JSON.stringify(hits)) return;
      hits = next;
      renderRules();
    },
  };
}
