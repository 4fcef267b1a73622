// `--db-repository REF`: scans (and `db update`) keep the database up to date by pulling what `zerocve db push`
// published, instead of downloading the feeds. The real CLI against the real registry (`docker-registry`), databases
// built from corpus data; `db pull` under the database lock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { corpusPath, corpusSkip } from '../support/corpus.ts';
import { startRegistry, type RunningRegistry } from '../support/registry.ts';
import { dbStatus, zerocve, distInfo, type DbStatusJson } from './support.ts';
import { startCli } from '../support/service.ts';
import { createRegistryClient } from '../../src/image/index.ts';
import { lock } from '../../src/vulndb/index.ts';

const GHSA = 'vulndata/ghsa-sample';
const GO = 'vulndata/go-vulndb/data/osv';
const skip = corpusSkip(GHSA) || corpusSkip(GO);
const SITE = 'usr/local/lib/python3.11/dist-packages';
let work = '';
let reg: RunningRegistry;
let root = '';

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'zc-db-repo-'));
  reg = await startRegistry();
  root = join(work, 'root');
  for (const f of distInfo(SITE, 'pillow', '8.4.0')) {
    mkdirSync(join(root, f.path, '..'), { recursive: true });
    writeFileSync(join(root, f.path), f.body);
  }
});
after(async () => {
  await reg?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const status = dbStatus;
const build = async (db: string, inputs: string[]): Promise<DbStatusJson> => {
  const r = await zerocve(['db', 'import', '--db', db, '--quiet', ...inputs.map((i) => corpusPath(i)!)]);
  assert.equal(r.code, 0, r.stderr);
  return await status(db);
};
interface Report {
  findings: { id: string; aliases: string[] }[];
  db?: { builtAt: string; sources: { name: string }[] };
}
/** a scan with auto-update on; the feeds' mirror is a closed port, so a feed download would show as a failure */
const scan = (db: string, ref: string, extra: string[] = []) =>
  zerocve(
    [
      'scan',
      `dir:${root}`,
      '--db',
      db,
      '--db-repository',
      ref,
      '--insecure',
      '--db-base-url',
      'http://127.0.0.1:9',
      '--no-cache',
      '--scanners',
      'vuln',
      '-f',
      'json',
      ...extra,
    ],
    { env: { ZEROCVE_SKIP_DB_UPDATE: '0' } },
  );
const pillowFound = (r: Report) =>
  r.findings.some((f) => f.id === 'CVE-2023-50447' || f.aliases.includes('CVE-2023-50447'));

test(
  'a scan pulls the database from --db-repository when it is missing, and again when it is stale and REF is newer',
  { skip },
  async () => {
    const ref = `${reg.host}/security/zerocve-db:1`;
    const a = await build(join(work, 'a.db'), [GHSA]);
    let r = await zerocve(['db', 'push', '--db', join(work, 'a.db'), '--insecure', ref]);
    assert.equal(r.code, 0, r.stderr);

    // no local database: the scan pulls REF's (not the feeds) and matches against it
    const db = join(work, 'scanner', 'zerocve.db');
    r = await scan(db, ref);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no warning: nothing came from the (unreachable) feeds');
    let rep = JSON.parse(r.stdout) as Report;
    assert.equal(rep.db?.builtAt, a.builtAt);
    assert.ok(pillowFound(rep), 'Pillow 8.4.0 matched against the pulled database');

    // fresh (built less than --db-max-age ago): nobody is asked, not even an unreachable repository
    r = await scan(db, '127.0.0.1:9/nowhere/db:1');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');

    // a newer database published under the same tag: a stale local copy is replaced
    await sleep(1100); // built-at has second precision in some paths: keep the two builds apart
    const b = await build(join(work, 'b.db'), [GHSA, GO]);
    assert.ok(Date.parse(b.builtAt) > Date.parse(a.builtAt));
    r = await zerocve(['db', 'push', '--db', join(work, 'b.db'), '--insecure', ref]);
    assert.equal(r.code, 0, r.stderr);
    r = await scan(db, ref); // still fresh: kept
    assert.equal((JSON.parse(r.stdout) as Report).db?.builtAt, a.builtAt);
    r = await scan(db, ref, ['--db-max-age', '0s']);
    assert.equal(r.code, 0, r.stderr);
    rep = JSON.parse(r.stdout) as Report;
    assert.equal(rep.db?.builtAt, b.builtAt);
    assert.deepEqual(rep.db?.sources.map((s) => s.name).sort(), b.sources.map((s) => s.name).sort());
    assert.ok(pillowFound(rep));

    // stale, but REF holds nothing newer: checked (one manifest request), not downloaded again
    const ino = statSync(db).ino;
    r = await scan(db, ref, ['--db-max-age', '0s']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(db).ino, ino, 'the database file was not replaced');

    // `db update --db-repository` (env ZEROCVE_DB_REPOSITORY) pulls when newer, else says so
    r = await zerocve(['db', 'update', '--db', db, '--insecure'], { env: { ZEROCVE_DB_REPOSITORY: ref } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`database ${db} unchanged: ${ref} holds nothing newer`));
    const other = join(work, 'other', 'zerocve.db');
    r = await zerocve(['db', 'update', '--db', other, '--insecure', '--db-repository', ref]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`pulled ${ref} \\(sha256:[0-9a-f]{64}, built ${b.builtAt}\\) into ${other}`));
    assert.equal((await status(other)).advisories, b.advisories);
  },
);

test(
  'an artifact of another schema version is refused with one line, and the previous database is kept',
  {
    skip,
  },
  async () => {
    const good = `${reg.host}/security/zerocve-db:good`;
    const future = `${reg.host}/security/zerocve-db:future`;
    const built = join(work, 'good.db');
    await build(built, [GHSA]);
    let r = await zerocve(['db', 'push', '--db', built, '--insecure', good]);
    assert.equal(r.code, 0, r.stderr);
    // the same database, its manifest claiming schema 999 and a later build: what a newer zerocve would push
    const client = createRegistryClient({ registry: reg.host, insecure: true });
    const man = (await client.getManifest('security/zerocve-db', 'good')).json as {
      annotations: Record<string, string>;
    };
    const later = new Date(Date.now() + 3.6e6).toISOString();
    const bad = {
      ...man,
      annotations: { ...man.annotations, 'io.zerocve.db.schema-version': '999', 'io.zerocve.db.built-at': later },
    };
    await client.putManifest(
      'security/zerocve-db',
      'future',
      Buffer.from(JSON.stringify(bad)),
      'application/vnd.oci.image.manifest.v1+json',
    );

    const db = join(work, 'kept', 'zerocve.db');
    r = await scan(db, good);
    assert.equal(r.code, 0, r.stderr);
    const before = await status(db);
    // a stale database and a repository of another schema: a one-line warning, the scan uses the previous copy
    r = await scan(db, future, ['--db-max-age', '0s']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stderr,
      `zerocve: warning: vulnerability database not updated from ${future} (the previous copy is used): database ` +
        'schema version 999, this zerocve needs 1: push one built by this version\n',
    );
    assert.equal((JSON.parse(r.stdout) as Report).db?.builtAt, before.builtAt);
    assert.deepEqual(await status(db), before);
    // `db update --db-repository`: the same reason as a one-line error
    r = await zerocve(['db', 'update', '--db', db, '--insecure', '--db-repository', future]);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /schema version 999, this zerocve needs 1/);
    assert.deepEqual(await status(db), before);
    // no database at all: the scan cannot match, and says why in one line
    r = await scan(join(work, 'none', 'zerocve.db'), future);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /vulnerability database .* cannot be pulled from .*:future: database schema version 999/);
  },
);

