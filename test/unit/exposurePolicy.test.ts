import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { assessBindExposure, assessConnectExposure, bindScope, ipv6Groups, parseIPv4Loose, unattendedListenRefusal } from '../../src/app/exposurePolicy';

describe('exposure policy', () => {
  const wildcards = [
    '',
    '  ',
    '0.0.0.0',
    '::',
    '[::]',
    '::0',
    '0::0',
    '0::',
    '::0:0',
    '0:0:0:0:0:0:0:0',
    '0000:0000:0000:0000:0000:0000:0000:0000',
    '[0:0:0:0:0:0:0:0]',
    '::ffff:0.0.0.0',
    '::ffff:0:0',
    '::FFFF:0000:0000',
    '[::ffff:0.0.0.0]',
    '::0.0.0.0',
    '::%eth0',
    '0',
    '0x0',
    '00.0.0.0',
    '0.0',
  ];
  for (const host of wildcards) {
    it(`"${host}" binds every interface and asks first`, () => {
      const exposure = assessBindExposure(host, 9000);
      assert.equal(exposure.scope, 'allInterfaces');
      assert.equal(exposure.exposed, true);
      assert.match(exposure.sentence ?? '', /^Listening on .*9000 makes port 9000 reachable from other machines on your network\.$/);
      assert.equal(exposure.confirmLabel, 'Listen on All Interfaces');
    });
  }

  it('loopback spellings expose nothing and ask nothing', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '127.1', '0x7f000001', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::0:1', '::ffff:127.0.0.1', '::ffff:7f00:1', 'localhost', 'LOCALHOST', 'api.localhost']) {
      assert.deepEqual(assessBindExposure(host, 9000), { exposed: false, scope: 'loopback' }, host);
    }
  });

  it('one non-loopback address is exposed too, with its own sentence', () => {
    for (const host of ['192.168.1.2', '10.0.0.1', '::ffff:192.168.1.2', 'fe80::1%eth0', '2001:db8::1', '[2001:db8::1]', '::2', '1::']) {
      const exposure = assessBindExposure(host, 0);
      assert.equal(exposure.scope, 'address', host);
      assert.equal(exposure.exposed, true);
      assert.match(exposure.sentence ?? '', /makes a free port reachable from other machines on that address's network\.$/);
    }
    assert.match(assessBindExposure('2001:db8::1', 80).sentence ?? '', /^Listening on \[2001:db8::1\]:80 /);
  });

  it('a host name may resolve anywhere: ask, naming it', () => {
    const exposure = assessBindExposure('build-box.lan', 7000);
    assert.equal(exposure.scope, 'name');
    assert.equal(exposure.exposed, true);
    assert.equal(exposure.sentence, "Listening on build-box.lan:7000 binds whatever address 'build-box.lan' resolves to, which can make port 7000 reachable from other machines.");
  });

  it('connecting: loopback in any spelling stays on this machine; an address or a name leaves it and asks', () => {
    for (const host of ['127.0.0.1', '127.1', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST', 'db.localhost']) {
      assert.deepEqual(assessConnectExposure(host, 5020), { exposed: false, scope: 'loopback' }, host);
    }
    assert.equal(assessConnectExposure('192.0.2.10', 502).sentence, 'Connecting to 192.0.2.10:502 opens a socket to another machine.');
    assert.equal(assessConnectExposure('2001:db8::1', 502).sentence, 'Connecting to [2001:db8::1]:502 opens a socket to another machine.');
    assert.equal(assessConnectExposure('plc.example', 502).sentence, "Connecting to plc.example:502 opens a socket to whatever address 'plc.example' resolves to, which can be another machine.");
    // The unspecified address is not loopback by policy, whatever a system makes of connecting to it.
    assert.equal(assessConnectExposure('0.0.0.0', 80).exposed, true);
  });

  it('parses IPv4 like the resolver and IPv6 into eight groups', () => {
    assert.equal(parseIPv4Loose('127.1'), 0x7f000001);
    assert.equal(parseIPv4Loose('010.0.0.1'), 0x08000001);
    assert.equal(parseIPv4Loose('256.0.0.1'), undefined);
    assert.equal(parseIPv4Loose('1.2.3.4.5'), undefined);
    assert.equal(parseIPv4Loose('1.2.65536'), undefined);
    assert.equal(parseIPv4Loose('example'), undefined);
    assert.deepEqual(ipv6Groups('::ffff:1.2.3.4'), [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    assert.deepEqual(ipv6Groups('1:2:3:4:5:6:7:8'), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(ipv6Groups('1::8'), [1, 0, 0, 0, 0, 0, 0, 8]);
  });

  it('agrees with what the system binds: every wildcard spelling Node accepts really listens on the unspecified address', async () => {
    // The real check behind the parse: bind each spelling and read back the address the kernel reports.
    for (const host of ['0.0.0.0', '::', '::0', '0::0', '0:0:0:0:0:0:0:0', '0']) {
      const server = net.createServer();
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, host, () => resolve());
        });
      } catch {
        continue; // No IPv6 on this machine: nothing to compare.
      }
      const address = server.address() as net.AddressInfo;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      assert.equal(bindScope(address.address), 'allInterfaces', `${host} bound ${address.address}`);
      assert.equal(bindScope(host), 'allInterfaces', host);
    }
  });

  it('refuses an unattended LISTEN only where it would be asked: wide or network hosts, never loopback or a connect', () => {
    const how = 'Pass --allow-exposed.';
    for (const host of ['0.0.0.0', '::', '::ffff:0.0.0.0', '192.168.1.2', 'example.test']) {
      assert.match(unattendedListenRefusal('listen', host, 9000, how) ?? '', /^Not run: Listening on .* reachable from other machines.* Pass --allow-exposed\.$/, host);
    }
    for (const host of ['127.0.0.1', '::1', 'localhost']) assert.equal(unattendedListenRefusal('listen', host, 9000, how), undefined, host);
    assert.equal(unattendedListenRefusal('connect', '0.0.0.0', 9000, how), undefined);
  });
});
