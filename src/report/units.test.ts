// Units are part of the contract: a real dpkg package's installed size goes through the real pipeline (catalog →
// scan → report) and comes out of the HTML chart and the JSON as the same number of bytes dpkg recorded in KiB.
// (The HTML chart once multiplied bytes by 1024 again and showed `git` at 47.1 GB.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { buildPipelineReport, fixtureDpkgStatus, FIXTURE_FILES } from '../../test/support/report-fixture.ts';
import { formatBytes } from '../core/units.ts';
import { reporterFor, renderHtml } from './index.ts';

const SKIP = corpusSkip(FIXTURE_FILES.dpkgStatus) || corpusSkip(FIXTURE_FILES.advisories);

/** Installed-Size (KiB) per installed package, read from the status text with nothing but regular expressions. */
function installedKib(status: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const stanza of status.split(/\n(?=Package: )/)) {
    const name = /^Package: (\S+)/m.exec(stanza)?.[1];
    const kib = /^Installed-Size: (\d+)$/m.exec(stanza)?.[1];
    const installed = /^Status: install ok installed$/m.test(stanza);
    if (name && kib && installed) out.set(name, Number(kib));
  }
  return out;
}

test('installed sizes are bytes from dpkg to the HTML chart and the JSON report', { skip: SKIP }, async () => {
  const corpus = corpusPath('') as string;
  const kib = installedKib(fixtureDpkgStatus(corpus));
  const [largest, largestKib] = [...kib].sort((a, b) => b[1] - a[1])[0];
  assert.ok(largestKib > 10_000, `${largest} is ${largestKib} KiB`);
  const report = await buildPipelineReport({ corpus });

  const pkg = report.inventory.packages.find((p) => p.name === largest);
  assert.ok(pkg && pkg.metadata.kind === 'dpkg');
  assert.equal(pkg.metadata.installedSizeBytes, largestKib * 1024);

  const html = renderHtml(report).join('\n');
  const chart = /<svg id="package-chart"[^]*?<\/svg>/.exec(html)?.[0];
  assert.ok(chart, 'the Largest packages chart is drawn');
  const bars = [...chart.matchAll(/<title>([^<]+?) ([^ <]+): ([^<]+)<\/title>/g)].map((m) => ({
    name: m[1],
    text: m[3],
  }));
  assert.equal(bars[0].name, largest, 'the largest package comes first');
  for (const b of bars) assert.equal(b.text, formatBytes((kib.get(b.name) ?? NaN) * 1024), b.name);
  assert.match(bars[0].text, /^\d+(\.\d)? MB$/, `${largest}: ${bars[0].text} (dpkg says ${largestKib} KiB)`);

  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await reporterFor('json').write(report, out);
  const doc = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const jsonPkg = doc.inventory.packages.find((p: { name: string }) => p.name === largest);
  assert.equal(jsonPkg.metadata.installedSizeBytes, largestKib * 1024);
});
