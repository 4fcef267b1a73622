// The service's HTTP API on node:http. A plain router (a table of method + path pattern → handler) is enough for
// this small JSON API and adds no dependency; middleware is three functions: body limit, auth and error mapping.
// Handlers only translate HTTP to a store or use-case call and back.
import {
  createServer,
  type IncomingMessage,
  type IncomingHttpHeaders,
  type ServerResponse,
  type Server,
} from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { ZerocveError, UsageError, InputError } from '../core/errors.ts';
import { SEVERITIES } from '../core/advisory.ts';
import type { ServiceStore, Role, ApiToken, CatalogEntry, TriageDecision } from '../store/index.ts';
import { TIERS, ROLES, TRIAGE_STATUSES, VEX_JUSTIFICATIONS } from '../store/index.ts';
import type { ServiceContext } from './jobs.ts';
import { requestScan, requestRematch, findCatalog } from './jobs.ts';
import { repositoryKey } from '../image/index.ts';
import { requestBuild } from './fresh-build.ts';
import { databaseIdentity } from './scan-adapter.ts';
import { policyOptions, judge, severityOf } from './policy.ts';
import { openApiDocument } from './openapi.ts';
import { renderMetrics } from './metrics.ts';
import { openVexDocument } from './openvex.ts';
import { mountUi, isUiPath } from './ui-mount.ts';
import { HttpError } from './http-error.ts';
import { compareDigests, spdxOfDigest } from './stored-report.ts';
import { createRateLimiter, type RateLimitOptions } from './rate-limit.ts';
import { gateRoutes, type GateOptions } from './gates.ts';

export interface ServerOptions extends GateOptions {
  /** PEM files: listen with HTTPS (the admission webhook must be served over TLS) */
  tls?: { cert: string; key: string };
  /** `HOST:PORT`; port 0 picks a free one */
  listen: string;
  /** GET requests need no token */
  anonymousRead?: boolean;
  /** largest request body accepted (default 1 MiB) */
  maxBodyBytes?: number;
  /** base URL for links in documents (default http://LISTEN) */
  publicUrl?: string;
  /** requests a second per token (per client address for anonymous requests); absent: no limit */
  rateLimit?: RateLimitOptions;
}

export { HttpError };

export interface Request {
  method: string;
  url: URL;
  params: string[];
  headers: IncomingHttpHeaders;
  body: () => Promise<unknown>;
  actor: ApiToken | undefined;
}

