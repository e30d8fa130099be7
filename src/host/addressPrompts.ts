// The inputs that ask for an address: Start Listener's port box (with a host switch) and Connect…'s
// picker over recent targets and client presets. Each validates as the user types, so Enter only
// ever accepts a valid host:port.
import * as vscode from 'vscode';
import type { PresetEntry } from '../app/treeModel';
import { formatHostPort, formatTarget, parseHostPort, parseTarget, validateHostText, type HostPort } from '../shared/hostPort';

/** What Connect… chose: a typed or recent target, or a client preset to start. */
/** `tls` when the user typed `tls://host:port`. */
export type ConnectTarget = HostPort & { tls?: boolean };
export type ConnectChoice = { target: ConnectTarget } | { preset: PresetEntry };

/** The port input: validated as the user types; a title button switches the host. */
export async function promptListenAddress(initialHost: string): Promise<HostPort | undefined> {
  let host = initialHost;
  let value = '';
  for (;;) {
    const result = await showPortInput(host, value);
    if (!result) return undefined;
    if ('address' in result) return result.address;
    value = result.value;
    host = (await pickListenHost(host)) ?? host;
  }
}

/**
 * A quick pick over recent targets and client presets; what the user types becomes the first item,
 * which shows as the problem sentence while the text is not a valid `host:port`.
 */
export function promptConnectTarget(initial: string, recentTargets: readonly string[], presetEntries: readonly PresetEntry[]): Promise<ConnectChoice | undefined> {
  type Item = vscode.QuickPickItem & { target?: ConnectTarget; preset?: PresetEntry };
  const recent: Item[] = recentTargets.flatMap((text) => {
    const parsed = parseTarget(text);
    return parsed.ok ? [{ label: text, description: vscode.l10n.t('recent'), iconPath: new vscode.ThemeIcon('history'), target: { host: parsed.host, port: parsed.port, tls: parsed.tls } }] : [];
  });
  const presets: Item[] = presetEntries
    .filter((entry) => entry.preset.kind === 'client')
    .map((entry) => ({
      label: entry.preset.name,
      description: `${vscode.l10n.t('preset')} · ${formatHostPort(entry.preset.host, entry.preset.port)}${entry.restricted ? ` · ${vscode.l10n.t('Restricted Mode')}` : ''}`,
      iconPath: new vscode.ThemeIcon(entry.restricted ? 'shield' : 'bookmark'),
      preset: entry,
    }));
  const fixed: Item[] = [
    ...(recent.length ? [{ label: vscode.l10n.t('Recent'), kind: vscode.QuickPickItemKind.Separator }, ...recent] : []),
    ...(presets.length ? [{ label: vscode.l10n.t('Presets'), kind: vscode.QuickPickItemKind.Separator }, ...presets] : []),
  ];

  const pick = vscode.window.createQuickPick<Item>();
  pick.title = vscode.l10n.t('Connect…');
  pick.placeholder = vscode.l10n.t('host:port or tls://host:port, e.g. 127.0.0.1:9000, [::1]:9000 or tls://localhost:8443');
  pick.ignoreFocusOut = true;
  pick.matchOnDescription = true;
  const refresh = (text: string): void => {
    if (text.trim() === '') {
      pick.items = fixed;
      return;
    }
    const parsed = parseTarget(text);
    if (parsed.ok) {
      // A complete target stands alone: a recent entry that merely starts with the same text
      // (127.0.0.1:9000 for 127.0.0.1:900) must not be what Enter picks.
      const typed: Item = { label: `$(${parsed.tls ? 'lock' : 'plug'}) ${vscode.l10n.t('Connect to {0}', formatTarget(parsed.host, parsed.port, parsed.tls))}`, alwaysShow: true, target: { host: parsed.host, port: parsed.port, tls: parsed.tls } };
      pick.items = [typed];
      pick.activeItems = [typed];
      return;
    }
    // Incomplete text may still be filtering recents and presets by name; the problem shows on top.
    pick.items = [{ label: `$(warning) ${parsed.message}`, alwaysShow: true }, ...fixed];
  };
  pick.value = initial;
  refresh(initial);

  return runQuickInput<ConnectChoice>(pick, (finish) => [
    pick.onDidChangeValue(refresh),
    pick.onDidAccept(() => {
      const [selected] = pick.selectedItems.length ? pick.selectedItems : pick.activeItems;
      if (selected?.target) finish({ target: selected.target });
      else if (selected?.preset) finish({ preset: selected.preset });
      // An invalid typed target keeps the picker open with its problem sentence on show.
    }),
  ]);
}

