// OCI image-spec and Docker schema2 documents: media types, index/manifest/config parsing into the core model,
// platform selection, and the one resolution path (index → manifest → config → layers) every source shares.
import type { Readable } from 'node:stream';
import type { Compression, Digest, Image, ImageConfig, ImageSourceInfo, Layer, Platform } from '../core/image.ts';
import { InputError, UsageError } from '../core/errors.ts';
import { isDigest } from './digest-stream.ts';
import { isObject } from '../core/json.ts';

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerForeignGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerLayerTar: 'application/vnd.docker.image.rootfs.diff.tar',
} as const;

/** What a registry is asked for (Accept), most wanted first. Schema1 is deliberately absent: it is long deprecated. */
export const MANIFEST_ACCEPT: readonly string[] = [
  MediaType.ociIndex,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.dockerManifest,
];

export const isIndexMediaType = (m: string | undefined): boolean =>
  m === MediaType.ociIndex || m === MediaType.dockerManifestList;
export const isManifestMediaType = (m: string | undefined): boolean =>
  m === MediaType.ociManifest || m === MediaType.dockerManifest;
const CONFIG_MEDIA_TYPES = new Set<string>([MediaType.ociConfig, MediaType.dockerConfig]);

const LAYER_COMPRESSION: Record<string, Compression> = {
  [MediaType.ociLayer]: 'none',
  [MediaType.ociLayerGzip]: 'gzip',
  [MediaType.ociLayerZstd]: 'zstd',
  [MediaType.ociLayerNondistributable]: 'none',
  [MediaType.ociLayerNondistributableGzip]: 'gzip',
  [MediaType.ociLayerNondistributableZstd]: 'zstd',
  [MediaType.dockerLayerGzip]: 'gzip',
  [MediaType.dockerLayerForeignGzip]: 'gzip',
  [MediaType.dockerLayerTar]: 'none',
};

/** Compression of a layer by media type, or undefined when the media type is not a known layer type. */
export function layerCompression(mediaType: string): Compression | undefined {
  return LAYER_COMPRESSION[mediaType];
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
  /** OCI 1.1: set on artifact manifests (SBOMs, signatures, attestations), never on images */
  artifactType?: string;
}

export interface OciIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface OciManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/**
 * Where blobs come from. Registry, layout and archives implement it; `resolveImage` walks it.
 * `readJson` returns the parsed JSON of a small document (manifest, index, config) after checking its digest;
 * `options.mediaType` tells a registry whether to ask its manifest or blob endpoint.
 * `open` streams a blob with its digest verified as bytes stream by (see verifyDigest).
 */
export interface BlobReader {
  readJson(digest: Digest, what: string, options?: { mediaType?: string; signal?: AbortSignal }): Promise<unknown>;
  open(desc: Descriptor, signal?: AbortSignal): Promise<Readable>;
}

// ── small JSON helpers ──────────────────────────────────────────────────────────────────────────────────────────

function stringArray(v: unknown, what: string, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new InputError(`${what}: ${field} is not an array of strings`);
  return v as string[];
}

function optString(v: unknown, what: string, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new InputError(`${what}: ${field} is not a string`);
  return v;
}

function stringMap(v: unknown, what: string, field: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new InputError(`${what}: ${field} is not an object`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw new InputError(`${what}: ${field}.${k} is not a string`);
    out[k] = x;
  }
  return out;
}

