// Read holds as a person sees them (recentReadHolds): a reason shows at once, stays for
// READ_HOLD_LINGER_MS after its last release, and a hold that toggles many times a second (a capture
// behind a busy disk) changes what is shown twice, not on every toggle. readHolds stays exact.
import * as assert from 'node:assert/strict';
import type { Connection } from '../../src/core/connection';
import { READ_HOLD_LINGER_MS } from '../../src/core/connection';
import { Listener } from '../../src/core/listener';
import { Cleanup, delay, rawClient, waitUntil } from './support/sockets';

describe('read holds as shown', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  async function accepted(): Promise<Connection> {
    const listener = await Listener.listen({ port: 0 });
    cleanup.add(() => listener.dispose());
    const connection = new Promise<Connection>((resolve) => listener.onDidAccept(resolve));
    await rawClient(cleanup, listener.address!.port);
    return connection;
  }

  it('shows a reason at once and for a while after its last release, with two changes for many toggles', async () => {
    const connection = await accepted();
    const shown: string[][] = [];
    const exact: string[][] = [];
    connection.onDidChangeRecentReadHolds((holds) => shown.push([...holds]));
    connection.onDidChangeReadHolds((holds) => exact.push([...holds]));
    for (let i = 0; i < 50; i++) {
      const hold = connection.holdReading('capture');
      assert.deepEqual(connection.recentReadHolds, ['capture']);
      hold.dispose();
      await delay(2);
    }
    assert.equal(exact.length, 100, 'readHolds reports every pause and resume');
    assert.deepEqual(connection.readHolds, []);
    assert.deepEqual(connection.recentReadHolds, ['capture'], 'still shown right after the last release');
    const released = Date.now();
    await waitUntil(() => connection.recentReadHolds.length === 0, 'the notice to go', READ_HOLD_LINGER_MS + 2000);
    assert.ok(Date.now() - released >= READ_HOLD_LINGER_MS - 50, `shown for ${Date.now() - released} ms after the release`);
    assert.deepEqual(shown, [['capture'], []]);
  });

  it('keeps the order reasons began in, and forgets every reason when the connection closes', async () => {
    const connection = await accepted();
    const replies = connection.holdReading('replies');
    const capture = connection.holdReading('capture');
    replies.dispose();
    assert.deepEqual(connection.readHolds, ['capture']);
    assert.deepEqual(connection.recentReadHolds, ['replies', 'capture']);
    capture.dispose();
    connection.destroy();
    await connection.waitForClose();
    assert.deepEqual(connection.recentReadHolds, []);
  });
});
