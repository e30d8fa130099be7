// Tiny DOM builder. It only ever sets properties, attributes and textContent: peer bytes can
// never become markup, whatever they contain.
import { iconClass, type IconName } from './icons';

type Child = Node | string | undefined | false;

export interface ElementOptions {
  className?: string;
  text?: string;
  attrs?: Record<string, string>;
  /** Event listeners, attached with addEventListener (the CSP forbids inline handlers). */
  on?: Partial<Record<keyof HTMLElementEventMap, (event: Event) => void>>;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, options: ElementOptions = {}, children: Child[] = []): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs ?? {})) node.setAttribute(name, value);
  for (const [name, listener] of Object.entries(options.on ?? {})) node.addEventListener(name, listener as EventListener);
  for (const child of children) {
    if (child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

export function option(value: string, label: string, selected = false): HTMLOptionElement {
  const node = el('option', { text: label });
  node.value = value;
  node.selected = selected;
  return node;
}

/** A select with its options, current value and change listener. */
export function select(label: string, options: readonly { value: string; label: string }[], value: string, onChange: (value: string) => void): HTMLSelectElement {
  const node = el('select', { attrs: { 'aria-label': label, title: label } });
  for (const o of options) node.append(option(o.value, o.label, o.value === value));
  node.addEventListener('change', () => onChange(node.value));
  return node;
}

/** A group of toggle buttons behaving as a radio group (arrow keys move, one pressed). */
export function segmented<T extends string>(label: string, items: readonly { value: T; label: string }[], value: T, onChange: (value: T) => void): { root: HTMLElement; set(value: T): void } {
  const root = el('div', { className: 'segmented', attrs: { role: 'radiogroup', 'aria-label': label } });
  const buttons = items.map((item) =>
    el('button', { text: item.label, attrs: { type: 'button', role: 'radio', 'data-value': item.value } }),
  );
  const set = (next: T): void => {
    for (const button of buttons) {
      const on = button.dataset.value === next;
      button.setAttribute('aria-checked', String(on));
      button.tabIndex = on ? 0 : -1;
    }
  };
  buttons.forEach((button, index) => {
    button.addEventListener('click', () => {
      set(items[index].value);
      onChange(items[index].value);
    });
    button.addEventListener('keydown', (event) => {
      const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
      if (!step) return;
      event.preventDefault();
      const next = (index + step + items.length) % items.length;
      buttons[next].focus();
      buttons[next].click();
    });
    root.append(button);
  });
  set(value);
  return { root, set };
}

/**
 * A codicon (VS Code's own icon font, shipped in dist/codicons). Decorative: the control or row it
 * sits in carries the accessible name, so the glyph is hidden from assistive tools.
 */
export function icon(name: IconName): HTMLElement {
  return el('span', { className: iconClass(name), attrs: { 'aria-hidden': 'true' } });
}

/**
 * A toolbar action drawn as an icon, like VS Code's own view toolbars: the tooltip (`title`) says
 * what it does, `aria-label` names it for screen readers and tests.
 */
export function iconButton(name: IconName, label: string, title = label): HTMLButtonElement {
  return el('button', { className: 'icon-button', attrs: { type: 'button', 'aria-label': label, title } }, [icon(name)]);
}

/** Swaps the icon of an icon button (a toggle whose glyph follows its state). */
export function setIcon(button: HTMLElement, name: IconName): void {
  const glyph = button.querySelector('.codicon');
  if (glyph) glyph.className = iconClass(name);
}
