// OCI distribution client on fetch: manifests and blobs, bearer-token and basic auth, bounded retries with
// exponential backoff and jitter (honouring Retry-After), one-line RegistryErrors.
//
// Plain HTTP: `insecure: true` talks HTTP to any registry. Without it, loopback registries (localhost, 127.0.0.0/8,
// ::1) are tried over HTTPS first and fall back to HTTP when no TLS answers — what Docker does, since its daemon
// treats 127.0.0.0/8 as insecure by default. Every other registry is HTTPS only.
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Digest } from '../../core/image.ts';
import { InputError, RegistryError, reasonOf } from '../../core/errors.ts';
import { verifyDigest, digestOf, parseDigest } from '../digest-stream.ts';
import {
  MANIFEST_ACCEPT,
  isIndexMediaType,
  isManifestMediaType,
  parseJsonBytes,
  type BlobReader,
  type Descriptor,
} from '../oci.ts';
import { isLoopbackRegistry, registryEndpoint } from '../reference.ts';
import type { Credentials } from './docker-config.ts';

export interface RetryOptions {
  /** total attempts per request, including the first (default 4) */
  attempts?: number;
  /** first backoff delay in ms, doubled each retry, with jitter (default 500) */
  baseDelayMs?: number;
  /** longest single wait, also the cap on Retry-After (default 30 000) */
  maxDelayMs?: number;
}

export interface RegistryProgress {
  kind: 'retry' | 'auth' | 'manifest';
  message: string;
}

export interface RegistryClientOptions {
  /** registry as in the reference: `docker.io`, `ghcr.io`, `127.0.0.1:5000` */
  registry: string;
  insecure?: boolean;
  /** resolves credentials once, lazily, when the registry first asks for them */
  credentials?: () => Promise<Credentials | undefined>;
  retry?: RetryOptions;
  onProgress?: (event: RegistryProgress) => void;
}

export interface ManifestResponse {
  bytes: Buffer;
  json: unknown;
  mediaType: string;
  digest: Digest;
}

/**
 * What a conditional manifest HEAD said: `current` (the registry answered 304 to If-None-Match), `found` (the digest
 * the reference points at now, with the validator to send next time), or `rate-limited` (429; not retried here:
 * the caller decides how long to leave the registry alone).
 */
export type ManifestHead =
  | { status: 'current' }
  | { status: 'found'; digest: Digest; mediaType?: string; etag?: string }
  | { status: 'rate-limited'; retryAfterMs?: number };

/** manifests and configs are small; anything larger is refused rather than buffered */
const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
const MAX_ERROR_BODY = 64 * 1024;

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  }
  return { scheme: m[1].toLowerCase(), params };
}

/** Delay before retry number `retry` (1-based): exponential with "equal jitter", or Retry-After when given. */
export function backoffDelay(
  retry: number,
  opts: Required<RetryOptions>,
  retryAfter: string | null,
  now = Date.now(),
): number {
  if (retryAfter) {
    const secs = Number(retryAfter);
    const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(retryAfter) - now;
    if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, opts.maxDelayMs);
  }
  const exp = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (retry - 1));
  return exp / 2 + Math.random() * (exp / 2);
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  const ms = header.trim() !== '' && Number.isFinite(secs) ? secs * 1000 : Date.parse(header) - now;
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

const mediaTypeOf = (res: Response): string => (res.headers.get('content-type') ?? '').split(';')[0].trim();

async function readLimited(res: Response, limit: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel();
    throw new InputError(`${what}: ${declared} bytes, larger than the ${limit}-byte limit for JSON documents`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) {
        await reader.cancel();
        throw new InputError(`${what}: larger than the ${limit}-byte limit for JSON documents`);
      }
      chunks.push(Buffer.from(value));
    }
  }
  return Buffer.concat(chunks);
}

async function errorCodes(res: Response): Promise<string> {
  try {
    const body = (await readLimited(res, MAX_ERROR_BODY, 'error body')).toString('utf8');
    const parsed = JSON.parse(body) as { errors?: { code?: unknown; message?: unknown }[] };
    return (parsed.errors ?? [])
      .map((e) => String(e.code ?? ''))
      .filter(Boolean)
      .join(', ');
  } catch {
    return '';
  }
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return reasonOf(cause ?? err);
}

