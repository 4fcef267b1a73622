// Per-layer cache: `<cacheDir>/layers/<key>.json.gz`, key = sha256(layer digest, diffID, sorted analyzer
// name@version, cache format). Holds the layer's compact entry list and its facts, so a rescan of an unchanged image
// opens no layer. Files are written to a temporary name and renamed (readers never see half a file); a file that
// does not parse is treated as absent and rewritten.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip, gunzip } from 'node:zlib';
import type { Analyzer } from '../core/analyzer.ts';
import type { EntryType, MergedEntry } from '../core/entry.ts';
import type { Fact } from '../core/fact.ts';
import type { Layer } from '../core/image.ts';
import type { LayerRecord } from './types.ts';

const FORMAT = 1;
const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

const TYPE_CODE: Record<EntryType, string> = { file: 'f', dir: 'd', symlink: 'l', hardlink: 'h', char: 'c', block: 'b', fifo: 'p' };
const CODE_TYPE: Record<string, EntryType> = Object.fromEntries(Object.entries(TYPE_CODE).map(([k, v]) => [v, k as EntryType]));

/** [path, type code, mode, uid, gid, size, mtime, linkTarget?] */
type CompactEntry = [string, string, number, number, number, number, number, string?];

interface CacheFile {
  format: number;
  key: string;
  uncompressedSize: number;
  entryCount: number;
  fileCount: number;
  entries: CompactEntry[];
  whiteouts: string[];
  opaque: string[];
  facts: Fact[];
}

export function layerCacheKey(layer: Pick<Layer, 'digest' | 'diffId'>, analyzers: readonly Analyzer[]): string {
  const names = analyzers.map((a) => `${a.name}@${a.version}`).sort();
  return createHash('sha256').update(JSON.stringify([FORMAT, layer.digest, layer.diffId ?? '', names])).digest('hex');
}

const fileOf = (cacheDir: string, key: string): string => join(cacheDir, 'layers', `${key}.json.gz`);

/** The cached record with `layer` set on every entry, or undefined when absent or unreadable. */
export async function loadLayerRecord(cacheDir: string, key: string, layerIndex: number): Promise<LayerRecord | undefined> {
  let raw: Buffer;
  try { raw = await readFile(fileOf(cacheDir, key)); } catch { return undefined; }
  try {
    const c = JSON.parse((await gunzipAsync(raw)).toString('utf8')) as CacheFile;
    if (c.format !== FORMAT || c.key !== key || !Array.isArray(c.entries) || !Array.isArray(c.facts)) return undefined;
    const entries: MergedEntry[] = new Array(c.entries.length);
    for (let i = 0; i < c.entries.length; i++) {
      const [path, t, mode, uid, gid, size, mtime, link] = c.entries[i];
      const type = CODE_TYPE[t];
      if (typeof path !== 'string' || !type) return undefined;
      const e: MergedEntry = { path, type, mode, uid, gid, size, mtime, layer: layerIndex };
      if (link !== undefined) e.linkTarget = link;
      entries[i] = e;
    }
    return { entries, whiteouts: c.whiteouts, opaque: c.opaque, facts: c.facts, uncompressedSize: c.uncompressedSize, entryCount: c.entryCount, fileCount: c.fileCount };
  } catch {
    return undefined; // corrupt or foreign file: rescan and overwrite
  }
}

export async function saveLayerRecord(cacheDir: string, key: string, record: LayerRecord): Promise<void> {
  const entries: CompactEntry[] = record.entries.map((e) => {
    const c: CompactEntry = [e.path, TYPE_CODE[e.type], e.mode, e.uid, e.gid, e.size, e.mtime];
    if (e.linkTarget !== undefined) c.push(e.linkTarget);
    return c;
  });
  const body: CacheFile = {
    format: FORMAT, key, uncompressedSize: record.uncompressedSize, entryCount: record.entryCount, fileCount: record.fileCount,
    entries, whiteouts: record.whiteouts, opaque: record.opaque, facts: record.facts,
  };
  const file = fileOf(cacheDir, key);
  await mkdir(join(cacheDir, 'layers'), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, await gzipAsync(JSON.stringify(body), { level: 3 }));
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
