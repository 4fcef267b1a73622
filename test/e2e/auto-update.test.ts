// First run: `zerocve scan` builds and refreshes its own database from a feed mirror (here a real HTTP server on
// 127.0.0.1 serving real corpus data), fetching only the feeds of the image's ecosystems, one process at a time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { fixtureImage, fixtureSkip } from '../support/images.ts';
import { corpusPath, corpusSkip } from '../support/corpus.ts';
import { zerocve, imageWithLayer, distInfo } from './support.ts';
import { zipFolder } from '../support/zip-folder.ts';

const OSV_DEBIAN = 'conformance/grype/grype/db/v6/build/transformers/osv/testdata';
const GHSA = 'vulndata/ghsa-sample';
const DSA = 'vulndata/debian-security-tracker/data/DSA/list';
const KEV = 'conformance/grype/grype/db/v6/build/transformers/kev/testdata/go-case.json';
const skip = fixtureSkip() || corpusSkip(OSV_DEBIAN) || corpusSkip(GHSA) || corpusSkip(DSA) || corpusSkip(KEV);
const SITE = '/usr/local/lib/python3.11/dist-packages';

let work = '';
let target = '';
let server: Server | undefined;
let base = '';
const log: { path: string; status: number }[] = [];
/** every NVD file `db update` asks for: the yearly files from 2002 to this year, and the modified file */
const NVD_FILES = [
  ...Array.from({ length: new Date().getUTCFullYear() - 2002 + 1 }, (_, i) => `nvdcve-2.0-${2002 + i}.json.gz`),
  'nvdcve-2.0-modified.json.gz',
];

