import * as assert from 'node:assert/strict';
import { isIP } from 'node:net';
import fc from 'fast-check';
import { formatEndpoint, formatHostPort, ipVersion, isPortNumber, parseHostPort, splitHostPort, validatePortNumber } from '../../src/shared/hostPort';

// The one host:port definition runs in the webview, so it cannot lean on node:net; here it must agree with it.
describe('shared host:port', () => {
  it('recognises IP literals exactly as node:net does', () => {
    const samples = ['127.0.0.1', '0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '::', '::1', '0::0', '::0', '0:0:0:0:0:0:0:0',
      '::ffff:0.0.0.0', '::ffff:1.2.3.4', 'fe80::1%eth0', 'fe80::1%', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1::2::3', ':::', '12345::', 'g::1',
      '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '::1.2.3.4', '', 'localhost', '[::1]', ' ::1'];
    for (const text of samples) assert.equal(ipVersion(text), isIP(text), text);
    const hexGroup = fc.stringMatching(/^[0-9a-f]{1,4}$/);
    fc.assert(fc.property(fc.array(fc.oneof(hexGroup, fc.constant(''), fc.constant('1.2.3.4')), { minLength: 1, maxLength: 10 }), (groups) => {
      const text = groups.join(':');
      assert.equal(ipVersion(text), isIP(text), text);
    }), { numRuns: 2000 });
  });

  it('parses IPv4, bracketed IPv6 and host names with a port', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:9000'), { ok: true, host: '127.0.0.1', port: 9000 });
    assert.deepEqual(parseHostPort('[::1]:9000'), { ok: true, host: '::1', port: 9000 });
    assert.deepEqual(parseHostPort('  localhost:80  '), { ok: true, host: 'localhost', port: 80 });
    assert.deepEqual(parseHostPort('7000', { defaultHost: '127.0.0.1' }), { ok: true, host: '127.0.0.1', port: 7000 });
    assert.deepEqual(splitHostPort('[::1]:9000'), { host: '::1', portText: '9000' });
    assert.equal(splitHostPort('::1:9000'), undefined);
  });

  it('refuses bad ports, spaces, unbracketed IPv6 and empty input with a sentence', () => {
    const problem = (text: string, options = {}): string => {
      const result = parseHostPort(text, options);
      assert.equal(result.ok, false, text);
      return result.ok ? '' : result.message;
    };
    assert.match(problem('127.0.0.1:70000'), /out of range; enter a port from 1 to 65535/);
    assert.match(problem('127.0.0.1:0'), /Port 0 cannot be connected to/);
    assert.equal(parseHostPort('127.0.0.1:0', { allowZeroPort: true }).ok, true);
    assert.match(problem('127.0.0.1:abc'), /not a whole number/);
    assert.match(problem('my host:80'), /not a valid host name/);
    assert.match(problem('::1:9000'), /ambiguous; put IPv6 addresses in brackets/);
    assert.match(problem('[::1]'), /has no port/);
    assert.match(problem('[nothost]:80'), /not an IPv6 address/);
    assert.match(problem(''), /Enter host:port/);
    assert.match(problem('   '), /Enter host:port/);
  });

  it('formats IPv6 with brackets everywhere and validates port numbers', () => {
    assert.equal(formatHostPort('::1', 80), '[::1]:80');
    assert.equal(formatHostPort('127.0.0.1', 80), '127.0.0.1:80');
    assert.equal(formatHostPort('example.com', 80), 'example.com:80');
    assert.equal(formatEndpoint({ address: '::1', family: 'IPv6', port: 9 }), '[::1]:9');
    assert.equal(formatEndpoint({ address: 'fe80::1', port: 9 }), '[fe80::1]:9', 'bracketed even without a family');
    assert.equal(formatEndpoint({ address: '10.0.0.1', family: 'IPv4', port: 9 }), '10.0.0.1:9');
    assert.equal(isPortNumber(0), false);
    assert.equal(isPortNumber(0, { allowZeroPort: true }), true);
    assert.equal(isPortNumber(65536), false);
    assert.equal(isPortNumber(1.5), false);
    assert.equal(validatePortNumber(8080), undefined);
    assert.match(validatePortNumber(65536) ?? '', /Port 65536 is out of range/);
    assert.match(validatePortNumber('80') ?? '', /not a whole number/);
  });
});
