// A Layer over a blob file on disk (tests, bench, and sources that already hold blobs as files). Its digest is
// computed by streaming the file once at creation; open() re-reads the file with 256 KiB reads each time.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Digest, Layer } from '../core/image.ts';
import { CHUNK } from './decompress.ts';

export interface FileLayerOptions {
  mediaType: string;
  diffId?: Digest;
  /** skip hashing and use this digest */
  digest?: Digest;
  /** called on every open (tests count opens) */
  onOpen?: () => void;
}

export async function createFileLayer(path: string, options: FileLayerOptions): Promise<Layer> {
  const { size } = await stat(path);
  let digest = options.digest;
  if (!digest) {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) hash.update(chunk as Buffer);
    digest = `sha256:${hash.digest('hex')}`;
  }
  return {
    digest,
    ...(options.diffId ? { diffId: options.diffId } : {}),
    mediaType: options.mediaType,
    size,
    async open(signal?: AbortSignal): Promise<Readable> {
      signal?.throwIfAborted();
      options.onOpen?.();
      return createReadStream(path, { highWaterMark: CHUNK, signal });
    },
  };
}
