// The panel's HTML shell. Kept free of `vscode` so the browser tests load exactly the page the
// extension serves. Everything visible is built by the script; the page itself carries no data.

export interface PanelHtmlOptions {
  /** The webview's `cspSource` (where styles and fonts may come from). */
  cspSource: string;
  /** One-time nonce; the only script allowed to run carries it. */
  nonce: string;
  scriptUri: string;
  styleUri: string;
  /** The codicon stylesheet (its font is loaded from beside it, under `font-src`). */
  codiconsUri: string;
  title: string;
  /** The page's language (`vscode.env.language`), for the browser's fonts, hyphenation and screen readers. */
  language?: string;
  /** The translations the panel's script reads (`vscode.l10n.bundle`); none means English. */
  l10n?: Record<string, string>;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderPanelHtml(options: PanelHtmlOptions): string {
  const csp = [
    "default-src 'none'",
    `style-src ${options.cspSource}`,
    `font-src ${options.cspSource}`,
    `img-src ${options.cspSource}`,
    `script-src 'nonce-${options.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="${escapeAttribute(options.language ?? 'en')}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(options.codiconsUri)}">
<link rel="stylesheet" href="${escapeAttribute(options.styleUri)}">
<title>${escapeAttribute(options.title)}</title>
</head>
<body data-l10n="${escapeAttribute(JSON.stringify(options.l10n ?? {}))}">
<script nonce="${escapeAttribute(options.nonce)}" src="${escapeAttribute(options.scriptUri)}"></script>
</body>
</html>
`;
}
