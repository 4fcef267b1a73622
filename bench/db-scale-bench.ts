// Scale benchmark of the vulnerability database: OSV and NVD inputs the size of today's real feeds, in their real
// shapes, imported in full. Reports import time, database size, peak RSS (the importers stream: RSS must stay
// bounded whatever the feed size) and lookup speed on the result.
//   OSV: an osv.dev-style all.zip of OSV_RECORDS records (default 300,000: the order of osv.dev's largest
//        ecosystems together), the Go corpus's real records cycled under new ids and package names;
//   NVD: one JSON 2.0 data-feed file (gzip) of NVD_RECORDS CVEs (default 250,000: all of NVD), the corpus's real
//        NVD records cycled under new ids.
// The import and the lookups run in a child process of their own, with the flags bin/zerocve.js gives Node, so the
// peak RSS reported is the import's alone (not the generator's) as `zerocve db import` would see it.
// Run: npx node bench/db-scale-bench.ts [OSV_RECORDS] [NVD_RECORDS]
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { corpusPath } from '../test/support/corpus.ts';
import { importSources, openStore } from '../src/vulndb/index.ts';

if (process.argv[2] === '--import') {
  await importAndLookup(
    process.argv[3],
    process.argv[4],
    process.argv[5],
    Number(process.argv[6]),
    Number(process.argv[7]),
  );
  process.exit(0);
}

/** In the child: the full import of both inputs, then lookups; prints the figures. */
async function importAndLookup(db: string, zip: string, nvd: string, osvN: number, nvdN: number): Promise<void> {
  const mb = (n: number): string => `${(n / 1e6).toFixed(0)} MB`;
  const rssBefore = process.resourceUsage().maxRSS * 1024;
  let t = performance.now();
  const s = await importSources(db, [
    { kind: 'osv', path: zip, source: 'osv:Synthetic' },
    { kind: 'nvd', path: nvd, source: 'nvd' },
  ]);
  const ms = performance.now() - t;
  const rss = process.resourceUsage().maxRSS * 1024;
  const imported = s.sources
    .map((x) => `${x.source} ${x.advisories} advisories/${x.affected} affected/${x.enrichments} enrichments`)
    .join('; ');
  process.stdout.write(
    `full import: ${imported}\n` +
      `  ${(ms / 1000).toFixed(1)} s, database ${mb(statSync(db).size)}, peak RSS ${mb(rss)} (` +
      `${mb(rssBefore)} at the start of the import process)\n`,
  );
  const store = openStore(db);
  const N = 10_000;
  let hits = 0;
  t = performance.now();
  for (let i = 0; i < N; i++) {
    const tplRec = i % 2 === 0; // half the lookups hit, half miss
    hits += store.advisoriesFor('Go', tplRec ? `stdlib-${(i * 7919) % Math.ceil(osvN / 20)}` : `absent-${i}`).length;
    if (store.enrichment(`CVE-2099-${(i * 104729) % nvdN}`)) hits++;
  }
  const lms = performance.now() - t;
  store.close();
  process.stdout.write(
    `lookups: ${N} advisoriesFor + ${N} enrichment calls (${hits} hits) in ${lms.toFixed(0)} ms = ` +
      `${((lms * 1000) / (2 * N)).toFixed(1)} µs/call\n`,
  );
}

const OSV_N = Number(process.argv[2] ?? 300_000);
const NVD_N = Number(process.argv[3] ?? 250_000);
const go = corpusPath('vulndata/go-vulndb/data/osv');
const nvdDir = corpusPath('conformance/grype/grype/db/v6/build/transformers/nvd/testdata');
if (!go || !nvdDir) {
  process.stdout.write('db scale: skipped, shared corpus absent\n');
  process.exit(0);
}
const work = mkdtempSync(join(tmpdir(), 'zerocve-db-scale-'));
const mb = (n: number): string => `${(n / 1e6).toFixed(0)} MB`;
try {
  let t = performance.now();
  const zip = join(work, 'all.zip');
  execFileSync('python3', [
    '-c',
    `
import sys, os, json, zipfile
src, zp, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
tpl = [json.load(open(os.path.join(src, f))) for f in sorted(os.listdir(src))]
with zipfile.ZipFile(zp, 'w', zipfile.ZIP_DEFLATED) as z:
    for i in range(n):
        r = dict(tpl[i % len(tpl)])
        r['id'] = 'SYN-%07d' % i
        r['aliases'] = ['CVE-2099-%d' % i]
        aff = []
        for a in r.get('affected', []):
            a = dict(a); p = dict(a.get('package', {})); p['name'] = '%s-%d' % (p.get('name', 'pkg'), i // ` +
      `20); a['package'] = p; aff.append(a)
        r['affected'] = aff
        z.writestr(r['id'] + '.json', json.dumps(r))
`,
    go,
    zip,
    String(OSV_N),
  ]);
  process.stdout.write(
    `generated OSV all.zip: ${OSV_N} records, ${mb(statSync(zip).size)} in ` +
      `${((performance.now() - t) / 1000).toFixed(0)} s\n`,
  );

  t = performance.now();
  const tpl = readdirSync(nvdDir)
    .map((n) => JSON.parse(readFileSync(join(nvdDir, n), 'utf8')) as { cve?: Record<string, unknown> })
    .map((d) => (d.cve ?? d) as Record<string, unknown>);
  const nvd = join(work, 'nvdcve-2.0-all.json.gz');
  const gz = createGzip({ level: 6 });
  const out = gz.pipe(createWriteStream(nvd));
  const write = async (s: string): Promise<void> => {
    if (!gz.write(s)) await once(gz, 'drain');
  };
  await write(
    `{"resultsPerPage":${NVD_N},"startIndex":0,"totalResults":${NVD_N}` +
      `,"format":"NVD_CVE","version":"2.0","timestamp":"2026-12-01T00:00:00.000","vulnerabilities":[`,
  );
  for (let i = 0; i < NVD_N; i++) {
    const cve = { ...tpl[i % tpl.length], id: `CVE-2099-${i}` };
    await write(`${i ? ',' : ''}{"cve":${JSON.stringify(cve)}}`);
  }
  await write(']}');
  gz.end();
  await once(out, 'finish');
  process.stdout.write(
    `generated NVD feed: ${NVD_N} CVEs, ${mb(statSync(nvd).size)} gzip in ` +
      `${((performance.now() - t) / 1000).toFixed(0)} s\n`,
  );

  const db = join(work, 'zerocve.db');
  execFileSync(
    process.execPath,
    ['--max-semi-space-size=16', import.meta.filename, '--import', db, zip, nvd, String(OSV_N), String(NVD_N)],
    {
      stdio: 'inherit',
    },
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
