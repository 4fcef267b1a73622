// Pushing an image of an OCI layout to a registry with everything attached to it: the image (config, layers,
// manifest) under one or more tags, and every referrer the layout lists for it (the SBOM and provenance that
// `build` and `slim` attach) by digest. Registries without the OCI 1.1 referrers API (distribution 2.8, most
// mirrors) find referrers through the spec's fallback tag `sha256-<hex>`: an image index of the referrers'
// descriptors, merged with what is already there, so `oras discover`, cosign and zerocve can find them.
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Digest } from '../core/image.ts';
import { InputError, RegistryError } from '../core/errors.ts';
import {
  createRegistryClient,
  lookupDockerCredentials,
  parseReference,
  canonicalJson,
  type Credentials,
} from '../image/index.ts';

const INDEX_TYPE = 'application/vnd.oci.image.index.v1+json';
const REF_NAME = 'org.opencontainers.image.ref.name';

export interface PushImageOptions {
  insecure?: boolean;
  auth?: { username?: string; password?: string };
  dockerConfigPath?: string;
  signal?: AbortSignal;
}

export interface PushImageResult {
  /** manifest digest of the pushed image */
  digest: Digest;
  /** the references pushed, in the order given */
  pushed: string[];
  /** digests of the referrers pushed with it (SBOM, provenance) */
  referrers: Digest[];
}

interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

interface ManifestDoc {
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/**
 * Pushes the image tagged `tag` in the OCI layout at `layout` to every reference in `refs` (all in one repository;
 * the image is pushed once and tagged again), with the referrers the layout's index lists for it. The tags are put
 * in the order given and last of all, after the blobs and referrers are in place, so a tag never names an image
 * whose SBOM or provenance is missing.
 */
export async function pushLayoutImage(
  layout: string,
  tag: string,
  refs: string[],
  options: PushImageOptions = {},
): Promise<PushImageResult> {
  if (!refs.length) throw new InputError('push: no reference to push to');
  const parsed = refs.map((r) => parseReference(r));
  const { registry, repository } = parsed[0];
  for (const [i, p] of parsed.entries()) {
    if (p.registry !== registry || p.repository !== repository)
      throw new InputError(`push: ${refs[i]} is in another repository than ${refs[0]}`);
    if (p.digest) throw new InputError(`push: ${refs[i]}: push to a tag, not a digest`);
  }
  const blobPath = (d: string): string => join(layout, 'blobs', 'sha256', d.replace(/^sha256:/, ''));
  const readJson = <T>(path: string, what: string): T => {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch (err) {
      throw new InputError(`push: ${what} in ${layout} is unreadable: ${(err as Error).message}`, { cause: err });
    }
  };
  const index = readJson<{ manifests?: Descriptor[] }>(join(layout, 'index.json'), 'index.json');
  const image = index.manifests?.find((m) => m.annotations?.[REF_NAME] === tag);
  if (!image) throw new InputError(`push: no image tagged '${tag}' in ${layout}`);
  const referrers = (index.manifests ?? []).filter(
    (m) =>
      m.digest !== image.digest &&
      readJson<ManifestDoc>(blobPath(m.digest), `manifest ${m.digest}`).subject?.digest === image.digest,
  );

  const credentials = async (): Promise<Credentials | undefined> => {
    if (options.auth?.username)
      return { kind: 'basic', username: options.auth.username, password: options.auth.password ?? '' };
    if (options.dockerConfigPath)
      return await lookupDockerCredentials(options.dockerConfigPath, registry, { signal: options.signal });
    return undefined;
  };
  const client = createRegistryClient({ registry, insecure: options.insecure, credentials });
  const { signal } = options;

  /** the manifest's blobs, then the manifest itself under `reference` */
  const pushManifest = async (desc: Descriptor, reference: string): Promise<void> => {
    const bytes = readFileSync(blobPath(desc.digest));
    const doc = JSON.parse(bytes.toString('utf8')) as ManifestDoc;
    for (const b of [doc.config, ...doc.layers])
      await client.pushBlob(
        repository,
        b,
        () => Readable.toWeb(createReadStream(blobPath(b.digest))) as ReadableStream<Uint8Array>,
        signal,
      );
    await client.putManifest(repository, reference, bytes, desc.mediaType, signal);
  };

  await pushManifest(image, image.digest);
  for (const r of referrers) await pushManifest(r, r.digest);
  if (referrers.length) {
    // the referrers tag schema: merge with the referrers already listed there (an earlier push of this image)
    const fallbackTag = image.digest.replace(':', '-');
    let listed: Descriptor[] = [];
    try {
      const got = await client.getManifest(repository, fallbackTag, signal);
      listed = ((got.json as { manifests?: Descriptor[] }).manifests ?? []).filter(
        (m) => !referrers.some((r) => r.digest === m.digest),
      );
    } catch (err) {
      if (!(err instanceof RegistryError && err.status === 404)) throw err;
    }
    const body = canonicalJson({
      schemaVersion: 2,
      mediaType: INDEX_TYPE,
      manifests: [
        ...listed,
        ...referrers.map((r) => {
          const doc = readJson<ManifestDoc>(blobPath(r.digest), `manifest ${r.digest}`);
          return {
            mediaType: r.mediaType,
            digest: r.digest,
            size: r.size,
            ...(doc.artifactType ? { artifactType: doc.artifactType } : {}),
            ...(doc.annotations ? { annotations: doc.annotations } : {}),
          };
        }),
      ],
    });
    await client.putManifest(repository, fallbackTag, Buffer.from(body), INDEX_TYPE, signal);
  }
  const bytes = readFileSync(blobPath(image.digest));
  for (const p of parsed) await client.putManifest(repository, p.tag ?? 'latest', bytes, image.mediaType, signal);
  return { digest: image.digest, pushed: refs, referrers: referrers.map((r) => r.digest) };
}
