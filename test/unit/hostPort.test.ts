import * as assert from 'node:assert/strict';
import { bindScope } from '../../src/app/exposurePolicy';
import { formatHostPort, parseHostPort, validateHostText, validatePortText } from '../../src/shared/hostPort';
import { MAX_RECENT_TARGETS, readRecentTargets, rememberTarget } from '../../src/app/recentTargets';

function ok(input: string, options?: Parameters<typeof parseHostPort>[1]) {
  const result = parseHostPort(input, options);
  assert.ok(result.ok, `expected "${input}" to parse, got: ${result.ok ? '' : result.message}`);
  return { host: result.host, port: result.port };
}

function problem(input: string, options?: Parameters<typeof parseHostPort>[1]): string {
  const result = parseHostPort(input, options);
  assert.ok(!result.ok, `expected "${input}" to be rejected`);
  // One sentence: a single terminal full stop, no line breaks.
  assert.match(result.message, /^[^\n]+\.$/);
  assert.equal(result.message.split(/\.\s/).length, 1, `more than one sentence: ${result.message}`);
  return result.message;
}

describe('host:port parsing', () => {
  it('parses IPv4, host names and bracketed IPv6', () => {
    assert.deepEqual(ok('127.0.0.1:9000'), { host: '127.0.0.1', port: 9000 });
    assert.deepEqual(ok('  localhost:80 '), { host: 'localhost', port: 80 });
    assert.deepEqual(ok('plc-01.factory.lan:502'), { host: 'plc-01.factory.lan', port: 502 });
    assert.deepEqual(ok('[::1]:9000'), { host: '::1', port: 9000 });
    assert.deepEqual(ok('[fe80::1:2]:65535'), { host: 'fe80::1:2', port: 65535 });
  });

  it('takes a bare port with the default host, and port 0 only when allowed', () => {
    assert.deepEqual(ok('9000', { defaultHost: '127.0.0.1' }), { host: '127.0.0.1', port: 9000 });
    assert.deepEqual(ok('0', { defaultHost: '::1', allowZeroPort: true }), { host: '::1', port: 0 });
    assert.match(problem('127.0.0.1:0'), /Port 0 cannot be connected to/);
    assert.match(problem('9000'), /"9000" has no host; .*127\.0\.0\.1:9000/);
  });

  it('explains out-of-range and non-numeric ports, naming the input', () => {
    assert.match(problem('127.0.0.1:65536'), /Port 65536 is out of range; enter a port from 1 to 65535/);
    assert.match(problem('70000', { defaultHost: '127.0.0.1', allowZeroPort: true }), /Port 70000 is out of range; enter a port from 0 to 65535/);
    assert.match(problem('localhost:http'), /Port "http" is not a whole number/);
    assert.match(problem('localhost:-1'), /Port "-1" is not a whole number/);
    assert.match(problem('localhost:'), /Enter a port from 1 to 65535/);
  });

  it('rejects missing ports, bad hosts and unbracketed IPv6 with a hint', () => {
    assert.match(problem('localhost'), /"localhost" has no port; .*localhost:9000/);
    assert.match(problem('::1:9000'), /ambiguous; put IPv6 addresses in brackets/);
    assert.match(problem('[::1]'), /has no port; add one after the bracket/);
    assert.match(problem('[localhost]:80'), /"localhost" inside the brackets is not an IPv6 address/);
    assert.match(problem('[::1:80'), /write IPv6 addresses as \[::1\]:9000/);
    assert.match(problem('exa mple:80'), /Host "exa mple" is not a valid host name/);
    assert.match(problem('999.1.1.1:80'), /Host "999\.1\.1\.1" is not a valid/);
    assert.match(problem(':80'), /The host is empty/);
    assert.match(problem(''), /Enter host:port/);
    assert.match(problem('', { defaultHost: '127.0.0.1' }), /Enter a port, or host:port/);
  });

  it('validates port text on its own, for the Start Listener box', () => {
    assert.equal(validatePortText('0', { allowZeroPort: true }), undefined);
    assert.equal(validatePortText('65535'), undefined);
    assert.match(validatePortText('1.5') ?? '', /not a whole number/);
    assert.match(validatePortText('', { allowZeroPort: true }) ?? '', /0 picks any free port/);
  });

  it('validates host names', () => {
    for (const host of ['localhost', '10.0.0.7', '::', 'my_device.local', 'a-b.example.com.']) assert.equal(validateHostText(host), undefined, host);
    for (const host of ['-bad.example', 'a..b', 'x'.repeat(254), '1.2.3']) assert.notEqual(validateHostText(host), undefined, host);
  });

  it('formats IPv6 with brackets so the result parses back', () => {
    for (const [host, port] of [['::1', 9000], ['127.0.0.1', 0], ['example.com', 443]] as const) {
      const text = formatHostPort(host, port);
      assert.deepEqual(ok(text, { allowZeroPort: true }), { host, port });
    }
    assert.equal(formatHostPort('::1', 9000), '[::1]:9000');
  });

  it('recognises hosts that expose a listener to the network', () => {
    for (const host of ['0.0.0.0', '::', '[::]', '', '0:0:0:0:0:0:0:0']) assert.equal(bindScope(host), 'allInterfaces', host);
    for (const host of ['127.0.0.1', '::1', 'localhost', '192.168.1.2']) assert.notEqual(bindScope(host), 'allInterfaces', host);
  });
});

describe('recent connect targets', () => {
  it('keeps the newest first without duplicates, bounded', () => {
    let recent: string[] = [];
    for (let i = 0; i < MAX_RECENT_TARGETS + 5; i++) recent = rememberTarget(recent, `127.0.0.1:${9000 + i}`);
    recent = rememberTarget(recent, '127.0.0.1:9010');
    assert.equal(recent.length, MAX_RECENT_TARGETS);
    assert.equal(recent[0], '127.0.0.1:9010');
    assert.equal(recent.filter((t) => t === '127.0.0.1:9010').length, 1);
    assert.equal(recent[1], `127.0.0.1:${9000 + MAX_RECENT_TARGETS + 4}`);
  });

  it('reads stored state defensively', () => {
    assert.deepEqual(readRecentTargets(undefined), []);
    assert.deepEqual(readRecentTargets({ a: 1 }), []);
    assert.deepEqual(readRecentTargets(['a:1', 2, null, 'b:2']), ['a:1', 'b:2']);
  });
});
