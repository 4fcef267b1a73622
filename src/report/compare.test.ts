import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { buildTestReport } from './testing.ts';
import { compareReports, compareReporterFor, relativeChange } from './compare.ts';
import { UsageError } from '../core/errors.ts';

const SKIP = corpusSkip('conformance/trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar');

test('relativeChange', () => {
  for (const [a, b, want] of [
    [100, 8, '−92%'],
    [100, 100, '0%'],
    [100, 105, '+5%'],
    [0, 3, 'new'],
    [0, 0, '0%'],
    [null, 3, 'n/a'],
    [1000, 999, '−0.1%'],
  ] as const) {
    assert.equal(relativeChange(a, b), want, `${a} → ${b}`);
  }
});

test('compareReports: packages only in A / B, version changes, metrics, resolved findings', { skip: SKIP }, () => {
  const corpus = corpusPath('') as string;
  const a = buildTestReport({ corpus });
  // B: a slimmer image — no apt/perl, mlflow upgraded past its fix
  const b = buildTestReport({ corpus, dropPackages: ['apt', 'perl-base', 'gitpython'], versions: { mlflow: '2.9.2' } });
  b.image.layers = b.image.layers.slice(0, 2).map((l) => ({
    ...l,
    compressedSize: Math.round(l.compressedSize / 4),
    uncompressedSize: Math.round(l.uncompressedSize / 4),
  }));
  b.surface = b.surface && { ...b.surface, shells: [], packageManagers: ['dpkg'] };
  const c = compareReports(a, b);
  assert.deepEqual(
    c.onlyInA.map((p) => `${p.type} ${p.name}`),
    ['deb apt', 'deb perl-base', 'python gitpython'],
  );
  assert.deepEqual(c.onlyInB, []);
  assert.deepEqual(c.versionChanges, [{ type: 'python', name: 'mlflow', a: ['2.9.1'], b: ['2.9.2'] }]);
  const m = Object.fromEntries(c.metrics.map((x) => [x.key, x]));
  assert.equal(m.packages.a, a.inventory.packages.length);
  assert.equal(m.packages.delta, -3);
  assert.equal(m.layers.b, 2);
  assert.equal(m.shells.change, '−100%');
  assert.equal(
    m.compressedBytes.b,
    b.image.layers.reduce((n, l) => n + l.compressedSize, 0),
  );
  assert.equal(m['findings.high'].a, 3);
  assert.equal(m['findings.high'].b, 1);
  assert.deepEqual(c.resolvedFindings, ['CVE-2023-6909 mlflow', 'CVE-2024-22190 gitpython']);
  assert.deepEqual(c.newFindings, []);
});

test('compare writers: table, json, markdown, html', { skip: SKIP }, async () => {
  const corpus = corpusPath('') as string;
  const c = compareReports(buildTestReport({ corpus }), buildTestReport({ corpus, dropPackages: ['apt'] }));
  const render = async (f: string): Promise<string> => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (x: Buffer) => chunks.push(x));
    await compareReporterFor(f).write(c, out, { width: 80 });
    return Buffer.concat(chunks).toString();
  };
  const table = await render('table');
  for (const l of table.split('\n')) assert.ok([...l].length <= 80, l);
  assert.match(table, /Only in A \(1\)\n {2}deb apt 1\.6\.3ubuntu0\.1/);
  assert.deepEqual(JSON.parse(await render('json')), JSON.parse(JSON.stringify(c)));
  assert.match(await render('markdown'), /\| Packages \| 95 \| 94 \| −1% \|/);
  assert.match(
    await render('html'),
    /<tr data-key="packages"><th>Packages<\/th><td>95<\/td><td>94<\/td><td>−1%<\/td><\/tr>/,
  );
  assert.throws(() => compareReporterFor('sarif'), UsageError);
});
