// The walk: every layer read once (or not at all when cached), analyzers fed as entries stream by, layers decoded
// concurrently and merged strictly in layer order.
import type { Analyzer } from '../core/analyzer.ts';
import type { MergedEntry } from '../core/entry.ts';
import type { Fact } from '../core/fact.ts';
import type { ProblemCode } from '../core/package.ts';
import type { Image, Layer } from '../core/image.ts';
import { InputError, reasonOf } from '../core/errors.ts';
import { layerCacheKey, loadLayerRecord, saveLayerRecord } from './cache.ts';
import { decompressedChunks, type DecompressStats, type Limits } from './decompress.ts';
import { DIR_MEDIA_TYPE, walkDirectory } from './dir-walk.ts';
import { dispatchEntry } from './dispatch.ts';
import { createMerger } from './merge.ts';
import { baseOf, parentOf } from './paths.ts';
import { readTar } from './tar-reader.ts';
import type { LayerFact, LayerRecord, LayerWalk, WalkOptions, WalkProgress, WalkResult } from './types.ts';

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
const PROGRESS_EVERY = 16 * 1024 * 1024; // uncompressed bytes between progress events

/** `sha256:0123456789abcdef…` for messages */
export const shortDigest = (d: string): string => (d.length > 23 ? `${d.slice(0, 23)}…` : d);

export async function walkImage(image: Image, options: WalkOptions): Promise<WalkResult> {
  const { analyzers, signal, onProgress } = options;
  signal?.throwIfAborted();
  if (image.rootDir !== undefined) {
    onProgress?.({ layer: 0, digest: '', phase: 'start', compressedBytes: 0, uncompressedBytes: 0, fromCache: false });
    const { record, digest } = await walkDirectory(image.rootDir, analyzers, signal);
    const merger = createMerger();
    merger.add(record);
    onProgress?.({
      layer: 0,
      digest,
      phase: 'done',
      compressedBytes: 0,
      uncompressedBytes: record.uncompressedSize,
      fromCache: false,
    });
    return {
      layers: [
        {
          index: 0,
          digest,
          mediaType: DIR_MEDIA_TYPE,
          compressedSize: -1,
          uncompressedSize: record.uncompressedSize,
          entries: record.entryCount,
          files: record.fileCount,
          fromCache: false,
        },
      ],
      merged: merger.view,
      facts: survivingFacts([record.facts], merger.view.get),
    };
  }

  const layers = image.layers;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 2));
  const merger = createMerger();
  const walks: LayerWalk[] = new Array(layers.length);
  const factsByLayer: Fact[][] = new Array(layers.length);
  const ready: (LayerRecord | undefined)[] = new Array(layers.length);
  let nextMerge = 0;
  let nextStart = 0;
  const inner = new AbortController();
  const onAbort = (): void => inner.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let failure: unknown;

  const mergeReady = (): void => {
    while (nextMerge < layers.length && ready[nextMerge]) {
      const rec = ready[nextMerge]!;
      ready[nextMerge] = undefined; // the merged view now holds the entries; drop the per-layer list
      merger.add(rec);
      factsByLayer[nextMerge] = rec.facts;
      nextMerge++;
    }
  };

  const worker = async (): Promise<void> => {
    while (failure === undefined && nextStart < layers.length) {
      const index = nextStart++;
      try {
        const { record, walk } = await walkOne(
          image,
          layers[index],
          index,
          analyzers,
          options.cacheDir ? { dir: options.cacheDir, maxBytes: options.cacheMaxBytes } : null,
          options.limits,
          inner.signal,
          onProgress,
        );
        walks[index] = walk;
        ready[index] = record;
        mergeReady();
      } catch (err) {
        if (failure === undefined) failure = err;
        inner.abort(err);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, layers.length) }, worker));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) {
    if (signal?.aborted) throw signal.reason;
    throw failure;
  }
  return { layers: walks, merged: merger.view, facts: survivingFacts(factsByLayer, merger.view.get) };
}

/** Facts whose path still has its final entry from the layer that produced them (or that name no path). */
function survivingFacts(byLayer: Fact[][], get: (path: string) => MergedEntry | undefined): LayerFact[] {
  const out: LayerFact[] = [];
  byLayer.forEach((facts, layer) => {
    for (const f of facts) {
      if (f.path === '' || get(f.path)?.layer === layer) out.push({ ...f, layer });
    }
  });
  return out;
}

