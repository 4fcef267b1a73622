// The other commands end to end on real images: compare (kitchen-sink ML image vs minimal python3), sbom (against
// dpkg-query in the same root), inspect, a registry-served image, and build (reproducible, prod without a shell,
// SBOM = installed packages).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fixtureImage, fixtureSkip } from '../support/images.ts';
import { startRegistry, pushOciLayout } from '../support/registry.ts';
import { sandboxSkip, runInRoot } from '../../src/runtime/index.ts';
import { zerocve, imageWithLayer } from './support.ts';

const work = mkdtempSync(join(tmpdir(), 'zc-e2e-img-'));
after(() => rmSync(work, { recursive: true, force: true }));

function dpkgQuery(root: string): Map<string, string> {
  const out = execFileSync(
    'dpkg-query',
    [`--admindir=${root}/var/lib/dpkg`, '-W', '-f=${Package}\t${Version}\t${db:Status-Abbrev}\n'],
    { encoding: 'utf8' },
  );
  return new Map(
    out
      .split('\n')
      .filter((l) => /\tii ?$/.test(l))
      .map((l) => l.split('\t'))
      .map(([n, v]) => [n, v]),
  );
}

test(
  'sbom lists exactly the packages dpkg-query reports in the image root',
  { skip: fixtureSkip(), timeout: 900_000 },
  async () => {
    const fx = await fixtureImage('python3');
    const r = await zerocve(['sbom', fx.target, '-q', '--no-cache']);
    assert.equal(r.code, 0, r.stderr);
    const bom = JSON.parse(r.stdout) as {
      specVersion: string;
      components: { type: string; name: string; version: string; purl?: string }[];
    };
    assert.equal(bom.specVersion, '1.6');
    const debs = new Map(bom.components.filter((c) => c.purl?.startsWith('pkg:deb/')).map((c) => [c.name, c.version]));
    assert.deepEqual([...debs.entries()].sort(), [...dpkgQuery(fx.rootfs).entries()].sort());
    assert.ok(bom.components.some((c) => c.type === 'operating-system' && /debian/i.test(c.name)));
    const spdx = await zerocve(['sbom', fx.target, '-q', '-f', 'spdx-json']);
    assert.equal(JSON.parse(spdx.stdout).spdxVersion, 'SPDX-2.3');
    // an SBOM scanned back yields the same inventory
    const file = join(work, 'py.cdx.json');
    writeFileSync(file, r.stdout);
    const back = await zerocve(['sbom', `sbom:${file}`, '-q', '-f', 'json']);
    assert.equal(back.code, 0, back.stderr);
    const inv = JSON.parse(back.stdout) as {
      inventory: { packages: { type: string; name: string; version: string }[] };
    };
    assert.deepEqual(
      new Map(inv.inventory.packages.filter((p) => p.type === 'deb').map((p) => [p.name, p.version])),
      debs,
    );
  },
);

test('inspect and scan an image served by a real registry', { skip: fixtureSkip(), timeout: 900_000 }, async () => {
  const fx = await fixtureImage('python3');
  const reg = await startRegistry();
  try {
    await pushOciLayout(fx.ociDir, 'latest', reg.host, undefined, { repo: 'ml/python3' });
    const ins = await zerocve([
      'inspect',
      `${reg.host}/ml/python3:latest`,
      '-f',
      'json',
      '--cache-dir',
      join(work, 'cache'),
    ]);
    assert.equal(ins.code, 0, ins.stderr);
    const j = JSON.parse(ins.stdout) as {
      image: { source: { manifestDigest: string } };
      totals: { files: number; executables: number; setuid: number };
    };
    assert.match(j.image.source.manifestDigest, /^sha256:/);
    const local = JSON.parse((await zerocve(['inspect', fx.target, '-f', 'json', '--no-cache'])).stdout) as typeof j;
    assert.deepEqual(j.totals, local.totals, 'the registry copy has the same files as the layout it was pushed from');
    const missing = await zerocve(['inspect', `${reg.host}/ml/nope:latest`]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /not found/);
  } finally {
    await reg.stop();
  }
});

