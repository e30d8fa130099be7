// TLS against peers nobody here wrote: Debian's `openssl s_server` / `s_client` and Python's ssl
// module. SNI, ALPN, TLS 1.2 and 1.3, mTLS both ways, an expired certificate, STARTTLS behind a
// plain-text greeting. Certificates come from the product's local CA (src/app/localCa.ts).
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { Registry } from '../../src/core/registry';
import { Cleanup, nextEvent, startPythonPeer, waitUntil } from './support/sockets';
import { tlsFixtures, type TlsFixtures } from './support/tlsFixtures';

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface OpensslProcess {
  child: ChildProcess;
  output: () => string;
}

/** Start an openssl command, collecting stdout and stderr; cleanup kills it by its own PID. */
function openssl(cleanup: Cleanup, args: string[], input?: string): OpensslProcess {
  const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  child.stdin.on('error', () => undefined);
  if (input !== undefined) child.stdin.write(input);
  cleanup.add(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  });
  return { child, output: () => text };
}

/** `openssl s_server` on a free loopback port, resolved once it accepts. */
async function sServer(cleanup: Cleanup, args: string[]): Promise<{ port: number; server: OpensslProcess }> {
  const port = await freePort();
  const server = openssl(cleanup, ['s_server', '-accept', `127.0.0.1:${port}`, ...args]);
  await waitUntil(() => server.output().includes('ACCEPT'), 'openssl s_server to accept', 10_000);
  return { port, server };
}

