// Writing OCI image layouts (and archives of them): content-addressed blobs written through a temp file and renamed
// once their digest is known, so a crash never leaves a half blob under a real name. Deterministic: the same layer
// bytes and config give the same digests (gzip headers carry no time; JSON is written with sorted keys).
import { createHash, randomUUID } from 'node:crypto';
import {
  createWriteStream,
  mkdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  readFileSync,
  existsSync,
  statSync,
  createReadStream,
  readdirSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zc, createGzip, createZstdCompress } from 'node:zlib';
import type { Digest, ImageConfig, Platform } from '../../core/image.ts';
import { InputError } from '../../core/errors.ts';
import { createTarWriter, type TarWriter } from '../../walk/index.ts';

export interface BlobDescriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: Platform;
}
export interface LayerDescriptor extends BlobDescriptor {
  diffId: Digest;
  uncompressedSize: number;
}

/** JSON with keys sorted at every level: identical objects give identical bytes. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, val) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : val,
  );
}

function blobsDir(layout: string): string {
  const d = join(layout, 'blobs', 'sha256');
  mkdirSync(d, { recursive: true });
  return d;
}

/** Start (or reuse) an empty OCI image layout. */
export function initLayout(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const marker = join(dir, 'oci-layout');
  if (existsSync(marker)) {
    const v = JSON.parse(readFileSync(marker, 'utf8')) as { imageLayoutVersion?: string };
    if (v.imageLayoutVersion !== '1.0.0')
      throw new InputError(`oci-dir:${dir}: unsupported layout version ${v.imageLayoutVersion}`);
  } else writeFileSync(marker, canonicalJson({ imageLayoutVersion: '1.0.0' }));
  if (!existsSync(join(dir, 'index.json')))
    writeFileSync(
      join(dir, 'index.json'),
      canonicalJson({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }),
    );
  blobsDir(dir);
}

export { addDirToTar, type DirLayerOptions } from './from-dir.ts';

export async function writeBlob(
  layout: string,
  data: Uint8Array | string,
  mediaType: string,
  extra: Partial<BlobDescriptor> = {},
): Promise<BlobDescriptor> {
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const path = join(blobsDir(layout), digest.slice(7));
  if (!existsSync(path)) {
    const tmp = `${path}.tmp-${randomUUID()}`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  }
  return { mediaType, digest, size: bytes.length, ...extra };
}

/** Hashes bytes passing through. */
function hasher(): Transform & { digest(): string; size(): number } {
  const h = createHash('sha256');
  let n = 0;
  const t = new Transform({
    transform(chunk: Buffer, _e, cb) {
      h.update(chunk);
      n += chunk.length;
      cb(null, chunk);
    },
  }) as Transform & { digest(): string; size(): number };
  let d: string | undefined;
  t.digest = () => (d ??= h.digest('hex'));
  t.size = () => n;
  return t;
}

/**
 * Write one layer: `produce` adds entries to a deterministic tar writer (mtimes/owners as the caller sets them);
 * the tar is hashed (diffID), compressed and hashed again (digest) in one pass.
 */
