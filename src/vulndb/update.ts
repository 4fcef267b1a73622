// `db update`: download the feeds (conditional, resumable, verified) into a cache folder, then import what changed
// in one atomic build. `db status`: what the database holds and how old it is.
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  createReadStream,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { DatabaseError, InputError, RegistryError, reasonOf } from '../core/errors.ts';
import { importSources, type ImportInput, type ImportSummary, type SourceKind } from './import.ts';
import { openZip } from './read-zip.ts';
import { openStore, type SourceStatus, type StoreStatus } from './store.ts';
import { lock, tryLock, type FileLock, type LockHolder } from './lock.ts';

export interface FeedSource {
  /** source name in the database, e.g. `osv:PyPI` */
  name: string;
  kind: SourceKind;
  url: string;
  /** cached file name (its extension tells how to verify: .zip, .gz, else size only) */
  file: string;
  /**
   * advisory ecosystems (without release: `Debian`, `PyPI`) the feed serves; absent: enrichment every scan uses
   * (KEV, EPSS). A first update for a scan fetches only the feeds of the image's ecosystems.
   */
  ecosystems?: string[];
}

export const DEFAULT_OSV_ECOSYSTEMS = [
  'PyPI',
  'Debian',
  'Ubuntu',
  'Alpine',
  'Wolfi',
  'Chainguard',
  'Red Hat',
  'Rocky Linux',
  'AlmaLinux',
  'Go',
  'npm',
  'crates.io',
  'Maven',
];

/**
 * The feeds `db update` fetches. With `baseUrl` (a mirror, or a test server) every feed comes from under it:
 * `<base>/osv/<ecosystem>/all.zip`, `<base>/debian/json`, `<base>/kev/known_exploited_vulnerabilities.json`,
 * `<base>/epss/epss_scores-current.csv.gz`.
 */
export function defaultFeeds(opts: { baseUrl?: string; osvEcosystems?: string[] } = {}): FeedSource[] {
  const b = opts.baseUrl?.replace(/\/+$/, '');
  const osvBase = b ? `${b}/osv` : 'https://osv-vulnerabilities.storage.googleapis.com';
  return [
    ...(opts.osvEcosystems ?? DEFAULT_OSV_ECOSYSTEMS).map((eco): FeedSource => ({
      name: `osv:${eco}`,
      kind: 'osv',
      url: `${osvBase}/${encodeURIComponent(eco)}/all.zip`,
      file: 'all.zip',
      ecosystems: [eco],
    })),
    {
      name: 'debian-tracker',
      kind: 'debian',
      url: b ? `${b}/debian/json` : 'https://security-tracker.debian.org/tracker/data/json',
      file: 'debian-tracker.json',
      ecosystems: ['Debian'],
    },
    {
      name: 'kev',
      kind: 'kev',
      url: b
        ? `${b}/kev/known_exploited_vulnerabilities.json`
        : 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json',
      file: 'kev.json',
    },
    {
      name: 'epss',
      kind: 'epss',
      url: b ? `${b}/epss/epss_scores-current.csv.gz` : 'https://epss.empiricalsecurity.com/epss_scores-current.csv.gz',
      file: 'epss.csv.gz',
    },
  ];
}

export interface UpdateOptions {
  /** folder for downloads (kept between runs: validators and partial files live there) */
  cacheDir: string;
  /** default defaultFeeds({ baseUrl, osvEcosystems }) */
  sources?: FeedSource[];
  baseUrl?: string;
  osvEcosystems?: string[];
  fetch?: typeof fetch;
  signal?: AbortSignal;
  onProgress?: (p: {
    source: string;
    phase: 'download' | 'import';
    bytes?: number;
    records?: number;
    done: boolean;
  }) => void;
  now?: Date;
  /** the database's lock when the caller already holds it */
  lock?: FileLock;
  /** called when another process (or another update in this one) holds the lock and this one waits */
  onWait?: (holder: LockHolder) => void;
  /** a feed that cannot be fetched becomes a `failed` entry instead of failing the update (auto-update) */
  keepGoing?: boolean;
}

export interface FeedResult {
  name: string;
  url: string;
  /** downloaded: fresh copy; resumed: finished a partial download; not-modified: the server said 304 */
  status: 'downloaded' | 'resumed' | 'not-modified';
  /** bytes received in this run */
  bytes: number;
  file: string;
}

export interface UpdateSummary {
  feeds: FeedResult[];
  /** feeds that could not be fetched (only with keepGoing): the database keeps their previous rows */
  failed?: { name: string; url: string; message: string }[];
  /** absent when nothing changed and the database already had every source */
  import?: ImportSummary;
}

