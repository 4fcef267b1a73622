// updateDb against a real HTTP server on 127.0.0.1 serving corpus-derived feeds, with ETag, 304 and Range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { DatabaseError } from '../core/errors.ts';
import { updateDb, dbStatus, ensureDb, defaultFeeds } from './update.ts';
import { lock } from './lock.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from './store.ts';
import { zipFolder } from '../../test/support/zip-folder.ts';

const OSV = 'conformance/grype/grype/db/v6/build/transformers/osv/testdata';
const KEV = 'conformance/grype/grype/db/v6/build/transformers/kev/testdata/go-case.json';

test(
  'updateDb downloads, imports, answers 304s without rebuilding, and resumes a partial download',
  { skip: corpusSkip(OSV) || corpusSkip(KEV) },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'zerocve-update-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const zip = join(dir, 'served-all.zip');
    zipFolder(corpusPath(OSV) as string, zip);
    const files: Record<string, { body: Buffer; etag: string }> = {
      '/osv/Go/all.zip': { body: readFileSync(zip), etag: '"go-1"' },
      '/kev/known_exploited_vulnerabilities.json': { body: readFileSync(corpusPath(KEV) as string), etag: '"kev-1"' },
      '/epss/epss_scores-current.csv.gz': {
        body: gzipSync(
          '#model_version:v2025.03.14,score_date:2025-02-18T00:00:00+0000\ncve,epss,percentile\n' +
            'CVE-2025-0108,0.328,0.9929\n',
        ),
        etag: '"epss-1"',
      },
    };
    const log: { path: string; status: number; range?: string }[] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const f = files[req.url ?? ''];
      const done = (status: number): void => {
        log.push({ path: req.url ?? '', status, ...(req.headers.range ? { range: String(req.headers.range) } : {}) });
      };
      if (!f) {
        done(404);
        res.writeHead(404).end();
        return;
      }
      if (req.headers['if-none-match'] === f.etag) {
        done(304);
        res.writeHead(304, { etag: f.etag }).end();
        return;
      }
      const m = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
      if (m && req.headers['if-range'] === f.etag) {
        const start = Number(m[1]);
        done(206);
        res.writeHead(206, {
          etag: f.etag,
          'content-length': f.body.length - start,
          'content-range': `bytes ${start}-${f.body.length - 1}/${f.body.length}`,
        });
        res.end(f.body.subarray(start));
        return;
      }
      done(200);
      res
        .writeHead(200, {
          etag: f.etag,
          'content-length': f.body.length,
          'last-modified': 'Tue, 18 Feb 2025 00:00:00 GMT',
        })
        .end(f.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const db = join(dir, 'db', 'zerocve.db');
    const cacheDir = join(dir, 'cache');
    const feeds = (await import('./update.ts'))
      .defaultFeeds({ baseUrl, osvEcosystems: ['Go'] })
      .filter((f) => f.name !== 'debian-tracker' && f.kind !== 'nvd');

    assert.throws(() => dbStatus(db), DatabaseError);
    const first = await updateDb(db, { cacheDir, sources: feeds });
    assert.deepEqual(
      first.feeds.map((f) => [f.name, f.status]),
      [
        ['osv:Go', 'downloaded'],
        ['kev', 'downloaded'],
        ['epss', 'downloaded'],
      ],
    );
    assert.ok(first.import);
    let st = dbStatus(db, { now: new Date(Date.parse(first.import.builtAt) + 80 * 3.6e6) });
    assert.deepEqual(st.sources.map((s) => s.name).sort(), ['epss', 'kev', 'osv:Go']);
    assert.equal(st.sources.find((s) => s.name === 'osv:Go')!.etag, '"go-1"');
    assert.equal(st.ageHours, 80);
    assert.equal(st.stale, true);
    const s = openStore(db);
    assert.ok(s.advisoriesFor('Go', 'stdlib').length > 0);
    assert.equal(s.enrichment('CVE-2025-0108')!.epss!.score, 0.328);
    s.close();

    // nothing changed upstream: every feed is a 304 and the database is not rebuilt
    const second = await updateDb(db, { cacheDir, sources: feeds });
    assert.deepEqual(
      second.feeds.map((f) => f.status),
      ['not-modified', 'not-modified', 'not-modified'],
    );
    assert.equal(second.import, undefined);
    assert.equal(dbStatus(db).builtAt, first.import.builtAt);

    // the zip changes upstream; a previous run got half of it: the next run resumes with Range + If-Range
    const body = files['/osv/Go/all.zip'].body;
    files['/osv/Go/all.zip'] = { body, etag: '"go-2"' };
    const goDir = join(cacheDir, 'osv_Go');
    writeFileSync(join(goDir, 'all.zip.part'), body.subarray(0, Math.floor(body.length / 2)));
    writeFileSync(
      join(goDir, 'all.zip.part.meta.json'),
      JSON.stringify({ url: `${baseUrl}/osv/Go/all.zip`, etag: '"go-2"' }),
    );
    log.length = 0;
    const third = await updateDb(db, { cacheDir, sources: feeds });
    assert.deepEqual(
      third.feeds.map((f) => f.status),
      ['resumed', 'not-modified', 'not-modified'],
    );
    assert.equal(third.feeds[0].bytes, body.length - Math.floor(body.length / 2));
    // this mirror has no modified_id.csv (404): the update falls back to all.zip
    assert.deepEqual(log[0], { path: '/osv/Go/modified_id.csv', status: 404 });
    assert.deepEqual(log[1], { path: '/osv/Go/all.zip', status: 206, range: `bytes=${Math.floor(body.length / 2)}-` });
    assert.deepEqual(readFileSync(join(goDir, 'all.zip')), body);
    st = dbStatus(db);
    assert.equal(st.sources.find((x) => x.name === 'osv:Go')!.etag, '"go-2"');
    assert.deepEqual(st.sources.map((x) => x.name).sort(), ['epss', 'kev', 'osv:Go'], 'unchanged sources kept');

    // a server error fails the update and leaves the database as it was
    files['/osv/Go/all.zip'] = { body, etag: '"go-3"' };
    delete files['/kev/known_exploited_vulnerabilities.json'];
    await assert.rejects(updateDb(db, { cacheDir, sources: feeds }), /HTTP 404/);
    assert.equal(dbStatus(db).builtAt, third.import!.builtAt);
  },
);

