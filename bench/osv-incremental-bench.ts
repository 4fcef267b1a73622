// Incremental OSV update benchmark: a local mirror (HTTP on 127.0.0.1) serves an osv.dev-shaped ecosystem folder of
// realistic size (default 50,000 records, about the size of osv.dev's Debian folder; records are the Go corpus's
// real records cycled under new ids), and the bench measures time and bytes received of:
//   full        the first update: all.zip downloaded and imported (the baseline: what every update cost before)
//   no-change   the listing answers 304
//   small       20 records modified, 1 withdrawn, 1 deleted, 2 new: the listing plus 23 records, merged in
// Run: npx node bench/osv-incremental-bench.ts [records]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, unlinkSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusPath } from '../test/support/corpus.ts';
import { defaultFeeds, updateDb } from '../src/vulndb/update.ts';

const N = Number(process.argv[2] ?? 50_000);
const go = corpusPath('vulndata/go-vulndb/data/osv');
if (!go) {
  process.stdout.write('osv incremental: skipped, shared corpus absent\n');
  process.exit(0);
}
const work = mkdtempSync(join(tmpdir(), 'zerocve-osv-inc-bench-'));
const recs = join(work, 'records');
const zipPath = join(work, 'all.zip');
const gen = `
import sys, os, json, zipfile
src, out, zp, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
os.makedirs(out, exist_ok=True)
tpl = [json.load(open(os.path.join(src, f))) for f in sorted(os.listdir(src))]
rows = []
for i in range(n):
    r = dict(tpl[i % len(tpl)])
    r['id'] = 'SYN-%06d' % i
    r['modified'] = '20%02d-%02d-%02dT%02d:00:00Z' % (14 + i % 11, 1 + i % 12, 1 + i % 28, i % 24)
    r['aliases'] = ['CVE-2099-%d' % i]
    open(os.path.join(out, r['id'] + '.json'), 'w').write(json.dumps(r))
with zipfile.ZipFile(zp, 'w', zipfile.ZIP_DEFLATED) as z:
    for f in sorted(os.listdir(out)):
        z.write(os.path.join(out, f), f)
`;
const listing = (): string => {
  const rows = execFileSync(
    'python3',
    [
      '-c',
      `
import sys, os, json
d = sys.argv[1]
rows = []
for f in os.listdir(d):
    r = json.load(open(os.path.join(d, f)))
    rows.append((r['modified'], r['id']))
rows.sort(reverse=True)
sys.stdout.write(''.join('%s,%s\\n' % r for r in rows))
`,
      recs,
    ],
    { maxBuffer: 1 << 28 },
  );
  return rows.toString();
};

try {
  let t = performance.now();
  execFileSync('python3', ['-c', gen, go, recs, zipPath, String(N)]);
  let zip = readFileSync(zipPath);
  let csv = listing();
  let version = 1;
  process.stdout.write(
    `generated ${N} records: all.zip ${(zip.length / 1e6).toFixed(1)} MB, modified_id.csv ` +
      `${(csv.length / 1e6).toFixed(2)} MB in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
  );
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    const etag = `"v${version}"`;
    if (url === '/osv/Bench/all.zip' || url === '/osv/Bench/modified_id.csv') {
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
      const body = url.endsWith('.zip') ? zip : Buffer.from(csv);
      return void res.writeHead(200, { etag, 'content-length': body.length }).end(body);
    }
    const m = /^\/osv\/Bench\/([^/]+)\.json$/.exec(url);
    try {
      const body = readFileSync(join(recs, `${decodeURIComponent(m?.[1] ?? '-')}.json`));
      res.writeHead(200, { 'content-length': body.length }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const feeds = defaultFeeds({ baseUrl, osvEcosystems: ['Bench'], nvd: false }).filter((f) => f.kind === 'osv');
  const db = join(work, 'zerocve.db');
  const cacheDir = join(work, 'cache');
  const run = async (label: string): Promise<{ ms: number; bytes: number }> => {
    const t0 = performance.now();
    const s = await updateDb(db, { cacheDir, sources: feeds });
    const ms = performance.now() - t0;
    const bytes = s.feeds.reduce((a, f) => a + f.bytes, 0);
    const f = s.feeds[0];
    process.stdout.write(
      `${label.padEnd(34)} ${(ms / 1000).toFixed(2).padStart(7)} s  ${(bytes / 1e6).toFixed(3).padStart(9)} ` +
        `MB  ${f.status}` +
        `${f.changes ? ` (${f.changes.fetched} fetched, ${f.changes.removed} removed)` : ''}` +
        `${s.import ? ', rebuilt' : ''}\n`,
    );
    return { ms, bytes };
  };
  const full = await run('full (all.zip + import)');
  await run('first listing read (nothing new)');
  const none = await run('no-change (listing 304)');
  // a small upstream change
  for (let i = 0; i < 20; i++) {
    const p = join(recs, `SYN-${String(i * 997).padStart(6, '0')}.json`);
    const r = JSON.parse(readFileSync(p, 'utf8'));
    r.modified = '2026-12-01T10:00:00Z';
    r.summary = `changed upstream ${i}`;
    writeFileSync(p, JSON.stringify(r));
  }
  {
    const p = join(recs, 'SYN-000001.json');
    const r = JSON.parse(readFileSync(p, 'utf8'));
    r.modified = r.withdrawn = '2026-12-01T11:00:00Z';
    writeFileSync(p, JSON.stringify(r));
    unlinkSync(join(recs, 'SYN-000002.json'));
    for (const id of ['SYN-900001', 'SYN-900002'])
      writeFileSync(join(recs, `${id}.json`), JSON.stringify({ ...r, id, withdrawn: undefined }));
  }
  csv = listing();
  version++;
  t = performance.now();
  const small = await run('small change (23 records)');
  // the same change fetched whole, as every update did before (all.zip rebuilt upstream, downloaded, imported)
  execFileSync('python3', [
    '-c',
    `
import sys, os, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for f in sorted(os.listdir(sys.argv[2])):
        z.write(os.path.join(sys.argv[2], f), f)
`,
    zipPath,
    recs,
  ]);
  zip = readFileSync(zipPath);
  version++;
  rmSync(db);
  rmSync(cacheDir, { recursive: true, force: true });
  const fullAgain = await run('same change as a full update');
  process.stdout.write(
    `no-change update: ${(none.ms / full.ms).toFixed(3)}× the full update's time, ${none.bytes} bytes\n` +
      (`small-change update: ${(small.ms / fullAgain.ms).toFixed(3)}× the time and ` +
        `${(small.bytes / fullAgain.bytes).toFixed(4)}× the bytes of a full update; database ` +
        `${(statSync(db).size / 1e6).toFixed(0)} MB\n`),
  );
  server.close();
} finally {
  rmSync(work, { recursive: true, force: true });
}