interface Validators {
  etag?: string;
  lastModified?: string;
  size?: number;
  url?: string;
  /** when upstream last confirmed this copy (a 200 or a 304) */
  checkedAt?: string;
}

const readMeta = (p: string): Validators | undefined => {
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as Validators;
  } catch {
    return undefined;
  }
};

async function verify(file: string, kindFile: string, name: string): Promise<void> {
  if (/\.zip$/i.test(kindFile)) {
    const zip = openZip(file);
    try {
      for (const e of zip.entries) if (!e.name.endsWith('/')) zip.read(e);
    } finally {
      zip.close();
    }
  } else if (/\.gz$/i.test(kindFile)) {
    try {
      await pipeline(createReadStream(file), createGunzip(), async function* (src) {
        for await (const _ of src) {
          /* drain */
        }
      });
    } catch (err) {
      throw new InputError(`feed ${name} download ${file} is not valid gzip: ${reasonOf(err)}`, { cause: err });
    }
  }
}

async function download(feed: FeedSource, dir: string, options: UpdateOptions): Promise<FeedResult> {
  const doFetch = options.fetch ?? fetch;
  const file = join(dir, feed.file);
  const part = `${file}.part`;
  const meta = readMeta(`${file}.meta.json`);
  const partMeta = readMeta(`${part}.meta.json`);
  const headers: Record<string, string> = {};
  let offset = 0;
  if (existsSync(part) && partMeta && (partMeta.etag || partMeta.lastModified) && partMeta.url === feed.url) {
    offset = statSync(part).size;
    headers.range = `bytes=${offset}-`;
    headers['if-range'] = (partMeta.etag ?? partMeta.lastModified) as string;
  } else if (existsSync(file) && meta && meta.url === feed.url) {
    if (meta.etag) headers['if-none-match'] = meta.etag;
    if (meta.lastModified) headers['if-modified-since'] = meta.lastModified;
  }
  let res: Response;
  try {
    res = await doFetch(feed.url, { headers, signal: options.signal });
  } catch (err) {
    if ((err as Error)?.name === 'AbortError') throw err;
    throw new RegistryError(`feed ${feed.name}: ${feed.url} cannot be reached: ${reasonOf(err)}`, { cause: err });
  }
  if (res.status === 304) {
    await res.body?.cancel();
    if (meta) writeFileSync(`${file}.meta.json`, JSON.stringify({ ...meta, checkedAt: new Date().toISOString() }));
    return { name: feed.name, url: feed.url, status: 'not-modified', bytes: 0, file };
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    throw new RegistryError(`feed ${feed.name}: ${feed.url} answered HTTP ${res.status}`, { status: res.status });
  }
  const resumed = res.status === 206 && offset > 0;
  if (!resumed) offset = 0;
  let total: number | undefined;
  if (resumed) {
    const m = /\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '');
    const start = /bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
    if (!start || Number(start[1]) !== offset) {
      await res.body?.cancel();
      throw new RegistryError(
        `feed ${feed.name}: ${feed.url} resumed at the wrong offset (${res.headers.get('content-range')})`,
      );
    }
    if (m) total = Number(m[1]);
  } else if (res.headers.get('content-length')) total = Number(res.headers.get('content-length'));
  const validators: Validators = { url: feed.url };
  const etag = res.headers.get('etag');
  if (etag) validators.etag = etag;
  const lm = res.headers.get('last-modified');
  if (lm) validators.lastModified = lm;
  writeFileSync(`${part}.meta.json`, JSON.stringify(validators));
  let bytes = 0;
  const counted = async function* (src: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of src) {
      bytes += chunk.length;
      options.onProgress?.({ source: feed.name, phase: 'download', bytes: offset + bytes, done: false });
      yield chunk;
    }
  };
  if (!res.body) throw new RegistryError(`feed ${feed.name}: ${feed.url} sent no body`);
  await pipeline(
    Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>),
    counted,
    createWriteStream(part, { flags: resumed ? 'a' : 'w' }),
    { signal: options.signal },
  );
  const size = statSync(part).size;
  if (total !== undefined && size !== total) {
    throw new RegistryError(`feed ${feed.name}: ${feed.url} ended after ${size} of ${total} bytes (kept for resuming)`);
  }
  await verify(part, feed.file, feed.name).catch(async (err) => {
    rmSync(part, { force: true });
    rmSync(`${part}.meta.json`, { force: true });
    throw err;
  });
  renameSync(part, file);
  writeFileSync(`${file}.meta.json`, JSON.stringify({ ...validators, size, checkedAt: new Date().toISOString() }));
  rmSync(`${part}.meta.json`, { force: true });
  options.onProgress?.({ source: feed.name, phase: 'download', bytes: offset + bytes, done: true });
  return { name: feed.name, url: feed.url, status: resumed ? 'resumed' : 'downloaded', bytes, file };
}

