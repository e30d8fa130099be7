// Machine-readable reports of a `tcp-lab-test` run for CI servers: JUnit XML (read by GitHub Actions
// test-report actions, GitLab's `artifacts:reports:junit` and Jenkins' junit step) and TAP 13.
// Pure text from the results, so the CLI decides where it goes and tests read it without sockets.
import { formatBlockResult } from './report';
import type { BlockResult } from './runner';

/** One .tcp file's outcome: its block results and the errors that fail the file on their own. */
export interface FileReport {
  file: string;
  results: BlockResult[];
  /** Error diagnostics (`file:line:col message`) and unreadable files: each fails the file. */
  errors: string[];
}

export type ReporterName = 'text' | 'junit' | 'tap';
export const REPORTERS: readonly ReporterName[] = ['text', 'junit', 'tap'];

/** XML 1.0 cannot carry most control characters even escaped; peer bytes may hold any of them. */
function xmlText(text: string): string {
  return text
    .replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** The first line a CI server shows in its summary; the whole story goes in the element's body. */
function failureMessage(result: BlockResult): string {
  if (result.status === 'error') return result.error ?? 'The block could not run.';
  const first = result.expectations.find((e) => e.status === 'failed');
  return first ? `line ${first.range.line + 1}: ${first.title}: ${first.message ?? 'Failed.'}` : 'Failed.';
}

/** The detail lines of formatBlockResult, without its header line and indent. */
function failureDetail(result: BlockResult): string {
  return formatBlockResult(result, '')
    .slice(1)
    .map((line) => line.replace(/^ {4}/, ''))
    .join('\n');
}

export function junitReport(files: FileReport[]): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const all = files.flatMap((f) => f.results);
  const count = (f: FileReport, s: BlockResult['status']) => f.results.filter((r) => r.status === s).length;
  const time = (rs: BlockResult[]) => seconds(rs.reduce((sum, r) => sum + r.durationMs, 0));
  // A file's own errors count as one errored test case, so a report alone shows the run failed.
  const fileErrorCases = files.filter((f) => f.errors.length > 0).length;
  const totalFailures = all.filter((r) => r.status === 'failed').length;
  const totalErrors = all.filter((r) => r.status === 'error').length + fileErrorCases;
  out.push(`<testsuites name="tcp-lab-test" tests="${all.length + fileErrorCases}" failures="${totalFailures}" errors="${totalErrors}" time="${time(all)}">`);
  for (const f of files) {
    const errors = count(f, 'error') + (f.errors.length > 0 ? 1 : 0);
    const tests = f.results.length + (f.errors.length > 0 ? 1 : 0);
    out.push(`  <testsuite name="${xmlText(f.file)}" tests="${tests}" failures="${count(f, 'failed')}" errors="${errors}" skipped="0" time="${time(f.results)}">`);
    if (f.errors.length > 0) {
      out.push(`    <testcase classname="${xmlText(f.file)}" name="${xmlText(`${f.file} (file errors)`)}" time="0.000">`);
      out.push(`      <error message="${xmlText(f.errors[0])}" type="FileError">${xmlText(f.errors.join('\n'))}</error>`);
      out.push('    </testcase>');
    }
    for (const r of f.results) {
      const open = `    <testcase classname="${xmlText(f.file)}" name="${xmlText(r.name)}" time="${seconds(r.durationMs)}"`;
      if (r.status === 'passed') {
        out.push(`${open}/>`);
        continue;
      }
      const tag = r.status === 'error' ? 'error' : 'failure';
      out.push(`${open}>`);
      out.push(`      <${tag} message="${xmlText(failureMessage(r))}" type="${r.status === 'error' ? 'BlockError' : 'ExpectationFailed'}">${xmlText(failureDetail(r))}</${tag}>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

/** TAP 13 keeps test names on one line; `#` would start a directive there. */
function tapName(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/#/g, '\\#');
}

/** A YAML block scalar holds any text once every line is indented. */
function yamlBlock(key: string, text: string): string[] {
  return [`  ${key}: |-`, ...text.split(/\r?\n/).map((line) => `    ${line}`)];
}

export function tapReport(files: FileReport[]): string {
  const lines: string[] = ['TAP version 13'];
  let n = 0;
  for (const f of files) {
    if (f.errors.length > 0) {
      lines.push(`not ok ${++n} - ${tapName(`${f.file} (file errors)`)}`, '  ---', ...yamlBlock('message', f.errors.join('\n')), '  severity: error', '  ...');
    }
    for (const r of f.results) {
      const name = tapName(`${f.file}: ${r.name}`);
      if (r.status === 'passed') {
        lines.push(`ok ${++n} - ${name}`);
        continue;
      }
      lines.push(`not ok ${++n} - ${name}`, '  ---', ...yamlBlock('message', failureMessage(r)), ...yamlBlock('detail', failureDetail(r)));
      lines.push(`  severity: ${r.status === 'error' ? 'error' : 'fail'}`, `  duration_ms: ${r.durationMs}`, '  ...');
    }
  }
  lines.push(`1..${n}`);
  return lines.join('\n') + '\n';
}
