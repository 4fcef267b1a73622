// The job queue on SQLite: a table in the service's own database. pg-boss and graphile-worker are PostgreSQL-only
// (they rely on SKIP LOCKED and LISTEN/NOTIFY), so the embedded service keeps the same contract on a table here:
// at-least-once delivery through leases renewed by a heartbeat while the job runs (a job whose worker died is
// taken again when its lease runs out; a live worker keeps its job however long it takes),
// retries with exponential backoff, at most one queued-or-running job per key, and a completion fenced by the
// attempt number so a worker whose lease ran out cannot complete a job another worker has taken.
import type { Sql, Row } from '../sql.ts';
import type { JobQueue, JobRecord, JobName, JobState } from '../types.ts';

export const MAX_ATTEMPTS = 4;
/** first retry delay; doubled on each further attempt */
export const RETRY_DELAY_SECONDS = 2;

const jobOf = (r: Row): JobRecord => {
  const j: JobRecord = {
    id: String(r.id),
    name: r.name as JobName,
    key: String(r.key),
    data: JSON.parse(String(r.data)),
    state: r.state as JobState,
    attempts: Number(r.attempts),
    createdAt: String(r.created_at),
  };
  if (r.error != null) j.error = String(r.error);
  if (r.output != null) j.output = JSON.parse(String(r.output));
  if (r.finished_at != null) j.finishedAt = String(r.finished_at);
  return j;
};

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

export function createSqliteJobQueue(
  sql: Sql,
  options: { leaseSeconds: number },
): JobQueue & { close(): Promise<void> } {
  const running = new Set<{ stop(): Promise<void> }>();
  const queue: JobQueue & { close(): Promise<void> } = {
    async enqueue(job) {
      return sql.tx(async (q) => {
        const [live] = await q.all(
          "SELECT id FROM jobs WHERE name = ? AND key = ? AND state IN ('queued', 'retry', 'active')",
          [job.name, job.key],
        );
        if (live) return { id: String(live.id), deduplicated: true };
        const [r] = await q.all(
          `INSERT INTO jobs (name, key, data, state, max_attempts, run_after, created_at)
           VALUES (?, ?, ?, 'queued', ?, 0, ?) RETURNING id`,
          [job.name, job.key, JSON.stringify(job.data), MAX_ATTEMPTS, new Date().toISOString()],
        );
        return { id: String(r.id), deduplicated: false };
      });
    },

    async work(names, handler, wo = {}) {
      const lease = options.leaseSeconds * 1000;
      const poll = (wo.pollSeconds ?? 1) * 1000;
      const stopper = new AbortController();
      const signal = wo.signal ? AbortSignal.any([wo.signal, stopper.signal]) : stopper.signal;
      const marks = names.map(() => '?').join(', ');

      const claim = async (): Promise<JobRecord | undefined> =>
        sql.tx(async (q) => {
          const t = Date.now();
          // a lease that ran out counts as a failed attempt; past the last attempt the job fails
          await q.run(
            `UPDATE jobs SET state = 'failed', error = 'lease expired on the last attempt', finished_at = ?
             WHERE state = 'active' AND lease_until < ? AND attempts >= max_attempts`,
            [new Date().toISOString(), t],
          );
          const [r] = await q.all(
            `UPDATE jobs SET state = 'active', attempts = attempts + 1, lease_until = ?, started_at = ?
             WHERE id = (SELECT id FROM jobs WHERE name IN (${marks})
               AND ((state IN ('queued', 'retry') AND run_after <= ?) OR (state = 'active' AND lease_until < ?))
               ORDER BY id LIMIT 1)
             RETURNING *`,
            [t + lease, t, ...names, t, t],
          );
          return r ? jobOf(r) : undefined;
        });

      const finish = async (job: JobRecord, outcome: { output?: unknown; error?: unknown }): Promise<void> => {
        await sql.tx(async (q) => {
          const [r] = await q.all('SELECT started_at FROM jobs WHERE id = ?', [job.id]);
          const seconds = r ? (Date.now() - Number(r.started_at)) / 1000 : 0;
          const fence = "id = ? AND state = 'active' AND attempts = ?";
          if (!('error' in outcome)) {
            await q.run(
              `UPDATE jobs SET state = 'completed', output = ?, finished_at = ?, seconds = ?, lease_until = NULL
               WHERE ${fence}`,
              [JSON.stringify(outcome.output ?? null), new Date().toISOString(), seconds, job.id, job.attempts],
            );
            return;
          }
          const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
          const delay = RETRY_DELAY_SECONDS * 1000 * 2 ** (job.attempts - 1);
          await q.run(
            `UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'retry' END,
               error = ?, run_after = ?, lease_until = NULL, seconds = ?,
               finished_at = CASE WHEN attempts >= max_attempts THEN ? ELSE NULL END
             WHERE ${fence}`,
            [message, Date.now() + delay, seconds, new Date().toISOString(), job.id, job.attempts],
          );
        });
      };

      const loop = (async () => {
        while (!signal.aborted) {
          let job: JobRecord | undefined;
          try {
            job = await claim();
          } catch (err) {
            wo.onError?.(err);
          }
          if (!job) {
            await sleep(poll, signal);
            continue;
          }
          // the heartbeat: the lease is renewed every third of it while the handler runs, fenced by the attempt,
          // so a long job stays with a live worker and goes to another only a lease after its worker went silent
          const claimed = job;
          const beat = setInterval(
            () => {
              sql
                .run(`UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'active' AND attempts = ?`, [
                  Date.now() + lease,
                  claimed.id,
                  claimed.attempts,
                ])
                .catch((err: unknown) => wo.onError?.(err));
            },
            Math.max(200, lease / 3),
          );
          try {
            const output = await handler(job);
            clearInterval(beat);
            await finish(job, { output });
          } catch (err) {
            clearInterval(beat);
            wo.onError?.(err);
            await finish(job, { error: err }).catch(wo.onError);
          }
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
      const [r] = await sql.all('SELECT * FROM jobs WHERE id = ?', [Number(id)]);
      return r ? jobOf(r) : undefined;
    },
    async stats() {
      const rows = await sql.all('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state');
      const n = (s: string): number => Number(rows.find((r) => r.state === s)?.n ?? 0);
      return { queued: n('queued') + n('retry'), active: n('active'), completed: n('completed'), failed: n('failed') };
    },
    async durations(limit) {
      const rows = await sql.all(
        "SELECT name, seconds FROM jobs WHERE state = 'completed' AND seconds IS NOT NULL ORDER BY id DESC LIMIT ?",
        [limit],
      );
      return rows.map((r) => ({ name: r.name as JobName, seconds: Number(r.seconds) }));
    },
    async close() {
      await Promise.all([...running].map((h) => h.stop()));
    },
  };
  return queue;
}
