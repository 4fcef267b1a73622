// Incremental OSV updates against a real HTTP server on 127.0.0.1 serving an osv.dev-shaped ecosystem folder
// (all.zip, modified_id.csv, <id>.json) built from the Go vulnerability database in the shared corpus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { DatabaseSync } from 'node:sqlite';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { RegistryError } from '../core/errors.ts';
import { updateDb, defaultFeeds } from './update.ts';
import { importSources } from './import.ts';
import { openStore } from './store.ts';
import { parseModifiedIds } from './osv-incremental.ts';
import { zipFolder } from '../../test/support/zip-folder.ts';

const GO = 'vulndata/go-vulndb/data/osv';

/** An osv.dev ecosystem folder served from `dir`: all.zip and modified_id.csv rebuilt from its records on demand. */
function ecosystemServer(dir: string) {
  const log: string[] = [];
  let version = 0;
  let zip: Buffer | undefined;
  let csv = '';
  const rebuild = (): void => {
    version++;
    const out = join(dir, '..', `all-${version}.zip`);
    zip = zipFolder(dir, out);
    const rows = readdirSync(dir).map((n) => {
      const r = JSON.parse(readFileSync(join(dir, n), 'utf8')) as { id: string; modified: string };
      return { id: r.id, modified: r.modified };
    });
    rows.sort((a, b) => (a.modified < b.modified ? 1 : a.modified > b.modified ? -1 : a.id < b.id ? -1 : 1));
    csv = rows.map((r) => `${r.modified},${r.id}\n`).join('');
  };
  rebuild();
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    const etag = `"v${version}"`;
    const send = (body: Buffer | string): void => {
      log.push(`200 ${url}`);
      res.writeHead(200, { etag, 'content-length': Buffer.byteLength(body) }).end(body);
    };
    if (url === '/osv/Go/all.zip' || url === '/osv/Go/modified_id.csv') {
      if (req.headers['if-none-match'] === etag) {
        log.push(`304 ${url}`);
        return void res.writeHead(304, { etag }).end();
      }
      return send(url.endsWith('.zip') ? (zip as Buffer) : csv);
    }
    const m = /^\/osv\/Go\/([^/]+)\.json$/.exec(url);
    if (m) {
      try {
        return send(readFileSync(join(dir, `${decodeURIComponent(m[1])}.json`)));
      } catch {
        /* 404 below */
      }
    }
    log.push(`404 ${url}`);
    res.writeHead(404).end();
  });
  return { server, log, rebuild };
}

type Row = { id: string; body: string; affected: string };
/** Matchable content of a source: non-withdrawn advisories with their affected entries, by id. */
function content(db: string, source: string): Map<string, Row> {
  const d = new DatabaseSync(db, { readOnly: true });
  try {
    const rows = d
      .prepare(
        `SELECT a.id AS id, a.body AS body, (SELECT group_concat(body, '|') FROM (SELECT body FROM affected ` +
          `f WHERE f.advisory = a.rid ORDER BY body)) AS affected
           FROM advisories a WHERE a.source = ? AND a.withdrawn IS NULL`,
      )
      .all(source) as Row[];
    return new Map(rows.map((r) => [r.id, r]));
  } finally {
    d.close();
  }
}

test('parseModifiedIds reads `<RFC 3339>,<id>` lines and refuses anything else', () => {
  const m = parseModifiedIds('2026-12-01T10:00:00Z,GHSA-1\n2024-01-01T00:00:00.123Z,PYSEC-2\n\n', 'x');
  assert.deepEqual(
    [...m],
    [
      ['GHSA-1', Date.parse('2026-12-01T10:00:00Z')],
      ['PYSEC-2', Date.parse('2024-01-01T00:00:00.123Z')],
    ],
  );
  assert.throws(() => parseModifiedIds('<html>not found</html>\n', 'x'), RegistryError);
});

