// Read side of the vulnerability database: what matchers (through AdvisoryStore) and `db status` see.
import { DatabaseSync } from 'node:sqlite';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Advisory, Affected, CveEnrichment } from '../core/advisory.ts';
import type { AdvisoryKey, AdvisorySnapshot, AdvisorySource, AdvisoryStore } from '../core/interfaces.ts';
import { DatabaseError, InternalError, reasonOf } from '../core/errors.ts';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { SCHEMA_VERSION, packageKey } from './schema.ts';

/** Where the database lives by default: `<cacheDir>/zerocve/db/zerocve.db`, cacheDir defaulting to `<home>/.cache`. */
export function defaultDbPath(opts: { home: string; cacheDir?: string }): string {
  return join(opts.cacheDir ?? join(opts.home, '.cache'), 'zerocve', 'db', 'zerocve.db');
}

export interface SourceStatus {
  /** source name: `osv`, `osv:PyPI`, `debian-tracker`, `nvd`, `kev`, `epss`, `alpine-secdb`, `wolfi`, … */
  name: string;
  kind: string;
  /** the file or URL imported */
  input: string;
  /** upstream snapshot time when known (HTTP Last-Modified, newest `modified`, EPSS score date) */
  snapshot?: string;
  etag?: string;
  lastModified?: string;
  importedAt: string;
  advisories: number;
  affected: number;
  enrichments: number;
  problems: number;
}

export interface StoreStatus {
  path: string;
  schemaVersion: number;
  builtAt?: string;
  sources: SourceStatus[];
  advisories: number;
  affected: number;
  enrichments: number;
}

/**
 * An open database file: an AdvisorySource (what a scan uses: one `prefetch` per inventory), and for tools and tests
 * also a synchronous AdvisoryStore reading the file directly. Several stores may be open in one process, on the same
 * file or different ones; each holds only its own SQLite handle.
 */
export interface Store extends AdvisoryStore, AdvisorySource {
  readonly path: string;
  /** advisories whose id or alias is `id` (any source) */
  advisoriesById(id: string): Advisory[];
  status(): StoreStatus;
  close(): void;
}

export interface OpenStoreOptions {
  /** default true: scans never write */
  readonly?: boolean;
}

type Row = Record<string, string | number | null | bigint | Uint8Array>;

/** keys read between two turns of the event loop during a prefetch */
const PREFETCH_SLICE = 2000;

/**
 * Opens an existing database. Throws DatabaseError (one line naming the path) when it is missing, not SQLite,
 * corrupt, or of another schema version.
 *
 * `advisoriesFor` returns each advisory with `affected` narrowed to the entries of the asked (ecosystem, name);
 * an advisory present in several sources is returned once (the first imported source wins).
 */
export function openStore(path: string, options: OpenStoreOptions = {}): Store {
  if (!existsSync(path)) {
    throw new DatabaseError(
      `vulnerability database ${path} not found: run \`zerocve db update\` (online) or \`zerocve db ` +
        `import\` (offline) first`,
    );
  }
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly: options.readonly ?? true });
  } catch (err) {
    throw new DatabaseError(`vulnerability database ${path} cannot be opened: ${reasonOf(err)}`, { cause: err });
  }
  let version: number;
  try {
    const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as Row | undefined;
    version = row ? Number(row.value) : NaN;
  } catch (err) {
    db.close();
    throw new DatabaseError(`vulnerability database ${path} is corrupt or not a zerocve database: ${reasonOf(err)}`, {
      cause: err,
    });
  }
  if (version !== SCHEMA_VERSION) {
    db.close();
    throw new DatabaseError(
      `vulnerability database ${path} has schema version ${Number.isNaN(version) ? 'none' : version}, this ` +
        `zerocve needs ${SCHEMA_VERSION}: rebuild it with \`zerocve db update\` or \`zerocve db import\``,
    );
  }
  return createStore(db, path);
}

