// `registry:REF` and bare references: an image pulled lazily from an OCI distribution registry. Only manifests and
// the config are fetched up front; each layer open() is a new, digest-verified GET.
import type { Digest, Image, Platform } from '../../core/image.ts';
import { DEFAULT_PLATFORM, isIndexMediaType, parseManifestOrIndex, resolveImage, selectPlatform } from '../oci.ts';
import { manifestReference, type Reference } from '../reference.ts';
import { createRegistryClient, type RegistryClient, type RegistryProgress, type RetryOptions } from './client.ts';
import { RegistryError } from '../../core/errors.ts';
import { lookupDockerCredentials, type Credentials } from './docker-config.ts';

export { createRegistryClient, parseChallenge, backoffDelay, retryAfterMs } from './client.ts';
export type {
  ManifestHead,
  RegistryClient,
  RegistryClientOptions,
  RegistryProgress,
  RetryOptions,
  ManifestResponse,
} from './client.ts';
export { defaultDockerConfigPath, lookupDockerCredentials, runCredentialHelper } from './docker-config.ts';
export type { Credentials } from './docker-config.ts';

export interface OpenRegistryOptions {
  platform?: Platform;
  insecure?: boolean;
  /**
   * explicit credentials (--username/--password or ZEROCVE_REGISTRY_* read by the CLI), or a registry access token
   * sent as `Bearer TOKEN` (what Harbor hands a scanner); win over the docker config
   */
  auth?: { username?: string; password?: string; token?: string };
  /** docker config.json to read credentials from (see defaultDockerConfigPath); none when undefined */
  dockerConfigPath?: string;
  /** the target as typed, for Image.source */
  target: string;
  signal?: AbortSignal;
  onProgress?: (event: RegistryProgress) => void;
  retry?: RetryOptions;
}

/**
 * A client for one registry with the credentials an image open would use: explicit ones first, else the docker
 * config's entry for that registry (looked up once, when the registry first asks).
 */
export function registryClientFor(
  registry: string,
  options: Pick<OpenRegistryOptions, 'insecure' | 'auth' | 'dockerConfigPath' | 'signal' | 'onProgress' | 'retry'>,
): RegistryClient {
  const credentials = async (): Promise<Credentials | undefined> => {
    if (options.auth?.token) return { kind: 'registry-token', token: options.auth.token };
    if (options.auth?.username)
      return { kind: 'basic', username: options.auth.username, password: options.auth.password ?? '' };
    if (options.dockerConfigPath)
      return await lookupDockerCredentials(options.dockerConfigPath, registry, { signal: options.signal });
    return undefined;
  };
  return createRegistryClient({
    registry,
    insecure: options.insecure,
    credentials,
    retry: options.retry,
    onProgress: options.onProgress,
  });
}

export async function openRegistryImage(ref: Reference, options: OpenRegistryOptions): Promise<Image> {
  const client = registryClientFor(ref.registry, options);
  const root = await client.getManifest(ref.repository, manifestReference(ref), options.signal);
  return await resolveImage(
    client.blobReader(ref.repository),
    {
      descriptor: { mediaType: root.mediaType, digest: root.digest, size: root.bytes.length },
      json: root.json,
    },
    {
      platform: options.platform,
      signal: options.signal,
      source: {
        target: options.target,
        kind: 'registry',
        reference: ref.canonical,
        ...(ref.tag ? { repoTags: [`${ref.registry}/${ref.repository}:${ref.tag}`] } : {}),
      },
    },
  );
}

/**
 * The digest a tag points at now, without pulling the image: a HEAD of the manifest, and for a multi-platform index
 * the index itself, to pick the platform's manifest (the digest a scan of the tag records). One attempt per request;
 * `signal` bounds the whole lookup.
 */
export async function resolveRegistryDigest(
  ref: Reference,
  options: Omit<OpenRegistryOptions, 'target' | 'retry' | 'onProgress'>,
): Promise<{ digest: Digest; indexDigest?: Digest }> {
  const client = registryClientFor(ref.registry, { ...options, retry: { attempts: 1 } });
  const head = await client.headManifest(ref.repository, manifestReference(ref), { signal: options.signal });
  if (head.status === 'rate-limited')
    throw new RegistryError(`${ref.registry}: rate limited (429) looking up ${ref.canonical}`, { status: 429 });
  if (head.status !== 'found') throw new RegistryError(`${ref.registry}: no digest for ${ref.canonical}`);
  if (!head.mediaType || !isIndexMediaType(head.mediaType)) return { digest: head.digest };
  const index = await client.getManifest(ref.repository, head.digest, options.signal);
  const doc = parseManifestOrIndex(index.json, `index ${head.digest} of ${ref.canonical}`, index.mediaType);
  if (doc.kind !== 'index') return { digest: head.digest };
  const child = selectPlatform(doc, options.platform ?? DEFAULT_PLATFORM, ref.canonical);
  return { digest: child.digest, indexDigest: head.digest };
}
