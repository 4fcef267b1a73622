// `oci-archive:PATH` (an OCI image layout in a tarball) and `docker-archive:PATH` (`docker save`: legacy
// `<id>/layer.tar` + `manifest.json`, and Docker 25+ which is an OCI layout plus `manifest.json`). The tarball is
// indexed once (headers only); every blob is then a byte range of the file, verified by digest as it streams.
import type { Digest, Image, Layer, Platform } from '../../core/image.ts';
import { InputError } from '../../core/errors.ts';
import { compressionOfMagic } from '../../walk/index.ts';
import { digestOf, isDigest, parseDigest, verifyDigest } from '../digest-stream.ts';
import { chooseLayoutRoot } from '../layout/index.ts';
import {
  MediaType,
  formatPlatform,
  parseImageConfig,
  parseJsonBytes,
  parseManifestOrIndex,
  platformMatches,
  resolveImage,
  DEFAULT_PLATFORM,
  type BlobReader,
  type Descriptor,
} from '../oci.ts';
import { indexTar, type ArchiveMember, type TarIndex } from './tar-index.ts';

export { indexTar, type TarIndex, type ArchiveMember } from './tar-index.ts';

export interface OpenArchiveOptions {
  platform?: Platform;
  /** the target as typed, for messages and Image.source */
  target: string;
  signal?: AbortSignal;
}

const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** A BlobReader over the `blobs/<alg>/<hex>` members of an indexed archive. */
export function createArchiveBlobReader(index: TarIndex): BlobReader {
  const member = (digest: Digest, what: string): ArchiveMember => {
    const { algorithm, hex } = parseDigest(digest, what);
    const m = index.file(`blobs/${algorithm}/${hex}`);
    if (!m) throw new InputError(`${what}: blob missing from ${index.target}`);
    return m;
  };
  return {
    async readJson(digest, what) {
      const data = await index.readMember(member(digest, what), MAX_JSON_BYTES, what);
      const got = digestOf(data, parseDigest(digest, what).algorithm);
      if (got !== digest) throw new InputError(`${what}: digest mismatch: expected ${digest}, got ${got}`);
      return parseJsonBytes(data, what);
    },
    async open(desc: Descriptor, signal?: AbortSignal) {
      const what = `blob ${desc.digest} of ${index.target}`;
      signal?.throwIfAborted();
      return verifyDigest(index.openMember(member(desc.digest, what), signal), {
        digest: desc.digest,
        size: desc.size,
        what,
      });
    },
  };
}

async function readLayoutIndexJson(index: TarIndex, target: string): Promise<unknown> {
  const layout = index.file('oci-layout');
  if (!layout) throw new InputError(`${target}: not an OCI image archive (no oci-layout member)`);
  const marker = parseJsonBytes(
    await index.readMember(layout, MAX_JSON_BYTES, `${target}: oci-layout`),
    `${target}: oci-layout`,
  ) as { imageLayoutVersion?: unknown };
  if (typeof marker?.imageLayoutVersion !== 'string' || !marker.imageLayoutVersion.startsWith('1.')) {
    throw new InputError(
      `${target}: unsupported oci-layout imageLayoutVersion ${JSON.stringify(marker?.imageLayoutVersion)}`,
    );
  }
  const idx = index.file('index.json');
  if (!idx) throw new InputError(`${target}: OCI image archive without index.json`);
  return parseJsonBytes(await index.readMember(idx, MAX_JSON_BYTES, `${target}: index.json`), `${target}: index.json`);
}

export async function openOciArchive(path: string, options: OpenArchiveOptions): Promise<Image> {
  const { target, signal } = options;
  const index = await indexTar(path, target, signal);
  const doc = parseManifestOrIndex(
    await readLayoutIndexJson(index, target),
    `${target}: index.json`,
    MediaType.ociIndex,
  );
  if (doc.kind !== 'index') throw new InputError(`${target}: index.json is not an image index`);
  const root = chooseLayoutRoot(doc, undefined, target);
  const image = await resolveImage(createArchiveBlobReader(index), root, {
    platform: options.platform,
    signal,
    source: { target, kind: 'oci-archive' },
  });
  if (image.layers.length === 0) throw new InputError(`${target}: image has no layers`);
  return image;
}

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

function parseDockerManifest(v: unknown, what: string): DockerManifestEntry[] {
  if (!Array.isArray(v) || v.length === 0) throw new InputError(`${what}: expected a non-empty array of images`);
  return v.map((e, i) => {
    const o = e as Record<string, unknown>;
    if (
      typeof o !== 'object' ||
      o === null ||
      typeof o.Config !== 'string' ||
      !Array.isArray(o.Layers) ||
      o.Layers.some((l) => typeof l !== 'string')
    ) {
      throw new InputError(`${what}: entry ${i} lacks Config or Layers`);
    }
    const tags = Array.isArray(o.RepoTags) ? o.RepoTags.filter((t): t is string => typeof t === 'string') : undefined;
    return { Config: o.Config, Layers: o.Layers as string[], ...(tags ? { RepoTags: tags } : {}) };
  });
}

