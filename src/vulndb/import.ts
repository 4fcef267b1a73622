// `db import`: turn local feed files into the database, atomically, merging by source.
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InputError, UsageError, reasonOf } from '../core/errors.ts';
import { buildDatabase, type BuildOptions, type BuildResult, type ImportRecord, type SourceBatch } from './build.ts';
import { osvRecords } from './parse-osv.ts';
import { debianListRecords, debianTrackerRecords } from './parse-debian.ts';
import { nvdFileRecords } from './parse-nvd.ts';
import { epssRecords, kevRecords } from './parse-kev-epss.ts';
import { secdbRecords, wolfiAdvisoryRecords } from './parse-secdb.ts';

export type SourceKind = 'osv' | 'debian' | 'nvd' | 'kev' | 'epss' | 'alpine-secdb' | 'wolfi';
export const SOURCE_KINDS: readonly SourceKind[] = ['osv', 'debian', 'nvd', 'kev', 'epss', 'alpine-secdb', 'wolfi'];

/** Source name each kind's rows are stored under unless the input names one. */
export const DEFAULT_SOURCE_NAME: Record<SourceKind, string> = {
  osv: 'osv',
  debian: 'debian-tracker',
  nvd: 'nvd',
  kev: 'kev',
  epss: 'epss',
  'alpine-secdb': 'alpine-secdb',
  wolfi: 'wolfi',
};

export interface ImportInput {
  /** omitted: detected from the content (see detectKind) */
  kind?: SourceKind;
  /** file, directory or zip */
  path: string;
  /** source name whose rows this input replaces (default DEFAULT_SOURCE_NAME[kind]) */
  source?: string;
  /** merge into the source's rows instead of replacing them (see SourceBatch.merge) */
  merge?: boolean;
  /** with merge: ids to delete from the source */
  remove?: string[];
  /** HTTP validators of a download, kept for conditional requests */
  etag?: string;
  lastModified?: string;
}

export interface ImportOptions extends BuildOptions {}

export interface ImportSummary extends BuildResult {
  durationMs: number;
}

type Reader = (path: string, source: string, signal?: AbortSignal) => AsyncIterable<ImportRecord>;

function isDebianList(path: string): boolean {
  return statSync(path).isFile() && /^\[\d{1,2} \w{3} \d{4}\] D[SLT]+A-/.test(head(path, 256));
}

function hasWolfiAdvisories(path: string): boolean {
  return statSync(path).isDirectory()
    ? readdirSync(path).some((n) => /\.advisories\.ya?ml$/i.test(n))
    : /\.advisories\.ya?ml$/i.test(path);
}

async function* eachFile(
  path: string,
  accept: RegExp,
  read: (file: string) => AsyncIterable<ImportRecord>,
  signal?: AbortSignal,
): AsyncGenerator<ImportRecord> {
  if (!statSync(path).isDirectory()) {
    yield* read(path);
    return;
  }
  const stack = [path];
  while (stack.length) {
    const dir = stack.pop() as string;
    for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? 1 : -1))) {
      const p = join(dir, d.name);
      if (d.isDirectory()) stack.push(p);
      else if (accept.test(d.name)) {
        signal?.throwIfAborted();
        yield* read(p);
      }
    }
  }
}

/** The reader of each kind: a fixed table, no registration. */
export function readerFor(kind: SourceKind): Reader {
  switch (kind) {
    case 'osv':
      return (path, source, signal) => osvRecords(path, { source, signal });
    case 'debian':
      return (path, source, signal) =>
        isDebianList(path) ? debianListRecords(path, source) : debianTrackerRecords(path, source, signal);
    case 'nvd':
      return (path, source, signal) =>
        eachFile(path, /\.json(\.gz)?$/i, (f) => nvdFileRecords(f, source, signal), signal);
    case 'kev':
      return (path) => kevRecords(path);
    case 'epss':
      return (path) => epssRecords(path);
    case 'alpine-secdb':
      return (path, source) => secdbRecords(path, source);
    case 'wolfi':
      return (path, source) =>
        hasWolfiAdvisories(path) ? wolfiAdvisoryRecords(path, source) : secdbRecords(path, source);
  }
}

/** Kinds whose upstream is split over many inputs (per ecosystem, per year, per release): offline imports of them
 * are told apart by their path, so importing B never replaces A. */
const PARTITIONED: ReadonlySet<SourceKind> = new Set(['osv', 'nvd', 'alpine-secdb']);

/**
 * The source name an input's rows go under unless it names one. Whole-feed kinds (Debian tracker, KEV, EPSS, Wolfi)
 * have one fixed name: a newer copy replaces the older one wherever it was read from. Partitioned kinds (OSV, NVD,
 * secdb) are named `<kind>:<absolute input path>`: re-importing that path replaces its rows only. (`db update`
 * names its feeds itself: `osv:PyPI`, `nvd`, ….)
 */
export function defaultSourceName(kind: SourceKind, path: string): string {
  if (PARTITIONED.has(kind)) return `${kind}:${resolve(path)}`;
  if (kind === 'debian' && isDebianList(path))
    return /DLA/.test(head(path, 256).slice(0, 40)) ? 'debian-dla' : 'debian-dsa';
  if (kind === 'wolfi' && !hasWolfiAdvisories(path)) return 'wolfi-secdb';
  return DEFAULT_SOURCE_NAME[kind];
}

