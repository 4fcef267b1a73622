// Build jobs go only to workers that can build, on a real PostgreSQL 15 (pg-boss) and on the SQLite data folder:
// a real `zerocve worker --no-builds` runs a scan job but leaves the queued build job alone; a real `zerocve worker`
// that can build (root with mmdebstrap here) takes it. The build's registry is unreachable, so the run fails fast,
// and the failure is reported as a build record and a job error.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { zerocve } from './support.ts';
import { corpusPath, corpusSkip } from '../support/corpus.ts';
import { freePort } from '../support/registry.ts';
import { startPostgres, postgresSkip, type RunningPostgres } from '../support/postgres.ts';
import { startCli, until } from '../support/service.ts';
import { openStore } from '../../src/store/index.ts';
import { requestBuild, requestScan, canBuildHere } from '../../src/serve/index.ts';

const ADVISORY = 'vulndata/ghsa-sample/GHSA-3f63-hfp8-52jq.json';
const skip =
  corpusSkip(ADVISORY) ||
  (canBuildHere() ? false : 'needs a host that can build (root with mmdebstrap on PATH) for the second worker');
const work = mkdtempSync(join(tmpdir(), 'zc-e2e-routing-'));
let pg: RunningPostgres | undefined;
after(async () => {
  await pg?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function routing(label: string, storeFlags: string[], open: { data?: string; database?: string }) {
  const dir = join(work, label);
  mkdirSync(join(dir, 'adv'), { recursive: true });
  writeFileSync(join(dir, 'adv', 'a.json'), readFileSync(corpusPath(ADVISORY)!));
  const dbFile = join(dir, 'vuln.db');
  assert.equal((await zerocve(['db', 'import', '--db', dbFile, join(dir, 'adv')])).code, 0);
  const root = join(dir, 'root', 'usr/lib/python3/dist-packages/pillow-8.4.0.dist-info');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'METADATA'), 'Metadata-Version: 2.1\nName: pillow\nVersion: 8.4.0\n');
  writeFileSync(join(dir, 'image.yaml'), 'name: x\nbase: debian:bookworm\npackages: []\n');
  // nothing listens there: the build job's `build --check` cannot reach the registry
  const repository = `127.0.0.1:${await freePort()}/fresh/x`;

  const store = await openStore({ ...open, jobLeaseSeconds: 60, supervise: false });
  const ctx = { store, env: { dbPath: dbFile, cacheDir: null } };
  const args = ['worker', ...storeFlags, '--db', dbFile, '--no-cache'];
  try {
    await store.putCatalog({
      repository,
      tier: 'golden',
      policy: {},
      tags: [],
      build: { spec: join(dir, 'image.yaml'), tag: '1' },
    });
    const build = await requestBuild(ctx, repository);
    const scan = await requestScan(ctx, `dir:${join(dir, 'root')}`);

    const plain = startCli([...args, '--no-builds']);
    try {
      await plain.waitFor(/zerocve worker: ready \((sqlite|postgres) store\)/);
      await until(async () => (await store.jobs.get(scan.id))?.state === 'completed', 'the scan job', 120_000);
      await new Promise((r) => setTimeout(r, 2000)); // time enough to (wrongly) take the build job too
      assert.equal((await store.jobs.get(build.id))?.state, 'queued', 'a worker with --no-builds leaves it');
      assert.deepEqual(await store.listBuilds(repository), []);
    } finally {
      assert.equal(await plain.stop(), 0, plain.output());
    }

    const builder = startCli(args);
    try {
      await builder.waitFor(/zerocve worker: ready \((sqlite|postgres) store, takes build jobs\)/);
      const [rec] = await until(
        async () => {
          const b = await store.listBuilds(repository);
          return b.length ? b : undefined;
        },
        'the build-capable worker to run the build job',
        120_000,
      );
      assert.equal(rec.outcome, 'failed');
      assert.equal(rec.jobId, build.id);
      assert.match(rec.error ?? '', /cannot connect/);
      assert.equal(rec.pushed, undefined);
      const job = await until(
        async () => {
          const j = await store.jobs.get(build.id);
          return j?.error ? j : undefined;
        },
        'the job error (PostgreSQL shows it once the retries are spent)',
        180_000,
      );
      assert.match(job.error!, /cannot connect/, 'the job error says why (and the job is retried)');
      assert.match(builder.output(), /job failed: .*cannot connect/);
      assert.match(builder.output(), /fresh build of 127\.0\.0\.1:\d+\/fresh\/x: failed: .*cannot connect/);
    } finally {
      await builder.stop();
    }
  } finally {
    await store.close();
  }
}

test(
  'build jobs go only to build-capable workers on PostgreSQL',
  { skip: skip || postgresSkip(), timeout: 600_000 },
  async () => {
    pg = await startPostgres();
    await routing('pg', ['--database', pg.url], { database: pg.url });
  },
);

test('build jobs go only to build-capable workers on SQLite', { skip, timeout: 600_000 }, async () => {
  const data = join(work, 'sqlite-data');
  await routing('sqlite', ['--data', data], { data });
});
