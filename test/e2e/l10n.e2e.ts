// Issue 15, localisation end to end: code-server started with `--locale zh-cn` (and a registered
// language pack, without which code-server stays English; see registerEmptyLanguagePack) shows TCP
// Lab's command titles, Connections view, prompts, notifications and traffic panel in Chinese, from
// the shipped package.nls.zh-cn.json and l10n/bundle.l10n.zh-cn.json.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { useScenarioSession } from './harness/scenarioSession';
import { escapeRegExp } from './harness/workbench';

const fixture = join(__dirname, 'workspaceL10n');
const artifacts = new ScenarioArtifacts('l10n');

after(() => artifacts.restore());

describe('TCP Lab in Chinese (code-server --locale zh-cn, end to end)', function () {
  const current = useScenarioSession(artifacts, () => ({ fixture, locale: 'zh-cn' }));

  it('shows the view, a command title, its prompt, the notification and the traffic panel in Chinese', async function () {
    this.timeout(120_000);
    const s = current();
    const { workbench, page } = s;
    await workbench.openTcpLabView();
    // The view's name and its welcome text come from package.nls.zh-cn.json.
    const sidebar = page.locator('#workbench\\.parts\\.sidebar');
    // A container with one view hides that view's header, so its name is checked where VS Code keeps it.
    await sidebar.locator('.pane-header[aria-label^="连接"]').first().waitFor({ state: 'attached', timeout: 20_000 });
    await sidebar.getByText('没有打开的监听器或连接。').waitFor({ timeout: 20_000 });
    await artifacts.shot(s, 'view-zh-cn');

    // The palette finds the command by its translated title; the input box and the toast are host strings.
    await workbench.clearNotifications();
    await workbench.runCommand('TCP: 启动监听器');
    await workbench.waitForPrompt(/在 127\.0\.0\.1 上启动监听器/);
    assert.match(await workbench.promptText(), /要监听的端口/);
    await workbench.answer('0');
    const toast = await workbench.waitForNotification(/正在 127\.0\.0\.1:\d+ 上监听/);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(toast)?.[1]);
    assert.ok(port > 0, `the notification names the port: ${toast}`);

    // The tree's labels come from the app layer through shared/l10n.ts.
    const where = escapeRegExp(`127.0.0.1:${port}`);
    await workbench.waitForTreeRow(new RegExp(`${where}(?!\\d).*正在监听`));
    await workbench.treeRow(new RegExp(`${where}(?!\\d)`)).locator('.label-name').click();

    // The panel: the page's language, the header and the controls, from the bundle the host put in the page.
    const panel = workbench.webview();
    await panel.locator('.log').waitFor({ timeout: 15_000 });
    assert.equal(await panel.locator('html').getAttribute('lang'), 'zh-cn');
    await workbench.waitForPanelText(panel, '.header .title', /^监听器 L\d+$/);
    await workbench.waitForPanelText(panel, '.header .state', /^正在监听，0 个客户端打开$/);
    await panel.getByRole('button', { name: '停止监听器' }).waitFor({ timeout: 10_000 });
    await panel.getByRole('button', { name: '暂停自动滚动' }).waitFor({ timeout: 10_000 });
    await panel.getByRole('textbox', { name: '要发送的负载' }).waitFor({ timeout: 10_000 });
    await artifacts.shot(s, 'panel-zh-cn');
  });
});