describe('TLS interop with openssl and Python ssl', function () {
  this.timeout(30_000);
  let f: TlsFixtures;
  let registry: Registry;
  const cleanup = new Cleanup();

  before(async () => {
    f = await tlsFixtures();
  });
  beforeEach(() => {
    registry = new Registry();
  });
  afterEach(async () => {
    await registry.stopAll();
    registry.dispose();
    await cleanup.run();
  });

  async function echoOnce(connection: Awaited<ReturnType<Registry['connect']>>, text: string): Promise<string> {
    let received = '';
    connection.onDidReceive((bytes) => (received += Buffer.from(bytes).toString()));
    await connection.send(Buffer.from(text));
    await waitUntil(() => received.length >= text.length, `the answer to ${JSON.stringify(text)}`);
    return received;
  }

  it('client → openssl s_server: SNI picks the certificate, ALPN, TLS 1.3 and TLS 1.2', async () => {
    // The default certificate comes from a CA we do not trust; the one for SNI "localhost" from ours.
    const { port } = await sServer(cleanup, [
      '-cert', f.otherCert, '-key', f.otherKey,
      '-servername', 'localhost', '-cert2', f.serverCert, '-key2', f.serverKey,
      '-rev',
    ]);
    const named = await registry.connect({ host: '127.0.0.1', port, tls: { ca: [f.caCert], serverName: 'localhost' } });
    assert.equal(named.tls?.version, 'TLSv1.3');
    assert.equal(named.tls?.serverName, 'localhost');
    assert.equal(named.tls?.verified, true);
    assert.equal(await echoOnce(named, 'hello\n'), 'olleh\n', 's_server -rev answers over the session');
    named.destroy();
    await assert.rejects(registry.connect({ host: '127.0.0.1', port, tls: { ca: [f.caCert] } }), /Untrusted Test CA/, 'without SNI s_server sends the other certificate');

    const { port: port12 } = await sServer(cleanup, ['-cert', f.serverCert, '-key', f.serverKey, '-tls1_2', '-alpn', 'h2,http/1.1', '-rev']);
    const v12 = await registry.connect({ host: 'localhost', port: port12, tls: { ca: [f.caCert], alpn: ['spdy/3', 'http/1.1'] } });
    assert.equal(v12.tls?.version, 'TLSv1.2');
    assert.equal(v12.tls?.alpn, 'http/1.1');
    assert.match(v12.tls!.cipher, /^TLS_ECDHE_ECDSA_WITH_/);
    assert.equal(await echoOnce(v12, 'abc\n'), 'cba\n');
    // s_server serves one client at a time.
    v12.destroy();
    await assert.rejects(registry.connect({ host: 'localhost', port: port12, tls: { ca: [f.caCert], minVersion: 'TLSv1.3' } }), /share no TLS version/);
  });

  it('client → openssl s_server -Verify (mTLS): with the client certificate verified, without it refused', async () => {
    const { port, server } = await sServer(cleanup, ['-cert', f.serverCert, '-key', f.serverKey, '-Verify', '1', '-CAfile', f.caCert, '-verify_return_error', '-tls1_2', '-rev']);
    const withCert = await registry.connect({ host: 'localhost', port, tls: { ca: [f.caCert], cert: f.clientCert, key: f.clientKey } });
    assert.equal(await echoOnce(withCert, 'mtls\n'), 'sltm\n');
    await waitUntil(() => /Peer certificate: CN = TCP Lab client[\s\S]*Verification: OK/.test(server.output()), 's_server verifying our client certificate');
    withCert.destroy();
    await assert.rejects(registry.connect({ host: 'localhost', port, tls: { ca: [f.caCert] } }), /requires a client certificate|may require a client certificate/);
  });

  it('client → openssl s_server with an expired certificate: refused, or accepted by insecure with the reason', async () => {
    const { port } = await sServer(cleanup, ['-cert', f.expiredCert, '-key', f.expiredKey, '-rev']);
    await assert.rejects(registry.connect({ host: 'localhost', port, tls: { ca: [f.caCert] } }), /certificate "localhost" expired on/);
    const insecure = await registry.connect({ host: 'localhost', port, tls: { ca: [f.caCert], insecure: true } });
    assert.match(insecure.tls!.verification, /expired on/);
    assert.equal(insecure.tls?.verified, false);
  });

  it('TLS listener ← openssl s_client: the local CA verifies (return code 0), ALPN, mTLS require', async () => {
    const listener = await registry.listen({ port: 0, tls: { cert: f.serverCert, key: f.serverKey, alpn: ['h2'], ca: [f.caCert], requestCert: 'require' } });
    const errors: string[] = [];
    listener.onDidError((err) => errors.push(err.message));
    listener.onDidAccept((connection) => connection.onDidReceive((bytes) => void connection.send(Buffer.from(Buffer.from(bytes).toString().toUpperCase()))));
    const port = listener.address!.port;
    const accepted = nextEvent(listener.onDidAccept);
    const client = openssl(
      cleanup,
      ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', f.caCert, '-alpn', 'h2', '-cert', f.clientCert, '-key', f.clientKey, '-verify_return_error'],
      'hello\n',
    );
    const connection = await accepted;
    await waitUntil(() => client.output().includes('HELLO'), 'the upper-cased echo', 10_000);
    const out = client.output();
    assert.match(out, /Verify return code: 0 \(ok\)/);
    assert.match(out, /ALPN protocol: h2/);
    assert.equal(connection.tls?.alpn, 'h2');
    assert.equal(connection.tls?.serverName, 'localhost');
    assert.equal(connection.tls?.verified, true, 'the client certificate was verified');
    client.child.stdin!.end();

    const noCert = openssl(cleanup, ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', f.caCert, '-tls1_2'], 'x\n');
    await once(noCert.child, 'exit');
    await waitUntil(() => errors.length > 0, 'the listener reporting the refused client');
    assert.match(errors[0], /127\.0\.0\.1:\d+/);
  });

  it('STARTTLS behind a plain-text greeting: openssl s_client -starttls smtp to our listener, our client to a Python server', async () => {
    const listener = await registry.listen({ port: 0 });
    listener.onDidAccept((connection) => {
      let text = '';
      void connection.send(Buffer.from('220 tcp-lab ESMTP\r\n'));
      const subscription = connection.onDidReceive((bytes) => {
        text += Buffer.from(bytes).toString();
        if (/^EHLO .*\r\n$/m.test(text) && !text.includes('STARTTLS')) {
          void connection.send(Buffer.from('250-tcp-lab\r\n250 STARTTLS\r\n'));
        } else if (text.includes('STARTTLS\r\n')) {
          subscription.dispose();
          void connection.send(Buffer.from('220 go ahead\r\n')).then(() => connection.startTls({ cert: f.serverCert, key: f.serverKey }));
          connection.onDidReceive((secret) => void connection.send(Buffer.from(`250 got ${Buffer.from(secret).toString()}`)));
        }
      });
    });
    const smtp = openssl(cleanup, ['s_client', '-connect', `127.0.0.1:${listener.address!.port}`, '-starttls', 'smtp', '-CAfile', f.caCert, '-servername', 'localhost', '-verify_return_error'], 'NOOP\r\n');
    await waitUntil(() => smtp.output().includes('250 got NOOP'), 'the answer inside TLS', 10_000);
    assert.match(smtp.output(), /Verify return code: 0 \(ok\)/);
    smtp.child.stdin!.end();

    const { port } = await startPythonPeer(cleanup, 'tlsPeer.py', ['starttls', f.serverCert, f.serverKey]);
    const client = await registry.connect({ host: '127.0.0.1', port });
    let text = '';
    client.onDidReceive((bytes) => (text += Buffer.from(bytes).toString()));
    await waitUntil(() => text === '220 ready\r\n', 'the greeting');
    await client.send(Buffer.from('STARTTLS\r\n'));
    await waitUntil(() => text.endsWith('220 go\r\n'), 'the go-ahead');
    const info = await client.startTls({ ca: [f.caCert], serverName: 'localhost' });
    assert.equal(info.verified, true);
    assert.equal(info.version, 'TLSv1.3');
    text = '';
    await client.send(Buffer.from('inside'));
    await waitUntil(() => text === 'inside', 'the echo inside TLS');
  });

  it('Python ssl as a second peer: our client to its server (ALPN), its client to our listener (verified)', async () => {
    const { port } = await startPythonPeer(cleanup, 'tlsPeer.py', ['server', f.serverCert, f.serverKey, 'http/1.1']);
    const client = await registry.connect({ host: 'localhost', port, tls: { ca: [f.caCert], alpn: ['h2', 'http/1.1'] } });
    assert.equal(client.tls?.alpn, 'http/1.1');
    assert.equal(await echoOnce(client, 'python'), 'python');

    const listener = await registry.listen({ port: 0, tls: { cert: f.serverCert, key: f.serverKey, alpn: ['h2'] } });
    listener.onDidAccept((connection) => connection.onDidReceive((bytes) => void connection.send(bytes)));
    const { spawn: spawnChild } = await import('node:child_process');
    const py = spawnChild('python3', ['-u', `${__dirname}/../peers/tlsPeer.py`, 'client', String(listener.address!.port), f.caCert, 'localhost']);
    let out = '';
    py.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await once(py, 'close');
    assert.equal(out.trim(), 'ok TLSv1.3 h2 ping');
  });

  it('keylog: tshark decrypts a loopback capture of a session with the key-log file TCP Lab wrote', async function () {
    const probe = spawnSync('tshark', ['--version']);
    if (probe.error || probe.status !== 0) this.skip();
    const dir = mkdtempSync(path.join(tmpdir(), 'tcplab-keylog-'));
    cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
    const capture = path.join(dir, 'tls.pcapng');
    const keyLogFile = path.join(dir, 'keys.log');
    const listener = await registry.listen({ port: 0, tls: { cert: f.serverCert, key: f.serverKey } });
    listener.onDidAccept((connection) => connection.onDidReceive((bytes) => void connection.send(Buffer.from(Buffer.from(bytes).toString().split('').reverse().join('')))));
    const port = listener.address!.port;
    const tshark = spawn('tshark', ['-i', 'lo', '-f', `tcp port ${port}`, '-w', capture], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    tshark.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    cleanup.add(async () => {
      if (tshark.exitCode !== null || tshark.signalCode !== null) return;
      const exited = once(tshark, 'exit');
      tshark.kill('SIGTERM');
      await exited;
    });
    await waitUntil(() => /Capturing on/.test(stderr) || tshark.exitCode !== null, 'tshark to start capturing', 15_000);
    if (tshark.exitCode !== null) this.skip();
    // dumpcap reports "Capturing on" a moment before its filter is live.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const client = await registry.connect({ host: 'localhost', port, tls: { ca: [f.caCert] }, keyLogFile });
    assert.equal(await echoOnce(client, 'secret-words'), 'sdrow-terces');
    client.destroy();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const exited = once(tshark, 'exit');
    tshark.kill('SIGINT');
    await exited;
    const read = (extra: string[]): string => spawnSync('tshark', ['-r', capture, ...extra, '-q', '-z', 'follow,tls,ascii,0'], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(read([]), /secret-words/, 'without the keys the capture stays encrypted');
    const decrypted = read(['-o', `tls.keylog_file:${keyLogFile}`]);
    assert.match(decrypted, /secret-words/);
    assert.match(decrypted, /sdrow-terces/);
  });
});
