import * as assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LazyParseIndex } from '../../src/app/lazyParseIndex';
import type { TcpFile } from '../../src/core/tcpFile/model';
import { parseTcpFile } from '../../src/core/tcpFile/parser';

describe('the Testing view parses .tcp files lazily', () => {
  let dir: string;
  let parses: string[];
  let index: LazyParseIndex<TcpFile>;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tcp-lab-lazy-'));
    parses = [];
    // The real parse of real files, counted.
    index = new LazyParseIndex(async (key) => {
      parses.push(key);
      try {
        return parseTcpFile(await readFile(key, 'utf8'));
      } catch {
        return undefined;
      }
    });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('discovering 200 files parses none; expanding one parses that one, once', async () => {
    const files: string[] = [];
    for (let i = 0; i < 200; i++) {
      const file = path.join(dir, `f${i}.tcp`);
      await writeFile(file, `### b${i}\nCONNECT 127.0.0.1:9\nEXPECT close\n`);
      files.push(file);
    }
    assert.ok(files.every((f) => index.discover(f)));
    assert.ok(!index.discover(files[0]), 'a second discovery is not new');
    assert.deepEqual(parses, []);

    const parsed = await index.ensure(files[7]);
    assert.equal(parsed?.blocks[0].name, 'b7');
    await index.ensure(files[7]);
    assert.deepEqual(parses, [files[7]]);
    assert.deepEqual(index.parsedKeys(), [files[7]]);
  });

  it('a change parses again only files already parsed; a vanished file is forgotten', async () => {
    const a = path.join(dir, 'a.tcp');
    const b = path.join(dir, 'b.tcp');
    await writeFile(a, '### one\nCONNECT 127.0.0.1:9\nEXPECT close\n');
    await writeFile(b, '### two\nCONNECT 127.0.0.1:9\nEXPECT close\n');
    index.discover(a);
    index.discover(b);
    await index.ensure(a);
    await writeFile(a, '### renamed\nCONNECT 127.0.0.1:9\nEXPECT close\n');
    assert.equal((await index.changed(a))?.blocks[0].name, 'renamed');
    assert.equal(await index.changed(b), undefined, 'b was never expanded, so its change costs nothing');
    assert.deepEqual(parses, [a, a]);

    await unlink(a);
    assert.equal(await index.changed(a), undefined);
    assert.ok(!index.isParsed(a));
    assert.deepEqual(index.parsedKeys(), []);
  });
});
