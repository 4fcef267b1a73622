// OS, conda and NVIDIA matchers against the in-memory AdvisoryStore (the SQLite store is exercised in index.test.ts
// and test/conformance/trivy.test.ts). Advisory facts below are real (Debian DSA-4539-1, Alpine secfixes, NVD).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Advisory, Affected } from '../core/advisory.ts';
import type { Inventory, OsInfo, Package, PackageMetadata } from '../core/package.ts';
import {
  createMemoryStore,
  matchInventory,
  osEcosystems,
  scoreVector,
  severityFromScore,
  sourceRpmName,
} from './index.ts';

function adv(id: string, aliases: string[], affected: Affected[], extra: Partial<Advisory> = {}): Advisory {
  return { id, aliases, source: 'test', cvss: [], references: [], affected, ...extra };
}
function fixedIn(ecosystem: string, name: string, fixed: string | undefined, extra: Partial<Affected> = {}): Affected {
  return {
    ecosystem,
    name,
    ranges: [{ type: 'ECOSYSTEM', events: fixed ? [{ introduced: '0' }, { fixed }] : [{ introduced: '0' }] }],
    versions: [],
    ...extra,
  };
}
function pkg(
  type: Package['type'],
  name: string,
  version: string,
  metadata: PackageMetadata,
  path = '/var/lib/dpkg/status',
): Package {
  return {
    id: `${type}:${name}@${version}:${path}`,
    type,
    name,
    version,
    purl: `pkg:${type}/${name}@${version}`,
    locations: [{ path, layer: 0 }],
    metadata,
  };
}
const os = (id: string, versionId: string): OsInfo => ({ id, versionId, path: '/etc/os-release' });
const inv = (o: OsInfo | undefined, packages: Package[]): Inventory => ({ os: o, packages, models: [], problems: [] });

test('osEcosystems: distro releases to OSV ecosystems', async () => {
  const table: [string, string, string[]][] = [
    ['debian', '12', ['Debian:12']],
    ['debian', '10.1', ['Debian:10']],
    ['debian', '', []],
    ['ubuntu', '22.04', ['Ubuntu:22.04:LTS', 'Ubuntu:22.04', 'Ubuntu:Pro:22.04:LTS']],
    ['alpine', '3.19.1', ['Alpine:v3.19']],
    ['wolfi', '20230201', ['Wolfi']],
    ['chainguard', '', ['Chainguard']],
    ['rocky', '9.3', ['Rocky Linux:9']],
    ['almalinux', '8.9', ['AlmaLinux:8']],
    ['plan9', '4', []],
  ];
  for (const [id, v, want] of table) assert.deepEqual(osEcosystems({ id, versionId: v }), want, `${id} ${v}`);
});

test('dpkg: searched by source package and source version, distro fix state carried', async () => {
  const store = createMemoryStore([
    adv('DSA-4539-1', ['CVE-2019-1563'], [fixedIn('Debian:9', 'openssl', '1.1.0l-1~deb9u1')]),
    adv(
      'CVE-2019-1551',
      [],
      [fixedIn('Debian:9', 'openssl', undefined, { fixState: 'wont-fix', statusNote: 'postponed', severity: 'low' })],
    ),
    adv('CVE-2099-0001', [], [fixedIn('Debian:10', 'openssl', '9.9')]), // other release: never matched
  ]);
  const libssl = pkg('deb', 'libssl1.1', '1.1.0k-1~deb9u1', {
    kind: 'dpkg',
    source: 'openssl',
    sourceVersion: '1.1.0k-1~deb9u1',
    arch: 'amd64',
  });
  const { findings, problems } = await matchInventory(inv(os('debian', '9.9'), [libssl]), store);
  assert.deepEqual(problems, []);
  assert.deepEqual(findings.map((f) => [f.id, f.fixState, f.fixedVersions]).sort(), [
    ['CVE-2019-1551', 'wont-fix', []],
    ['CVE-2019-1563', 'fixed', ['1.1.0l-1~deb9u1']],
  ]);
  const wont = findings.find((f) => f.id === 'CVE-2019-1551')!;
  assert.equal(wont.severity, 'low');
  assert.equal(wont.severitySource, 'vendor:debian');
  assert.match(wont.evidence[0].note ?? '', /postponed/);
  assert.deepEqual(wont.evidence[0].searched, { ecosystem: 'Debian:9', name: 'openssl', version: '1.1.0k-1~deb9u1' });
  // fixed version installed: nothing
  const fixed = pkg('deb', 'libssl1.1', '1.1.0l-1~deb9u1', {
    kind: 'dpkg',
    source: 'openssl',
    sourceVersion: '1.1.0l-1~deb9u1',
    arch: 'amd64',
  });
  assert.deepEqual(
    (await matchInventory(inv(os('debian', '9'), [fixed]), store)).findings.map((f) => f.id),
    ['CVE-2019-1551'],
  );
  // source version missing: the binary version is used
  const noSrcVer = pkg('deb', 'openssl', '1.1.0l-1~deb9u1', {
    kind: 'dpkg',
    source: '',
    sourceVersion: '',
    arch: 'amd64',
  });
  assert.deepEqual(
    (await matchInventory(inv(os('debian', '9'), [noSrcVer]), store)).findings.map((f) => f.id),
    ['CVE-2019-1551'],
  );
});

