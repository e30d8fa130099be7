import * as assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import { Registry } from '../../src/core/registry';
import { LifecycleLog } from '../../src/host/lifecycleLog';
import { waitUntil } from './support/sockets';

/** Collects what would go to the output channel; only the methods the lifecycle log uses. */
function recordingChannel(lines: string[]): vscode.LogOutputChannel {
  const write = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  return { info: write('info'), warn: write('warn'), error: write('error') } as unknown as vscode.LogOutputChannel;
}

describe('lifecycle log', () => {
  let registry: Registry;
  let log: LifecycleLog;
  const lines: string[] = [];

  beforeEach(() => {
    lines.length = 0;
    registry = new Registry();
    log = new LifecycleLog(registry, recordingChannel(lines));
  });

  afterEach(async () => {
    log.dispose();
    await registry.stopAll();
    registry.dispose();
  });

  it('records listening, accepting, half-closing, closing and stopping on real sockets', async () => {
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const port = listener.address!.port;
    const client = await registry.connect({ host: '127.0.0.1', port });
    await waitUntil(() => listener.connections.length === 1, 'the accepted connection');
    const accepted = listener.connections[0];
    await client.send(new TextEncoder().encode('ping'));
    await waitUntil(() => accepted.totals.bytesIn === 4, 'the bytes to arrive');

    client.destroy();
    await waitUntil(() => accepted.state === 'halfClosed', 'the FIN');
    await listener.stop({ closeConnections: true });
    await waitUntil(() => lines.length >= 7, 'every lifecycle line');

    // Both ends live in one process, so lines of different connections may interleave either way;
    // each connection's own story must be complete and in order.
    const clientPort = client.local!.port;
    const at = (pattern: RegExp): number => {
      const matching = lines.filter((l) => pattern.test(l));
      assert.equal(matching.length, 1, `expected one line matching ${pattern} in:\n${lines.join('\n')}`);
      return lines.indexOf(matching[0]);
    };
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const listening = at(new RegExp(`^info \\[${listener.id}\\] Listening on ${escape(`127.0.0.1:${port}`)}$`));
    const connected = at(new RegExp(`^info \\[${client.id}\\] Connected to ${escape(`127.0.0.1:${port}`)}$`));
    const clientClosed = at(new RegExp(`^info \\[${client.id}\\] ${escape(`127.0.0.1:${port}`)} closed by you; received 0 bytes, sent 4 bytes$`));
    const acceptedLine = at(new RegExp(`^info \\[${accepted.id}\\] Accepted ${escape(`127.0.0.1:${clientPort}`)} on ${listener.id}$`));
    const halfClosed = at(new RegExp(`^info \\[${accepted.id}\\] ${escape(`127.0.0.1:${clientPort}`)} half-closed`));
    const acceptedClosed = at(new RegExp(`^info \\[${accepted.id}\\] ${escape(`127.0.0.1:${clientPort}`)} (closed by you|closed by peer \\(FIN\\)); received 4 bytes, sent 0 bytes$`));
    const stopped = at(new RegExp(`^info \\[${listener.id}\\] Stopped listening on ${escape(`127.0.0.1:${port}`)}$`));
    assert.equal(lines.length, 7, lines.join('\n'));
    assert.ok(listening < acceptedLine && acceptedLine < halfClosed && halfClosed < acceptedClosed, lines.join('\n'));
    assert.ok(listening < connected && connected < clientClosed, lines.join('\n'));
    assert.ok(listening < stopped, lines.join('\n'));
  });
});
