// Capture file naming and the capture folder setting, on a real loopback connection.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { Registry } from '../../src/core/registry';
import { captureFileName, resolveCaptureDirectory } from '../../src/app/captureFiles';

describe('capture files', () => {
  const registry = new Registry();
  after(async () => {
    await registry.stopAll();
    registry.dispose();
  });

  it('names a file by time, connection id and peer, with nothing a file system refuses', async () => {
    const listener = await registry.listen({ host: '::1', port: 0 }).catch(() => registry.listen({ port: 0 }));
    const client = await registry.connect({ host: listener.address!.address, port: listener.address!.port });
    const name = captureFileName(client, new Date(2026, 10, 27, 7, 5, 9));
    assert.ok(name.startsWith(`2026-11-27_07-05-09_${client.id}_`), name);
    assert.ok(name.endsWith(`-${listener.address!.port}.jsonl`), name);
    assert.doesNotMatch(name, /[:%/\\ ]/, 'no colon, percent, slash, backslash or space');
  });

  it('resolves the capture folder against the workspace folder, and leaves it unset when empty', () => {
    assert.equal(resolveCaptureDirectory('', '/ws'), undefined);
    assert.equal(resolveCaptureDirectory('   ', '/ws'), undefined);
    assert.equal(resolveCaptureDirectory('captures', '/ws'), join('/ws', 'captures'));
    assert.equal(resolveCaptureDirectory('captures', undefined), undefined, 'a relative folder needs a workspace folder');
    assert.equal(resolveCaptureDirectory('/tmp/cap', undefined), '/tmp/cap');
  });
});
