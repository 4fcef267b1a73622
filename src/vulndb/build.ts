// Write side: atomic, merging builds of the database file.
//
// A build takes the database's lock (lock.ts: across processes and within one), copies the current database (if any)
// to `<db>.tmp-<random>`, replaces the rows of each imported source in one transaction, fsyncs, and renames the copy
// over the database. Readers always see a whole database; a crash or kill -9 at any point leaves the previous one
// intact; temp files left by a killed build are removed by the next build (only a lock holder creates them). Sources
// not imported are kept as they were.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { randomUUID } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Advisory, CveEnrichment } from '../core/advisory.ts';
import { DatabaseError, InternalError, reasonOf } from '../core/errors.ts';
import { lock, type FileLock, type LockHolder } from './lock.ts';
import { SCHEMA_SQL, SCHEMA_VERSION, packageKey } from './schema.ts';

/** What an importer yields, one record at a time (importers stream: they never hold a whole feed). */
export type ImportRecord =
  | { kind: 'advisory'; advisory: Advisory }
  /** a part of a CVE's enrichment (cvss from NVD, kev, epss) */
  | { kind: 'enrichment'; enrichment: Partial<CveEnrichment> & { id: string } }
  /** a file or record that could not be understood: counted and reported, never fatal */
  | { kind: 'problem'; path: string; message: string }
  /** the upstream snapshot time when the feed states it */
  | { kind: 'snapshot'; snapshot: string }
  /** (merge batches) the advisory with this id is gone upstream: delete it from the source */
  | { kind: 'remove'; id: string };

export interface SourceBatch {
  /** source name: the rows it replaces (`osv:PyPI`, `debian-tracker`, …) */
  name: string;
  kind: string;
  input: string;
  records: AsyncIterable<ImportRecord>;
  etag?: string;
  lastModified?: string;
  /**
   * Merge into the source's rows instead of replacing them (incremental OSV updates): each advisory replaces the
   * one with its id (a withdrawn one is kept without affected entries), `remove` records delete, the rest is kept.
   */
  merge?: boolean;
}

export interface ImportProblem {
  path: string;
  message: string;
}

export interface SourceSummary {
  source: string;
  kind: string;
  input: string;
  advisories: number;
  affected: number;
  enrichments: number;
  snapshot?: string;
  problemCount: number;
  /** the first problems (at most 100) */
  problems: ImportProblem[];
}

export interface BuildOptions {
  signal?: AbortSignal;
  /** called every 1,000 records and at the end of each source */
  onProgress?: (p: { source: string; records: number; done: boolean }) => void;
  /** build time (default: now) */
  now?: Date;
  /** the database's lock when the caller already holds it (an update holds it across download and build) */
  lock?: FileLock;
  /** called when another build holds the lock and this one waits for it */
  onWait?: (holder: LockHolder) => void;
}

export interface BuildResult {
  dbPath: string;
  builtAt: string;
  sources: SourceSummary[];
  /** e.g. "existing database was unreadable and has been rebuilt from scratch" */
  warnings: string[];
}

const MAX_LISTED_PROBLEMS = 100;

