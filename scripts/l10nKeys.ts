// Which strings TCP Lab translates, and whether every translation file has exactly those: the
// strings of `vscode.l10n.t(...)` (host) and of `t(...)` from `shared/l10n.ts` (app, webview) in
// the source, and the `%key%` values of package.json. Used by `npm run l10n:check` and the unit test.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** The languages TCP Lab ships; each has a `package.nls.<id>.json` and an `l10n/bundle.l10n.<id>.json`. */
export const LOCALES = ['zh-cn', 'ja'] as const;

export interface SourceString {
  key: string;
  /** Where it is first used, as `src/host/x.ts:12`. */
  where: string;
}

export interface Extraction {
  strings: Map<string, SourceString>;
  /** Calls whose text cannot be read without running the code (a variable, `${}` in a template). */
  problems: string[];
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

/** The text of a string literal or a template without substitutions; undefined for anything else. */
function literalText(node: ts.Expression): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  return undefined;
}

/** `vscode.l10n.t`, or `t` imported from a module named `l10n` (the shared one). */
function isTranslateCall(call: ts.CallExpression, localT: Set<string>): boolean {
  const callee = call.expression;
  if (ts.isPropertyAccessExpression(callee) && callee.name.text === 't') {
    const owner = callee.expression;
    return ts.isPropertyAccessExpression(owner) ? owner.name.text === 'l10n' : ts.isIdentifier(owner) && owner.text === 'l10n';
  }
  return ts.isIdentifier(callee) && localT.has(callee.text);
}

/** Names under which a file imports `t` from an `l10n` module (`import { t } from '../shared/l10n'`). */
function importedTranslators(file: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  for (const statement of file.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    if (!/(^|\/)l10n$/.test(statement.moduleSpecifier.text)) continue;
    const bindings = statement.importClause?.namedBindings;
    if (bindings && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) if ((element.propertyName ?? element.name).text === 't') names.add(element.name.text);
    }
  }
  return names;
}

/** The bundle key of one call: its message, or `message/comment` for the object form (as VS Code looks it up). */
function keyOf(call: ts.CallExpression): string | undefined {
  const first = call.arguments[0];
  if (!first) return undefined;
  const text = literalText(first);
  if (text !== undefined) return text;
  if (!ts.isObjectLiteralExpression(first)) return undefined;
  let message: string | undefined;
  let comment = '';
  for (const property of first.properties) {
    if (!ts.isPropertyAssignment(property) || !ts.isIdentifier(property.name)) continue;
    if (property.name.text === 'message') message = literalText(property.initializer);
    if (property.name.text === 'comment') {
      const value = property.initializer;
      if (ts.isArrayLiteralExpression(value)) comment = value.elements.map((e) => literalText(e) ?? '').join('');
      else comment = literalText(value) ?? '';
    }
  }
  if (message === undefined) return undefined;
  return comment ? `${message}/${comment}` : message;
}

