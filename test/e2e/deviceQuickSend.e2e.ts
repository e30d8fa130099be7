// Issue 16 end to end: a preset's quick-send button in the traffic panel sends bytes with the CRC a
// Python Modbus-style server verifies with its own code, and the server's reply shows as a frame
// whose checksum passed (the panel's framing checks it). Its own code-server session, on its own
// workspace fixture.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { PythonPeer } from './harness/pythonPeer';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { useScenarioSession } from './harness/scenarioSession';
import { escapeRegExp } from './harness/workbench';

const fixture = join(__dirname, 'workspaceDevice');
const settingsPath = join('.vscode', 'settings.json');
const artifacts = new ScenarioArtifacts('device');

after(() => artifacts.restore());

describe('Device quick-send in code-server (end to end)', function () {
  let modbus: PythonPeer | undefined;
  let port = 0;

  before(async () => {
    const started = await PythonPeer.modbusServer();
    modbus = started.peer;
    port = started.port;
  });
  after(() => modbus?.kill());
  const current = useScenarioSession(artifacts, () => ({
    fixture,
    stage: (staged) => staged.edit(settingsPath, (text) => text.replace('"port": 47072', `"port": ${port}`)),
  }));

  it('sends a preset payload from its quick-send button with the CRC the peer verifies', async function () {
    this.timeout(90_000);
    assert.ok(modbus, 'the Modbus server did not start');
    const s = current();
    await s.workbench.openTcpLabView();
    const presetRow = s.workbench.treeRow(/^Modbus PLC/);
    await presetRow.hover();
    await presetRow.locator('.actions .action-label[aria-label^="Start Preset"]').click();
    const connection = s.workbench.treeRow(new RegExp(`^Modbus PLC${escapeRegExp(`127.0.0.1:${port}`)}.*open`));
    await connection.waitFor({ timeout: 20_000 });
    await connection.hover();
    await connection.locator('.actions .action-label[aria-label^="Open Traffic Panel"]').click();
    const panel = s.workbench.webview();
    await panel.locator('.log').waitFor({ timeout: 15_000 });

    // The panel checks every reply: 9-byte frames whose last two bytes are their CRC-16/MODBUS.
    await panel.locator('details.behaviour > summary').click();
    await panel.getByRole('combobox', { name: 'Framing' }).selectOption('fixed');
    await panel.getByRole('spinbutton', { name: 'Frame size in bytes' }).fill('9');
    await panel.getByRole('combobox', { name: 'Verify checksum' }).selectOption('crc16modbus');
    await panel.getByRole('button', { name: 'Apply framing' }).click();

    const bar = panel.getByRole('toolbar', { name: 'Quick send' });
    await bar.getByRole('button', { name: 'Quick send Read registers' }).click();
    const good = await modbus.waitFor((e) => e.event === 'frame', 15_000);
    assert.deepEqual([good.hex, good.how], ['0103000a0002e409', 'crc ok']);
    // The reply is cut as a 9-byte frame and its CRC checked: a plain frame row, not a marked one
    // (framing applied after the reply arrived would re-cut the kept log, so there is no race).
    await panel.locator('.log .row.kind-frame').first().waitFor({ timeout: 15_000 });
    assert.equal(await panel.locator('.log .row.invalid').count(), 0);
    await artifacts.shot(s, 'quick-send-verified');

    // A payload without a checksum: the server rejects it, and nothing comes back.
    await bar.getByRole('button', { name: 'Quick send Corrupt' }).click();
    const bad = await modbus.waitFor((e) => e.event === 'frame' && e.how === 'crc bad', 15_000);
    assert.equal(bad.hex, '0103000a00020000');
  });
});
