// Error sentences: one sentence each, naming the input, with a hint of what to do.
import * as assert from 'node:assert/strict';
import { describeSocketError, formatHostPort, TcpError, validateHost, validatePort, type SocketErrorContext } from '../../src/core/errors';

/** One sentence: starts with a capital or a quote, ends with the only full stop, has a "; what to do" part. */
function assertOneActionableSentence(message: string): void {
  assert.match(message, /^["A-Z]/, `starts like a sentence: ${message}`);
  assert.match(message, /\.$/, `ends with a full stop: ${message}`);
  assert.doesNotMatch(message, /\.\s/, `only one sentence: ${message}`);
  assert.doesNotMatch(message, /\n|\bat .*\(.*:\d+:\d+\)/, `no stack trace: ${message}`);
  assert.match(message, /; [a-z]/, `has a hint after a semicolon: ${message}`);
}

const errno = (code: string, message = `${code} happened`): NodeJS.ErrnoException => Object.assign(new Error(message), { code });

describe('errors', () => {
  describe('describeSocketError', () => {
    const listen: SocketErrorContext = { op: 'listen', host: '127.0.0.1', port: 8080 };
    const connect: SocketErrorContext = { op: 'connect', host: 'device.local', port: 502 };
    const connect6: SocketErrorContext = { op: 'connect', host: '::1', port: 7 };
    const send: SocketErrorContext = { op: 'send', host: '10.0.0.5', port: 9000 };

    const cases: [string, SocketErrorContext, string, RegExp][] = [
      ['EADDRINUSE', listen, 'EADDRINUSE', /^Port 8080 on 127\.0\.0\.1 is already in use; stop the program using it or choose another port \(0 picks a free one\)\.$/],
      ['EACCES', { ...listen, port: 80 }, 'EACCES', /^Permission denied to listen on port 80 on 127\.0\.0\.1; choose a port above 1023/],
      ['EACCES', connect, 'EACCES', /device\.local:502.*; check firewall rules/],
      ['EADDRNOTAVAIL', { ...listen, host: '10.9.9.9' }, 'EADDRNOTAVAIL', /^Address 10\.9\.9\.9 does not belong to this machine.*; choose one of this machine's addresses/],
      ['EADDRNOTAVAIL', connect, 'EADDRNOTAVAIL', /device\.local:502 cannot be reached/],
      ['ECONNREFUSED', connect, 'ECONNREFUSED', /^Connection to device\.local:502 was refused; check that a server is listening/],
      ['ECONNREFUSED', connect6, 'ECONNREFUSED', /^Connection to \[::1\]:7 was refused/],
      ['ENOTFOUND', connect, 'ENOTFOUND', /^Host "device\.local" could not be found; check the spelling or enter an IP address/],
      ['EAI_AGAIN', connect, 'EAI_AGAIN', /^Host "device\.local" could not be looked up right now; check your network/],
      ['ETIMEDOUT', { ...connect, timeoutMs: 3000 }, 'ETIMEDOUT', /^Connecting to device\.local:502 timed out after 3000 ms; check that the server is running/],
      ['ETIMEDOUT', send, 'ETIMEDOUT', /^The connection to 10\.0\.0\.5:9000 timed out; check that the peer is still reachable/],
      ['ECONNRESET', send, 'ECONNRESET', /^Connection to 10\.0\.0\.5:9000 was reset by the peer; reconnect/],
      ['EPIPE', send, 'EPIPE', /^Cannot send to 10\.0\.0\.5:9000 because the peer has closed the connection; reconnect before sending again\.$/],
      ['EHOSTUNREACH', connect, 'EHOSTUNREACH', /^Host device\.local is unreachable from this machine; check the address/],
      ['ENETUNREACH', connect, 'ENETUNREACH', /^The network of device\.local is unreachable from this machine; check the address/],
      ['EWHATEVER', connect, 'EWHATEVER', /^Could not connect to device\.local:502 \(EWHATEVER: EWHATEVER happened\); check the host and port and try again\.$/],
    ];
    for (const [code, ctx, expectedCode, expected] of cases) {
      it(`${code} while ${ctx.op}ing ${formatHostPort(ctx.host, ctx.port)}`, () => {
        const cause = errno(code);
        const err = describeSocketError(cause, ctx);
        assert.ok(err instanceof TcpError);
        assert.equal(err.code, expectedCode);
        assert.match(err.message, expected);
        assertOneActionableSentence(err.message);
        assert.equal(err.cause, cause, 'the original error stays available for logs');
      });
    }

    it('reads the code out of an AggregateError from a multi-address connect', () => {
      const aggregate = new AggregateError([errno('ECONNREFUSED'), errno('ECONNREFUSED')], 'all failed');
      assert.equal(describeSocketError(aggregate, connect).code, 'ECONNREFUSED');
    });

    it('falls back to one sentence for something that is not an Error at all', () => {
      const err = describeSocketError('boom', listen);
      assert.equal(err.code, 'UNKNOWN');
      assert.equal(err.message, 'Could not listen on 127.0.0.1:8080 (UNKNOWN: boom); check the host and port and try again.');
    });

    it('passes a TcpError through unchanged', () => {
      const original = new TcpError('X', 'Already clear; nothing to do.');
      assert.equal(describeSocketError(original, listen), original);
    });
  });

  describe('validatePort', () => {
    it('accepts integers 0..65535 and digit strings', () => {
      assert.equal(validatePort(0), 0);
      assert.equal(validatePort(65535), 65535);
      assert.equal(validatePort(' 8080 '), 8080);
      assert.equal(validatePort('1', 'connect'), 1);
    });

    const invalid: [unknown, RegExp, ('listen' | 'connect')?][] = [
      [65536, /^Port 65536 is out of range; enter a whole number from 0 to 65535 \(0 picks a free port\)\.$/],
      [-1, /^Port -1 is out of range/],
      [80.5, /^Port 80\.5 is not a whole number; enter a whole number from 0 to 65535/],
      [Number.NaN, /^Port NaN is not a whole number/],
      [Number.POSITIVE_INFINITY, /^Port Infinity is not a whole number/],
      ['8o8o', /^Port "8o8o" is not a number; enter a whole number from 0 to 65535/],
      ['', /^Port "" is not a number/],
      ['-5', /^Port "-5" is not a number/],
      [undefined, /^Port undefined is not a number/],
      [0, /^Port 0 is out of range; enter the server's port, a whole number from 1 to 65535\.$/, 'connect'],
    ];
    for (const [value, expected, purpose] of invalid) {
      it(`rejects ${JSON.stringify(value) ?? String(value)}${purpose ? ` for ${purpose}` : ''}`, () => {
        assert.throws(
          () => validatePort(value, purpose),
          (err: TcpError) => {
            assert.ok(err instanceof TcpError);
            assert.equal(err.code, 'INVALID_PORT');
            assert.match(err.message, expected);
            assertOneActionableSentence(err.message);
            return true;
          },
        );
      });
    }
  });

  describe('validateHost', () => {
    it('accepts IP literals and host names, trimming and unbracketing', () => {
      assert.equal(validateHost('127.0.0.1'), '127.0.0.1');
      assert.equal(validateHost(' ::1 '), '::1');
      assert.equal(validateHost('[::1]'), '::1');
      assert.equal(validateHost('0.0.0.0'), '0.0.0.0');
      assert.equal(validateHost('::'), '::');
      assert.equal(validateHost('localhost'), 'localhost');
      assert.equal(validateHost('plc-01.factory.example'), 'plc-01.factory.example');
    });

    for (const bad of ['', '   ', 'http://localhost', 'localhost:8080', 'two words', '256.1.1.1', '-leading.example', 'a..b', 'x'.repeat(64)]) {
      it(`rejects ${JSON.stringify(bad)}`, () => {
        assert.throws(
          () => validateHost(bad),
          (err: TcpError) => {
            assert.ok(err instanceof TcpError);
            assert.equal(err.code, 'INVALID_HOST');
            if (bad.trim() !== '') assert.ok(err.message.includes(`"${bad}"`), err.message);
            assert.match(err.message, /enter an IP address such as 127\.0\.0\.1 or ::1, or a host name such as localhost, without a scheme or port\.$/);
            return true;
          },
        );
      });
    }

    it('rejects a non-string', () => {
      assert.throws(() => validateHost(42), (err: TcpError) => err.code === 'INVALID_HOST' && err.message.startsWith('Host 42 is not valid'));
    });
  });
});