/**
 * Downloads every feed (If-None-Match/If-Modified-Since; Range + If-Range on a partial file; size and zip CRC or
 * gzip checks) into cacheDir, then imports the changed feeds (and any unchanged one the database lacks) in one
 * atomic build. The database's lock (and the download folder's) is held throughout: one update at a time per
 * database, across processes and within one. A failed download throws (unless keepGoing) and leaves the database as
 * it was.
 */
export async function updateDb(dbPath: string, options: UpdateOptions): Promise<UpdateSummary> {
  const feeds = options.sources ?? defaultFeeds({ baseUrl: options.baseUrl, osvEcosystems: options.osvEcosystems });
  mkdirSync(dirname(dbPath), { recursive: true });
  mkdirSync(options.cacheDir, { recursive: true });
  const dbLock = options.lock ?? (await lock(dbPath, { signal: options.signal, onWait: options.onWait }));
  try {
    const cacheLock = await lock(options.cacheDir, { signal: options.signal, onWait: options.onWait });
    try {
      return await updateLocked(dbPath, feeds, { ...options, lock: dbLock });
    } finally {
      cacheLock.release();
    }
  } finally {
    if (!options.lock) dbLock.release();
  }
}

async function updateLocked(
  dbPath: string,
  feeds: FeedSource[],
  options: UpdateOptions & { lock: FileLock },
): Promise<UpdateSummary> {
  const have = sourcesIn(dbPath);
  const results: FeedResult[] = [];
  const failed: NonNullable<UpdateSummary['failed']> = [];
  const inputs: ImportInput[] = [];
  for (const feed of feeds) {
    options.signal?.throwIfAborted();
    const dir = join(options.cacheDir, feed.name.replace(/[^A-Za-z0-9._-]+/g, '_'));
    mkdirSync(dir, { recursive: true });
    let r: FeedResult;
    try {
      r = await download(feed, dir, options);
    } catch (err) {
      if (!options.keepGoing || (err as Error)?.name === 'AbortError') throw err;
      failed.push({ name: feed.name, url: feed.url, message: reasonOf(err) });
      continue;
    }
    results.push(r);
    if (r.status !== 'not-modified' || !have.has(feed.name)) {
      const v = readMeta(`${r.file}.meta.json`) ?? {};
      inputs.push({
        kind: feed.kind,
        path: r.file,
        source: feed.name,
        ...(v.etag ? { etag: v.etag } : {}),
        ...(v.lastModified ? { lastModified: v.lastModified } : {}),
      });
    }
  }
  const extra = failed.length ? { failed } : {};
  if (inputs.length === 0) return { feeds: results, ...extra };
  const summary = await importSources(dbPath, inputs, {
    signal: options.signal,
    now: options.now,
    lock: options.lock,
    onProgress: (p) => options.onProgress?.({ source: p.source, phase: 'import', records: p.records, done: p.done }),
  });
  return { feeds: results, ...extra, import: summary };
}

/** The sources of the database at dbPath with their import validators; empty when it is missing or unreadable. */
function sourcesIn(dbPath: string): Map<string, SourceStatus> {
  if (!existsSync(dbPath)) return new Map();
  try {
    const s = openStore(dbPath);
    try {
      return new Map(s.status().sources.map((x) => [x.name, x]));
    } finally {
      s.close();
    }
  } catch {
    return new Map(); // rebuilt by the next import
  }
}

export interface EnsureDbOptions extends Omit<UpdateOptions, 'sources' | 'osvEcosystems' | 'lock' | 'keepGoing'> {
  /** advisory ecosystems the scan needs (`Debian`, `PyPI`…, see ecosystemsOf in match) */
  ecosystems: string[];
  /** a feed is due again when upstream last confirmed it longer ago than this (default 24) */
  maxAgeHours?: number;
  /** every feed there is (default defaultFeeds({ baseUrl })); the needed ones are picked from it */
  feeds?: FeedSource[];
}

export interface EnsureDbResult {
  /** a new database file was renamed into place */
  updated: boolean;
  /** the feeds checked (empty when everything needed was fresh) */
  checked: string[];
  summary?: UpdateSummary;
  warnings: string[];
}

/**
 * Brings the database up to date for a scan, the first run included:
 * - the feeds due are those of the needed ecosystems (plus the enrichment feeds, KEV and EPSS) and every feed the
 *   database already holds, each when it is missing from the database or upstream last confirmed it more than
 *   maxAgeHours ago; so the first scan of a Debian+pip image fetches Debian, PyPI, KEV and EPSS only;
 * - when nothing is due, nothing is locked or fetched;
 * - when another process is updating: if the database already has every needed feed (only old), this scan uses that
 *   copy with a warning instead of waiting; otherwise it waits for the lock and then re-checks (the other process has
 *   usually fetched what was needed);
 * - a feed that cannot be fetched is a warning (saying whether its advisories are missing or only old); only when no
 *   database exists at all afterwards does it throw (RegistryError).
 */