const isAbort = (err: unknown, signal?: AbortSignal): boolean =>
  signal?.aborted === true || (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError'));

export interface RegistryClient {
  readonly registry: string;
  getManifest(repo: string, reference: string, signal?: AbortSignal): Promise<ManifestResponse>;
  /**
   * HEAD of a manifest: the digest a tag points at now, without its body. With `ifNoneMatch` (the ETag or digest
   * seen last time) the registry may answer 304. A 429 is returned, not retried (Retry-After in ms when sent).
   */
  headManifest(
    repo: string,
    reference: string,
    options?: { ifNoneMatch?: string; signal?: AbortSignal },
  ): Promise<ManifestHead>;
  openBlob(repo: string, desc: Descriptor, signal?: AbortSignal): Promise<Readable>;
  /** the BlobReader of one repository, for resolveImage */
  blobReader(repo: string): BlobReader;
  /**
   * Uploads a blob (monolithic: POST an upload session, PUT the bytes with their digest) unless the registry has it.
   * `body` is called again if the upload must be sent twice (after an auth challenge). Not retried otherwise.
   */
  pushBlob(
    repo: string,
    desc: { digest: Digest; size: number },
    body: () => Buffer | ReadableStream<Uint8Array>,
    signal?: AbortSignal,
  ): Promise<void>;
  /** PUTs a manifest under a tag (or digest); returns the digest the registry stored it under. */
  putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string, signal?: AbortSignal): Promise<Digest>;
}

