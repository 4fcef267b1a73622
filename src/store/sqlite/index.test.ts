// The common store suite on the embedded SQLite database in a temp data folder, plus what is SQLite's own.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStoreSuite } from '../common.case.ts';
import { openSqliteStore, DB_FILE } from './index.ts';
import { DatabaseSync } from 'node:sqlite';

const root = mkdtempSync(join(tmpdir(), 'zc-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
let last = '';

runStoreSuite('sqlite', {
  async open(reopen, o = {}) {
    if (!reopen) last = join(root, `d${++n}`);
    return openSqliteStore(last, { jobLeaseSeconds: o.jobLeaseSeconds ?? 30 });
  },
});

test('sqlite: the data folder holds one WAL-journaled database', async () => {
  const dir = join(root, 'wal');
  const s = await openSqliteStore(dir);
  await s.putCatalog({ repository: 'r/a', tier: 'golden', policy: {}, tags: [] });
  assert.ok(existsSync(join(dir, DB_FILE)));
  const db = new DatabaseSync(join(dir, DB_FILE), { readOnly: true });
  assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
  db.close();
  await s.close();
});

test('sqlite: processes opening one new data folder at once all open it (serve beside `zerocve token`)', async () => {
  const { spawn } = await import('node:child_process');
  for (let round = 0; round < 5; round++) {
    const dir = join(root, `race${round}`);
    const code = `const { openSqliteStore } = await import(${JSON.stringify(import.meta.resolve('./index.ts'))});
      const s = await openSqliteStore(${JSON.stringify(dir)}); await s.close();`;
    const runs = Array.from({ length: 6 }, () => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d));
      return new Promise<string>((res) => child.on('close', (c) => res(c === 0 ? '' : err || `exit ${c}`)));
    });
    const errors = (await Promise.all(runs)).filter(Boolean);
    assert.deepEqual(errors, [], `round ${round}`);
  }
});
