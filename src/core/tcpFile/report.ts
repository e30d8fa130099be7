// Plain-text rendering of block results, shared by the CLI and the editor's output so both tell
// a failure the same way: which line, why, and expected vs received in text and hex.
import type { BlockResult } from './runner';

export function formatBlockResult(result: BlockResult, indent = '  '): string[] {
  const mark = result.status === 'passed' ? '✓' : '✗';
  const lines = [`${indent}${mark} ${result.name} (${result.durationMs} ms)`];
  const deeper = indent + '    ';
  if (result.status === 'error') {
    lines.push(`${deeper}${result.error ?? 'The block could not run.'}`);
    return lines;
  }
  for (const e of result.expectations) {
    if (e.status !== 'failed') continue;
    lines.push(`${deeper}line ${e.range.line + 1}: ${e.title}`);
    lines.push(`${deeper}${e.message ?? 'Failed.'}`);
    if (e.expected) lines.push(`${deeper}expected: ${e.expected.text}${e.expected.hex ? `  [${e.expected.hex}]` : ''}`);
    if (e.received) lines.push(`${deeper}received: ${e.received.text}${e.received.hex ? `  [${e.received.hex}]` : ''}`);
  }
  return lines;
}
