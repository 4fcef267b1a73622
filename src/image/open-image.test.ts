// openImage against real sources: a real registry (Debian's docker-registry on 127.0.0.1), skopeo-written archives,
// an OCI layout and a dir: root. Kept apart from the pure parseTarget tests, which need no server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openImage } from './index.ts';
import { UsageError } from '../core/errors.ts';
import {
  buildTinyLayout,
  tinyLayerFiles,
  startRegistry,
  pushOciLayout,
  type RunningRegistry,
} from '../../test/support/registry.ts';

let work: string;
let layout: string;
let registry: RunningRegistry;
before(async () => {
  work = mkdtempSync(join(tmpdir(), 'zc-open-image-'));
  layout = join(work, 'layout');
  await buildTinyLayout(layout, 'v1', { files: { 'etc/hello': 'hi\n' } });
  registry = await startRegistry();
  await pushOciLayout(layout, 'v1', registry.host);
});
after(async () => {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

test(
  'openImage dispatches registry, oci-dir and dir targets; ' + 'offline refuses registries; sbom is not an image',
  async () => {
    const fromLayout = await openImage(`oci-dir:${layout}:v1`);
    assert.equal(fromLayout.source.kind, 'oci-dir');
    const fromRegistry = await openImage(`registry:${registry.host}/test/tiny:v1`, { insecure: true });
    assert.equal(fromRegistry.source.kind, 'registry');
    assert.equal(fromRegistry.source.manifestDigest, fromLayout.source.manifestDigest);
    assert.deepEqual(await tinyLayerFiles(await fromRegistry.layers[0].open(), true), { 'etc/hello': 'hi\n' });
    const root = join(work, 'root');
    mkdirSync(root);
    const fromDir = await openImage(`dir:${root}`);
    assert.equal(fromDir.rootDir, root);
    await assert.rejects(
      openImage(`${registry.host}/test/tiny:v1`, { offline: true }),
      (e: unknown) => e instanceof UsageError && /offline mode forbids network access/.test(e.message),
    );
    await assert.rejects(openImage('sbom:/x.json'), UsageError);
  },
);

test('openImage opens docker-archive and oci-archive tarballs written by skopeo', async () => {
  const ociTar = join(work, 'oci.tar');
  const dockerTar = join(work, 'docker.tar');
  execFileSync('skopeo', ['copy', '--quiet', '--insecure-policy', `oci:${layout}:v1`, `oci-archive:${ociTar}`]);
  execFileSync('skopeo', [
    'copy',
    '--quiet',
    '--insecure-policy',
    `oci:${layout}:v1`,
    `docker-archive:${dockerTar}:test/tiny:v1`,
  ]);
  const oci = await openImage(`oci-archive:${ociTar}`);
  assert.equal(oci.source.kind, 'oci-archive');
  assert.deepEqual(await tinyLayerFiles(await oci.layers[0].open(), true), { 'etc/hello': 'hi\n' });
  const docker = await openImage(`docker-archive:${dockerTar}`);
  assert.equal(docker.source.kind, 'docker-archive');
  assert.equal(docker.layers.length, 1);
  assert.equal(docker.layers[0].diffId, oci.layers[0].diffId);
});
