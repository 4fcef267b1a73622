// `zerocve serve` keeps its vulnerability database fresh by itself: every --db-update-interval it runs the same
// update as `db update` (conditional downloads from a feed mirror, the database's lock, an atomic rename), and when
// the data changed it re-matches every stored inventory at once and emits the new findings as events. The mirror is
// a real HTTP server on 127.0.0.1 serving real corpus advisories (GitHub's PyPI advisories in OSV form) with ETags
// and 304s, as the upstream servers do; halfway through, the mirror starts serving one more advisory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { zerocve } from './support.ts';
import { corpusPath, corpusSkip } from '../support/corpus.ts';
import { startCli, until, type Child } from '../support/service.ts';
import { zipFolder } from '../support/zip-folder.ts';

const GHSA = 'vulndata/ghsa-sample';
const KEV = 'conformance/grype/grype/db/v6/build/transformers/kev/testdata/go-case.json';
/** the sample's advisory for pillow: absent from the mirror's first copy of the PyPI feed */
const PILLOW_ADVISORY = 'GHSA-3f63-hfp8-52jq.json';
const skip = corpusSkip(GHSA) || corpusSkip(KEV) || corpusSkip(`${GHSA}/${PILLOW_ADVISORY}`);
const REPO = 'registry.example/ml/pillow-app';

let work = '';
let server: Server | undefined;
let base = '';
const files: Record<string, Buffer> = {};
const log: { path: string; status: number; at: number }[] = [];

