// Python 3 peers for the tcp file runner and CLI tests: a real process on the other end of a
// loopback socket, following a short script of actions, so nothing about the stream is simulated.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { engineSockets } from '../../src/core/tcpFile/engineSockets';
import { parseTcpFile } from '../../src/core/tcpFile/parser';
import { runBlock, type BlockResult, type RunOptions } from '../../src/core/tcpFile/runner';

const PEER = String.raw`
import json, socket, sys, time
mode, arg, actions = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if mode == 'echoserver':
    # Echo every connection until killed: for files whose blocks each open their own connection.
    import threading
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(16)
    print(srv.getsockname()[1], flush=True)
    def echo(c):
        with c:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                c.sendall(chunk)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()
if mode == 'server':
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    srv.settimeout(15)
    print(srv.getsockname()[1], flush=True)
    conn, _ = srv.accept()
    srv.close()
else:
    conn = socket.create_connection(('127.0.0.1', int(arg)), timeout=15)
conn.settimeout(15)
closed = False
for op, *args in actions:
    if op == 'send':
        conn.sendall(bytes.fromhex(args[0]))
    elif op == 'recv':
        want, got = args[0], b''
        while len(got) < want:
            chunk = conn.recv(want - len(got))
            if not chunk:
                break
            got += chunk
    elif op == 'sleep':
        time.sleep(args[0] / 1000)
    elif op == 'flood':
        # args[0] zero bytes in 64 KiB writes: a peer that sends more than anyone reads.
        # A runner that gives up on the flood hangs up mid-send; that reset is the expected end here.
        left, block = args[0], bytes(65536)
        try:
            while left > 0:
                conn.sendall(block[:min(left, 65536)])
                left -= min(left, 65536)
        except (ConnectionResetError, BrokenPipeError):
            closed = True
            break
    elif op == 'echo':
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            conn.sendall(chunk)
    elif op == 'close':
        conn.close()
        closed = True
        break
if not closed:
    # Hold the connection until the runner closes it, as a real service would.
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass
    conn.close()
`;

export type PeerAction = ['send', string] | ['recv', number] | ['sleep', number] | ['flood', number] | ['echo'] | ['close'];

export interface Peer {
  process: ChildProcess;
  /** The server peer's port (0 for a client peer). */
  port: number;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

export function hex(text: string): string {
  return Buffer.from(text, 'latin1').toString('hex');
}

function start(mode: 'server' | 'client' | 'echoserver', arg: string, actions: PeerAction[]): ChildProcess {
  const child = spawn('python3', ['-c', PEER, mode, arg, JSON.stringify(actions)], { stdio: ['ignore', 'pipe', 'inherit'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** A peer that listens on an ephemeral loopback port and then plays its actions. */
export async function serverPeer(actions: PeerAction[]): Promise<Peer> {
  const child = start('server', '0', actions);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { process: child, port: Number(line.toString().trim()), exited };
}

/** An echo service for any number of connections, until stopPeers kills it. */
export async function echoServer(): Promise<Peer> {
  const child = start('echoserver', '0', []);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { process: child, port: Number(line.toString().trim()), exited };
}

/** A peer that connects to the given port and then plays its actions. */
export function clientPeer(port: number, actions: PeerAction[]): Peer {
  const child = start('client', String(port), actions);
  return { process: child, port: 0, exited: once(child, 'exit').then(([code]) => code as number | null) };
}

/** Kill (by PID, through the handle) every peer a test left running. */
export async function stopPeers(): Promise<void> {
  const waits = [...running].map((child) => {
    const exited = once(child, 'exit');
    child.kill();
    return exited;
  });
  await Promise.all(waits);
}

/** Parses `text` (which must parse cleanly) and runs its first block on the bare engine. */
export async function runText(text: string, options: Partial<RunOptions> = {}): Promise<BlockResult> {
  const file = parseTcpFile(text);
  assert.deepEqual(file.diagnostics, [], 'the test file itself must parse cleanly');
  return runBlock(file, file.blocks[0], { sockets: engineSockets, ...options });
}
