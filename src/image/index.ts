// Public door of the image stage: target strings as users type them → an Image whose layers are re-openable thunks.
//   registry:REF | REF               OCI distribution registry (Docker Hub conventions for bare names)
//   docker-archive:PATH              `docker save` tarball          (./archive)
//   oci-archive:PATH                 OCI layout in a tarball        (./archive)
//   oci-dir:PATH[:TAG]               OCI image layout directory     (./layout)
//   dir:PATH                         an unpacked root file system   (./rootfs)
//   sbom:PATH                        parsed here, opened by the app (not an image)
import { existsSync } from 'node:fs';
import type { Image, Platform } from '../core/image.ts';
import { UsageError } from '../core/errors.ts';
import { parseReference, type Reference } from './reference.ts';
import { openRegistryImage, type RegistryProgress, type RetryOptions } from './registry/index.ts';
import { openOciLayout } from './layout/index.ts';
import { openRootDir } from './rootfs/index.ts';
import { openDockerArchive, openOciArchive } from './archive/index.ts';

export { parseReference, registryEndpoint, isLoopbackRegistry, imageKey, repositoryKey } from './reference.ts';
export type { Reference, ImageKey } from './reference.ts';
export {
  parsePlatform,
  formatPlatform,
  platformMatches,
  DEFAULT_PLATFORM,
  MediaType,
  layerCompression,
} from './oci.ts';
export type { BlobReader, Descriptor } from './oci.ts';
export { verifyDigest } from './digest-stream.ts';
export {
  defaultDockerConfigPath,
  createRegistryClient,
  registryClientFor,
  lookupDockerCredentials,
  resolveRegistryDigest,
} from './registry/index.ts';
export type { Credentials, ManifestHead, RegistryClient } from './registry/index.ts';
export type { RegistryProgress, RetryOptions } from './registry/index.ts';
export { openOciLayout } from './layout/index.ts';
export {
  initLayout,
  writeBlob,
  writeLayer,
  writeImage,
  writeReferrer,
  writeIndex,
  appendToIndex,
  blobDescriptor,
  writeOciArchive,
  writeDockerArchive,
  addDirToTar,
  canonicalJson,
} from './write/index.ts';
export type { BlobDescriptor, LayerDescriptor, ImageSpec, DirLayerOptions } from './write/index.ts';

export type TargetSpec =
  | { kind: 'registry'; target: string; reference: Reference }
  | { kind: 'docker-archive'; target: string; path: string }
  | { kind: 'oci-archive'; target: string; path: string }
  | { kind: 'oci-dir'; target: string; path: string; tag?: string }
  | { kind: 'dir'; target: string; path: string }
  | { kind: 'sbom'; target: string; path: string };

export interface OpenImageOptions {
  /** platform to pick from multi-arch images; default linux/amd64 */
  platform?: Platform;
  /** plain HTTP to registries (loopback registries fall back to HTTP without it, as Docker does) */
  insecure?: boolean;
  /**
   * registry credentials (the CLI fills them from --username/--password or ZEROCVE_REGISTRY_USERNAME/PASSWORD), or a
   * registry access token sent as `Bearer TOKEN`
   */
  auth?: { username?: string; password?: string; token?: string };
  /** docker config.json for registry credentials; the CLI passes defaultDockerConfigPath(process.env, homedir()) */
  dockerConfigPath?: string;
  /** refuse registry targets (no network) */
  offline?: boolean;
  signal?: AbortSignal;
  onProgress?: (event: RegistryProgress) => void;
  retry?: RetryOptions;
}

const PATH_SCHEMES = ['docker-archive', 'oci-archive', 'oci-dir', 'dir', 'sbom'] as const;
const UNSUPPORTED_SCHEMES: Record<string, string> = {
  docker:
    'reading from a Docker daemon is not supported; run `docker save IMAGE -o x.tar` and scan docker-archive:x.tar',
  podman: 'reading from Podman is not supported; run `podman save IMAGE -o x.tar` and scan docker-archive:x.tar',
  containerd: 'reading from containerd is not supported; export the image and scan oci-archive:PATH',
  file: 'use sbom:PATH for an SBOM, or docker-archive:/oci-archive: for an image tarball',
};

/**
 * Parses a target string; throws UsageError naming it when it cannot mean anything. Touches the disk only to split
 * oci-dir tags.
 */
export function parseTarget(target: string): TargetSpec {
  const m = /^([a-z][a-z-]*):(.*)$/s.exec(target);
  if (m && (PATH_SCHEMES as readonly string[]).includes(m[1])) {
    const kind = m[1] as (typeof PATH_SCHEMES)[number];
    const rest = m[2];
    if (rest === '') throw new UsageError(`target ${JSON.stringify(target)}: ${kind}: needs a path`);
    if (kind === 'oci-dir') {
      // oci-dir:PATH[:TAG] — a colon after the last slash starts a tag, unless the whole thing is an existing path
      const colon = rest.lastIndexOf(':');
      if (colon > rest.lastIndexOf('/') && !existsSync(rest)) {
        const path = rest.slice(0, colon);
        const tag = rest.slice(colon + 1);
        if (path === '') throw new UsageError(`target ${JSON.stringify(target)}: oci-dir: needs a path before the tag`);
        if (tag === '') throw new UsageError(`target ${JSON.stringify(target)}: empty tag after ':'`);
        return { kind, target, path, tag };
      }
      return { kind, target, path: rest };
    }
    return { kind, target, path: rest };
  }
  if (m && m[1] in UNSUPPORTED_SCHEMES) {
    throw new UsageError(`target ${JSON.stringify(target)}: ${UNSUPPORTED_SCHEMES[m[1]]}`);
  }
  if (m && m[1] === 'registry') return { kind: 'registry', target, reference: parseReference(m[2]) };
  if (/^(\.{0,2}\/|~)/.test(target) || /\.(tar|tar\.gz|tgz)$/.test(target)) {
    throw new UsageError(
      `target ${JSON.stringify(target)}: looks like a path; say what it is: docker-archive:, oci-archive:, ` +
        `oci-dir: or dir:`,
    );
  }
  return { kind: 'registry', target, reference: parseReference(target) };
}

/** Opens the image a target names. Registry access is lazy beyond manifests and config; layers open on demand. */
export async function openImage(target: string, options: OpenImageOptions = {}): Promise<Image> {
  const spec = parseTarget(target);
  const { platform, signal } = options;
  switch (spec.kind) {
    case 'registry':
      if (options.offline) {
        throw new UsageError(
          `target ${JSON.stringify(target)} is a registry image, but offline mode forbids network access ` +
            `(save it to an archive and scan docker-archive:/oci-archive:)`,
        );
      }
      return await openRegistryImage(spec.reference, {
        target,
        platform,
        signal,
        insecure: options.insecure,
        auth: options.auth,
        dockerConfigPath: options.dockerConfigPath,
        onProgress: options.onProgress,
        retry: options.retry,
      });
    case 'docker-archive':
      return await openDockerArchive(spec.path, { platform, target, signal });
    case 'oci-archive':
      return await openOciArchive(spec.path, { platform, target, signal });
    case 'oci-dir':
      return await openOciLayout(spec.path, { tag: spec.tag, platform, target, signal });
    case 'dir':
      return await openRootDir(spec.path, { target, signal });
    case 'sbom':
      throw new UsageError(
        `target ${JSON.stringify(target)} is an SBOM, not an image; it is read by the scan, not opened as an image`,
      );
  }
}
