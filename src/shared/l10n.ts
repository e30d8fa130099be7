// Translated strings for the layers that cannot import `vscode`: the app layer's tree labels and the
// webview. The host installs the same bundle `vscode.l10n` loaded (`vscode.l10n.bundle`), and hands
// it to the panel in its page, so one `l10n/bundle.l10n.<locale>.json` serves every layer.
// Keys are the English text itself, as with `vscode.l10n.t`, so an untranslated string reads as English.

/** English text → translated text, as in `l10n/bundle.l10n.<locale>.json`. */
export type L10nBundle = Record<string, string>;

let bundle: L10nBundle = {};

/** Installs the bundle every later `t` call reads; an empty one means English. */
export function setL10nBundle(next: L10nBundle | undefined): void {
  bundle = next ?? {};
}

/**
 * The translation of `message` with `{0}`, `{1}`, … replaced by `args`, like `vscode.l10n.t`:
 * a placeholder without an argument stays as written, so `{{variables}}` in a message survive.
 */
export function t(message: string, ...args: (string | number | boolean)[]): string {
  const text = bundle[message] ?? message;
  if (args.length === 0) return text;
  return text.replace(/\{(\d+)\}/g, (whole, index: string) => {
    const value = args[Number(index)];
    return value === undefined ? whole : String(value);
  });
}
