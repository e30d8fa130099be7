// Frames one connection's received stream: a Framer fed from Connection.onDidReceive, finished when
// the peer ends or the connection closes. The traffic panel uses it to show frames on any
// connection (client or accepted); the mock server uses it to answer frames.
import type { ResolvedFraming } from '../shared/framing';
import { Emitter, DisposableStore, type Disposable, type Event } from './events';
import { Framer, type FrameEvent, type FramerEvent, type FramingErrorEvent } from './framer';
import type { ConnectionState } from './types';

/** The part of a Connection a framed stream listens to. */
export interface FramedSource {
  readonly onDidReceive: Event<Uint8Array>;
  readonly onDidChangeState: Event<ConnectionState>;
  readonly onDidClose: Event<unknown>;
  /** The peer sent FIN. */
  readonly remoteEnded: boolean;
}

export class FramedStream implements Disposable {
  private framer: Framer;
  private ended = false;
  private readonly store = new DisposableStore();
  private readonly frameEmitter = new Emitter<FrameEvent>();
  private readonly errorEmitter = new Emitter<FramingErrorEvent>();
  private readonly endEmitter = new Emitter<void>();
  readonly onDidFrame: Event<FrameEvent> = this.frameEmitter.event;
  /** Over-long, malformed, or (at the end of the stream) incomplete frames. */
  readonly onDidFramingError: Event<FramingErrorEvent> = this.errorEmitter.event;
  /** The stream ended (peer FIN or close); no frames follow. */
  readonly onDidEnd: Event<void> = this.endEmitter.event;

  constructor(source: FramedSource, framing: ResolvedFraming) {
    this.framer = new Framer(framing);
    this.store.add(this.frameEmitter);
    this.store.add(this.errorEmitter);
    this.store.add(this.endEmitter);
    this.store.add(source.onDidReceive((chunk) => this.emit(this.framer.push(chunk))));
    this.store.add(
      source.onDidChangeState(() => {
        if (source.remoteEnded) this.finish();
      }),
    );
    this.store.add(source.onDidClose(() => this.finish()));
    if (source.remoteEnded) this.finish();
  }

  get framing(): ResolvedFraming {
    return this.framer.framing;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get buffered(): number {
    return this.framer.buffered;
  }

  /**
   * Switches to another framing. The bytes of a half-received frame are discarded: they were cut by
   * the old definition and cannot be re-read under the new one reliably.
   */
  setFraming(framing: ResolvedFraming): void {
    this.framer = new Framer(framing);
  }

  dispose(): void {
    this.store.dispose();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.emit(this.framer.end());
    this.endEmitter.fire();
  }

  private emit(events: FramerEvent[]): void {
    for (const event of events) {
      if (event.type === 'frame') this.frameEmitter.fire(event);
      else this.errorEmitter.fire(event);
    }
  }
}
