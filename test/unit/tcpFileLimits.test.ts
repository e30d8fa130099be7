import * as assert from 'node:assert/strict';
import { MAX_DIAGNOSTICS, parseTcpFile } from '../../src/core/tcpFile/parser';

describe('.tcp diagnostics are capped per file', () => {
  it('lists the first 1,000 problems of a file of junk, then one "and N more"', () => {
    const lines = 5000;
    const file = parseTcpFile('zq8 junk junk junk\n'.repeat(lines));
    assert.equal(MAX_DIAGNOSTICS, 1000);
    assert.equal(file.diagnostics.length, MAX_DIAGNOSTICS + 1);
    assert.ok(file.diagnostics.slice(0, MAX_DIAGNOSTICS).every((d) => d.severity === 'error' && /^Unknown directive 'zq8'/.test(d.message)));
    const last = file.diagnostics[MAX_DIAGNOSTICS];
    assert.equal(last.severity, 'error');
    assert.equal(last.line, MAX_DIAGNOSTICS);
    assert.equal(last.message, `…and ${(lines - MAX_DIAGNOSTICS).toLocaleString('en-US')} more problems from this line on, not listed (a file shows at most 1,000): fix the ones above first.`);
    // The block still knows it is broken, so it does not run.
    assert.ok(file.blocks.every((b) => b.hasErrors));
  });

  it('a file within the cap lists every problem and no summary', () => {
    const file = parseTcpFile('zq8\n'.repeat(MAX_DIAGNOSTICS));
    assert.equal(file.diagnostics.length, MAX_DIAGNOSTICS);
    assert.ok(!file.diagnostics.some((d) => d.message.startsWith('…and')));
  });
});