function fsyncPath(p: string): void {
  const fd = openSync(p, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Removes `<db>.tmp-*` files left by builds that were killed: called under the lock, so no build owns them. */
function removeStaleTemps(dbPath: string): void {
  const dir = dirname(dbPath);
  const prefix = `${basename(dbPath)}.tmp-`;
  for (const name of readdirSync(dir)) if (name.startsWith(prefix)) rmSync(join(dir, name), { force: true });
}

function hasSchema(path: string): boolean {
  try {
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as
        { value?: string } | undefined;
      return Number(row?.value) === SCHEMA_VERSION;
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

interface Writer {
  db: DatabaseSync;
  insAdvisory: StatementSync;
  insAffected: StatementSync;
  insAlias: StatementSync;
  upsertEnrichment: StatementSync;
  getEnrichment: StatementSync;
  delSourceAffected: StatementSync;
  delSourceAliases: StatementSync;
  delSourceAdvisories: StatementSync;
  delSourceEnrichment: StatementSync;
  putSource: StatementSync;
  updAdvisory: StatementSync;
  delAffectedOf: StatementSync;
  delAliasesOf: StatementSync;
  ridOfId: StatementSync;
  delAdvisoryOf: StatementSync;
  countSource: StatementSync;
  getSource: StatementSync;
}

function prepareWriter(db: DatabaseSync): Writer {
  return {
    db,
    insAdvisory: db.prepare(
      'INSERT INTO advisories (source, id, summary, severity, modified, withdrawn, body) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    insAffected: db.prepare(
      'INSERT INTO affected (advisory, ecosystem, name, fix_state, severity, body) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    insAlias: db.prepare('INSERT INTO aliases (alias, advisory) VALUES (?, ?)'),
    upsertEnrichment: db.prepare('INSERT OR REPLACE INTO enrichment (cve, source, body) VALUES (?, ?, ?)'),
    getEnrichment: db.prepare('SELECT body FROM enrichment WHERE cve = ? AND source = ?'),
    delSourceAffected: db.prepare(
      'DELETE FROM affected WHERE advisory IN (SELECT rid FROM advisories WHERE source = ?)',
    ),
    delSourceAliases: db.prepare('DELETE FROM aliases WHERE advisory IN (SELECT rid FROM advisories WHERE source = ?)'),
    delSourceAdvisories: db.prepare('DELETE FROM advisories WHERE source = ?'),
    delSourceEnrichment: db.prepare('DELETE FROM enrichment WHERE source = ?'),
    updAdvisory: db.prepare(
      'UPDATE advisories SET summary = ?, severity = ?, modified = ?, withdrawn = ?, body = ? WHERE rid = ?',
    ),
    delAffectedOf: db.prepare('DELETE FROM affected WHERE advisory = ?'),
    delAliasesOf: db.prepare('DELETE FROM aliases WHERE advisory = ?'),
    ridOfId: db.prepare('SELECT rid FROM advisories WHERE source = ? AND id = ?'),
    delAdvisoryOf: db.prepare('DELETE FROM advisories WHERE rid = ?'),
    countSource: db.prepare(`SELECT
        (SELECT count(*) FROM advisories WHERE source = ?1) AS advisories,
        (SELECT count(*) FROM affected WHERE advisory IN (SELECT rid FROM advisories WHERE source = ?1)) AS affected,
        (SELECT count(*) FROM enrichment WHERE source = ?1) AS enrichments`),
    getSource: db.prepare('SELECT snapshot FROM sources WHERE name = ?'),
    putSource: db.prepare(
      `INSERT OR REPLACE INTO sources (name, kind, input, snapshot, etag, last_modified, ` +
        `imported_at, advisories, affected, enrichments, problems)
                           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
  };
}

const str = (v: string | undefined): string | null => (v === undefined ? null : v);

/**
 * Imports the batches into the database at dbPath atomically (see the file comment). Advisories met twice in one
 * source under the same id are merged: the later record's affected entries and aliases are added to the first.
 */
export async function buildDatabase(
  dbPath: string,
  batches: SourceBatch[],
  options: BuildOptions = {},
): Promise<BuildResult> {
  const builtAt = (options.now ?? new Date()).toISOString();
  const warnings: string[] = [];
  try {
    mkdirSync(dirname(dbPath), { recursive: true });
  } catch (err) {
    throw new DatabaseError(`cannot create the folder of vulnerability database ${dbPath}: ${reasonOf(err)}`, {
      cause: err,
    });
  }
  if (options.lock && options.lock.path !== dbPath)
    throw new InternalError(`build of ${dbPath} given the lock of ${options.lock.path}`);
  const held = options.lock ?? (await lock(dbPath, { signal: options.signal, onWait: options.onWait }));
  const tmp = `${dbPath}.tmp-${randomUUID()}`;
  let db: DatabaseSync | undefined;
  try {
    removeStaleTemps(dbPath);
    if (existsSync(dbPath)) {
      if (hasSchema(dbPath)) copyFileSync(dbPath, tmp);
      else
        warnings.push(
          `existing database ${dbPath} was unreadable or of another schema version: rebuilt from the ` +
            `imported sources only`,
        );
    }
    db = new DatabaseSync(tmp);
    // The temp copy is discarded on any failure and fsynced before the rename: no journal needed while building.
    db.exec('PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;');
    db.exec(SCHEMA_SQL);
    const w = prepareWriter(db);
    const summaries = new Map<string, SourceSummary>();
    // merge batches: advisory rid by id, per source (full imports ask the database, see importBatch)
    const rids = new Map<string, Map<string, number>>();
    db.exec('BEGIN');
    for (const batch of batches) {
      let s = summaries.get(batch.name);
      if (!s) {
        s = {
          source: batch.name,
          kind: batch.kind,
          input: batch.input,
          advisories: 0,
          affected: 0,
          enrichments: 0,
          problemCount: 0,
          problems: [],
        };
        summaries.set(batch.name, s);
        rids.set(batch.name, new Map());
        if (batch.merge) {
          const prev = w.getSource.get(batch.name) as { snapshot?: string | null } | undefined;
          if (prev?.snapshot) s.snapshot = prev.snapshot;
        } else {
          w.delSourceAffected.run(batch.name);
          w.delSourceAliases.run(batch.name);
          w.delSourceAdvisories.run(batch.name);
          w.delSourceEnrichment.run(batch.name);
        }
      } else {
        s.input += `, ${batch.input}`;
      }
      await importBatch(w, batch, s, rids.get(batch.name) as Map<string, number>, options);
      if (batch.merge) {
        const c = w.countSource.get(batch.name) as { advisories: number; affected: number; enrichments: number };
        s.advisories = Number(c.advisories);
        s.affected = Number(c.affected);
        s.enrichments = Number(c.enrichments);
      }
      w.putSource.run(
        batch.name,
        batch.kind,
        s.input,
        str(s.snapshot),
        str(batch.etag),
        str(batch.lastModified),
        builtAt,
        s.advisories,
        s.affected,
        s.enrichments,
        s.problemCount,
      );
    }
    db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
    db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('built_at', builtAt);
    db.exec('COMMIT');
    db.exec('PRAGMA journal_mode = DELETE');
    db.close();
    db = undefined;
    fsyncPath(tmp);
    renameSync(tmp, dbPath);
    fsyncPath(dirname(dbPath));
    return { dbPath, builtAt, sources: [...summaries.values()], warnings };
  } catch (err) {
    try {
      db?.close();
    } catch {
      /* already failing */
    }
    rmSync(tmp, { force: true });
    if (err instanceof DatabaseError || (err as Error)?.name === 'AbortError') throw err;
    if (err instanceof Error && 'kind' in err) throw err;
    throw new DatabaseError(`import into vulnerability database ${dbPath} failed: ${reasonOf(err)}`, { cause: err });
  } finally {
    if (!options.lock) held.release();
  }
}

/**
 * Whether a later record of a source replaces an earlier one with the same id. NVD records are whole snapshots of a
 * CVE (the `modified` feed's copy supersedes the yearly file's); other feeds split one advisory over several records
 * (one per package or release), which are merged.
 */
const supersedes = (kind: string): boolean => kind === 'nvd';

async function importBatch(
  w: Writer,
  batch: SourceBatch,
  s: SourceSummary,
  ridOf: Map<string, number>,
  options: BuildOptions,
): Promise<void> {
  const replace = supersedes(batch.kind);
  /** merge batches: drop the source's stored copy of an advisory (before its new copy, or for good) */
  const dropStored = (id: string): void => {
    const row = w.ridOfId.get(batch.name, id) as { rid?: number | bigint } | undefined;
    if (row?.rid === undefined) return;
    w.delAffectedOf.run(row.rid);
    w.delAliasesOf.run(row.rid);
    w.delAdvisoryOf.run(row.rid);
  };
  /**
   * The rid of an advisory this import already wrote to the source. A full import deleted the source's rows first, so
   * any row of it is this import's: the database answers (UNIQUE (source, id) indexes it), and memory does not grow
   * with the feed. A merge batch keeps the source's other rows: it remembers its own (a change set, small).
   */
  const ridFor = (id: string): number | undefined => {
    if (batch.merge) return ridOf.get(id);
    const row = w.ridOfId.get(batch.name, id) as { rid?: number | bigint } | undefined;
    return row?.rid === undefined ? undefined : Number(row.rid);
  };
  let records = 0;
  let newestModified: string | undefined;
  for await (const rec of batch.records) {
    if (++records % 1000 === 0) {
      options.signal?.throwIfAborted();
      options.onProgress?.({ source: batch.name, records, done: false });
    }
    switch (rec.kind) {
      case 'problem':
        s.problemCount++;
        if (s.problems.length < MAX_LISTED_PROBLEMS) s.problems.push({ path: rec.path, message: rec.message });
        break;
      case 'snapshot':
        if (!s.snapshot || rec.snapshot > s.snapshot) s.snapshot = rec.snapshot;
        break;
      case 'remove':
        if (batch.merge) dropStored(rec.id);
        break;
      case 'enrichment': {
        const { id, ...part } = rec.enrichment;
        const prev = w.getEnrichment.get(id, batch.name) as { body?: string } | undefined;
        const merged: Partial<CveEnrichment> = prev?.body ? JSON.parse(prev.body) : {};
        if (part.cvss?.length) merged.cvss = replace ? part.cvss : [...(merged.cvss ?? []), ...part.cvss];
        if (part.kev) merged.kev = part.kev;
        if (part.epss) merged.epss = part.epss;
        w.upsertEnrichment.run(id, batch.name, JSON.stringify(merged));
        if (!prev) s.enrichments++;
        break;
      }
      case 'advisory': {
        const a = rec.advisory;
        if (a.modified && (!newestModified || a.modified > newestModified)) newestModified = a.modified;
        let rid = ridFor(a.id);
        if (batch.merge && rid === undefined) dropStored(a.id);
        const aliases = new Set(a.aliases.filter((x) => x !== a.id));
        if (rid === undefined) {
          const { affected: _affected, ...body } = a;
          const res = w.insAdvisory.run(
            batch.name,
            a.id,
            str(a.summary),
            str(a.severity?.rating),
            str(a.modified),
            str(a.withdrawn),
            JSON.stringify(body),
          );
          rid = Number(res.lastInsertRowid);
          if (batch.merge) ridOf.set(a.id, rid);
          s.advisories++;
        } else if (replace) {
          const { affected: _affected, ...body } = a;
          w.updAdvisory.run(
            str(a.summary),
            str(a.severity?.rating),
            str(a.modified),
            str(a.withdrawn),
            JSON.stringify(body),
            rid,
          );
          s.affected -= Number(w.delAffectedOf.run(rid).changes);
          w.delAliasesOf.run(rid);
        }
        for (const alias of aliases) w.insAlias.run(alias, rid);
        // merge batches: a withdrawn record is a tombstone (no affected entries: never matched)
        for (const f of batch.merge && a.withdrawn ? [] : a.affected) {
          w.insAffected.run(
            rid,
            f.ecosystem,
            packageKey(f.ecosystem, f.name),
            str(f.fixState),
            str(f.severity),
            JSON.stringify(f),
          );
          s.affected++;
        }
        break;
      }
    }
  }
  if (newestModified && (!s.snapshot || (batch.merge && newestModified > s.snapshot))) s.snapshot = newestModified;
  options.onProgress?.({ source: batch.name, records, done: true });
}
