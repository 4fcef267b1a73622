// `db update`: download the feeds (conditional, resumable, verified) into a cache folder, then import what changed
// in one atomic build. `db status`: what the database holds and how old it is.
import { randomUUID } from 'node:crypto';
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
import { fetchOnceMore, fetchOsvRecords, parseModifiedIds, planOsvUpdate } from './osv-incremental.ts';

export interface FeedSource {
  /** source name in the database, e.g. `osv:PyPI`; several feeds may share one (NVD's yearly files) */
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
  /**
   * Do not ask the server again for this long after a successful download (the cached copy is used as is). Set on
   * NVD's yearly files: the `modified` feed carries every change of the last 8 days, so a weekly refresh suffices.
   */
  refreshHours?: number;
  /**
   * OSV only: the ecosystem's folder URL, holding `modified_id.csv` and `<id>.json` per record. Once the database
   * has the source, updates read the listing and fetch only changed records (see osv-incremental.ts).
   */
  osvDir?: string;
}

/** More changed records than this share of the listing (or 500): fetching all.zip again is cheaper. */
const INCREMENTAL_MAX_SHARE = 0.1;

/** The distributions whose OSV feeds `db update` fetches by default (NVD_ECOSYSTEMS adds more that need NVD). */
const OS_OSV_ECOSYSTEMS = ['Debian', 'Ubuntu', 'Alpine', 'Wolfi', 'Chainguard', 'Red Hat', 'Rocky Linux', 'AlmaLinux'];

/**
 * The scans that need NVD: OS packages (their advisories carry no CVSS; NVD gives the severity when the distribution
 * rates none) and CUDA components (matched against NVD's NVIDIA CPE ranges). A Python-only image does not wait for it.
 */
const NVD_ECOSYSTEMS = [...OS_OSV_ECOSYSTEMS, 'Amazon Linux', 'NVIDIA'];

/** The first year NVD publishes a yearly JSON 2.0 feed for (CVE-1999-… records are in the 2002 file). */
export const NVD_FIRST_YEAR = 2002;

/**
 * NVD CVE data comes from the JSON 2.0 data feeds (yearly `nvdcve-2.0-YYYY.json.gz` plus
 * `nvdcve-2.0-modified.json.gz`), not from the CVE API 2.0. Why: the feeds are static gzip files, so they go through
 * the same conditional (ETag / Last-Modified), resumable (Range) and verified (gzip) downloader as every other feed,
 * are mirrored by a plain web server for air-gapped sites (`--base-url`), need no API key, and are not rate limited; a
 * full API crawl of ~300,000 CVEs at 2,000 per page is ~150 requests, which without a key (5 requests per 30 s) takes
 * 15 minutes and with one still needs paging, back-off and key handling. The `modified` file (changes of the last 8
 * days, refreshed every ~2 h) is fetched on every update; the yearly files at most once a week (refreshHours), and
 * imported first so the `modified` records, imported last, replace their older copies.
 */
export function nvdFeeds(opts: { baseUrl?: string; now?: Date } = {}): FeedSource[] {
  const b = opts.baseUrl?.replace(/\/+$/, '');
  const base = b ? `${b}/nvd` : 'https://nvd.nist.gov/feeds/json/cve/2.0';
  const last = (opts.now ?? new Date()).getUTCFullYear();
  const out: FeedSource[] = [];
  for (let y = NVD_FIRST_YEAR; y <= last; y++)
    out.push({
      name: 'nvd',
      kind: 'nvd',
      url: `${base}/nvdcve-2.0-${y}.json.gz`,
      file: `nvdcve-2.0-${y}.json.gz`,
      refreshHours: 7 * 24,
      ecosystems: NVD_ECOSYSTEMS,
    });
  out.push({
    name: 'nvd',
    kind: 'nvd',
    url: `${base}/nvdcve-2.0-modified.json.gz`,
    file: 'nvdcve-2.0-modified.json.gz',
    ecosystems: NVD_ECOSYSTEMS,
  });
  return out;
}

export const DEFAULT_OSV_ECOSYSTEMS = ['PyPI', ...OS_OSV_ECOSYSTEMS, 'Go', 'npm', 'crates.io', 'Maven'];

/**
 * The feeds `db update` fetches. With `baseUrl` (a mirror, or a test server) every feed comes from under it:
 * `<base>/osv/<ecosystem>/all.zip`, `<base>/debian/json`, `<base>/nvd/nvdcve-2.0-<year|modified>.json.gz`,
 * `<base>/kev/known_exploited_vulnerabilities.json`, `<base>/epss/epss_scores-current.csv.gz`.
 */
