// Real dist-info directories and torch/version.py files in a temp root (and the Trivy corpus fixture), read by the
// catalog's own analyzers into an inventory, then checked by the dependency doctor.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import type { Package } from '../../core/package.ts';
import { createCatalogers, buildInventory } from '../../catalog/index.ts';
import { analyzeTree } from '../../../test/support/walk-root.ts';
import { corpusPath, corpusSkip } from '../../../test/support/corpus.ts';
import { diagnoseDependencies, driverNeededFor, compareDotted, environmentOf, systemPythonVersion } from './index.ts';

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** files: image path → content */
async function inventoryOf(files: Record<string, string>, prefix = '/'): Promise<Package[]> {
  const root = mkdtempSync(join(tmpdir(), 'zerocve-deps-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return buildInventory(await analyzeTree(createCatalogers(), root, { prefix })).packages;
}

const dist = (site: string, name: string, version: string, requires: string[] = []): Record<string, string> => ({
  [`${site}/${name.replace(/-/g, '_')}-${version}.dist-info/METADATA`]: [
    'Metadata-Version: 2.1',
    `Name: ${name}`,
    `Version: ${version}`,
    ...requires.map((r) => `Requires-Dist: ${r}`),
    '',
    '',
  ].join('\n'),
});

const SITE = '/usr/local/lib/python3.11/dist-packages';
const TORCH_REQUIRES = [
  'filelock',
  'typing-extensions>=4.8.0',
  'sympy',
  'nvidia-cublas-cu12==12.1.3.1; platform_system == "Linux" and platform_machine == "x86_64"',
  'triton==2.3.1; platform_system == "Linux" and platform_machine == "x86_64" and python_version < "3.12"',
  'opt-einsum>=3.3; extra == "opt-einsum"',
];
const torchImage = (): Record<string, string> => ({
  ...dist(SITE, 'torch', '2.3.1', TORCH_REQUIRES),
  ...dist(SITE, 'filelock', '3.13.1'),
  ...dist(SITE, 'typing_extensions', '4.4.0'),
  ...dist(SITE, 'sympy', '1.12', ['mpmath>=0.19']),
  ...dist(SITE, 'mpmath', '1.3.0'),
  ...dist(SITE, 'nvidia-cublas-cu12', '12.1.3.1'),
  ...dist(SITE, 'nvidia-cuda-runtime-cu11', '11.8.89'),
  [`${SITE}/torch/version.py`]:
    "__version__ = '2.3.1+cu121'\ndebug = False\ncuda: Optional[str] = '12.1'\ngit_version = 'abc'\nhip = None\n",
});

const ids = (fs: { id: string; package: { name: string }; title?: string }[]) =>
  fs.map((f) => `${f.id} ${f.package.name}`).sort();

test('python: missing and conflicting requirements, markers for x86_64 Linux Python 3.11', async () => {
  const packages = await inventoryOf(torchImage());
  const r = diagnoseDependencies(packages);
  const py = r.findings.filter((f) => f.evidence[0].matcher === 'deps-python');
  assert.deepEqual(ids(py), ['ZCVE-DEP-CONFLICT torch', 'ZCVE-DEP-MISSING torch']);
  const missing = py.find((f) => f.id === 'ZCVE-DEP-MISSING')!;
  assert.equal(missing.evidence[0].searched.name, 'triton');
  assert.match(
    missing.title!,
    new RegExp(
      String.raw`^torch 2\.3\.1 requires triton ==2\.3\.1 but it is not installed in the system Python: ` +
        String.raw`install it \(pip install 'triton==2\.3\.1'\)`,
    ),
  );
  const conflict = py.find((f) => f.id === 'ZCVE-DEP-CONFLICT')!;
  assert.equal(conflict.evidence[0].searched.name, 'typing-extensions');
  assert.equal(conflict.evidence[0].searched.version, '4.4.0');
  assert.equal(conflict.kind, 'dependency');
  assert.deepEqual(
    r.python.map((e) => [e.key, e.pythonVersion, e.distributions]),
    [['system', '3.11', 7]],
  );
  assert.deepEqual(r.problems, []);
});

test('python: markers follow the platform and Python version; extras only when requested', async () => {
  const packages = await inventoryOf(torchImage());
  // aarch64: neither cublas nor triton is required
  assert.deepEqual(
    ids(
      diagnoseDependencies(packages, { architecture: 'arm64' }).findings.filter(
        (f) => f.evidence[0].matcher === 'deps-python',
      ),
    ),
    ['ZCVE-DEP-CONFLICT torch'],
  );
  // Python 3.12: triton's marker is false
  assert.deepEqual(
    ids(
      diagnoseDependencies(packages, { pythonVersion: '3.12' }).findings.filter(
        (f) => f.evidence[0].matcher === 'deps-python',
      ),
    ),
    ['ZCVE-DEP-CONFLICT torch'],
  );
  // the opt-einsum extra requested: its requirement is checked too
  const withExtra = diagnoseDependencies(packages, { extras: { torch: ['opt-einsum'] } }).findings.filter(
    (f) => f.id === 'ZCVE-DEP-MISSING',
  );
  assert.deepEqual(withExtra.map((f) => f.evidence[0].searched.name).sort(), ['opt-einsum', 'triton']);
});

test('cuda: torch built for CUDA 12.1 with a CUDA 11 runtime, and host drivers below and at the minimum', async () => {
  const packages = await inventoryOf(torchImage());
  const r = diagnoseDependencies(packages);
  assert.deepEqual(r.cuda.frameworks, [{ name: 'torch', version: '2.3.1+cu121', cudaVersion: '12.1' }]);
  const libs = r.findings.filter((f) => f.id === 'ZCVE-DEP-CUDA-LIBS');
  assert.equal(libs.length, 1, JSON.stringify(libs));
  assert.match(libs[0].title!, /built with CUDA 12\.1 but cudart is only present for CUDA 11/);
  assert.equal(r.cuda.driver?.minorCompat, '525.60.13');
  // torch needs CUDA 12.1 (full: 530.30.02, minor compat: 525.60.13); the cu11 runtime 11.8 (520.61.05 / 450.80.02)
  const cases: [string, string[]][] = [
    ['470.199.02', ['critical torch', 'low cudart']],
    ['520.61.05', ['critical torch']],
    ['525.85.12', ['low torch']],
    ['530.30.02', []],
  ];
  for (const [host, want] of cases) {
    const got = diagnoseDependencies(packages, { driverVersion: host })
      .findings.filter((f) => f.id === 'ZCVE-DEP-CUDA-DRIVER')
      .map((f) => `${f.severity} ${f.package.name}`);
    assert.deepEqual(got.sort(), want.sort(), `host driver ${host}`);
  }
});

test('cuda: matching runtime, no finding; older runtime of the same major, medium', async () => {
  const ok = await inventoryOf({ ...torchImage(), ...dist(SITE, 'nvidia-cuda-runtime-cu12', '12.1.105') });
  assert.deepEqual(
    diagnoseDependencies(ok).findings.filter((f) => f.id.startsWith('ZCVE-DEP-CUDA')),
    [],
  );
  const files = { ...torchImage(), ...dist(SITE, 'nvidia-cuda-runtime-cu12', '12.1.105') };
  files[`${SITE}/torch/version.py`] = "__version__ = '2.5.0+cu124'\ncuda = '12.4'\n";
  const older = diagnoseDependencies(await inventoryOf(files)).findings.filter((f) => f.id === 'ZCVE-DEP-CUDA-LIBS');
  assert.deepEqual(
    older.map((f) => f.severity),
    ['medium'],
  );
  assert.match(older[0].title!, /built with CUDA 12\.4 but the newest CUDA runtime present is 12\.1\.105/);
});

test(
  'trivy corpus: Flask without Werkzeug, Jinja2, itsdangerous; version-gated and Windows-only requirements skipped',
  { skip: corpusSkip('conformance/trivy/pkg/fanal/analyzer/language/python/pip/testdata/libs/python-dir') },
  async () => {
    const root = corpusPath('conformance/trivy/pkg/fanal/analyzer/language/python/pip/testdata/libs/python-dir')!;
    const packages = buildInventory(await analyzeTree(createCatalogers(), root, { prefix: '/opt/venv' })).packages;
    const r = diagnoseDependencies(packages);
    assert.deepEqual(
      r.python.map((e) => [e.key, e.pythonVersion]),
      [['/opt/venv', '3.10']],
    );
    assert.deepEqual(r.findings.map((f) => `${f.id} ${f.package.name} ${f.evidence[0].searched.name}`).sort(), [
      'ZCVE-DEP-MISSING flask itsdangerous',
      'ZCVE-DEP-MISSING flask jinja2',
      'ZCVE-DEP-MISSING flask werkzeug',
    ]);
    // Python 3.8 makes annotated-types need typing-extensions; the async extra adds asgiref
    const r38 = diagnoseDependencies(packages, { pythonVersion: '3.8', extras: { flask: ['async'] } });
    assert.deepEqual(r38.findings.map((f) => f.evidence[0].searched.name).sort(), [
      'asgiref',
      'itsdangerous',
      'jinja2',
      'typing-extensions',
      'werkzeug',
    ]);
  },
);

test('environments: system dirs share one environment, venvs and conda prefixes are their own', () => {
  const table: [string, string][] = [
    ['/usr/lib/python3/dist-packages', 'system'],
    ['/usr/local/lib/python3.11/dist-packages', 'system'],
    ['/usr/lib/python3.12/site-packages', 'system'],
    ['/opt/venv/lib/python3.12/site-packages', '/opt/venv'],
    ['/opt/conda/lib/python3.10/site-packages', '/opt/conda'],
  ];
  for (const [site, env] of table) assert.equal(environmentOf(site), env, site);
  const deb = (name: string, version: string): Package => ({
    id: name,
    type: 'deb',
    name,
    version,
    purl: '',
    locations: [],
    metadata: { kind: 'dpkg', source: name, sourceVersion: version, arch: 'amd64' },
  });
  assert.deepEqual(systemPythonVersion([deb('python3.11-minimal', '3.11.2-6+deb12u2')]), {
    version: '3.11',
    full: '3.11.2',
  });
  assert.deepEqual(systemPythonVersion([], ['/usr/lib/python3.12']), { version: '3.12' });
  assert.equal(systemPythonVersion([]), undefined);
});

test('driver table lookups: releases, updates and component versions', () => {
  const table: [string, string | undefined, string | undefined][] = [
    ['12.4', '550.54.14', '525.60.13'],
    ['12.4.1', '550.54.15', '525.60.13'],
    ['12.4.127', '550.54.14', '525.60.13'],
    ['12.1', '530.30.02', '525.60.13'],
    ['11.8', '520.61.05', '450.80.02'],
    ['11.8.89', '520.61.05', '450.80.02'],
    ['13.0', '580.65.06', '580.65.06'],
    ['12.7', '560.35.05', '525.60.13'],
    ['8.0', undefined, undefined],
  ];
  for (const [cuda, toolkit, minor] of table) {
    const n = driverNeededFor(cuda);
    assert.equal(n.toolkit, toolkit, cuda);
    assert.equal(n.minorCompat, minor, cuda);
  }
  assert.equal(compareDotted('550.54.14', '550.54.15'), -1);
  assert.equal(compareDotted('560', '550.54.15'), 1);
  assert.equal(compareDotted('12.4', '12.4.0'), 0);
});
