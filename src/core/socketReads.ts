// Plain TCP sockets read into one buffer that is reused for every read, instead of the new buffer
// node allocates for each 'data' event. In the extension host, whose heap is large, every 32 MiB of
// those young buffers forces a scavenge, and each such scavenge starts a full mark of the whole heap
// on V8's worker threads: a 128 MiB flood into a listener cost the extension host 0.28 s of CPU that
// way, against 0.12 s reading into a reused buffer and copying into the log's store (measured in
// code-server; docs/benchmarks.md). Node's `onread` option does this for a socket it creates; a
// socket a server accepted is moved onto a new Socket that has it (see adoptForSharedReads).
import { Socket } from 'node:net';

/** What node reads per call, as for its own reads. */
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * One buffer for every socket's reads: node fills it and calls back synchronously, once per read,
 * and each callback copies what it keeps before returning, so sockets never see each other's bytes.
 */
let sharedReadBuffer: Buffer | undefined;

/** Where a socket's reads go; `deliver` is set by the connection that owns the socket. */
export interface ReadSink {
  deliver?: (bytes: Buffer) => void;
}

type SharedReadOptions = { onread: { buffer: Buffer; callback: (length: number, buffer: Uint8Array) => boolean } };

/** The `onread` option: each read's bytes (valid only during the call) go to `sink.deliver`. */
export function sharedReadOptions(sink: ReadSink): SharedReadOptions {
  sharedReadBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  const buffer = sharedReadBuffer;
  return {
    onread: {
      buffer,
      callback: (length) => {
        sink.deliver?.(buffer.subarray(0, length));
        // Holds pause the socket themselves (pause() stops the reads too), so reading goes on here.
        return true;
      },
    },
  };
}

/** A socket for connect() that reads into the shared buffer. */
export function socketWithSharedReads(sink: ReadSink): Socket {
  // `onread` is read by the Socket constructor (net.connect passes its options there); the typings
  // list it for connect() only.
  return new Socket({ allowHalfOpen: true, ...sharedReadOptions(sink) } as ConstructorParameters<typeof Socket>[0]);
}

interface StreamHandle {
  readStart?: unknown;
  useUserBuffer?: unknown;
}

/**
 * Moves a socket a server accepted (with `pauseOnConnect`, so nothing has been read) onto a new Socket
 * that reads into the shared buffer. net.Server has no `onread` option, so the new Socket takes the
 * accepted one's handle (the `handle` option node's own servers use), and the accepted Socket lets
 * go of it without closing it. Undefined when this node's sockets do not work that way: the accepted
 * socket is then used as it is, with 'data' events.
 */
export function adoptForSharedReads(accepted: Socket, sink: ReadSink): Socket | undefined {
  const holder = accepted as unknown as { _handle?: StreamHandle | null };
  const handle = holder._handle;
  if (accepted.destroyed || !handle || typeof handle.readStart !== 'function' || typeof handle.useUserBuffer !== 'function') return undefined;
  const adopted = new Socket({ handle, allowHalfOpen: true, readable: true, writable: true, ...sharedReadOptions(sink) } as ConstructorParameters<typeof Socket>[0]);
  // With no handle left, destroy() only ends the old object (and the server's count of it).
  holder._handle = null;
  accepted.destroy();
  return adopted;
}
