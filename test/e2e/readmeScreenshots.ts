// Regenerates the README screenshots in media/screenshots from the real extension in code-server:
// a listener with two Python clients, the tree and the traffic panel, in a light and a dark theme
// and in both high contrast themes.
// Run with `npm run screenshots` (packages first). Not part of `npm test`.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/codeServer';
import { PythonPeer } from './harness/pythonPeer';
import { E2ESession } from './harness/session';

const outDir = join(repoRoot, 'media', 'screenshots');
const host = '127.0.0.1';

async function main(): Promise<void> {
  const session = await E2ESession.start({
    workspaceFixture: join(__dirname, 'workspace'),
    userSettings: { 'workbench.colorTheme': 'Default Light Modern', 'editor.minimap.enabled': false },
  });
  try {
    const { workbench, page } = session;
    await page.setViewportSize({ width: 1200, height: 720 });
    await workbench.runCommand('TCP: Start Listener');
    await workbench.waitForPrompt(/Start Listener/);
    await workbench.answer('0');
    const notice = await workbench.waitForNotification(/Listening on /);
    const port = Number(/:(\d+)/.exec(notice)?.[1]);
    await workbench.openTcpLabView();

    const device = session.track(await PythonPeer.connect(host, port));
    const gateway = session.track(await PythonPeer.connect(host, port));
    await workbench.expandTreeRow(/listening · 2 clients/);
    device.send(Buffer.from('HELLO device-17 fw=2.4.1\r\n'));
    await page.waitForTimeout(300);
    device.send(Buffer.from([0x02, 0x10, 0x00, 0x2a, 0xff, 0x7f, 0x80, 0x03]));
    await page.waitForTimeout(300);
    gateway.send(Buffer.from('{"temp":21.5,"unit":"C"}\n'));
    const devicePort = device.events[0].localPort ?? 0;
    await workbench.waitForTreeRow(new RegExp(`${host}:${devicePort}.*↓34 B`));

    const row = workbench.treeRow(new RegExp(`${host}:${devicePort}`));
    await row.hover();
    await row.locator('.actions .action-label[aria-label^="Open Traffic Panel"]').click();
    const panel = workbench.webview();
    await panel.locator('.log').waitFor({ timeout: 15_000 });
    await panel.locator('textarea[aria-label="Payload to send"]').fill('ACK 17');
    await panel.locator('select[aria-label="Line ending"]').selectOption('crlf');
    await panel.getByRole('button', { name: 'Send', exact: true }).click();
    await device.waitForBytes(8);
    await workbench.clearNotifications();
    await page.mouse.move(700, 700);
    await page.waitForTimeout(800);

    mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: join(outDir, 'tree-and-panel-light.png') });
    await workbench.runCommand('Preferences: Color Theme');
    await workbench.type('Dark Modern');
    await workbench.pick(/Dark Modern/);
    await page.locator('.monaco-workbench.vs-dark').waitFor({ timeout: 15_000 });
    await panel.locator('[role="radiogroup"][aria-label="View mode"]').getByRole('radio', { name: 'Hex', exact: true }).click();
    await page.mouse.move(700, 700);
    await page.waitForTimeout(800);
    await page.screenshot({ path: join(outDir, 'tree-and-panel-dark-hex.png') });
    // Both high contrast themes, with the selected row showing its outline and the log its focus.
    await panel.locator('.row.in').first().click();
    for (const [theme, kind, file] of [
      ['Dark High Contrast', 'hc-black', 'tree-and-panel-high-contrast-dark.png'],
      ['Light High Contrast', 'hc-light', 'tree-and-panel-high-contrast-light.png'],
    ] as const) {
      await workbench.runCommand('Preferences: Color Theme');
      await workbench.type(theme);
      await workbench.pick(theme);
      await page.locator(`.monaco-workbench.${kind}`).waitFor({ timeout: 15_000 });
      await page.mouse.move(700, 700);
      await page.waitForTimeout(800);
      await page.screenshot({ path: join(outDir, file) });
    }
    process.stdout.write(`Screenshots written to ${outDir}\n`);
  } finally {
    await session.dispose();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
