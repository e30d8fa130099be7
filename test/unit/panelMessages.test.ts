import * as assert from 'node:assert/strict';
import { validateWebviewMessage } from '../../src/app/panel/panelMessages';

function refused(raw: unknown): string {
  const result = validateWebviewMessage(raw);
  assert.equal(result.ok, false, `expected ${JSON.stringify(raw)?.slice(0, 80)} to be refused`);
  return result.ok ? '' : result.reason;
}

describe('validateWebviewMessage', () => {
  it('accepts every well-formed message and strips extra fields', () => {
    const good = [
      { type: 'ready' },
      { type: 'listen', requestId: 1, host: '127.0.0.1', port: 0 },
      { type: 'connect', requestId: 2, host: 'localhost', port: 65535 },
      { type: 'send', requestId: 3, data: 'aGk=' },
      { type: 'send', requestId: 4, data: '', to: 'all' },
      { type: 'send', requestId: 5, data: 'AAEC', to: 'C12' },
      { type: 'close', requestId: 6 },
      { type: 'clear' },
      { type: 'saveLog', requestId: 7, format: 'csv' },
      { type: 'copy', text: '0x01, 0x02' },
      { type: 'savePreset', requestId: 8, format: 'hex', data: '01 02', encoding: 'utf-8', lineEnding: 'crlf' },
      { type: 'send', requestId: 9, data: 'aGk=', faults: { splitInto: 3, splitDelayMs: 10, after: 'halfClose' }, copies: 2 },
      { type: 'send', requestId: 10, data: 'aGk=', faults: { dripIntervalMs: 5, coalesce: true }, repeat: { intervalMs: 100, count: 5 } },
      { type: 'behaviour', requestId: 11, behaviour: { framing: { mode: 'delimiter', delimiter: 'lf' }, echo: true, rules: [{ match: 'exact', pattern: 'A', reply: 'B' }] } },
      { type: 'saveBehaviour', requestId: 12 },
      { type: 'stopRepeat', requestId: 13 },
      { type: 'exportPcapng', requestId: 14 },
    ];
    for (const message of good) {
      const result = validateWebviewMessage({ ...message, evil: '<script>' });
      assert.ok(result.ok, JSON.stringify(message));
      assert.deepEqual(result.message, message);
    }
  });

  it('refuses non-objects and unknown types with a reason', () => {
    for (const raw of [null, undefined, 42, 'ready', [], {}, { type: 'rm -rf' }, { type: 7 }, { type: '__proto__' }]) {
      assert.ok(refused(raw).length > 0);
    }
  });

  it('refuses bad ids, sizes, ports and encodings', () => {
    assert.match(refused({ type: 'send', data: 'aGk=' }), /requestId/);
    assert.match(refused({ type: 'send', requestId: 1.5, data: 'aGk=' }), /requestId/);
    assert.match(refused({ type: 'send', requestId: 1, data: 'not base64!' }), /base64/);
    assert.match(refused({ type: 'send', requestId: 1, data: 'aGk' }), /base64/);
    assert.match(refused({ type: 'send', requestId: 1, data: 'A'.repeat(16 * 1024 * 1024 + 4) }), /16 MiB/);
    assert.match(refused({ type: 'send', requestId: 1, data: 'aGk=', to: '../../etc' }), /client id/);
    assert.match(refused({ type: 'listen', requestId: 1, host: '127.0.0.1', port: 70000 }), /port/);
    assert.match(refused({ type: 'listen', requestId: 1, host: '127.0.0.1', port: '80' }), /port/);
    assert.match(refused({ type: 'connect', requestId: 1, host: '', port: 80 }), /host/);
    assert.match(refused({ type: 'connect', requestId: 1, host: 'x'.repeat(256), port: 80 }), /host/);
    assert.match(refused({ type: 'saveLog', requestId: 1, format: 'xml' }), /format/);
    assert.match(refused({ type: 'copy', text: 5 }), /text/);
    assert.match(refused({ type: 'savePreset', requestId: 1, format: 'hex', data: '', encoding: 'ebcdic', lineEnding: 'lf' }), /encoding/);
  });

  it('refuses malformed faults, copies, repeats and behaviour definitions', () => {
    assert.match(refused({ type: 'send', requestId: 1, data: 'aGk=', faults: { splitInto: 0 } }), /splitInto/);
    assert.match(refused({ type: 'send', requestId: 1, data: 'aGk=', faults: { after: 'explode' } }), /after/);
    assert.match(refused({ type: 'send', requestId: 1, data: 'aGk=', faults: 'split' }), /faults/);
    assert.match(refused({ type: 'send', requestId: 1, data: 'aGk=', copies: 1001 }), /copies/);
    assert.match(refused({ type: 'send', requestId: 1, data: 'aGk=', copies: 1.5 }), /copies/);
    assert.match(refused({ type: 'send', requestId: 1, data: 'aGk=', repeat: { intervalMs: 0 } }), /intervalMs/);
    assert.match(refused({ type: 'send', requestId: 1, data: 'aGk=', repeat: { intervalMs: 10, count: -1 } }), /count/);
    assert.match(refused({ type: 'behaviour', requestId: 1 }), /behaviour/);
    assert.match(refused({ type: 'behaviour', requestId: 1, behaviour: { framing: 'lf', echo: false, rules: [] } }), /framing/);
    assert.match(refused({ type: 'behaviour', requestId: 1, behaviour: { framing: {}, echo: 'yes', rules: [] } }), /echo/);
    assert.match(refused({ type: 'behaviour', requestId: 1, behaviour: { framing: {}, echo: false, rules: ['PING'] } }), /rules/);
    const huge = Array.from({ length: 300 }, () => ({ match: 'exact', pattern: 'x'.repeat(2000) }));
    assert.match(refused({ type: 'behaviour', requestId: 1, behaviour: { framing: {}, echo: false, rules: huge } }), /512 KiB/);
    assert.match(refused({ type: 'stopRepeat' }), /requestId/);
    const stripped = validateWebviewMessage({ type: 'behaviour', requestId: 2, behaviour: { framing: { mode: 'none', script: 1 }, echo: false, rules: [{ match: 'exact', pattern: 'A', __proto__x: 1 }] } });
    assert.ok(stripped.ok && stripped.message.type === 'behaviour');
    assert.deepEqual(stripped.message.behaviour, { framing: { mode: 'none' }, echo: false, rules: [{ match: 'exact', pattern: 'A' }] }, 'unknown keys never reach settings.json');
    assert.match(refused({ type: 'saveBehaviour', requestId: 0 }), /requestId/);
  });
});

describe('panel connect over TLS', () => {
  it('keeps a checked tls object and refuses a malformed one', () => {
    const ok = validateWebviewMessage({ type: 'connect', requestId: 1, host: 'localhost', port: 8443, tls: { insecure: true, extra: 1 } });
    assert.deepEqual(ok, { ok: true, message: { type: 'connect', requestId: 1, host: 'localhost', port: 8443, tls: { insecure: true } } });
    const bad = validateWebviewMessage({ type: 'connect', requestId: 1, host: 'localhost', port: 8443, tls: { insecure: 'yes' } });
    assert.equal(bad.ok, false);
    const listen = validateWebviewMessage({ type: 'listen', requestId: 2, host: '127.0.0.1', port: 0, tls: true });
    assert.deepEqual(listen, { ok: true, message: { type: 'listen', requestId: 2, host: '127.0.0.1', port: 0, tls: true } });
    assert.equal(validateWebviewMessage({ type: 'listen', requestId: 2, host: '127.0.0.1', port: 0, tls: {} }).ok, false);
  });
});
