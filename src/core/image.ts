// What an image is, independent of where its bytes live (registry, archive, layout, directory).
import type { Readable } from 'node:stream';

/** `sha256:<64 hex>` */
export type Digest = string;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** The parts of the OCI image config zerocve reads. */
export interface ImageConfig {
  user?: string;
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  labels?: Record<string, string>;
  created?: string;
  exposedPorts?: string[];
  platform?: Platform;
  /** diffIDs from rootfs.diff_ids, in layer order */
  diffIds: Digest[];
  history?: { created?: string; createdBy?: string; emptyLayer?: boolean; comment?: string }[];
}

export type Compression = 'gzip' | 'zstd' | 'none';

/**
 * A layer is a thunk that can be opened again, never a buffer. `open` yields the blob as stored
 * (possibly compressed); the walker decompresses. Sources verify the blob digest as bytes stream by
 * and fail the stream with an InputError on mismatch or truncation.
 */
export interface Layer {
  /** digest of the blob as stored (compressed); for dir: sources a digest of the tree listing */
  readonly digest: Digest;
  /** digest of the uncompressed tar, when known (from the config) */
  readonly diffId?: Digest;
  readonly mediaType: string;
  /** stored size in bytes, -1 if unknown */
  readonly size: number;
  open(signal?: AbortSignal): Promise<Readable>;
}

/** Where the image came from, as the user named it, and what it resolved to. */
export interface ImageSourceInfo {
  /** the target as typed, e.g. `oci-dir:/tmp/x:latest` */
  target: string;
  kind: 'registry' | 'docker-archive' | 'oci-archive' | 'oci-dir' | 'dir' | 'sbom';
  /** normalized reference for registry images, e.g. `docker.io/library/python:3.12` */
  reference?: string;
  /** manifest digest, when the image has one */
  manifestDigest?: Digest;
  repoTags?: string[];
}

export interface Image {
  readonly source: ImageSourceInfo;
  readonly config: ImageConfig;
  /** raw config JSON digest */
  readonly configDigest?: Digest;
  readonly layers: readonly Layer[];
  /** a `dir:` target is already a root file system: no tar, walked directly */
  readonly rootDir?: string;
  /** the manifest's annotations (`org.opencontainers.image.base.name`, …), when it has any */
  readonly annotations?: Readonly<Record<string, string>>;
}
