// Digest verification as bytes stream by: one hash update per chunk, the chunk passed on untouched.
import { createHash, type Hash } from 'node:crypto';
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import type { Digest } from '../core/image.ts';
import { InputError } from '../core/errors.ts';

export interface ExpectedBlob {
  digest: Digest;
  /** stored size in bytes; checked when given and >= 0 */
  size?: number;
  /** what the bytes are, for messages, e.g. `layer sha256:ab… of oci-dir:/x` */
  what: string;
}

const DIGEST_RE = /^(sha256|sha512):([a-f0-9]+)$/;
const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

/** Splits and validates a digest; throws InputError naming `what` when it is malformed or of an unknown algorithm. */
export function parseDigest(digest: string, what: string): { algorithm: 'sha256' | 'sha512'; hex: string } {
  const m = DIGEST_RE.exec(digest);
  if (!m || m[2].length !== HEX_LENGTH[m[1]]) {
    throw new InputError(
      `${what}: malformed or unsupported digest ${JSON.stringify(digest)} (expected sha256:<64 hex>)`,
    );
  }
  return { algorithm: m[1] as 'sha256' | 'sha512', hex: m[2] };
}

/** true when `s` is a well-formed sha256/sha512 digest */
export function isDigest(s: string): boolean {
  const m = DIGEST_RE.exec(s);
  return !!m && m[2].length === HEX_LENGTH[m[1]];
}

/** Digest of an in-memory buffer (manifests, configs), as `algo:hex`. */
export function digestOf(data: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/**
 * A pass-through Transform that hashes every chunk and, at the end, fails with an InputError when the digest or the
 * size differs from `expected`. Bytes beyond the expected size fail the stream at once (no unbounded reads).
 */
export function createDigestVerifier(expected: ExpectedBlob): Transform {
  const { algorithm, hex } = parseDigest(expected.digest, expected.what);
  const wantSize = expected.size !== undefined && expected.size >= 0 ? expected.size : undefined;
  const hash: Hash = createHash(algorithm);
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      seen += chunk.length;
      if (wantSize !== undefined && seen > wantSize) {
        cb(new InputError(`${expected.what}: size mismatch: expected ${wantSize} bytes, got more`));
        return;
      }
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      if (wantSize !== undefined && seen !== wantSize) {
        cb(new InputError(`${expected.what}: truncated: expected ${wantSize} bytes, got ${seen}`));
        return;
      }
      const got = hash.digest('hex');
      if (got !== hex) {
        cb(new InputError(`${expected.what}: digest mismatch: expected ${algorithm}:${hex}, got ${algorithm}:${got}`));
        return;
      }
      cb();
    },
  });
}

/**
 * Wraps `stream` so that its bytes are verified against `expected` as they are read. Errors of the source are passed
 * on; destroying the returned stream destroys the source (closing files and HTTP connections).
 */
export function verifyDigest(stream: Readable, expected: ExpectedBlob): Readable {
  const verifier = createDigestVerifier(expected);
  // pipeline wires error propagation and teardown in both directions; the outcome is observed on `verifier`.
  pipeline(stream, verifier, () => {});
  return verifier;
}
