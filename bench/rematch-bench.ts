// Re-match benchmark (issue 13): after a database update the service re-matches every stored inventory without
// pulling any image. Figure: re-matching 1,000 stored inventories of the ML kitchen-sink image (~500 packages
// each) as a ratio to one cold scan of that image, both through the service's job code on its SQLite store.
//   npx node bench/rematch-bench.ts [--images N]      (needs the ML fixture and the shared corpus)
import { mkdtempSync, rmSync, cpSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { openStore } from '../src/store/index.ts';
import { runScanJob, runRematchJob, ANALYZER_VERSION } from '../src/serve/index.ts';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { images: { type: 'string', default: '1000' } } });
const N = Number(values.images);
const fixtures = process.env.ZEROCVE_FIXTURES ?? join(root, '..', 'fixtures');
const ml = join(fixtures, 'ml', 'oci');
const pypa = resolve(root, '..', 'shared', 'corpus', 'vulndata', 'pypa-advisory-database', 'vulns');
if (!existsSync(ml) || !existsSync(pypa)) throw new Error(`needs the ML fixture (${ml}) and the corpus (${pypa})`);

const dir = mkdtempSync(join(tmpdir(), 'zerocve-rematch-bench-'));
const zerocve = (...args: string[]) =>
  execFileSync(process.execPath, [join(root, 'bin', 'zerocve.js'), ...args], { stdio: 'pipe' });
try {
  const db = join(dir, 'v.db');
  // database version 1: half the PyPI advisories; version 2: all of them (a real import each time)
  const half = join(dir, 'half');
  cpSync(pypa, half, { recursive: true, filter: (src) => !/\/vulns\/[n-z][^/]*$/.test(src) });
  zerocve('db', 'import', '--db', db, half);
  const store = await openStore({ data: join(dir, 'data') });
  const ctx = { store, env: { dbPath: db, cacheDir: null } };

  const t0 = performance.now();
  const scanned = await runScanJob(ctx, {
    id: '1',
    name: 'scan',
    key: 'bench',
    data: { target: `oci-dir:${ml}:latest` },
    state: 'active',
    attempts: 1,
    createdAt: new Date().toISOString(),
  });
  const scanMs = performance.now() - t0;
  const d = (await store.getDigest(scanned.digest))!;
  const first = (await store.latestResult(scanned.digest))!;
  const sbom = (await store.getSbom(scanned.digest))!;
  // N stored digests with the same inventory (as N images built from one base would be)
  for (let i = 1; i < N; i++) {
    const digest = `sha256:${i.toString(16).padStart(64, '0')}`;
    await store.putDigest({ ...d, digest }, sbom);
    await store.putResult({ ...first, digest, analyzerVersion: ANALYZER_VERSION });
  }
  zerocve('db', 'import', '--db', `${db}.new`, pypa);
  execFileSync('mv', [`${db}.new`, db]);

  const t1 = performance.now();
  const r = await runRematchJob(ctx);
  const rematchMs = performance.now() - t1;
  const events = await store.listEvents({ limit: 1000 });
  await store.close();
  console.log(
    `image: ${d.inventory.packages.length} packages; cold scan (service job) ${(scanMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `re-match ${r.rematched} stored inventories after a database update: ${(rematchMs / 1000).toFixed(1)} s ` +
      `= ${(rematchMs / scanMs).toFixed(2)}× one cold scan (${(rematchMs / r.rematched).toFixed(1)} ms per image); ` +
      `${r.events} events${events.length ? ` (e.g. ${events[0].kind} ${events[0].findingId})` : ''}`,
  );
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