export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  const host = registryEndpoint(options.registry);
  const name = `registry ${options.registry}`;
  const retry: Required<RetryOptions> = {
    attempts: Math.max(1, options.retry?.attempts ?? 4),
    baseDelayMs: options.retry?.baseDelayMs ?? 500,
    maxDelayMs: options.retry?.maxDelayMs ?? 30_000,
  };
  let base: Promise<string> | undefined;
  let creds: Promise<Credentials | undefined> | undefined;
  /** the header every request of this client sends once a challenge was answered with Basic or a registry token */
  let basicHeader: string | undefined;
  const tokens = new Map<string, { header: string; expires: number }>();

  const credentials = (): Promise<Credentials | undefined> =>
    (creds ??= options.credentials ? options.credentials() : Promise.resolve(undefined));

  function baseUrl(signal?: AbortSignal): Promise<string> {
    if (options.insecure) return Promise.resolve(`http://${host}`);
    if (!isLoopbackRegistry(host)) return Promise.resolve(`https://${host}`);
    return (base ??= (async () => {
      try {
        const res = await fetch(`https://${host}/v2/`, {
          signal: AbortSignal.any([AbortSignal.timeout(5000), ...(signal ? [signal] : [])]),
        });
        await res.body?.cancel();
        return `https://${host}`;
      } catch (err) {
        if (signal?.aborted) {
          base = undefined;
          throw err;
        }
        return `http://${host}`;
      }
    })());
  }

  async function authenticate(
    challenge: Challenge | undefined,
    repo: string,
    signal?: AbortSignal,
    actions = 'pull',
  ): Promise<void> {
    const c = await credentials();
    if (!challenge)
      throw new RegistryError(`${name}: unauthorized for repo ${repo} and no WWW-Authenticate challenge to answer`, {
        status: 401,
      });
    if (c?.kind === 'registry-token') {
      // a token issued for this pull by someone else (Harbor): sent as it is, never exchanged
      basicHeader = `Bearer ${c.token}`;
      return;
    }
    if (challenge.scheme === 'basic') {
      if (!c || c.kind !== 'basic')
        throw new RegistryError(`${name}: unauthorized for repo ${repo} (check credentials)`, { status: 401 });
      basicHeader = 'Basic ' + Buffer.from(`${c.username}:${c.password}`).toString('base64');
      return;
    }
    if (challenge.scheme !== 'bearer')
      throw new RegistryError(`${name}: unsupported auth scheme ${challenge.scheme}`, { status: 401 });
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryError(`${name}: bearer challenge without realm`, { status: 401 });
    const scope = `repository:${repo}:${actions}`;
    options.onProgress?.({ kind: 'auth', message: `${name}: requesting a token for ${scope}` });
    let res: Response;
    try {
      if (c?.kind === 'identity-token') {
        const form = new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: c.token,
          client_id: 'zerocve',
          scope,
        });
        if (challenge.params.service) form.set('service', challenge.params.service);
        res = await fetch(realm, { method: 'POST', body: form, signal });
      } else {
        const url = new URL(realm);
        if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
        url.searchParams.set('scope', scope);
        const headers: Record<string, string> = {};
        if (c?.kind === 'basic')
          headers.authorization = 'Basic ' + Buffer.from(`${c.username}:${c.password}`).toString('base64');
        res = await fetch(url, { headers, signal });
      }
    } catch (err) {
      if (isAbort(err, signal)) throw err;
      throw new RegistryError(`${name}: cannot reach token server ${new URL(realm).host} (${networkReason(err)})`, {
        cause: err,
      });
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new RegistryError(
        `${name}: unauthorized for repo ${repo} (check credentials; token server answered ${res.status})`,
        { status: res.status },
      );
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new RegistryError(`${name}: token server ${new URL(realm).host} answered ${res.status}`, {
        status: res.status,
      });
    }
    const body = parseJsonBytes(
      await readLimited(res, MAX_ERROR_BODY, `${name}: token response`),
      `${name}: token response`,
    ) as Record<string, unknown>;
    const token =
      typeof body.token === 'string' && body.token
        ? body.token
        : typeof body.access_token === 'string'
          ? body.access_token
          : undefined;
    if (!token) throw new RegistryError(`${name}: token response has no token`);
    const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    tokens.set(repo, { header: `Bearer ${token}`, expires: Date.now() + (ttl - 5) * 1000 });
  }

  function authHeader(repo: string): string | undefined {
    const t = tokens.get(repo);
    if (t && t.expires > Date.now()) return t.header;
    return basicHeader;
  }

  /**
   * GET (or HEAD) with auth, retries and status mapping; returns a 2xx response whose body the caller consumes, or a
   * response whose status is in `pass` (handed back untouched: 304, or 429 when the caller keeps its own backoff).
   */
  async function get(
    repo: string,
    path: string,
    accept: string,
    what: string,
    signal?: AbortSignal,
    init: { method?: 'GET' | 'HEAD'; headers?: Record<string, string>; pass?: readonly number[] } = {},
  ): Promise<Response> {
    let answeredChallenge = false;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const url = `${await baseUrl(signal)}/v2/${repo}/${path}`;
      const headers: Record<string, string> = { ...init.headers, accept };
      const auth = authHeader(repo);
      if (auth) headers.authorization = auth;
      let res: Response;
      try {
        res = await fetch(url, { method: init.method ?? 'GET', headers, signal, redirect: 'follow' });
      } catch (err) {
        if (isAbort(err, signal)) throw err;
        if (attempt >= retry.attempts) {
          throw new RegistryError(
            `${name}: cannot connect (${networkReason(err)}) after ${attempt} attempt${attempt > 1 ? 's' : ''}`,
            { cause: err },
          );
        }
        const delay = backoffDelay(attempt, retry, null);
        options.onProgress?.({
          kind: 'retry',
          message: `${name}: ${networkReason(err)} for ${what}; retrying in ${Math.round(delay)} ms`,
        });
        await sleep(delay, undefined, { signal });
        continue;
      }
      if (res.ok || init.pass?.includes(res.status)) return res;
      if (res.status === 401 && !answeredChallenge) {
        const challenge = parseChallenge(res.headers.get('www-authenticate'));
        await res.body?.cancel();
        await authenticate(challenge, repo, signal);
        answeredChallenge = true;
        attempt--; // answering a challenge is not a failed attempt
        continue;
      }
      if (res.status === 429 || res.status >= 500) {
        const retryAfter = res.headers.get('retry-after');
        await res.body?.cancel();
        if (attempt >= retry.attempts) {
          throw new RegistryError(
            res.status === 429
              ? `${name}: too many requests (429) for ${what} after ${attempt} attempts`
              : `${name}: server error ${res.status} for ${what} after ${attempt} attempts`,
            { status: res.status },
          );
        }
        const delay = backoffDelay(attempt, retry, retryAfter);
        options.onProgress?.({
          kind: 'retry',
          message: `${name}: ${res.status} for ${what}; retrying in ${Math.round(delay)} ms`,
        });
        await sleep(delay, undefined, { signal });
        continue;
      }
      const codes = await errorCodes(res);
      const suffix = codes ? ` (${codes})` : '';
      if (res.status === 401)
        throw new RegistryError(`${name}: unauthorized for repo ${repo} (check credentials)`, { status: 401 });
      if (res.status === 403)
        throw new RegistryError(`${name}: access denied to repo ${repo} (check credentials)${suffix}`, { status: 403 });
      if (res.status === 404) {
        if (codes.includes('NAME_UNKNOWN'))
          throw new RegistryError(`${name}: repository ${repo} not found (NAME_UNKNOWN)`, { status: 404 });
        throw new RegistryError(`${name}: ${what} not found${suffix}`, { status: 404 });
      }
      throw new RegistryError(`${name}: unexpected status ${res.status} for ${what}${suffix}`, { status: res.status });
    }
  }

  async function getManifest(repo: string, reference: string, signal?: AbortSignal): Promise<ManifestResponse> {
    const what = `manifest ${repo}${reference.includes(':') ? '@' : ':'}${reference}`;
    options.onProgress?.({ kind: 'manifest', message: `${name}: fetching ${what}` });
    const res = await get(repo, `manifests/${reference}`, MANIFEST_ACCEPT.join(', '), what, signal);
    const bytes = await readLimited(res, MAX_DOCUMENT_BYTES, `${name}: ${what}`);
    const algorithm = reference.includes(':') ? parseDigest(reference, what).algorithm : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (reference.includes(':') && digest !== reference) {
      throw new InputError(`${name}: ${what}: digest mismatch: expected ${reference}, got ${digest}`);
    }
    const json = parseJsonBytes(bytes, `${name}: ${what}`);
    const declared =
      typeof (json as { mediaType?: unknown })?.mediaType === 'string'
        ? (json as { mediaType: string }).mediaType
        : undefined;
    return { bytes, json, mediaType: declared ?? mediaTypeOf(res), digest };
  }

  async function headManifest(
    repo: string,
    reference: string,
    opts: { ifNoneMatch?: string; signal?: AbortSignal } = {},
  ): Promise<ManifestHead> {
    const what = `manifest ${repo}${reference.includes(':') ? '@' : ':'}${reference}`;
    options.onProgress?.({ kind: 'manifest', message: `${name}: checking ${what}` });
    const etag = opts.ifNoneMatch;
    const res = await get(repo, `manifests/${reference}`, MANIFEST_ACCEPT.join(', '), what, opts.signal, {
      method: 'HEAD',
      // an ETag as the registry sent it (quoted), else a digest, sent quoted as entity tags are
      headers: etag ? { 'if-none-match': etag.startsWith('"') || etag.startsWith('W/') ? etag : `"${etag}"` } : {},
      pass: [304, 429],
    });
    await res.body?.cancel();
    if (res.status === 304) return { status: 'current' };
    if (res.status === 429) {
      const ms = retryAfterMs(res.headers.get('retry-after'));
      return { status: 'rate-limited', ...(ms !== undefined ? { retryAfterMs: ms } : {}) };
    }
    const digest = res.headers.get('docker-content-digest');
    if (!digest) {
      // a registry that sends no digest on HEAD: fetch the manifest and hash it
      const m = await getManifest(repo, reference, opts.signal);
      return { status: 'found', digest: m.digest, mediaType: m.mediaType };
    }
    parseDigest(digest, `${name}: Docker-Content-Digest of ${what}`);
    const tag = res.headers.get('etag') ?? undefined;
    const mediaType = mediaTypeOf(res) || undefined;
    return {
      status: 'found',
      digest: digest as Digest,
      ...(mediaType ? { mediaType } : {}),
      ...(tag ? { etag: tag } : {}),
    };
  }

  async function openBlob(repo: string, desc: Descriptor, signal?: AbortSignal): Promise<Readable> {
    const what = `blob ${desc.digest}`;
    const res = await get(repo, `blobs/${desc.digest}`, '*/*', what, signal);
    if (!res.body) throw new RegistryError(`${name}: ${what} has an empty response body`);
    const stream = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>, {
      highWaterMark: 256 * 1024,
    });
    return verifyDigest(stream, {
      digest: desc.digest,
      size: desc.size,
      what: `${what} of ${options.registry}/${repo}`,
    });
  }

  function blobReader(repo: string): BlobReader {
    return {
      async readJson(
        digest: Digest,
        what: string,
        opts?: { mediaType?: string; signal?: AbortSignal },
      ): Promise<unknown> {
        if (opts?.mediaType && (isManifestMediaType(opts.mediaType) || isIndexMediaType(opts.mediaType))) {
          return (await getManifest(repo, digest, opts.signal)).json;
        }
        const res = await get(repo, `blobs/${digest}`, '*/*', `blob ${digest}`, opts?.signal);
        const bytes = await readLimited(res, MAX_DOCUMENT_BYTES, what);
        const got = digestOf(bytes, parseDigest(digest, what).algorithm);
        if (got !== digest) throw new InputError(`${what}: digest mismatch: expected ${digest}, got ${got}`);
        return parseJsonBytes(bytes, what);
      },
      open: (desc: Descriptor, signal?: AbortSignal) => openBlob(repo, desc, signal),
    };
  }

  /**
   * One request (HEAD/POST/PUT), not retried, with auth (pull,push scope unless told); a 401 is answered once,
   * then the request re-sent.
   */
  async function send(
    repo: string,
    url: (base: string) => string,
    init: () => RequestInit,
    what: string,
    signal?: AbortSignal,
    actions = 'pull,push',
  ): Promise<Response> {
    for (let answered = false; ; answered = true) {
      signal?.throwIfAborted();
      const req = init();
      const headers = new Headers(req.headers);
      const auth = authHeader(repo);
      if (auth) headers.set('authorization', auth);
      let res: Response;
      try {
        res = await fetch(url(await baseUrl(signal)), { ...req, headers, signal, redirect: 'follow' });
      } catch (err) {
        if (isAbort(err, signal)) throw err;
        throw new RegistryError(`${name}: cannot connect for ${what} (${networkReason(err)})`, { cause: err });
      }
      if (res.status === 401 && !answered) {
        const challenge = parseChallenge(res.headers.get('www-authenticate'));
        await res.body?.cancel();
        await authenticate(challenge, repo, signal, actions);
        continue;
      }
      return res;
    }
  }

  async function failed(res: Response, what: string): Promise<never> {
    const codes = await errorCodes(res);
    throw new RegistryError(`${name}: ${what} answered ${res.status}${codes ? ` (${codes})` : ''}`, {
      status: res.status,
    });
  }

  async function pushBlob(
    repo: string,
    desc: { digest: Digest; size: number },
    body: () => Buffer | ReadableStream<Uint8Array>,
    signal?: AbortSignal,
  ): Promise<void> {
    const what = `upload of blob ${desc.digest} to ${repo}`;
    const head = await send(
      repo,
      (b) => `${b}/v2/${repo}/blobs/${desc.digest}`,
      () => ({ method: 'HEAD' }),
      what,
      signal,
    );
    await head.body?.cancel();
    if (head.ok) return;
    const start = await send(
      repo,
      (b) => `${b}/v2/${repo}/blobs/uploads/`,
      () => ({ method: 'POST', headers: { 'content-length': '0' } }),
      what,
      signal,
    );
    if (start.status !== 202) return failed(start, what);
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (!location) throw new RegistryError(`${name}: ${what}: no upload location`);
    const put = await send(
      repo,
      (b) => {
        const u = new URL(location, b);
        u.searchParams.set('digest', desc.digest);
        return u.toString();
      },
      () =>
        ({
          method: 'PUT',
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
          body: body(),
          duplex: 'half',
        }) as RequestInit,
      what,
      signal,
    );
    if (put.status !== 201) return failed(put, what);
    await put.body?.cancel();
  }

  async function putManifest(
    repo: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
    signal?: AbortSignal,
  ): Promise<Digest> {
    const what = `manifest ${repo}:${reference}`;
    const res = await send(
      repo,
      (b) => `${b}/v2/${repo}/manifests/${reference}`,
      () => ({ method: 'PUT', headers: { 'content-type': mediaType }, body: new Uint8Array(bytes) }),
      what,
      signal,
    );
    if (res.status !== 201) return failed(res, what);
    await res.body?.cancel();
    return digestOf(bytes, 'sha256');
  }

  return { registry: options.registry, getManifest, headManifest, openBlob, blobReader, pushBlob, putManifest };
}
