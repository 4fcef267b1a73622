// The job queue on PostgreSQL: pg-boss. Chosen over graphile-worker because pg-boss expires the lease of a job
// whose worker died after the job's own `expireInSeconds` (graphile-worker frees a crashed worker's jobs only after
// a fixed 4 hours), which this file turns into a lease renewed by a heartbeat (pg-boss 10 has none); it has
// per-queue retry limits with exponential backoff, and its `stately` queue policy keeps at most one queued and one
// running job per singleton key — the idempotency key of what the job computes. It is plain SQL in its own schema
// of the same database, with no native dependencies.
import PgBoss from 'pg-boss';
import type pg from 'pg';
import type { JobQueue, JobRecord, JobName, JobState } from '../types.ts';
import { JOB_NAMES } from '../types.ts';

export { JOB_NAMES };
export const RETRY_LIMIT = 3;
export const RETRY_DELAY_SECONDS = 2;
const SCHEMA = 'pgboss';

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

const stateOf = (s: string): JobState => (s === 'created' ? 'queued' : s === 'cancelled' ? 'failed' : (s as JobState));

interface BossRow {
  id: string;
  name: string;
  data: { key?: string; [k: string]: unknown };
  state: string;
  retry_count: number;
  output: unknown;
  created_on: Date;
  completed_on: Date | null;
  singleton_key: string | null;
}

function jobOf(r: BossRow): JobRecord {
  const { ...data } = r.data ?? {};
  const state = stateOf(r.state);
  const j: JobRecord = {
    id: r.id,
    name: r.name as JobName,
    key: r.singleton_key ?? '',
    data,
    state,
    // pg-boss counts retries; the first run is attempt 1
    attempts: r.retry_count + (state === 'queued' ? 0 : 1),
    createdAt: new Date(r.created_on).toISOString(),
  };
  if (state === 'failed' && r.output) j.error = (r.output as { message?: string }).message ?? JSON.stringify(r.output);
  else if (r.output != null) j.output = r.output;
  if (r.completed_on) j.finishedAt = new Date(r.completed_on).toISOString();
  return j;
}