export async function writeLayer(
  layout: string,
  produce: (tar: TarWriter) => Promise<void>,
  options: { compression?: 'gzip' | 'zstd' | 'none'; mtime?: number; owner?: { uid: number; gid: number } } = {},
): Promise<LayerDescriptor> {
  const compression = options.compression ?? 'gzip';
  const dir = blobsDir(layout);
  const tmp = join(dir, `.layer-${randomUUID()}`);
  const tarHash = hasher();
  const blobHash = hasher();
  const compressor =
    compression === 'gzip'
      ? createGzip({ level: 6, chunkSize: 256 << 10 })
      : compression === 'zstd'
        ? createZstdCompress({ params: { [zc.ZSTD_c_compressionLevel]: 3 } })
        : new Transform({
            transform(c, _e, cb) {
              cb(null, c);
            },
          });
  const out = createWriteStream(tmp);
  const done = pipeline(tarHash, compressor, blobHash, out);
  try {
    const tar = createTarWriter(tarHash as unknown as Writable, {
      mtime: options.mtime,
      owner: options.owner,
      sorted: true,
    });
    await produce(tar);
    await tar.finish();
    await done;
  } catch (err) {
    tarHash.destroy(err as Error);
    await done.catch(() => undefined);
    rmSync(tmp, { force: true });
    throw err;
  }
  const digest = `sha256:${blobHash.digest()}`;
  renameSync(tmp, join(dir, digest.slice(7)));
  const mediaType =
    compression === 'gzip'
      ? 'application/vnd.oci.image.layer.v1.tar+gzip'
      : compression === 'zstd'
        ? 'application/vnd.oci.image.layer.v1.tar+zstd'
        : 'application/vnd.oci.image.layer.v1.tar';
  return {
    mediaType,
    digest,
    size: blobHash.size(),
    diffId: `sha256:${tarHash.digest()}`,
    uncompressedSize: tarHash.size(),
  };
}

export interface ImageSpec {
  layers: LayerDescriptor[];
  platform?: Platform;
  config: Omit<ImageConfig, 'diffIds' | 'platform'>;
  /** RFC 3339; default 1970-01-01T00:00:00Z (reproducible) */
  created?: string;
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
  annotations?: Record<string, string>;
}

/** Write config + manifest for `spec`; returns the manifest descriptor (not yet in index.json). */
export async function writeImage(layout: string, spec: ImageSpec): Promise<BlobDescriptor> {
  const platform = spec.platform ?? { os: 'linux', architecture: 'amd64' };
  const created = spec.created ?? '1970-01-01T00:00:00Z';
  const c = spec.config;
  const config = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created,
    config: {
      ...(c.user !== undefined ? { User: c.user } : {}),
      ...(c.env ? { Env: c.env } : {}),
      ...(c.entrypoint ? { Entrypoint: c.entrypoint } : {}),
      ...(c.cmd ? { Cmd: c.cmd } : {}),
      ...(c.workingDir ? { WorkingDir: c.workingDir } : {}),
      ...(c.labels ? { Labels: c.labels } : {}),
      ...(c.exposedPorts?.length ? { ExposedPorts: Object.fromEntries(c.exposedPorts.map((p) => [p, {}])) } : {}),
    },
    rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => l.diffId) },
    history: spec.history ?? spec.layers.map(() => ({ created, created_by: 'zerocve' })),
  };
  const cfg = await writeBlob(layout, canonicalJson(config), 'application/vnd.oci.image.config.v1+json');
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: cfg.mediaType, digest: cfg.digest, size: cfg.size },
    layers: spec.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    ...(spec.annotations ? { annotations: spec.annotations } : {}),
  };
  const m = await writeBlob(layout, canonicalJson(manifest), manifest.mediaType);
  return { ...m, platform };
}

/**
 * Attach an artifact (SBOM, provenance) to a manifest the OCI 1.1 way: an artifact manifest whose `subject` is the
 * image; listed in index.json so tools that read referrers from a layout find it.
 */
export async function writeReferrer(
  layout: string,
  subject: BlobDescriptor,
  artifact: { artifactType: string; data: string; annotations?: Record<string, string> },
): Promise<BlobDescriptor> {
  const blob = await writeBlob(layout, artifact.data, artifact.artifactType);
  const empty = await writeBlob(layout, '{}', 'application/vnd.oci.empty.v1+json');
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: artifact.artifactType,
    config: { mediaType: empty.mediaType, digest: empty.digest, size: empty.size },
    layers: [{ mediaType: blob.mediaType, digest: blob.digest, size: blob.size }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    ...(artifact.annotations ? { annotations: artifact.annotations } : {}),
  };
  const m = await writeBlob(layout, canonicalJson(manifest), manifest.mediaType);
  return { ...m, artifactType: artifact.artifactType, annotations: artifact.annotations };
}

