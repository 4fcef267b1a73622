// The server home: PostgreSQL through the `pg` driver. The service's tables and pg-boss's job schema live in the
// same database, so a server and any number of workers on other machines share one queue and one set of results.
import pg from 'pg';
import { DatabaseError } from '../../core/errors.ts';
import type { Sql } from '../sql.ts';
import { migrate, numberPlaceholders } from '../sql.ts';
import { MIGRATIONS } from '../schema.ts';
import { createSqlStore } from '../sql-store.ts';
import { createPgBossJobQueue } from './jobs.ts';
import type { ServiceStore } from '../types.ts';
import { DEFAULT_JOB_LEASE_SECONDS } from '../types.ts';

type Queryable = Pick<pg.PoolClient, 'query'>;

function sqlOn(client: Queryable, inTx: (fn: (q: Sql) => Promise<unknown>) => Promise<unknown>): Sql {
  return {
    dialect: 'postgres',
    async all(sql, params = []) {
      return (await client.query(numberPlaceholders(sql), params)).rows;
    },
    async run(sql, params = []) {
      return { changes: (await client.query(numberPlaceholders(sql), params)).rowCount ?? 0 };
    },
    tx: inTx as Sql['tx'],
  };
}

function createPgSql(pool: pg.Pool): Sql {
  const tx = async <T>(fn: (q: Sql) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const inner: Sql = sqlOn(client, (f) => f(inner));
      const r = await fn(inner);
      await client.query('COMMIT');
      return r;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  };
  return sqlOn(pool, tx as never);
}

/** a connection string without its password, for messages */
export const redactUrl = (url: string): string => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

export interface PostgresStoreOptions {
  /** run pg-boss's maintenance (expiring the leases of dead workers, archiving) in this process */
  supervise?: boolean;
  /** seconds a worker may hold a job before another takes it */
  jobLeaseSeconds?: number;
}

export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<ServiceStore> {
  // bigint columns come back as numbers (ids and counts fit in 2^53)
  pg.types.setTypeParser(20, (v) => Number(v));
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  pool.on('error', () => undefined); // an idle client's error surfaces on the next query
  let version: number;
  try {
    version = await migrate(createPgSql(pool), MIGRATIONS);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new DatabaseError(`database ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
  }
  const sql = createPgSql(pool);
  const jobs = await createPgBossJobQueue(url, pool, {
    supervise: options.supervise ?? true,
    leaseSeconds: options.jobLeaseSeconds ?? DEFAULT_JOB_LEASE_SECONDS,
  });
  return createSqlStore(sql, {
    jobs,
    schemaVersion: version,
    close: async () => {
      await jobs.close();
      await pool.end();
    },
  });
}
