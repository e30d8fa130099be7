// A tiny typed event emitter with VS Code's shape, so host adapters can forward core events
// without the core importing `vscode`.

/** Something that can be released; structurally compatible with `vscode.Disposable`. */
export interface Disposable {
  dispose(): void;
}

/** Subscribe with a listener; dispose the returned handle to unsubscribe. */
export type Event<T> = (listener: (e: T) => void) => Disposable;

export class Emitter<T> implements Disposable {
  private listeners = new Set<(e: T) => void>();
  // Events fire per received chunk, so fire() reuses one frozen copy of the listeners instead of
  // allocating a new one each time; (un)subscribing drops the copy.
  private snapshot: readonly ((e: T) => void)[] | undefined;

  /** The subscribe function handed to consumers. */
  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    this.snapshot = undefined;
    return {
      dispose: () => {
        this.listeners.delete(listener);
        this.snapshot = undefined;
      },
    };
  };

  fire(value: T): void {
    if (this.listeners.size === 0) return;
    // Iterate a copy: a listener may unsubscribe (or subscribe) while we iterate.
    const listeners = (this.snapshot ??= [...this.listeners]);
    for (const listener of listeners) {
      try {
        listener(value);
      } catch (err) {
        // One faulty subscriber must not stop the others or the socket that fired the event.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  get hasListeners(): boolean {
    return this.listeners.size > 0;
  }

  dispose(): void {
    this.listeners.clear();
    this.snapshot = undefined;
  }
}

/** Collects disposables so a long-lived object can release all its children at once. */
export class DisposableStore implements Disposable {
  private items: Disposable[] = [];
  private disposed = false;

  add<T extends Disposable>(item: T): T {
    if (this.disposed) {
      item.dispose();
    } else {
      this.items.push(item);
    }
    return item;
  }

  dispose(): void {
    this.disposed = true;
    const items = this.items;
    this.items = [];
    for (const item of items.reverse()) item.dispose();
  }
}
