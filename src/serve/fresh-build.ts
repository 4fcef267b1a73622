// The "build fresh, stay minimal" loop. A catalog entry with a build source (an image.yaml and a tag) gets a build
// job on a schedule and on request. The job runs `build --check` against the image the tag names now; when a
// package has a newer version (or the image does not exist yet) it rebuilds, scans the result, applies the entry's
// policy and triage, and only if the new image passes pushes it (with its SBOM and provenance referrers) under the
// tag and a dated tag TAG-YYYYMMDD, then stores the scan like any other. A rejected or failed rebuild pushes
// nothing, so the current image stays; every run is kept as a build record (GET /api/v1/catalog/{repo}/builds) and
// is the job's output or error (GET /api/v1/jobs/{id}).
//
// Builds need root and mmdebstrap, so build jobs have a queue of their own that only workers that can build take.
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { tmpdir } from 'node:os';
import { InputError, RegistryError, UsageError } from '../core/errors.ts';
import type { BuildRecord, CatalogEntry, JobRecord, NewBuildRecord } from '../store/index.ts';
import {
  buildImage,
  checkFreshness,
  readBuildSpec,
  pushLayoutImage,
  scanForService,
  type FreshnessReport,
} from './scan-adapter.ts';
import { judged, storeScan, type ServiceContext } from './jobs.ts';

/** Builds need root (mmdebstrap's device nodes and ownership) and mmdebstrap on PATH. */
export function canBuildHere(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.()): boolean {
  if (uid !== 0) return false;
  return (env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, 'mmdebstrap'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** `TAG-YYYYMMDD` (UTC): the dated tag a passing rebuild is pushed under besides TAG */
export function datedTag(tag: string, now = new Date()): string {
  return `${tag}-${now.toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/** Queue a fresh build of a catalog entry: at most one queued or running build per entry. */
export async function requestBuild(
  ctx: ServiceContext,
  repository: string,
): Promise<{ id: string; deduplicated: boolean }> {
  const entry = await ctx.store.getCatalog(repository);
  if (!entry) throw new InputError(`no catalog entry for ${repository}`);
  if (!entry.build)
    throw new InputError(`catalog entry ${repository} has no build source (add build: {spec: image.yaml, tag: …})`);
  return ctx.store.jobs.enqueue({
    name: 'build',
    key: `build|${repository}|${entry.build.spec}|${entry.build.tag}`,
    data: { repository },
  });
}

/** Queue a build of every catalog entry that has a build source; returns how many were queued. */
export async function requestCatalogBuilds(ctx: ServiceContext): Promise<number> {
  let n = 0;
  for (const e of await ctx.store.listCatalog())
    if (e.build) {
      await requestBuild(ctx, e.repository);
      n++;
    }
  return n;
}

export type BuildJobOutput = Omit<BuildRecord, 'id' | 'createdAt' | 'jobId' | 'repository'> & { record: number };

const reasonOf = (r: FreshnessReport): string => {
  const sec = r.updates.filter((u) => u.security).length;
  return (
    `${r.updates.length} package(s) with newer versions` +
    (sec ? ` (${sec} security fix${sec > 1 ? 'es' : ''})` : '') +
    `: ${r.updates
      .slice(0, 5)
      .map((u) => `${u.name} ${u.installed} → ${u.candidate}`)
      .join(', ')}${r.updates.length > 5 ? ', …' : ''}`
  );
};

export async function runBuildJob(ctx: ServiceContext, job: JobRecord): Promise<BuildJobOutput> {
  const repository = job.data.repository;
  if (typeof repository !== 'string') throw new InputError(`build job ${job.id}: no repository`);
  const record = async (r: Omit<NewBuildRecord, 'repository' | 'jobId'>): Promise<BuildJobOutput> => {
    const saved = await ctx.store.addBuild({ ...r, repository, jobId: job.id });
    ctx.onInfo?.(
      `fresh build of ${repository}: ${r.outcome}` +
        (r.pushed ? ` as ${r.pushed.join(', ')}` : '') +
        (r.outcome === 'rejected' && r.verdict
          ? ` (fails ${r.verdict.threshold ?? 'the policy'}: ${Object.entries(r.verdict.counts)
              .filter(([, n]) => n)
              .map(([s, n]) => `${n} ${s}`)
              .join(', ')}; the current image stays)`
          : '') +
        (r.error ? `: ${r.error}` : r.reason ? ` (${r.reason})` : ''),
    );
    const { id, createdAt: _c, jobId: _j, repository: _r, ...rest } = saved;
    return { ...rest, record: id };
  };
  const entry = await ctx.store.getCatalog(repository);
  if (!entry?.build)
    return record({ outcome: 'failed', error: `catalog entry ${repository} has no build source any more` });
  let updates: FreshnessReport['updates'] | undefined;
  let reason: string | undefined;
  try {
    return await buildEntry(ctx, entry as CatalogEntry & { build: NonNullable<CatalogEntry['build']> }, {
      record,
      progress: (u, r) => {
        updates = u;
        reason = r;
      },
    });
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    const failed = await record({ outcome: 'failed', reason, updates, error: message });
    // a broken image.yaml fails the same way every time: reported, not retried
    if (err instanceof UsageError) return failed;
    throw err;
  }
}

async function buildEntry(
  ctx: ServiceContext,
  entry: CatalogEntry & { build: NonNullable<CatalogEntry['build']> },
  hooks: {
    record: (r: Omit<NewBuildRecord, 'repository' | 'jobId'>) => Promise<BuildJobOutput>;
    progress: (updates: FreshnessReport['updates'] | undefined, reason: string) => void;
  },
): Promise<BuildJobOutput> {
  const { repository } = entry;
  const { tag } = entry.build;
  const signal = ctx.env.signal;
  const spec = readBuildSpec(entry.build.spec);
  const current = `${repository}:${tag}`;
  let check: FreshnessReport | undefined;
  try {
    check = await checkFreshness(spec, current, { open: ctx.env.open, signal });
  } catch (err) {
    if (!(err instanceof RegistryError && err.status === 404)) throw err;
  }
  if (check && !check.updates.length)
    return hooks.record({ outcome: 'fresh', reason: 'no package has a newer version' });
  const reason = check ? reasonOf(check) : `${current} does not exist yet`;
  const updates = check?.updates;
  hooks.progress(updates, reason);

  const work = mkdtempSync(join(tmpdir(), 'zerocve-fresh-'));
  try {
    const layout = join(work, 'layout');
    const built = await buildImage(spec.file, { output: { kind: 'oci-dir', path: layout, tag }, signal });
    const started = Date.now();
    const scan = await scanForService(`oci-dir:${layout}:${tag}`, ctx.env);
    if (scan.digest !== built.manifestDigest)
      throw new InputError(`build: scanned ${scan.digest}, built ${built.manifestDigest}: not the same image`);
    const { verdict } = await judged(ctx, repository, scan.digest, scan.findings);
    if (!verdict.passed)
      return await hooks.record({ outcome: 'rejected', reason, updates, digest: scan.digest, verdict });
    // the dated tag first and the moving tag last: the tag users pull changes only once everything is in place
    const refs = [`${repository}:${datedTag(tag)}`, current];
    const pushed = await pushLayoutImage(layout, tag, refs, { ...ctx.env.open, signal });
    await storeScan(ctx, scan, {
      target: `${repository}@${pushed.digest}`,
      repository,
      tags: refs.map((r) => r.slice(repository.length + 1)),
      started,
    });
    return await hooks.record({ outcome: 'pushed', reason, updates, digest: scan.digest, pushed: refs, verdict });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
