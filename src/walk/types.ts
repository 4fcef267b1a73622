// The walk's public shapes.
import type { Analyzer } from '../core/analyzer.ts';
import type { MergedEntry } from '../core/entry.ts';
import type { Fact } from '../core/fact.ts';
import type { Digest } from '../core/image.ts';
import type { Limits } from './decompress.ts';

export interface WalkOptions {
  analyzers: Analyzer[];
  /** folder for the per-layer cache; null or absent = no cache */
  cacheDir?: string | null;
  /** bound of the cache folder, least recently used layers evicted first (default DEFAULT_CACHE_MAX_BYTES, 4 GiB) */
  cacheMaxBytes?: number;
  signal?: AbortSignal;
  /** layers decoded at once (default 2); the merge still runs in layer order */
  concurrency?: number;
  onProgress?: (e: WalkProgress) => void;
  limits?: Limits;
}

export interface WalkProgress {
  layer: number;
  digest: Digest;
  phase: 'start' | 'progress' | 'done';
  compressedBytes: number;
  uncompressedBytes: number;
  fromCache: boolean;
}

export interface LayerWalk {
  index: number;
  digest: Digest;
  diffId?: Digest;
  mediaType: string;
  compressedSize: number;
  uncompressedSize: number;
  /** tar entries, whiteouts included */
  entries: number;
  /** regular files */
  files: number;
  fromCache: boolean;
}

/** A fact that survived the merge, with the layer that produced it. */
export type LayerFact = Fact & { layer: number };

export interface ShadowedFile {
  path: string;
  layer: number;
  size: number;
}

export interface MergedView {
  get(path: string): MergedEntry | undefined;
  entries(): Iterable<MergedEntry>;
  readonly size: number;
  /** follows symlinks inside the image root (never above `/`, at most 40 links); undefined when missing or looping */
  resolve(path: string): MergedEntry | undefined;
  /** regular files replaced or deleted by a later layer: bytes shipped but unreachable */
  readonly shadowed: ShadowedFile[];
}

export interface WalkResult {
  layers: LayerWalk[];
  merged: MergedView;
  facts: LayerFact[];
}

/** What one layer yields, before merging; also what the cache stores. */
export interface LayerRecord {
  /** entries in tar order (whiteout markers excluded), `layer` set to the layer index */
  entries: MergedEntry[];
  /** paths a `.wh.NAME` deletes from lower layers */
  whiteouts: string[];
  /** directories a `.wh..wh..opq` empties of lower-layer content */
  opaque: string[];
  facts: Fact[];
  uncompressedSize: number;
  entryCount: number;
  fileCount: number;
}
