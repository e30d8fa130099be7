// `npm run l10n:check`: lists every string a translation file lacks or no longer needs, and exits 1
// if there is one. `--missing` prints the lacking entries as JSON (English as the value), one object
// per file, ready to be translated and merged into that file.
import { checkL10n } from './l10nKeys';
import { resolve } from 'node:path';

const report = checkL10n(resolve(__dirname, '..'));
if (process.argv.includes('--missing')) {
  console.log(JSON.stringify(Object.fromEntries(report.missing.map((m) => [m.file, m.entries])), null, 2));
} else {
  for (const problem of report.problems) console.log(problem);
  console.log(report.problems.length === 0 ? 'l10n: every string has a zh-CN and a Japanese translation.' : `l10n: ${report.problems.length} problem(s); npm run l10n:check -- --missing prints what to translate.`);
}
process.exitCode = report.problems.length === 0 ? 0 : 1;
