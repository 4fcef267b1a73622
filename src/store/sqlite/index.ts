// The embedded home: one SQLite file in a data folder, WAL journal, every change in a transaction, so a process
// killed with `kill -9` leaves the database as of its last commit. Several processes may share the folder (a
// busy timeout serialises their writes).
import { DatabaseSync } from 'node:sqlite';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/errors.ts';
import type { Sql } from '../sql.ts';
import { migrate } from '../sql.ts';
import { MIGRATIONS, SQLITE_JOB_MIGRATIONS } from '../schema.ts';
import { createSqlStore } from '../sql-store.ts';
import { createSqliteJobQueue } from './jobs.ts';
import type { ServiceStore } from '../types.ts';
import { DEFAULT_JOB_LEASE_SECONDS } from '../types.ts';

export const DB_FILE = 'zerocve-service.db';

/** One connection, used by one async operation at a time: a transaction is never interleaved with another. */
function createSqliteSql(db: DatabaseSync): Sql {
  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn, fn);
    chain = p.catch(() => undefined);
    return p;
  };
  const direct: Sql = {
    dialect: 'sqlite',
    async all(sql, params = []) {
      return db.prepare(sql).all(...(params as never[])) as never;
    },
    async run(sql, params = []) {
      const r = db.prepare(sql).run(...(params as never[]));
      return { changes: Number(r.changes) };
    },
    async tx(fn) {
      return fn(direct);
    },
  };
  return {
    dialect: 'sqlite',
    all: (sql, params) => exclusive(() => direct.all(sql, params)),
    run: (sql, params) => exclusive(() => direct.run(sql, params)),
    tx: (fn) =>
      exclusive(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const r = await fn(direct);
          db.exec('COMMIT');
          return r;
        } catch (err) {
          db.exec('ROLLBACK');
          throw err;
        }
      }),
  };
}

export async function openSqliteStore(
  dataDir: string,
  options: { jobLeaseSeconds?: number } = {},
): Promise<ServiceStore> {
  let db: DatabaseSync;
  try {
    mkdirSync(dataDir, { recursive: true });
    db = new DatabaseSync(join(dataDir, DB_FILE));
  } catch (err) {
    throw new InputError(`data folder ${dataDir}: cannot open the service database: ${(err as Error).message}`, {
      cause: err,
    });
  }
  // the busy timeout first: switching a new file to WAL takes a lock, and a second process opening the same new
  // folder at the same moment (serve and `zerocve token`) must wait for it, not fail with "database is locked"
  db.exec('PRAGMA busy_timeout = 10000');
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  const sql = createSqliteSql(db);
  const version = await migrate(sql, [...MIGRATIONS, ...SQLITE_JOB_MIGRATIONS]);
  const jobs = createSqliteJobQueue(sql, { leaseSeconds: options.jobLeaseSeconds ?? DEFAULT_JOB_LEASE_SECONDS });
  return createSqlStore(sql, {
    jobs,
    schemaVersion: version,
    close: async () => {
      await jobs.close();
      db.close();
    },
  });
}