async function walkOne(
  image: Image,
  layer: Layer,
  index: number,
  analyzers: readonly Analyzer[],
  cache: { dir: string; maxBytes?: number } | null,
  limits: Limits | undefined,
  signal: AbortSignal,
  onProgress?: (e: WalkProgress) => void,
): Promise<{ record: LayerRecord; walk: LayerWalk }> {
  const base = {
    index,
    digest: layer.digest,
    ...(layer.diffId ? { diffId: layer.diffId } : {}),
    mediaType: layer.mediaType,
  };
  const cacheDir = cache?.dir ?? null;
  const key = cacheDir ? layerCacheKey(layer, analyzers) : '';
  if (cacheDir) {
    const cached = await loadLayerRecord(cacheDir, key, index);
    if (cached) {
      onProgress?.({
        layer: index,
        digest: layer.digest,
        phase: 'done',
        compressedBytes: 0,
        uncompressedBytes: cached.uncompressedSize,
        fromCache: true,
      });
      return {
        record: cached,
        walk: {
          ...base,
          compressedSize: layer.size,
          uncompressedSize: cached.uncompressedSize,
          entries: cached.entryCount,
          files: cached.fileCount,
          fromCache: true,
        },
      };
    }
  }
  onProgress?.({
    layer: index,
    digest: layer.digest,
    phase: 'start',
    compressedBytes: 0,
    uncompressedBytes: 0,
    fromCache: false,
  });
  const stats: DecompressStats = { compression: 'none', compressedBytes: 0, uncompressedBytes: 0 };
  let record: LayerRecord;
  try {
    record = await readLayer(layer, index, analyzers, limits, signal, stats, onProgress);
  } catch (err) {
    if (signal.aborted && !(err instanceof InputError)) throw err;
    const what = `${image.source.target} layer ${index} ${shortDigest(layer.digest)}`;
    throw new InputError(`${what}: ${reasonOf(err)}`, { cause: err });
  }
  if (stats.declared !== undefined && stats.declared !== stats.compression) {
    record.facts.push({
      kind: 'problem',
      code: 'inconsistent',
      path: '',
      analyzer: 'walk',
      message:
        `layer ${index} ${shortDigest(layer.digest)}: media type ${layer.mediaType} says ` +
        `${stats.declared} but the bytes are ${stats.compression}; read as ${stats.compression}`,
    });
  }
  if (cacheDir) {
    try {
      await saveLayerRecord(cacheDir, key, record, cache?.maxBytes);
    } catch (err) {
      record.facts.push({
        kind: 'problem',
        code: 'skipped',
        path: '',
        analyzer: 'walk',
        message: `layer cache not written in ${cacheDir}: ${reasonOf(err)}`,
      });
    }
  }
  onProgress?.({
    layer: index,
    digest: layer.digest,
    phase: 'done',
    compressedBytes: stats.compressedBytes,
    uncompressedBytes: stats.uncompressedBytes,
    fromCache: false,
  });
  return {
    record,
    walk: {
      ...base,
      compressedSize: layer.size >= 0 ? layer.size : stats.compressedBytes,
      uncompressedSize: stats.uncompressedBytes,
      entries: record.entryCount,
      files: record.fileCount,
      fromCache: false,
    },
  };
}

async function readLayer(
  layer: Layer,
  index: number,
  analyzers: readonly Analyzer[],
  limits: Limits | undefined,
  signal: AbortSignal,
  stats: DecompressStats,
  onProgress?: (e: WalkProgress) => void,
): Promise<LayerRecord> {
  const blob = await layer.open(signal);
  const abort = (): void => {
    blob.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  };
  signal.addEventListener('abort', abort, { once: true });
  const entries: MergedEntry[] = [];
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  const facts: Fact[] = [];
  let entryCount = 0;
  let fileCount = 0;
  let nextReport = PROGRESS_EVERY;
  const onChunk =
    onProgress &&
    ((): void => {
      if (stats.uncompressedBytes >= nextReport) {
        nextReport = stats.uncompressedBytes + PROGRESS_EVERY;
        onProgress({
          layer: index,
          digest: layer.digest,
          phase: 'progress',
          compressedBytes: stats.compressedBytes,
          uncompressedBytes: stats.uncompressedBytes,
          fromCache: false,
        });
      }
    });
  try {
    const tar = readTar(decompressedChunks(blob, { mediaType: layer.mediaType, limits, stats, onChunk }), {
      maxEntries: limits?.maxEntries,
    });
    for await (const te of tar) {
      if (signal.aborted) throw signal.reason;
      entryCount++;
      const h = te.header as MergedEntry;
      for (const message of te.problems)
        facts.push({ kind: 'problem', code: tarProblemCode(message), path: h.path, analyzer: 'walk', message });
      const name = baseOf(h.path);
      if (name.startsWith(WHITEOUT)) {
        const dir = parentOf(h.path);
        if (name === OPAQUE) opaque.push(dir);
        else whiteouts.push(dir === '/' ? `/${name.slice(WHITEOUT.length)}` : `${dir}/${name.slice(WHITEOUT.length)}`);
        continue;
      }
      h.layer = index;
      entries.push(h);
      if (h.type === 'file') fileCount++;
      if (analyzers.length) await dispatchEntry(h, analyzers, facts, te.readable, te.body);
    }
  } finally {
    signal.removeEventListener('abort', abort);
    blob.destroy();
  }
  return { entries, whiteouts, opaque, facts, uncompressedSize: stats.uncompressedBytes, entryCount, fileCount };
}

/** The code of a tar reader's entry problem (tar-reader.ts words them: sparse/unknown type, or a path outside). */
function tarProblemCode(message: string): ProblemCode {
  return /outside the image root/.test(message) ? 'unsafe-path' : 'unsupported';
}
