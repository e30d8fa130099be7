// The codicons the panel draws. The build ships only these glyphs (a 4 KB subset of the 120 KB font,
// scripts/build.mjs reads this list), and `icon()` accepts only these names: a new icon is added
// here, or it does not compile.
export const PANEL_ICONS = [
  'arrow-down',
  'arrow-left',
  'arrow-right',
  'arrow-swap',
  'arrow-up',
  'chevron-down',
  'chevron-right',
  'circle-small-filled',
  'clear-all',
  'copy',
  'debug-disconnect',
  'debug-pause',
  'debug-stop',
  'edit',
  'lock',
  'play',
  'save',
  'symbol-numeric',
  'trash',
  'word-wrap',
] as const;

export type IconName = (typeof PANEL_ICONS)[number];

/** The classes that draw a codicon. */
export function iconClass(name: IconName): string {
  return `codicon codicon-${name}`;
}