test('apk: searched by origin; rpm: by source RPM name', async () => {
  const store = createMemoryStore([
    adv('CVE-2019-1549', [], [fixedIn('Alpine:v3.9', 'openssl', '1.1.1d-r0')]),
    adv('CVE-2021-3711', [], [fixedIn('Rocky Linux:8', 'openssl', '1:1.1.1k-5.el8_5')]),
  ]);
  const libcrypto = pkg(
    'apk',
    'libcrypto1.1',
    '1.1.1b-r1',
    { kind: 'apk', origin: 'openssl', arch: 'x86_64' },
    '/lib/apk/db/installed',
  );
  assert.deepEqual(
    (await matchInventory(inv(os('alpine', '3.9.4'), [libcrypto]), store)).findings.map((f) => f.id),
    ['CVE-2019-1549'],
  );
  const libs = pkg(
    'rpm',
    'openssl-libs',
    '1:1.1.1k-4.el8',
    { kind: 'rpm', epoch: 1, release: '4.el8', arch: 'x86_64', sourceRpm: 'openssl-1.1.1k-4.el8.src.rpm' },
    '/var/lib/rpm/rpmdb.sqlite',
  );
  const r = await matchInventory(inv(os('rocky', '8.5'), [libs]), store);
  assert.deepEqual(
    r.findings.map((f) => [f.id, f.evidence[0].searched.name]),
    [['CVE-2021-3711', 'openssl']],
  );
  assert.equal(sourceRpmName('glibc-2.34-60.el9.src.rpm'), 'glibc');
  assert.equal(sourceRpmName('not-an-srpm'), undefined);
});

test('OS packages without a known distro release are reported, not silently dropped', async () => {
  const store = createMemoryStore([]);
  const p = pkg('deb', 'bash', '5.2-1', { kind: 'dpkg', source: 'bash', sourceVersion: '5.2-1', arch: 'amd64' });
  const r = await matchInventory(inv(undefined, [p, p]), store);
  assert.equal(r.problems.length, 1);
  assert.match(r.problems[0].message, /2 deb package\(s\) not matched: no advisory ecosystem for image OS unknown/);
  const bad = pkg('deb', 'bash', '5.2 1', { kind: 'dpkg', source: 'bash', sourceVersion: '5.2 1', arch: 'amd64' });
  const r2 = await matchInventory(inv(os('debian', '12'), [bad]), store);
  assert.equal(r2.problems.length, 1);
  assert.equal(r2.problems[0].path, '/var/lib/dpkg/status');
  assert.match(r2.problems[0].message, /dpkg: invalid version '5.2 1'/);
});

