import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isInside, resolveSendFile, type FileRoot } from '../../src/core/tcpFile/fileRoot';
import { parseTcpFile } from '../../src/core/tcpFile/parser';
import { prepareBlock } from '../../src/core/tcpFile/runner';

const HOW = 'set tcpLab.tcpFiles.allowFilesOutsideWorkspace to true';

describe('SEND file stays inside its root folder', () => {
  let top: string;
  let workspace: string;
  let outside: string;
  let root: FileRoot;

  beforeEach(() => {
    // realpath: the temp folder itself may be reached through a symlink (macOS /var → /private/var).
    top = realpathSync(mkdtempSync(path.join(tmpdir(), 'tcp-lab-root-')));
    workspace = path.join(top, 'workspace');
    mkdirSync(path.join(workspace, 'payloads'), { recursive: true });
    writeFileSync(path.join(workspace, 'payloads', 'ok.bin'), 'inside');
    outside = path.join(top, 'secret.txt');
    writeFileSync(outside, 'private');
    root = { dir: workspace, allowOutside: false, howToAllow: HOW };
  });

  afterEach(() => rmSync(top, { recursive: true, force: true }));

  it('allows a file inside the folder, relative or absolute', async () => {
    assert.deepEqual(await resolveSendFile('payloads/ok.bin', workspace, root), { ok: true, path: path.join(workspace, 'payloads', 'ok.bin') });
    assert.deepEqual(await resolveSendFile(path.join(workspace, 'payloads', 'ok.bin'), path.join(workspace, 'payloads'), root), {
      ok: true,
      path: path.join(workspace, 'payloads', 'ok.bin'),
    });
    // `..` that stays inside is fine.
    assert.equal((await resolveSendFile('../payloads/ok.bin', path.join(workspace, 'payloads'), root)).ok, true);
  });

  const refusal = async (requested: string, baseDir = workspace): Promise<string> => {
    const result = await resolveSendFile(requested, baseDir, root);
    assert.equal(result.ok, false, `${requested} should be refused`);
    const error = result.ok ? '' : result.error;
    assert.match(error, /^[^\n]+\.$/, 'one sentence');
    assert.ok(error.includes(`'${requested}'`), `names the path: ${error}`);
    assert.ok(error.includes(HOW), `says how to allow it: ${error}`);
    return error;
  };

  it('refuses an absolute path outside', async () => {
    assert.match(await refusal(outside), /is outside .*workspace and is not sent/);
  });

  it('refuses a ../ escape', async () => {
    await refusal('../secret.txt');
    await refusal('payloads/../../secret.txt');
  });

  it('refuses a path built from a {{variable}}', async () => {
    const file = parseTcpFile('@dir = ..\n###\nCONNECT 127.0.0.1:9\nSEND file {{dir}}/secret.txt\n');
    const prepared = await prepareBlock(file, file.blocks[0], { baseDir: workspace, fileRoot: root });
    assert.equal(prepared.ok, false);
    assert.match(prepared.ok ? '' : prepared.error, /^SEND file '\.\.\/secret\.txt' is outside .* not sent: .*allowFilesOutsideWorkspace/);
  });

  it('refuses a symlink inside the folder that points outside', async () => {
    symlinkSync(outside, path.join(workspace, 'innocent.bin'));
    const error = await refusal('innocent.bin');
    assert.ok(error.includes(`resolves to ${outside}`), error);
    // A symlinked folder is the same escape.
    symlinkSync(top, path.join(workspace, 'up'));
    await refusal('up/secret.txt');
  });

  it('reads outside files only when allowed, and says when a file is missing', async () => {
    assert.deepEqual(await resolveSendFile(outside, workspace, { ...root, allowOutside: true }), { ok: true, path: outside });
    const missing = await resolveSendFile('nope.bin', workspace, root);
    assert.match(missing.ok ? '' : missing.error, /^Cannot read 'nope\.bin' \(ENOENT\): check the path/);
  });

  it('without an explicit root, prepareBlock keeps files inside the .tcp file’s folder and lists the files it reads', async () => {
    const file = parseTcpFile('###\nCONNECT 127.0.0.1:9\nSEND file payloads/ok.bin\nSEND file ../secret.txt\n');
    const refused = await prepareBlock(file, file.blocks[0], { baseDir: workspace });
    assert.equal(refused.ok, false);
    const fine = parseTcpFile('###\nCONNECT 127.0.0.1:9\nSEND file payloads/ok.bin\nSEND file ./payloads/ok.bin\n');
    const prepared = await prepareBlock(fine, fine.blocks[0], { baseDir: workspace });
    assert.ok(prepared.ok);
    assert.deepEqual(prepared.ok && prepared.block.files, [path.join(workspace, 'payloads', 'ok.bin')]);
  });

  it('compares whole path segments', () => {
    assert.ok(isInside('/a/b', '/a/b'));
    assert.ok(isInside('/a/b', '/a/b/c'));
    assert.ok(!isInside('/a/b', '/a/bc'));
    assert.ok(!isInside('/a/b', '/a'));
    assert.ok(isInside('/a/b', '/a/b/..c'));
  });
});