/** `blobs/sha256/<hex>` → `sha256:<hex>`; legacy names → undefined */
function digestOfMemberName(name: string): Digest | undefined {
  const m = /^(?:\.\/)?blobs\/(sha256|sha512)\/([0-9a-f]+)$/.exec(name);
  const d = m ? `${m[1]}:${m[2]}` : undefined;
  return d && isDigest(d) ? d : undefined;
}

export async function openDockerArchive(path: string, options: OpenArchiveOptions): Promise<Image> {
  const { target, signal } = options;
  const index = await indexTar(path, target, signal);
  const mf = index.file('manifest.json');
  if (!mf) throw new InputError(`${target}: not a docker-archive (no manifest.json member)`);
  const entries = parseDockerManifest(
    parseJsonBytes(await index.readMember(mf, MAX_JSON_BYTES, `${target}: manifest.json`), `${target}: manifest.json`),
    `${target}: manifest.json`,
  );

  // read every config (small) to choose by platform when the archive holds several images
  const candidates = await Promise.all(
    entries.map(async (e, i) => {
      const what = `${target}: config ${e.Config}`;
      const m = index.file(e.Config);
      if (!m)
        throw new InputError(
          `${target}: manifest.json entry ${i} names config ${e.Config}, which is not in the archive`,
        );
      const raw = await index.readMember(m, MAX_JSON_BYTES, what);
      const configDigest = digestOf(raw);
      const named =
        digestOfMemberName(e.Config) ??
        (/^([0-9a-f]{64})\.json$/.exec(e.Config) ? `sha256:${e.Config.slice(0, 64)}` : undefined);
      if (named && named.startsWith('sha256:') && named !== configDigest)
        throw new InputError(`${what}: digest mismatch: expected ${named}, got ${configDigest}`);
      return { entry: e, config: parseImageConfig(parseJsonBytes(raw, what), what), configDigest };
    }),
  );
  let chosen = candidates[0];
  if (candidates.length > 1 || options.platform) {
    const want = options.platform ?? DEFAULT_PLATFORM;
    const fit = candidates.filter((c) => !c.config.platform || platformMatches(c.config.platform, want));
    if (fit.length === 0) {
      throw new InputError(
        `${target}: no image for platform ${formatPlatform(want)} (available: ` +
          `${candidates.map((c) => (c.config.platform ? formatPlatform(c.config.platform) : 'unknown')).join(', ')}` +
          `)`,
      );
    }
    if (fit.length > 1) {
      throw new InputError(
        `${target}: ${fit.length} images for ${formatPlatform(want)} in one archive (` +
          `${fit.map((c) => c.entry.RepoTags?.join(' ') || c.entry.Config).join('; ')}); save one image ` +
          `per archive`,
      );
    }
    chosen = fit[0];
  }
  const { entry, config, configDigest } = chosen;
  if (entry.Layers.length === 0) throw new InputError(`${target}: image has no layers`);
  if (config.diffIds.length !== entry.Layers.length) {
    throw new InputError(
      `${target}: manifest.json lists ${entry.Layers.length} layers but the config has ` +
        `${config.diffIds.length} diff_ids`,
    );
  }
  const layers: Layer[] = await Promise.all(
    entry.Layers.map(async (name, i): Promise<Layer> => {
      const member = index.file(name);
      if (!member) throw new InputError(`${target}: manifest.json names layer ${name}, which is not in the archive`);
      // The stored bytes are verified against the blob digest when the name carries one (Docker 25+), else against the
      // diffID: legacy `docker save` and skopeo store layers uncompressed, so the stored bytes are the diffID's tar.
      const head = member.size
        ? await index.readMember({ ...member, size: Math.min(4, member.size) }, 4, `${target}: layer ${name}`)
        : Buffer.alloc(0);
      const compression = compressionOfMagic(head);
      const named = digestOfMemberName(name);
      const diffId = config.diffIds[i];
      const verifyAgainst = named ?? (compression === 'none' ? diffId : undefined);
      const mediaType =
        compression === 'gzip'
          ? MediaType.dockerLayerGzip
          : compression === 'zstd'
            ? MediaType.ociLayerZstd
            : MediaType.dockerLayerTar;
      return {
        digest: named ?? diffId,
        diffId,
        mediaType,
        size: member.size,
        async open(sig?: AbortSignal) {
          sig?.throwIfAborted();
          const what = `layer ${name} of ${target}`;
          const stream = index.openMember(member, sig);
          if (!verifyAgainst) return stream; // compressed legacy layer: no stored digest to check against
          return verifyDigest(stream, { digest: verifyAgainst, size: member.size, what });
        },
      };
    }),
  );
  return {
    source: { target, kind: 'docker-archive', ...(entry.RepoTags?.length ? { repoTags: entry.RepoTags } : {}) },
    config,
    configDigest,
    layers,
  };
}
