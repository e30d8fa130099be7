// Issue 18 item 5 end to end: typing `{{host}}` in a `.tcp` file, key by key, gives `{{host}}` —
// the closing braces type over the ones the editor closed for the user, none are left behind.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { useScenarioSession } from './harness/scenarioSession';

const fixture = join(__dirname, 'workspaceTcpTyping');
const fileName = 'typing.tcp';
const artifacts = new ScenarioArtifacts('tcpFileTyping');

after(() => artifacts.restore());

describe('.tcp typing in code-server (end to end)', function () {
  const current = useScenarioSession(artifacts, () => ({ fixture }));

  it('types {{host}} and {{port}} with the keyboard and saves exactly what was typed', async function () {
    this.timeout(60_000);
    const session = current();
    const { page, workbench } = session;
    await workbench.openFile(fileName);
    await workbench.focusEditor();
    // Each line ends with Escape before Enter: a suggestion list the editor may show for a word
    // (quick suggestions, or TCP Lab's own once it is active) would take the Enter as "accept", and
    // this test is about the braces, not about suggestions.
    const typeLine = async (text: string): Promise<void> => {
      await page.keyboard.type(text, { delay: 20 });
      await page.keyboard.press('Escape');
    };
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    await typeLine('### Typed');
    await page.keyboard.press('Enter');
    await typeLine('CONNECT {{host}}:{{port}}');
    await page.keyboard.press('Enter');
    await typeLine('SEND text [{{host}}]');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+S');
    const onDisk = join(session.workspace, fileName);
    const expected = '### Typed\nCONNECT {{host}}:{{port}}\nSEND text [{{host}}]';
    const deadline = Date.now() + 10_000;
    let text = readFileSync(onDisk, 'utf8');
    while (!text.includes('SEND text') && Date.now() < deadline) {
      await page.waitForTimeout(150);
      text = readFileSync(onDisk, 'utf8');
    }
    await artifacts.shot(session, 'typed');
    const typed = text.slice(text.indexOf('### Typed')).trimEnd();
    assert.equal(typed, expected);
  });
});
