// Issue 15, localisation end to end: code-server started with `--locale zh-cn` or `--locale ja` (and a
// registered language pack, without which code-server stays English; see registerEmptyLanguagePack)
// shows TCP Lab's view, command titles, prompts, notifications, tree and traffic panel in that
// language, from the package.nls.<locale>.json and l10n/bundle.l10n.<locale>.json the .vsix ships.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { ScenarioArtifacts } from './harness/scenarioArtifacts';
import { useScenarioSession } from './harness/scenarioSession';
import { escapeRegExp } from './harness/workbench';

const fixture = join(__dirname, 'workspaceL10n');

interface Expected {
  locale: string;
  viewName: string;
  welcome: string;
  startListener: string;
  promptTitle: RegExp;
  promptText: RegExp;
  listening: (port: string) => RegExp;
  treeState: string;
  panelTitle: RegExp;
  panelState: RegExp;
  buttons: string[];
  payloadBox: string;
}

const LANGUAGES: Expected[] = [
  {
    locale: 'zh-cn',
    viewName: '连接',
    welcome: '没有打开的监听器或连接。',
    startListener: 'TCP: 启动监听器',
    promptTitle: /在 127\.0\.0\.1 上启动监听器/,
    promptText: /要监听的端口/,
    listening: (port) => new RegExp(`正在 127\\.0\\.0\\.1:${port} 上监听`),
    treeState: '正在监听',
    panelTitle: /^监听器 L\d+$/,
    panelState: /^正在监听，0 个客户端打开$/,
    buttons: ['停止监听器', '暂停自动滚动', '发送'],
    payloadBox: '要发送的负载',
  },
  {
    locale: 'ja',
    viewName: '接続',
    welcome: '開いているリスナーまたは接続はありません。',
    startListener: 'TCP: リスナーを開始',
    promptTitle: /127\.0\.0\.1 でリスナーを開始/,
    promptText: /リッスンするポート/,
    listening: (port) => new RegExp(`127\\.0\\.0\\.1:${port} でリッスンしています`),
    treeState: 'リッスン中',
    panelTitle: /^リスナー L\d+$/,
    panelState: /^リッスン中、0 個のクライアントがオープン$/,
    buttons: ['リスナーを停止', '自動スクロールを一時停止', '送信'],
    payloadBox: '送信するペイロード',
  },
];

for (const expected of LANGUAGES) {
  const artifacts = new ScenarioArtifacts(`l10n-${expected.locale}`);
  after(() => artifacts.restore());

  describe(`TCP Lab in code-server --locale ${expected.locale} (end to end)`, function () {
    const current = useScenarioSession(artifacts, () => ({ fixture, locale: expected.locale }));

    it('shows the view, a command title, its prompt, the notification, the tree and the traffic panel translated', async function () {
      this.timeout(120_000);
      const s = current();
      const { workbench, page } = s;
      await workbench.openTcpLabView();
      // The view's name and its welcome text come from package.nls.<locale>.json. A container with one
      // view hides that view's header, so its name is checked where VS Code keeps it.
      const sidebar = page.locator('#workbench\\.parts\\.sidebar');
      await sidebar.locator(`.pane-header[aria-label^="${expected.viewName}"]`).first().waitFor({ state: 'attached', timeout: 20_000 });
      await sidebar.getByText(expected.welcome).waitFor({ timeout: 20_000 });
      await artifacts.shot(s, 'view');

      // The palette finds the command by its translated title; the input box and the toast are host strings.
      await workbench.clearNotifications();
      await workbench.runCommand(expected.startListener);
      await workbench.waitForPrompt(expected.promptTitle);
      assert.match(await workbench.promptText(), expected.promptText);
      await workbench.answer('0');
      const toast = await workbench.waitForNotification(expected.listening('\\d+'));
      const port = /127\.0\.0\.1:(\d+)/.exec(toast)?.[1] ?? '';
      assert.match(toast, expected.listening(port), `the notification names the port: ${toast}`);

      // The tree's labels come from the app layer through shared/l10n.ts.
      const where = escapeRegExp(`127.0.0.1:${port}`);
      await workbench.waitForTreeRow(new RegExp(`${where}(?!\\d).*${expected.treeState}`));
      await workbench.treeRow(new RegExp(`${where}(?!\\d)`)).locator('.label-name').click();

      // The panel: the page's language, the header and the controls, from the bundle the host put in the page.
      const panel = workbench.webview();
      await panel.locator('.log').waitFor({ timeout: 15_000 });
      assert.equal(await panel.locator('html').getAttribute('lang'), expected.locale);
      await workbench.waitForPanelText(panel, '.header .title', expected.panelTitle);
      await workbench.waitForPanelText(panel, '.header .state', expected.panelState);
      for (const name of expected.buttons) await panel.getByRole('button', { name, exact: true }).first().waitFor({ timeout: 10_000 });
      await panel.getByRole('textbox', { name: expected.payloadBox }).waitFor({ timeout: 10_000 });
      await artifacts.shot(s, 'panel');
    });
  });
}
