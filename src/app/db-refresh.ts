// The vulnerability database kept fresh by a long-running process (`zerocve serve`, `zerocve worker`): the same
// update as a scan's automatic one (ensureDb: only feeds older than maxAgeHours, conditional downloads, the
// database's cross-process lock, an atomic rename), asked for every feed the database already holds instead of one
// image's ecosystems. A database that does not exist yet is built from every default feed, as `db update` does.
import { existsSync } from 'node:fs';
import { ensureDb, defaultFeeds, type EnsureDbOptions, type EnsureDbResult } from '../vulndb/index.ts';

export type RefreshDbOptions = Omit<EnsureDbOptions, 'ecosystems'>;

export async function refreshDb(dbPath: string, options: RefreshDbOptions): Promise<EnsureDbResult> {
  const feeds = options.feeds ?? defaultFeeds({ baseUrl: options.baseUrl, now: options.now });
  const ecosystems = existsSync(dbPath) ? [] : [...new Set(feeds.flatMap((f) => f.ecosystems ?? []))];
  return ensureDb(dbPath, { ...options, feeds, ecosystems });
}
