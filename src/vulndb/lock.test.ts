// The database lock holds between processes and between callers inside one process; stale locks are taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { importSources } from './import.ts';
import { dbStatus } from './update.ts';
import { lock, tryLock, lockFileOf } from './lock.ts';

const GHSA = 'vulndata/ghsa-sample';
const skip = corpusSkip(GHSA);
const sourcesOf = (db: string): string[] =>
  dbStatus(db)
    .sources.map((s) => s.name)
    .sort();
const settled = async (p: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => true), sleep(ms).then(() => false)]);

test('two imports into one database in one process are serialized: both sources survive', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'zerocve.db');
  const input = corpusPath(GHSA)!;
  // three at once: without a lock each copies the same old file and the last rename drops the others' rows
  await Promise.all(['one', 'two', 'three'].map((source) => importSources(db, [{ path: input, source }])));
  assert.deepEqual(sourcesOf(db), ['one', 'three', 'two']);
  assert.deepEqual(
    readdirSync(dir).filter((n) => n !== 'zerocve.db'),
    [],
    'no temp or lock files left',
  );

  // an import waits while another holder in this process has the lock, and goes on when it is released
  const held = await lock(db);
  const waiting = importSources(db, [{ path: input, source: 'four' }]);
  assert.equal(await settled(waiting, 400), false, 'import waited for the lock');
  const third = tryLock(db);
  assert.ok('held' in third && third.held?.pid === process.pid, 'a third caller sees it held by this process');
  held.release();
  await waiting;
  assert.deepEqual(sourcesOf(db), ['four', 'one', 'three', 'two']);
});

const CHILD = `
import { importSources } from ${JSON.stringify(resolve(import.meta.dirname, 'import.ts'))};
const [db, input, source] = process.argv.slice(2);
await importSources(db, [{ path: input, source }]);
process.stdout.write('imported ' + source);
`;

function child(
  script: string,
  args: string[],
): { done: Promise<{ code: number; out: string }>; exited: () => boolean } {
  const c = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let exited = false;
  c.stdout.on('data', (b: Buffer) => (out += b));
  c.stderr.on('data', (b: Buffer) => (out += b));
  const done = new Promise<{ code: number; out: string }>((r) =>
    c.on('close', (code) => {
      exited = true;
      r({ code: code ?? -1, out });
    }),
  );
  return { done, exited: () => exited };
}

test('imports from two processes wait for each other instead of failing or losing rows', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'zerocve.db');
  const script = join(dir, 'import-child.ts');
  writeFileSync(script, CHILD);
  const input = corpusPath(GHSA)!;

  // this process holds the lock: the other process waits (it neither fails nor builds)
  const held = await lock(db);
  const a = child(script, [db, input, 'child-a']);
  await sleep(1500);
  assert.equal(a.exited(), false, 'the other process is waiting');
  assert.equal(existsSync(db), false);
  held.release();
  const ra = await a.done;
  assert.equal(ra.code, 0, ra.out);

  // two processes at once, and this one too
  const b = child(script, [db, input, 'child-b']);
  const c = child(script, [db, input, 'child-c']);
  await importSources(db, [{ path: input, source: 'parent' }]);
  for (const r of [await b.done, await c.done]) assert.equal(r.code, 0, r.out);
  assert.deepEqual(sourcesOf(db), ['child-a', 'child-b', 'child-c', 'parent']);
});

test('a lock left by a killed process is taken over; a live one is not', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'zerocve.db');
  const input = corpusPath(GHSA)!;
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  const deadPid = Number(gone.stdout);
  const holder = (pid: number, started: number) =>
    JSON.stringify({ host: hostname(), pid, started, token: 'old', since: new Date().toISOString() });

  // a dead pid, and a temp file its build left behind
  writeFileSync(lockFileOf(db), holder(deadPid, 1));
  writeFileSync(`${db}.tmp-left-by-a-killed-build`, 'half a database');
  await importSources(db, [{ path: input, source: 'after-dead-pid' }]);
  assert.deepEqual(sourcesOf(db), ['after-dead-pid']);
  assert.deepEqual(readdirSync(dir).sort(), ['zerocve.db']);

  // our own pid but another process start time: a killed predecessor whose pid this process inherited
  writeFileSync(lockFileOf(db), holder(process.pid, performance.timeOrigin - 60_000));
  await importSources(db, [{ path: input, source: 'after-reused-pid' }]);
  assert.deepEqual(sourcesOf(db), ['after-dead-pid', 'after-reused-pid']);

  // a live holder (this process's parent) is waited for, up to the timeout given
  writeFileSync(lockFileOf(db), holder(process.ppid, 1));
  await assert.rejects(lock(db, { timeoutMs: 300 }), /is locked by process \d+ .*gave up after/);
  rmSync(lockFileOf(db));
});
