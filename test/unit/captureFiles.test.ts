// Capture file naming and the capture folder setting, on a real loopback connection.
import * as assert from 'node:assert/strict';
import { join, sep } from 'node:path';
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
    const ws = [{ name: 'ws', path: join(sep, 'ws') }];
    assert.deepEqual(resolveCaptureDirectory('', ws), {});
    assert.deepEqual(resolveCaptureDirectory('   ', ws), {});
    assert.deepEqual(resolveCaptureDirectory('captures', ws), { folder: join(sep, 'ws', 'captures') });
    const abs = join(sep, 'srv', 'cap');
    assert.deepEqual(resolveCaptureDirectory(abs, []), { folder: abs });
    const relative = resolveCaptureDirectory('captures', []);
    assert.equal(relative.folder, undefined);
    assert.match(relative.problem ?? '', /"captures" is relative, but no local workspace folder is open/);
  });

  it('replaces ${workspaceFolder} and ${workspaceFolder:name} as tasks and launch configurations do', () => {
    const folders = [{ name: 'app', path: join(sep, 'src', 'app') }, { name: 'device fw', path: join(sep, 'src', 'fw') }];
    assert.deepEqual(resolveCaptureDirectory('${workspaceFolder}/captures', folders), { folder: join(sep, 'src', 'app', 'captures') });
    assert.deepEqual(resolveCaptureDirectory('${workspaceFolder}', folders), { folder: join(sep, 'src', 'app') });
    assert.deepEqual(resolveCaptureDirectory('${workspaceFolder:device fw}/out', folders), { folder: join(sep, 'src', 'fw', 'out') });
    assert.deepEqual(resolveCaptureDirectory(' ${workspaceFolder:app}/../logs ', folders), { folder: join(sep, 'src', 'logs') });
  });

  it('says which variable or folder it could not resolve instead of capturing nowhere', () => {
    const folders = [{ name: 'app', path: join(sep, 'src', 'app') }];
    const unknownFolder = resolveCaptureDirectory('${workspaceFolder:fw}/cap', folders);
    assert.equal(unknownFolder.folder, undefined);
    assert.match(unknownFolder.problem ?? '', /names the workspace folder "fw", which is not open; use one of "app"/);
    const noFolder = resolveCaptureDirectory('${workspaceFolder}/cap', []);
    assert.match(noFolder.problem ?? '', /uses \$\{workspaceFolder\}, but no local workspace folder is open/);
    const unknownVariable = resolveCaptureDirectory('${userHome}/cap', folders);
    assert.equal(unknownVariable.folder, undefined);
    assert.match(unknownVariable.problem ?? '', /uses a variable TCP Lab does not know/);
  });
});
