// The menu's facts and filters as tables: framework/CUDA/Python from inventories as the scanners record them,
// golden-first ordering, filters, pagination, and the findings query from a URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Inventory, Package } from '../core/package.ts';
import type { Finding } from '../core/finding.ts';
import { stackOf, filterMenu, parseMenuQuery, menuQueryString, parseFindingsQuery, filterFindings } from './model.ts';
import type { MenuRow } from './model.ts';

const inv = (pkgs: [Package['type'], string, string][]): Inventory =>
  ({ packages: pkgs.map(([type, name, version]) => ({ type, name, version })) }) as unknown as Inventory;

test('stackOf: framework, CUDA and Python from the inventory or ENV', () => {
  const cases: [string, Inventory, unknown, object][] = [
    [
      'pip torch with a CUDA local version, Debian python3',
      inv([
        ['python', 'torch', '2.1.0+cu121'],
        ['deb', 'python3', '3.11.2-1+b1'],
      ]),
      undefined,
      { framework: 'PyTorch', frameworkVersion: '2.1.0', cuda: '12.1', python: '3.11.2' },
    ],
    [
      'Debian python3-torch, CUDA runtime wheel',
      inv([
        ['deb', 'python3-torch', '1.13.1+dfsg-4'],
        ['python', 'nvidia-cuda-runtime-cu12', '12.4.127'],
      ]),
      undefined,
      { framework: 'PyTorch', frameworkVersion: '1.13.1', cuda: '12.4' },
    ],
    [
      'TensorFlow, versions from ENV',
      inv([['python', 'tensorflow', '2.15.0']]),
      { config: { env: ['CUDA_VERSION=11.8.0', 'PYTHON_VERSION=3.10.13'], diffIds: [] } },
      { framework: 'TensorFlow', frameworkVersion: '2.15.0', cuda: '11.8.0', python: '3.10.13' },
    ],
    ['nothing', inv([['deb', 'bash', '5.2']]), undefined, {}],
  ];
  for (const [name, i, image, want] of cases) {
    const got = Object.fromEntries(Object.entries(stackOf(i, image)).filter(([, v]) => v !== undefined));
    assert.deepEqual(got, want, name);
  }
});

const row = (
  repository: string,
  tier: MenuRow['tier'],
  framework: string | undefined,
  cuda: string | undefined,
  critical: number,
): MenuRow => ({
  repository,
  tier,
  digest: `sha256:${repository}`,
  stack: { framework, cuda },
  counts: { critical, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 },
  suppressed: 0,
});

test('filterMenu: golden first, filters narrow, pages cut', () => {
  const rows = [
    row('c', 'candidate', 'PyTorch', '12.1', 0),
    row('g2', 'golden', 'TensorFlow', '11.8', 1),
    row('g1', 'golden', 'PyTorch', undefined, 0),
    row('d', 'deprecated', undefined, '12.4', 3),
  ];
  const q = (s: string) => parseMenuQuery(new URLSearchParams(s));
  const names = (s: string) => filterMenu(rows, q(s)).rows.map((r) => r.repository);
  assert.deepEqual(names(''), ['g1', 'g2', 'c', 'd']);
  assert.deepEqual(names('framework=PyTorch'), ['g1', 'c']);
  assert.deepEqual(names('framework=none'), ['d']);
  assert.deepEqual(names('cuda=12'), ['c', 'd']);
  assert.deepEqual(names('cuda=none'), ['g1']);
  assert.deepEqual(names('clean=1'), ['g1', 'c']);
  assert.deepEqual(names('tier=golden&q=G2'), ['g2']);
  assert.deepEqual(names('tier=gold'), ['g1', 'g2', 'c', 'd'], 'an unknown tier is ignored, not an error page');
  const paged = filterMenu(
    [...Array(60)].map((_, i) => row(`r${String(i).padStart(2, '0')}`, 'golden', undefined, undefined, 0)),
    q('per=25&page=3'),
  );
  assert.equal(paged.pages, 3);
  assert.deepEqual(
    paged.rows.map((r) => r.repository),
    ['r50', 'r51', 'r52', 'r53', 'r54', 'r55', 'r56', 'r57', 'r58', 'r59'],
  );
  assert.equal(
    menuQueryString(q('framework=PyTorch&cuda=12&clean=1'), { page: 2 }),
    '?framework=PyTorch&cuda=12&clean=1&page=2',
  );
});

test('findings query: severity, fix and search filters; sort by id both ways', () => {
  const f = (id: string, severity: Finding['severity'], pkg: string, fixed: string[]): Finding =>
    ({
      id,
      aliases: [`GHSA-${id}`],
      severity,
      package: { name: pkg },
      fixedVersions: fixed,
      fixState: fixed.length ? 'fixed' : 'not-fixed',
    }) as unknown as Finding;
  const all = [
    f('CVE-2', 'high', 'pillow', ['9']),
    f('CVE-1', 'critical', 'torch', []),
    f('CVE-3', 'low', 'pillow', []),
  ];
  const ids = (s: string) => filterFindings(all, parseFindingsQuery(new URLSearchParams(s))).map((x) => x.id);
  assert.deepEqual(ids(''), ['CVE-1', 'CVE-2', 'CVE-3'], 'most severe first');
  assert.deepEqual(ids('severity=high&severity=low'), ['CVE-2', 'CVE-3']);
  assert.deepEqual(ids('fixable=yes'), ['CVE-2']);
  assert.deepEqual(ids('q=GHSA-CVE-3'), ['CVE-3']);
  assert.deepEqual(ids('q=pillow&sort=id&dir=asc'), ['CVE-2', 'CVE-3']);
  assert.deepEqual(ids('sort=id&dir=desc'), ['CVE-3', 'CVE-2', 'CVE-1']);
});
