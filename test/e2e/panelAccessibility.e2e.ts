// Issue 15's panel items in a real VS Code: the codicon font loads under the webview's real CSP, the
// high contrast theme reaches the panel as VS Code's body class and its borders, and with
// tcpLab.panel.announceReceived on, what a Python client sends is announced in the live region.
// Its own code-server session, on its own workspace fixture.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { PythonPeer } from './harness/pythonPeer';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { useScenarioSession } from './harness/scenarioSession';
import { escapeRegExp } from './harness/workbench';

const fixture = join(__dirname, 'workspacePanel');
const host = '127.0.0.1';
const artifacts = new ScenarioArtifacts('panelAccessibility');

after(() => artifacts.restore());

describe('Traffic panel icons, high contrast and announcements in code-server (end to end)', function () {
  const current = useScenarioSession(artifacts, () => ({
    fixture,
    userSettings: { 'workbench.colorTheme': 'Default High Contrast', 'tcpLab.panel.announceReceived': true },
  }));

  it('loads the codicons, draws high contrast borders and announces what a client sends', async function () {
    this.timeout(120_000);
    const s = current();
    const { workbench } = s;
    await workbench.openTcpLabView();
    const port = await workbench.startListenerOnAnyPort();
    await workbench.treeRow(new RegExp(`${escapeRegExp(`${host}:${port}`)}(?!\\d)`)).locator('.label-name').click();
    const panel = workbench.webview();
    await panel.locator('.log').waitFor({ timeout: 15_000 });

    const copy = panel.getByRole('button', { name: 'Copy', exact: true });
    const page = await copy.evaluate(async (button) => {
      const doc = button.ownerDocument;
      await doc.fonts.load('16px codicon');
      return {
        font: doc.fonts.check('16px codicon'),
        family: getComputedStyle(button.querySelector('.codicon') as Element).fontFamily,
        highContrast: doc.body.classList.contains('vscode-high-contrast'),
        logBorder: getComputedStyle(doc.querySelector('.log') as Element).borderTopColor,
        contrastBorder: getComputedStyle(doc.documentElement).getPropertyValue('--vscode-contrastBorder').trim(),
      };
    });
    assert.equal(page.font, true, 'the codicon font loaded through the webview CSP');
    assert.equal(page.family, 'codicon');
    assert.equal(page.highContrast, true, 'VS Code marks the high contrast theme on the panel body');
    assert.notEqual(page.contrastBorder, '', 'VS Code defines contrastBorder in high contrast');
    const hex = page.contrastBorder.toLowerCase();
    const rgb = `rgb(${parseInt(hex.slice(1, 3), 16)}, ${parseInt(hex.slice(3, 5), 16)}, ${parseInt(hex.slice(5, 7), 16)})`;
    assert.equal(page.logBorder, rgb, 'the log is framed by contrastBorder');

    const client = s.track(await PythonPeer.connect(host, port));
    client.send(Buffer.from('PING 1\r\n'));
    const region = panel.locator('#received-announcements');
    const deadline = Date.now() + 15_000;
    let said = '';
    while (!said && Date.now() < deadline) {
      said = ((await region.textContent()) ?? '').trim();
      if (!said) await new Promise((done) => setTimeout(done, 150));
    }
    assert.equal(said, 'Received 8 bytes: PING 1\\r\\n');
    const row = panel.locator('.log .row.in').first();
    assert.match((await row.getAttribute('aria-label')) ?? '', /^Received #1 8 bytes from 127\.0\.0\.1:\d+ at .*: PING 1\\r\\n$/);
    // The client's "connected" row and its data: the whole log is here, so the set is every row.
    assert.equal(await row.getAttribute('aria-setsize'), String(await panel.locator('.log .row:not(.probe):not([hidden])').count()));
    assert.match((await row.getAttribute('aria-posinset')) ?? '', /^[1-9]\d*$/);
    await artifacts.shot(s, 'high-contrast-announced');
  });
});
