// Scenario: a `.tcp` block receives a stream of length-prefixed frames (`FRAMING u32be`) and compares
// every frame with an `EXPECT text`, against a raw node:net client reading the same stream and only
// counting its bytes. The sender is the same plain node:net server for both, writing the stream in
// 64 KiB chunks with the usual backpressure idiom. Issue 12's goal: the framed receive costs at
// most 2x the raw read, so a receive that copied or rescanned its buffer per chunk would show here.
import * as net from 'node:net';
import { once } from 'node:events';
import { shippedTcpFile } from './shippedCore';
import { closeRaw, listenRaw, LOOPBACK } from './loopback';

export interface FramedRun {
  ms: number;
  /** CPU time (user + system) of this process over the same span, sender included. */
  cpuMs: number;
}

/** One frame's body fits the default 1 MiB maximum frame size with its 4-byte header to spare. */
export const FRAME_BODY_BYTES = 2 ** 20 - 16;
const CHUNK_BYTES = 64 * 1024;

export interface FramedStream {
  frames: number;
  bytes: Buffer;
  /** The `.tcp` text for a listener on `port`: one EXPECT per frame, through a file variable. */
  tcpText(port: number): string;
}

export function framedStream(frames: number): FramedStream {
  const body = Buffer.alloc(FRAME_BODY_BYTES, 'a');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(FRAME_BODY_BYTES);
  const bytes = Buffer.concat(Array.from({ length: frames }, () => [header, body]).flat());
  const expects = 'EXPECT within 60s text {{frame}}\n'.repeat(frames);
  return { frames, bytes, tcpText: (port) => `@frame = ${body.toString('latin1')}\n###\nCONNECT ${LOOPBACK}:${port}\nFRAMING u32be\n${expects}` };
}

/** A server that writes `bytes` to every client that connects, then leaves the connection open. */
async function sender(bytes: Buffer): Promise<{ port: number; close(): Promise<void> }> {
  const sockets: net.Socket[] = [];
  const { server, port } = await listenRaw((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    void (async () => {
      for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
        if (!socket.write(bytes.subarray(at, at + CHUNK_BYTES))) await once(socket, 'drain');
      }
    })();
  });
  return { port, close: () => closeRaw(server, sockets) };
}

function since(startNs: bigint, cpu: NodeJS.CpuUsage): FramedRun {
  const used = process.cpuUsage(cpu);
  return { ms: Number(process.hrtime.bigint() - startNs) / 1e6, cpuMs: (used.user + used.system) / 1000 };
}

/** The raw read: connect, count every byte, stop the clock at the last one. */
export async function framedRaw(stream: FramedStream): Promise<FramedRun> {
  const peer = await sender(stream.bytes);
  try {
    const cpu = process.cpuUsage();
    const startNs = process.hrtime.bigint();
    const socket = net.connect({ host: LOOPBACK, port: peer.port });
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('data', (data: Buffer) => {
        received += data.length;
        if (received >= stream.bytes.length) resolve();
      });
    });
    const run = since(startNs, cpu);
    socket.destroy();
    if (received !== stream.bytes.length) throw new Error(`raw read received ${received} of ${stream.bytes.length} bytes`);
    return run;
  } finally {
    await peer.close();
  }
}

/**
 * TCP Lab: the block runs on the bare engine's sockets. The clock starts when the runner opens its
 * connection (parsing the file and preparing its 64 expected payloads happen before, and are not
 * receiving) and stops when runBlock has compared the last frame and closed the connection.
 */
export async function framedOurs(stream: FramedStream): Promise<FramedRun> {
  const { parseTcpFile, runBlock, engineSockets } = shippedTcpFile();
  const peer = await sender(stream.bytes);
  try {
    const file = parseTcpFile(stream.tcpText(peer.port));
    let cpu = process.cpuUsage();
    let startNs = 0n;
    const result = await runBlock(file, file.blocks[0], {
      sockets: {
        connect: (options) => {
          cpu = process.cpuUsage();
          startNs = process.hrtime.bigint();
          return engineSockets.connect(options);
        },
        listen: (options) => engineSockets.listen(options),
      },
    });
    const run = since(startNs, cpu);
    const failed = result.error ?? result.expectations.find((e) => e.status !== 'passed')?.message;
    if (result.status !== 'passed') throw new Error(`the framed run did not pass: ${failed}`);
    return run;
  } finally {
    await peer.close();
  }
}
