// The modal that asks before a port becomes reachable from other machines, worded by the exposure
// policy, so the palette, presets and `.tcp` LISTEN blocks ask the same question the same way.
import * as vscode from 'vscode';
import type { BindExposure } from '../app/exposurePolicy';

/** True when the user confirmed (or nothing needed confirming). */
export async function confirmExposure(exposure: BindExposure): Promise<boolean> {
  if (!exposure.exposed) return true;
  const label = exposure.confirmLabel ?? vscode.l10n.t('Listen');
  const choice = await vscode.window.showWarningMessage(exposure.sentence ?? '', { modal: true, detail: exposure.detail }, label);
  return choice === label;
}
