// npm, Maven, Go and crates.io matching against the real SQLite store filled by the real importer with real
// advisories: the whole Go vulnerability database and GitHub advisories from the shared corpus. The findings must
// equal those of an independent matcher over the same files (test/support/osv-oracle.ts: OSV's own range algorithm
// with separately written version orders) — no more, no fewer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { oracle, readRecords as readRecordsAt, type OsvRecord } from '../../test/support/osv-oracle.ts';
import type { Package, PackageMetadata } from '../core/package.ts';
import { importSources, openStore, type Store } from '../vulndb/index.ts';
import { matchInventory } from './index.ts';

const GO = 'vulndata/go-vulndb/data/osv';
const GHSA = 'vulndata/ghsa-sample';
const CRATE =
  'vulndata/trivy-db-testdata/pkg/vulnsrc/ghsa/testdata/happy/ghsa/advisories/github-reviewed/2021/08/' +
  'GHSA-mp6f-p9gp-vpj9/GHSA-mp6f-p9gp-vpj9.json';
const skip = corpusSkip(GO) || corpusSkip(GHSA) || corpusSkip(CRATE);

let dir = '';
let store: Store | undefined;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'zerocve-eco-'));
  await importSources(join(dir, 'db.sqlite'), [
    { kind: 'osv', path: corpusPath(GO)!, source: 'osv:Go' },
    { kind: 'osv', path: corpusPath(GHSA)!, source: 'osv:GHSA' },
    { kind: 'osv', path: corpusPath(CRATE)!, source: 'osv:GHSA-crates' },
  ]);
  store = openStore(join(dir, 'db.sqlite'));
});
after(() => {
  store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const readRecords = (rel: string): OsvRecord[] => readRecordsAt(corpusPath(rel)!);

// ---- inventories of real package versions ----------------------------------------------------------------------

function pkg(type: Package['type'], name: string, version: string, metadata: PackageMetadata, path: string): Package {
  return {
    id: `${type}:${name}@${version}:${path}`,
    type,
    name,
    version,
    purl: `pkg:${type}/${name}@${version}`,
    locations: [{ path, layer: 1 }],
    metadata,
  };
}
const npm = (name: string, version: string, extra: Partial<Extract<PackageMetadata, { kind: 'npm' }>> = {}) =>
  pkg(
    'npm',
    name,
    version,
    { kind: 'npm', source: 'installed', nodeModules: '/app/node_modules', ...extra },
    `/app/node_modules/${name}/package.json`,
  );
const jar = (groupId: string, artifactId: string, version: string) =>
  pkg(
    'maven',
    `${groupId}:${artifactId}`,
    version,
    {
      kind: 'maven',
      groupId,
      artifactId,
      archive: `/opt/app/lib/${artifactId}-${version}.jar`,
      identifiedBy: 'pom.properties',
    },
    `/opt/app/lib/${artifactId}-${version}.jar`,
  );
const gomod = (module: string, version: string, role: 'main' | 'dep' | 'stdlib' = 'dep', bin = '/usr/bin/app') =>
  pkg('golang', module, version, { kind: 'golang', role, goVersion: 'go1.19.8' }, bin);

/** Record ids of a finding that come from one publisher (GO-…, GHSA-…). */
function recordIds(prefix: string, f: { id: string; aliases: string[] }): string[] {
  return [f.id, ...f.aliases].filter((i) => i.startsWith(prefix));
}

async function assertSame(
  packages: Package[],
  ecosystem: string,
  prefix: string,
  records: OsvRecord[],
  searchName = (p: Package) => p.name,
) {
  const { findings, problems } = await matchInventory({ packages, models: [], problems: [] }, store!);
  for (const p of packages) {
    // the Go toolchain as the Go vulnerability database spells it, written out by hand
    const version = { 'go1.19.8': '1.19.8', 'go1.21rc2': '1.21.0-rc.2', 'go1.22.3': '1.22.3' }[p.version] ?? p.version;
    const want = oracle(records, ecosystem, searchName(p), version);
    const got = new Set(findings.filter((f) => f.package.id === p.id).flatMap((f) => recordIds(prefix, f)));
    // every finding is explained by the oracle; every oracle record is in some finding
    assert.deepEqual(
      [...got].filter((id) => records.some((r) => r.id === id)).sort(),
      [...want].sort(),
      `${p.name} ${p.version}`,
    );
    for (const f of findings.filter((x) => x.package.id === p.id))
      assert.ok(
        recordIds(prefix, f).some((id) => want.has(id)),
        `${p.name} ${p.version}: ${f.id} not explained`,
      );
  }
  return { findings, problems };
}

test('npm: findings equal an independent semver matcher over the GitHub advisories', { skip }, async () => {
  const records = readRecords(GHSA);
  const packages = [
    npm('lodash', '4.17.15'),
    npm('lodash', '4.17.21'),
    npm('lodash.trim', '4.5.1'),
    npm('minimist', '0.0.8'),
    npm('minimist', '1.2.5'),
    npm('minimist', '1.2.6'),
    npm('ws', '7.4.6'),
    npm('ws', '8.17.1'),
    npm('qs', '6.5.2'),
    npm('qs', '6.11.0'),
    npm('semver', '5.7.1'),
    npm('semver', '7.5.2'),
    npm('json5', '1.0.1'),
    npm('json5', '2.2.1'),
    npm('micromatch', '4.0.5'),
    npm('ansi-regex', '5.0.0'),
    npm('ansi-regex', '3.0.1'),
  ];
  const { findings, problems } = await assertSame(packages, 'npm', 'GHSA-', records);
  assert.deepEqual(problems, []);
  const lodash = findings.filter((f) => f.package.version === '4.17.15' && f.package.name === 'lodash');
  assert.deepEqual(lodash.map((f) => f.id).sort(), ['CVE-2020-28500', 'CVE-2020-8203', 'CVE-2021-23337']);
  const e = lodash.find((f) => f.id === 'CVE-2020-8203')!.evidence[0];
  assert.deepEqual(e, {
    matcher: 'npm',
    searched: { ecosystem: 'npm', name: 'lodash', version: '4.17.15' },
    versionScheme: 'semver',
    matchedRange: '>=0 <4.17.20',
    source: 'osv:GHSA',
  });
  assert.equal(findings.filter((f) => f.package.name === 'lodash.trim')[0]?.evidence[0].matchedRange, '>=0 <=4.5.1');
});

test('npm: OS-owned packages never matched; lock-file packages matched and marked', { skip }, async () => {
  const owned = npm('lodash', '4.17.15', { nodeModules: '/usr/share/nodejs' });
  owned.ownedBy = 'deb:node-lodash@4.17.21+dfsg+~cs8.31.198.20210220-9:/var/lib/dpkg/status';
  const ownedMeta = npm('minimist', '1.2.5', { nodeModules: '/usr/share/nodejs' });
  ownedMeta.ownedBy = 'deb:node-minimist@1.2.5+~cs5.3.2-1:/var/lib/dpkg/status';
  const declared = npm('minimist', '1.2.0', { source: 'declared', lockFormat: 'package-lock', lockVersion: 3 });
  const { findings, problems } = await matchInventory(
    { packages: [owned, ownedMeta, declared], models: [], problems: [] },
    store!,
  );
  assert.deepEqual(problems, []);
  assert.ok(findings.every((f) => f.package.id === declared.id));
  assert.deepEqual(findings.map((f) => f.id).sort(), ['CVE-2020-7598', 'CVE-2021-44906']);
  for (const f of findings) assert.equal(f.evidence[0].note, 'declared in lock file');
  // installed and declared in a lock file: matched once, as installed
  const installed = npm('minimist', '1.2.0', { nodeModules: '/app/node_modules' });
  const both = await matchInventory({ packages: [installed, declared], models: [], problems: [] }, store!);
  assert.deepEqual(both.findings.map((f) => f.id).sort(), ['CVE-2020-7598', 'CVE-2021-44906'], 'each CVE once');
  assert.ok(
    both.findings.every((f) => f.evidence[0].note === undefined),
    'matched as installed',
  );
  // declared, and the same version installed only by Debian (not matched as npm): the declared one is matched
  const osCopy = npm('minimist', '1.2.0', { nodeModules: '/usr/share/nodejs' });
  osCopy.ownedBy = 'deb:node-minimist@1.2.0-1:/var/lib/dpkg/status';
  const beside = await matchInventory({ packages: [osCopy, declared], models: [], problems: [] }, store!);
  assert.deepEqual(beside.findings.map((f) => `${f.id} ${f.package.id}`).sort(), [
    `CVE-2020-7598 ${declared.id}`,
    `CVE-2021-44906 ${declared.id}`,
  ]);
});

test('maven: findings equal an independent Maven-order matcher over the GitHub advisories', { skip }, async () => {
  const records = readRecords(GHSA);
  const packages = [
    jar('org.apache.logging.log4j', 'log4j-core', '2.14.1'),
    jar('org.apache.logging.log4j', 'log4j-core', '2.15.0'),
    jar('org.apache.logging.log4j', 'log4j-core', '2.12.1'),
    jar('org.apache.logging.log4j', 'log4j-core', '2.12.2'),
    jar('org.apache.logging.log4j', 'log4j-core', '2.3'),
    jar('org.apache.logging.log4j', 'log4j-core', '2.0-beta9'),
    jar('org.yaml', 'snakeyaml', '1.33'),
    jar('org.yaml', 'snakeyaml', '2.0'),
    jar('org.apache.commons', 'commons-text', '1.9'),
    jar('org.apache.commons', 'commons-text', '1.4'),
    jar('org.apache.commons', 'commons-text', '1.10.0'),
    jar('com.fasterxml.jackson.core', 'jackson-databind', '2.13.2'),
    jar('com.fasterxml.jackson.core', 'jackson-databind', '2.13.2.1'),
    jar('com.fasterxml.jackson.core', 'jackson-databind', '2.12.6.1'),
    jar('com.fasterxml.jackson.core', 'jackson-databind', '2.13.4.2'),
    jar('com.fasterxml.jackson.core', 'jackson-databind', '2.4.0-rc1'),
    jar('com.fasterxml.jackson.core', 'jackson-databind', '2.3.0'),
  ];
  const { findings, problems } = await assertSame(packages, 'Maven', 'GHSA-', records);
  assert.deepEqual(problems, []);
  const log4shell = findings.find((f) => f.id === 'CVE-2021-44228' && f.package.version === '2.14.1');
  assert.ok(log4shell, 'Log4Shell in log4j-core 2.14.1');
  assert.deepEqual(log4shell.evidence[0].searched, {
    ecosystem: 'Maven',
    name: 'org.apache.logging.log4j:log4j-core',
    version: '2.14.1',
  });
  assert.equal(log4shell.evidence[0].versionScheme, 'maven');
  assert.equal(log4shell.evidence[0].matchedRange, '>=2.13.0 <2.15.0');
  assert.deepEqual(log4shell.fixedVersions, ['2.15.0']);
  // 2.4.0-rc1 is below 2.4.0 in Maven's order: the range starting at 2.4.0-rc1 holds it
  assert.ok(findings.some((f) => f.id === 'CVE-2022-42003' && f.package.version === '2.4.0-rc1'));
});

test('maven: a jar known only by file name is a problem, not a silent skip', { skip }, async () => {
  const p = jar('', 'mystery', '1.0');
  p.name = 'mystery';
  const { findings, problems } = await matchInventory({ packages: [p], models: [], problems: [] }, store!);
  assert.deepEqual(findings, []);
  assert.equal(problems.length, 1);
  assert.match(problems[0].message, /maven: cannot match Java archive mystery 1\.0: no groupId/);
  // without Maven metadata, a `groupId:artifactId` name is enough
  const bare: Package = {
    ...jar('org.yaml', 'snakeyaml', '1.33'),
    metadata: { kind: 'python', format: 'dist-info', sitePackages: '' },
  };
  const m = await matchInventory({ packages: [bare], models: [], problems: [] }, store!);
  assert.deepEqual(m.problems, []);
  assert.deepEqual(
    m.findings.map((f) => f.id),
    ['CVE-2022-1471'],
  );
});

test(
  'go: findings equal an independent semver matcher over the whole Go vulnerability database',
  { skip },
  async () => {
    const records = readRecords(GO);
    const packages = [
      gomod('stdlib', 'go1.19.8', 'stdlib'),
      gomod('stdlib', 'go1.21rc2', 'stdlib', '/usr/bin/other'),
      gomod('stdlib', 'go1.22.3', 'stdlib', '/usr/bin/third'),
      gomod('golang.org/x/net', 'v0.0.0-20220127200216-cd36cc0744dd'),
      gomod('golang.org/x/net', 'v0.23.0'),
      gomod('golang.org/x/text', 'v0.3.7'),
      gomod('golang.org/x/crypto', 'v0.0.0-20220314234659-1baeb1ce4c0b'),
      gomod('google.golang.org/grpc', 'v1.56.2'),
      gomod('google.golang.org/protobuf', 'v1.28.1'),
      gomod('github.com/gin-gonic/gin', 'v1.7.0'),
      gomod('github.com/docker/docker', 'v20.10.7+incompatible'),
    ];
    const searchName = (p: Package) => p.name;
    const { findings, problems } = await assertSame(packages, 'Go', 'GO-', records, searchName);
    assert.deepEqual(problems, []);
    const std = findings.filter((f) => f.package.version === 'go1.19.8');
    assert.ok(std.length > 20, `Go 1.19.8's standard library has many known vulnerabilities (${std.length})`);
    assert.deepEqual(std[0].evidence[0].searched, { ecosystem: 'Go', name: 'stdlib', version: '1.19.8' });
    assert.equal(std[0].evidence[0].source, 'osv:Go');
    const net = findings.filter((f) => f.package.version === 'v0.0.0-20220127200216-cd36cc0744dd');
    assert.ok(net.length > 3, 'an early-2022 golang.org/x/net pseudo-version has known vulnerabilities');
  },
);

test('go: the go command is also matched as toolchain; replaced and (devel) modules', { skip }, async () => {
  const records = readRecords(GO);
  const goCmd = gomod('stdlib', 'go1.21.0', 'stdlib', '/usr/local/go/bin/go');
  const replaced = gomod('golang.org/x/net', 'v0.1.0');
  if (replaced.metadata.kind === 'golang')
    replaced.metadata.replacedBy = { path: 'golang.org/x/net', version: 'v0.0.0-20220127200216-cd36cc0744dd' };
  const local = gomod('example.com/lib', 'v1.0.0');
  if (local.metadata.kind === 'golang') local.metadata.replacedBy = { path: '../lib' };
  const main = gomod('example.com/app', '(devel)', 'main');
  const { findings, problems } = await matchInventory(
    { packages: [goCmd, replaced, local, main], models: [], problems: [] },
    store!,
  );
  const cmdIds = new Set(findings.filter((f) => f.package.id === goCmd.id).flatMap((f) => recordIds('GO-', f)));
  const want = new Set([...oracle(records, 'Go', 'stdlib', '1.21.0'), ...oracle(records, 'Go', 'toolchain', '1.21.0')]);
  assert.ok(oracle(records, 'Go', 'toolchain', '1.21.0').size > 0, 'the go command 1.21.0 has toolchain advisories');
  assert.deepEqual([...cmdIds].filter((i) => records.some((r) => r.id === i)).sort(), [...want].sort());
  const rep = findings.filter((f) => f.package.id === replaced.id);
  assert.deepEqual(
    new Set(rep.flatMap((f) => recordIds('GO-', f)).filter((i) => records.some((r) => r.id === i))),
    oracle(records, 'Go', 'golang.org/x/net', '0.0.0-20220127200216-cd36cc0744dd'),
  );
  assert.match(rep[0].evidence[0].note ?? '', /golang\.org\/x\/net replaced by golang\.org\/x\/net v0\.0\.0-2022/);
  assert.deepEqual(
    problems.map((p) => p.message),
    [
      'go: cannot match module example.com/lib: replaced by a local directory (../lib)',
      'go: module example.com/app not matched: built from source, version (devel)',
    ],
  );
});

test('crates.io: a real GitHub advisory for a Rust crate', { skip }, async () => {
  const records = readRecords(CRATE);
  const crate = (version: string) =>
    pkg('cargo', 'sized-chunks', version, { kind: 'cargo', source: 'crates.io' }, '/usr/bin/rs');
  const packages = [crate('0.6.2'), crate('0.6.3'), crate('0.5.0')];
  const { findings, problems } = await assertSame(packages, 'crates.io', 'GHSA-', records);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    findings.map((f) => [f.id, f.package.version]),
    [
      ['CVE-2020-25792', '0.5.0'],
      ['CVE-2020-25792', '0.6.2'],
    ].sort(),
  );
});
