import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, unlinkSync, cpSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { text } from 'node:stream/consumers';
import { openOciLayout, blobPath } from './index.ts';
import { parsePlatform } from '../oci.ts';
import { InputError } from '../../core/errors.ts';
import { buildTinyLayout, buildMultiArchLayout, tinyLayerFiles } from '../../../test/support/registry.ts';

let work: string;
let single: string; // one image, tag "v1"
let multi: string; // tags "a", "b" and a multi-arch index "multi"

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'zc-layout-test-'));
  single = join(work, 'single');
  multi = join(work, 'multi');
  await buildTinyLayout(single, 'v1', { files: { 'etc/hello': 'hello v1\n', 'usr/bin/tool': '#!/bin/sh\n' } });
  await buildTinyLayout(multi, 'a', { files: { 'etc/which': 'a' } });
  await buildTinyLayout(multi, 'b', { files: { 'etc/which': 'b' } });
  await buildMultiArchLayout(multi, 'multi', [
    { os: 'linux', architecture: 'amd64', files: { 'etc/arch': 'amd64' } },
    { os: 'linux', architecture: 'arm64', variant: 'v8', files: { 'etc/arch': 'arm64' } },
  ]);
});
after(() => rmSync(work, { recursive: true, force: true }));

test('a single-image layout opens without a tag; its layer streams, verified, to the files put in', async () => {
  const img = await openOciLayout(single, { target: `oci-dir:${single}` });
  assert.equal(img.source.kind, 'oci-dir');
  assert.deepEqual(img.source.repoTags, ['v1']);
  assert.match(img.source.manifestDigest ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(img.config.platform, { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(img.config.cmd, ['/bin/true']);
  assert.equal(img.layers.length, 1);
  const files = await tinyLayerFiles(await img.layers[0].open(), true);
  assert.equal(files['etc/hello'], 'hello v1\n');
  assert.equal(files['usr/bin/tool'], '#!/bin/sh\n');
  // diffId from the config is the digest of the uncompressed tar: re-open (a thunk) and check it
  const h = createHash('sha256');
  await pipeline(await img.layers[0].open(), createGunzip(), async function* (src) {
    for await (const c of src) h.update(c as Buffer);
  });
  assert.equal('sha256:' + h.digest('hex'), img.layers[0].diffId);
  // the manifest digest is the digest of the manifest blob that index.json points at
  const index = JSON.parse(readFileSync(join(single, 'index.json'), 'utf8'));
  assert.equal(img.source.manifestDigest, index.manifests[0].digest);
});

test('tags select images; a missing tag and an ambiguous layout list the tags', async () => {
  const a = await openOciLayout(multi, { tag: 'a', target: `oci-dir:${multi}:a` });
  assert.deepEqual(await tinyLayerFiles(await a.layers[0].open(), true), { 'etc/which': 'a' });
  assert.deepEqual(a.source.repoTags, ['a']);
  await assert.rejects(
    openOciLayout(multi, { tag: 'nope', target: `oci-dir:${multi}:nope` }),
    (e: unknown) =>
      e instanceof InputError &&
      e.message.startsWith(
        `oci-dir:${multi}:nope: no image tagged "nope" (tags: a, b, multi-linux-amd64, multi-linux-arm64, multi)`,
      ),
  );
  await assert.rejects(openOciLayout(multi, { target: `oci-dir:${multi}` }), {
    message:
      `oci-dir:${multi}: 5 images in the layout; name one as oci-dir:${multi}:TAG (tags: a, b, ` +
      `multi-linux-amd64, multi-linux-arm64, multi)`,
  });
});

test('a multi-arch index in a layout selects by platform and lists the available ones', async () => {
  const target = `oci-dir:${multi}:multi`;
  const amd = await openOciLayout(multi, { tag: 'multi', target });
  assert.deepEqual(await tinyLayerFiles(await amd.layers[0].open(), true), { 'etc/arch': 'amd64' });
  const arm = await openOciLayout(multi, { tag: 'multi', target, platform: parsePlatform('linux/arm64') });
  assert.deepEqual(await tinyLayerFiles(await arm.layers[0].open(), true), { 'etc/arch': 'arm64' });
  assert.notEqual(arm.source.manifestDigest, amd.source.manifestDigest);
  await assert.rejects(openOciLayout(multi, { tag: 'multi', target, platform: parsePlatform('linux/riscv64') }), {
    message: `${target}: no image for platform linux/riscv64 (available: linux/amd64, linux/arm64/v8)`,
  });
  // a single-image tag whose config says amd64 is refused for an explicit other platform
  await assert.rejects(openOciLayout(multi, { tag: 'a', target: 'x', platform: parsePlatform('linux/arm64') }), {
    message: 'x: image is linux/amd64, not the requested linux/arm64 (available: linux/amd64)',
  });
});

test('corrupt, truncated and missing blobs fail with InputErrors naming the blob', async () => {
  const copy = join(work, 'corrupt');
  cpSync(single, copy, { recursive: true });
  const img = await openOciLayout(copy, { target: 'oci-dir:c' });
  const layer = img.layers[0];
  const p = blobPath(copy, layer.digest, 'x');
  const bytes = readFileSync(p);
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 10] ^= 0xff;
  writeFileSync(p, flipped);
  await assert.rejects(
    text(await layer.open()),
    (e: unknown) =>
      e instanceof InputError &&
      e.message.startsWith(`blob ${layer.digest} of oci-dir:c: digest mismatch: expected ${layer.digest}, got sha256:`),
  );
  writeFileSync(p, bytes.subarray(0, 20));
  await assert.rejects(text(await layer.open()), {
    message: `blob ${layer.digest} of oci-dir:c: truncated: expected ${bytes.length} bytes, got 20`,
  });
  unlinkSync(p);
  await assert.rejects(
    layer.open(),
    (e: unknown) =>
      e instanceof InputError &&
      e.message.startsWith(`blob ${layer.digest} of oci-dir:c: blob missing from oci-dir:c (ENOENT`),
  );
  // a corrupt config is caught before any layer is returned
  const cfgPath = blobPath(copy, img.configDigest ?? '', 'x');
  writeFileSync(cfgPath, readFileSync(cfgPath, 'utf8').replace('amd64', 'arm64'));
  await assert.rejects(openOciLayout(copy, { target: 'oci-dir:c' }), {
    message: new RegExp(`^config ${img.configDigest} of oci-dir:c: digest mismatch`),
  });
});

test('directories that are not layouts are refused with one line', async () => {
  const empty = join(work, 'empty');
  mkdirSync(empty);
  await assert.rejects(openOciLayout(empty, { target: 'oci-dir:e' }), {
    message: 'oci-dir:e: not an OCI image layout (no oci-layout file)',
  });
  await assert.rejects(openOciLayout(join(work, 'absent'), { target: 'oci-dir:n' }), {
    message: /^oci-dir:n: cannot read directory \(ENOENT/,
  });
  writeFileSync(join(empty, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
  await assert.rejects(openOciLayout(empty, { target: 'oci-dir:e' }), {
    message: 'oci-dir:e: unsupported oci-layout imageLayoutVersion "2.0.0"',
  });
  writeFileSync(join(empty, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(empty, 'index.json'), '{"schemaVersion":2,"manifests":[');
  await assert.rejects(openOciLayout(empty, { target: 'oci-dir:e' }), {
    message: /^oci-dir:e: index.json: not valid JSON/,
  });
});
