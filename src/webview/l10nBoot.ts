// Installs the translations the host wrote into the page (`<body data-l10n>`, see app/panelHtml.ts)
// before any other panel module builds a label: main.ts imports this file first, and modules run in
// import order. A page without them (or with a broken attribute) shows English.
import { setL10nBundle, type L10nBundle } from '../shared/l10n';

function pageBundle(): L10nBundle | undefined {
  const raw = document.body.dataset.l10n;
  if (!raw) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === 'object' ? (parsed as L10nBundle) : undefined;
  } catch {
    return undefined;
  }
}

setL10nBundle(pageBundle());
