// inspect and bloat rendering, from results the real use cases compute on the real fixture image (test/support/
// report-fixture.ts); build's summary from a result of the documented shape. Sizes go through the one formatter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { writeFixtureImage, FIXTURE_FILES } from '../../test/support/report-fixture.ts';
import { inspectTarget } from '../app/inspect.ts';
import { bloatTarget } from '../app/bloat.ts';
import { formatBytes } from '../core/units.ts';
import type { BuildResult } from '../core/results.ts';
import {
  renderInspectText,
  renderBloatTable,
  bloatView,
  jsonText,
  renderBuildText,
  renderToString,
  sbomReporterFor,
} from './index.ts';

const SKIP = corpusSkip(FIXTURE_FILES.dpkgStatus) || corpusSkip(FIXTURE_FILES.advisories);
let work = '';
let target = '';

before(async () => {
  if (SKIP) return;
  work = mkdtempSync(join(tmpdir(), 'zc-report-commands-'));
  target = await writeFixtureImage(join(work, 'oci'), { corpus: corpusPath('') as string });
});
after(() => work && rmSync(work, { recursive: true, force: true }));

test('inspect: layers and totals as text, the result itself as JSON', { skip: SKIP }, async () => {
  const r = await inspectTarget(target, { cacheDir: null });
  const text = renderInspectText(r);
  assert.match(text, /^Layers \(3\)$/m);
  for (const l of r.image.layers)
    assert.ok(
      text.includes(`${formatBytes(l.compressedSize).padStart(9)} → ${formatBytes(l.uncompressedSize).padStart(9)}`),
    );
  assert.match(text, /setuid 1/);
  assert.match(text, new RegExp(`^Size ${formatBytes(r.totals.bytes)} \\(`, 'm'));
  assert.deepEqual(JSON.parse(jsonText(r)), JSON.parse(JSON.stringify(r)));
});

test(
  'bloat: the table starts with the image and lists categories; JSON is the bloat view',
  { skip: SKIP },
  async () => {
    const report = await bloatTarget(target, { cacheDir: null });
    const lines = renderBloatTable(report);
    assert.match(lines[0], /^Image /);
    assert.ok(!lines.some((l) => /^Findings/.test(l)), 'no vulnerability summary');
    const doc = bloatView(report)!;
    assert.equal(doc.bloat.totalBytes, report.bloat!.totalBytes);
    const docs = doc.bloat.categories.find((c) => c.category === 'documentation');
    assert.ok(docs && lines.some((l) => l.includes('documentation') && l.includes(formatBytes(docs.bytes))));
    assert.deepEqual(Object.keys(JSON.parse(jsonText(doc))), ['image', 'bloat', 'gpu', 'cudaStacks']);
  },
);

test('build: the summary renders layer sizes with the one formatter', () => {
  const r: BuildResult = {
    output: { kind: 'oci-dir', path: '/tmp/out', tag: 'latest' },
    manifestDigest: `sha256:${'a'.repeat(64)}`,
    packages: 42,
    removedPackages: ['bash', 'dpkg'],
    layer: {
      digest: `sha256:${'b'.repeat(64)}`,
      diffId: `sha256:${'c'.repeat(64)}`,
      size: 31_400_000,
      uncompressedSize: 98_765_432,
    },
    sbom: { mediaType: 'application/vnd.cyclonedx+json', digest: `sha256:${'d'.repeat(64)}`, size: 1234 },
    provenance: { mediaType: 'application/vnd.in-toto+json', digest: `sha256:${'e'.repeat(64)}`, size: 999 },
  };
  const text = renderBuildText(r, 'oci-dir:/tmp/out:latest');
  assert.match(text, /\(31\.4 MB, 98\.8 MB unpacked\)/);
  assert.match(text, /prod removed 2: bash dpkg/);
});

test(
  'renderToString: what a reporter writes, in memory (images carry their SBOM this way)',
  { skip: SKIP },
  async () => {
    const report = await bloatTarget(target, { cacheDir: null, duplicates: false });
    const text = await renderToString((out) => sbomReporterFor('json').write(report, out));
    const doc = JSON.parse(text);
    assert.equal(doc.kind, 'sbom');
    assert.equal(doc.inventory.packages.length, report.inventory.packages.length);
  },
);
