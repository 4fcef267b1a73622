// Ubuntu images against Ubuntu's OSV records (`Ubuntu:20.04:LTS`, `Ubuntu:Pro:16.04:LTS`): the release read from a
// real Ubuntu os-release by the real OS analyzer, the record imported by the real importer into the SQLite store,
// source packages compared with the dpkg rule. The record's facts (ids, ecosystems, packages, fixed versions,
// priority) are those of Ubuntu's published OSV record for CVE-2023-0286 (canonical/ubuntu-security-notices,
// osv/cve/2023/CVE-2023-0286.json); its prose is left out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { buildInventory } from '../catalog/index.ts';
import { createOsAnalyzer } from '../catalog/os/analyzer.ts';
import { analyzeFiles } from '../../test/support/walk-root.ts';
import type { Inventory, OsInfo, Package } from '../core/package.ts';
import { importSources, openStore, type Store } from '../vulndb/index.ts';
import { matchInventory } from './index.ts';

const OS_RELEASE = 'conformance/syft/cmd/syft/internal/test/integration/testdata/image-pkg-coverage/etc/os-release';

const fixedIn = (ecosystem: string, name: string, fixed: string) => ({
  package: { ecosystem, name },
  ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
  ecosystem_specific: { ubuntu_priority: 'high' },
});
const RECORD = {
  schema_version: '1.6.3',
  id: 'CVE-2023-0286',
  aliases: [],
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H' }],
  published: '2023-02-07T00:00:00Z',
  modified: '2024-08-23T16:30:36Z',
  affected: [
    fixedIn('Ubuntu:Pro:16.04:LTS', 'openssl', '1.0.2g-1ubuntu4.20+esm6'),
    fixedIn('Ubuntu:18.04:LTS', 'openssl', '1.1.1-1ubuntu2.1~18.04.21'),
    fixedIn('Ubuntu:20.04:LTS', 'openssl', '1.1.1f-1ubuntu2.17'),
    fixedIn('Ubuntu:22.04:LTS', 'openssl', '3.0.2-0ubuntu1.8'),
    fixedIn('Ubuntu:22.04:LTS', 'nodejs', '12.22.9~dfsg-1ubuntu3.3'),
  ],
};

let dir = '';
let store: Store | undefined;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zerocve-ubuntu-'));
  writeFileSync(join(dir, 'CVE-2023-0286.json'), JSON.stringify(RECORD));
  await importSources(join(dir, 'db.sqlite'), [
    { kind: 'osv', path: join(dir, 'CVE-2023-0286.json'), source: 'osv:Ubuntu' },
  ]);
  store = openStore(join(dir, 'db.sqlite'));
});
after(() => {
  store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function deb(name: string, source: string, version: string): Package {
  return {
    id: `deb:${name}@${version}:/var/lib/dpkg/status`,
    type: 'deb',
    name,
    version,
    purl: `pkg:deb/ubuntu/${name}@${version}`,
    locations: [{ path: '/var/lib/dpkg/status', layer: 0 }],
    metadata: { kind: 'dpkg', source, sourceVersion: version, arch: 'amd64' },
  };
}
const ubuntu = (versionId: string): OsInfo => ({ id: 'ubuntu', versionId, path: '/etc/os-release' });
const inv = (os: OsInfo | undefined, packages: Package[]): Inventory => ({ os, packages, models: [], problems: [] });

test(
  'ubuntu: release from a real os-release; source package matched with the dpkg rule',
  { skip: corpusSkip(OS_RELEASE) },
  async () => {
    const read = buildInventory(
      await analyzeFiles([createOsAnalyzer()], [{ path: '/etc/os-release', source: corpusPath(OS_RELEASE)! }]),
    );
    assert.equal(read.os?.id, 'ubuntu');
    assert.equal(read.os?.versionId, '20.04');
    const { findings, problems } = await matchInventory(
      inv(read.os, [
        deb('libssl1.1', 'openssl', '1.1.1f-1ubuntu2.16'),
        deb('openssl', 'openssl', '1.1.1f-1ubuntu2.17'),
        deb('libssl1.1', 'openssl', '1.1.1f-1ubuntu2.19'),
      ]),
      store!,
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(
      findings.map((f) => [f.id, f.package.name, f.package.version]),
      [['CVE-2023-0286', 'libssl1.1', '1.1.1f-1ubuntu2.16']],
    );
    const f = findings[0];
    assert.deepEqual(f.evidence[0].searched, {
      ecosystem: 'Ubuntu:20.04:LTS',
      name: 'openssl',
      version: '1.1.1f-1ubuntu2.16',
    });
    assert.equal(f.evidence[0].versionScheme, 'dpkg');
    assert.equal(f.evidence[0].matchedRange, '>=0 <1.1.1f-1ubuntu2.17');
    assert.deepEqual(f.fixedVersions, ['1.1.1f-1ubuntu2.17']);
    assert.equal(f.severity, 'high');
    assert.equal(f.severitySource, 'vendor:ubuntu');
  },
);

test('ubuntu: each release sees only its own records; ~ sorts before the release', async () => {
  const cases: [string, Package, boolean][] = [
    ['22.04', deb('libssl3', 'openssl', '3.0.2-0ubuntu1.7'), true],
    ['22.04', deb('libssl3', 'openssl', '3.0.2-0ubuntu1.8'), false],
    ['22.04', deb('nodejs', 'nodejs', '12.22.9~dfsg-1ubuntu3.2'), true],
    ['22.04', deb('nodejs', 'nodejs', '12.22.9~dfsg-1ubuntu3.3'), false],
    // the 20.04 version on 22.04 is below 22.04's fix; on 18.04 the 18.04 record decides
    ['18.04', deb('libssl1.1', 'openssl', '1.1.1-1ubuntu2.1~18.04.20'), true],
    ['18.04', deb('libssl1.1', 'openssl', '1.1.1-1ubuntu2.1~18.04.21'), false],
    // no Ubuntu 24.04 entry in the record
    ['24.04', deb('libssl3t64', 'openssl', '3.0.13-0ubuntu3'), false],
  ];
  for (const [release, p, hit] of cases) {
    const { findings, problems } = await matchInventory(inv(ubuntu(release), [p]), store!);
    assert.deepEqual(problems, []);
    assert.equal(findings.length, hit ? 1 : 0, `${release} ${p.name} ${p.version}`);
  }
});

test('ubuntu: a Pro (ESM) record matches, marked; the ESM-fixed version is clean', async () => {
  const old = await matchInventory(inv(ubuntu('16.04'), [deb('libssl1.0.0', 'openssl', '1.0.2g-1ubuntu4.20')]), store!);
  assert.equal(old.findings.length, 1);
  assert.deepEqual(old.findings[0].evidence[0].searched, {
    ecosystem: 'Ubuntu:Pro:16.04:LTS',
    name: 'openssl',
    version: '1.0.2g-1ubuntu4.20',
  });
  assert.match(old.findings[0].evidence[0].note ?? '', /Ubuntu Pro \(ESM\)/);
  assert.deepEqual(old.findings[0].fixedVersions, ['1.0.2g-1ubuntu4.20+esm6']);
  const esm = await matchInventory(
    inv(ubuntu('16.04'), [deb('libssl1.0.0', 'openssl', '1.0.2g-1ubuntu4.20+esm6')]),
    store!,
  );
  assert.deepEqual(esm.findings, []);
});
