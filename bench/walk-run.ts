// Child process for measurements: walks one image once and prints one JSON line
// { ms, maxRssMiB, layers, entries, files, fromCache, uncompressedBytes } (maxRSS is this process's, nothing else's).
//   node bench/walk-run.ts TARGET [--cache DIR] [--concurrency N] [--max-layer-bytes N]
//   TARGET: oci-dir:/x, oci-archive:/x.tar, docker-archive:/x.tar, dir:/x, layers:MEDIATYPE:FILE[,FILE…], or
//   bomb:GiB (a zero-file layer generated and compressed on the fly)
import { parseArgs } from 'node:util';
import { openImage } from '../src/image/index.ts';
import { PassThrough } from 'node:stream';
import { createGzip } from 'node:zlib';
import { createFileLayer, createTarWriter, walkImage } from '../src/walk/index.ts';
import type { Image, Layer } from '../src/core/image.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { cache: { type: 'string' }, concurrency: { type: 'string' }, 'max-layer-bytes': { type: 'string' } },
});
const target = positionals[0];
if (!target) throw new Error('usage: walk-run.ts TARGET [--cache DIR] [--concurrency N]');

/** `bomb:GiB`: one layer holding a GiB-sized zero file, built and gzip-compressed while the walker reads it */
function bomb(gib: number): Image {
  const size = Math.round(gib * 1024 ** 3);
  const layer: Layer = {
    digest: `sha256:${'b'.repeat(64)}`,
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    size: -1,
    async open() {
      const tar = new PassThrough({ highWaterMark: 1 << 20 });
      const w = createTarWriter(tar);
      const zeros = Buffer.alloc(1 << 20);
      async function* body(): AsyncGenerator<Buffer> {
        for (let left = size; left > 0; left -= zeros.length)
          yield left >= zeros.length ? zeros : zeros.subarray(0, left);
      }
      void (async () => {
        try {
          await w.add({ path: '/zeros', type: 'file', size }, body());
          await w.finish();
        } catch (err) {
          tar.destroy(err as Error);
        }
      })();
      return tar.pipe(createGzip({ level: 1 }));
    },
  };
  return { source: { target: `bomb:${gib}`, kind: 'oci-archive' }, config: { diffIds: [] }, layers: [layer] };
}

async function open(t: string): Promise<Image> {
  if (t.startsWith('bomb:')) return bomb(Number(t.slice(5)));
  const m = /^layers:([^:]+):(.+)$/.exec(t);
  if (!m) return openImage(t, { offline: true });
  const layers = await Promise.all(
    m[2].split(',').map((f) => createFileLayer(f, { mediaType: m[1], digest: `sha256:${'0'.repeat(64)}` })),
  );
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
process.stdout.write(
  JSON.stringify({
    ms: Math.round(ms),
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    layers: r.layers.length,
    entries: r.merged.size,
    files: r.layers.reduce((a, l) => a + l.files, 0),
    fromCache: r.layers.every((l) => l.fromCache),
    uncompressedBytes: r.layers.reduce((a, l) => a + l.uncompressedSize, 0),
  }) + '\n',
);