function showPortInput(host: string, value: string): Promise<{ address: HostPort } | { value: string } | undefined> {
  const input = vscode.window.createInputBox();
  input.title = vscode.l10n.t('Start Listener on {0}', host);
  input.prompt = vscode.l10n.t('Port to listen on (0 picks any free port), or host:port. Listens on {0}: use the button to change the host.', host);
  input.placeholder = vscode.l10n.t('e.g. 9000 or 0');
  input.value = value;
  input.ignoreFocusOut = true;
  const changeHost: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('server-environment'), tooltip: vscode.l10n.t('Choose Host…') };
  input.buttons = [changeHost];
  const parse = (text: string) => parseHostPort(text, { defaultHost: host, allowZeroPort: true });
  return runQuickInput<{ address: HostPort } | { value: string }>(input, (finish) => [
    input.onDidChangeValue((text) => {
      const parsed = parse(text);
      input.validationMessage = text.trim() === '' || parsed.ok ? undefined : parsed.message;
    }),
    input.onDidAccept(() => {
      const parsed = parse(input.value);
      if (parsed.ok) finish({ address: { host: parsed.host, port: parsed.port } });
      else input.validationMessage = parsed.message;
    }),
    input.onDidTriggerButton(() => finish({ value: input.value })),
  ]);
}

function pickListenHost(current: string): Promise<string | undefined> {
  type Item = vscode.QuickPickItem & { host?: string };
  const known: Item[] = [
    { label: '127.0.0.1', description: vscode.l10n.t('IPv4 loopback: this machine only'), host: '127.0.0.1' },
    { label: '::1', description: vscode.l10n.t('IPv6 loopback: this machine only'), host: '::1' },
    { label: '0.0.0.0', description: vscode.l10n.t('every IPv4 interface: reachable from the network'), host: '0.0.0.0' },
    { label: '::', description: vscode.l10n.t('every interface: reachable from the network'), host: '::' },
  ];
  if (!known.some((k) => k.host === current)) known.unshift({ label: current, description: vscode.l10n.t('current'), host: current });
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = vscode.l10n.t('Listen on which host?');
  pick.placeholder = vscode.l10n.t('Choose an address, or type a host name or IP address');
  pick.items = known;
  pick.activeItems = known.filter((k) => k.host === current);
  return runQuickInput<string>(pick, (finish) => [
    pick.onDidChangeValue((text) => {
      const host = text.trim().replace(/^\[(.*)\]$/, '$1');
      if (host === '' || known.some((k) => k.host === host)) {
        pick.items = known;
        return;
      }
      const problem = validateHostText(host);
      const typed: Item = problem
        ? { label: `$(warning) ${problem}`, alwaysShow: true }
        : { label: host, description: vscode.l10n.t('typed'), alwaysShow: true, host };
      pick.items = [typed, ...known];
      pick.activeItems = [typed];
    }),
    pick.onDidAccept(() => {
      const [selected] = pick.selectedItems.length ? pick.selectedItems : pick.activeItems;
      if (selected?.host) finish(selected.host);
    }),
  ]);
}

/**
 * Shows a quick input until it settles once: `finish` resolves with a result and hides it; hiding
 * it any other way (Escape, focus elsewhere) resolves undefined. Either way everything is disposed.
 */
function runQuickInput<T>(input: vscode.QuickInput, wire: (finish: (result: T | undefined) => void) => vscode.Disposable[]): Promise<T | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: T | undefined): void => {
      if (settled) return;
      settled = true;
      resolve(result);
      input.hide();
    };
    const subscriptions = wire(finish);
    subscriptions.push(input.onDidHide(() => {
      finish(undefined);
      for (const s of subscriptions) s.dispose();
      input.dispose();
    }));
    input.show();
  });
}