export async function ensureDb(dbPath: string, options: EnsureDbOptions): Promise<EnsureDbResult> {
  const maxAgeMs = (options.maxAgeHours ?? 24) * 3.6e6;
  const now = () => options.now?.getTime() ?? Date.now();
  const all = options.feeds ?? defaultFeeds({ baseUrl: options.baseUrl });
  const needed = all.filter((f) => !f.ecosystems || f.ecosystems.some((e) => options.ecosystems.includes(e)));
  const due = (): { feeds: FeedSource[]; missing: FeedSource[] } => {
    const have = sourcesIn(dbPath);
    const held = all.filter((f) => have.has(f.name));
    const feeds = [...new Set([...needed, ...held])].filter((f) => {
      const src = have.get(f.name);
      if (!src) return true;
      const file = join(options.cacheDir, f.name.replace(/[^A-Za-z0-9._-]+/g, '_'), f.file);
      const meta = readMeta(`${file}.meta.json`);
      const confirmed = Math.max(
        Date.parse(src.importedAt) || 0,
        // the cached copy was confirmed upstream and is the copy this database holds
        meta?.checkedAt &&
          ((meta.etag && meta.etag === src.etag) || (meta.lastModified && meta.lastModified === src.lastModified))
          ? Date.parse(meta.checkedAt) || 0
          : 0,
      );
      return now() - confirmed > maxAgeMs;
    });
    return { feeds, missing: needed.filter((f) => !have.has(f.name)) };
  };
  let plan = due();
  if (plan.feeds.length === 0) return { updated: false, checked: [], warnings: [] };
  const warnings: string[] = [];
  let held: FileLock;
  let first: ReturnType<typeof tryLock>;
  try {
    mkdirSync(dirname(dbPath), { recursive: true });
    first = tryLock(dbPath);
  } catch (err) {
    throw new DatabaseError(`cannot lock vulnerability database ${dbPath}: ${reasonOf(err)}`, { cause: err });
  }
  if ('held' in first) {
    if (plan.missing.length === 0) {
      const h = first.held;
      warnings.push(
        `vulnerability database ${dbPath} is being updated by ${h ? `process ${h.pid} on ${h.host}` : 'another process'}: this scan uses the previous copy`,
      );
      return { updated: false, checked: [], warnings };
    }
    if (first.held) options.onWait?.(first.held);
    held = await lock(dbPath, { signal: options.signal });
    plan = due(); // the other process may have done it all
    if (plan.feeds.length === 0) {
      held.release();
      return { updated: true, checked: [], warnings };
    }
  } else held = first;
  try {
    const summary = await updateDb(dbPath, { ...options, sources: plan.feeds, lock: held, keepGoing: true });
    const failed = summary.failed ?? [];
    if (failed.length && !existsSync(dbPath))
      throw new RegistryError(
        `vulnerability database ${dbPath} cannot be created: feed ${failed[0].name}: ${failed[0].message} (offline: \`zerocve db import\` then scan with --offline)`,
      );
    for (const f of failed)
      warnings.push(
        plan.missing.some((m) => m.name === f.name)
          ? `feed ${f.name} could not be fetched, its advisories are missing from this scan: ${f.message}`
          : `feed ${f.name} not updated (the database keeps its previous copy): ${f.message}`,
      );
    return { updated: summary.import !== undefined, checked: plan.feeds.map((f) => f.name), summary, warnings };
  } finally {
    held.release();
  }
}

export interface DbStatus extends StoreStatus {
  /** hours since the last build */
  ageHours?: number;
  /** older than maxAgeHours (default 72): scans should warn */
  stale: boolean;
}

/** What the database holds and how old it is. Throws DatabaseError when it is missing or unreadable. */
export function dbStatus(dbPath: string, options: { now?: Date; maxAgeHours?: number } = {}): DbStatus {
  const store = openStore(dbPath);
  try {
    const st = store.status();
    const now = (options.now ?? new Date()).getTime();
    const ageHours = st.builtAt ? Math.round(((now - Date.parse(st.builtAt)) / 3.6e6) * 10) / 10 : undefined;
    return {
      ...st,
      ...(ageHours !== undefined ? { ageHours } : {}),
      stale: ageHours === undefined || ageHours > (options.maxAgeHours ?? 72),
    };
  } finally {
    store.close();
  }
}
