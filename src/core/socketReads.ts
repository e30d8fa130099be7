// Plain TCP sockets read straight into their log's store (receiveStore.ts) instead of the new
// buffer node allocates for each 'data' event. In the extension host, whose heap is large, every
// 32 MiB of those young buffers forces a scavenge, and each such scavenge starts a full mark of the
// whole heap on V8's worker threads: a 128 MiB flood into a listener cost the extension host 0.28 s
// of CPU that way, against 0.11-0.12 s reading into buffers it reuses (measured in code-server;
// docs/benchmarks.md). Node's `onread` option does this for a socket it creates; a socket a server
// accepted is moved onto a new Socket that has it (see adoptForOwnReads).
import { Socket } from 'node:net';

/** What node reads per call into the scratch buffer, as for its own reads. */
const SCRATCH_BYTES = 64 * 1024;

/**
 * Where reads go when the store has no region for them (before the connection is set up, or a byte
 * limit too small for one): one buffer for every socket. Node fills it and calls back synchronously,
 * and the callback copies what it keeps before returning, so sockets never see each other's bytes.
 */
let scratch: Buffer | undefined;

/** Where a socket's reads go; set by the connection that owns the socket. */
export interface ReadSink {
  /** The buffer for the next read (the log's store region), or undefined for the scratch buffer. */
  region?: () => Uint8Array | undefined;
  /** Each read's bytes, in the buffer they were read into (valid only during the call for scratch). */
  deliver?: (bytes: Buffer) => void;
  /** A read filled its buffer: the stream is busy (the next buffers may be larger). */
  filled?: () => void;
}

type OwnReadOptions = { onread: { buffer: () => Uint8Array; callback: (length: number, buffer: Uint8Array) => boolean } };

/** The `onread` option: node asks `sink.region` for each read's buffer and hands the bytes to `sink.deliver`. */
export function ownReadOptions(sink: ReadSink): OwnReadOptions {
  return {
    onread: {
      buffer: () => sink.region?.() ?? (scratch ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES)),
      callback: (length, buffer) => {
        if (length === buffer.byteLength) sink.filled?.();
        sink.deliver?.(Buffer.from(buffer.buffer, buffer.byteOffset, length));
        // Holds pause the socket themselves (pause() stops the reads too), so reading goes on here.
        return true;
      },
    },
  };
}

/** A socket for connect() whose reads go to `sink`. */
export function socketWithOwnReads(sink: ReadSink): Socket {
  // `onread` is read by the Socket constructor (net.connect passes its options there); the typings
  // list it for connect() only.
  return new Socket({ allowHalfOpen: true, ...ownReadOptions(sink) } as ConstructorParameters<typeof Socket>[0]);
}

interface StreamHandle {
  readStart?: unknown;
  useUserBuffer?: unknown;
}

/**
 * Moves a socket a server accepted (with `pauseOnConnect`, so nothing has been read) onto a new Socket
 * whose reads go to `sink`. net.Server has no `onread` option, so the new Socket takes the
 * accepted one's handle (the `handle` option node's own servers use), and the accepted Socket lets
 * go of it without closing it. Undefined when this node's sockets do not work that way: the accepted
 * socket is then used as it is, with 'data' events.
 */
export function adoptForOwnReads(accepted: Socket, sink: ReadSink): Socket | undefined {
  const holder = accepted as unknown as { _handle?: StreamHandle | null };
  const handle = holder._handle;
  if (accepted.destroyed || !handle || typeof handle.readStart !== 'function' || typeof handle.useUserBuffer !== 'function') return undefined;
  const adopted = new Socket({ handle, allowHalfOpen: true, readable: true, writable: true, ...ownReadOptions(sink) } as ConstructorParameters<typeof Socket>[0]);
  // With no handle left, destroy() only ends the old object (and the server's count of it).
  holder._handle = null;
  accepted.destroy();
  return adopted;
}
