// Image references as Docker and Syft users write them: `python`, `python:3.12`, `ghcr.io/o/r@sha256:…`,
// `localhost:5000/x:tag`, `registry:` prefix accepted. Follows the distribution/reference grammar and Docker Hub's
// normalization (`python` → `docker.io/library/python:latest`).
import type { Digest } from '../core/image.ts';
import { UsageError } from '../core/errors.ts';
import { isDigest } from './digest-stream.ts';

export interface Reference {
  /** registry host as users name it: `docker.io`, `ghcr.io`, `localhost:5000`, `127.0.0.1:5000` */
  registry: string;
  /** repository path, e.g. `library/python` */
  repository: string;
  /** tag; `latest` when neither tag nor digest was given */
  tag?: string;
  digest?: Digest;
  /** full normalized form, e.g. `docker.io/library/python:3.12` */
  canonical: string;
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ENDPOINT = 'registry-1.docker.io';

const COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
// host: DNS labels or an IPv4 address or a bracketed IPv6 address, optional port
const DNS_LABEL = '(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])';
const HOST_RE = new RegExp(String.raw`^(?:${DNS_LABEL}(?:\.${DNS_LABEL})*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$`);

/**
 * Parses an image reference; throws a UsageError naming the reference and the problem for anything that is not one.
 * The first path component is a registry when it contains `.` or `:`, is `localhost`, or has upper-case letters
 * (Docker's rule); otherwise the image is on Docker Hub and one-component names gain `library/`.
 */
export function parseReference(input: string): Reference {
  const ref = input.startsWith('registry:') ? input.slice('registry:'.length) : input;
  const fail = (why: string): never => {
    throw new UsageError(`image reference ${JSON.stringify(input)}: ${why}`);
  };
  if (ref === '') fail('empty');
  if (ref.length > 4096) fail('too long');
  if (/\s/.test(ref)) fail('contains white space');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref))
    fail('a URL is not an image reference (drop the scheme, e.g. ghcr.io/owner/repo:tag)');

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) fail(`malformed digest ${JSON.stringify(digest)} (expected sha256:<64 hex>)`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) fail(`invalid tag ${JSON.stringify(tag)}`);
  }
  if (rest === '') fail('no repository name');

  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0];
  if (
    parts.length > 1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())
  ) {
    if (!HOST_RE.test(first)) fail(`invalid registry host ${JSON.stringify(first)}`);
    const port = /:(\d+)$/.exec(first)?.[1];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) fail(`invalid port ${port}`);
    registry = first;
    parts.shift();
  }
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_ENDPOINT) registry = DOCKER_HUB;
  for (const c of parts) {
    if (c === '') fail('empty path component');
    if (!COMPONENT_RE.test(c)) {
      fail(
        c !== c.toLowerCase()
          ? `repository name must be lower-case (${JSON.stringify(c)})`
          : `invalid repository path component ${JSON.stringify(c)}`,
      );
    }
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (repository.length > 255) fail('repository name longer than 255 characters');
  if (tag === undefined && digest === undefined) tag = 'latest';
  const canonical =
    `${registry}/${repository}${tag !== undefined ? `:${tag}` : ''}` + `${digest !== undefined ? `@${digest}` : ''}`;
  return {
    registry,
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
    canonical,
  };
}

/** The host to talk HTTP to: Docker Hub's API lives on registry-1.docker.io. */
export function registryEndpoint(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_ENDPOINT : registry;
}

/** Whether the registry host is this machine (localhost, 127.0.0.0/8, ::1), with or without a port. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** What the manifest endpoint is asked for: the digest when pinned, else the tag. */
export function manifestReference(ref: Reference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** One image's identity everywhere the service compares references (catalog, tag history, gates, hooks). */
export interface ImageKey {
  /** `registry/repository` with Docker Hub spelled out: `nginx` → `docker.io/library/nginx` */
  repository: string;
  /** `latest` when neither tag nor digest was given */
  tag?: string;
  digest?: Digest;
  /** repository with `:tag` and/or `@digest`, e.g. `docker.io/library/nginx:latest` */
  canonical: string;
}

/**
 * The normalized identity of an image reference: `nginx`, `nginx:latest`, `library/nginx`, `docker.io/library/nginx`
 * and `index.docker.io/library/nginx:latest` are one image; `host:5000/x` keeps its port. Throws UsageError for
 * text that is not an image reference.
 */
export function imageKey(input: string): ImageKey {
  const r = parseReference(input);
  return {
    repository: `${r.registry}/${r.repository}`,
    ...(r.tag !== undefined ? { tag: r.tag } : {}),
    ...(r.digest !== undefined ? { digest: r.digest } : {}),
    canonical: r.canonical,
  };
}

/**
 * The key of a repository name (no tag, no digest) as the catalog stores it; text that is no image reference (a
 * local name, `oci-dir:…`) is its own key.
 */
export function repositoryKey(input: string): string {
  const explicitTag = input.lastIndexOf(':') > input.lastIndexOf('/');
  if (input.includes('@') || explicitTag) return input; // a tag or digest: not a repository name
  try {
    return imageKey(input).repository;
  } catch {
    return input;
  }
}
