// The remaining scan/inspect flags through the real CLI: --platform on a multi-arch image, registry credentials,
// --scanners, --files, --gpu-arch, --cache-dir/--no-cache; and bloat on the kitchen-sink ML image.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fixtureImage, fixtureSkip } from '../support/images.ts';
import { startRegistry, pushOciLayout } from '../support/registry.ts';
import {
  initLayout,
  writeLayer,
  writeImage,
  writeBlob,
  writeIndex,
  canonicalJson,
} from '../../src/image/write/index.ts';
import { zerocve } from './support.ts';

const work = mkdtempSync(join(tmpdir(), 'zc-e2e-flags-'));
after(() => rmSync(work, { recursive: true, force: true }));
const tools = (() => {
  try {
    execFileSync('which', ['umoci']);
    execFileSync('which', ['skopeo']);
    execFileSync('which', ['docker-registry']);
    return false as const;
  } catch {
    return 'needs umoci, skopeo and docker-registry';
  }
})();

test(
  '--platform picks from a multi-arch index; --username/--password against a registry with basic auth',
  { skip: tools, timeout: 300_000 },
  async () => {
    // a multi-arch index written with zerocve's own image writer (umoci's `insert` leaves small layers without their
    // final padding and end blocks, which GNU tar rejects too)
    const layout = join(work, 'multi');
    initLayout(layout);
    const images = [];
    for (const [architecture, files] of [
      ['amd64', { '/etc/arch': 'amd64\n', '/etc/os-release': 'ID=debian\nVERSION_ID="12"\n' }],
      ['arm64', { '/etc/arch': 'arm64\n', '/etc/more': 'x\n', '/etc/os-release': 'ID=alpine\nVERSION_ID=3.19.1\n' }],
    ] as const) {
      const layer = await writeLayer(layout, async (tar) => {
        await tar.add({ path: '/etc', type: 'dir' });
        for (const [p, body] of Object.entries(files)) await tar.add({ path: p, type: 'file' }, Buffer.from(body));
      });
      images.push(await writeImage(layout, { layers: [layer], platform: { os: 'linux', architecture }, config: {} }));
    }
    const index = await writeBlob(
      layout,
      canonicalJson({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: images.map((m) => ({
          mediaType: m.mediaType,
          digest: m.digest,
          size: m.size,
          platform: m.platform,
        })),
      }),
      'application/vnd.oci.image.index.v1+json',
    );
    writeIndex(layout, [{ ...index, tag: 'v1' }]);
    const reg = await startRegistry({ htpasswd: { user: 'ml', password: 's3cret' } });
    try {
      await pushOciLayout(
        layout,
        'v1',
        reg.host,
        { user: 'ml', password: 's3cret' },
        { repo: 'team/multi', all: true },
      );
      const ref = `${reg.host}/team/multi:v1`;
      const noCreds = await zerocve(['inspect', ref, '--no-cache']);
      assert.equal(noCreds.code, 3);
      assert.match(noCreds.stderr, /unauthorized/);
      assert.equal(noCreds.stderr.trim().split('\n').length, 1);
      const amd = await zerocve([
        'inspect',
        ref,
        '--no-cache',
        '--username',
        'ml',
        '--password',
        's3cret',
        '-f',
        'json',
      ]);
      assert.equal(amd.code, 0, amd.stderr);
      assert.equal(JSON.parse(amd.stdout).platform, 'linux/amd64', 'default platform');
      const arm = await zerocve(['inspect', ref, '--no-cache', '--platform', 'linux/arm64', '-f', 'json'], {
        env: { ZEROCVE_REGISTRY_USERNAME: 'ml', ZEROCVE_REGISTRY_PASSWORD: 's3cret' },
      });
      assert.equal(arm.code, 0, arm.stderr);
      const a = JSON.parse(arm.stdout) as { platform: string; totals: { files: number } };
      assert.equal(a.platform, 'linux/arm64');
      assert.equal(a.totals.files, 3);
      const sbom = await zerocve([
        'sbom',
        ref,
        '--platform',
        'linux/arm64',
        '-f',
        'json',
        '--username',
        'ml',
        '--password',
        's3cret',
        '-q',
      ]);
      assert.equal(JSON.parse(sbom.stdout).inventory.os.id, 'alpine');
      const none = await zerocve([
        'inspect',
        ref,
        '--platform',
        'linux/s390x',
        '--username',
        'ml',
        '--password',
        's3cret',
      ]);
      assert.equal(none.code, 3);
      assert.match(none.stderr, /available: linux\/amd64, linux\/arm64/);
    } finally {
      await reg.stop();
    }
  },
);

