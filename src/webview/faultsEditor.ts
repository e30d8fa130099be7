// A proxy panel's faults ("toxics"): the list in force with Edit and Remove, and a form to add or
// change one with Toxiproxy's names and units, a toxicity, a seed and an optional content trigger.
// Changes apply live on the host (open pairs included); the host validates every field and its one
// sentence shows under the form. The list is the host's: it is redrawn from each target update.
import type { ProxyPanelInfo, ReplyMessage, RequestBody } from '../shared/protocol';
import { RULE_MATCH_KINDS } from '../shared/ruleDefinition';
import { TOXIC_STREAMS, TOXIC_TYPES, validateToxic, type ToxicDefinition, type ToxicStream, type ToxicType } from '../shared/toxics';
import { TOXIC_ATTRIBUTE_FIELDS as ATTRIBUTES, TOXIC_STREAM_LABELS as STREAM_LABELS, TOXIC_TYPE_HINTS, describeToxicAttributes, type ToxicAttributeField as AttributeField } from '../shared/toxicFields';
import { el, select } from './dom';
import { t } from '../shared/l10n';

export interface FaultsEditorHost {
  request(body: RequestBody): Promise<ReplyMessage>;
  notice(text: string): void;
}

const TYPE_LABELS: Record<ToxicType, string> = Object.fromEntries(TOXIC_TYPES.map((type) => [type, `${type}: ${TOXIC_TYPE_HINTS[type]}`])) as Record<ToxicType, string>;

const MATCH_LABELS: Record<string, string> = { exact: 'exact', hexPrefix: 'hex prefix', contains: 'contains', regex: 'regex' };

let uid = 0;

function labelled(label: string, input: HTMLElement): HTMLElement {
  input.id ||= `fe-${++uid}`;
  return el('span', { className: 'labelled' }, [el('label', { text: label, attrs: { for: input.id } }), ' ', input]);
}

function input(label: string, value: string, type: 'text' | 'number' = 'text'): HTMLInputElement {
  const node = el('input', { attrs: { type, spellcheck: 'false', 'aria-label': label, ...(type === 'number' ? { class: 'small' } : {}) } });
  node.value = value;
  return node;
}

/** "latency 200 ms ± 20", "rate 10", "…": one line about a fault's attributes. */
export function describeAttributes(toxic: ToxicDefinition): string {
  return describeToxicAttributes(toxic.type, toxic.attributes as Record<string, unknown>);
}

/** "contains "ERR"", for the list: how a content trigger picks its frames. */
export function describeTrigger(toxic: ToxicDefinition): string {
  if (!toxic.when) return 'every byte';
  return `frames: ${MATCH_LABELS[toxic.when.match] ?? toxic.when.match} ${JSON.stringify(toxic.when.pattern)}${toxic.when.patternFormat === 'hex' ? ' (hex)' : ''}`;
}

