// What the service's jobs do. A scan job scans a target through the app's use case and stores its inventory,
// SBOM and result; a re-match job matches every stored inventory against the current database (no image is
// pulled) and stores one event per change. Both are idempotent: results are keyed by digest × analyzer version ×
// database version and events by the change they describe, so a job run twice (a worker killed mid-job, a retry)
// stores nothing twice.
import type { Finding } from '../core/finding.ts';
import type { ServiceStore, JobRecord, ServiceEvent, ResultKey, CatalogEntry } from '../store/index.ts';
import { imageKey, repositoryKey } from '../image/index.ts';
import {
  scanForService,
  pullDatabase,
  openRematcher,
  databaseIdentity,
  ANALYZER_VERSION,
  type ScanEnvironment,
  type ServiceScan,
} from './scan-adapter.ts';
import { policyOptions, judge } from './policy.ts';
import { diffFindings } from './diff.ts';
import { InputError } from '../core/errors.ts';
import { workerJobNames } from '../store/index.ts';
import { runBuildJob } from './fresh-build.ts';

export interface ServiceContext {
  store: ServiceStore;
  env: ScanEnvironment;
  /** called with the events a job added (webhooks, logs) */
  onEvents?: (events: ServiceEvent[]) => void;
  /** told what a job did that an operator wants to see (a fresh build's outcome) */
  onInfo?: (message: string) => void;
}

/**
 * `registry.example/ml/torch:2.4` → repository and tag, the repository normalized (`nginx` →
 * `docker.io/library/nginx`); digests and non-registry targets have no tag
 */
export function splitReference(target: string): { repository?: string; tag?: string; digest?: string } {
  const ref = target.replace(/^registry:/, '');
  if (/^(docker-archive|oci-archive|oci-dir|dir|sbom):/.test(ref)) return {};
  try {
    // one identity per image: `nginx` and `index.docker.io/library/nginx:latest` are docker.io/library/nginx:latest
    const k = imageKey(ref);
    return { repository: k.repository, ...(k.tag ? { tag: k.tag } : {}), ...(k.digest ? { digest: k.digest } : {}) };
  } catch {
    const at = ref.indexOf('@');
    if (at > 0) return { repository: ref.slice(0, at), digest: ref.slice(at + 1) };
    const slash = ref.lastIndexOf('/');
    const colon = ref.lastIndexOf(':');
    if (colon > slash) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
    return { repository: ref, tag: 'latest' };
  }
}

/**
 * The catalog entry of a repository however it is spelled (`nginx`, `docker.io/library/nginx`); an entry stored
 * under another spelling before keys were normalized is found by its exact name.
 */
export async function findCatalog(store: ServiceStore, repository: string): Promise<CatalogEntry | undefined> {
  const key = repositoryKey(repository);
  return (await store.getCatalog(key)) ?? (key !== repository ? await store.getCatalog(repository) : undefined);
}

/** Queue a scan: one job per target × analyzer version × database version. */
export async function requestScan(
  ctx: ServiceContext,
  target: string,
  repository?: string,
  /** the tag a digest target was pushed as (recorded in the tag history) */
  tag?: string,
): Promise<{ id: string; deduplicated: boolean }> {
  if (!target || /\s/.test(target)) throw new InputError(`scan target must be one word, got '${target}'`);
  const db = databaseIdentity(ctx.env);
  return ctx.store.jobs.enqueue({
    name: 'scan',
    key: `${target}|${ANALYZER_VERSION}|${db.version}`,
    data: { target, ...(repository ? { repository } : {}), ...(tag ? { tag } : {}) },
  });
}

/** Queue a re-match of every stored inventory against the current database (once per database version). */
export async function requestRematch(
  ctx: ServiceContext,
): Promise<{ id: string; deduplicated: boolean; dbVersion: string }> {
  const db = databaseIdentity(ctx.env);
  const r = await ctx.store.jobs.enqueue({
    name: 'rematch',
    key: `rematch|${ANALYZER_VERSION}|${db.version}`,
    data: {},
  });
  return { ...r, dbVersion: db.version };
}

export async function judged(ctx: ServiceContext, repository: string | undefined, digest: string, findings: Finding[]) {
  const entry = repository ? await findCatalog(ctx.store, repository) : undefined;
  const triage = await ctx.store.listTriage(repository ?? '*');
  return judge(findings, policyOptions(entry, triage, digest));
}

export async function runScanJob(ctx: ServiceContext, job: JobRecord): Promise<{ digest: string; stored: boolean }> {
  const target = job.data.target;
  if (typeof target !== 'string') throw new InputError(`scan job ${job.id}: no target`);
  return scanAndStore(ctx, target, job.data.repository as string | undefined, {
    tag: job.data.tag as string | undefined,
  });
}

/**
 * Scan a target and store its inventory, SBOM and result (once per digest × analyzer × database version). `open`
 * overrides the image options for this scan only (the Harbor adapter's per-request registry credentials: they live
 * in memory for this pull and are never stored).
 */