const zipOf = (dir: string, out: string): Buffer => zipFolder(dir, out, { jsonOnly: true });

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'zc-e2e-serve-update-'));
  // the feed before and after: the sample without pillow's advisory, then the whole sample
  const without = join(work, 'ghsa-without-pillow');
  mkdirSync(without);
  for (const n of readdirSync(corpusPath(GHSA)!))
    if (n !== PILLOW_ADVISORY) cpSync(join(corpusPath(GHSA)!, n), join(without, n));
  files['/osv/PyPI/all.zip'] = zipOf(without, join(work, 'pypi-1.zip'));
  files['/debian/json'] = Buffer.from('{}');
  files['/kev/known_exploited_vulnerabilities.json'] = readFileSync(corpusPath(KEV)!);
  files['/epss/epss_scores-current.csv.gz'] = gzipSync(
    '#model_version:v2025.03.14,score_date:2025-02-18T00:00:00+0000\ncve,epss,percentile\nCVE-2023-50447,0.42,0.97\n',
  );
  for (let y = 2002; y <= new Date().getUTCFullYear(); y++) files[`/nvd/nvdcve-2.0-${y}.json.gz`] = emptyNvd();
  files['/nvd/nvdcve-2.0-modified.json.gz'] = emptyNvd();
  server = createServer((req, res) => {
    const body = files[req.url ?? ''];
    const etag = body ? `"${body.length}-${body.subarray(-16).toString('hex')}"` : '';
    const status = !body ? 404 : req.headers['if-none-match'] === etag ? 304 : 200;
    log.push({ path: req.url ?? '', status, at: Date.now() });
    if (status !== 200) return void res.writeHead(status).end();
    res.writeHead(200, { etag, 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // a root file system with pillow 8.4.0, as pip leaves it
  const info = join(work, 'root/usr/lib/python3/dist-packages/pillow-8.4.0.dist-info');
  mkdirSync(info, { recursive: true });
  writeFileSync(join(info, 'METADATA'), 'Metadata-Version: 2.1\nName: pillow\nVersion: 8.4.0\n');
  writeFileSync(join(info, 'RECORD'), '');
});

function emptyNvd(): Buffer {
  return gzipSync(
    JSON.stringify({ format: 'NVD_CVE', version: '2.0', timestamp: '2026-12-01T00:00:00.000', vulnerabilities: [] }),
  );
}

after(() => {
  server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test(
  'serve and worker update their databases on a schedule; serve emits the new findings the new data brings',
  { skip, timeout: 600_000 },
  async () => {
    const db = join(work, 'vuln.db');
    const cache = join(work, 'cache');
    const data = ['--data', join(work, 'data')];
    const first = await zerocve([
      'db',
      'update',
      '--db',
      db,
      '--base-url',
      base,
      '--ecosystem',
      'PyPI',
      '--cache-dir',
      cache,
    ]);
    assert.equal(first.code, 0, first.stderr);
    const admin = (await zerocve(['token', 'admin', '--role', 'admin', ...data])).stdout.trim();
    let serve: Child | undefined;
    let worker: Child | undefined;
    // a worker with its own database file, not there yet: it builds it from the mirror, then keeps it fresh
    const workerDb = join(work, 'worker', 'vuln.db');
    const pypiAdvisories = async (): Promise<number | undefined> => {
      const st = await zerocve(['db', 'status', '--db', workerDb, '-f', 'json']);
      if (st.code !== 0) return undefined;
      return (JSON.parse(st.stdout) as { sources: { name: string; advisories: number }[] }).sources.find(
        (x) => x.name === 'osv:PyPI',
      )?.advisories;
    };
    try {
      worker = startCli(
        [
          'worker',
          '--data',
          join(work, 'worker-data'),
          '--db',
          workerDb,
          '--cache-dir',
          join(work, 'worker-cache'),
          '--db-base-url',
          base,
          '--db-update-interval',
          '1',
          '--db-max-age',
          '0',
        ],
        { ZEROCVE_SKIP_DB_UPDATE: '0' },
      );
      await worker.waitFor(/zerocve worker: ready/);
      const before = await until(pypiAdvisories, "the worker's database");
      serve = startCli(
        [
          'serve',
          ...data,
          '--db',
          db,
          '--cache-dir',
          cache,
          '--db-base-url',
          base,
          '--db-update-interval',
          '1',
          '--db-max-age',
          '0',
          // the file check is slow on purpose: the re-match must come from the service's own update
          '--rematch-interval',
          '3600',
          '--follow-interval',
          '0',
          '--listen',
          '127.0.0.1:0',
        ],
        { ZEROCVE_SKIP_DB_UPDATE: '0' },
      );
      const url = (await serve.waitFor(/listening on (http:\/\/\S+)/))[1];
      const api = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(url + path, {
          method,
          headers: { authorization: `Bearer ${admin}` },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: res.status, body: await res.json() };
      };
      const dbBefore = (await api('GET', '/api/v1/db')).body.version as string;
      const scan = await api('POST', '/api/v1/scans', { target: `dir:${join(work, 'root')}`, repository: REPO });
      assert.equal(scan.status, 202, JSON.stringify(scan.body));
      const job = await until(async () => {
        const j = (await api('GET', `/api/v1/jobs/${scan.body.job.id}`)).body;
        assert.notEqual(j.state, 'failed', JSON.stringify(j));
        return j.state === 'completed' ? j : undefined;
      }, 'the scan');
      const digest = job.output.digest as string;
      assert.deepEqual((await api('GET', `/api/v1/images/${digest}/findings`)).body.findings, []);

      // the service asks the mirror again every second; nothing changed: 304s, the same database, no events
      const quietFrom = Date.now();
      await until(
        async () =>
          log.filter((l) => l.path === '/osv/PyPI/all.zip' && l.at > quietFrom && l.status === 304).length >= 2,
        'two conditional checks of the PyPI feed',
      );
      assert.equal((await api('GET', '/api/v1/db')).body.version, dbBefore, 'a 304 does not rebuild the database');
      assert.deepEqual((await api('GET', '/api/v1/events')).body.items, []);

      // the mirror now serves pillow's advisory too: the service picks it up by itself and tells what is new
      files['/osv/PyPI/all.zip'] = zipOf(corpusPath(GHSA)!, join(work, 'pypi-2.zip'));
      const events = await until(async () => {
        const ev = (await api('GET', `/api/v1/events?digest=${encodeURIComponent(digest)}`)).body.items;
        return ev.length ? ev : undefined;
      }, 'the new-finding events');
      const dbAfter = (await api('GET', '/api/v1/db')).body.version as string;
      assert.notEqual(dbAfter, dbBefore);
      assert.ok(log.some((l) => l.path === '/osv/PyPI/all.zip' && l.status === 200 && l.at > quietFrom));
      // exactly the findings a direct scan of the same root reports on the updated database
      const direct = await zerocve(['scan', `dir:${join(work, 'root')}`, '--db', db, '--offline', '-f', 'json']);
      const ids = (JSON.parse(direct.stdout).findings as { id: string }[]).map((f) => f.id).sort();
      assert.ok(ids.length >= 1, direct.stderr);
      assert.deepEqual(
        events
          .map((e: { kind: string; findingId: string; repository: string; dbVersion: string }) => [
            e.kind,
            e.findingId,
            e.repository,
            e.dbVersion,
          ])
          .sort((a: string[], b: string[]) => (a[1] < b[1] ? -1 : 1)),
        ids.map((id) => ['new', id, REPO, dbAfter]),
      );
      assert.match(serve.output(), /re-match queued/);
      // the worker's own file took the new advisory too
      await until(async () => ((await pypiAdvisories()) ?? 0) > before, "the worker's update");
      assert.equal(await pypiAdvisories(), before + 1);
      assert.equal(await worker.stop('SIGTERM'), 0, worker.output());
      assert.equal(await serve.stop('SIGTERM'), 0, serve.output());
    } finally {
      await serve?.stop('SIGKILL');
      await worker?.stop('SIGKILL');
    }
  },
);
