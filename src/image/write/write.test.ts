import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  initLayout,
  writeLayer,
  writeImage,
  writeIndex,
  writeReferrer,
  writeOciArchive,
  writeDockerArchive,
} from './index.ts';
import { openOciLayout } from '../layout/index.ts';
import { walkImage } from '../../walk/index.ts';

async function build(dir: string) {
  initLayout(dir);
  const layer = await writeLayer(
    dir,
    async (tar) => {
      await tar.add({ path: '/etc', type: 'dir' });
      await tar.add({ path: '/etc/hello', type: 'file', mode: 0o644 }, Buffer.from('hi\n'));
      await tar.add({ path: '/usr', type: 'dir' });
      await tar.add({ path: '/usr/bin', type: 'dir' });
      await tar.add({ path: '/usr/bin/tool', type: 'file', mode: 0o4755 }, Buffer.from('#!/bin/sh\necho x\n'));
    },
    { mtime: 0, owner: { uid: 0, gid: 0 } },
  );
  const m = await writeImage(dir, {
    layers: [layer],
    config: { user: '65532', env: ['PATH=/usr/bin'], cmd: ['/usr/bin/tool'] },
  });
  const sbom = await writeReferrer(dir, m, {
    artifactType: 'application/vnd.cyclonedx+json',
    data: '{"bomFormat":"CycloneDX"}',
  });
  writeIndex(dir, [{ ...m, tag: 'latest' }, sbom]);
  return { layer, m, sbom };
}

test('a written layout is reproducible and reads back through the layout source and the walk', async () => {
  const base = mkdtempSync(join(tmpdir(), 'zc-write-'));
  try {
    const a = await build(join(base, 'a'));
    const b = await build(join(base, 'b'));
    assert.equal(a.m.digest, b.m.digest, 'same input, same manifest digest');
    assert.equal(a.layer.diffId, b.layer.diffId);
    const img = await openOciLayout(join(base, 'a'), { target: 'oci-dir:a', tag: 'latest' });
    assert.equal(img.config.user, '65532');
    assert.deepEqual(img.config.diffIds, [a.layer.diffId]);
    const w = await walkImage(img, { analyzers: [], cacheDir: null });
    assert.equal(w.merged.get('/etc/hello')?.size, 3);
    assert.equal(w.merged.get('/usr/bin/tool')?.mode, 0o4755);
    // an independent reader agrees (skopeo reads the layout and verifies blobs)
    let skopeo = true;
    try {
      execFileSync('which', ['skopeo'], { stdio: 'ignore' });
    } catch {
      skopeo = false;
    }
    if (skopeo) {
      const out = JSON.parse(
        execFileSync('skopeo', ['inspect', '--raw', `oci:${join(base, 'a')}:latest`], { encoding: 'utf8' }),
      );
      assert.equal(out.layers[0].digest, a.layer.digest);
      await writeOciArchive(join(base, 'a'), join(base, 'a.tar'));
      const arch = JSON.parse(
        execFileSync('skopeo', ['inspect', `oci-archive:${join(base, 'a.tar')}:latest`], { encoding: 'utf8' }),
      );
      assert.equal(arch.Layers[0], a.layer.digest);
      await writeDockerArchive(join(base, 'a'), join(base, 'd.tar'), { manifest: a.m, repoTag: 'x:latest' });
      const dk = JSON.parse(
        execFileSync('skopeo', ['inspect', `docker-archive:${join(base, 'd.tar')}`], { encoding: 'utf8' }),
      );
      assert.equal(dk.Layers.length, 1);
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
