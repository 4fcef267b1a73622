// Per-layer cache: `<cacheDir>/layers/<key>.json.gz`, key = sha256(layer digest, diffID, sorted analyzer
// name@version, cache format). Holds the layer's compact entry list and its facts, so a rescan of an unchanged image
// opens no layer. Files are written to a temporary name and renamed (readers never see half a file); a file that
// does not parse is treated as absent and rewritten.
//
// The folder is bounded (DEFAULT_CACHE_MAX_BYTES unless told): least recently used first. A hit touches the file's
// mtime; after each write the files are listed and the oldest removed until the total is under the cap. Several
// processes may share the folder: a file that vanishes meanwhile (another process evicted it, or a reader lost it) is
// skipped, and a reader whose file is evicted under it sees a miss and rescans.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Analyzer } from '../core/analyzer.ts';
import type { EntryType, MergedEntry } from '../core/entry.ts';
import type { Fact } from '../core/fact.ts';
import type { Layer } from '../core/image.ts';
import type { LayerRecord } from './types.ts';

const FORMAT = 3;

/** default bound of the layer cache folder: 4 GiB */
export const DEFAULT_CACHE_MAX_BYTES = 4 * 1024 ** 3;

/** temp files older than this are leftovers of a killed writer */
const STALE_TEMP_MS = 3_600_000;

const TYPE_CODE: Record<EntryType, string> = {
  file: 'f',
  dir: 'd',
  symlink: 'l',
  hardlink: 'h',
  char: 'c',
  block: 'b',
  fifo: 'p',
};
const CODE_TYPE: Record<string, EntryType> = Object.fromEntries(
  Object.entries(TYPE_CODE).map(([k, v]) => [v, k as EntryType]),
);

/** [path, type code, mode, uid, gid, size, mtime, linkTarget?] */
type CompactEntry = [string, string, number, number, number, number, number, string?];

/** first line of a cache file; then `entries` lines of CompactEntry JSON, then `facts` lines of Fact JSON */
interface CacheHead {
  format: number;
  key: string;
  uncompressedSize: number;
  entryCount: number;
  fileCount: number;
  whiteouts: string[];
  opaque: string[];
  entries: number;
  facts: number;
}

export function layerCacheKey(layer: Pick<Layer, 'digest' | 'diffId'>, analyzers: readonly Analyzer[]): string {
  const names = analyzers.map((a) => `${a.name}@${a.version}`).sort();
  return createHash('sha256')
    .update(JSON.stringify([FORMAT, layer.digest, layer.diffId ?? '', names]))
    .digest('hex');
}

const fileOf = (cacheDir: string, key: string): string => join(cacheDir, 'layers', `${key}.json.gz`);

/** The cached record with `layer` set on every entry, or undefined when absent or unreadable. */
export async function loadLayerRecord(
  cacheDir: string,
  key: string,
  layerIndex: number,
): Promise<LayerRecord | undefined> {
  const file = fileOf(cacheDir, key);
  try {
    await access(file);
  } catch {
    return undefined;
  }
  const input = createReadStream(file, { highWaterMark: 256 * 1024 });
  const lines = createInterface({ input: input.pipe(createGunzip({ chunkSize: 256 * 1024 })), crlfDelay: Infinity });
  input.on('error', () => {});
  try {
    let head: CacheHead | undefined;
    const entries: MergedEntry[] = [];
    const facts: Fact[] = [];
    for await (const line of lines) {
      if (!head) {
        head = JSON.parse(line) as CacheHead;
        if (head.format !== FORMAT || head.key !== key) return undefined;
        continue;
      }
      if (entries.length < head.entries) {
        const [path, t, mode, uid, gid, size, mtime, link] = JSON.parse(line) as CompactEntry;
        const type = CODE_TYPE[t];
        if (typeof path !== 'string' || !type) return undefined;
        const e: MergedEntry = { path, type, mode, uid, gid, size, mtime, layer: layerIndex };
        if (link !== undefined) e.linkTarget = link;
        entries.push(e);
      } else {
        facts.push(JSON.parse(line) as Fact);
      }
    }
    if (!head || entries.length !== head.entries || facts.length !== head.facts) return undefined;
    const now = new Date();
    await utimes(file, now, now).catch(() => {}); // most recently used; gone meanwhile is fine
    return {
      entries,
      whiteouts: head.whiteouts,
      opaque: head.opaque,
      facts,
      uncompressedSize: head.uncompressedSize,
      entryCount: head.entryCount,
      fileCount: head.fileCount,
    };
  } catch {
    return undefined; // corrupt, truncated or foreign file: rescan and overwrite
  } finally {
    lines.close();
    input.destroy();
  }
}

