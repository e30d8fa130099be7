// Scenario: a client sends a small message and waits for the listener to echo it back, many times in
// sequence; measures each round trip with TCP Lab's core and with raw node:net (Nagle off on both).
import type * as net from 'node:net';
import { shippedCore } from './shippedCore';
import { closeRaw, connectRaw, listenRaw, LOOPBACK } from './loopback';

export interface EchoRun {
  /** Round-trip times in microseconds, in send order. */
  roundTripsUs: number[];
  /** CPU time (user + system) of this process per measured round trip, both ends included. */
  cpuUsPerRoundTrip: number;
}

/** Waits for exactly `expected` bytes per round, whatever chunks they arrive in. */
class EchoWaiter {
  private received = 0;
  private resolve: (() => void) | undefined;

  constructor(private readonly expected: number) {}

  onData(length: number): void {
    this.received += length;
    if (this.received >= this.expected && this.resolve) {
      this.received -= this.expected;
      const resolve = this.resolve;
      this.resolve = undefined;
      resolve();
    }
  }

  next(): Promise<void> {
    return new Promise((resolve) => (this.resolve = resolve));
  }
}

async function measure(messages: number, warmup: number, send: () => void, waiter: EchoWaiter): Promise<EchoRun> {
  const roundTrips: number[] = [];
  let cpuStart = process.cpuUsage();
  for (let i = 0; i < warmup + messages; i++) {
    if (i === warmup) {
      cpuStart = process.cpuUsage();
    }
    const arrived = waiter.next();
    const start = process.hrtime.bigint();
    send();
    await arrived;
    if (i >= warmup) {
      roundTrips.push(Number(process.hrtime.bigint() - start) / 1e3);
    }
  }
  const cpu = process.cpuUsage(cpuStart);
  return { roundTripsUs: roundTrips, cpuUsPerRoundTrip: (cpu.user + cpu.system) / messages };
}

export async function echoRaw(messages: number, size: number, warmup: number): Promise<EchoRun> {
  const message = new Uint8Array(size).fill(0x61);
  const accepted: net.Socket[] = [];
  const { server, port } = await listenRaw((socket) => {
    accepted.push(socket);
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => socket.write(data));
  });
  const client = await connectRaw(port, true);
  const waiter = new EchoWaiter(size);
  client.on('data', (data: Buffer) => waiter.onData(data.length));
  const run = await measure(messages, warmup, () => client.write(message), waiter);
  client.destroy();
  await closeRaw(server, accepted);
  return run;
}

export async function echoOurs(messages: number, size: number, warmup: number): Promise<EchoRun> {
  // Loaded (and bundled, once) before anything is measured.
  const { Registry } = shippedCore();
  const message = new Uint8Array(size).fill(0x61);
  const registry = new Registry();
  try {
    const listener = await registry.listen({ host: LOOPBACK, port: 0, noDelay: true });
    listener.onDidAccept((connection) => {
      connection.onDidReceive((data) => void connection.send(data));
    });
    const client = await registry.connect({ host: LOOPBACK, port: listener.address?.port ?? 0, noDelay: true });
    const waiter = new EchoWaiter(size);
    client.onDidReceive((data) => waiter.onData(data.length));
    return await measure(messages, warmup, () => void client.send(message), waiter);
  } finally {
    registry.dispose();
  }
}
