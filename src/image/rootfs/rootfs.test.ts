import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, relative } from 'node:path';
import { openRootDir } from './index.ts';
import { InputError } from '../../core/errors.ts';

test('dir: opens an unpacked root as an image with rootDir, no layers and an empty config', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zc-rootfs-'));
  try {
    writeFileSync(join(dir, 'file'), 'x');
    const rel = relative(process.cwd(), dir);
    const img = await openRootDir(rel, { target: `dir:${rel}` });
    assert.equal(img.rootDir, resolve(dir));
    assert.deepEqual(img.layers, []);
    assert.deepEqual(img.config, { diffIds: [] });
    assert.deepEqual(img.source, { target: `dir:${rel}`, kind: 'dir' });
    await assert.rejects(
      openRootDir(join(dir, 'file'), { target: 'dir:f' }),
      (e: unknown) => e instanceof InputError && e.message === 'dir:f: not a directory',
    );
    await assert.rejects(openRootDir(join(dir, 'nope'), { target: 'dir:n' }), {
      message: /^dir:n: cannot read root directory \(ENOENT/,
    });
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(openRootDir(dir, { target: 'dir:x', signal: ac.signal }), { name: 'AbortError' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
