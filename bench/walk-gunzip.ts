// Child process for the inspect bench: the floor the walk is measured against — every layer of TARGET read through
// the same source (digest verified) and Node's own decompressor with 256 KiB chunks, bytes counted and dropped.
// Prints one JSON line { ms, maxRssMiB, uncompressedBytes }.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { openImage } from '../src/image/index.ts';
import { CHUNK, compressionOfMagic } from '../src/walk/index.ts';

const target = process.argv[2];
if (!target) throw new Error('usage: walk-gunzip.ts TARGET');
const image = await openImage(target, { offline: true });
const t0 = performance.now();
let total = 0;
for (const layer of image.layers) {
  const blob = await layer.open();
  const it = blob[Symbol.asyncIterator]();
  const first = await it.next();
  const head: Buffer = first.done ? Buffer.alloc(0) : first.value;
  const c = compressionOfMagic(head);
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  const sink = new Writable({
    highWaterMark: CHUNK,
    write(chunk: Buffer, _e, cb) {
      total += chunk.length;
      cb();
    },
  });
  if (c === 'none') await pipeline(rest, sink);
  else
    await pipeline(
      rest,
      c === 'gzip' ? createGunzip({ chunkSize: CHUNK }) : createZstdDecompress({ chunkSize: CHUNK }),
      sink,
    );
}
process.stdout.write(
  JSON.stringify({
    ms: Math.round(performance.now() - t0),
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    uncompressedBytes: total,
  }) + '\n',
);