test('--scanners, --files, --cache-dir and --no-cache', { skip: fixtureSkip(), timeout: 600_000 }, async () => {
  const fx = await fixtureImage('python3');
  const cache = join(work, 'cache');
  const only = await zerocve([
    'scan',
    fx.target,
    '--allow-no-db',
    '-q',
    '-f',
    'json',
    '--scanners',
    'surface',
    '--cache-dir',
    cache,
  ]);
  assert.equal(only.code, 0, only.stderr);
  const r = JSON.parse(only.stdout) as {
    surface?: unknown;
    bloat?: unknown;
    sections: Record<string, unknown>;
    inventory: { packages: { files?: string[] }[] };
  };
  assert.ok(r.surface && !r.bloat && !r.sections.gpu && !r.sections.models, 'only the surface scanner ran');
  assert.ok(
    r.inventory.packages.every((p) => p.files === undefined),
    'owned files only with --files',
  );
  assert.ok(
    existsSync(join(cache, 'layers')) && readdirSync(join(cache, 'layers')).length > 0,
    '--cache-dir holds the layer cache',
  );
  const files = await zerocve([
    'scan',
    fx.target,
    '--allow-no-db',
    '-q',
    '-f',
    'json',
    '--files',
    '--cache-dir',
    cache,
  ]);
  const withFiles = JSON.parse(files.stdout) as typeof r;
  assert.ok(withFiles.inventory.packages.some((p) => p.files?.includes('/usr/bin/python3.11')));
  const noCache = join(work, 'nocache');
  await zerocve(['scan', fx.target, '--allow-no-db', '-q', '-f', 'json', '--no-cache', '--cache-dir', noCache]);
  assert.equal(existsSync(noCache), false, '--no-cache writes no cache');
  // the layer cache keeps under its cap: a cap smaller than the image's one layer keeps nothing
  const tiny = join(work, 'tiny-cache');
  const capped = await zerocve(['inspect', fx.target, '-f', 'json', '--cache-dir', tiny, '--cache-max-size', '1KiB']);
  assert.equal(capped.code, 0, capped.stderr);
  assert.deepEqual(readdirSync(join(tiny, 'layers')), []);
  const roomy = await zerocve(['inspect', fx.target, '-f', 'json', '--cache-dir', tiny], {
    env: { ZEROCVE_CACHE_MAX_SIZE: '1GiB' },
  });
  assert.equal(roomy.code, 0, roomy.stderr);
  assert.equal(readdirSync(join(tiny, 'layers')).length, 1, 'ZEROCVE_CACHE_MAX_SIZE=1GiB keeps the layer');
  const badSize = await zerocve(['inspect', fx.target, '--cache-max-size', 'lots']);
  assert.equal(badSize.code, 2);
  assert.match(badSize.stderr, /--cache-max-size: 'lots' is not a size like 4GiB/);
  const badAge = await zerocve(['scan', fx.target, '--db-max-age', 'soon', '--allow-no-db', '-q']);
  assert.equal(badAge.code, 2);
  assert.match(badAge.stderr, /--db-max-age: 'soon' is not a duration/);
  const bad = await zerocve(['scan', fx.target, '--scanners', 'vuln,magic']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown scanner 'magic'/);
});

test(
  'bloat of the kitchen-sink ML image: categories add up to its bytes, real offenders, --gpu-arch accepted',
  { skip: fixtureSkip(), timeout: 1_200_000 },
  async () => {
    const ml = await fixtureImage('ml');
    const r = await zerocve([
      'bloat',
      ml.target,
      '-f',
      'json',
      '-q',
      '--gpu-arch',
      'sm_80,sm_90',
      '--cache-dir',
      join(work, 'cache-ml'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const b = JSON.parse(r.stdout) as {
      bloat: {
        totalBytes: number;
        removableBytes: number;
        categories: { category: string; bytes: number }[];
        topOffenders: { path: string; bytes: number }[];
        duplicates: unknown[];
      };
      gpu: { gpuArchs: string[] };
    };
    assert.equal(
      b.bloat.categories.reduce((n, c) => n + c.bytes, 0),
      b.bloat.totalBytes,
      'every byte in exactly one category',
    );
    // the image's bytes, counted independently (hard links once) in the same root the image was made from
    const du = Number(
      execFileSync(
        'sh',
        [
          '-c',
          `find ${JSON.stringify(ml.rootfs)} -xdev -type f -printf '%i %s\\n' | sort -u | awk '{s+=$2} END {print s}'`,
        ],
        { encoding: 'utf8' },
      ).trim(),
    );
    assert.equal(b.bloat.totalBytes, du);
    const top = b.bloat.topOffenders.map((o) => o.path).join(' ');
    assert.match(top, /libllvm15/);
    assert.match(top, /\/usr\/lib\/gcc|gcc-12/);
    assert.ok(b.bloat.categories.find((c) => c.category === 'toolchains')!.bytes > 100e6);
    assert.ok(b.bloat.categories.find((c) => c.category === 'headers')!.bytes > 10e6);
    assert.ok(b.bloat.removableBytes > 0.1 * b.bloat.totalBytes, 'a workload-independent estimate is shown');
    assert.ok(b.bloat.duplicates.length > 0, 'duplicates found by content hash');
    assert.deepEqual(b.gpu.gpuArchs, ['sm_80', 'sm_90']);
  },
);
