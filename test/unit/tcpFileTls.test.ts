// `.tcp` files over TLS: tls:// targets, the TLS-* options, STARTTLS and EXPECT tls, run on real
// sockets (TCP Lab's TLS listener, Python's ssl module), with TLS files under the SEND file rule.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Registry } from '../../src/core/registry';
import { engineSockets } from '../../src/core/tcpFile/engineSockets';
import { parseTcpFile } from '../../src/core/tcpFile/parser';
import { runBlock } from '../../src/core/tcpFile/runner';
import { Cleanup, startPythonPeer } from './support/sockets';
import { tlsFixtures, type TlsFixtures } from './support/tlsFixtures';

describe('.tcp files over TLS', function () {
  this.timeout(20_000);
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

  async function run(text: string, baseDir = f.dir) {
    const file = parseTcpFile(text);
    assert.deepEqual(file.diagnostics, []);
    return runBlock(file, file.blocks[0], { sockets: engineSockets, baseDir });
  }

  async function echoListener(extra: Record<string, unknown> = {}) {
    const listener = await registry.listen({ port: 0, tls: { cert: f.serverCert, key: f.serverKey, alpn: ['h2'], ...extra } });
    listener.onDidAccept((connection) => connection.onDidReceive((bytes) => void connection.send(bytes)));
    return listener.address!.port;
  }

  it('parses the TLS directives and explains bad ones where they are', () => {
    const good = parseTcpFile('###\nCONNECT tls://localhost:8443\nTLS-SERVERNAME example.com\nTLS-ALPN h2, http/1.1\nTLS-CA ca.pem\nTLS-MIN TLSv1.2\nTLS-MAX TLSv1.3\nTLS-INSECURE\nEXPECT tls alpn h2');
    assert.deepEqual(good.diagnostics, []);
    assert.deepEqual(good.blocks[0].options.tls, { serverName: 'example.com', alpn: ['h2', 'http/1.1'], ca: ['ca.pem'], minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', insecure: true });
    const bad = parseTcpFile('###\nCONNECT tls://localhost:8443\nTLS-MIN TLSv9\nTLS-ALPN\nEXPECT tls colour blue\nSTARTTLS now\nCONNECT https://x:1');
    const messages = bad.diagnostics.map((d) => `${d.line + 1}: ${d.message}`);
    assert.match(messages[0], /^3: TLS-MIN: "minVersion" "TLSv9" is not a TLS version; use one of TLSv1, TLSv1\.1, TLSv1\.2, TLSv1\.3\./);
    assert.match(messages[1], /^4: TLS-ALPN needs a value/);
    assert.match(messages[2], /^5: EXPECT tls needs a property and a value: use alpn, version, peer-name, cipher, verified/);
    assert.match(messages[3], /^6: STARTTLS takes no argument/);
  });

  it('CONNECT tls:// with TLS-CA and TLS-ALPN: EXPECT text and EXPECT tls pass, a wrong EXPECT tls says what it was', async () => {
    const port = await echoListener();
    const result = await run(`###\nCONNECT tls://localhost:${port}\nTLS-CA ca/ca.pem\nTLS-ALPN h2\nSEND text ping\nEXPECT text ping\nEXPECT tls alpn h2\nEXPECT tls version TLSv1.3\nEXPECT tls peer-name localhost\nEXPECT tls verified true`);
    assert.equal(result.status, 'passed', result.error ?? JSON.stringify(result.expectations));
    assert.equal(result.tls?.alpn, 'h2');
    const wrong = await run(`###\nCONNECT tls://localhost:${port}\nTLS-CA ca/ca.pem\nEXPECT tls version TLSv1.2`);
    assert.equal(wrong.status, 'failed');
    assert.equal(wrong.expectations[0].message, 'The TLS version is TLSv1.3, not TLSv1.2.');
  });

  it('an untrusted server fails the block with the verification sentence; TLS files outside the root are refused', async () => {
    const port = await echoListener();
    const refused = await run(`###\nCONNECT tls://localhost:${port}\nEXPECT tls verified true`);
    assert.equal(refused.status, 'error');
    assert.match(refused.error!, /not trusted; trust its CA with ca \(TLS-CA\)/);
    const outside = await run(`###\nCONNECT tls://localhost:${port}\nTLS-CA ../other-ca.pem\nEXPECT tls verified true`, path.join(f.dir, 'ca'));
    assert.equal(outside.status, 'error');
    assert.match(outside.error!, /^TLS-CA '\.\.\/other-ca\.pem' is outside .* and is not sent: move the file inside that folder/);
  });

  it('LISTEN tls:// with TLS-CERT and TLS-KEY serves a TLS client', async () => {
    const file = parseTcpFile('###\nLISTEN tls://127.0.0.1:0\nTLS-CERT ca/localhost.pem\nTLS-KEY ca/localhost-key.pem\nEXPECT text hello\nSEND text bye\nEXPECT tls version TLSv1.3');
    assert.deepEqual(file.diagnostics, []);
    let client: Promise<unknown> | undefined;
    const result = await runBlock(file, file.blocks[0], {
      sockets: engineSockets,
      baseDir: f.dir,
      onListening: (address) => {
        client = registry.connect({ host: 'localhost', port: address.port, tls: { ca: [f.caCert] } }).then((connection) => connection.send(Buffer.from('hello')));
      },
    });
    await client;
    assert.equal(result.status, 'passed', result.error ?? JSON.stringify(result.expectations));
  });

  it('STARTTLS after the plain-text greeting of a Python server', async () => {
    const { port } = await startPythonPeer(cleanup, 'tlsPeer.py', ['starttls', f.serverCert, f.serverKey]);
    const result = await run(`###\nCONNECT 127.0.0.1:${port}\nTLS-CA ca/ca.pem\nTLS-SERVERNAME localhost\nLINE-ENDING crlf\nEXPECT text 220 ready\\r\\n\nSEND text STARTTLS\nEXPECT text 220 go\\r\\n\nSTARTTLS\nSEND text secret\nEXPECT text secret\\r\\n\nEXPECT tls peer-name localhost`);
    assert.equal(result.status, 'passed', result.error ?? JSON.stringify(result.expectations));
    assert.equal(result.tls?.verified, true);
  });
});
