// The common store suite on a real PostgreSQL 15 started for this file (a fresh database per test).
import { before, after } from 'node:test';
import { runStoreSuite } from '../common.case.ts';
import { openPostgresStore } from './index.ts';
import { startPostgres, postgresSkip, type RunningPostgres } from '../../../test/support/postgres.ts';

const skip = postgresSkip();
let pg: RunningPostgres | undefined;
let n = 0;
let last = '';

if (skip) {
  const { test } = await import('node:test');
  test('postgres store suite', { skip }, () => {});
} else {
  before(async () => {
    pg = await startPostgres();
  });
  after(async () => {
    await pg?.stop();
  });
  runStoreSuite('postgres', {
    async open(reopen, o = {}) {
      if (!reopen) last = await pg!.createDatabase(`t${++n}`);
      return openPostgresStore(last, { jobLeaseSeconds: o.jobLeaseSeconds ?? 30 });
    },
  });
}