test(
  'after a full all.zip, updates read modified_id.csv and fetch only changed records; the result equals a full import',
  { skip: corpusSkip(GO), timeout: 300_000 },
  async (t) => {
    const work = mkdtempSync(join(tmpdir(), 'zerocve-osv-inc-'));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const upstream = join(work, 'upstream');
    cpSync(corpusPath(GO)!, upstream, { recursive: true });
    const { server, log, rebuild } = ecosystemServer(upstream);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const feeds = defaultFeeds({ baseUrl, osvEcosystems: ['Go'], nvd: false }).filter((f) => f.name === 'osv:Go');
    const db = join(work, 'zerocve.db');
    const cacheDir = join(work, 'cache');

    const first = await updateDb(db, { cacheDir, sources: feeds });
    assert.equal(first.feeds[0].status, 'downloaded');
    assert.deepEqual(log, ['200 /osv/Go/all.zip']);
    const total = readdirSync(upstream).length;

    // the first listing read finds nothing to fetch; then the listing is a 304
    log.length = 0;
    const second = await updateDb(db, { cacheDir, sources: feeds });
    assert.equal(second.feeds[0].status, 'incremental');
    assert.deepEqual(second.feeds[0].changes, { fetched: 0, removed: 0 });
    assert.equal(second.import, undefined);
    assert.deepEqual(log, ['200 /osv/Go/modified_id.csv']);
    log.length = 0;
    const third = await updateDb(db, { cacheDir, sources: feeds });
    assert.deepEqual(
      third.feeds.map((f) => [f.status, f.bytes]),
      [['not-modified', 0]],
    );
    assert.deepEqual(log, ['304 /osv/Go/modified_id.csv']);

    // upstream changes: two records modified, one withdrawn, one deleted, one new
    const ids = readdirSync(upstream)
      .map((n) => n.replace(/\.json$/, ''))
      .sort();
    const rec = (id: string): Record<string, any> => JSON.parse(readFileSync(join(upstream, `${id}.json`), 'utf8'));
    const put = (r: Record<string, any>): void => writeFileSync(join(upstream, `${r.id}.json`), JSON.stringify(r));
    const now = '2026-12-01T10:00:00Z';
    const [m1, m2, wd, gone, tmpl] = [ids[10], ids[20], ids[30], ids[40], ids[50]];
    const r1 = rec(m1);
    r1.modified = now;
    r1.summary = 'upstream changed this record';
    r1.affected[0].ranges = [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '9.9.9' }] }];
    put(r1);
    const r2 = rec(m2);
    r2.modified = now;
    r2.aliases = [...(r2.aliases ?? []), 'CVE-2099-0002'];
    put(r2);
    const r3 = rec(wd);
    r3.modified = now;
    r3.withdrawn = now;
    put(r3);
    unlinkSync(join(upstream, `${gone}.json`));
    const r5 = { ...rec(tmpl), id: 'GO-2099-0001', modified: now };
    put(r5);
    rebuild();

    log.length = 0;
    const fourth = await updateDb(db, { cacheDir, sources: feeds });
    assert.equal(fourth.feeds[0].status, 'incremental');
    assert.deepEqual(fourth.feeds[0].changes, { fetched: 4, removed: 1 });
    assert.deepEqual(
      log.sort(),
      [
        '200 /osv/Go/GO-2099-0001.json',
        `200 /osv/Go/${m1}.json`,
        `200 /osv/Go/${m2}.json`,
        `200 /osv/Go/${wd}.json`,
        '200 /osv/Go/modified_id.csv',
      ].sort(),
    );
    assert.ok(fourth.import);
    assert.deepEqual(
      readdirSync(join(cacheDir, 'osv_Go')).filter((n) => n.startsWith('changes-')),
      [],
    );

    const s = openStore(db);
    try {
      const got = s.advisoriesById(m1)[0];
      assert.equal(got.summary, 'upstream changed this record');
      assert.deepEqual(got.affected[0].ranges, r1.affected[0].ranges);
      assert.ok(
        s.advisoriesById('CVE-2099-0002').some((a) => a.id === m2),
        'new alias indexed',
      );
      assert.deepEqual(s.advisoriesById(gone), [], 'deleted upstream: deleted');
      assert.ok(s.advisoriesById('GO-2099-0001').length === 1, 'new record added');
      const w = s.advisoriesById(wd);
      assert.ok(w.length === 1 && w[0].withdrawn === now && w[0].affected.length === 0, 'withdrawn: never matched');
      const pkg = r3.affected[0].package as { name: string };
      assert.ok(!s.advisoriesFor('Go', pkg.name).some((a) => a.id === wd));
    } finally {
      s.close();
    }
    const status = (await import('./update.ts')).dbStatus(db).sources[0];
    assert.equal(status.advisories, total); // -1 deleted, +1 new; the withdrawn one stays as a tombstone

    // the database now holds what a full import of the new upstream state holds
    const fresh = join(work, 'fresh.db');
    await importSources(fresh, [{ kind: 'osv', path: upstream, source: 'osv:Go' }]);
    const a = content(db, 'osv:Go');
    const b = content(fresh, 'osv:Go');
    assert.equal(a.size, b.size);
    for (const [id, row] of b) assert.deepEqual(a.get(id), row, id);

    // nothing changed since: one conditional request, no import
    log.length = 0;
    const fifth = await updateDb(db, { cacheDir, sources: feeds });
    assert.equal(fifth.import, undefined);
    assert.deepEqual(log, ['304 /osv/Go/modified_id.csv']);
  },
);