test(
  'db pull takes the database lock: it waits for an update in progress, and two pulls at once both succeed',
  {
    skip,
  },
  async () => {
    const ref = `${reg.host}/security/zerocve-db:locked`;
    const src = join(work, 'locked-src.db');
    const want = await build(src, [GHSA, GO]);
    let r = await zerocve(['db', 'push', '--db', src, '--insecure', ref]);
    assert.equal(r.code, 0, r.stderr);

    const db = join(work, 'locked', 'zerocve.db');
    const old = await build(db, [GHSA]);
    // an update holds the lock (the lock `db update` and `db import` take): the pull waits for it
    const held = await lock(db);
    let done = false;
    const pulling = zerocve(['db', 'pull', '--db', db, '--insecure', ref]).then((x) => {
      done = true;
      return x;
    });
    await sleep(2500);
    assert.equal(done, false, 'db pull waits while the lock is held');
    assert.equal((await status(db)).builtAt, old.builtAt, 'the database is untouched while waiting');
    held.release();
    r = await pulling;
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await status(db)).builtAt, want.builtAt);

    // two pulls and an import at once: all succeed, one after the other; the result is one complete database
    const [p1, p2, imp] = await Promise.all([
      zerocve(['db', 'pull', '--db', db, '--insecure', ref]),
      zerocve(['db', 'pull', '--db', db, '--insecure', ref]),
      zerocve(['db', 'import', '--db', db, '--quiet', corpusPath(GHSA)!]),
    ]);
    for (const x of [p1, p2, imp]) assert.equal(x.code, 0, x.stderr);
    const end = await status(db);
    assert.equal(end.advisories, want.advisories, JSON.stringify(end));
    assert.ok(!existsSync(`${db}.lock`), 'lock released');
  },
);

test(
  'serve follows --db-repository: it pulls at start, then pulls a newer database and re-matches against it',
  {
    skip,
    timeout: 120_000,
  },
  async () => {
    const ref = `${reg.host}/security/zerocve-db:svc`;
    const a = await build(join(work, 'svc-a.db'), [GHSA]);
    let r = await zerocve(['db', 'push', '--db', join(work, 'svc-a.db'), '--insecure', ref]);
    assert.equal(r.code, 0, r.stderr);
    const db = join(work, 'svc', 'zerocve.db');
    const serve = startCli([
      'serve',
      '--data',
      join(work, 'svc-data'),
      '--db',
      db,
      '--db-repository',
      ref,
      '--insecure',
      '--db-max-age',
      '0s',
      '--rematch-interval',
      '1',
      '--scan-interval',
      '0',
      '--listen',
      '127.0.0.1:0',
    ]);
    try {
      // no database at start: pulled before the service looks for one
      await serve.waitFor(new RegExp(`vulnerability database ${a.builtAt}#\\w+: re-match queued`));
      assert.equal((await status(db)).builtAt, a.builtAt);
      const b = await build(join(work, 'svc-b.db'), [GHSA, GO]);
      r = await zerocve(['db', 'push', '--db', join(work, 'svc-b.db'), '--insecure', ref]);
      assert.equal(r.code, 0, r.stderr);
      await serve.waitFor(new RegExp(`vulnerability database ${b.builtAt}#\\w+: re-match queued`));
      assert.equal((await status(db)).advisories, b.advisories);
    } finally {
      await serve.stop();
    }
  },
);