/** Every translatable string under `src` of the repository at `root`. */
export function extractSourceStrings(root: string): Extraction {
  const strings = new Map<string, SourceString>();
  const problems: string[] = [];
  for (const path of sourceFiles(join(root, 'src'))) {
    if (path.endsWith(join('shared', 'l10n.ts'))) continue;
    const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
    const localT = importedTranslators(file);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && isTranslateCall(node, localT)) {
        const where = `${relative(root, path).split('\\').join('/')}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
        const key = keyOf(node);
        if (key === undefined) problems.push(`${where}: the text of this l10n call is not a literal, so no bundle can translate it; pass the text as a literal and the values as {0}, {1} arguments.`);
        else if (!strings.has(key)) strings.set(key, { key, where });
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return { strings, problems };
}

/** The `%key%` names package.json refers to, anywhere in it. */
export function manifestKeys(manifest: unknown): Set<string> {
  const keys = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      const match = /^%([^%\s]+)%$/.exec(value);
      if (match?.[1]) keys.add(match[1]);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(manifest);
  return keys;
}

type Json = Record<string, unknown>;
const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const isKey = (value: unknown): boolean => typeof value !== 'string' || /^%[^%\s]+%$/.test(value);

/**
 * The user-facing texts package.json still writes out in English instead of naming a `%key%`: command
 * titles, view names and welcome texts, setting descriptions, walkthroughs. Another contributor's new
 * command shows up here, so the lead can move its title into package.nls.json and translate it.
 */
export function literalManifestTexts(manifest: Json): string[] {
  const found: string[] = [];
  const contributes = (manifest.contributes ?? {}) as Json;
  const check = (where: string, value: unknown): void => {
    if (!isKey(value)) found.push(`package.json: ${where} is English text (${JSON.stringify(value)}); name it %key% and put the text in package.nls.json.`);
  };
  for (const command of list(contributes.commands)) check(`the title of ${String(command.command)}`, command.title);
  for (const views of Object.values((contributes.views ?? {}) as Record<string, unknown>)) for (const view of list(views)) check(`the name of view ${String(view.id)}`, view.name);
  for (const welcome of list(contributes.viewsWelcome)) check(`the welcome text of ${String(welcome.view)}`, welcome.contents);
  for (const section of list(contributes.configuration)) {
    for (const [key, schema] of Object.entries((section.properties ?? {}) as Record<string, Json>)) {
      check(`the description of ${key}`, schema.markdownDescription ?? schema.description);
    }
  }
  for (const walkthrough of list(contributes.walkthroughs)) {
    check(`the title of walkthrough ${String(walkthrough.id)}`, walkthrough.title);
    check(`the description of walkthrough ${String(walkthrough.id)}`, walkthrough.description);
    for (const step of list(walkthrough.steps)) {
      check(`the title of walkthrough step ${String(step.id)}`, step.title);
      check(`the description of walkthrough step ${String(step.id)}`, step.description);
    }
  }
  return found;
}

/** `{0}`, `{1}` … of a text, sorted, so a translation may reorder them but not drop or add one. */
export function placeholders(text: string): string[] {
  return (text.match(/\{\d+\}/g) ?? []).sort();
}

function readJson(path: string): Record<string, string> | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>) : undefined;
}

export interface Missing {
  /** The file that lacks the keys, relative to the repository. */
  file: string;
  /** Key → the English text to translate. */
  entries: Record<string, string>;
}

export interface L10nReport {
  problems: string[];
  /** What each translation file lacks, ready to be filled in. */
  missing: Missing[];
}

/** Compares the source and package.json with package.nls*.json and l10n/bundle.l10n.*.json. */
export function checkL10n(root: string): L10nReport {
  const problems: string[] = [];
  const missing: Missing[] = [];
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Json & { l10n?: string };
  if (manifest.l10n !== './l10n') problems.push('package.json: "l10n" must be "./l10n", or VS Code never loads the bundles.');
  problems.push(...literalManifestTexts(manifest as Json));

  const compare = (file: string, expected: Map<string, string>, actual: Record<string, string> | undefined): void => {
    if (!actual) {
      problems.push(`${file} does not exist.`);
      missing.push({ file, entries: Object.fromEntries(expected) });
      return;
    }
    const lacking: Record<string, string> = {};
    for (const [key, english] of expected) {
      const translated = actual[key];
      if (typeof translated !== 'string' || translated.trim() === '') {
        lacking[key] = english;
        problems.push(`${file}: missing ${JSON.stringify(key)}.`);
      } else if (placeholders(translated).join() !== placeholders(english).join()) {
        problems.push(`${file}: ${JSON.stringify(key)} has placeholders ${placeholders(translated).join(' ') || 'none'}, the English ${placeholders(english).join(' ') || 'none'}.`);
      }
    }
    for (const key of Object.keys(actual)) if (!expected.has(key)) problems.push(`${file}: ${JSON.stringify(key)} is not used any more; remove it.`);
    if (Object.keys(lacking).length > 0) missing.push({ file, entries: lacking });
  };

  const english = readJson(join(root, 'package.nls.json'));
  const keys = manifestKeys(manifest);
  const nlsExpected = new Map<string, string>();
  for (const key of keys) {
    if (english?.[key] === undefined) problems.push(`package.nls.json: missing %${key}% (package.json uses it).`);
    else nlsExpected.set(key, english[key]);
  }
  for (const key of Object.keys(english ?? {})) if (!keys.has(key)) problems.push(`package.nls.json: "${key}" is not used in package.json; remove it.`);

  const extraction = extractSourceStrings(root);
  problems.push(...extraction.problems);
  const sourceExpected = new Map([...extraction.strings.keys()].map((key) => [key, key]));

  for (const locale of LOCALES) {
    compare(`package.nls.${locale}.json`, nlsExpected, readJson(join(root, `package.nls.${locale}.json`)));
    compare(`l10n/bundle.l10n.${locale}.json`, sourceExpected, readJson(join(root, 'l10n', `bundle.l10n.${locale}.json`)));
  }
  return { problems, missing };
}
