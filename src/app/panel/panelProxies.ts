// What a traffic panel asks of the proxy engine: which proxy a listener or pair belongs to, starting
// one from the panel's form, its faults live, and bytes injected into either direction of a pair.
// An interface so the panel session stays independent of how the engine is built; the adapter over
// the engine is `proxyPanelControl.ts`.
import type { Event } from '../../core/events';
import type { ProxyPanelInfo } from '../../shared/protocol';
import type { FramingDefinition } from '../../shared/framing';
import type { ToxicStream } from '../../shared/toxics';

export interface PanelProxies {
  /** The proxy of a listener id (the proxy itself) or a connection id (one of its pairs); undefined for other targets. */
  infoFor(targetId: string): ProxyPanelInfo | undefined;
  /** Starts a proxy on host:port relaying to `upstream`; resolves the proxy's listener id. Throws one sentence. */
  start(request: { host: string; port: number; upstream: string }): Promise<string>;
  /** Stops the proxy a listener id belongs to (its pairs close) and forgets it. */
  stop(targetId: string): Promise<void>;
  /** Adds a fault, or with `replaces` changes the fault of that name. Throws one sentence when it is not valid. */
  setToxic(targetId: string, toxic: Record<string, unknown>, replaces?: string): void;
  /** Removes a fault by name. Throws one sentence when there is none. */
  removeToxic(targetId: string, name: string): void;
  /** The panel's framing becomes the proxy's, for both streams: `when` triggers then cut the frames the panel shows. */
  setFraming(targetId: string, framing: FramingDefinition): void;
  /** Writes bytes into one direction of a pair (`upstream`: to the server; `downstream`: to the client). */
  inject(pairId: string, stream: ToxicStream, bytes: Uint8Array): Promise<void>;
  /** A proxy was added, changed (faults, upstream, enabled) or removed; carries its name. */
  readonly onDidChange: Event<string>;
}