/** Replace index.json's manifests with `entries` (a tag goes in `org.opencontainers.image.ref.name`). Atomic. */
export function writeIndex(layout: string, entries: (BlobDescriptor & { tag?: string })[]): void {
  const manifests = entries.map(({ tag, ...d }) => ({
    ...d,
    ...(tag || d.annotations
      ? { annotations: { ...d.annotations, ...(tag ? { 'org.opencontainers.image.ref.name': tag } : {}) } }
      : {}),
  }));
  const tmp = join(layout, `.index.json.tmp-${randomUUID()}`);
  writeFileSync(
    tmp,
    canonicalJson({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
  );
  renameSync(tmp, join(layout, 'index.json'));
}

/** Pack a layout directory into an `oci-archive` tar (sorted, fixed mtimes), streaming blobs from disk. */
export async function writeOciArchive(
  layout: string,
  out: string,
  extra: { path: string; data: string }[] = [],
): Promise<void> {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (!n.includes('.tmp-') && !n.startsWith('.')) files.push(relative(layout, p));
    }
  };
  walk(layout);
  const all = [...files.map((f) => ({ path: f })), ...extra].sort((a, b) => (a.path < b.path ? -1 : 1));
  const dirs = new Set<string>();
  for (const f of all) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const entries = [...[...dirs].map((d) => ({ path: d, dir: true as const })), ...all].sort((a, b) =>
    a.path < b.path ? -1 : 1,
  );
  const tmp = `${out}.tmp-${randomUUID()}`;
  const stream = createWriteStream(tmp);
  const tar = createTarWriter(stream, { mtime: 0, owner: { uid: 0, gid: 0 }, sorted: true });
  try {
    for (const e of entries) {
      if ('dir' in e) {
        await tar.add({ path: e.path, type: 'dir', mode: 0o755 });
        continue;
      }
      if ('data' in e && typeof e.data === 'string') {
        await tar.add({ path: e.path, type: 'file', mode: 0o644 }, Buffer.from(e.data));
        continue;
      }
      const p = join(layout, e.path);
      await tar.add(
        { path: e.path, type: 'file', mode: 0o644, size: statSync(p).size },
        createReadStream(p, { highWaterMark: 256 << 10 }),
      );
    }
    await tar.finish();
  } catch (err) {
    stream.destroy();
    rmSync(tmp, { force: true });
    throw err;
  }
  renameSync(tmp, out);
}

/** A Docker-25-style `docker save` tar: the OCI layout plus manifest.json. */
export async function writeDockerArchive(
  layout: string,
  out: string,
  image: { manifest: BlobDescriptor; repoTag?: string },
): Promise<void> {
  const manifest = JSON.parse(
    readFileSync(join(layout, 'blobs', 'sha256', image.manifest.digest.slice(7)), 'utf8'),
  ) as { config: { digest: string }; layers: { digest: string }[] };
  const dm = [
    {
      Config: `blobs/sha256/${manifest.config.digest.slice(7)}`,
      RepoTags: image.repoTag ? [image.repoTag] : [],
      Layers: manifest.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
    },
  ];
  await writeOciArchive(layout, out, [{ path: 'manifest.json', data: JSON.stringify(dm) }]);
}

/** Append descriptors to an existing layout's index.json (atomically), keeping what is there. */
export function appendToIndex(layout: string, entries: BlobDescriptor[]): void {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: BlobDescriptor[] };
  const tmp = join(layout, `.index.json.tmp-${randomUUID()}`);
  writeFileSync(
    tmp,
    canonicalJson({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [...index.manifests, ...entries],
    }),
  );
  renameSync(tmp, join(layout, 'index.json'));
}

/** The descriptor of a blob already in the layout. */
export function blobDescriptor(layout: string, digest: string, mediaType: string): BlobDescriptor {
  return { mediaType, digest, size: statSync(join(layout, 'blobs', 'sha256', digest.replace(/^sha256:/, ''))).size };
}
