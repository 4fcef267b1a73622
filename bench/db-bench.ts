// Vulnerability database benchmark: import of the corpus PyPI OSV snapshot (target ≤ 10 s) and a synthetic
// ≥100,000-range store queried the way a 10,000-package scan does (target ≤ 0.5 s in total).
// Run: npx node bench/db-bench.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Advisory } from '../src/core/advisory.ts';
import { corpusPath } from '../test/support/corpus.ts';
import { buildDatabase, type ImportRecord } from '../src/vulndb/build.ts';
import { importSources, openStore } from '../src/vulndb/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'zerocve-db-bench-'));
try {
  const pypa = corpusPath('vulndata/pypa-advisory-database/vulns');
  if (pypa) {
    const t0 = performance.now();
    const s = await importSources(join(dir, 'pypa.db'), [{ kind: 'osv', path: pypa }]);
    const ms = performance.now() - t0;
    process.stdout.write(
      `pypa OSV import: ${s.sources[0].advisories} advisories, ${s.sources[0].affected} affected in ` +
        `${(ms / 1000).toFixed(2)} s (target ≤ 10 s)\n`,
    );
  } else process.stdout.write('pypa OSV import: skipped, shared corpus absent\n');

  const PACKAGES = 25_000;
  const PER = 4;
  const ECOS = ['PyPI', 'Debian:12', 'npm', 'Alpine:v3.19'];
  async function* synthetic(): AsyncGenerator<ImportRecord> {
    for (let p = 0; p < PACKAGES; p++) {
      for (let k = 0; k < PER; k++) {
        const eco = ECOS[p % ECOS.length];
        const adv: Advisory = {
          id: `SYN-${p}-${k}`,
          aliases: [`CVE-2099-${p * PER + k}`],
          source: 'synthetic',
          cvss: [],
          references: [`https://example.invalid/${p}/${k}`],
          summary: `synthetic advisory ${k} for package ${p}`,
          affected: [
            {
              ecosystem: eco,
              name: `pkg-${p}`,
              ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: `${k + 1}.0.0` }] }],
              versions: [],
            },
          ],
        };
        yield { kind: 'advisory', advisory: adv };
      }
    }
  }
  const synDb = join(dir, 'syn.db');
  const t1 = performance.now();
  const b = await buildDatabase(synDb, [{ name: 'synthetic', kind: 'osv', input: 'generated', records: synthetic() }]);
  process.stdout.write(
    `synthetic build: ${b.sources[0].affected} affected ranges in ${((performance.now() - t1) / 1000).toFixed(2)} s\n`,
  );
  const store = openStore(synDb);
  const N = 10_000;
  let hits = 0;
  const t2 = performance.now();
  for (let i = 0; i < N; i++) {
    // half the inventory has advisories, half does not (typical of a real image)
    const p = i % 2 === 0 ? (i * 7919) % PACKAGES : PACKAGES + i;
    hits += store.advisoriesFor(ECOS[p % ECOS.length], `pkg-${p}`).length;
  }
  const ms = performance.now() - t2;
  store.close();
  process.stdout.write(
    `lookups: ${N} advisoriesFor calls (${hits} advisories) in ${ms.toFixed(0)} ms = ` +
      `${((ms * 1000) / N).toFixed(1)} µs/call (target ≤ 500 ms total)\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
