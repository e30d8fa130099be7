// Issue 18 item 4 end to end: after Developer: Reload Window a listener's panel offers to restart
// the listener on the port it had, and then to apply its framing again. Its own code-server
// session, on its own workspace fixture.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { useScenarioSession } from './harness/scenarioSession';
import { escapeRegExp } from './harness/workbench';

const fixture = join(__dirname, 'workspacePanel');
const host = '127.0.0.1';
const artifacts = new ScenarioArtifacts('panelRestore');

after(() => artifacts.restore());

describe('Traffic panel across a reload in code-server (end to end)', function () {
  const current = useScenarioSession(artifacts, () => ({ fixture }));

  it('restarts the listener on its port from the restored panel and applies its framing again', async function () {
    this.timeout(120_000);
    const s = current();
    const { workbench } = s;
    await workbench.openTcpLabView();
    const port = await workbench.startListenerOnAnyPort();
    const where = escapeRegExp(`${host}:${port}`);
    await workbench.treeRow(new RegExp(`${where}(?!\\d)`)).locator('.label-name').click();
    let panel = workbench.webview();
    await panel.locator('.log').waitFor({ timeout: 15_000 });
    await panel.locator('details.behaviour > summary').click();
    await panel.getByRole('combobox', { name: 'Framing' }).selectOption('delimiter');
    await panel.getByRole('button', { name: 'Apply framing' }).click();
    await panel.getByText('Applied: Delimiter, echo off, 0 rules.').waitFor({ timeout: 10_000 });
    await artifacts.shot(s, 'framing-applied');

    // The workbench counts as ready once the Explorer lists files, so it is the view left open.
    await workbench.activityBarEntry('Explorer').click();
    await s.reloadWindow();
    panel = workbench.webview();
    const restart = panel.getByRole('button', { name: `Restart on ${host}:${port}` });
    await restart.waitFor({ timeout: 30_000 });
    await artifacts.shot(s, 'restart-offered');
    await restart.click();
    await waitForText(panel, '.header .state', /^listening/);
    await waitForText(panel, '.header .addresses', new RegExp(`^${where}$`));
    await panel.getByText('Before the reload this panel had framing.').waitFor({ timeout: 10_000 });
    await panel.getByRole('button', { name: 'Apply them again' }).click();
    await panel.getByText('Applied again: framing. Save into preset keeps them for good.').waitFor({ timeout: 10_000 });
    await panel.locator('details.behaviour > summary').click();
    assert.equal(await panel.getByRole('combobox', { name: 'Framing' }).inputValue(), 'delimiter');
    await workbench.openTcpLabView();
    await workbench.waitForTreeRow(new RegExp(`${where}(?!\\d).*listening`));
    await artifacts.shot(s, 'restarted');
  });
});

async function waitForText(panel: FrameLocator, selector: string, pattern: RegExp, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = (await panel.locator(selector).first().textContent().catch(() => '')) ?? '';
    if (pattern.test(text)) return;
    if (Date.now() > deadline) throw new Error(`${selector} never matched ${String(pattern)}; it read "${text}".`);
    await new Promise((done) => setTimeout(done, 150));
  }
}