export async function createPgBossJobQueue(
  url: string,
  pool: pg.Pool,
  options: { supervise: boolean; leaseSeconds: number },
): Promise<JobQueue & { close(): Promise<void> }> {
  const boss = new PgBoss({
    connectionString: url,
    schema: SCHEMA,
    max: 4,
    supervise: options.supervise,
    schedule: false,
    maintenanceIntervalSeconds: Math.max(1, Math.min(60, Math.floor(options.leaseSeconds / 2))),
  });
  let lastError: unknown;
  boss.on('error', (err) => {
    lastError = err;
  });
  await boss.start();
  for (const name of JOB_NAMES)
    await boss.createQueue(name, {
      name,
      policy: 'stately',
      retryLimit: RETRY_LIMIT,
      retryDelay: RETRY_DELAY_SECONDS,
      retryBackoff: true,
      expireInSeconds: options.leaseSeconds,
    });
  const running = new Set<{ stop(): Promise<void> }>();
  // The lease: pg-boss's maintenance fails (and retries) an active job once started_on + expire_in is past. While
  // a handler runs, its worker pushes expire_in forward every third of the lease, fenced by the attempt it holds,
  // so the job expires only a lease after its worker was last heard from.
  const beatMs = Math.max(200, (options.leaseSeconds * 1000) / 3);
  const heartbeat = (id: string, name: string, attempt: number, onError?: (err: unknown) => void): (() => void) => {
    const t = setInterval(() => {
      pool
        .query(
          `UPDATE ${SCHEMA}.job SET expire_in = (now() - started_on) + make_interval(secs => $3)
           WHERE name = $1 AND id = $2 AND state = 'active' AND retry_count = $4`,
          [name, id, options.leaseSeconds, attempt - 1],
        )
        .catch((err: unknown) => onError?.(err));
    }, beatMs);
    return () => clearInterval(t);
  };
  const select = `SELECT id, name, data, state, retry_count, output, created_on, completed_on, singleton_key`;
  const getMany = async (ids: string[]): Promise<JobRecord[]> => {
    const { rows } = await pool.query(
      `${select} FROM ${SCHEMA}.job WHERE id = ANY($1::uuid[])
       UNION ALL ${select} FROM ${SCHEMA}.archive WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return rows.map(jobOf);
  };

  return {
    async enqueue(job) {
      const id = await boss.send(job.name, job.data, {
        singletonKey: job.key,
        expireInSeconds: options.leaseSeconds,
      });
      if (id) return { id, deduplicated: false };
      const { rows } = await pool.query(
        `SELECT id FROM ${SCHEMA}.job WHERE name = $1 AND singleton_key = $2 AND state < 'completed' LIMIT 1`,
        [job.name, job.key],
      );
      if (!rows[0]) throw new Error(`job ${job.name} ${job.key}: pg-boss refused it and no live job holds its key`);
      return { id: rows[0].id, deduplicated: true };
    },

    async work(names, handler, wo = {}) {
      // Our own fetch loop rather than boss.work(): pg-boss 10's work() gives a handler at most the job's
      // expireInSeconds and then fails the job while the handler still runs, so a scan longer than the lease went
      // to a second worker although the first was alive. Here the lease is renewed while the handler runs (a
      // heartbeat, below), and only a worker that stops renewing it — killed, hung, cut off — loses the job.
      const poll = Math.max(0.2, wo.pollSeconds ?? 1) * 1000;
      const stopper = new AbortController();
      const signal = wo.signal ? AbortSignal.any([wo.signal, stopper.signal]) : stopper.signal;
      const runOne = async (name: JobName): Promise<boolean> => {
        const [job] = await boss.fetch<Record<string, unknown>>(name, { batchSize: 1 });
        if (!job) return false;
        const [rec] = await getMany([job.id]);
        const stopBeat = heartbeat(job.id, name, rec?.attempts ?? 1, wo.onError);
        try {
          if (!rec) throw new Error(`job ${job.id} vanished while being worked on`);
          const output = await handler(rec);
          stopBeat();
          await boss.complete(name, job.id, (output ?? null) as object);
        } catch (err) {
          stopBeat();
          wo.onError?.(err);
          const message = err instanceof Error ? err.message : String(err);
          await boss.fail(name, job.id, { message }).catch(wo.onError);
        }
        return true;
      };
      const loop = (async () => {
        while (!signal.aborted) {
          let ran = false;
          for (const name of names) {
            if (signal.aborted) break;
            try {
              ran = (await runOne(name)) || ran;
            } catch (err) {
              wo.onError?.(err); // the database is unreachable: try again after a poll
            }
          }
          if (!ran) await sleep(poll, signal);
        }
      })();
      const handle = {
        async stop() {
          stopper.abort();
          await loop;
          running.delete(handle);
        },
      };
      running.add(handle);
      return handle;
    },

    async get(id) {
      if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
      const [j] = await getMany([id]);
      return j;
    },
    async stats() {
      const { rows } = await pool.query(
        `SELECT state, COUNT(*)::int AS n FROM ${SCHEMA}.job WHERE name = ANY($1) GROUP BY state`,
        [JOB_NAMES],
      );
      const n = (s: string): number => Number(rows.find((r) => r.state === s)?.n ?? 0);
      return {
        queued: n('created') + n('retry'),
        active: n('active'),
        completed: n('completed'),
        failed: n('failed') + n('cancelled'),
      };
    },
    async durations(limit) {
      const { rows } = await pool.query(
        `SELECT name, EXTRACT(EPOCH FROM completed_on - started_on)::float AS seconds FROM ${SCHEMA}.job
         WHERE name = ANY($1) AND state = 'completed' ORDER BY completed_on DESC LIMIT $2`,
        [JOB_NAMES, limit],
      );
      return rows.map((r) => ({ name: r.name as JobName, seconds: Number(r.seconds) }));
    },
    async close() {
      void lastError;
      await Promise.all([...running].map((h) => h.stop()));
      await boss.stop({ graceful: true, wait: true, timeout: 30000 });
    },
  };
}
