// The gates images pass through, wired to the service: scan on push (`POST /hooks/registry`), the Harbor pluggable
// scanner adapter (`/harbor/api/v1/…`), the Kubernetes validating admission webhook (`POST /admission/validate`) and
// the Gatekeeper external-data provider (`POST /gatekeeper/provide`). The protocols are the pure translators beside
// this file; here they meet the store and the jobs. Admission and Gatekeeper decide from stored results only.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Role } from '../store/index.ts';
import type { Severity } from '../core/advisory.ts';
import { InputError } from '../core/errors.ts';
import { buildHarborVulnerabilityReport } from '../report/index.ts';
import { VERSION } from '../app/index.ts';
import { HttpError } from './http-error.ts';
import type { Handler, Reply, Route } from './http.ts';
import type { ServiceContext } from './jobs.ts';
import { findCatalog, judged, requestScan, scanAndStore, splitReference } from './jobs.ts';
import { imageKey, parseReference, resolveRegistryDigest, type ImageKey } from '../image/index.ts';
import { databaseIdentity, ANALYZER_VERSION } from './scan-adapter.ts';
import { parsePushNotification } from './registry-notifications.ts';
import {
  parseAdmissionReview,
  decideAdmission,
  admissionResponse,
  workloadImages,
  DEFAULT_ADMISSION_POLICY,
  type AdmissionPolicy,
  type ImageStatus,
} from './k8s-admission.ts';
import { parseProviderRequest, providerResponse } from './gatekeeper-external-data.ts';
import {
  harborMetadata,
  parseHarborScanRequest,
  registryAuth,
  negotiateHarborReport,
  harborError,
  HarborProtocolError,
  HARBOR_MEDIA,
  PRODUCED_SBOM_MEDIA_TYPES,
  type HarborScanRequest,
} from './harbor-scanner-adapter.ts';

export interface GateOptions {
  /** shared secret of `POST /hooks/registry` (`Authorization: Bearer SECRET`); unset: the hook is off */
  hookSecret?: string;
  /** scan pushes of every repository, not only of catalog repositories */
  scanAllPushes?: boolean;
  /** the admission webhook's and the Gatekeeper provider's policy (default DEFAULT_ADMISSION_POLICY) */
  admissionPolicy?: AdmissionPolicy;
  /** Harbor scans running at once in this process (default 2) */
  harborConcurrency?: number;
  /**
   * how long admission and Gatekeeper wait for a registry to say what digest a tag they never saw points at
   * (default 2000 ms, well inside the webhook's timeout; 0: no lookups, such tags are unknown)
   */
  admissionLookupTimeoutMs?: number;
  onError?: (err: unknown) => void;
}

type RouteFn = (method: string, path: string, role: Role | undefined, handler: Handler, auth?: 'own') => Route;

/** Constant-time comparison of a presented secret with the configured one (hashes: equal lengths). */
export function secretMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && presented.length === expected.length;
}

/** Resolves a tag the service never recorded to the digest it points at now (undefined: cannot tell). */
export type TagLookup = (key: ImageKey) => Promise<string | undefined>;

/**
 * What the service knows of one image reference, from stored results only (undefined: never seen). A tag is resolved
 * from the tag history, else by `lookup` (a registry HEAD): a digest scanned under another tag is known by its result.
 */
export async function imageStatusOf(
  ctx: ServiceContext,
  ref: string,
  lookup?: TagLookup,
): Promise<ImageStatus | undefined> {
  let key: ImageKey;
  try {
    key = imageKey(ref);
  } catch {
    return undefined; // not an image reference: never scanned (the kubelet could not pull it either)
  }
  const entry = await findCatalog(ctx.store, key.repository);
  let digest = key.digest;
  if (!digest && key.tag)
    digest = (await ctx.store.tagHistory(entry?.repository ?? key.repository, key.tag))[0]?.digest;
  if (!digest && lookup) digest = await lookup(key);
  const catalog = entry
    ? {
        repository: entry.repository,
        tier: entry.tier,
        ...(entry.replacement ? { replacement: entry.replacement } : {}),
      }
    : undefined;
  const result = digest ? await ctx.store.latestResult(digest) : undefined;
  if (!result)
    return catalog || digest ? { ref, ...(digest ? { digest } : {}), ...(catalog ? { catalog } : {}) } : undefined;
  const j = await judged(ctx, entry?.repository ?? key.repository, result.digest, result.findings);
  return {
    ref,
    digest,
    catalog,
    verdict: j.verdict.passed ? 'pass' : 'fail',
    findings: j.verdict.counts as Record<Severity, number>,
    scannedAt: result.createdAt,
  };
}

