// Writes the lifecycle of every listener and connection as one line each (listening, accepted, closed
// and why, with byte counts), so a user can reconstruct what happened after the notifications are
// gone: to the "TCP Lab" output channel in the editor, to the terminal in `tcp-lab serve`.
import { DisposableStore, type Disposable } from '../core/events';
import type { Registry, RegistryChange } from '../core/registry';
import { describeCloseReason } from '../shared/closeReasons';
import { connectionPeer, isListener, listenerAddress } from './targets';
import { formatEndpoint } from '../shared/hostPort';
import { describeTlsInfo } from '../shared/tls';

/** Where the lines go: the output channel's levels. */
export interface LogSink {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export class LifecycleLines implements Disposable {
  private readonly subscriptions = new DisposableStore();
  /** Per-item event subscriptions, released when the item leaves the registry or closes. */
  private readonly perItem = new Map<string, DisposableStore>();
  /** Listener addresses remembered for the "stopped" line, written after the listener is gone. */
  private readonly listenerNames = new Map<string, string>();

  constructor(
    private readonly registry: Registry,
    private readonly log: LogSink,
  ) {
    this.subscriptions.add(registry.onDidChange((change) => this.onChange(change)));
  }

  private onChange(change: RegistryChange): void {
    if (change.kind === 'added') this.onAdded(change.id);
    else if (change.kind === 'closed') this.onClosed(change);
  }

  private onAdded(id: string): void {
    const item = this.registry.get(id);
    if (!item || this.perItem.has(id)) return;
    const store = new DisposableStore();
    this.perItem.set(id, store);
    if (isListener(item)) {
      const name = listenerAddress(item);
      this.listenerNames.set(id, name);
      this.log.info(`[${id}] Listening on ${name}`);
      store.add(item.onDidError((err) => this.log.error(`[${id}] ${err.message}`)));
      store.add(item.onDidReject((peer) => this.log.warn(`[${id}] Refused ${formatEndpoint(peer)}: the listener's connection limit is reached`)));
      return;
    }
    const peer = connectionPeer(item);
    if (item.role === 'accepted') this.log.info(`[${id}] Accepted ${peer} on ${item.listenerId ?? 'a listener'}`);
    else this.log.info(`[${id}] Connected to ${peer}`);
    if (item.tls) this.log.info(`[${id}] ${describeTlsInfo(item.tls)}`);
    store.add(item.onDidHandshake((info) => this.log.info(`[${id}] STARTTLS: ${describeTlsInfo(info)}`)));
    store.add(item.onDidError((err) => this.log.error(`[${id}] ${err.message}`)));
    store.add(item.onDidChangeState((state) => {
      if (state === 'halfClosed') this.log.info(`[${id}] ${peer} half-closed: one side has finished sending; Disconnect closes it fully`);
    }));
    store.add(item.onDidClose(({ reason, error }) => {
      const totals = item.totals;
      const line = `[${id}] ${peer} ${describeCloseReason(reason)}; received ${totals.bytesIn} bytes, sent ${totals.bytesOut} bytes`;
      if (error) this.log.warn(`${line}: ${error.message}`);
      else this.log.info(line);
      this.release(id);
    }));
  }

  private onClosed(change: RegistryChange): void {
    if (change.item === 'listener') {
      this.log.info(`[${change.id}] Stopped listening on ${this.listenerNames.get(change.id) ?? change.id}`);
      this.listenerNames.delete(change.id);
      this.release(change.id);
    }
    // A closed connection is released by its own close event, which carries the reason.
  }

  private release(id: string): void {
    this.perItem.get(id)?.dispose();
    this.perItem.delete(id);
  }

  dispose(): void {
    this.subscriptions.dispose();
    for (const store of this.perItem.values()) store.dispose();
    this.perItem.clear();
  }
}