function createStore(db: DatabaseSync, path: string): Store {
  const byPackage = db.prepare(
    `SELECT a.rid AS rid, a.id AS id, a.body AS body, f.body AS affected
       FROM affected f JOIN advisories a ON a.rid = f.advisory
      WHERE f.ecosystem = ? AND f.name = ? ORDER BY a.rid`,
  );
  // one statement per slice of keys: [[ecosystem, indexed name], …] → rows grouped by key index, advisory order
  const byPackages = db.prepare(
    `SELECT k.key AS k, a.rid AS rid, a.id AS id, a.body AS body, f.body AS affected
       FROM json_each(?) k
       JOIN affected f ON f.ecosystem = k.value ->> 0 AND f.name = k.value ->> 1
       JOIN advisories a ON a.rid = f.advisory
      ORDER BY k.key, a.rid`,
  );
  const byId = db.prepare(
    `SELECT rid, body FROM advisories WHERE id = ?
     UNION SELECT a.rid, a.body FROM aliases s JOIN advisories a ON a.rid = s.advisory WHERE s.alias = ?
     ORDER BY rid`,
  );
  const affectedOf = db.prepare(`SELECT body FROM affected WHERE advisory = ?`);
  const enrich = db.prepare(`SELECT source, body FROM enrichment WHERE cve = ? ORDER BY source`);
  const enrichMany = db.prepare(
    `SELECT cve, source, body FROM enrichment WHERE cve IN (SELECT value FROM json_each(?)) ORDER BY cve, source`,
  );
  let closed = false;
  const guard = <T>(what: string, fn: () => T): T => {
    if (closed) throw new DatabaseError(`vulnerability database ${path} is closed`);
    try {
      return fn();
    } catch (err) {
      if (err instanceof DatabaseError) throw err;
      throw new DatabaseError(`vulnerability database ${path}: ${what} failed: ${reasonOf(err)}`, { cause: err });
    }
  };

  /** advisories of one key from its rows; `bodies` shares parsed advisory bodies across the keys of one prefetch */
  const lookup = (ecosystem: string, name: string): Advisory[] =>
    fromRows(byPackage.all(ecosystem, packageKey(ecosystem, name)) as Row[]);
  const fromRows = (rows: Row[], bodies?: Map<number, Omit<Advisory, 'affected'>>): Advisory[] => {
    if (rows.length === 0) return [];
    const out: Advisory[] = [];
    const byRid = new Map<number, Advisory>();
    const seenIds = new Set<string>();
    for (const r of rows) {
      const rid = Number(r.rid);
      let adv = byRid.get(rid);
      if (!adv) {
        if (seenIds.has(String(r.id))) continue;
        seenIds.add(String(r.id));
        let body = bodies?.get(rid);
        if (!body) {
          body = JSON.parse(String(r.body)) as Omit<Advisory, 'affected'>;
          bodies?.set(rid, body);
        }
        adv = { ...body, affected: [] };
        byRid.set(rid, adv);
        out.push(adv);
      }
      adv.affected.push(JSON.parse(String(r.affected)) as Affected);
    }
    return out;
  };
  /** folds a CVE's rows (one per source, in source order) into one enrichment */
  const fold = (out: CveEnrichment, body: string): void => {
    const part = JSON.parse(body) as Partial<CveEnrichment>;
    if (part.cvss) out.cvss.push(...part.cvss);
    if (part.kev) out.kev = part.kev;
    if (part.epss) out.epss = part.epss;
  };
  const enrichmentOf = (cveId: string): CveEnrichment | undefined => {
    const rows = enrich.all(cveId) as Row[];
    if (rows.length === 0) return undefined;
    const out: CveEnrichment = { id: cveId, cvss: [] };
    for (const r of rows) fold(out, String(r.body));
    return out;
  };
  const snapshotKey = (ecosystem: string, name: string): string => `${ecosystem}\u0000${packageKey(ecosystem, name)}`;

  return {
    path,
    advisoriesFor(ecosystem: string, name: string): Advisory[] {
      return guard('lookup', () => lookup(ecosystem, name));
    },
    /**
     * Reads every key, then the enrichment of every CVE the found advisories name, in slices of PREFETCH_SLICE keys
     * with a turn of the event loop between slices (a long scan never blocks other work in the process for long, and
     * the signal is honoured). The snapshot holds plain objects: closing the store does not affect it.
     */
    async prefetch(keys: readonly AdvisoryKey[], signal?: AbortSignal): Promise<AdvisorySnapshot> {
      const advisories = new Map<string, Advisory[]>();
      const enrichments = new Map<string, CveEnrichment | undefined>();
      const bodies = new Map<number, Omit<Advisory, 'affected'>>();
      const cves = new Set<string>();
      for (let i = 0; i < keys.length; i += PREFETCH_SLICE) {
        if (i > 0) await yieldToLoop();
        signal?.throwIfAborted();
        guard('lookup', () => {
          const ids: string[] = [];
          const asked: [string, string][] = [];
          for (const k of keys.slice(i, i + PREFETCH_SLICE)) {
            const id = snapshotKey(k.ecosystem, k.name);
            if (advisories.has(id)) continue;
            advisories.set(id, []);
            ids.push(id);
            asked.push([k.ecosystem, packageKey(k.ecosystem, k.name)]);
          }
          const rows = byPackages.all(JSON.stringify(asked)) as Row[];
          for (let r = 0; r < rows.length;) {
            const k = Number(rows[r].k);
            let end = r + 1;
            while (end < rows.length && Number(rows[end].k) === k) end++;
            const found = fromRows(rows.slice(r, end), bodies);
            advisories.set(ids[k], found);
            for (const a of found) {
              if (a.id.startsWith('CVE-')) cves.add(a.id);
              for (const x of a.aliases) if (x.startsWith('CVE-')) cves.add(x);
            }
            r = end;
          }
        });
      }
      const cveList = [...cves];
      for (let i = 0; i < cveList.length; i += PREFETCH_SLICE) {
        await yieldToLoop();
        signal?.throwIfAborted();
        guard('enrichment lookup', () => {
          const slice = cveList.slice(i, i + PREFETCH_SLICE);
          for (const c of slice) enrichments.set(c, undefined);
          for (const r of enrichMany.all(JSON.stringify(slice)) as Row[]) {
            const cve = String(r.cve);
            let e = enrichments.get(cve);
            if (!e) enrichments.set(cve, (e = { id: cve, cvss: [] }));
            fold(e, String(r.body));
          }
        });
      }
      return {
        advisoriesFor(ecosystem, name) {
          const found = advisories.get(snapshotKey(ecosystem, name));
          if (!found) throw new InternalError(`advisory lookup ${ecosystem}/${name} was not prefetched`);
          return found;
        },
        enrichment(cve) {
          if (!enrichments.has(cve)) throw new InternalError(`enrichment of ${cve} was not prefetched`);
          return enrichments.get(cve);
        },
      };
    },
    advisoriesById(id: string): Advisory[] {
      return guard('lookup', () =>
        (byId.all(id, id) as Row[]).map((r) => ({
          ...(JSON.parse(String(r.body)) as Omit<Advisory, 'affected'>),
          affected: (affectedOf.all(r.rid) as Row[]).map((a) => JSON.parse(String(a.body)) as Affected),
        })),
      );
    },
    enrichment(cveId: string): CveEnrichment | undefined {
      return guard('enrichment lookup', () => enrichmentOf(cveId));
    },
    status(): StoreStatus {
      return guard('status', () => readStatus(db, path));
    },
    close(): void {
      if (!closed) {
        closed = true;
        db.close();
      }
    },
  };
}