export function defaultFeeds(
  opts: { baseUrl?: string; osvEcosystems?: string[]; nvd?: boolean; now?: Date } = {},
): FeedSource[] {
  const b = opts.baseUrl?.replace(/\/+$/, '');
  const osvBase = b ? `${b}/osv` : 'https://osv-vulnerabilities.storage.googleapis.com';
  return [
    ...(opts.osvEcosystems ?? DEFAULT_OSV_ECOSYSTEMS).map((eco): FeedSource => ({
      name: `osv:${eco}`,
      kind: 'osv',
      url: `${osvBase}/${encodeURIComponent(eco)}/all.zip`,
      file: 'all.zip',
      ecosystems: [eco],
      osvDir: `${osvBase}/${encodeURIComponent(eco)}`,
    })),
    {
      name: 'debian-tracker',
      kind: 'debian',
      url: b ? `${b}/debian/json` : 'https://security-tracker.debian.org/tracker/data/json',
      file: 'debian-tracker.json',
      ecosystems: ['Debian'],
    },
    ...(opts.nvd === false ? [] : nvdFeeds(opts)),
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
  /**
   * downloaded: fresh copy; resumed: finished a partial download; not-modified: the server said 304; cached: not
   * asked (downloaded less than refreshHours ago); incremental: OSV listing read, only changed records fetched
   */
  status: 'downloaded' | 'resumed' | 'not-modified' | 'cached' | 'incremental';
  /** incremental: records fetched and records deleted */
  changes?: { fetched: number; removed: number };
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

/**
 * `<file>.pending`: the downloaded copy (a feed file, or an OSV listing) is not in the database yet. Written before
 * the copy is renamed into place, removed once its import has committed. An update killed (or failed) between the
 * two finds it: the feed is imported again although the server answers 304, and a listing is fetched again whole.
 */
const pendingOf = (file: string): string => `${file}.pending`;

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
      for (const e of zip.entries()) if (!e.name.endsWith('/')) zip.read(e);
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
  const now = (options.now ?? new Date()).getTime();
  if (
    feed.refreshHours !== undefined &&
    existsSync(file) &&
    meta?.url === feed.url &&
    meta.checkedAt &&
    now - Date.parse(meta.checkedAt) < feed.refreshHours * 3.6e6 &&
    !existsSync(part)
  )
    return { name: feed.name, url: feed.url, status: 'cached', bytes: 0, file };
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
    res = await fetchOnceMore(doFetch, feed.url, { headers, signal: options.signal });
  } catch (err) {
    if ((err as Error)?.name === 'AbortError') throw err;
    throw new RegistryError(`feed ${feed.name}: ${feed.url} cannot be reached: ${reasonOf(err)}`, { cause: err });
  }
  if (res.status === 304) {
    await res.body?.cancel();
    if (meta) writeFileSync(`${file}.meta.json`, JSON.stringify({ ...meta, checkedAt: new Date(now).toISOString() }));
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
  // not yet in the database: until an import of it succeeds, a 304 for this copy must not count as current
  writeFileSync(pendingOf(file), '');
  renameSync(part, file);
  writeFileSync(`${file}.meta.json`, JSON.stringify({ ...validators, size, checkedAt: new Date(now).toISOString() }));
  rmSync(`${part}.meta.json`, { force: true });
  options.onProgress?.({ source: feed.name, phase: 'download', bytes: offset + bytes, done: true });
  return { name: feed.name, url: feed.url, status: resumed ? 'resumed' : 'downloaded', bytes, file };
}

/**
 * An incremental update of an OSV feed the database already has: the listing (conditional request), then the
 * changed records. Undefined when too much changed (the caller downloads all.zip instead).
 */
async function incrementalOsv(
  feed: FeedSource,
  dir: string,
  dbPath: string,
  options: UpdateOptions,
): Promise<{ result: FeedResult; input?: ImportInput } | undefined> {
  let list: FeedResult;
  // the listing's changes of a killed or failed update were never imported: ask for the whole listing again
  if (existsSync(pendingOf(join(dir, 'modified_id.csv'))))
    rmSync(join(dir, 'modified_id.csv.meta.json'), { force: true });
  try {
    list = await download(
      { name: feed.name, kind: feed.kind, url: `${feed.osvDir}/modified_id.csv`, file: 'modified_id.csv' },
      dir,
      options,
    );
  } catch (err) {
    // a mirror that serves only all.zip: full downloads, as before
    if (err instanceof RegistryError && err.status === 404) return undefined;
    throw err;
  }
  const base = { name: feed.name, url: list.url, file: list.file };
  if (list.status === 'not-modified') return { result: { ...base, status: 'not-modified', bytes: 0 } };
  const listing = parseModifiedIds(readFileSync(list.file, 'utf8'), list.url);
  const plan = planOsvUpdate(dbPath, feed.name, listing);
  if (plan.fetch.length > Math.max(500, listing.size * INCREMENTAL_MAX_SHARE)) return undefined;
  const changes = join(dir, `changes-${randomUUID()}`);
  const got = await fetchOsvRecords(feed.osvDir as string, plan.fetch, changes, {
    fetch: options.fetch,
    signal: options.signal,
  });
  const result: FeedResult = {
    ...base,
    status: 'incremental',
    bytes: list.bytes + got.bytes,
    changes: { fetched: plan.fetch.length, removed: plan.remove.length },
  };
  if (plan.fetch.length === 0 && plan.remove.length === 0) {
    rmSync(changes, { recursive: true, force: true });
    rmSync(pendingOf(list.file), { force: true });
    return { result };
  }
  const v = readMeta(`${list.file}.meta.json`) ?? {};
  return {
    result,
    input: {
      kind: 'osv',
      path: changes,
      source: feed.name,
      merge: true,
      remove: plan.remove,
      ...(v.etag ? { etag: v.etag } : {}),
      ...(v.lastModified ? { lastModified: v.lastModified } : {}),
    },
  };
}

/**
 * Downloads every feed (If-None-Match/If-Modified-Since; Range + If-Range on a partial file; size and zip CRC or
 * gzip checks) into cacheDir, then imports the changed feeds (and any unchanged one the database lacks) in one
 * atomic build. The database's lock (and the download folder's) is held throughout: one update at a time per
 * database, across processes and within one. A failed download throws (unless keepGoing) and leaves the database as
 * it was.
 */
export async function updateDb(dbPath: string, options: UpdateOptions): Promise<UpdateSummary> {
  const feeds =
    options.sources ??
    defaultFeeds({ baseUrl: options.baseUrl, osvEcosystems: options.osvEcosystems, now: options.now });
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
  /** the kind of each result's feed (results skip feeds that failed with keepGoing) */
  const kinds: SourceKind[] = [];
  const failed: NonNullable<UpdateSummary['failed']> = [];
  const merges: ImportInput[] = [];
  const listings: string[] = [];
  for (const feed of feeds) {
    options.signal?.throwIfAborted();
    const dir = join(options.cacheDir, feed.name.replace(/[^A-Za-z0-9._-]+/g, '_'));
    mkdirSync(dir, { recursive: true });
    let r: FeedResult;
    try {
      if (feed.osvDir && have.has(feed.name) && existsSync(join(dir, feed.file))) {
        const inc = await incrementalOsv(feed, dir, dbPath, options).catch((err) => {
          // the listing was taken: forget its validators so the next run does not take a 304 for a change not applied
          rmSync(join(dir, 'modified_id.csv.meta.json'), { force: true });
          throw err;
        });
        if (inc) {
          results.push(inc.result);
          kinds.push(feed.kind);
          if (inc.input) {
            merges.push(inc.input);
            listings.push(join(dir, 'modified_id.csv.meta.json'));
          }
          continue;
        }
      }
      r = await download(feed, dir, options);
    } catch (err) {
      if (!options.keepGoing || (err as Error)?.name === 'AbortError') throw err;
      failed.push({ name: feed.name, url: feed.url, message: reasonOf(err) });
      continue;
    }
    results.push(r);
    kinds.push(feed.kind);
  }
  // A source is rebuilt from all its files (in feed order) when any of them changed or the database lacks it.
  const changed = new Set(
    results
      .filter(
        (r) =>
          r.status === 'downloaded' ||
          r.status === 'resumed' ||
          (r.status !== 'incremental' && (!have.has(r.name) || existsSync(pendingOf(r.file)))),
      )
      .map((r) => r.name),
  );
  const inputs: ImportInput[] = [];
  for (const [i, r] of results.entries()) {
    if (!changed.has(r.name) || r.status === 'incremental') continue;
    const v = readMeta(`${r.file}.meta.json`) ?? {};
    inputs.push({
      kind: kinds[i],
      path: r.file,
      source: r.name,
      ...(v.etag ? { etag: v.etag } : {}),
      ...(v.lastModified ? { lastModified: v.lastModified } : {}),
    });
  }
  inputs.push(...merges);
  const extra = failed.length ? { failed } : {};
  if (inputs.length === 0) return { feeds: results, ...extra };
  let summary: ImportSummary;
  try {
    summary = await importSources(dbPath, inputs, {
      signal: options.signal,
      now: options.now,
      lock: options.lock,
      onProgress: (p) => options.onProgress?.({ source: p.source, phase: 'import', records: p.records, done: p.done }),
    });
  } catch (err) {
    for (const m of listings) rmSync(m, { force: true });
    throw err;
  } finally {
    for (const m of merges) rmSync(m.path, { recursive: true, force: true });
  }
  // committed: these copies are the database's now
  for (const r of results)
    if (changed.has(r.name) || r.status === 'incremental') rmSync(pendingOf(r.file), { force: true });
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
        `vulnerability database ${dbPath} is being updated by ` +
          `${h ? `process ${h.pid} on ${h.host}` : 'another process'}: this scan uses the previous copy`,
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
        `vulnerability database ${dbPath} cannot be created: feed ${failed[0].name}: ${failed[0].message} ` +
          `(offline: \`zerocve db import\` then scan with --offline)`,
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
