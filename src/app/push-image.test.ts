// pushLayoutImage against the real registry (Debian's docker-registry, distribution 2.8, which has no referrers
// API): the image under every tag, its referrers by digest, and the referrers fallback tag listing them, merged
// across pushes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startRegistry, buildTinyLayout, type RunningRegistry } from '../../test/support/registry.ts';
import { writeReferrer, appendToIndex, type BlobDescriptor } from '../image/index.ts';
import { pushLayoutImage } from './push-image.ts';

let reg: RunningRegistry;
const work = mkdtempSync(join(tmpdir(), 'zc-push-'));
before(async () => {
  reg = await startRegistry();
});
after(async () => {
  await reg?.stop();
  rmSync(work, { recursive: true, force: true });
});

const ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';
async function get(repo: string, ref: string): Promise<{ status: number; digest?: string; body?: any }> {
  const res = await fetch(`http://${reg.host}/v2/${repo}/manifests/${ref}`, { headers: { accept: ACCEPT } });
  if (res.status !== 200) {
    await res.body?.cancel();
    return { status: res.status };
  }
  return { status: 200, digest: res.headers.get('docker-content-digest') ?? undefined, body: await res.json() };
}

function imageOf(layout: string, tag: string): BlobDescriptor {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as {
    manifests: (BlobDescriptor & { annotations?: Record<string, string> })[];
  };
  return index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag)!;
}

test('an image is pushed under each tag with its referrers, listed under the fallback tag', async () => {
  const layout = join(work, 'a');
  await buildTinyLayout(layout, 'v1', { files: { '/etc/hello': 'hi\n' } });
  const image = imageOf(layout, 'v1');
  const sbom = await writeReferrer(layout, image, {
    artifactType: 'application/vnd.cyclonedx+json',
    data: '{"bomFormat":"CycloneDX"}',
    annotations: { 'dev.zerocve.kind': 'sbom' },
  });
  appendToIndex(layout, [sbom]);
  const r = await pushLayoutImage(layout, 'v1', [`${reg.host}/t/img:v1-20261202`, `${reg.host}/t/img:v1`]);
  assert.equal(r.digest, image.digest);
  assert.deepEqual(r.referrers, [sbom.digest]);
  for (const t of ['v1', 'v1-20261202']) assert.equal((await get('t/img', t)).digest, image.digest, t);
  const fallback = await get('t/img', image.digest.replace(':', '-'));
  assert.deepEqual(
    fallback.body.manifests.map((m: { digest: string; artifactType: string }) => [m.digest, m.artifactType]),
    [[sbom.digest, 'application/vnd.cyclonedx+json']],
  );
  const referrer = await get('t/img', sbom.digest);
  assert.equal(referrer.body.subject.digest, image.digest);
  // the SBOM blob itself is in the registry
  const blob = await fetch(`http://${reg.host}/v2/t/img/blobs/${referrer.body.layers[0].digest}`);
  assert.equal(await blob.text(), '{"bomFormat":"CycloneDX"}');

  // a second push adding provenance keeps the SBOM listed
  const prov = await writeReferrer(layout, image, { artifactType: 'application/vnd.in-toto+json', data: '{}' });
  appendToIndex(layout, [prov]);
  await pushLayoutImage(layout, 'v1', [`${reg.host}/t/img:v1`]);
  const merged = await get('t/img', image.digest.replace(':', '-'));
  assert.deepEqual(
    merged.body.manifests.map((m: { digest: string }) => m.digest).sort(),
    [sbom.digest, prov.digest].sort(),
  );
});

test('bad pushes are refused with one clear error', async () => {
  const layout = join(work, 'b');
  await buildTinyLayout(layout, 'v1', { files: { '/x': 'x' } });
  await assert.rejects(pushLayoutImage(layout, 'v2', [`${reg.host}/t/b:v2`]), /no image tagged 'v2'/);
  await assert.rejects(
    pushLayoutImage(layout, 'v1', [`${reg.host}/t/b:v1`, `${reg.host}/t/other:v1`]),
    /in another repository/,
  );
  await assert.rejects(pushLayoutImage(layout, 'v1', []), /no reference/);
  assert.equal((await get('t/b', 'v1')).status, 404, 'nothing was pushed');
});
