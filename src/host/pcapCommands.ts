// "Export as pcapng…": a connection, a listener (every client it remembers) or a capture file
// becomes a pcapng file that Wireshark opens. The format and the TCP synthesis live in core and
// app; this file asks where to save, shows progress and reports the result.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { targetIdOf } from '../app/commandArgs';
import { logFileName } from '../app/logExport';
import { captureFileOptions, convertCaptureToPcapng, describeExport, exportTargetToPcapng } from '../app/pcapExport';
import { parseEndpoint, type ExportSummary } from '../core/pcapExport';
import type { Registry } from '../core/registry';
import type { CommandHandlers, CommandSource } from './commandRegistration';
import { pickTarget } from './historyCommands';
import { askSaveLocation, whereSaved } from './saveDialog';

export const PCAP_COMMANDS = {
  exportPcapng: 'tcpLab.exportPcapng',
  exportCaptureAsPcapng: 'tcpLab.exportCaptureAsPcapng',
} as const;

const PCAPNG_FILTER = { 'pcapng (Wireshark)': ['pcapng'] };

/** The save dialog's answer as a local path: pcapng files are streamed with node:fs as they are written. */
function localPath(uri: vscode.Uri): string {
  if (uri.scheme !== 'file') {
    throw new Error(vscode.l10n.t('TCP Lab writes pcapng files on the machine it runs on, and {0} is not there; pick a folder on that machine.', uri.toString()));
  }
  return uri.fsPath;
}

async function withProgress(title: string, task: () => Promise<ExportSummary>): Promise<ExportSummary> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, task);
}

function announce(summary: ExportSummary, uri: vscode.Uri, log: vscode.LogOutputChannel): string {
  const where = whereSaved(uri);
  const sentence = describeExport(summary, where);
  log.info(sentence);
  const reveal = vscode.l10n.t('Reveal');
  void vscode.window.showInformationMessage(sentence, reveal).then((choice) => {
    if (choice === reveal) void vscode.commands.executeCommand('revealFileInOS', uri);
  });
  return where;
}

/**
 * Asks where to save, then exports a connection or listener; resolves with where the file went, or
 * undefined when the dialog was cancelled. Failures reject with one sentence (the panel shows it).
 */
export async function exportPcapngWithDialog(registry: Registry, targetId: string, log: vscode.LogOutputChannel): Promise<string | undefined> {
  const uri = await askSaveLocation(vscode.l10n.t('Export {0} as pcapng', targetId), logFileName(targetId, 'pcapng'), PCAPNG_FILTER);
  if (!uri) return undefined;
  const file = localPath(uri);
  const summary = await withProgress(vscode.l10n.t('Exporting {0} as pcapng…', targetId), () => exportTargetToPcapng(registry, targetId, file));
  return announce(summary, uri, log);
}

async function exportCaptureWithDialog(registry: Registry, capture: vscode.Uri, log: vscode.LogOutputChannel): Promise<void> {
  const source = localPath(capture);
  const options = captureFileOptions(registry, source);
  if (!options.remote) {
    // A renamed capture file no longer says who the peer was; the packets need its address and port.
    const answer = await vscode.window.showInputBox({
      title: vscode.l10n.t('Export {0} as pcapng', basename(source)),
      prompt: vscode.l10n.t('This capture file does not say which peer it talked to: enter its numeric address and port'),
      placeHolder: vscode.l10n.t('127.0.0.1:502 or [::1]:502'),
      validateInput: (text) => (parseEndpoint(text) ? undefined : vscode.l10n.t('Enter a numeric address and port, such as 127.0.0.1:502 or [::1]:502.')),
    });
    if (answer === undefined) return;
    options.remote = parseEndpoint(answer);
  }
  const uri = await askSaveLocation(vscode.l10n.t('Export {0} as pcapng', basename(source)), basename(source).replace(/\.jsonl$/i, '') + '.pcapng', PCAPNG_FILTER, capture);
  if (!uri) return;
  const summary = await withProgress(vscode.l10n.t('Converting {0} to pcapng…', basename(source)), () => convertCaptureToPcapng(source, localPath(uri), options));
  announce(summary, uri, log);
}

/** Export as pcapng… (connections, listeners) and Export Capture File as pcapng…. */
export class PcapCommands implements CommandSource {
  constructor(
    private readonly registry: Registry,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  commands(): CommandHandlers {
    const { registry, log } = this;
    return {
      [PCAP_COMMANDS.exportPcapng]: async (arg) => {
        const id = targetIdOf(arg) ?? (await pickTarget(registry, vscode.l10n.t('Export which connection or listener as pcapng?'), () => true, false));
        if (id === false || id === undefined) return undefined;
        return exportPcapngWithDialog(registry, id, log);
      },
      [PCAP_COMMANDS.exportCaptureAsPcapng]: async (arg) => {
        let capture = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
        if (!capture || !/\.jsonl$/i.test(capture.path)) {
          const picked = await vscode.window.showOpenDialog({ title: vscode.l10n.t('Export which capture file as pcapng?'), filters: { [vscode.l10n.t('JSON Lines')]: ['jsonl'] }, canSelectMany: false, openLabel: vscode.l10n.t('Export') });
          if (!picked?.[0]) return undefined;
          capture = picked[0];
        }
        await exportCaptureWithDialog(registry, capture, log);
        return undefined;
      },
    };
  }
}
