// Incremental OSV updates. osv.dev publishes, beside each ecosystem's `all.zip`, a `modified_id.csv` listing every
// record of the ecosystem as `<RFC 3339 modified>,<id>` lines, newest first, and each record as `<id>.json`. After a
// first full import, an update compares that listing with the database: records newer upstream (or new) are fetched
// one by one, records gone from the listing are deleted. A withdrawn record loses its affected entries (it can never
// match again) and keeps its row, with its modified time, as a tombstone: the next update does not fetch it again.
import { DatabaseSync } from 'node:sqlite';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryError, reasonOf } from '../core/errors.ts';

/**
 * fetch, retried once when the connection fails before any answer (a kept-alive socket the server closed meanwhile
 * ends in ECONNRESET): the request was not answered, so sending it again is safe.
 */
export async function fetchOnceMore(doFetch: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  try {
    return await doFetch(url, init);
  } catch (err) {
    if ((err as Error)?.name === 'AbortError') throw err;
    return doFetch(url, init);
  }
}

/** `<modified>,<id>` lines to id → modified time (ms). Blank lines are skipped; a malformed line is an error. */
export function parseModifiedIds(text: string, where: string): Map<string, number> {
  const out = new Map<string, number>();
  let n = 0;
  for (const raw of text.split('\n')) {
    n++;
    const line = raw.trim();
    if (!line) continue;
    const comma = line.indexOf(',');
    const t = comma > 0 ? Date.parse(line.slice(0, comma)) : NaN;
    const id = line.slice(comma + 1).trim();
    if (!Number.isFinite(t) || !id)
      throw new RegistryError(`${where} line ${n}: expected '<RFC 3339 time>,<id>', got '${line.slice(0, 80)}'`);
    if (!out.has(id)) out.set(id, t);
  }
  return out;
}

export interface OsvPlan {
  /** ids to fetch (new upstream, or modified after the stored copy) */
  fetch: string[];
  /** ids stored but no longer listed upstream */
  remove: string[];
  /** how many advisories the source holds now */
  stored: number;
}

/** What an incremental update of `source` must do, from the upstream listing and the database's stored records. */
export function planOsvUpdate(dbPath: string, source: string, listing: Map<string, number>): OsvPlan {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  const stored = new Map<string, number>();
  try {
    for (const r of db.prepare('SELECT id, modified FROM advisories WHERE source = ?').iterate(source) as Iterable<{
      id: string;
      modified: string | null;
    }>)
      stored.set(r.id, r.modified ? Date.parse(r.modified) : NaN);
  } finally {
    db.close();
  }
  const fetch: string[] = [];
  for (const [id, t] of listing) {
    const have = stored.get(id);
    if (have === undefined || !(have >= t)) fetch.push(id);
  }
  const remove = [...stored.keys()].filter((id) => !listing.has(id));
  return { fetch, remove, stored: stored.size };
}

/**
 * Fetches `<recordBase>/<id>.json` for each id into dir (created fresh), `concurrency` at a time. Each body must be
 * JSON naming that id. Returns the bytes received. Throws RegistryError on the first failure (the caller keeps the
 * database as it was).
 */
export async function fetchOsvRecords(
  recordBase: string,
  ids: string[],
  dir: string,
  options: { fetch?: typeof fetch; signal?: AbortSignal; concurrency?: number } = {},
): Promise<{ bytes: number }> {
  const doFetch = options.fetch ?? fetch;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++];
      options.signal?.throwIfAborted();
      const url = `${recordBase}/${encodeURIComponent(id)}.json`;
      let res: Response;
      try {
        res = await fetchOnceMore(doFetch, url, { signal: options.signal });
      } catch (err) {
        if ((err as Error)?.name === 'AbortError') throw err;
        throw new RegistryError(`OSV record ${url} cannot be reached: ${reasonOf(err)}`, { cause: err });
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new RegistryError(`OSV record ${url} answered HTTP ${res.status}`, { status: res.status });
      }
      const body = Buffer.from(await res.arrayBuffer());
      bytes += body.length;
      let rec: { id?: unknown };
      try {
        rec = JSON.parse(body.toString('utf8')) as typeof rec;
      } catch (err) {
        throw new RegistryError(`OSV record ${url} is not JSON: ${reasonOf(err)}`, { cause: err });
      }
      if (rec.id !== id) throw new RegistryError(`OSV record ${url} names id ${String(rec.id)}, expected ${id}`);
      writeFileSync(join(dir, `${id.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`), body);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, ids.length) }, worker));
  return { bytes };
}
