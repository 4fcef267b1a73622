// A real PostgreSQL 15 for tests (Debian's postgresql-15): a throwaway cluster in a temp folder on 127.0.0.1 and a
// free port, trust authentication, fsync off, stopped and deleted after. PostgreSQL refuses to run as root, so as
// root the cluster belongs to the `postgres` user. Tests skip, saying why, when the server binaries are absent.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './registry.ts';

const run = promisify(execFile);
export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface RunningPostgres {
  /** postgres://zc@127.0.0.1:PORT/DB */
  url: string;
  port: number;
  /** another database in the same cluster (a clean one per test suite) */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export function postgresSkip(): false | string {
  return existsSync(join(PG_BIN, 'pg_ctl'))
    ? false
    : `PostgreSQL 15 server not installed (${PG_BIN}/pg_ctl missing: apt-get install postgresql-15)`;
}

async function asPostgres(cmd: string, args: string[]): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  if (isRoot) await run('runuser', ['-u', 'postgres', '--', cmd, ...args]);
  else await run(cmd, args);
}

export async function startPostgres(): Promise<RunningPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'zc-pg-'));
  chmodSync(dir, 0o755);
  if (process.getuid?.() === 0) await run('chown', ['postgres:postgres', dir]);
  const data = join(dir, 'data');
  await asPostgres(join(PG_BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'zc', '--no-sync']);
  const port = await freePort();
  await asPostgres(join(PG_BIN, 'pg_ctl'), [
    '-D',
    data,
    '-o',
    `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
    '-l',
    join(dir, 'log'),
    '-w',
    'start',
  ]);
  const base = `postgres://zc@127.0.0.1:${port}`;
  const createDatabase = async (name: string): Promise<string> => {
    await run(join(PG_BIN, 'psql'), [`${base}/postgres`, '-q', '-c', `CREATE DATABASE ${name}`]);
    return `${base}/${name}`;
  };
  return {
    url: await createDatabase('zerocve'),
    port,
    createDatabase,
    async stop() {
      await asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
