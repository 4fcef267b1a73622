// Child process for measurements: walks one image once and prints one JSON line
// { ms, maxRssMiB, layers, entries, files, fromCache, uncompressedBytes } (maxRSS is this process's, nothing else's).
//   node bench/walk-run.ts TARGET [--cache DIR] [--concurrency N] [--max-layer-bytes N]
//   TARGET: oci-dir:/x, oci-archive:/x.tar, docker-archive:/x.tar, dir:/x, or layers:MEDIATYPE:FILE[,FILE…]
import { parseArgs } from 'node:util';
import { openImage } from '../src/image/index.ts';
import { createFileLayer, walkImage } from '../src/walk/index.ts';
import type { Image } from '../src/core/image.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { cache: { type: 'string' }, concurrency: { type: 'string' }, 'max-layer-bytes': { type: 'string' } },
});
const target = positionals[0];
if (!target) throw new Error('usage: walk-run.ts TARGET [--cache DIR] [--concurrency N]');

async function open(t: string): Promise<Image> {
  const m = /^layers:([^:]+):(.+)$/.exec(t);
  if (!m) return openImage(t, { offline: true });
  const layers = await Promise.all(m[2].split(',').map((f) => createFileLayer(f, { mediaType: m[1], digest: `sha256:${'0'.repeat(64)}` })));
  return { source: { target: t, kind: 'oci-archive' }, config: { diffIds: [] }, layers };
}

const image = await open(target);
const t0 = performance.now();
const r = await walkImage(image, {
  analyzers: [],
  cacheDir: values.cache ?? null,
  concurrency: values.concurrency ? Number(values.concurrency) : undefined,
  limits: values['max-layer-bytes'] ? { maxLayerBytes: Number(values['max-layer-bytes']) } : undefined,
});
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({
  ms: Math.round(ms),
  maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  layers: r.layers.length,
  entries: r.merged.size,
  files: r.layers.reduce((a, l) => a + l.files, 0),
  fromCache: r.layers.every((l) => l.fromCache),
  uncompressedBytes: r.layers.reduce((a, l) => a + l.uncompressedSize, 0),
}) + '\n');
