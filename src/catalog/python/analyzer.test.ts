// Python distributions from Trivy's and Syft's test data and from this machine's CUDA 13 wheels, each folder
// mapped into an image site-packages and checked against Python's own importlib.metadata on the same folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { corpusPath, corpusSkip } from '../../../test/support/corpus.ts';
import { buildInventory } from '../index.ts';
import { analyzeTree } from '../../../test/support/walk-root.ts';
import { createPythonAnalyzer } from './analyzer.ts';
import { normalizePythonName, parseRecord } from './parse-python-metadata.ts';

const SITE = '/usr/local/lib/python3.11/site-packages';
const DIRS = [
  'conformance/trivy/pkg/fanal/analyzer/language/python/pip/testdata/libs/python-dir/lib/python3.10/site-packages',
  'conformance/trivy/pkg/fanal/analyzer/language/python/packaging/testdata/happy-dist',
  'conformance/trivy/pkg/fanal/analyzer/language/python/packaging/testdata/happy-egg',
  'conformance/trivy/pkg/fanal/analyzer/language/python/packaging/testdata/license-file-dist',
  'conformance/trivy/pkg/fanal/analyzer/language/python/packaging/testdata/classifier-license-egg',
  'conformance/syft/syft/pkg/cataloger/python/testdata/site-packages/license',
];

/** `name version` of each distribution importlib.metadata finds directly in `dir`. */
function importlibList(dir: string): string[] {
  const out = execFileSync(
    'python3',
    [
      '-c',
      'import sys, importlib.metadata as m\nfor d in m.distributions(path=[sys.argv[1]]):\n' +
        '  if d.metadata["Name"] and d.version: print(d.metadata["Name"] + " " + d.version)',
      dir,
    ],
    { encoding: 'utf8' },
  );
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [n, v] = l.split(' ');
      return `${normalizePythonName(n)} ${v}`;
    })
    .sort();
}

for (const rel of DIRS) {
  test(`python ${rel.slice('conformance/'.length)} matches importlib.metadata`, { skip: corpusSkip(rel) }, async () => {
    const dir = corpusPath(rel)!;
    const inv = buildInventory(await analyzeTree([createPythonAnalyzer()], dir, { prefix: SITE }));
    const expected = importlibList(dir);
    assert.ok(expected.length > 0);
    assert.deepEqual(inv.packages.map((p) => `${p.name} ${p.version}`).sort(), expected);
    for (const p of inv.packages) {
      assert.equal(p.purl, `pkg:pypi/${p.name}@${p.version}`);
      assert.equal((p.metadata as { sitePackages: string }).sitePackages, SITE);
    }
  });
}

test(
  'python: single-file egg-info and a distribution without a version (problem)',
  { skip: corpusSkip('conformance/syft/syft/pkg/cataloger/python/testdata/Python-2.7.egg-info') },
  async () => {
    const base = corpusPath('conformance/syft/syft/pkg/cataloger/python/testdata')!;
    const { analyzeFiles } = await import('../../../test/support/walk-root.ts');
    const facts = await analyzeFiles(
      [createPythonAnalyzer()],
      [
        { path: `${SITE}/Python-2.7.egg-info`, source: `${base}/Python-2.7.egg-info` },
        {
          path: `${SITE}/no-version-py3.8.egg-info`,
          source: `${base}/site-packages/no-version/no-version-py3.8.egg-info`,
        },
      ],
    );
    const inv = buildInventory(facts);
    const { readFileSync } = await import('node:fs');
    const version = /^Version: (.+)$/m.exec(readFileSync(`${base}/Python-2.7.egg-info`, 'utf8'))![1];
    assert.deepEqual(
      inv.packages.map((p) => `${p.name} ${p.version} ${(p.metadata as { format: string }).format}`),
      [`python ${version} egg-info`],
    );
    assert.equal(inv.problems.length, 1);
    assert.match(inv.problems[0].message, /no-version-py3\.8\.egg-info: no Version field/);
  },
);

const CUDA_WHEELS = '/usr/local/cuda-13.0/dist-info';
test(
  'NVIDIA CUDA 13 wheels: Python packages with INSTALLER and RECORD, and CUDA components',
  { skip: existsSync(CUDA_WHEELS) ? false : `${CUDA_WHEELS} absent (no CUDA toolkit from wheels here)` },
  async () => {
    const inv = buildInventory(await analyzeTree([createPythonAnalyzer()], CUDA_WHEELS, { prefix: SITE }), {
      files: true,
    });
    const py = inv.packages.filter((p) => p.type === 'python');
    assert.deepEqual(py.map((p) => `${p.name} ${p.version}`).sort(), importlibList(CUDA_WHEELS));
    const rt = py.find((p) => p.name === 'nvidia-cuda-runtime');
    assert.ok(rt);
    assert.equal((rt.metadata as { installer?: string }).installer, 'pip');
    assert.ok(
      rt.files?.some((f) => f.startsWith(`${SITE}/nvidia/cu13/`)),
      'RECORD paths resolved against site-packages',
    );
    const cudart = inv.packages.find((p) => p.type === 'cuda' && p.name === 'cudart');
    assert.ok(cudart);
    assert.equal(cudart.version, rt.version);
    assert.deepEqual(cudart.metadata, { kind: 'cuda', component: 'cudart', via: 'pip', cudaMajor: 13 });
    assert.equal(cudart.purl, `pkg:generic/nvidia/cudart@${rt.version}?cuda=13`);
  },
);

test('RECORD: quoted paths and paths outside site-packages', () => {
  const rec =
    'pkg/__init__.py,sha256=x,10\n"pkg/we,ird ""name"".py",sha256=y,1\n../../../bin/tool,,\n' +
    'pkg-1.0.dist-info/RECORD,,\n';
  assert.deepEqual(parseRecord(rec, '/usr/lib/python3/site-packages'), [
    '/usr/lib/python3/site-packages/pkg/__init__.py',
    '/usr/lib/python3/site-packages/pkg/we,ird "name".py',
    '/usr/bin/tool',
    '/usr/lib/python3/site-packages/pkg-1.0.dist-info/RECORD',
  ]);
});