test(
  'ensureDb fetches only the feeds of the needed ecosystems, skips fresh ones, and never waits without need',
  { skip: corpusSkip(OSV) || corpusSkip(KEV) || corpusSkip('vulndata/ghsa-sample') },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'zerocve-ensure-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const zip = (from: string, to: string): Buffer => {
      execFileSync('python3', [
        '-c',
        'import sys, os, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w") as z:\n' +
          '    for n in sorted(os.listdir(sys.argv[2])):\n' +
          '        if n.endswith(".json"): z.write(os.path.join(sys.argv[2], n), n)\n',
        to,
        from,
      ]);
      return readFileSync(to);
    };
    const files: Record<string, Buffer> = {
      '/osv/Go/all.zip': zip(corpusPath(OSV)!, join(dir, 'go.zip')),
      '/osv/PyPI/all.zip': zip(corpusPath('vulndata/ghsa-sample')!, join(dir, 'pypi.zip')),
      '/kev/known_exploited_vulnerabilities.json': readFileSync(corpusPath(KEV)!),
      '/epss/epss_scores-current.csv.gz': gzipSync('cve,epss,percentile\nCVE-2025-0108,0.328,0.9929\n'),
    };
    const asked: string[] = [];
    const server = createServer((req, res) => {
      const body = files[req.url ?? ''];
      asked.push(req.url ?? '');
      if (!body) return void res.writeHead(404).end();
      if (req.headers['if-none-match'] === `"${body.length}"`) return void res.writeHead(304).end();
      res.writeHead(200, { etag: `"${body.length}"`, 'content-length': body.length }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const db = join(dir, 'db', 'zerocve.db');
    const feeds = defaultFeeds({ baseUrl, osvEcosystems: ['Go', 'PyPI', 'npm'] }).filter(
      (f) => f.name !== 'debian-tracker',
    );
    const opts = { cacheDir: join(dir, 'feeds'), feeds };

    const first = await ensureDb(db, { ...opts, ecosystems: ['Go'] });
    assert.equal(first.updated, true);
    assert.deepEqual(asked.sort(), [
      '/epss/epss_scores-current.csv.gz',
      '/kev/known_exploited_vulnerabilities.json',
      '/osv/Go/all.zip',
    ]);
    assert.deepEqual(
      dbStatus(db)
        .sources.map((s) => s.name)
        .sort(),
      ['epss', 'kev', 'osv:Go'],
    );

    asked.length = 0;
    const again = await ensureDb(db, { ...opts, ecosystems: ['Go'] });
    assert.deepEqual([again.updated, again.checked, asked], [false, [], []], 'fresh: nothing asked');

    // another holder is updating; the database has every needed feed (only old): use it, do not wait
    const held = await lock(db);
    const busy = await ensureDb(db, { ...opts, ecosystems: ['Go'], maxAgeHours: 0 });
    assert.equal(busy.updated, false);
    assert.match(busy.warnings[0], /is being updated by process \d+ .*uses the previous copy/);
    assert.deepEqual(asked, []);
    // …but a feed it lacks is worth waiting for
    const pypi = ensureDb(db, { ...opts, ecosystems: ['PyPI'] });
    assert.equal(await Promise.race([pypi.then(() => 'done'), sleep(400).then(() => 'waiting')]), 'waiting');
    held.release();
    const r = await pypi;
    assert.equal(r.updated, true);
    assert.deepEqual(r.checked, ['osv:PyPI']);
    assert.deepEqual(asked, ['/osv/PyPI/all.zip']);
    assert.deepEqual(
      dbStatus(db)
        .sources.map((s) => s.name)
        .sort(),
      ['epss', 'kev', 'osv:Go', 'osv:PyPI'],
    );
  },
);

const NVD = 'conformance/grype/grype/db/v6/build/transformers/nvd/testdata';
const TRIVY_NVD = 'vulndata/trivy-db-testdata/pkg/vulnsrc/nvd/testdata/happy/vuln-list-nvd/api';

/** An NVD JSON 2.0 data feed document (the shape of nvdcve-2.0-YYYY.json.gz) holding the given cve objects. */
function nvdFeed(cves: object[], timestamp: string): Buffer {
  return gzipSync(
    JSON.stringify({
      resultsPerPage: cves.length,
      startIndex: 0,
      totalResults: cves.length,
      format: 'NVD_CVE',
      version: '2.0',
      timestamp,
      vulnerabilities: cves.map((cve) => ({ cve })),
    }),
  );
}

const cveOf = (path: string): Record<string, any> => {
  const d = JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
  return (d.cve ?? d) as Record<string, any>;
};

test(
  'NVD is a default feed: yearly files fetched weekly, the modified file every update and its records win',
  { skip: corpusSkip(NVD) || corpusSkip(TRIVY_NVD) },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'zerocve-nvd-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const { defaultFeeds } = await import('./update.ts');
    const y2022 = [
      cveOf(join(corpusPath(NVD)!, 'cve-2022-0543.json')),
      cveOf(join(corpusPath(NVD)!, 'cve-2021-1566.json')),
    ];
    const y2024 = [cveOf(join(corpusPath(TRIVY_NVD)!, '2024', 'CVE-2024-5732.json'))];
    // NVD re-analyses CVE-2022-0543: the modified feed carries the new record (here: a lower v3.1 vector)
    const reanalysed = structuredClone(y2022[0]);
    reanalysed.metrics = {
      cvssMetricV31: [
        {
          source: 'nvd@nist.gov',
          type: 'Primary',
          cvssData: { version: '3.1', vectorString: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:N', baseScore: 4.8 },
        },
      ],
    };
    const files: Record<string, { body: Buffer; etag: string }> = {};
    for (let y = 2002; y <= 2026; y++)
      files[`/nvd/nvdcve-2.0-${y}.json.gz`] = {
        body: nvdFeed(y === 2022 ? y2022 : y === 2024 ? y2024 : [], '2026-12-01T00:00:00.000'),
        etag: `"${y}-1"`,
      };
    files['/nvd/nvdcve-2.0-modified.json.gz'] = { body: nvdFeed([], '2026-12-01T00:00:00.000'), etag: '"m-1"' };
    const log: string[] = [];
    const server = createServer((req, res) => {
      const f = files[req.url ?? ''];
      if (!f) return void res.writeHead(404).end();
      if (req.headers['if-none-match'] === f.etag) {
        log.push(`304 ${req.url}`);
        return void res.writeHead(304, { etag: f.etag }).end();
      }
      log.push(`200 ${req.url}`);
      res.writeHead(200, { etag: f.etag, 'content-length': f.body.length }).end(f.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const now = new Date('2026-12-01T12:00:00Z');
    const feeds = defaultFeeds({ baseUrl, osvEcosystems: [], now }).filter((f) => f.kind === 'nvd');
    assert.equal(feeds.length, 2026 - 2002 + 2, 'every year from 2002 plus modified');
    assert.ok(feeds.every((f) => f.name === 'nvd'));
    const db = join(dir, 'zerocve.db');
    const cacheDir = join(dir, 'cache');

    const first = await updateDb(db, { cacheDir, sources: feeds, now });
    assert.ok(first.feeds.every((f) => f.status === 'downloaded'));
    let s = openStore(db);
    const before = s.enrichment('CVE-2022-0543')!.cvss;
    assert.ok(before.some((c) => c.version === '3.1' && c.score === 10 && c.source === 'nvd'));
    assert.ok(s.enrichment('CVE-2024-5732')!.cvss.some((c) => c.version === '4.0'));
    s.close();
    assert.deepEqual(
      dbStatus(db).sources.map((x) => [x.name, x.enrichments]),
      [['nvd', 3]],
    );

    // an hour later: the yearly files are not asked for at all, the modified file is a 304, nothing is rebuilt
    log.length = 0;
    const second = await updateDb(db, { cacheDir, sources: feeds, now: new Date(now.getTime() + 3.6e6) });
    assert.deepEqual(log, ['304 /nvd/nvdcve-2.0-modified.json.gz']);
    assert.equal(second.feeds.filter((f) => f.status === 'cached').length, feeds.length - 1);
    assert.equal(second.import, undefined);

    // upstream re-analysis lands in the modified file: only it is downloaded, and its record replaces the old one
    files['/nvd/nvdcve-2.0-modified.json.gz'] = {
      body: nvdFeed([reanalysed], '2026-12-01T14:00:00.000'),
      etag: '"m-2"',
    };
    log.length = 0;
    const third = await updateDb(db, { cacheDir, sources: feeds, now: new Date(now.getTime() + 2 * 3.6e6) });
    assert.deepEqual(log, ['200 /nvd/nvdcve-2.0-modified.json.gz']);
    assert.ok(third.import);
    s = openStore(db);
    assert.deepEqual(
      s.enrichment('CVE-2022-0543')!.cvss.map((c) => [c.vector, c.score]),
      [['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:N', 4.8]],
      'the modified record replaces the yearly one (not added to it)',
    );
    assert.ok(s.enrichment('CVE-2021-1566'), 'records of the cached yearly files are kept');
    s.close();
    assert.equal(dbStatus(db).sources[0].enrichments, 3);

    // a week later the yearly files are checked again (conditional requests)
    log.length = 0;
    await updateDb(db, { cacheDir, sources: feeds, now: new Date(now.getTime() + 8 * 24 * 3.6e6) });
    assert.equal(log.length, feeds.length);
    assert.ok(log.every((l) => l.startsWith('304 ')));
  },
);
