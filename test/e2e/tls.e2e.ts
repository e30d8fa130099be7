// TLS end to end, in the packaged extension: the traffic panel's Connect form reaches Debian's
// `openssl s_server -www` over TLS, and the header shows the protocol and the verification result
// with the peer's chain; a GET answered by s_server's status page arrives in the log as plaintext.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalCa, type LocalCaPaths } from '../../src/app/localCa';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { useScenarioSession } from './harness/scenarioSession';

const workspaceFixture = join(__dirname, 'workspace');
const artifacts = new ScenarioArtifacts('tls');

after(() => artifacts.restore());

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('TLS in code-server (end to end)', function () {
  const current = useScenarioSession(artifacts, () => ({ fixture: workspaceFixture, userSettings: { 'workbench.colorTheme': 'Default Light Modern' } }));
  let dir: string;
  let ca: LocalCaPaths;
  let server: ChildProcess | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tcplab-e2e-tls-'));
    ca = await createLocalCa(dir);
  });
  after(async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = once(server, 'exit');
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('Connect over TLS to openssl s_server -www: the header shows TLS 1.3, the chain and why it is not trusted', async function () {
    this.timeout(120_000);
    const s = current();
    const { workbench } = s;
    const port = await freePort();
    let output = '';
    server = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', ca.serverCert, '-key', ca.serverKey, '-cert_chain', ca.caCert, '-www'], { stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 100 && !output.includes('ACCEPT'); i++) await s.page.waitForTimeout(100);
    assert.match(output, /ACCEPT/, 'openssl s_server started');

    await workbench.openTcpLabView();
    await workbench.runCommand('TCP: Open Traffic Panel');
    await workbench.waitForPrompt(/Open a traffic panel on/);
    await workbench.pick(/New listener or connection/);
    const panel = workbench.webview();
    const connect = panel.getByRole('form', { name: 'Connect' });
    await connect.waitFor({ timeout: 15_000 });
    await connect.getByLabel('Port').fill(String(port));
    // The editor does not trust this test's CA: accept it, and see the panel say so.
    await connect.getByLabel('Accept any certificate (problems are still shown)').check();
    await connect.getByRole('button', { name: 'Connect' }).click();

    const tls = panel.getByLabel('TLS session');
    await tls.waitFor({ timeout: 20_000 });
    const text = (await tls.textContent()) ?? '';
    assert.match(text, /^TLSv1\.3 · TLS_AES_256_GCM_SHA384 — the chain ends in the self-signed CA "TCP Lab Local CA", which is not trusted$/);
    const chain = (await tls.getAttribute('title')) ?? '';
    assert.match(chain, /Peer: CN=localhost, O=TCP Lab \(issued by CN=TCP Lab Local CA, O=TCP Lab;.*DNS:localhost, IP Address:127\.0\.0\.1.*SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    assert.match(chain, /Issuer 1: CN=TCP Lab Local CA/);
    await artifacts.shot(s, 'tls-header');

    // The log shows the handshake row, then the plaintext of what s_server answers.
    await panel.getByText(/TLS handshake in \d+\.\d ms: TLSv1\.3/).first().waitFor({ timeout: 15_000 });
    const box = panel.locator('textarea[aria-label="Payload to send"]');
    await box.fill('GET / HTTP/1.0\\r\\n\\r\\n');
    await box.press('Control+Enter');
    await panel.getByText(/HTTP\/1\.0 200 ok/i).first().waitFor({ timeout: 15_000 });
  });

  it('TCP: Create Local Certificate Authority, then a TLS listener from the panel accepts openssl s_client -CAfile with the CA (verify return code 0)', async function () {
    this.timeout(120_000);
    const s = current();
    const { workbench } = s;
    await workbench.runCommand('View: Close All Editors', 10_000);
    await workbench.runCommand('TCP: Create Local Certificate Authority');
    await workbench.waitForNotification(/Local certificate authority created/);
    await workbench.clearNotifications();
    const caFile = findFile(s.tempRoot, join('local-ca', 'ca.pem'));
    assert.ok(caFile, 'the CA is in the extension global storage');

    await workbench.runCommand('TCP: Open Traffic Panel');
    await workbench.waitForPrompt(/Open a traffic panel on/);
    await workbench.pick(/New listener or connection/);
    const panel = workbench.webview();
    const listen = panel.getByRole('form', { name: 'Listen' });
    await listen.waitFor({ timeout: 15_000 });
    await listen.getByLabel('Host').fill('127.0.0.1');
    await listen.getByLabel('TLS with the local certificate authority').check();
    await listen.getByRole('button', { name: /Start/ }).click();
    const addresses = panel.locator('.header .addresses');
    await addresses.waitFor({ timeout: 15_000 });
    let shown = '';
    for (let i = 0; i < 100 && !/^tls:\/\/127\.0\.0\.1:\d+$/.test(shown); i++) {
      shown = (await addresses.textContent()) ?? '';
      await s.page.waitForTimeout(100);
    }
    const port = Number(/:(\d+)$/.exec(shown)?.[1]);
    assert.ok(port > 0, `the header shows the TLS listener: "${shown}"`);

    const client = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', caFile, '-verify_return_error'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    client.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    client.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    client.stdin.write('hello from s_client\n');
    for (let i = 0; i < 100 && !out.includes('Verify return code'); i++) await s.page.waitForTimeout(100);
    await panel.getByText('hello from s_client').first().waitFor({ timeout: 15_000 });
    client.stdin.end();
    const exited = once(client, 'exit');
    client.kill('SIGTERM');
    await exited;
    assert.match(out, /Verify return code: 0 \(ok\)/);
    await artifacts.shot(s, 'tls-listener');
  });
});

function findFile(root: string, suffix: string): string | undefined {
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const full = join(root, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(full, suffix);
      if (found) return found;
    } else if (full.endsWith(suffix)) {
      return full;
    }
  }
  return undefined;
}
