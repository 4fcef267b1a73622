// `oci-dir:PATH[:tag]` — an OCI image layout directory (oci-layout, index.json, blobs/), as written by umoci, skopeo,
// buildx `type=oci` and `docker save` (25+, plus its manifest.json, which is not needed here).
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Image, Platform } from '../../core/image.ts';
import { InputError, reasonOf } from '../../core/errors.ts';
import {
  parseJsonBytes,
  parseManifestOrIndex,
  resolveImage,
  MediaType,
  type Descriptor,
  type OciIndex,
} from '../oci.ts';
import { createBlobDirReader, MAX_JSON_BYTES } from './blob-dir.ts';
import { digestOf } from '../digest-stream.ts';

export { createBlobDirReader, blobPath } from './blob-dir.ts';

export const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';

export interface OpenLayoutOptions {
  /** the tag (org.opencontainers.image.ref.name) to open; optional when the layout holds one image */
  tag?: string;
  platform?: Platform;
  /** the target as typed, for messages and Image.source */
  target: string;
  signal?: AbortSignal;
}

/**
 * Reads and checks `oci-layout` and `index.json`; throws InputError naming the target when the directory is not a
 * layout.
 */
export async function readLayoutIndex(dir: string, target: string): Promise<OciIndex> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new InputError(`${target}: not a directory`);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${target}: cannot read directory (${reasonOf(err)})`, { cause: err });
  }
  let marker: unknown;
  try {
    marker = parseJsonBytes(await readFile(join(dir, 'oci-layout')), `${target}: oci-layout`);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${target}: not an OCI image layout (no oci-layout file)`, { cause: err });
  }
  const version =
    typeof marker === 'object' && marker !== null ? (marker as Record<string, unknown>).imageLayoutVersion : undefined;
  if (typeof version !== 'string' || !version.startsWith('1.')) {
    throw new InputError(`${target}: unsupported oci-layout imageLayoutVersion ${JSON.stringify(version)}`);
  }
  let raw: Buffer;
  try {
    const s = await stat(join(dir, 'index.json'));
    if (s.size > MAX_JSON_BYTES)
      throw new InputError(`${target}: index.json is ${s.size} bytes, over the ${MAX_JSON_BYTES}-byte limit`);
    raw = await readFile(join(dir, 'index.json'));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${target}: cannot read index.json (${reasonOf(err)})`, { cause: err });
  }
  const doc = parseManifestOrIndex(
    parseJsonBytes(raw, `${target}: index.json`),
    `${target}: index.json`,
    MediaType.ociIndex,
  );
  if (doc.kind !== 'index') throw new InputError(`${target}: index.json is not an image index`);
  return doc;
}

/** Tags present in a layout index, in order, without duplicates. */
export function layoutTags(index: OciIndex): string[] {
  const tags = index.manifests.map((d) => d.annotations?.[REF_NAME]).filter((t): t is string => t !== undefined);
  return [...new Set(tags)];
}

/**
 * Picks the root descriptor: the one tagged `tag`; without a tag the only entry, or — when every entry carries a
 * platform — the entries taken together as an index from which the platform is selected.
 */
export function chooseLayoutRoot(
  index: OciIndex,
  tag: string | undefined,
  target: string,
): { descriptor: Descriptor; json?: unknown } {
  const tags = layoutTags(index);
  const list = (): string => (tags.length ? tags.join(', ') : 'none');
  // artifacts stored beside images (SBOM, provenance referrers) are never the image asked for
  let entries = index.manifests.filter((d) => d.artifactType === undefined);
  if (tag !== undefined) {
    entries = entries.filter((d) => d.annotations?.[REF_NAME] === tag || d.annotations?.[CONTAINERD_NAME] === tag);
    if (entries.length === 0)
      throw new InputError(`${target}: no image tagged ${JSON.stringify(tag)} (tags: ${list()})`);
  }
  if (entries.length === 0) throw new InputError(`${target}: index.json lists no images`);
  if (entries.length === 1) return { descriptor: entries[0] };
  if (entries.every((d) => d.platform !== undefined)) {
    // several platforms side by side: treat them as one index (platform chosen by resolveImage)
    const json = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: entries };
    const body = Buffer.from(JSON.stringify(json));
    return { descriptor: { mediaType: MediaType.ociIndex, digest: digestOf(body), size: body.length }, json };
  }
  throw new InputError(
    `${target}: ${entries.length} images in the layout; name one as ${target.replace(/:[^/:]*$/, '')}:TAG ` +
      `(tags: ${list()})`,
  );
}

export async function openOciLayout(dir: string, options: OpenLayoutOptions): Promise<Image> {
  const index = await readLayoutIndex(dir, options.target);
  const root = chooseLayoutRoot(index, options.tag, options.target);
  const reader = createBlobDirReader(dir, options.target);
  const tag = options.tag ?? root.descriptor.annotations?.[REF_NAME];
  return await resolveImage(reader, root, {
    platform: options.platform,
    signal: options.signal,
    source: { target: options.target, kind: 'oci-dir', ...(tag ? { repoTags: [tag] } : {}) },
  });
}
