import * as assert from 'node:assert/strict';
import { validateWebviewMessage } from '../../src/host/panelMessages';

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
});
