// The lifecycle lines of every listener and connection, written to the "TCP Lab" output channel.
import type * as vscode from 'vscode';
import { LifecycleLines } from '../app/lifecycleLines';
import type { Registry } from '../core/registry';

export class LifecycleLog extends LifecycleLines implements vscode.Disposable {
  constructor(registry: Registry, log: vscode.LogOutputChannel) {
    super(registry, log);
  }
}
