// TLS commands that need the editor: create the local certificate authority in the extension's
// global storage, and export its CA certificate so a device, a browser or a test can trust it.
import * as vscode from 'vscode';
import { createLocalCa, findLocalCa, readLocalCaCertificate } from '../app/localCa';
import type { CommandHandlers, CommandSource } from './commandRegistration';

export const TLS_COMMANDS = {
  createLocalCa: 'tcpLab.createLocalCa',
  exportCaCertificate: 'tcpLab.exportCaCertificate',
} as const;

/** Where the local CA lives: a folder of the extension's global storage. */
export function localCaDirectory(context: vscode.ExtensionContext): string {
  return vscode.Uri.joinPath(context.globalStorageUri, 'local-ca').fsPath;
}

/** TCP: Create Local Certificate Authority and TCP: Export CA Certificate…; failures reach the user through registerCommands' net. */
export class TlsCommands implements CommandSource {
  private readonly directory: string;

  constructor(context: vscode.ExtensionContext) {
    this.directory = localCaDirectory(context);
  }

  commands(): CommandHandlers {
    return {
      [TLS_COMMANDS.createLocalCa]: () => this.createLocalCa(),
      [TLS_COMMANDS.exportCaCertificate]: () => this.exportCa(),
    };
  }

  private async exportCa(): Promise<void> {
    const pem = await readLocalCaCertificate(this.directory);
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: vscode.l10n.t('Export the TCP Lab CA certificate'),
      defaultUri: folder ? vscode.Uri.joinPath(folder, 'tcp-lab-ca.pem') : undefined,
      filters: { [vscode.l10n.t('PEM certificate')]: ['pem', 'crt'] },
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, Buffer.from(pem));
    void vscode.window.showInformationMessage(vscode.l10n.t('CA certificate written to {0}; trust it on the client (for example openssl s_client -CAfile {0}).', target.fsPath));
  }

  private async createLocalCa(): Promise<void> {
    if (await findLocalCa(this.directory)) {
      const replaceLabel = vscode.l10n.t('Replace');
      const replace = await vscode.window.showWarningMessage(
        vscode.l10n.t('A local certificate authority already exists. Replace it? Devices that trust the old CA will stop trusting TCP Lab listeners.'),
        { modal: true },
        replaceLabel,
      );
      if (replace !== replaceLabel) return;
    }
    const paths = await createLocalCa(this.directory);
    const choice = await vscode.window.showInformationMessage(
      vscode.l10n.t('Local certificate authority created: a CA, a certificate for localhost, 127.0.0.1 and ::1 ({0}) and a client certificate for mTLS ({1}).', paths.serverCert, paths.clientCert),
      vscode.l10n.t('Export CA Certificate…'),
    );
    if (choice) await this.exportCa();
  }
}