/** Parses JSON bytes, throwing an InputError naming `what` on malformed text. */
export function parseJsonBytes(data: Uint8Array | string, what: string): unknown {
  try {
    return JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
  } catch (err) {
    throw new InputError(`${what}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

// ── documents ───────────────────────────────────────────────────────────────────────────────────────────────────

export function parseDescriptor(v: unknown, what: string): Descriptor {
  if (!isObject(v)) throw new InputError(`${what}: descriptor is not an object`);
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== 'string' || mediaType === '') throw new InputError(`${what}: descriptor has no mediaType`);
  if (typeof digest !== 'string' || !isDigest(digest))
    throw new InputError(`${what}: descriptor has a malformed digest ${JSON.stringify(digest)}`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw new InputError(`${what}: descriptor ${digest} has an invalid size`);
  const d: Descriptor = { mediaType, digest, size };
  if (v.platform !== undefined) d.platform = parsePlatformObject(v.platform, `${what}: descriptor ${digest}`);
  const annotations = stringMap(v.annotations, what, 'annotations');
  if (annotations) d.annotations = annotations;
  const urls = stringArray(v.urls, what, 'urls');
  if (urls) d.urls = urls;
  if (typeof v.artifactType === 'string' && v.artifactType !== '') d.artifactType = v.artifactType;
  return d;
}

function parsePlatformObject(v: unknown, what: string): Platform {
  if (!isObject(v) || typeof v.os !== 'string' || typeof v.architecture !== 'string') {
    throw new InputError(`${what}: platform needs string os and architecture`);
  }
  const p: Platform = { os: v.os, architecture: v.architecture };
  if (typeof v.variant === 'string' && v.variant !== '') p.variant = v.variant;
  return p;
}

/**
 * Parses an index or a manifest. The media type comes from the document, else from `hint` (a registry's
 * Content-Type), else from its shape (`manifests` vs `layers`), as Docker schema2 and OCI both allow omission.
 */
export function parseManifestOrIndex(v: unknown, what: string, hint?: string): OciIndex | OciManifest {
  if (!isObject(v)) throw new InputError(`${what}: manifest is not a JSON object`);
  if (v.schemaVersion !== 2) {
    throw new InputError(
      `${what}: unsupported manifest schemaVersion ${JSON.stringify(v.schemaVersion)} (only schema 2 / OCI is read)`,
    );
  }
  let mediaType =
    typeof v.mediaType === 'string' ? v.mediaType : hint && hint !== 'application/json' ? hint : undefined;
  if (!mediaType) mediaType = Array.isArray(v.manifests) ? MediaType.ociIndex : MediaType.ociManifest;
  const annotations = stringMap(v.annotations, what, 'annotations');
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(v.manifests)) throw new InputError(`${what}: index has no manifests array`);
    const manifests = v.manifests.map((m, i) => parseDescriptor(m, `${what}: manifests[${i}]`));
    return { kind: 'index', mediaType, manifests, ...(annotations ? { annotations } : {}) };
  }
  if (isManifestMediaType(mediaType)) {
    const config = parseDescriptor(v.config, `${what}: config`);
    if (!Array.isArray(v.layers)) throw new InputError(`${what}: manifest has no layers array`);
    const layers = v.layers.map((l, i) => parseDescriptor(l, `${what}: layers[${i}]`));
    return { kind: 'manifest', mediaType, config, layers, ...(annotations ? { annotations } : {}) };
  }
  throw new InputError(`${what}: unsupported manifest media type ${mediaType}`);
}

/** Parses an image config (OCI or Docker) into the core ImageConfig. */
export function parseImageConfig(v: unknown, what: string): ImageConfig {
  if (!isObject(v)) throw new InputError(`${what}: config is not a JSON object`);
  const rootfs = v.rootfs;
  if (!isObject(rootfs)) throw new InputError(`${what}: config has no rootfs`);
  const diffIds = stringArray(rootfs.diff_ids, what, 'rootfs.diff_ids') ?? [];
  for (const d of diffIds)
    if (!isDigest(d)) throw new InputError(`${what}: rootfs.diff_ids has a malformed digest ${JSON.stringify(d)}`);
  const out: ImageConfig = { diffIds };
  const c = v.config ?? v.container_config;
  if (c !== undefined && c !== null) {
    if (!isObject(c)) throw new InputError(`${what}: config.config is not an object`);
    const user = optString(c.User, what, 'config.User');
    if (user) out.user = user;
    const entrypoint = stringArray(c.Entrypoint, what, 'config.Entrypoint');
    if (entrypoint) out.entrypoint = entrypoint;
    const cmd = stringArray(c.Cmd, what, 'config.Cmd');
    if (cmd) out.cmd = cmd;
    const env = stringArray(c.Env, what, 'config.Env');
    if (env) out.env = env;
    const workingDir = optString(c.WorkingDir, what, 'config.WorkingDir');
    if (workingDir) out.workingDir = workingDir;
    const labels = stringMap(c.Labels, what, 'config.Labels');
    if (labels) out.labels = labels;
    if (c.ExposedPorts !== undefined && c.ExposedPorts !== null) {
      if (!isObject(c.ExposedPorts)) throw new InputError(`${what}: config.ExposedPorts is not an object`);
      out.exposedPorts = Object.keys(c.ExposedPorts);
    }
  }
  const created = optString(v.created, what, 'created');
  if (created) out.created = created;
  if (typeof v.os === 'string' && typeof v.architecture === 'string') {
    out.platform = { os: v.os, architecture: v.architecture };
    if (typeof v.variant === 'string' && v.variant !== '') out.platform.variant = v.variant;
  }
  if (v.history !== undefined && v.history !== null) {
    if (!Array.isArray(v.history)) throw new InputError(`${what}: history is not an array`);
    out.history = v.history.map((h, i) => {
      if (!isObject(h)) throw new InputError(`${what}: history[${i}] is not an object`);
      const e: NonNullable<ImageConfig['history']>[number] = {};
      const hc = optString(h.created, what, `history[${i}].created`);
      if (hc) e.created = hc;
      const by = optString(h.created_by, what, `history[${i}].created_by`);
      if (by) e.createdBy = by;
      if (h.empty_layer === true) e.emptyLayer = true;
      const comment = optString(h.comment, what, `history[${i}].comment`);
      if (comment) e.comment = comment;
      return e;
    });
  }
  return out;
}

// ── platforms ───────────────────────────────────────────────────────────────────────────────────────────────────

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  armhf: 'arm',
  armel: 'arm',
  i686: '386',
  i386: '386',
};

/** Parses `os/arch[/variant]` as given to `--platform`; throws UsageError for anything else. */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p))) {
    throw new UsageError(
      `platform ${JSON.stringify(s)}: expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8`,
    );
  }
  const p: Platform = { os: parts[0].toLowerCase(), architecture: normalizeArch(parts[1].toLowerCase()) };
  if (parts[2]) p.variant = parts[2].toLowerCase();
  return p;
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

function normalizeArch(a: string): string {
  return ARCH_ALIASES[a] ?? a;
}

/** The default variant of an architecture, so that `linux/arm64` and `linux/arm64/v8` match each other. */
function effectiveVariant(p: Platform): string | undefined {
  if (p.variant) return p.variant;
  const arch = normalizeArch(p.architecture);
  if (arch === 'arm64') return 'v8';
  return undefined;
}

/** Whether an image of platform `have` satisfies the request `want` (a want without a variant accepts any variant). */
export function platformMatches(have: Platform, want: Platform): boolean {
  if (have.os !== want.os || normalizeArch(have.architecture) !== normalizeArch(want.architecture)) return false;
  if (!want.variant) return true;
  return effectiveVariant(have) === effectiveVariant(want);
}

/** Attestation manifests (buildkit) and other non-runnable entries carry `unknown/unknown`. */
const isRunnable = (d: Descriptor): boolean =>
  d.platform !== undefined &&
  d.platform.os !== 'unknown' &&
  d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest';

/**
 * Picks the manifest for `want` from an index. An exact variant match is preferred over a variant-less one.
 * Throws an InputError listing the platforms available when none fits.
 */
export function selectPlatform(index: OciIndex, want: Platform, what: string): Descriptor {
  const candidates = index.manifests.filter((d) => isManifestMediaType(d.mediaType) || isIndexMediaType(d.mediaType));
  const runnable = candidates.filter(isRunnable);
  const matching = runnable.filter((d) => platformMatches(d.platform as Platform, want));
  if (matching.length > 0) {
    const exact = matching.find((d) => d.platform?.variant === want.variant);
    return exact ?? matching[0];
  }
  // An index without platform information (e.g. an OCI layout holding one image) falls back to its only manifest.
  const unlabelled = candidates.filter((d) => d.platform === undefined);
  if (runnable.length === 0 && unlabelled.length === 1) return unlabelled[0];
  const available = runnable.map((d) => formatPlatform(d.platform as Platform));
  throw new InputError(
    `${what}: no image for platform ${formatPlatform(want)} (available: ` +
      `${available.length ? [...new Set(available)].join(', ') : 'none'})`,
  );
}

// ── resolution ──────────────────────────────────────────────────────────────────────────────────────────────────

export interface ResolveOptions {
  /** the platform asked for; undefined means linux/amd64 for indexes and "whatever it is" for single manifests */
  platform?: Platform;
  source: ImageSourceInfo;
  signal?: AbortSignal;
}

const MAX_INDEX_DEPTH = 4;

/**
 * Resolves `root` (an index or a manifest, with its JSON when the caller already has it) to an Image whose layers
 * are re-openable thunks over `reader`. Nested indexes are followed to a bounded depth.
 */
export async function resolveImage(
  reader: BlobReader,
  root: { descriptor: Descriptor; json?: unknown },
  options: ResolveOptions,
): Promise<Image> {
  const target = options.source.target;
  let desc = root.descriptor;
  let json =
    root.json ??
    (await reader.readJson(desc.digest, `manifest ${desc.digest} of ${target}`, {
      mediaType: desc.mediaType,
      signal: options.signal,
    }));
  let doc = parseManifestOrIndex(json, `manifest ${desc.digest} of ${target}`, desc.mediaType);
  for (let depth = 0; doc.kind === 'index'; depth++) {
    if (depth >= MAX_INDEX_DEPTH)
      throw new InputError(`${target}: image indexes nested deeper than ${MAX_INDEX_DEPTH}`);
    desc = selectPlatform(doc, options.platform ?? DEFAULT_PLATFORM, target);
    const what = `manifest ${desc.digest} of ${target}`;
    json = await reader.readJson(desc.digest, what, { mediaType: desc.mediaType, signal: options.signal });
    doc = parseManifestOrIndex(json, what, desc.mediaType);
  }
  const manifest = doc;
  const manifestWhat = `manifest ${desc.digest} of ${target}`;
  if (!CONFIG_MEDIA_TYPES.has(manifest.config.mediaType)) {
    throw new InputError(`${manifestWhat}: not a container image (config media type ${manifest.config.mediaType})`);
  }
  const configWhat = `config ${manifest.config.digest} of ${target}`;
  const config = parseImageConfig(
    await reader.readJson(manifest.config.digest, configWhat, {
      mediaType: manifest.config.mediaType,
      signal: options.signal,
    }),
    configWhat,
  );
  if (options.platform && config.platform && !platformMatches(config.platform, options.platform)) {
    throw new InputError(
      `${target}: image is ${formatPlatform(config.platform)}, not the requested ` +
        `${formatPlatform(options.platform)} (available: ${formatPlatform(config.platform)})`,
    );
  }
  const layers = layersOf(reader, manifest, config, manifestWhat);
  return {
    source: { ...options.source, manifestDigest: desc.digest },
    config,
    configDigest: manifest.config.digest,
    layers,
    ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
  };
}

/** Builds layer thunks for a manifest, checking media types and the diffID count against the config. */
export function layersOf(reader: BlobReader, manifest: OciManifest, config: ImageConfig, what: string): Layer[] {
  if (config.diffIds.length !== manifest.layers.length) {
    throw new InputError(
      `${what}: ${manifest.layers.length} layers but the config lists ${config.diffIds.length} diff_ids`,
    );
  }
  return manifest.layers.map((d, i): Layer => {
    if (layerCompression(d.mediaType) === undefined) {
      throw new InputError(`${what}: layers[${i}] ${d.digest} has unsupported media type ${d.mediaType}`);
    }
    return {
      digest: d.digest,
      diffId: config.diffIds[i],
      mediaType: d.mediaType,
      size: d.size,
      open: (signal?: AbortSignal) => reader.open(d, signal),
    };
  });
}