function head(path: string, bytes = 65536): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    let b = buf.subarray(0, n);
    if (b[0] === 0x1f && b[1] === 0x8b) {
      try {
        b = gunzipSync(b, { finishFlush: 2 /* Z_SYNC_FLUSH: a truncated head is fine */ });
      } catch {
        /* not worth more */
      }
    }
    return b.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function kindOfText(name: string, text: string): SourceKind | undefined {
  if (/\.advisories\.ya?ml$/i.test(name) || (/^\s*schema-version:/m.test(text) && /^advisories:/m.test(text)))
    return 'wolfi';
  if (/^#model_version|^cve,epss,percentile/m.test(text.slice(0, 512))) return 'epss';
  if (/^\[\d{1,2} \w{3} \d{4}\] D[SLT]+A-/.test(text)) return 'debian';
  if (/"cve"\s*:\s*"CVE-[^"]+"\s*,\s*"epss"/.test(text)) return 'epss';
  if (/"cveID"\s*:/.test(text) && /"catalogVersion"|"vulnerabilities"|"dateAdded"/.test(text)) return 'kev';
  if (/"secfixes"\s*:|^\s+secfixes:/m.test(text)) return /wolfi|chainguard/i.test(text) ? 'wolfi' : 'alpine-secdb';
  if (
    /"format"\s*:\s*"NVD_CVE"|"cvssMetricV\d+"|"sourceIdentifier"\s*:/.test(text) &&
    !/"affected"\s*:\s*\[/.test(text)
  )
    return 'nvd';
  if (/^\s*\{\s*"[^"]+"\s*:\s*\{\s*"(CVE|TEMP)-[^"]+"\s*:\s*\{/.test(text)) return 'debian';
  if (/("id"\s*:|^id:)/m.test(text) && /("affected"|"modified"|^affected:|^modified:)/m.test(text)) return 'osv';
  return undefined;
}

/**
 * What a file or directory holds, from its content: OSV (JSON/YAML/zip), Debian tracker JSON, NVD 2.0 JSON, CISA
 * KEV JSON, EPSS CSV (plain or gzip), Alpine/Wolfi secdb (JSON or YAML), Wolfi advisories YAML. A directory is
 * judged by its first recognizable file. Throws InputError when nothing fits.
 */
export function detectKind(path: string): SourceKind {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new InputError(`import input ${path}: ${reasonOf(err)}`, { cause: err });
  }
  if (st.isDirectory()) {
    const stack = [path];
    let looked = 0;
    while (stack.length > 0 && looked < 50) {
      const dir = stack.shift() as string;
      for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const p = join(dir, d.name);
        if (d.isDirectory()) {
          stack.push(p);
          continue;
        }
        if (!/\.(json|ya?ml|zip|csv|gz)$/i.test(d.name)) continue;
        looked++;
        try {
          return detectKind(p);
        } catch {
          /* try the next file */
        }
        if (looked >= 50) break;
      }
    }
    throw new InputError(
      `import input ${path}: no file in this directory looks like a supported feed (OSV, Debian tracker, ` +
        `NVD, KEV, EPSS, secdb, Wolfi)`,
    );
  }
  if (/\.zip$/i.test(path)) return 'osv';
  const kind = kindOfText(path, head(path));
  if (!kind)
    throw new InputError(
      `import input ${path}: not a supported feed (OSV, Debian tracker, NVD, KEV, EPSS, secdb, Wolfi)`,
    );
  return kind;
}

async function* withRemovals(ids: string[], records: AsyncIterable<ImportRecord>): AsyncGenerator<ImportRecord> {
  for (const id of ids) yield { kind: 'remove', id };
  yield* records;
}

/**
 * Imports local feed files into the database at dbPath. Each input replaces the rows of its source and keeps all
 * other sources. Per-record problems are counted in the summary, never fatal. Throws InputError for an input that
 * cannot be read at all, DatabaseError when the database cannot be written.
 */
export async function importSources(
  dbPath: string,
  inputs: (ImportInput | string)[],
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const started = performance.now();
  if (inputs.length === 0) throw new UsageError('nothing to import: name at least one feed file or directory');
  const batches: SourceBatch[] = inputs.map((i) => {
    const input: ImportInput = typeof i === 'string' ? { path: i } : i;
    const kind = input.kind ?? detectKind(input.path);
    try {
      statSync(input.path);
    } catch (err) {
      throw new InputError(`import input ${input.path}: ${reasonOf(err)}`, { cause: err });
    }
    const source = input.source ?? defaultSourceName(kind, input.path);
    // Advisory.source (shown in reports) names the feed, not a local path.
    const label = input.source ?? (PARTITIONED.has(kind) ? kind : source);
    return {
      name: source,
      kind,
      input: input.path,
      records: withRemovals(input.remove ?? [], readerFor(kind)(input.path, label, options.signal)),
      ...(input.merge ? { merge: true } : {}),
      ...(input.etag ? { etag: input.etag } : {}),
      ...(input.lastModified ? { lastModified: input.lastModified } : {}),
    };
  });
  const result = await buildDatabase(dbPath, batches, options);
  return { ...result, durationMs: Math.round(performance.now() - started) };
}
