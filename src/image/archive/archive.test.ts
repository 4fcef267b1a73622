import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  openSync,
  readSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../core/errors.ts';
import type { Image } from '../../core/image.ts';
import { walkImage } from '../../walk/index.ts';
import { openDockerArchive, openOciArchive, indexTar } from './index.ts';
import { openImage } from '../index.ts';

const TOOLS = ['umoci', 'skopeo'].filter((t) => {
  try {
    execFileSync('which', [t], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
});
const skip = TOOLS.length ? `needs ${TOOLS.join(', ')} (apt-get install umoci skopeo)` : false;

let dir: string;
let ociTar: string;
let dockerTar: string;
let docker25Tar: string;
let layout: string;

const run = (cmd: string, args: string[], cwd = dir): string =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'zerocve-archive-'));
  layout = join(dir, 'L');
  // a tiny two-layer image: layer 1 adds files, layer 2 deletes one (whiteout) and adds another
  run('umoci', ['init', '--layout', layout]);
  run('umoci', ['new', '--image', `${layout}:v1`]);
  run('umoci', ['unpack', '--image', `${layout}:v1`, 'bundle']);
  const rootfs = join(dir, 'bundle', 'rootfs');
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  mkdirSync(join(rootfs, 'usr/bin'), { recursive: true });
  writeFileSync(join(rootfs, 'etc/hello'), 'hi\n');
  writeFileSync(join(rootfs, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\n');
  writeFileSync(join(rootfs, 'usr/bin/tool'), '#!/bin/sh\necho tool\n');
  symlinkSync('tool', join(rootfs, 'usr/bin/t'));
  run('umoci', ['repack', '--refresh-bundle', '--image', `${layout}:v1`, 'bundle']);
  rmSync(join(rootfs, 'etc/hello'));
  writeFileSync(join(rootfs, 'etc/x'), 'x\n');
  run('umoci', ['repack', '--image', `${layout}:v1`, 'bundle']);
  run('umoci', ['config', '--image', `${layout}:v1`, '--config.user', '1000']);
  run('umoci', ['gc', '--layout', layout]);
  ociTar = join(dir, 'oci.tar');
  dockerTar = join(dir, 'docker.tar');
  run('skopeo', ['copy', '--insecure-policy', `oci:${layout}:v1`, `oci-archive:${ociTar}`]);
  run('skopeo', ['copy', '--insecure-policy', `oci:${layout}:v1`, `docker-archive:${dockerTar}:zerocve/test:v1`]);
  // Docker 25+ `docker save`: the OCI layout plus manifest.json pointing into blobs/, in one tar
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(
    readFileSync(join(layout, 'blobs', 'sha256', index.manifests[0].digest.slice(7)), 'utf8'),
  );
  const d25 = join(dir, 'd25');
  run('cp', ['-r', layout, d25]);
  writeFileSync(
    join(d25, 'manifest.json'),
    JSON.stringify([
      {
        Config: `blobs/sha256/${manifest.config.digest.slice(7)}`,
        RepoTags: ['zerocve/test:v1'],
        Layers: manifest.layers.map((l: { digest: string }) => `blobs/sha256/${l.digest.slice(7)}`),
      },
    ]),
  );
  docker25Tar = join(dir, 'docker25.tar');
  run('tar', ['-cf', docker25Tar, '-C', d25, '.']);
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function files(image: Image): Promise<string[]> {
  const r = await walkImage(image, { analyzers: [] });
  return [...r.merged.entries()]
    .filter((e) => e.type !== 'dir')
    .map((e) => `${e.path}@${e.layer}`)
    .sort();
}
const EXPECTED = ['/etc/os-release@0', '/etc/x@1', '/usr/bin/t@0', '/usr/bin/tool@0'];

test('oci-archive made by skopeo: config, two layers, whiteout applied', { skip }, async () => {
  const image = await openOciArchive(ociTar, { target: `oci-archive:${ociTar}` });
  assert.equal(image.source.kind, 'oci-archive');
  assert.equal(image.config.user, '1000');
  assert.equal(image.layers.length, 2);
  assert.match(image.source.manifestDigest ?? '', /^sha256:/);
  assert.deepEqual(await files(image), EXPECTED);
});

test(
  'docker-archive made by skopeo (legacy layout, symlinked layer.tar, uncompressed layers checked against diffIDs)',
  { skip },
  async () => {
    const image = await openDockerArchive(dockerTar, { target: `docker-archive:${dockerTar}` });
    assert.deepEqual(image.source.repoTags, ['docker.io/zerocve/test:v1']);
    assert.equal(image.config.user, '1000');
    assert.deepEqual(
      image.layers.map((l) => l.digest),
      image.config.diffIds,
    );
    assert.deepEqual(
      image.layers.map((l) => l.mediaType),
      ['application/vnd.docker.image.rootfs.diff.tar', 'application/vnd.docker.image.rootfs.diff.tar'],
    );
    assert.deepEqual(await files(image), EXPECTED);
    // as `docker save` before 25 wrote it: Layers name `<id>/layer.tar`, symlinks to the shared blob
    const d = join(dir, 'docker-legacy');
    mkdirSync(d);
    run('tar', ['-xf', dockerTar, '-C', d]);
    const links = readdirSync(d)
      .filter((n) => /^[0-9a-f]{64}$/.test(n))
      .map((n) => `${n}/layer.tar`);
    const mf = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
    const byTarget = new Map(
      links.map((l) => [
        execFileSync('readlink', [join(d, l)], { encoding: 'utf8' })
          .trim()
          .replace(/^\.\.\//, ''),
        l,
      ]),
    );
    mf[0].Layers = mf[0].Layers.map((l: string) => byTarget.get(l));
    assert.ok(mf[0].Layers.every(Boolean), 'every layer has a symlinked layer.tar');
    writeFileSync(join(d, 'manifest.json'), JSON.stringify(mf));
    const legacy = join(dir, 'docker-legacy.tar');
    run('tar', ['-cf', legacy, '-C', d, '.']);
    assert.deepEqual(await files(await openDockerArchive(legacy, { target: `docker-archive:${legacy}` })), EXPECTED);
  },
);

test('Docker 25+ docker save (OCI layout + manifest.json): both readers agree', { skip }, async () => {
  const asDocker = await openDockerArchive(docker25Tar, { target: `docker-archive:${docker25Tar}` });
  const asOci = await openOciArchive(docker25Tar, { target: `oci-archive:${docker25Tar}` });
  assert.deepEqual(
    asDocker.layers.map((l) => l.digest),
    asOci.layers.map((l) => l.digest),
  );
  assert.equal(asDocker.configDigest, asOci.configDigest);
  assert.deepEqual(await files(asDocker), EXPECTED);
  assert.deepEqual(await files(asOci), EXPECTED);
  // the same through the image stage's door, as the CLI opens targets
  const viaDoor = await openImage(`docker-archive:${docker25Tar}`);
  assert.equal(viaDoor.source.kind, 'docker-archive');
  assert.deepEqual(await files(viaDoor), EXPECTED);
  assert.deepEqual(await files(await openImage(`oci-archive:${ociTar}`)), EXPECTED);
});

test('a tampered layer fails the walk with a digest mismatch naming the layer', { skip }, async () => {
  for (const [kind, src] of [
    ['oci', ociTar],
    ['docker', dockerTar],
  ] as const) {
    const copy = join(dir, `tampered-${kind}.tar`);
    copyFileSync(src, copy);
    const idx = await indexTar(copy, 'x');
    const open = kind === 'oci' ? openOciArchive : openDockerArchive;
    const image = await open(copy, { target: `${kind}:${copy}` });
    const layerName = idx
      .names()
      .find((n) =>
        kind === 'oci'
          ? n.endsWith(image.layers[1].digest.slice(7))
          : n.endsWith('.tar') && idx.file(n)!.size === image.layers[1].size,
      )!;
    const m = idx.file(layerName)!;
    const fd = openSync(copy, 'r+');
    const b = Buffer.alloc(1);
    // gzip: last deflate byte; tar: inside the end blocks, which only the digest sees
    const at = m.dataOffset + m.size - (kind === 'oci' ? 9 : 10);
    readSync(fd, b, 0, 1, at);
    b[0] ^= 0x01;
    writeSync(fd, b, 0, 1, at);
    closeSync(fd);
    await assert.rejects(walkImage(image, { analyzers: [] }), (err: unknown) => {
      assert.ok(err instanceof InputError, String(err));
      assert.match(err.message, /layer 1 sha256:[0-9a-f]{16}…: /);
      assert.match(
        err.message,
        kind === 'oci' ? /digest mismatch|corrupt gzip|truncated gzip/ : /digest mismatch: expected sha256:/,
      );
      return true;
    });
  }
});

test('missing blob, missing layer member, zero layers, not an archive: clear errors', { skip }, async () => {
  // OCI archive without its second layer blob
  const idx = await indexTar(ociTar, 'x');
  const image = await openOciArchive(ociTar, { target: 'oci-archive:o.tar' });
  const missing = join(dir, 'missing-blob');
  run('mkdir', ['-p', missing]);
  run('tar', ['-xf', ociTar, '-C', missing]);
  rmSync(join(missing, 'blobs', 'sha256', image.layers[1].digest.slice(7)));
  const missingTar = join(dir, 'missing-blob.tar');
  run('tar', ['-cf', missingTar, '-C', missing, '.']);
  const img2 = await openOciArchive(missingTar, { target: `oci-archive:${missingTar}` });
  await assert.rejects(walkImage(img2, { analyzers: [] }), /layer 1 .*blob missing from oci-archive:/);
  assert.ok(idx.names().includes('index.json'));

  // docker archive whose manifest names a layer that is not there, and one with zero layers
  const d = join(dir, 'docker-x');
  run('mkdir', ['-p', d]);
  run('tar', ['-xf', dockerTar, '-C', d]);
  const mf = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
  writeFileSync(join(d, 'manifest.json'), JSON.stringify([{ ...mf[0], Layers: [mf[0].Layers[0], 'nope/layer.tar'] }]));
  const badTar = join(dir, 'docker-missing.tar');
  run('tar', ['-cf', badTar, '-C', d, '.']);
  await assert.rejects(
    openDockerArchive(badTar, { target: `docker-archive:${badTar}` }),
    /manifest\.json names layer nope\/layer\.tar, which is not in the archive/,
  );
  writeFileSync(join(d, 'manifest.json'), JSON.stringify([{ ...mf[0], Layers: [] }]));
  const zeroTar = join(dir, 'docker-zero.tar');
  run('tar', ['-cf', zeroTar, '-C', d, '.']);
  await assert.rejects(openDockerArchive(zeroTar, { target: `docker-archive:${zeroTar}` }), /image has no layers/);

  const junk = join(dir, 'junk.tar');
  writeFileSync(junk, 'definitely not a tarball\n'.repeat(100));
  await assert.rejects(
    openOciArchive(junk, { target: `oci-archive:${junk}` }),
    /^InputError: oci-archive:.*junk\.tar: not a readable image archive \(not a tar archive/,
  );
  await assert.rejects(
    openDockerArchive(ociTar, { target: 'docker-archive:o.tar' }),
    /not a docker-archive \(no manifest\.json member\)/,
  );
  await assert.rejects(
    openOciArchive(dockerTar, { target: 'oci-archive:d.tar' }),
    /not an OCI image archive \(no oci-layout member\)/,
  );
  await assert.rejects(
    openOciArchive(join(dir, 'absent.tar'), { target: 'oci-archive:absent.tar' }),
    /oci-archive:absent\.tar: cannot open archive/,
  );
  assert.ok(readdirSync(dir).length > 0);
});
