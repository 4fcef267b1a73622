// An exclusive lock on a file path (`<path>.lock`) that holds between processes AND between callers inside one
// process, without any module-level state: the lock file is created with O_EXCL and names its holder (host, pid,
// process start time, a random token). Two imports in one process are two holders with different tokens, so the
// second waits for the first exactly as a second process would.
//
// A lock is stale, and taken over, when its holder is gone: on this host a pid that no longer exists, or our own pid
// with another process start time (a killed predecessor whose pid we inherited, common in containers), or a
// heartbeat (the file's mtime, touched every HEARTBEAT_MS by the holder) older than STALE_MS (a holder on another
// host, or a pid reused by an unrelated process). Breaking a stale lock is itself serialized by `<path>.lock.break`
// (O_EXCL), and the breaker re-reads the token before removing it, so two waiters never both break it and never
// remove a live holder's fresh lock.
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseError, reasonOf } from '../core/errors.ts';

export const HEARTBEAT_MS = 10_000;
export const STALE_MS = 120_000;

export interface LockHolder {
  host: string;
  pid: number;
  /** the holder process's start time (performance.timeOrigin) */
  started: number;
  token: string;
  /** when the lock was taken (ISO time) */
  since: string;
}

export interface FileLock {
  /** the locked path (the lock file is `<path>.lock`) */
  readonly path: string;
  readonly token: string;
  /** removes the lock file if it is still ours; idempotent */
  release(): void;
}

export interface LockOptions {
  signal?: AbortSignal;
  /** give up after this long (default: wait as long as the holder is alive) */
  timeoutMs?: number;
  /** called once when the lock is found held, with its holder */
  onWait?: (holder: LockHolder) => void;
}

export const lockFileOf = (path: string): string => `${path}.lock`;

function readHolder(lock: string): { holder?: LockHolder; mtimeMs: number } | undefined {
  let mtimeMs: number;
  let text: string;
  try {
    mtimeMs = statSync(lock).mtimeMs;
    text = readFileSync(lock, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    if (typeof h.token === 'string' && typeof h.pid === 'number') return { holder: h, mtimeMs };
  } catch {
    /* being written, or foreign: judged by age below */
  }
  return { mtimeMs };
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the lock described can be taken over (see the file comment). */
export function isStale(holder: LockHolder | undefined, mtimeMs: number, now = Date.now()): boolean {
  if (now - mtimeMs > STALE_MS) return true;
  if (!holder) return false; // a lock file being written right now: give it time
  if (holder.host !== hostname()) return false;
  if (holder.pid === process.pid) return holder.started !== performance.timeOrigin;
  return !pidAlive(holder.pid);
}

function tryCreate(lock: string, holder: LockHolder): boolean {
  try {
    writeFileSync(lock, JSON.stringify(holder), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Removes the lock if it still carries `token`, under the breaker lock; true when removed. */
function breakStale(lock: string, token: string | undefined, mtimeMs: number): boolean {
  const breaker = `${lock}.break`;
  try {
    writeFileSync(breaker, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // a breaker that died mid-break would block everyone: it is only held for a few system calls
    try {
      if (Date.now() - statSync(breaker).mtimeMs > 30_000) rmSync(breaker, { force: true });
    } catch {
      /* gone meanwhile */
    }
    return false;
  }
  try {
    const now = readHolder(lock);
    if (!now) return true;
    if (now.holder?.token !== token || (token === undefined && now.mtimeMs !== mtimeMs)) return false;
    rmSync(lock, { force: true });
    return true;
  } finally {
    rmSync(breaker, { force: true });
  }
}

/** Takes the lock without waiting: the lock, or the current holder. */
export function tryLock(path: string): FileLock | { held: LockHolder | undefined } {
  const lock = lockFileOf(path);
  const me: LockHolder = {
    host: hostname(),
    pid: process.pid,
    started: performance.timeOrigin,
    token: randomUUID(),
    since: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(lock, me)) return held(path, lock, me.token);
    const cur = readHolder(lock);
    if (!cur) continue; // released meanwhile
    if (!isStale(cur.holder, cur.mtimeMs)) return { held: cur.holder };
    breakStale(lock, cur.holder?.token, cur.mtimeMs);
  }
  return { held: readHolder(lock)?.holder };
}

function held(path: string, lock: string, token: string): FileLock {
  const beat = setInterval(() => {
    try {
      const t = new Date();
      utimesSync(lock, t, t);
    } catch {
      /* removed by release */
    }
  }, HEARTBEAT_MS);
  beat.unref();
  let released = false;
  return {
    path,
    token,
    release() {
      if (released) return;
      released = true;
      clearInterval(beat);
      if (readHolder(lock)?.holder?.token === token) rmSync(lock, { force: true });
    },
  };
}

/**
 * Takes the lock, waiting (polling, 25 ms growing to 500 ms) while a live holder has it. Throws DatabaseError on
 * timeout or when the lock file cannot be created at all; an AbortError when the signal fires.
 */
export async function lock(path: string, options: LockOptions = {}): Promise<FileLock> {
  const started = Date.now();
  let delay = 25;
  let told = false;
  for (;;) {
    options.signal?.throwIfAborted();
    let r: ReturnType<typeof tryLock>;
    try {
      r = tryLock(path);
    } catch (err) {
      throw new DatabaseError(`cannot lock ${path}: ${reasonOf(err)}`, { cause: err });
    }
    if (!('held' in r)) return r;
    if (!told && r.held) {
      told = true;
      options.onWait?.(r.held);
    }
    if (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs) {
      const h = r.held;
      throw new DatabaseError(
        `${path} is locked${h ? ` by process ${h.pid} on ${h.host} since ${h.since}` : ''} (lock ` +
          `${lockFileOf(path)}): gave up after ${Math.round(options.timeoutMs / 1000)} s`,
      );
    }
    await sleep(delay, undefined, { signal: options.signal });
    delay = Math.min(500, delay * 2);
  }
}
