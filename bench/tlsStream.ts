// Scenario: TLS over loopback, TCP Lab's core at both ends (tls:// client into a TLS listener, traffic
// logs on both) against raw node:tls at both ends with the same certificates: a bulk stream's
// throughput, and the handshake time (connect until the session is up, certificate verified).
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { createLocalCa, type LocalCaPaths } from '../src/app/localCa';
import { shippedCore } from './shippedCore';
import { LOOPBACK } from './loopback';

export interface TlsStreamRun {
  mibPerSecond: number;
}

let certificates: Promise<LocalCaPaths> | undefined;

/** A local CA made once per run in a temporary folder (removed at exit). */
export function benchCertificates(): Promise<LocalCaPaths> {
  if (!certificates) {
    const dir = mkdtempSync(join(tmpdir(), 'tcp-lab-bench-tls-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    certificates = createLocalCa(dir);
  }
  return certificates;
}

function makeChunk(size: number): Uint8Array {
  const chunk = new Uint8Array(size);
  for (let i = 0; i < size; i++) chunk[i] = (i * 31 + 7) & 0xff;
  return chunk;
}

function mibPerSecond(bytes: number, startNs: bigint): number {
  return bytes / 2 ** 20 / (Number(process.hrtime.bigint() - startNs) / 1e9);
}

async function rawTlsServer(ca: LocalCaPaths, onSocket: (socket: tls.TLSSocket) => void): Promise<{ server: tls.Server; port: number }> {
  const server = tls.createServer({ cert: readFileSync(ca.serverCert), key: readFileSync(ca.serverKey) }, onSocket);
  server.listen(0, LOOPBACK);
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

async function rawTlsConnect(port: number, caPem: Buffer): Promise<tls.TLSSocket> {
  const socket = tls.connect({ host: LOOPBACK, port, servername: 'localhost', ca: caPem });
  await once(socket, 'secureConnect');
  return socket;
}

export async function tlsStreamRaw(totalBytes: number, chunkSize: number): Promise<TlsStreamRun> {
  const ca = await benchCertificates();
  const chunk = makeChunk(chunkSize);
  let received = 0;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const accepted: tls.TLSSocket[] = [];
  const { server, port } = await rawTlsServer(ca, (socket) => {
    accepted.push(socket);
    socket.on('data', (data: Buffer) => {
      received += data.length;
      if (received >= totalBytes) finished();
    });
  });
  const client = await rawTlsConnect(port, readFileSync(ca.caCert));
  const start = process.hrtime.bigint();
  for (let sent = 0; sent < totalBytes; sent += chunkSize) {
    if (!client.write(chunk.slice())) await once(client, 'drain');
  }
  await done;
  const run = { mibPerSecond: mibPerSecond(totalBytes, start) };
  client.destroy();
  for (const socket of accepted) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return run;
}

export async function tlsStreamOurs(totalBytes: number, chunkSize: number): Promise<TlsStreamRun> {
  const { Registry } = shippedCore();
  const ca = await benchCertificates();
  const chunk = makeChunk(chunkSize);
  const registry = new Registry();
  try {
    let received = 0;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const listener = await registry.listen({ host: LOOPBACK, port: 0, tls: { cert: ca.serverCert, key: ca.serverKey } });
    listener.onDidAccept((connection) =>
      connection.onDidReceive((data) => {
        received += data.length;
        if (received >= totalBytes) finished();
      }),
    );
    const client = await registry.connect({ host: LOOPBACK, port: listener.address?.port ?? 0, tls: { ca: [ca.caCert], serverName: 'localhost' } });
    const start = process.hrtime.bigint();
    for (let sent = 0; sent < totalBytes; sent += chunkSize) await client.send(chunk.slice());
    await done;
    const run = { mibPerSecond: mibPerSecond(totalBytes, start) };
    if (client.totals.bytesOut !== totalBytes) throw new Error(`TLS stream counted out=${client.totals.bytesOut} of ${totalBytes} bytes`);
    return run;
  } finally {
    await registry.stopAll();
    registry.dispose();
  }
}

/** Milliseconds per handshake, `count` sequential handshakes against one raw node:tls server. */
export async function handshakesRaw(count: number): Promise<number[]> {
  const ca = await benchCertificates();
  const caPem = readFileSync(ca.caCert);
  const accepted: tls.TLSSocket[] = [];
  const { server, port } = await rawTlsServer(ca, (socket) => accepted.push(socket));
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    const socket = await rawTlsConnect(port, caPem);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    socket.destroy();
  }
  for (const socket of accepted) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return times;
}

/**
 * The same with TCP Lab at both ends: connect() to a TLS listener, which also reads the CA file,
 * checks the peer and builds TlsInfo (chain, fingerprints) for every session.
 */
export async function handshakesOurs(count: number): Promise<number[]> {
  const { Registry } = shippedCore();
  const ca = await benchCertificates();
  const registry = new Registry();
  try {
    const listener = await registry.listen({ host: LOOPBACK, port: 0, tls: { cert: ca.serverCert, key: ca.serverKey } });
    const port = listener.address?.port ?? 0;
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const start = process.hrtime.bigint();
      const connection = await registry.connect({ host: LOOPBACK, port, tls: { ca: [ca.caCert], serverName: 'localhost' } });
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      connection.destroy();
    }
    return times;
  } finally {
    await registry.stopAll();
    registry.dispose();
  }
}
