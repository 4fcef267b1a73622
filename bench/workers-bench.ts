// Worker throughput benchmark (issue 13): scan jobs per second of one vs two `zerocve worker` processes sharing a
// real PostgreSQL 15 (pg-boss queue). Each job scans the python3 fixture image (165 MB, no layer cache: every job
// reads and analyses the whole image) under its own path, so the jobs are distinct keys doing the same work.
// Workers are started and ready before the jobs are queued; the clock runs from the first enqueue to the last
// completion. Rounds alternate 1, 2, 1, 2, … so a change of machine load hits both. The machine has 2 cores shared
// with other work: the load average is printed beside the figures.
//   npx node bench/workers-bench.ts [--jobs N] [--rounds R]     (needs postgresql-15, the fixture and the corpus)
import { mkdtempSync, rmSync, symlinkSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { openStore } from '../src/store/index.ts';
import { requestScan } from '../src/serve/index.ts';
import { startPostgres, postgresSkip } from '../test/support/postgres.ts';
import { startCli, type Child } from '../test/support/service.ts';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { jobs: { type: 'string', default: '8' }, rounds: { type: 'string', default: '1' } },
});
const N = Number(values.jobs);
const ROUNDS = Number(values.rounds);
const fixtures = process.env.ZEROCVE_FIXTURES ?? join(root, '..', 'fixtures');
const image = join(fixtures, 'python3', 'oci');
const numpy = resolve(root, '..', 'shared', 'corpus', 'vulndata', 'pypa-advisory-database', 'vulns', 'numpy');
const skip = postgresSkip();
if (skip) throw new Error(skip);
if (!existsSync(image) || !existsSync(numpy)) throw new Error(`needs the python3 fixture (${image}) and ${numpy}`);

const dir = mkdtempSync(join(tmpdir(), 'zerocve-workers-bench-'));
const pg = await startPostgres();
const peakMiB = (pid: number | undefined): number => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};
try {
  const db = join(dir, 'v.db');
  execFileSync(process.execPath, [join(root, 'bin', 'zerocve.js'), 'db', 'import', '--db', db, numpy], {
    stdio: 'pipe',
  });
  const results: Record<number, number[]> = { 1: [], 2: [] };
  let round = 0;
  const runOnce = async (workers: number): Promise<void> => {
    const url = await pg.createDatabase(`bench_${++round}`);
    // the store as the server would open it (it runs pg-boss's maintenance); the workers only work
    const store = await openStore({ database: url });
    const ctx = { store, env: { dbPath: db, cacheDir: null } };
    const procs: Child[] = [];
    try {
      for (let w = 0; w < workers; w++) {
        const c = startCli(['worker', '--database', url, '--db', db, '--no-cache']);
        procs.push(c);
        await c.waitFor(/zerocve worker: ready/);
      }
      const load = loadavg()[0];
      const t0 = performance.now();
      for (let i = 0; i < N; i++) {
        const link = join(dir, `r${round}-img${i}`);
        symlinkSync(image, link);
        await requestScan(ctx, `oci-dir:${link}:latest`);
      }
      for (;;) {
        const st = await store.jobs.stats();
        if (st.failed) throw new Error(`a job failed: ${JSON.stringify(st)}`);
        if (st.completed === N) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const s = (performance.now() - t0) / 1000;
      const durations = await store.jobs.durations(N);
      const mean = durations.reduce((n, d) => n + d.seconds, 0) / durations.length;
      const rss = procs.map((p) => peakMiB(p.proc.pid).toFixed(0)).join(', ');
      results[workers].push(N / s);
      console.log(
        `${workers} worker(s): ${N} scans in ${s.toFixed(1)} s = ${(N / s).toFixed(3)} jobs/s ` +
          `(mean job ${mean.toFixed(2)} s; peak RSS per worker ${rss} MiB; load average ${load.toFixed(1)} → ` +
          `${loadavg()[0].toFixed(1)})`,
      );
    } finally {
      for (const p of procs) await p.stop('SIGTERM');
      await store.close();
    }
  };
  for (let r = 0; r < ROUNDS; r++) {
    await runOnce(1);
    await runOnce(2);
  }
  const best = (xs: number[]): number => Math.max(...xs);
  const perRound = results[2].map((x, i) => `${(x / results[1][i]).toFixed(2)}×`).join(', ');
  console.log(
    `two workers vs one: ${(best(results[2]) / best(results[1])).toFixed(2)}× the jobs/s, best of ${ROUNDS} ` +
      `(per round: ${perRound}); 2 cores shared with other work`,
  );
} finally {
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}
