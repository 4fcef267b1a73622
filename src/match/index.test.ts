// Matching against the real SQLite store (src/vulndb) filled with real PyPI advisories from the shared corpus.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import type { Inventory, Package } from '../core/package.ts';
import { importSources, openStore, type Store } from '../vulndb/index.ts';
import { matchInventory, lookupsOf, ecosystemsOf } from './index.ts';
import { InternalError } from '../core/errors.ts';

const PYPA = 'vulndata/pypa-advisory-database/vulns';
const PROJECTS = ['pillow', 'torch', 'tensorflow', 'numpy', 'mlflow'];

let dir = '';
let store: Store | undefined;

before(async () => {
  if (corpusSkip(PYPA)) return;
  dir = mkdtempSync(join(tmpdir(), 'zerocve-match-'));
  await importSources(
    join(dir, 'db.sqlite'),
    PROJECTS.map((p) => ({ kind: 'osv' as const, path: join(corpusPath(PYPA)!, p), source: 'osv:PyPI' })),
  );
  store = openStore(join(dir, 'db.sqlite'));
});
after(() => {
  store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function py(name: string, version: string, extra: Partial<Package> = {}): Package {
  return {
    id: `python:${name}@${version}:/usr/lib/python3/site-packages/${name}-${version}.dist-info/METADATA`,
    type: 'python',
    name,
    version,
    purl: `pkg:pypi/${name}@${version}`,
    locations: [{ path: `/usr/lib/python3/site-packages/${name}-${version}.dist-info/METADATA`, layer: 0 }],
    metadata: { kind: 'python', format: 'dist-info', sitePackages: '/usr/lib/python3/site-packages' },
    ...extra,
  };
}

/** Oracle independent of range evaluation: the advisories whose explicit `versions` list names the version. */
function listedIn(project: string, version: string): Set<string> {
  const out = new Set<string>();
  for (const f of readdirSync(join(corpusPath(PYPA)!, project))) {
    const rec = parseYaml(readFileSync(join(corpusPath(PYPA)!, project, f), 'utf8')) as {
      id: string;
      aliases?: string[];
      withdrawn?: string;
      affected: { versions?: string[] }[];
    };
    if (rec.withdrawn) continue;
    if (rec.affected.some((a) => a.versions?.includes(version)))
      out.add([rec.id, ...(rec.aliases ?? [])].find((i) => i.startsWith('CVE-')) ?? rec.id);
  }
  return out;
}

test('python: findings equal the advisories that list the installed version', { skip: corpusSkip(PYPA) }, async () => {
  for (const [name, version] of [
    ['pillow', '8.4.0'],
    ['pillow', '9.0.0'],
    ['torch', '1.12.1'],
    ['torch', '1.13.1'],
    ['tensorflow', '2.4.0'],
    ['mlflow', '2.8.0'],
  ]) {
    const inv: Inventory = { packages: [py(name, version)], models: [], problems: [] };
    const { findings, problems } = await matchInventory(inv, store!);
    assert.deepEqual(problems, []);
    const want = listedIn(name, version);
    if (!(name === 'torch' && version === '1.13.1'))
      assert.ok(want.size > 0, `${name} ${version} should have listed advisories in the corpus`);
    assert.deepEqual(new Set(findings.map((f) => f.id)), want, `${name} ${version}`);
  }
});

test('python: a finding carries evidence, fix and severity', { skip: corpusSkip(PYPA) }, async () => {
  const { findings } = await matchInventory({ packages: [py('Pillow', '8.4.0')], models: [], problems: [] }, store!);
  const f = findings.find((x) => x.id === 'CVE-2022-22817');
  assert.ok(f, 'PIL.ImageMath.eval CVE-2022-22817 affects Pillow 8.4.0');
  assert.ok(f.aliases.includes('PYSEC-2022-10'));
  assert.ok(f.aliases.includes('GHSA-8vj2-vxx3-667w'));
  assert.deepEqual(f.fixedVersions, ['9.0.0']);
  assert.equal(f.fixState, 'fixed');
  assert.equal(f.installedVersion, '8.4.0');
  assert.equal(f.evidence[0].matcher, 'python');
  assert.deepEqual(f.evidence[0].searched, { ecosystem: 'PyPI', name: 'pillow', version: '8.4.0' });
  assert.equal(f.evidence[0].versionScheme, 'pep440');
  assert.equal(f.evidence[0].matchedRange, '>=0 <9.0.0');
  assert.equal(f.evidence[0].source, 'osv:PyPI');
  // worst first
  for (let i = 1; i < findings.length; i++) {
    const rank = { critical: 5, high: 4, medium: 3, low: 2, negligible: 1, unknown: 0 };
    assert.ok(rank[findings[i - 1].severity] >= rank[findings[i].severity]);
  }
});

test(
  'python: OS-owned packages are not matched, invalid versions become problems',
  { skip: corpusSkip(PYPA) },
  async () => {
    const inv: Inventory = {
      packages: [
        py('pillow', '8.4.0', { ownedBy: 'deb:python3-pil@9.0.1-1:/var/lib/dpkg/status' }),
        py('pillow', 'x.y.z-foo'),
      ],
      models: [],
      problems: [],
    };
    const { findings, problems } = await matchInventory(inv, store!);
    assert.deepEqual(findings, []);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].code, 'unmatched');
    assert.equal(problems[0].path, '/usr/lib/python3/site-packages/pillow-x.y.z-foo.dist-info/METADATA');
    assert.match(problems[0].message, /pep440: invalid version 'x\.y\.z-foo'/);
  },
);