test('one finding per vulnerability per package: sources merged by alias', async () => {
  const store = createMemoryStore(
    [
      adv('GHSA-8vj2-vxx3-667w', ['CVE-2022-22817'], [fixedIn('PyPI', 'pillow', '9.0.0')], {
        source: 'osv:ghsa',
        severity: { rating: 'critical', source: 'ghsa' },
      }),
      adv('PYSEC-2022-10', ['CVE-2022-22817', 'GHSA-8vj2-vxx3-667w'], [fixedIn('PyPI', 'pillow', '9.0.0')], {
        source: 'osv:pysec',
      }),
    ],
    [
      {
        id: 'CVE-2022-22817',
        cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: NaN, source: 'nvd' }],
        kev: { dateAdded: '2024-01-01' },
        epss: { score: 0.5, percentile: 0.9 },
      },
    ],
  );
  const p = pkg(
    'python',
    'pillow',
    '8.4.0',
    { kind: 'python', format: 'dist-info', sitePackages: '/usr/lib/python3/site-packages' },
    '/usr/lib/python3/site-packages/Pillow-8.4.0.dist-info/METADATA',
  );
  const { findings } = await matchInventory(inv(undefined, [p]), store);
  assert.equal(findings.length, 1);
  const f = findings[0];
  assert.equal(f.id, 'CVE-2022-22817');
  assert.deepEqual([...f.aliases].sort(), ['GHSA-8vj2-vxx3-667w', 'PYSEC-2022-10']);
  assert.deepEqual(
    f.evidence.map((e) => e.source),
    ['osv:ghsa', 'osv:pysec'],
  );
  assert.equal(f.severity, 'critical');
  assert.equal(f.severitySource, 'ghsa');
  assert.equal(f.kev, true);
  assert.deepEqual(f.epss, { score: 0.5, percentile: 0.9 });
  assert.equal(f.cvss[0].score, 9.8); // scored from the vector
});

test('severity from CVSS when no vendor rating', async () => {
  assert.deepEqual(scoreVector('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), { version: '3.1', score: 9.8 });
  assert.deepEqual(scoreVector('AV:N/AC:L/Au:N/C:P/I:P/A:P'), { version: '2.0', score: 7.5 });
  assert.equal(scoreVector('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')?.score, 9.3);
  assert.equal(scoreVector('nonsense'), undefined);
  const table: [number, '2.0' | '3.1', string][] = [
    [0, '3.1', 'negligible'],
    [3.9, '3.1', 'low'],
    [4, '3.1', 'medium'],
    [7, '3.1', 'high'],
    [9, '3.1', 'critical'],
    [10, '2.0', 'high'],
  ];
  for (const [s, v, want] of table) assert.equal(severityFromScore(s, v), want, `${s} v${v}`);
  const store = createMemoryStore([
    adv('CVE-2016-9401', [], [fixedIn('Ubuntu:18.04:LTS', 'bash', '4.4-5ubuntu1')], {
      cvss: [{ version: '2.0', vector: 'AV:L/AC:L/Au:N/C:N/I:N/A:P', score: 2.1, source: 'nvd' }],
    }),
  ]);
  const bash = pkg('deb', 'bash', '4.4-1ubuntu1', {
    kind: 'dpkg',
    source: 'bash',
    sourceVersion: '4.4-1ubuntu1',
    arch: 'amd64',
  });
  const [f] = (await matchInventory(inv(os('ubuntu', '18.04'), [bash]), store)).findings;
  assert.equal(f.severity, 'low');
  assert.equal(f.severitySource, 'nvd:cvss-2.0');
});

test('cuda: NVIDIA components against NVD CPE ranges', async () => {
  const store = createMemoryStore([
    // CVE-2024-0072 et al. style: cuda_toolkit all versions up to (excluding) 12.4
    adv(
      'CVE-2024-0076',
      [],
      [
        {
          ecosystem: 'NVIDIA',
          name: 'cuda_toolkit',
          ranges: [{ type: 'CPE', events: [{ introduced: '0' }, { fixed: '12.4' }] }],
          versions: [],
        },
      ],
    ),
    adv('CVE-2022-34670', [], [{ ecosystem: 'NVIDIA', name: 'cudnn', ranges: [], versions: ['8.4.0'] }]),
  ]);
  const cuda = (component: string, version: string): Package =>
    pkg('cuda', component, version, { kind: 'cuda', component, via: 'system' }, '/usr/local/cuda/version.json');
  const r = await matchInventory(
    inv(undefined, [
      cuda('cuda-toolkit', '12.1.1'),
      cuda('cuda-toolkit', '12.4.0'),
      cuda('cudnn', '8.4.0'),
      cuda('cublas', '12.1.3.1'),
    ]),
    store,
  );
  assert.deepEqual(r.findings.map((f) => [f.id, f.package.version]).sort(), [
    ['CVE-2022-34670', '8.4.0'],
    ['CVE-2024-0076', '12.1.1'],
  ]);
  const f = r.findings.find((x) => x.id === 'CVE-2024-0076')!;
  assert.equal(f.evidence[0].matcher, 'cuda-cpe');
  assert.equal(f.evidence[0].versionScheme, 'cpe');
  assert.equal(f.evidence[0].matchedRange, '>=0 <12.4');
});