test(
  'compare: kitchen-sink ML image against a minimal python3 image',
  { skip: fixtureSkip(), timeout: 1_800_000 },
  async () => {
    const ml = await fixtureImage('ml');
    const py = await fixtureImage('python3');
    const r = await zerocve([
      'compare',
      ml.target,
      py.target,
      '--allow-no-db',
      '-q',
      '-f',
      'json',
      '--cache-dir',
      join(work, 'cache'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout) as {
      metrics: { key: string; a: number | null; b: number | null }[];
      onlyInA: unknown[];
      onlyInB: unknown[];
    };
    const m = (k: string) => c.metrics.find((x) => x.key === k)!;
    assert.ok(m('packages').a! >= dpkgQuery(ml.rootfs).size, 'every dpkg package of the ML root is counted');
    assert.ok(m('packages').b! >= dpkgQuery(py.rootfs).size);
    assert.ok(m('packages').a! > 4 * m('packages').b!, 'kitchen sink carries far more packages');
    assert.ok(m('executables').a! > m('executables').b!);
    assert.ok(m('uncompressedBytes').a! > 5 * m('uncompressedBytes').b!);
    assert.ok(c.onlyInA.length > 300);
    const table = await zerocve([
      'compare',
      ml.target,
      py.target,
      '--allow-no-db',
      '-q',
      '--cache-dir',
      join(work, 'cache'),
    ]);
    assert.match(table.stdout, /−\d+%/, 'relative reductions are shown');
  },
);

test(
  'build: reproducible prod image without a shell, SBOM = installed packages, runs its entrypoint',
  { skip: fixtureSkip() || sandboxSkip(), timeout: 1_800_000 },
  async () => {
    const dir = join(work, 'build');
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'hello.py'), 'import sys\nprint("python", sys.version_info[0])\n');
    writeFileSync(
      join(dir, 'image.yaml'),
      'name: hello\nbase: debian:bookworm\npackages: [python3-minimal]\nfiles:\n  - src: hello.py\n' +
        '    dest: /app/hello.py\nentrypoint: [/usr/bin/python3, /app/hello.py]\nvariant: prod\n',
    );
    const reg = await startRegistry();
    let a;
    try {
      a = await zerocve([
        'build',
        join(dir, 'image.yaml'),
        '-o',
        `oci-dir:${join(dir, 'a')}`,
        '--keep-rootfs',
        join(dir, 'root'),
        '-f',
        'json',
        '-q',
        '--push',
        `${reg.host}/hello:1`,
        '--insecure',
      ]);
      assert.equal(a.code, 0, a.stderr);
      const pulled = await zerocve(['inspect', `${reg.host}/hello:1`, '-f', 'json', '--no-cache']);
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.equal(
        (JSON.parse(pulled.stdout) as { image: { config: { user: string } } }).image.config.user,
        '65532:65532',
        '--push put the image in the registry',
      );
    } finally {
      await reg.stop();
    }
    const b = await zerocve(['build', join(dir, 'image.yaml'), '-o', `oci-dir:${join(dir, 'b')}`, '-f', 'json', '-q']);
    assert.equal(b.code, 0, b.stderr);
    const ra = JSON.parse(a.stdout) as { manifestDigest: string; sbom: { digest: string }; removedPackages: string[] };
    assert.equal(ra.manifestDigest, (JSON.parse(b.stdout) as typeof ra).manifestDigest, 'two builds, one digest');
    const root = join(dir, 'root');
    assert.equal(
      existsSync(join(root, 'bin/sh')) || existsSync(join(root, 'usr/bin/sh')),
      false,
      'prod has no /bin/sh',
    );
    assert.ok(ra.removedPackages.includes('dash') && ra.removedPackages.includes('apt'));
    const blob = (d: string) => readFileSync(join(dir, 'a/blobs/sha256', d.slice(7)), 'utf8');
    const referrer = JSON.parse(blob(ra.sbom.digest)) as {
      artifactType: string;
      subject: { digest: string };
      layers: { digest: string }[];
    };
    assert.equal(referrer.artifactType, 'application/vnd.cyclonedx+json');
    assert.equal(referrer.subject.digest, ra.manifestDigest, 'the SBOM refers to the image');
    const sbom = JSON.parse(blob(referrer.layers[0].digest)) as {
      components: { purl?: string; name: string; version: string }[];
    };
    const fromSbom = new Map(
      sbom.components.filter((c) => c.purl?.startsWith('pkg:deb/')).map((c) => [c.name, c.version]),
    );
    assert.deepEqual(
      [...fromSbom.entries()].sort(),
      [...dpkgQuery(root).entries()].sort(),
      'the attached SBOM lists exactly the installed packages',
    );
    assert.ok(!fromSbom.has('dash'));
    const run = await runInRoot(root, ['/usr/bin/python3', '/app/hello.py']);
    assert.equal(run.stdout.trim(), 'python 3', run.stderr);
    const scan = await zerocve([
      'scan',
      `oci-dir:${join(dir, 'a')}`,
      '--allow-no-db',
      '-q',
      '-f',
      'json',
      '--scanners',
      'surface',
    ]);
    const s = JSON.parse(scan.stdout) as {
      surface: { shells: string[]; packageManagers: string[]; user: { root: boolean } };
    };
    assert.deepEqual(s.surface.shells, []);
    assert.deepEqual(s.surface.packageManagers, []);
    assert.equal(s.surface.user.root, false);
  },
);

test(
  'build --check: packages of an image with newer versions in its release, asked of apt and the real mirror',
  { skip: fixtureSkip(), timeout: 900_000 },
  async () => {
    const fx = await fixtureImage('python3');
    const dir = join(work, 'check');
    execFileSync('mkdir', ['-p', dir]);
    // the python3 image, with a later layer whose dpkg status records an older base-files than Debian now ships
    const status = readFileSync(join(fx.rootfs, 'var/lib/dpkg/status'), 'utf8').replace(
      /(Package: base-files\n(?:.+\n)*?Version: )\S+/,
      '$112.4+deb12u0',
    );
    assert.match(status, /Package: base-files\n(?:.+\n)*?Version: 12\.4\+deb12u0/);
    const target = await imageWithLayer(fx.ociDir, join(dir, 'img'), [{ path: '/var/lib/dpkg/status', body: status }]);
    writeFileSync(join(dir, 'image.yaml'), 'name: py\nbase: debian:bookworm\npackages: [python3]\n');
    const r = await zerocve([
      'build',
      '--check',
      join(dir, 'image.yaml'),
      '-o',
      target.replace(/^oci-dir:/, 'oci-dir:'),
      '-f',
      'json',
      '-q',
    ]);
    assert.ok(r.code === 1, `exit 1 when updates exist: ${r.code} ${r.stderr}`);
    const c = JSON.parse(r.stdout) as {
      checked: number;
      updates: { name: string; installed: string; candidate: string }[];
    };
    assert.ok(c.checked > 100);
    const bf = c.updates.find((u) => u.name === 'base-files');
    assert.ok(bf, 'base-files reported');
    assert.equal(bf.installed, '12.4+deb12u0');
    assert.match(bf.candidate, /^12\.4\+deb12u\d+$/);
  },
);