export interface Reply {
  status?: number;
  json?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export type Handler = (req: Request) => Promise<Reply>;

export interface Route {
  method: string;
  pattern: RegExp;
  /** role needed; undefined: open to everyone (health, metrics, openapi) */
  role?: Role;
  /** 'own': the handler checks the Authorization header itself (shared-secret hooks); no API token is read */
  auth?: 'own';
  handler: Handler;
}

const rank = (r: Role): number => ROLES.indexOf(r);

const SPDX_TYPE = 'application/spdx+json; charset=utf-8';

/** `?format=spdx|cyclonedx` wins; otherwise the Accept header (CycloneDX, stored at scan time, is the default) */
function sbomFormatOf(r: Request): 'spdx' | 'cyclonedx' {
  const f = r.url.searchParams.get('format');
  if (f !== null) {
    if (f === 'spdx' || f === 'spdx-json') return 'spdx';
    if (f === 'cyclonedx' || f === 'cyclonedx-json') return 'cyclonedx';
    throw new HttpError(400, `'format' must be spdx or cyclonedx, got '${f}'`);
  }
  const accept = String(r.headers.accept ?? '');
  return /application\/spdx\+json/i.test(accept) && !/cyclonedx/i.test(accept) ? 'spdx' : 'cyclonedx';
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `bad percent-encoding in the path: ${segment}`);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      reject(new HttpError(413, `request body of ${declared} bytes is over the limit of ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, `request body is over the limit of ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const obj = (v: unknown, what: string): Record<string, unknown> => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, `${what} must be a JSON object`);
  return v as Record<string, unknown>;
};
const optString = (o: Record<string, unknown>, k: string): string | undefined => {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new HttpError(400, `'${k}' must be a string`);
  return v;
};
const reqString = (o: Record<string, unknown>, k: string): string => {
  const v = optString(o, k);
  if (!v) throw new HttpError(400, `'${k}' is required`);
  return v;
};
const strings = (o: Record<string, unknown>, k: string): string[] | undefined => {
  const v = o[k];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw new HttpError(400, `'${k}' must be a list of strings`);
  return v;
};

const TAG = /^[\w][\w.-]{0,118}$/;

/** `build: path/to/image.yaml` (pushed to the first followed tag, else latest) or `build: {spec, tag}` */
function buildSourceOf(v: unknown, tags: string[] | undefined): NonNullable<CatalogEntry['build']> {
  const o = typeof v === 'string' ? { spec: v } : obj(v, "'build'");
  const spec = o.spec;
  if (typeof spec !== 'string' || !spec.trim()) throw new HttpError(400, "'build.spec' (the image.yaml) is required");
  const tag = o.tag ?? tags?.[0] ?? 'latest';
  if (typeof tag === 'number')
    throw new HttpError(400, `'build.tag' must be a string: quote it ("${String(tag)}" may not be what you meant)`);
  if (typeof tag !== 'string' || !TAG.test(tag))
    throw new HttpError(400, `'build.tag' must be a tag of at most 119 characters ([A-Za-z0-9_.-]), got '${tag}'`);
  for (const k of Object.keys(o))
    if (k !== 'spec' && k !== 'tag') throw new HttpError(400, `'build' has an unknown key '${k}' (known: spec, tag)`);
  return { spec, tag };
}

export function catalogFromBody(repository: string, body: unknown): Omit<CatalogEntry, 'updatedAt'> {
  const o = obj(body, 'catalog entry');
  const tier = reqString(o, 'tier');
  if (!(TIERS as readonly string[]).includes(tier))
    throw new HttpError(400, `'tier' must be one of ${TIERS.join(', ')}`);
  const policy = o.policy === undefined ? {} : obj(o.policy, "'policy'");
  const failOn = policy.failOn === undefined ? undefined : severityOf(policy.failOn, "'policy.failOn'");
  if (policy.ignore !== undefined && !Array.isArray(policy.ignore))
    throw new HttpError(400, "'policy.ignore' must be a list of rules");
  const replacement = optString(o, 'replacement');
  const entry: Omit<CatalogEntry, 'updatedAt'> = {
    // one key per image: `nginx` is stored as docker.io/library/nginx
    repository: repositoryKey(repository),
    tier: tier as CatalogEntry['tier'],
    owner: optString(o, 'owner'),
    description: optString(o, 'description'),
    policy: {
      ...(failOn ? { failOn } : {}),
      ...(policy.ignore ? { ignore: policy.ignore as unknown[] } : {}),
      ...(strings(policy, 'vex') ? { vex: strings(policy, 'vex') } : {}),
    },
    // a repository named as the catalog keys are (a reference with a tag or digest is kept as written)
    replacement: replacement === undefined ? undefined : repositoryKey(replacement),
    tags: strings(o, 'tags') ?? [],
    ...(o.build !== undefined && o.build !== null ? { build: buildSourceOf(o.build, strings(o, 'tags')) } : {}),
  };
  // the ignore rules must parse as the scan gate's rules
  policyOptions({ ...entry, updatedAt: '' }, [], 'sha256:0');
  return entry;
}

export function triageFromBody(body: unknown, author: string): Omit<TriageDecision, 'id' | 'createdAt'> {
  const o = obj(body, 'triage decision');
  const status = reqString(o, 'status');
  if (!(TRIAGE_STATUSES as readonly string[]).includes(status))
    throw new HttpError(400, `'status' must be one of ${TRIAGE_STATUSES.join(', ')}`);
  const justification = optString(o, 'justification');
  const action = optString(o, 'action');
  if (status === 'not_affected' && !(VEX_JUSTIFICATIONS as readonly string[]).includes(justification ?? ''))
    throw new HttpError(400, `not_affected needs a 'justification', one of ${VEX_JUSTIFICATIONS.join(', ')}`);
  if (status === 'affected' && !action) throw new HttpError(400, "affected needs an 'action' statement");
  const pkg = optString(o, 'package');
  if (pkg && !pkg.startsWith('pkg:')) throw new HttpError(400, "'package' must be a purl (pkg:…)");
  const until = optString(o, 'until');
  if (until && Number.isNaN(Date.parse(until))) throw new HttpError(400, "'until' must be a date-time");
  return {
    repository: repositoryKey(optString(o, 'repository') ?? '*'),
    findingId: reqString(o, 'findingId'),
    package: pkg,
    status: status as TriageDecision['status'],
    justification,
    action,
    author,
    until: until ? new Date(until).toISOString() : undefined,
  };
}

/** a `repository` query parameter, normalized as the catalog keys are */
const repoParam = (v: string | null | undefined): string | undefined =>
  v === null || v === undefined ? undefined : repositoryKey(v);

export function createRoutes(ctx: ServiceContext, options: ServerOptions): Route[] {
  const store: ServiceStore = ctx.store;
  const who = (r: Request): string => r.actor?.name ?? 'anonymous';
  const digestOf = async (raw: string, encoded = true) => {
    const digest = encoded ? decode(raw) : raw;
    const d = await store.getDigest(digest);
    if (!d) throw new HttpError(404, `unknown image digest ${digest}`);
    return d;
  };
  const route = (method: string, path: string, role: Role | undefined, handler: Handler, auth?: 'own'): Route => ({
    method,
    pattern: new RegExp(`^${path}$`),
    role,
    auth,
    handler,
  });
  const viewOf = async (digest: string, encoded = true) => {
    const d = await digestOf(digest, encoded);
    const result = await store.latestResult(d.digest);
    const entry = d.repository ? await findCatalog(store, d.repository) : undefined;
    const triage = await store.listTriage(d.repository ?? '*');
    const judged = result ? judge(result.findings, policyOptions(entry, triage, d.digest)) : undefined;
    return { d, result, entry, judged };
  };

  return [
    ...gateRoutes(ctx, options, route),
    route('GET', '/healthz', undefined, async () => ({ json: { status: 'ok' } })),
    route('GET', '/readyz', undefined, async () => {
      const checks: Record<string, string> = {};
      let ready = true;
      try {
        await store.ping();
        checks.store = 'ok';
      } catch (err) {
        ready = false;
        checks.store = (err as Error).message;
      }
      try {
        const db = databaseIdentity(ctx.env);
        checks.vulnerabilityData = db.stale ? `stale (built ${db.builtAt ?? 'never'})` : 'ok';
        if (db.stale) ready = false;
      } catch (err) {
        ready = false;
        checks.vulnerabilityData = (err as Error).message;
      }
      return { status: ready ? 200 : 503, json: { status: ready ? 'ready' : 'not ready', checks } };
    }),
    route('GET', '/metrics', undefined, async () => ({
      text: await renderMetrics(store),
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
    })),
    route('GET', '/api/v1/openapi.json', undefined, async () => ({ json: openApiDocument() })),

    route('GET', '/api/v1/catalog', 'reader', async () => ({ json: { items: await store.listCatalog() } })),
    route('GET', '/api/v1/catalog/(.+)', 'reader', async (r) => {
      const repo = decode(r.params[0]);
      const e = await findCatalog(store, repo);
      if (!e) throw new HttpError(404, `no catalog entry for ${repo}`);
      const following = [];
      for (const tag of e.tags) {
        const head = await store.getTagHead(e.repository, tag);
        if (head) following.push(head);
      }
      return { json: { ...e, history: await store.tagHistory(e.repository), following } };
    }),
    route('PUT', '/api/v1/catalog/(.+)', 'admin', async (r) => {
      const entry = catalogFromBody(decode(r.params[0]), await r.body());
      const saved = await store.putCatalog(entry);
      await store.audit({ actor: who(r), action: 'catalog.put', target: entry.repository, detail: entry });
      return { json: saved };
    }),
    route('POST', '/api/v1/catalog/(.+)/build', 'admin', async (r) => {
      const entry = await findCatalog(store, decode(r.params[0]));
      if (!entry) throw new HttpError(404, `no catalog entry for ${decode(r.params[0])}`);
      const repo = entry.repository;
      if (!entry.build)
        throw new HttpError(409, `catalog entry ${repo} has no build source (give it build: {spec, tag})`);
      const job = await requestBuild(ctx, repo);
      await store.audit({ actor: who(r), action: 'build.request', target: repo, detail: job });
      return { status: 202, json: { job: await store.jobs.get(job.id), deduplicated: job.deduplicated } };
    }),
    route('GET', '/api/v1/catalog/(.+)/builds', 'reader', async (r) => {
      const entry = await findCatalog(store, decode(r.params[0]));
      if (!entry) throw new HttpError(404, `no catalog entry for ${decode(r.params[0])}`);
      return { json: { items: await store.listBuilds(entry.repository) } };
    }),
    route('DELETE', '/api/v1/catalog/(.+)', 'admin', async (r) => {
      const repo = (await findCatalog(store, decode(r.params[0])))?.repository ?? decode(r.params[0]);
      if (!(await store.deleteCatalog(repo))) throw new HttpError(404, `no catalog entry for ${repo}`);
      await store.audit({ actor: who(r), action: 'catalog.delete', target: repo });
      return { status: 204 };
    }),

    route('GET', '/api/v1/images', 'reader', async (r) => {
      const repository = repoParam(r.url.searchParams.get('repository'));
      const items = [];
      for (const d of await store.listDigestRefs(repository)) {
        const res = await store.latestResult(d.digest);
        items.push({
          digest: d.digest,
          repository: d.repository,
          target: d.target,
          createdAt: d.createdAt,
          dbVersion: res?.dbVersion,
          verdict: res?.verdict,
        });
      }
      return { json: { items } };
    }),
    route('GET', '/api/v1/images/([^/]+)', 'reader', async (r) => {
      const { d, result, judged } = await viewOf(r.params[0]);
      return {
        json: {
          digest: d.digest,
          repository: d.repository,
          target: d.target,
          analyzerVersion: d.analyzerVersion,
          image: d.image,
          surface: d.analysis.surface,
          bloat: d.analysis.bloat,
          sections: d.analysis.sections,
          packages: d.inventory.packages.length,
          result: result
            ? {
                dbVersion: result.dbVersion,
                durationMs: result.durationMs,
                createdAt: result.createdAt,
                verdict: judged!.verdict,
              }
            : undefined,
        },
      };
    }),
    route('GET', '/api/v1/images/([^/]+)/findings', 'reader', async (r) => {
      const { d, result, judged } = await viewOf(r.params[0]);
      if (!result || !judged) return { json: { digest: d.digest, findings: [], suppressed: [] } };
      const q = r.url.searchParams;
      const sev = q.get('severity')?.split(',').filter(Boolean);
      for (const s of sev ?? []) severityOf(s, "'severity'");
      const pkg = q.get('package');
      const id = q.get('id');
      const fixable = q.get('fixable');
      if (fixable !== null && fixable !== 'true' && fixable !== 'false')
        throw new HttpError(400, "'fixable' must be true or false");
      const findings = judged.findings.filter(
        (f) =>
          (!sev || sev.includes(f.severity)) &&
          (!pkg || f.package.name === pkg || f.package.purl === pkg) &&
          (!id || f.id === id || f.aliases.includes(id)) &&
          (fixable === null || f.fixedVersions.length > 0 === (fixable === 'true')),
      );
      return {
        json: {
          digest: d.digest,
          dbVersion: result.dbVersion,
          verdict: judged.verdict,
          findings,
          suppressed: q.get('include') === 'suppressed' ? judged.suppressed : undefined,
        },
      };
    }),
    route('GET', '/api/v1/images/([^/]+)/sbom', 'reader', async (r) => {
      const format = sbomFormatOf(r);
      if (format === 'spdx') return { text: await spdxOfDigest(await viewOf(r.params[0])), contentType: SPDX_TYPE };
      const d = await digestOf(r.params[0]);
      const sbom = await store.getSbom(d.digest);
      if (!sbom) throw new HttpError(404, `no SBOM stored for ${d.digest}`);
      return { text: sbom, contentType: 'application/vnd.cyclonedx+json; charset=utf-8' };
    }),
    // the attack surface and bloat summaries the scan stored (an SBOM target has neither: it has no files)
    route('GET', '/api/v1/images/([^/]+)/surface', 'reader', async (r) => {
      const d = await digestOf(r.params[0]);
      if (!d.analysis.surface)
        throw new HttpError(404, `no attack surface stored for ${d.digest} (it was scanned from an SBOM: no files)`);
      return { json: { digest: d.digest, repository: d.repository, surface: d.analysis.surface } };
    }),
    route('GET', '/api/v1/images/([^/]+)/bloat', 'reader', async (r) => {
      const d = await digestOf(r.params[0]);
      if (!d.analysis.bloat)
        throw new HttpError(404, `no bloat summary stored for ${d.digest} (it was scanned from an SBOM: no files)`);
      return { json: { digest: d.digest, repository: d.repository, bloat: d.analysis.bloat } };
    }),
    route('GET', '/api/v1/compare', 'reader', async (r) => {
      const q = r.url.searchParams;
      const from = q.get('from');
      const to = q.get('to');
      if (!from || !to) throw new HttpError(400, "query parameters 'from' and 'to' (image digests) are required");
      return { json: compareDigests(await viewOf(from, false), await viewOf(to, false)) };
    }),
    route('GET', '/api/v1/tags', 'reader', async (r) => {
      const repository = r.url.searchParams.get('repository');
      if (!repository) throw new HttpError(400, "query parameter 'repository' is required");
      return {
        json: { items: await store.tagHistory(repositoryKey(repository), r.url.searchParams.get('tag') ?? undefined) },
      };
    }),

    route('POST', '/api/v1/scans', 'triager', async (r) => {
      const o = obj(await r.body(), 'scan request');
      const target = reqString(o, 'target');
      const repository = optString(o, 'repository');
      const job = await requestScan(ctx, target, repository);
      await store.audit({ actor: who(r), action: 'scan.request', target, detail: job });
      return { status: 202, json: { job: await store.jobs.get(job.id), deduplicated: job.deduplicated } };
    }),
    route('GET', '/api/v1/jobs/([^/]+)', 'reader', async (r) => {
      const job = await store.jobs.get(decode(r.params[0]));
      if (!job) throw new HttpError(404, `unknown job ${r.params[0]}`);
      return { json: job };
    }),

    route('GET', '/api/v1/events', 'reader', async (r) => {
      const q = r.url.searchParams;
      const num = (k: string): number | undefined => {
        const v = q.get(k);
        if (v === null) return undefined;
        if (!/^\d+$/.test(v)) throw new HttpError(400, `'${k}' must be a non-negative integer`);
        return Number(v);
      };
      return {
        json: {
          items: await store.listEvents({
            repository: repoParam(q.get('repository')),
            digest: q.get('digest') ?? undefined,
            after: num('after'),
            limit: num('limit'),
          }),
        },
      };
    }),

    route('GET', '/api/v1/triage', 'reader', async (r) => ({
      json: { items: await store.listTriage(repoParam(r.url.searchParams.get('repository'))) },
    })),
    route('POST', '/api/v1/triage', 'triager', async (r) => {
      const d = await store.addTriage(triageFromBody(await r.body(), who(r)));
      await store.audit({ actor: who(r), action: 'triage.add', target: d.findingId, detail: d });
      return { status: 201, json: d };
    }),
    route('DELETE', '/api/v1/triage/([^/]+)', 'triager', async (r) => {
      const id = Number(r.params[0]);
      if (!Number.isInteger(id) || !(await store.deleteTriage(id)))
        throw new HttpError(404, `unknown triage decision ${r.params[0]}`);
      await store.audit({ actor: who(r), action: 'triage.delete', target: String(id) });
      return { status: 204 };
    }),
    route('GET', '/api/v1/vex/(.+)', 'reader', async (r) => {
      const asked = decode(r.params[0]).replace(/\.json$/, '');
      const entry = await findCatalog(store, asked);
      if (!entry) throw new HttpError(404, `no catalog entry for ${asked}`);
      const repo = entry.repository;
      const base = options.publicUrl ?? `http://${options.listen}`;
      return {
        json: openVexDocument(
          entry,
          await store.listTriage(repo),
          await store.tagHistory(repo),
          `${base}/api/v1/vex/${encodeURIComponent(repo)}`,
        ),
      };
    }),

    route('GET', '/api/v1/db', 'reader', async () => {
      try {
        return { json: databaseIdentity(ctx.env) };
      } catch (err) {
        return { status: 503, json: { error: (err as Error).message } };
      }
    }),
    route('POST', '/api/v1/db/rematch', 'admin', async (r) => {
      const job = await requestRematch(ctx);
      await store.audit({ actor: who(r), action: 'db.rematch', target: job.dbVersion, detail: job });
      return { status: 202, json: { job: await store.jobs.get(job.id), deduplicated: job.deduplicated } };
    }),
    route('GET', '/api/v1/deliveries', 'admin', async (r) => ({
      json: { items: await store.listDeliveries({ after: Number(r.url.searchParams.get('after') ?? 0) || 0 }) },
    })),
    route('GET', '/api/v1/audit', 'admin', async (r) => ({
      json: { items: await store.listAudit({ after: Number(r.url.searchParams.get('after') ?? 0) || 0 }) },
    })),
  ];
}

function send(res: ServerResponse, reply: Reply): void {
  const status = reply.status ?? 200;
  if (status === 204) {
    res.writeHead(204).end();
    return;
  }
  const body = reply.text ?? JSON.stringify(reply.json ?? null);
  res.writeHead(status, {
    'content-type': reply.contentType ?? 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-content-type-options': 'nosniff',
    ...reply.headers,
  });
  res.end(body);
}

const errorReply = (status: number, message: string): Reply => ({ status, json: { error: { status, message } } });

/**
 * Paths the rate limit deliberately leaves alone. Each is called by a machine of the platform itself, whose
 * protocol has no answer for 429, and is cheap or deduplicated:
 * - /healthz, /readyz, /metrics: kubelet probes and Prometheus; a throttled probe restarts or unreadies the pod.
 * - /admission/validate, /gatekeeper/provide: the Kubernetes API server and Gatekeeper call from one address for
 *   the whole cluster; a 429 would fail every pod admission (failurePolicy Fail) or let it through unchecked
 *   (Ignore). They read stored results only, through a short cache (thousands of reviews a second).
 * - /harbor/api/v1/…: Harbor's pluggable-scanner spec has no 429; Harbor would mark the scan failed. Scans it asks
 *   for are deduplicated jobs.
 * - /hooks/registry: behind the shared hook secret; a refused notification would lose a scan-on-push (the
 *   registry's retries give up), and duplicate deliveries queue nothing.
 */
export const RATE_LIMIT_EXEMPT =
  /^\/(healthz|readyz|metrics|admission\/validate|gatekeeper\/provide|hooks\/registry)$|^\/harbor\//;

const tooMany = (retryAfterSeconds: number, who: string): Reply => ({
  ...errorReply(429, `too many requests from ${who}: try again in ${retryAfterSeconds} s`),
  headers: { 'retry-after': String(retryAfterSeconds) },
});

export function createHandler(ctx: ServiceContext, options: ServerOptions, onError?: (err: unknown) => void) {
  const routes = createRoutes(ctx, options);
  const limit = options.maxBodyBytes ?? 1024 * 1024;
  const ui = mountUi(ctx, options);
  // per verified token; per client address for anonymous requests, and separately for requests whose token does
  // not verify (checked before the token is hashed and looked up, so guessing tokens is throttled too). Behind a
  // reverse proxy every anonymous client shares the proxy's address.
  const limiter = options.rateLimit ? createRateLimiter(options.rateLimit) : undefined;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let reply: Reply;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const address = req.socket.remoteAddress ?? 'unknown';
      const limited = limiter && !RATE_LIMIT_EXEMPT.test(url.pathname);
      if (isUiPath(url.pathname)) {
        // the web UI (src/ui): /ui/…, and / redirects there; its pages sign in by cookie: limited per address
        const d = limited ? limiter.take(`ip:${address}`) : undefined;
        if (d && !d.ok) {
          send(res, tooMany(d.retryAfterSeconds, address));
          return;
        }
        return await ui(req, res, url);
      }
      const method = req.method ?? 'GET';
      const matching = routes.filter((r) => r.pattern.test(url.pathname));
      // the most specific route: a literal suffix (/findings, /sbom) wins over a catch-all
      const found = matching
        .filter((r) => r.method === method || (method === 'HEAD' && r.method === 'GET'))
        .sort((a, b) => b.pattern.source.length - a.pattern.source.length)[0];
      if (!found) {
        reply = matching.length
          ? errorReply(
              405,
              `${method} is not allowed on ${url.pathname} ` +
                `(allowed: ${[...new Set(matching.map((r) => r.method))].join(', ')})`,
            )
          : errorReply(404, `no such endpoint: ${url.pathname}`);
      } else {
        let actor: ApiToken | undefined;
        const auth = found.auth === 'own' ? undefined : req.headers.authorization;
        if (auth) {
          if (limited && !limiter.has(`badtoken:${address}`)) {
            const d = limiter.take(`badtoken:${address}`);
            if (!d.ok) throw new RateLimited(d.retryAfterSeconds, address);
          }
          const m = /^Bearer\s+(\S+)$/i.exec(auth);
          if (!m) throw new HttpError(401, 'Authorization must be "Bearer TOKEN"');
          actor = await ctx.store.verifyToken(m[1]);
          if (!actor) {
            if (limited) limiter.take(`badtoken:${address}`);
            throw new HttpError(401, 'unknown or revoked token');
          }
        }
        if (limited) {
          const d = limiter.take(actor ? `token:${actor.id}` : `ip:${address}`);
          if (!d.ok) throw new RateLimited(d.retryAfterSeconds, actor ? `token '${actor.name}'` : address);
        }
        if (found.role) {
          const anonymousOk = options.anonymousRead && found.role === 'reader' && !actor;
          if (!actor && !anonymousOk) throw new HttpError(401, 'a bearer token is required');
          if (actor && rank(actor.role) < rank(found.role))
            throw new HttpError(403, `token '${actor.name}' has role ${actor.role}; this needs ${found.role}`);
        }
        const m = found.pattern.exec(url.pathname)!;
        let parsed: Promise<unknown> | undefined;
        reply = await found.handler({
          method,
          url,
          params: m.slice(1),
          headers: req.headers,
          actor,
          body: () =>
            (parsed ??= readBody(req, limit).then((buf) => {
              if (!buf.length) throw new HttpError(400, 'request body is empty (expected JSON)');
              try {
                return JSON.parse(buf.toString('utf8')) as unknown;
              } catch (err) {
                throw new HttpError(400, `request body is not valid JSON: ${(err as Error).message}`);
              }
            })),
        });
      }
    } catch (err) {
      if (err instanceof RateLimited) reply = tooMany(err.retryAfterSeconds, err.who);
      else if (err instanceof HttpError) reply = errorReply(err.status, err.message);
      else if (err instanceof UsageError || err instanceof InputError) reply = errorReply(400, err.message);
      else if (err instanceof ZerocveError && err.kind === 'database') reply = errorReply(503, err.message);
      else {
        onError?.(err);
        reply = errorReply(500, `internal error: ${(err as Error)?.message ?? String(err)}`);
      }
    }
    if (!res.headersSent) send(res, reply);
  };
}