export function createFaultsEditor(host: FaultsEditorHost) {
  let toxics: ToxicDefinition[] = [];
  let editing: string | undefined;
  const summary = el('summary', { text: t('Proxy faults') });
  const list = el('table', { className: 'rules-table faults-table', attrs: { 'aria-label': t('Faults in force') } });
  const empty = el('p', { className: 'hint', text: t('No faults: bytes are relayed as they come. Add one below; it applies at once, to open pairs too.') });
  const error = el('div', { className: 'field-error', attrs: { id: 'fault-error', 'aria-live': 'polite' } });

  const typeSelect = select(t('Fault type'), TOXIC_TYPES.map((type) => ({ value: type, label: TYPE_LABELS[type] })), 'latency', () => buildAttributes({}));
  const streamSelect = select(t('Stream'), TOXIC_STREAMS.map((s) => ({ value: s, label: STREAM_LABELS[s] })), 'downstream', () => undefined);
  const nameInput = input(t('Fault name'), '');
  nameInput.placeholder = 'type_stream';
  const toxicityInput = input(t('Toxicity (0 to 1)'), '1', 'number');
  toxicityInput.step = '0.1';
  const seedInput = input(t('Seed (optional)'), '', 'number');
  const attributeFields = el('span', { className: 'fields' });
  let attributeInputs: { field: AttributeField; input: HTMLInputElement }[] = [];
  const whenToggle = el('input', { attrs: { type: 'checkbox', 'aria-label': t('Only frames whose content matches') } });
  const matchSelect = select(t('Match'), RULE_MATCH_KINDS.map((m) => ({ value: m, label: MATCH_LABELS[m] ?? m })), 'contains', () => undefined);
  const patternInput = input(t('Pattern'), '');
  const patternFormat = select(t('Pattern format'), [{ value: 'text', label: 'text' }, { value: 'hex', label: 'hex' }], 'text', () => undefined);
  const whenFields = el('span', { className: 'fields' }, [matchSelect, patternInput, patternFormat]);
  const submit = el('button', { text: t('Add fault'), attrs: { type: 'button', class: 'primary' } });
  const cancel = el('button', { text: t('Cancel'), attrs: { type: 'button' } });
  whenToggle.addEventListener('change', () => (whenFields.hidden = !whenToggle.checked));
  whenFields.hidden = true;
  cancel.hidden = true;

  function buildAttributes(values: Record<string, unknown>): void {
    const type = typeSelect.value as ToxicType;
    attributeInputs = ATTRIBUTES[type].map((field) => ({ field, input: input(field.label, values[field.key] === undefined ? '' : String(values[field.key]), field.text ? 'text' : 'number') }));
    attributeFields.replaceChildren(...attributeInputs.map(({ field, input }) => labelled(field.label, input)));
    if (attributeInputs.length === 0) attributeFields.append(el('span', { className: 'hint', text: t('no attributes') }));
  }

  /** The fault as the form says, in Toxiproxy's JSON; numbers stay numbers, blanks are left out. */
  function read(): Record<string, unknown> {
    const type = typeSelect.value as ToxicType;
    const stream = streamSelect.value as ToxicStream;
    const attributes: Record<string, unknown> = {};
    for (const { field, input } of attributeInputs) {
      const value = input.value.trim();
      if (value === '' && field.optional) continue;
      attributes[field.key] = field.text ? input.value : value === '' ? undefined : Number(value);
    }
    const toxic: Record<string, unknown> = {
      name: nameInput.value.trim() || `${type}_${stream}`,
      type,
      stream,
      toxicity: toxicityInput.value.trim() === '' ? 1 : Number(toxicityInput.value),
      attributes,
    };
    if (seedInput.value.trim() !== '') toxic.seed = Number(seedInput.value);
    if (whenToggle.checked) toxic.when = { match: matchSelect.value, pattern: patternInput.value, ...(patternFormat.value === 'hex' ? { patternFormat: 'hex' } : {}) };
    return toxic;
  }

  function load(toxic: ToxicDefinition | undefined): void {
    editing = toxic?.name;
    typeSelect.value = toxic?.type ?? 'latency';
    streamSelect.value = toxic?.stream ?? 'downstream';
    nameInput.value = toxic?.name ?? '';
    toxicityInput.value = String(toxic?.toxicity ?? 1);
    seedInput.value = toxic?.seed === undefined ? '' : String(toxic.seed);
    whenToggle.checked = toxic?.when !== undefined;
    whenFields.hidden = !whenToggle.checked;
    matchSelect.value = toxic?.when?.match ?? 'contains';
    patternInput.value = toxic?.when?.pattern ?? '';
    patternFormat.value = toxic?.when?.patternFormat ?? 'text';
    buildAttributes((toxic?.attributes as Record<string, unknown> | undefined) ?? {});
    submit.textContent = editing === undefined ? t('Add fault') : t('Save {0}', editing);
    cancel.hidden = editing === undefined;
    error.textContent = '';
  }

  /** The engine's own validation as the form is filled in: one sentence, and no Add until it is fixed. */
  function check(): boolean {
    const checked = validateToxic(read(), 'fault');
    error.textContent = checked.ok ? '' : checked.error;
    submit.disabled = !checked.ok;
    return checked.ok;
  }

  submit.addEventListener('click', async () => {
    if (!check()) return;
    submit.disabled = true;
    error.textContent = '';
    const toxic = read();
    const reply = await host.request({ type: 'toxic', toxic, ...(editing !== undefined ? { replaces: editing } : {}) });
    submit.disabled = false;
    if (!reply.ok) {
      error.textContent = reply.error ?? t('The fault was not accepted.');
      return;
    }
    host.notice(editing === undefined ? t('Added fault {0}; it applies now.', String(toxic.name)) : t('Changed fault {0}.', String(toxic.name)));
    load(undefined);
  });
  cancel.addEventListener('click', () => load(undefined));

  function render(): void {
    summary.textContent = toxics.length ? (toxics.length === 1 ? t('Proxy faults: 1 fault in force') : t('Proxy faults: {0} faults in force', toxics.length)) : t('Proxy faults');
    root.classList.toggle('armed', toxics.length > 0);
    empty.hidden = toxics.length > 0;
    list.hidden = toxics.length === 0;
    list.replaceChildren(
      el('tr', {}, ['name', 'type', 'stream', 'toxicity', 'attributes', 'applies to', ''].map((h) => el('th', { text: h }))),
      ...toxics.map((toxic) => {
        const edit = el('button', { text: t('Edit'), attrs: { type: 'button', 'aria-label': t('Edit fault {0}', toxic.name) } });
        const remove = el('button', { text: t('Remove'), attrs: { type: 'button', 'aria-label': t('Remove fault {0}', toxic.name) } });
        edit.addEventListener('click', () => load(toxic));
        remove.addEventListener('click', async () => {
          remove.disabled = true;
          const reply = await host.request({ type: 'removeToxic', name: toxic.name });
          if (!reply.ok) {
            remove.disabled = false;
            host.notice(reply.error ?? t('Could not remove {0}.', toxic.name));
          } else host.notice(t('Removed fault {0}.', toxic.name));
        });
        return el('tr', { attrs: { 'data-fault': toxic.name } }, [
          el('td', { text: toxic.name }),
          el('td', { text: toxic.type }),
          el('td', { text: toxic.stream }),
          el('td', { text: String(toxic.toxicity) }),
          el('td', { text: describeAttributes(toxic) }),
          el('td', { text: describeTrigger(toxic) }),
          el('td', {}, [edit, remove]),
        ]);
      }),
    );
  }

  const root = el('details', { className: 'proxy-faults' }, [
    summary,
    empty,
    list,
    el('div', { className: 'fields' }, [labelled('type', typeSelect), labelled('stream', streamSelect), labelled('name', nameInput), labelled('toxicity', toxicityInput), labelled('seed', seedInput)]),
    attributeFields,
    el('div', { className: 'fields' }, [el('label', {}, [whenToggle, ' only frames that match']), whenFields]),
    el('div', { className: 'fields' }, [submit, cancel]),
    error,
  ]);
  root.hidden = true;
  // Fields are rebuilt with the type: listen on the section, not on each input.
  root.addEventListener('input', (event) => {
    if (!list.contains(event.target as Node)) check();
  });
  root.addEventListener('change', (event) => {
    if (!list.contains(event.target as Node)) check();
  });
  load(undefined);
  render();

  /** Shows the proxy's faults (or hides the section for a target that is not a proxy). */
  function set(proxy: ProxyPanelInfo | undefined): void {
    root.hidden = proxy === undefined;
    const next = proxy?.toxics ?? [];
    if (JSON.stringify(next) === JSON.stringify(toxics)) return;
    toxics = next;
    render();
  }

  return { root, set };
}