const zipOf = (dir: string, out: string): Buffer => zipFolder(dir, out, { jsonOnly: true });

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'zc-e2e-auto-'));
  const fx = await fixtureImage('python3');
  target = await imageWithLayer(fx.ociDir, join(work, 'img'), [...distInfo(SITE, 'pillow', '8.4.0')]);
  // the mirror: the upstream paths of `db update --base-url`, with ETags and 304s like the real servers
  const files: Record<string, Buffer> = {
    '/osv/Debian/all.zip': zipOf(corpusPath(OSV_DEBIAN)!, join(work, 'debian.zip')),
    '/osv/PyPI/all.zip': zipOf(corpusPath(GHSA)!, join(work, 'pypi.zip')),
    '/debian/json': readFileSync(corpusPath(DSA)!),
    '/kev/known_exploited_vulnerabilities.json': readFileSync(corpusPath(KEV)!),
    '/epss/epss_scores-current.csv.gz': gzipSync(
      '#model_version:v2025.03.14,score_date:2025-02-18T00:00:00+0000\ncve,epss,percentile\nCVE-2023-50447,0.42,0.97\n',
    ),
  };
  // NVD's JSON 2.0 feeds (fetched for OS images): yearly files and the modified file, empty documents of the real shape
  for (const name of NVD_FILES)
    files[`/nvd/${name}`] = gzipSync(
      JSON.stringify({ format: 'NVD_CVE', version: '2.0', timestamp: '2026-12-01T00:00:00.000', vulnerabilities: [] }),
    );
  server = createServer((req, res) => {
    const body = files[req.url ?? ''];
    const etag = body ? `"${body.length}"` : '';
    const status = !body ? 404 : req.headers['if-none-match'] === etag ? 304 : 200;
    log.push({ path: req.url ?? '', status });
    if (status !== 200) return void res.writeHead(status).end();
    res.writeHead(200, { etag, 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Report {
  findings: { id: string; aliases: string[]; package: { name: string }; epss?: { score: number } }[];
  db?: { builtAt: string; sources: { name: string }[] };
}

const scan = (db: string, cache: string, extra: string[] = []) =>
  zerocve(
    [
      'scan',
      target,
      '--db',
      db,
      '--cache-dir',
      cache,
      '--db-base-url',
      base,
      '-f',
      'json',
      '--scanners',
      'vuln',
      ...extra,
    ],
    { env: { ZEROCVE_SKIP_DB_UPDATE: '0' } },
  );

test(
  'scan creates the database on first run from the feeds of the image ecosystems only, then reuses it',
  { skip, timeout: 900_000 },
  async () => {
    const db = join(work, 'first', 'zerocve.db');
    const cache = join(work, 'cache-1');
    log.length = 0;
    const first = await scan(db, cache);
    assert.equal(first.code, 0, first.stderr);
    const r = JSON.parse(first.stdout) as Report;
    // Debian 12 with pip packages: Debian and PyPI feeds, NVD (OS findings take its severities) and the enrichment
    // feeds; no Alpine, Go, npm, Maven…
    assert.deepEqual(
      log.map((l) => `${l.status} ${l.path}`).sort(),
      [
        '200 /debian/json',
        '200 /epss/epss_scores-current.csv.gz',
        '200 /kev/known_exploited_vulnerabilities.json',
        ...NVD_FILES.map((n) => `200 /nvd/${n}`),
        '200 /osv/Debian/all.zip',
        '200 /osv/PyPI/all.zip',
      ].sort(),
    );
    assert.deepEqual(r.db!.sources.map((s) => s.name).sort(), [
      'debian-tracker',
      'epss',
      'kev',
      'nvd',
      'osv:Debian',
      'osv:PyPI',
    ]);
    const pillow = r.findings.find((f) => f.id === 'CVE-2023-50447' || f.aliases.includes('CVE-2023-50447'));
    assert.ok(pillow, 'the Pillow 8.4.0 advisory from the PyPI feed is matched');
    assert.equal(pillow.package.name.toLowerCase(), 'pillow');
    assert.equal(pillow.epss?.score, 0.42, 'enrichment from the EPSS feed');

    // fresh: the next scan asks nobody
    log.length = 0;
    const again = await scan(db, cache);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(log.length, 0, JSON.stringify(log));
    assert.equal((JSON.parse(again.stdout) as Report).db!.builtAt, r.db!.builtAt);

    // older than --db-max-age: every feed is asked again, conditionally; nothing changed, nothing rebuilt
    log.length = 0;
    const stale = await scan(db, cache, ['--db-max-age', '0s']);
    assert.equal(stale.code, 0, stale.stderr);
    // (NVD's yearly files are asked at most weekly: only its modified file is asked again; OSV first asks for the
    // ecosystem's modified_id.csv, which this mirror does not serve, then all.zip as before)
    assert.deepEqual(
      log
        .filter((l) => l.status !== 304)
        .map((l) => `${l.status} ${l.path}`)
        .sort(),
      ['404 /osv/Debian/modified_id.csv', '404 /osv/PyPI/modified_id.csv'],
    );
    assert.equal(log.filter((l) => l.status === 304).length, 6, JSON.stringify(log));
    assert.equal((JSON.parse(stale.stdout) as Report).db!.builtAt, r.db!.builtAt);

    // --offline and --skip-db-update never download: a missing database is the error it always was
    for (const flag of ['--offline', '--skip-db-update']) {
      log.length = 0;
      const none = await scan(join(work, 'none', 'zerocve.db'), cache, [flag]);
      assert.equal(none.code, 3, none.stderr);
      assert.match(none.stderr, /vulnerability database .* not found: run `zerocve db update`/);
      assert.equal(log.length, 0, JSON.stringify(log));
    }
  },
);

test(
  'two scans starting at once on a missing database: one downloads, the other waits and uses it',
  { skip, timeout: 900_000 },
  async () => {
    const db = join(work, 'together', 'zerocve.db');
    const cache = join(work, 'cache-2');
    log.length = 0;
    const [a, b] = await Promise.all([scan(db, cache), scan(db, cache)]);
    for (const x of [a, b]) assert.equal(x.code, 0, x.stderr);
    const downloads = log.filter((l) => l.status === 200).map((l) => l.path);
    assert.equal(downloads.length, 5 + NVD_FILES.length, `each feed downloaded once: ${downloads.join(', ')}`);
    assert.equal(new Set(downloads).size, 5 + NVD_FILES.length);
    const [ra, rb] = [a, b].map((x) => JSON.parse(x.stdout) as Report);
    assert.equal(ra.db!.builtAt, rb.db!.builtAt, 'both scans used the one database built');
    assert.equal(ra.findings.length, rb.findings.length);
    assert.ok(!existsSync(`${db}.lock`), 'lock released');
  },
);

test(
  'a mirror that cannot be reached: the existing database is used with a warning',
  { skip, timeout: 900_000 },
  async () => {
    const db = join(work, 'first', 'zerocve.db');
    const r = await zerocve(
      [
        'scan',
        target,
        '--db',
        db,
        '--cache-dir',
        join(work, 'cache-1'),
        '--db-base-url',
        'http://127.0.0.1:9',
        '--db-max-age',
        '0',
        '-f',
        'json',
        '--scanners',
        'vuln',
      ],
      { env: { ZEROCVE_SKIP_DB_UPDATE: '0' } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /feed osv:Debian not updated \(the database keeps its previous copy\)/);
    assert.ok((JSON.parse(r.stdout) as Report).findings.length > 0);
  },
);