export function readStatus(db: DatabaseSync, path: string): StoreStatus {
  const meta = new Map(
    (db.prepare('SELECT key, value FROM meta').all() as Row[]).map((r) => [String(r.key), String(r.value)]),
  );
  const sources = (db.prepare('SELECT * FROM sources ORDER BY name').all() as Row[]).map((r): SourceStatus => ({
    name: String(r.name),
    kind: String(r.kind),
    input: String(r.input),
    ...(r.snapshot != null ? { snapshot: String(r.snapshot) } : {}),
    ...(r.etag != null ? { etag: String(r.etag) } : {}),
    ...(r.last_modified != null ? { lastModified: String(r.last_modified) } : {}),
    importedAt: String(r.imported_at),
    advisories: Number(r.advisories),
    affected: Number(r.affected),
    enrichments: Number(r.enrichments),
    problems: Number(r.problems),
  }));
  const count = (sql: string): number => Number((db.prepare(sql).get() as Row).n);
  return {
    path,
    schemaVersion: Number(meta.get('schema_version')),
    ...(meta.has('built_at') ? { builtAt: meta.get('built_at') } : {}),
    sources,
    advisories: count('SELECT count(*) AS n FROM advisories'),
    affected: count('SELECT count(*) AS n FROM affected'),
    enrichments: count('SELECT count(*) AS n FROM enrichment'),
  };
}
