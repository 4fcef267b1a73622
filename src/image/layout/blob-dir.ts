// A BlobReader over a content-addressed `blobs/<alg>/<hex>` directory (OCI image layout). Every read is verified.
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Digest } from '../../core/image.ts';
import { InputError, reasonOf } from '../../core/errors.ts';
import { parseDigest, verifyDigest, digestOf } from '../digest-stream.ts';
import { parseJsonBytes, type BlobReader, type Descriptor } from '../oci.ts';

/** manifests, indexes and configs larger than this are refused rather than read into memory */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;
const READ_CHUNK = 256 * 1024;

export function blobPath(layoutDir: string, digest: Digest, what: string): string {
  const { algorithm, hex } = parseDigest(digest, what);
  return join(layoutDir, 'blobs', algorithm, hex);
}

export function createBlobDirReader(layoutDir: string, target: string): BlobReader {
  const missing = (_digest: Digest, what: string, err: unknown): InputError =>
    new InputError(`${what}: blob missing from ${target} (${reasonOf(err)})`, { cause: err });

  return {
    async readJson(digest: Digest, what: string): Promise<unknown> {
      const path = blobPath(layoutDir, digest, what);
      let size: number;
      try {
        size = (await stat(path)).size;
      } catch (err) {
        throw missing(digest, what, err);
      }
      if (size > MAX_JSON_BYTES)
        throw new InputError(`${what}: ${size} bytes, larger than the ${MAX_JSON_BYTES}-byte limit for JSON documents`);
      const fh = await open(path, 'r').catch((err: unknown) => {
        throw missing(digest, what, err);
      });
      let data: Buffer;
      try {
        data = await fh.readFile();
      } finally {
        await fh.close();
      }
      const got = digestOf(data, parseDigest(digest, what).algorithm);
      if (got !== digest) throw new InputError(`${what}: digest mismatch: expected ${digest}, got ${got}`);
      return parseJsonBytes(data, what);
    },
    async open(desc: Descriptor, signal?: AbortSignal): Promise<Readable> {
      const what = `blob ${desc.digest} of ${target}`;
      const path = blobPath(layoutDir, desc.digest, what);
      signal?.throwIfAborted();
      const fh = await open(path, 'r').catch((err: unknown) => {
        throw missing(desc.digest, what, err);
      });
      const stream = fh.createReadStream({ highWaterMark: READ_CHUNK, signal });
      return verifyDigest(stream, { digest: desc.digest, size: desc.size, what });
    },
  };
}