export async function scanAndStore(
  ctx: ServiceContext,
  target: string,
  repositoryOverride?: string,
  options: { tag?: string; open?: ScanEnvironment['open'] } = {},
): Promise<{ digest: string; stored: boolean }> {
  const ref = splitReference(target);
  const repository = repositoryOverride !== undefined ? repositoryKey(repositoryOverride) : ref.repository;
  const tag = options.tag ?? ref.tag;
  const started = Date.now();
  await pullDatabase(ctx.env); // first: the result is keyed by the database it is matched against
  const env: ScanEnvironment = options.open ? { ...ctx.env, open: { ...ctx.env.open, ...options.open } } : ctx.env;
  const scan = await scanForService(target, env);
  return storeScan(ctx, scan, { target, repository, tags: tag ? [tag] : [], started });
}

/**
 * Store a finished scan: the tags seen pointing at its digest, its inventory and SBOM (once per digest × analyzer
 * version) and its result under the entry's policy (once per database version).
 */
export async function storeScan(
  ctx: ServiceContext,
  scan: ServiceScan,
  where: { target: string; repository?: string; tags: string[]; started: number },
): Promise<{ digest: string; stored: boolean }> {
  const { target, repository } = where;
  const db = databaseIdentity(ctx.env);
  const key: ResultKey = { digest: scan.digest, analyzerVersion: ANALYZER_VERSION, dbVersion: db.version };
  if (repository) for (const tag of where.tags) await ctx.store.recordTag({ repository, tag, digest: scan.digest });
  if (await ctx.store.getResult(key)) return { digest: scan.digest, stored: false };
  const { report } = scan;
  await ctx.store.putDigest(
    {
      digest: scan.digest,
      analyzerVersion: ANALYZER_VERSION,
      target,
      repository,
      inventory: report.inventory,
      analysis: {
        surface: report.surface,
        bloat: report.bloat,
        sections: report.sections,
        // findings that come from analysis (models, secrets, dependencies), kept for re-matches
        findings: scan.findings.filter((f) => f.kind !== 'vulnerability'),
      },
      image: report.image,
    },
    scan.sbom,
  );
  const { verdict } = await judged(ctx, repository, scan.digest, scan.findings);
  const r = await ctx.store.putResult({
    ...key,
    findings: scan.findings,
    verdict,
    durationMs: Date.now() - where.started,
  });
  return { digest: scan.digest, stored: r.created };
}

export async function runRematchJob(
  ctx: ServiceContext,
  _job?: JobRecord,
): Promise<{ dbVersion: string; images: number; rematched: number; events: number }> {
  await pullDatabase(ctx.env);
  const db = databaseIdentity(ctx.env);
  let rematched = 0;
  let added = 0;
  // one inventory in memory at a time
  const digests = await ctx.store.listDigestRefs();
  const rematcher = await openRematcher(ctx.env);
  try {
    for (const ref of digests) {
      ctx.env.signal?.throwIfAborted();
      const key: ResultKey = { digest: ref.digest, analyzerVersion: ref.analyzerVersion, dbVersion: db.version };
      if (await ctx.store.getResult(key)) continue; // done before (a retried job): its events are stored
      const d = await ctx.store.getDigest(ref.digest);
      if (!d) continue;
      const started = Date.now();
      const previous = await ctx.store.latestResult(d.digest);
      const findings = [...(await rematcher.match(d.inventory)), ...(d.analysis.findings ?? [])];
      const events = previous
        ? diffFindings(previous.findings, findings, {
            digest: d.digest,
            repository: d.repository,
            dbVersion: db.version,
          })
        : [];
      // events first, then the result that marks the digest done: a kill in between repeats the (deduplicated) events
      const stored = await ctx.store.addEvents(events);
      if (stored.length) ctx.onEvents?.(stored);
      added += stored.length;
      const { verdict } = await judged(ctx, d.repository, d.digest, findings);
      await ctx.store.putResult({ ...key, findings, verdict, durationMs: Date.now() - started });
      rematched++;
    }
  } finally {
    rematcher.close();
  }
  return { dbVersion: db.version, images: digests.length, rematched, events: added };
}

export function handleJob(ctx: ServiceContext): (job: JobRecord) => Promise<unknown> {
  return (job) =>
    job.name === 'scan' ? runScanJob(ctx, job) : job.name === 'build' ? runBuildJob(ctx, job) : runRematchJob(ctx, job);
}

/** Run this process's workers until stopped. */
export async function startWorkers(
  ctx: ServiceContext,
  options: {
    concurrency?: number;
    pollSeconds?: number;
    /** take build jobs too (root and mmdebstrap here); other workers leave them to those that can */
    canBuild?: boolean;
    onError?: (err: unknown) => void;
  } = {},
): Promise<{ stop(): Promise<void> }> {
  const handles: { stop(): Promise<void> }[] = [];
  for (let i = 0; i < Math.max(1, options.concurrency ?? 1); i++)
    handles.push(
      await ctx.store.jobs.work(workerJobNames(options.canBuild === true), handleJob(ctx), {
        pollSeconds: options.pollSeconds,
        onError: options.onError,
      }),
    );
  return {
    async stop() {
      await Promise.all(handles.map((h) => h.stop()));
    },
  };
}
