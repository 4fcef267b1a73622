// Public door of the walk: stream every layer once, feed analyzers, merge in layer order, cache per layer.
export { walkImage } from './walk.ts';
export type { WalkOptions, WalkProgress, WalkResult, LayerWalk, LayerFact, MergedView, ShadowedFile } from './types.ts';
export type { Limits } from './decompress.ts';
export { DEFAULT_MAX_LAYER_BYTES, compressionOfMagic, compressionOfMediaType } from './decompress.ts';
export { readTar, type TarEntry, type TarReaderOptions } from './tar-reader.ts';
export { createTarWriter, type TarWriter, type TarWriteHeader, type TarWriterOptions } from './tar-writer.ts';
export { createFileLayer, type FileLayerOptions } from './file-layer.ts';
export { normalizePath, resolveLinkTarget } from './paths.ts';
export { layerCacheKey, evictLayerCache, DEFAULT_CACHE_MAX_BYTES } from './cache.ts';
export { readTarFrom } from './tar-reader.ts';
export { createFileByteReader, type ByteReader } from './byte-reader.ts';
export { CHUNK } from './decompress.ts';
export { extractImage, type ExtractOptions, type ExtractResult } from './extract.ts';