class RateLimited extends Error {
  readonly retryAfterSeconds: number;
  readonly who: string;
  constructor(retryAfterSeconds: number, who: string) {
    super(`rate limited: ${who}`);
    this.retryAfterSeconds = retryAfterSeconds;
    this.who = who;
  }
}

export interface RunningServer {
  /** http://HOST:PORT */
  url: string;
  server: Server;
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--listen must be HOST:PORT, got '${listen}'`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export async function startServer(
  ctx: ServiceContext,
  options: ServerOptions,
  onError?: (err: unknown) => void,
): Promise<RunningServer> {
  const { host, port } = parseListen(options.listen);
  const handler = createHandler(ctx, options, onError);
  const listener = (req: IncomingMessage, res: ServerResponse) => void handler(req, res);
  let server: Server;
  if (options.tls) {
    const read = (file: string, what: string): Buffer => {
      try {
        return readFileSync(file);
      } catch (err) {
        throw new UsageError(`cannot read the TLS ${what} ${file}: ${(err as Error).message}`, { cause: err });
      }
    };
    try {
      server = createTlsServer(
        { cert: read(options.tls.cert, 'certificate'), key: read(options.tls.key, 'key') },
        listener,
      );
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`TLS certificate or key is not usable: ${(err as Error).message}`, { cause: err });
    }
  } else server = createServer(listener);
  server.requestTimeout = 60_000;
  // in-process workers (builds, scans) can hold the event loop for seconds; a keep-alive timer that fires late
  // would close a socket a client just sent its next request on (ECONNRESET). Clients close idle sockets first
  // (undici after 4 s), so the server's wait can be long.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new UsageError(`cannot listen on ${options.listen}: ${err.message}`, { cause: err })),
    );
    server.listen(port, host, resolve);
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `${options.tls ? 'https' : 'http'}://${shown}:${addr.port}`;
  return {
    url,
    server,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

export { SEVERITIES };