test('conda: pytorch matched as PyPI torch, with the mapping confidence', { skip: corpusSkip(PYPA) }, async () => {
  const conda: Package = {
    id: 'conda:pytorch@1.12.1:/opt/conda/conda-meta/pytorch-1.12.1-py3.10_cuda11.7_cudnn8.5.0_0.json',
    type: 'conda',
    name: 'pytorch',
    version: '1.12.1',
    purl: 'pkg:conda/pytorch@1.12.1',
    locations: [{ path: '/opt/conda/conda-meta/pytorch-1.12.1-py3.10_cuda11.7_cudnn8.5.0_0.json', layer: 1 }],
    metadata: { kind: 'conda', build: 'py3.10_cuda11.7_cudnn8.5.0_0', condaPrefix: '/opt/conda' },
  };
  const { findings } = await matchInventory({ packages: [conda], models: [], problems: [] }, store!);
  assert.deepEqual(new Set(findings.map((f) => f.id)), listedIn('torch', '1.12.1'));
  assert.match(findings[0].evidence[0].note ?? '', /PyPI project torch \(confidence: high\)/);
  assert.equal(findings[0].evidence[0].matcher, 'conda');
});

test(
  'the store answers one prefetch per inventory; snapshots hold only what was asked and outlive the store',
  { skip: corpusSkip(PYPA) },
  async () => {
    const inv: Inventory = { packages: [py('Pillow', '8.4.0'), py('torch', '1.12.1')], models: [], problems: [] };
    assert.deepEqual(lookupsOf(inv), [
      { ecosystem: 'PyPI', name: 'pillow' },
      { ecosystem: 'PyPI', name: 'torch' },
    ]);
    assert.deepEqual(ecosystemsOf(inv), ['PyPI']);
    // a second store on the same file, closed before its snapshot is read
    const other = openStore(join(dir, 'db.sqlite'));
    let prefetches = 0;
    const counted = { prefetch: (k: Parameters<Store['prefetch']>[0]) => (prefetches++, other.prefetch(k)) };
    const snap = await counted.prefetch(lookupsOf(inv));
    other.close();
    assert.equal(prefetches, 1);
    assert.deepEqual(
      snap.advisoriesFor('PyPI', 'Pillow').map((a) => a.id),
      store!.advisoriesFor('PyPI', 'pillow').map((a) => a.id),
    );
    assert.throws(() => snap.advisoriesFor('PyPI', 'numpy'), InternalError, 'a key not prefetched is never "none"');
    assert.equal(snap.enrichment('CVE-2022-22817'), undefined);
    assert.throws(() => snap.enrichment('CVE-1999-0001'), InternalError);

    // several scans at once in one process, each with its own store, one prefetch each
    const a = openStore(join(dir, 'db.sqlite'));
    const b = openStore(join(dir, 'db.sqlite'));
    let calls = 0;
    const once = (s: Store): Store => ({ ...s, prefetch: (k, sig) => (calls++, s.prefetch(k, sig)) });
    const [ra, rb, rc] = await Promise.all([
      matchInventory(inv, once(a)),
      matchInventory(inv, once(b)),
      matchInventory({ ...inv, packages: [py('mlflow', '2.8.0')] }, once(a)),
    ]);
    a.close();
    b.close();
    assert.equal(calls, 3, 'one prefetch per inventory');
    assert.deepEqual(ra, rb);
    assert.ok(
      ra.findings.some((f) => f.package.name === 'torch') && ra.findings.some((f) => f.package.name === 'Pillow'),
    );
    assert.ok(rc.findings.length > 0 && rc.findings.every((f) => f.package.name === 'mlflow'));
  },
);
