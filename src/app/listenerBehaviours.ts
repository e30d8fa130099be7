// The mock-server behaviour (framing, echo, auto-reply rules) a traffic panel gave each listener.
// It lives beside the panels rather than inside one, so closing and reopening a listener's panel
// keeps the listener answering and shows the same rules and hit counters. An entry goes away when
// its listener stops. No `vscode` import, so mocha drives it directly.
import { Emitter, type Disposable, type Event } from '../core/events';
import type { Listener } from '../core/listener';
import { MockServer } from '../core/mockServer';
import type { BehaviourInfo } from '../shared/protocol';

interface Entry {
  raw: BehaviourInfo;
  server: MockServer;
  stopSubscription: Disposable;
}

export function defaultBehaviourInfo(): BehaviourInfo {
  return { framing: { mode: 'none' }, echo: false, rules: [] };
}

export class ListenerBehaviours implements Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly changeEmitter = new Emitter<string>();
  /** Fires with the listener id whose behaviour was replaced. */
  readonly onDidChange: Event<string> = this.changeEmitter.event;

  /** The definition as last applied (plain preset JSON), or undefined when the panel never set one. */
  get(listenerId: string): BehaviourInfo | undefined {
    return this.entries.get(listenerId)?.raw;
  }

  server(listenerId: string): MockServer | undefined {
    return this.entries.get(listenerId)?.server;
  }

  /**
   * Validates the raw definition like a listener preset and makes the listener answer with it.
   * On a problem nothing changes and the one-sentence reason is returned.
   */
  apply(listener: Listener, raw: BehaviourInfo): { ok: true; server: MockServer } | { ok: false; error: string } {
    const fields = { kind: 'listener', ...raw };
    const existing = this.entries.get(listener.id);
    if (existing) {
      const result = existing.server.reconfigure(fields, 'listener');
      if (!result.ok) return result;
      existing.raw = raw;
      this.changeEmitter.fire(listener.id);
      return { ok: true, server: existing.server };
    }
    const attached = MockServer.attach(listener, fields, 'listener');
    if (!attached.ok) return attached;
    const stopSubscription = listener.onDidStop(() => this.forget(listener.id));
    this.entries.set(listener.id, { raw, server: attached.server, stopSubscription });
    this.changeEmitter.fire(listener.id);
    return { ok: true, server: attached.server };
  }

  /**
   * Takes over a mock server started elsewhere (a listener preset), so the listener's panel shows and
   * edits that one instead of attaching a second server that would answer every frame twice.
   */
  adopt(listener: Listener, server: MockServer, preset: { framing?: unknown; echo?: unknown; rules?: unknown }): void {
    this.forget(listener.id);
    const raw: BehaviourInfo = {
      framing: typeof preset.framing === 'object' && preset.framing !== null ? (preset.framing as Record<string, unknown>) : { mode: 'none' },
      echo: preset.echo === true,
      rules: Array.isArray(preset.rules) ? (preset.rules as Record<string, unknown>[]) : [],
    };
    const stopSubscription = listener.onDidStop(() => this.forget(listener.id));
    this.entries.set(listener.id, { raw, server, stopSubscription });
    this.changeEmitter.fire(listener.id);
  }

  forget(listenerId: string): void {
    const entry = this.entries.get(listenerId);
    if (!entry) return;
    this.entries.delete(listenerId);
    entry.stopSubscription.dispose();
    entry.server.dispose();
  }

  dispose(): void {
    for (const id of [...this.entries.keys()]) this.forget(id);
    this.changeEmitter.dispose();
  }
}