/** What is kept of a Harbor scan request: the request without its credentials, and which process runs it. */
interface KeptHarborRequest extends Omit<HarborScanRequest, 'authorization'> {
  instance: string;
}

/** Harbor scan requests are forgotten this long after they were made */
const HARBOR_SCAN_KEEP_MS = 7 * 24 * 3_600_000;
/** a scan still `running` after this long lost its process (the credentials died with it): answered as failed */
const HARBOR_SCAN_STALE_MS = 3_600_000;
/** how long a tag's digest from a registry lookup (or a failed lookup) is reused */
export const LOOKUP_TTL_MS = 10_000;
export const DEFAULT_LOOKUP_TIMEOUT_MS = 2000;
/** how long admission and Gatekeeper reuse what they read about one image reference */
export const STATUS_TTL_MS = 2000;
const MAX_CACHED_STATUSES = 10_000;

export function gateRoutes(ctx: ServiceContext, options: GateOptions, route: RouteFn): Route[] {
  const store = ctx.store;
  const policy = options.admissionPolicy ?? DEFAULT_ADMISSION_POLICY;

  // tags the service never recorded: asked of their registry (a manifest HEAD) within the lookup timeout, the answer
  // (or the failure) reused for LOOKUP_TTL_MS; the decision still reads stored results only, nothing is pulled
  const lookupMs = options.admissionLookupTimeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS;
  const lookups = new Map<string, { at: number; digest: Promise<string | undefined> }>();
  const lookup: TagLookup | undefined =
    lookupMs > 0
      ? (key) => {
          const now = Date.now();
          const hit = lookups.get(key.canonical);
          if (hit && now - hit.at < LOOKUP_TTL_MS) return hit.digest;
          const open = ctx.env.open ?? {};
          const digest = resolveRegistryDigest(parseReference(key.canonical), {
            insecure: open.insecure,
            auth: open.auth,
            dockerConfigPath: open.dockerConfigPath,
            platform: open.platform,
            signal: AbortSignal.timeout(lookupMs),
          }).then(
            (r) => r.digest,
            (err: unknown) => {
              // no such tag is an answer (the image is unknown), not a failure worth a log line
              if ((err as { status?: unknown })?.status === 404) return undefined;
              const why =
                (err as Error)?.name === 'TimeoutError' ? `no answer within ${lookupMs} ms` : (err as Error)?.message;
              options.onError?.(new Error(`admission: cannot resolve ${key.canonical} at its registry: ${why}`));
              return undefined;
            },
          );
          lookups.set(key.canonical, { at: now, digest });
          if (lookups.size > MAX_CACHED_STATUSES)
            for (const [k, v] of lookups) if (now - v.at >= LOOKUP_TTL_MS) lookups.delete(k);
          return digest;
        }
      : undefined;

  // what admission and Gatekeeper know of an image, kept for STATUS_TTL_MS: a rollout asks about the same images
  // many times a second; a new scan or catalog change shows within that time
  const statusCache = new Map<string, { at: number; status: Promise<ImageStatus | undefined> }>();
  const statusOf = (ref: string): Promise<ImageStatus | undefined> => {
    const now = Date.now();
    const hit = statusCache.get(ref);
    if (hit && now - hit.at < STATUS_TTL_MS) return hit.status;
    const status = imageStatusOf(ctx, ref, lookup);
    statusCache.set(ref, { at: now, status });
    status.catch(() => statusCache.delete(ref));
    if (statusCache.size > MAX_CACHED_STATUSES)
      for (const [k, v] of statusCache)
        if (now - v.at >= STATUS_TTL_MS || statusCache.size > MAX_CACHED_STATUSES) statusCache.delete(k);
    return status;
  };

  // Harbor scans: recorded in the store (any instance answers GET …/report, a restart keeps them); each runs in the
  // process that took the request, because the pull credentials live only in its memory; a bounded number at once
  const instance = randomUUID();
  const waiting: (() => void)[] = [];
  let running = 0;
  let prunedAt = 0;
  const limit = Math.max(1, options.harborConcurrency ?? 2);
  const slot = async (): Promise<void> => {
    if (running < limit) {
      running++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  const runHarborScan = async (id: string, req: HarborScanRequest): Promise<void> => {
    await slot();
    let outcome: { digest: string } | { error: string };
    try {
      const auth = registryAuth(req.authorization);
      const host = req.ref.slice(0, req.ref.indexOf('/'));
      const r = await scanAndStore(ctx, req.ref, `${host}/${req.artifact.repository}`, {
        tag: req.artifact.tag,
        open: { insecure: req.insecure, ...(auth ? { auth } : {}) },
      });
      outcome = { digest: r.digest };
    } catch (err) {
      outcome = { error: `scan of ${req.ref} failed: ${(err as Error)?.message ?? String(err)}` };
      options.onError?.(new Error(`harbor scan ${id}: ${outcome.error}`));
    } finally {
      release();
    }
    await store
      .finishHarborScan(id, outcome)
      .catch((err: unknown) =>
        options.onError?.(new Error(`harbor scan ${id}: cannot record its end: ${(err as Error)?.message}`)),
      );
  };
  const alreadyScanned = async (digest: string): Promise<boolean> =>
    !!(await store.getResult({
      digest,
      analyzerVersion: ANALYZER_VERSION,
      dbVersion: databaseIdentity(ctx.env).version,
    }));
  const harbor = (status: number, message: string): Reply => ({
    status,
    json: harborError(message),
    contentType: HARBOR_MEDIA.error,
  });
  const harborHandler =
    (h: Handler): Handler =>
    async (r) => {
      try {
        return await h(r);
      } catch (err) {
        if (err instanceof HarborProtocolError) return harbor(err.status, err.message);
        if (err instanceof HttpError && err.status === 400) return harbor(400, err.message);
        throw err;
      }
    };

  return [
    route(
      'POST',
      '/hooks/registry',
      undefined,
      async (r) => {
        if (!options.hookSecret)
          throw new HttpError(
            404,
            'the registry hook is off: start zerocve serve with --hook-secret (or ZEROCVE_HOOK_SECRET)',
          );
        const m = /^Bearer\s+(\S+)$/i.exec(String(r.headers.authorization ?? ''));
        if (!m || !secretMatches(m[1], options.hookSecret))
          throw new HttpError(401, 'the registry hook needs "Authorization: Bearer SECRET" with the hook secret');
        const pushed = parsePushNotification(await r.body());
        const queued: { ref: string; job: string | null; deduplicated: boolean }[] = [];
        const ignored: { ref: string; reason: string }[] = [];
        for (const p of pushed) {
          const repository = splitReference(p.ref).repository ?? p.repository;
          // the catalog names the image however it is spelled; an entry named by its path alone (the registry's own
          // name for it, without a host) matches as written — never as a Docker Hub image
          const entry = (await findCatalog(store, repository)) ?? (await store.getCatalog(p.repository));
          if (!entry && !options.scanAllPushes) {
            ignored.push({ ref: p.ref, reason: `${repository} is not in the catalog` });
            continue;
          }
          const repo = entry?.repository ?? repository;
          // a digest already scanned with this analyzer and database: a redelivery (or a new tag) needs no pull
          if (p.digest && (await alreadyScanned(p.digest))) {
            if (p.tag) await store.recordTag({ repository: repo, tag: p.tag, digest: p.digest });
            queued.push({ ref: p.ref, job: null, deduplicated: true });
            continue;
          }
          const job = await requestScan(ctx, p.ref, repo, p.tag);
          queued.push({ ref: p.ref, job: job.id, deduplicated: job.deduplicated });
          if (!job.deduplicated)
            await store.audit({ actor: `hook:${p.via}`, action: 'scan.request', target: p.ref, detail: job });
        }
        return { status: 202, json: { queued, ignored } };
      },
      'own',
    ),

    route(
      'POST',
      '/admission/validate',
      undefined,
      async (r) => {
        const review = parseAdmissionReview(await r.body());
        const statuses = new Map<string, ImageStatus | undefined>();
        const images =
          review.object && review.operation !== 'DELETE' && review.operation !== 'CONNECT'
            ? (workloadImages(review.kind, review.object) ?? [])
            : [];
        // all images at once: registry lookups of several unknown tags then take one lookup timeout, not one each
        const refs = [...new Set(images.map((img) => img.image))];
        const found = await Promise.all(refs.map((ref) => statusOf(ref)));
        refs.forEach((ref, i) => statuses.set(ref, found[i]));
        const decision = decideAdmission(review, policy, statuses, new Date());
        // queuing is best effort: the answer never waits on (or fails with) the scan queue
        for (const ref of decision.toScan)
          await requestScan(ctx, ref).catch((err: unknown) =>
            options.onError?.(new Error(`admission: cannot queue a scan of ${ref}: ${(err as Error)?.message}`)),
          );
        return { json: admissionResponse(review.uid, decision) };
      },
      'own',
    ),

    route(
      'POST',
      '/gatekeeper/provide',
      undefined,
      async (r) => {
        const req = parseProviderRequest(await r.body());
        const items = [];
        // all keys at once (Gatekeeper's provider timeout covers the whole batch)
        const found = await Promise.all(req.keys.map((key) => statusOf(key)));
        for (const [i, key] of req.keys.entries()) {
          const status = found[i];
          if (!status || (status.scannedAt === undefined && status.catalog?.tier !== 'blocked')) {
            const it = status?.digest ? ` (it is ${status.digest})` : '';
            items.push({ key, error: `${key} was never scanned by zerocve${it}` });
            continue;
          }
          const reasons = violationsOf(status);
          // what deploy/kubernetes/gatekeeper/template.yaml reads: allowed, reasons, replacement
          items.push({
            key,
            value: {
              allowed: reasons.length === 0,
              reasons,
              ...(status.catalog?.replacement ? { replacement: status.catalog.replacement } : {}),
              digest: status.digest,
              tier: status.catalog?.tier,
              verdict: status.verdict,
              findings: status.findings,
              scannedAt: status.scannedAt,
            },
          });
        }
        return { json: providerResponse(req.apiVersion, items) };
      },
      'own',
    ),

    route(
      'GET',
      '/harbor/api/v1/metadata',
      'reader',
      harborHandler(async () => {
        let builtAt: string | undefined;
        try {
          builtAt = databaseIdentity(ctx.env).builtAt;
        } catch {
          builtAt = undefined;
        }
        return { json: harborMetadata(VERSION, builtAt), contentType: HARBOR_MEDIA.metadata };
      }),
    ),
    route(
      'POST',
      '/harbor/api/v1/scan',
      'triager',
      harborHandler(async (r) => {
        const req = parseHarborScanRequest(await r.body());
        if (req.authorization && !registryAuth(req.authorization))
          throw new HarborProtocolError(
            422,
            'registry.authorization must be "Basic base64(user:password)" (a robot account) or "Bearer TOKEN" ' +
              '(a registry token)',
          );
        const id = randomUUID();
        // the credentials stay in this request's memory: used for its pull, never stored or logged
        const { authorization: _secret, ...rest } = req;
        const kept: KeptHarborRequest = { ...rest, instance };
        await store.putHarborScan(id, kept);
        void runHarborScan(id, req);
        if (Date.now() - prunedAt > 3_600_000) {
          prunedAt = Date.now();
          void store
            .pruneHarborScans(new Date(Date.now() - HARBOR_SCAN_KEEP_MS).toISOString())
            .catch((err: unknown) => options.onError?.(err));
        }
        return { status: 202, json: { id }, contentType: HARBOR_MEDIA.scanResponse };
      }),
    ),
    route(
      'GET',
      '/harbor/api/v1/scan/([^/]+)/report',
      'reader',
      harborHandler(async (r) => {
        const scan = await store.getHarborScan(r.params[0]);
        if (!scan) return { status: 404, json: harborError(`unknown scan request ${r.params[0]}`) };
        const request = scan.request as KeptHarborRequest;
        const want = negotiateHarborReport(
          r.headers.accept as string | undefined,
          r.url.searchParams.get('sbom_media_type'),
        );
        if (scan.state === 'running') {
          // the process running it is gone (a restart of a single SQLite instance, or no news for an hour): the
          // credentials went with it, so it will never end; Harbor is told to ask again
          const lost =
            (store.kind === 'sqlite' && request.instance !== instance) ||
            Date.now() - Date.parse(scan.updatedAt) > HARBOR_SCAN_STALE_MS;
          if (!lost) return { status: 302, headers: { 'refresh-after': '2' }, text: '' };
          return harbor(500, `scan ${scan.id} was interrupted (the zerocve instance running it stopped); scan again`);
        }
        if (scan.state === 'failed') return harbor(500, scan.error ?? 'scan failed');
        const { artifact } = request;
        const digest = scan.digest!;
        const scanner = { name: 'zerocve', vendor: 'zerocve', version: VERSION };
        if (want.kind === 'sbom') {
          if (!PRODUCED_SBOM_MEDIA_TYPES.includes(want.sbomMediaType))
            return harbor(400, `zerocve produces ${PRODUCED_SBOM_MEDIA_TYPES.join(', ')} SBOMs only`);
          const sbom = await store.getSbom(digest);
          if (!sbom) return harbor(500, `no SBOM stored for ${digest}`);
          return {
            json: {
              generated_at: (await store.latestResult(digest))?.createdAt ?? new Date().toISOString(),
              artifact,
              scanner,
              media_type: want.sbomMediaType,
              sbom: JSON.parse(sbom) as unknown,
            },
            contentType: HARBOR_MEDIA.sbom,
          };
        }
        const result = await store.latestResult(digest);
        if (!result) return harbor(500, `no result stored for ${digest}`);
        const host = request.ref.slice(0, request.ref.indexOf('/'));
        const j = await judged(ctx, `${host}/${artifact.repository}`, digest, result.findings);
        const report = buildHarborVulnerabilityReport(
          { findings: j.findings, createdAt: result.createdAt },
          artifact,
          scanner,
        );
        if (want.mediaType === HARBOR_MEDIA.vulnRaw)
          return { text: JSON.stringify({ ...report, zerocve: { verdict: j.verdict } }), contentType: want.mediaType };
        return { json: report, contentType: want.mediaType };
      }),
    ),
  ];

  function violationsOf(status: ImageStatus): string[] {
    // the same rules as the admission webhook, for Rego to deny on (`count(violations) > 0`)
    const d = decideAdmission(
      {
        uid: 'gatekeeper',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        operation: 'CREATE',
        object: { spec: { containers: [{ name: 'c', image: status.ref }] } },
        dryRun: true,
      },
      { ...policy, mode: 'enforce', unknownImage: 'deny', exemptNamespaces: [] },
      new Map([[status.ref, status]]),
      new Date(),
    );
    return d.images.flatMap((i) => (i.ok ? [] : i.reasons));
  }
}

/** Parse the `--admission-policy` YAML document (already parsed to a value). */
export function admissionPolicyFrom(doc: unknown, where: string): AdmissionPolicy {
  const bad = (m: string): never => {
    throw new InputError(`${where}: ${m}`);
  };
  if (doc === null || doc === undefined) return DEFAULT_ADMISSION_POLICY;
  if (typeof doc !== 'object' || Array.isArray(doc)) bad('must be a mapping');
  const o = doc as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!['mode', 'require', 'unknownImage', 'exemptNamespaces', 'exemptImages'].includes(k))
      bad(`unknown key '${k}' (mode, require, unknownImage, exemptNamespaces, exemptImages)`);
  const mode = o.mode ?? DEFAULT_ADMISSION_POLICY.mode;
  if (mode !== 'enforce' && mode !== 'audit') bad("'mode' must be enforce or audit");
  const unknownImage = o.unknownImage ?? DEFAULT_ADMISSION_POLICY.unknownImage;
  if (unknownImage !== 'deny' && unknownImage !== 'warn-and-scan') bad("'unknownImage' must be deny or warn-and-scan");
  const list = (k: string, dflt: string[]): string[] => {
    const v = o[k];
    if (v === undefined) return dflt;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) bad(`'${k}' must be a list of strings`);
    return v as string[];
  };
  let require: AdmissionPolicy['require'] = DEFAULT_ADMISSION_POLICY.require;
  if (o.require !== undefined) {
    if (!o.require || typeof o.require !== 'object' || Array.isArray(o.require)) bad("'require' must be a mapping");
    const r = o.require as Record<string, unknown>;
    require = {};
    for (const [k, v] of Object.entries(r)) {
      if (k === 'catalogPass' || k === 'golden') {
        if (typeof v !== 'boolean') bad(`'require.${k}' must be true or false`);
        require[k] = v as boolean;
      } else if (k === 'belowSeverity') {
        if (typeof v !== 'string' || !['critical', 'high', 'medium', 'low', 'negligible'].includes(v))
          bad("'require.belowSeverity' must be one of critical, high, medium, low, negligible");
        require.belowSeverity = v as Severity;
      } else if (k === 'maxScanAgeHours') {
        if (typeof v !== 'number' || !(v > 0)) bad("'require.maxScanAgeHours' must be a positive number");
        require.maxScanAgeHours = v as number;
      } else bad(`unknown key 'require.${k}' (catalogPass, golden, belowSeverity, maxScanAgeHours)`);
    }
  }
  return {
    mode: mode as AdmissionPolicy['mode'],
    require,
    unknownImage: unknownImage as AdmissionPolicy['unknownImage'],
    exemptNamespaces: list('exemptNamespaces', DEFAULT_ADMISSION_POLICY.exemptNamespaces),
    exemptImages: list('exemptImages', DEFAULT_ADMISSION_POLICY.exemptImages),
  };
}