/**
 * Streams the record to a temporary file (one JSON line per entry and fact, gzip), renames it into place, then evicts
 * least recently used files until the folder is under maxBytes.
 */
export async function saveLayerRecord(
  cacheDir: string,
  key: string,
  record: LayerRecord,
  maxBytes: number = DEFAULT_CACHE_MAX_BYTES,
): Promise<void> {
  const file = fileOf(cacheDir, key);
  await mkdir(join(cacheDir, 'layers'), { recursive: true });
  const tmp = `${file}.tmp-${randomBytes(8).toString('hex')}`;
  const head: CacheHead = {
    format: FORMAT,
    key,
    uncompressedSize: record.uncompressedSize,
    entryCount: record.entryCount,
    fileCount: record.fileCount,
    whiteouts: record.whiteouts,
    opaque: record.opaque,
    entries: record.entries.length,
    facts: record.facts.length,
  };
  function* lines(): Generator<string> {
    let batch = JSON.stringify(head) + '\n';
    for (const e of record.entries) {
      const c: CompactEntry = [e.path, TYPE_CODE[e.type], e.mode, e.uid, e.gid, e.size, e.mtime];
      if (e.linkTarget !== undefined) c.push(e.linkTarget);
      batch += JSON.stringify(c) + '\n';
      if (batch.length > 256 * 1024) {
        yield batch;
        batch = '';
      }
    }
    for (const f of record.facts) {
      batch += JSON.stringify(f) + '\n';
      if (batch.length > 256 * 1024) {
        yield batch;
        batch = '';
      }
    }
    if (batch) yield batch;
  }
  try {
    await pipeline(Readable.from(lines()), createGzip({ level: 3 }), createWriteStream(tmp));
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await evictLayerCache(cacheDir, maxBytes);
}

/**
 * Removes the least recently used cache files (oldest mtime first) until the layer cache holds at most maxBytes, and
 * temp files of killed writers. Tolerates files vanishing under it (other processes evicting or writing at the same
 * time). Returns the bytes kept and the files removed.
 */
export async function evictLayerCache(
  cacheDir: string,
  maxBytes: number,
  now: number = Date.now(),
): Promise<{ bytes: number; removed: string[] }> {
  const dir = join(cacheDir, 'layers');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { bytes: 0, removed: [] };
    throw err;
  }
  const files: { name: string; size: number; mtimeMs: number }[] = [];
  const removed: string[] = [];
  for (const name of names) {
    let st;
    try {
      st = await stat(join(dir, name));
    } catch {
      continue; // vanished
    }
    if (!st.isFile()) continue;
    if (name.includes('.tmp-')) {
      if (now - st.mtimeMs > STALE_TEMP_MS) {
        await rm(join(dir, name), { force: true });
        removed.push(name);
      }
      continue; // being written by someone
    }
    if (name.endsWith('.json.gz')) files.push({ name, size: st.size, mtimeMs: st.mtimeMs });
  }
  let bytes = files.reduce((n, f) => n + f.size, 0);
  files.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : 1));
  for (const f of files) {
    if (bytes <= maxBytes) break;
    await rm(join(dir, f.name), { force: true });
    removed.push(f.name);
    bytes -= f.size;
  }
  return { bytes, removed };
}
