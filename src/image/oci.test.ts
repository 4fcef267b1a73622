import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MediaType,
  parseManifestOrIndex,
  parseImageConfig,
  parsePlatform,
  formatPlatform,
  platformMatches,
  selectPlatform,
  layerCompression,
  type OciIndex,
} from './oci.ts';
import { InputError, UsageError } from '../core/errors.ts';

const d = (c: string): string => 'sha256:' + c.repeat(64);

test('parseManifestOrIndex reads OCI and Docker manifests and indexes, media type from doc, hint or shape', () => {
  const manifest = {
    schemaVersion: 2,
    config: { mediaType: MediaType.ociConfig, digest: d('a'), size: 10 },
    layers: [{ mediaType: MediaType.ociLayerGzip, digest: d('b'), size: 20 }],
  };
  const m = parseManifestOrIndex(manifest, 'x');
  assert.equal(m.kind, 'manifest');
  assert.equal(m.mediaType, MediaType.ociManifest);
  const docker = parseManifestOrIndex({ ...manifest, mediaType: MediaType.dockerManifest }, 'x');
  assert.equal(docker.mediaType, MediaType.dockerManifest);
  const hinted = parseManifestOrIndex(manifest, 'x', MediaType.dockerManifest);
  assert.equal(hinted.mediaType, MediaType.dockerManifest);
  const list = parseManifestOrIndex(
    {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifestList,
      manifests: [
        {
          mediaType: MediaType.dockerManifest,
          digest: d('c'),
          size: 5,
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
      ],
    },
    'x',
  );
  assert.equal(list.kind, 'index');
  assert.deepEqual(list.kind === 'index' && list.manifests[0].platform, {
    os: 'linux',
    architecture: 'arm64',
    variant: 'v8',
  });
  assert.equal(parseManifestOrIndex({ schemaVersion: 2, manifests: [] }, 'x').kind, 'index');
});

const badManifests: { name: string; doc: unknown; message: RegExp }[] = [
  { name: 'schema 1', doc: { schemaVersion: 1, fsLayers: [] }, message: /^m: unsupported manifest schemaVersion 1/ },
  { name: 'not an object', doc: [1], message: /^m: manifest is not a JSON object$/ },
  {
    name: 'bad digest',
    doc: { schemaVersion: 2, config: { mediaType: MediaType.ociConfig, digest: 'sha256:xyz', size: 1 }, layers: [] },
    message: /^m: config: descriptor has a malformed digest/,
  },
  {
    name: 'negative size',
    doc: { schemaVersion: 2, config: { mediaType: MediaType.ociConfig, digest: d('a'), size: -1 }, layers: [] },
    message: /invalid size/,
  },
  {
    name: 'no layers',
    doc: { schemaVersion: 2, config: { mediaType: MediaType.ociConfig, digest: d('a'), size: 1 } },
    message: /no layers array/,
  },
  {
    name: 'unknown media type',
    doc: { schemaVersion: 2, mediaType: 'application/x-thing', layers: [] },
    message: /unsupported manifest media type application\/x-thing/,
  },
];
for (const b of badManifests) {
  test(`parseManifestOrIndex rejects ${b.name} with a one-line InputError`, () => {
    assert.throws(
      () => parseManifestOrIndex(b.doc, 'm'),
      (e: unknown) => e instanceof InputError && b.message.test(e.message) && !e.message.includes('\n'),
    );
  });
}

test('parseImageConfig maps the OCI config into the core model', () => {
  const cfg = parseImageConfig(
    {
      created: '2024-01-02T03:04:05Z',
      os: 'linux',
      architecture: 'arm64',
      variant: 'v8',
      config: {
        User: '1000:1000',
        Entrypoint: ['/bin/sh'],
        Cmd: ['-c', 'true'],
        Env: ['PATH=/usr/bin'],
        WorkingDir: '/app',
        Labels: { a: 'b' },
        ExposedPorts: { '8080/tcp': {} },
      },
      rootfs: { type: 'layers', diff_ids: [d('1'), d('2')] },
      history: [{ created: '2024', created_by: '/bin/sh -c x', empty_layer: true }, { comment: 'c' }],
    },
    'cfg',
  );
  assert.deepEqual(cfg, {
    diffIds: [d('1'), d('2')],
    user: '1000:1000',
    entrypoint: ['/bin/sh'],
    cmd: ['-c', 'true'],
    env: ['PATH=/usr/bin'],
    workingDir: '/app',
    labels: { a: 'b' },
    exposedPorts: ['8080/tcp'],
    created: '2024-01-02T03:04:05Z',
    platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    history: [{ created: '2024', createdBy: '/bin/sh -c x', emptyLayer: true }, { comment: 'c' }],
  });
  assert.deepEqual(parseImageConfig({ rootfs: { diff_ids: null }, config: { Entrypoint: null } }, 'c'), {
    diffIds: [],
  });
  assert.throws(() => parseImageConfig({}, 'cfg'), { message: /^cfg: config has no rootfs$/ });
  assert.throws(() => parseImageConfig({ rootfs: { diff_ids: ['nope'] } }, 'cfg'), /malformed digest/);
  assert.throws(() => parseImageConfig({ rootfs: { diff_ids: [] }, config: { Env: 'PATH=/x' } }, 'cfg'), {
    message: /^cfg: config.Env is not an array of strings$/,
  });
});

test('parsePlatform accepts os/arch[/variant] with aliases and refuses the rest with a UsageError', () => {
  const table: [string, string][] = [
    ['linux/amd64', 'linux/amd64'],
    ['linux/arm64/v8', 'linux/arm64/v8'],
    ['Linux/x86_64', 'linux/amd64'],
    ['linux/aarch64', 'linux/arm64'],
    ['linux/arm/v7', 'linux/arm/v7'],
  ];
  for (const [input, want] of table) assert.equal(formatPlatform(parsePlatform(input)), want);
  for (const bad of ['linux', 'linux/', 'a/b/c/d', 'linux/amd 64', ''])
    assert.throws(() => parsePlatform(bad), UsageError);
});

test('platformMatches treats arm64 and arm64/v8 as one, and a variant-less request as any variant', () => {
  const table: [string, string, boolean][] = [
    ['linux/arm64', 'linux/arm64/v8', true],
    ['linux/arm64/v8', 'linux/arm64', true],
    ['linux/arm/v7', 'linux/arm/v6', false],
    ['linux/arm/v7', 'linux/arm', true],
    ['linux/amd64', 'linux/arm64', false],
    ['windows/amd64', 'linux/amd64', false],
  ];
  for (const [have, want, ok] of table)
    assert.equal(platformMatches(parsePlatform(have), parsePlatform(want)), ok, `${have} vs ${want}`);
});

test('selectPlatform picks the right manifest, skips attestations and lists what is available', () => {
  const idx: OciIndex = {
    kind: 'index',
    mediaType: MediaType.ociIndex,
    manifests: [
      { mediaType: MediaType.ociManifest, digest: d('1'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      {
        mediaType: MediaType.ociManifest,
        digest: d('2'),
        size: 1,
        platform: { os: 'linux', architecture: 'arm', variant: 'v6' },
      },
      {
        mediaType: MediaType.ociManifest,
        digest: d('3'),
        size: 1,
        platform: { os: 'linux', architecture: 'arm', variant: 'v7' },
      },
      {
        mediaType: MediaType.ociManifest,
        digest: d('4'),
        size: 1,
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
      },
    ],
  };
  assert.equal(selectPlatform(idx, parsePlatform('linux/amd64'), 't').digest, d('1'));
  assert.equal(selectPlatform(idx, parsePlatform('linux/arm/v7'), 't').digest, d('3'));
  assert.throws(() => selectPlatform(idx, parsePlatform('linux/s390x'), 'img'), {
    message: 'img: no image for platform linux/s390x (available: linux/amd64, linux/arm/v6, linux/arm/v7)',
  });
  const single: OciIndex = {
    kind: 'index',
    mediaType: MediaType.ociIndex,
    manifests: [{ mediaType: MediaType.ociManifest, digest: d('9'), size: 1 }],
  };
  assert.equal(selectPlatform(single, parsePlatform('linux/amd64'), 't').digest, d('9'));
});

test('layerCompression knows OCI and Docker layer types', () => {
  assert.equal(layerCompression(MediaType.dockerLayerGzip), 'gzip');
  assert.equal(layerCompression(MediaType.ociLayerZstd), 'zstd');
  assert.equal(layerCompression(MediaType.ociLayer), 'none');
  assert.equal(layerCompression('application/vnd.cncf.helm.chart.content.v1.tar+gzip'), undefined);
});
