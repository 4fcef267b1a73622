// The ONE place the service calls the scanning and matching use cases of src/app and reads the vulnerability
// database's identity. When the use cases change shape (an AdvisoryStore instead of a database path), only this
// file changes.
import { createHash } from 'node:crypto';
import type { Finding } from '../core/finding.ts';
import type { Inventory } from '../core/package.ts';
import type { ScanReport } from '../core/report.ts';
import {
  scanTarget,
  matchVulnerabilities,
  openLocalDb,
  dbStatusOf,
  refreshDb,
  DEFAULT_SCANNERS,
  VERSION,
  type ScanOptions,
  type RefreshDbOptions,
  type LocalDbOptions,
} from '../app/index.ts';

// the build use cases the fresh-build loop runs (build --check, build, push with SBOM and provenance)
export { checkFreshness, buildImage, readBuildSpec, pushLayoutImage } from '../app/index.ts';
export type { BuildSpec, FreshnessReport } from '../app/index.ts';
import { sbomReporterFor, renderToString } from '../report/index.ts';

export interface ScanEnvironment {
  /** the vulnerability database file */
  dbPath: string;
  /** layer cache folder; null: none */
  cacheDir: string | null;
  open?: ScanOptions['open'];
  signal?: AbortSignal;
  /**
   * pull the database from this repository (what `db push` published) when it is missing or older than
   * maxAgeHours, before scans, re-matches and the server's periodic database check
   */
  dbRepository?: NonNullable<LocalDbOptions['repository']>;
  /** warnings of those pulls (registry unreachable, another schema version…): the previous database is kept */
  onDbWarning?: (message: string) => void;
}

/** what produced an inventory: the zerocve version (its analyzers' versions move with it) */
export const ANALYZER_VERSION = `zerocve ${VERSION}`;

export interface DatabaseIdentity {
  /** a short stable identity of the database's content: build time and sources' snapshots */
  version: string;
  builtAt?: string;
  ageHours?: number;
  stale: boolean;
  sources: { name: string; snapshot?: string; advisories: number }[];
}

export function databaseIdentity(env: Pick<ScanEnvironment, 'dbPath'>): DatabaseIdentity {
  const st = dbStatusOf(env.dbPath);
  const sources = st.sources.map((s) => ({ name: s.name, snapshot: s.snapshot, advisories: s.advisories }));
  const hash = createHash('sha256')
    .update(JSON.stringify([st.builtAt ?? '', sources]))
    .digest('hex')
    .slice(0, 12);
  return {
    version: `${st.builtAt ?? 'unbuilt'}#${hash}`,
    builtAt: st.builtAt,
    ageHours: st.ageHours,
    stale: st.stale,
    sources,
  };
}

export interface ServiceScan {
  report: ScanReport;
  /** every finding before policy (shown and suppressed): policy and triage are applied when read */
  findings: Finding[];
  sbom: string;
  digest: string;
}

/** Scan a target (no policy: the service applies the catalog entry's policy and triage itself). */
const localDbOf = (env: Pick<ScanEnvironment, 'dbPath' | 'dbRepository'>) =>
  openLocalDb({ dbPath: env.dbPath, ...(env.dbRepository ? { repository: env.dbRepository } : {}) });

/**
 * With a database repository: pull a newer database when the local one is missing or older than its max age (the
 * server calls this before looking for a new database to re-match against). Without one: nothing.
 */
export async function pullDatabase(env: ScanEnvironment): Promise<void> {
  if (!env.dbRepository) return;
  const db = localDbOf(env);
  try {
    const data = await db.provide({ ecosystems: [] }, env.signal);
    for (const w of data.warnings ?? []) env.onDbWarning?.(w.message);
  } finally {
    db.close();
  }
}

export async function scanForService(target: string, env: ScanEnvironment): Promise<ServiceScan> {
  const db = localDbOf(env);
  let report: ScanReport;
  try {
    report = await scanTarget(target, {
      advisories: db.provide,
      cacheDir: env.cacheDir,
      open: env.open,
      scanners: new Set(DEFAULT_SCANNERS),
      policy: {},
      signal: env.signal,
    });
  } finally {
    db.close();
  }
  const sbom = await renderToString((out) => sbomReporterFor('cyclonedx-json').write(report, out, {}));
  const digest =
    report.image.source.manifestDigest ??
    report.image.configDigest ??
    `sha256:${createHash('sha256').update(JSON.stringify(report.inventory)).digest('hex')}`;
  return { report, findings: [...report.findings, ...report.suppressed.map((s) => s.finding)], sbom, digest };
}

/**
 * Match stored inventories against the database again: no image is pulled. One database is opened for the whole
 * re-match; `matchOne` asks it, in one batch per inventory, for what that inventory needs.
 */
export async function openRematcher(
  env: Pick<ScanEnvironment, 'dbPath' | 'signal' | 'dbRepository' | 'onDbWarning'>,
): Promise<{ match(inventory: Inventory): Promise<Finding[]>; close(): void }> {
  const db = localDbOf(env);
  let told = false;
  return {
    async match(inventory) {
      const data = await db.provide({ ecosystems: [] }, env.signal);
      if (!told) for (const w of data.warnings ?? []) env.onDbWarning?.(w.message);
      told = true;
      return (await matchVulnerabilities(inventory, data, { signal: env.signal })).findings;
    },
    close: () => db.close(),
  };
}

/** How the service keeps its vulnerability database fresh by itself. */
export interface DbUpdateOptions {
  /** seconds between update checks */
  intervalSeconds: number;
  /** a feed is fetched again when upstream last confirmed it longer ago than this (default 24) */
  maxAgeHours?: number;
  /** download folder of the feeds (validators and partial files are kept there) */
  cacheDir: string;
  /** mirror of the feeds (same paths as `db update --base-url`) */
  baseUrl?: string;
}

/**
 * One scheduled update of the database (the app's update: feeds older than maxAgeHours, conditional downloads, the
 * cross-process lock). `updated`: a new database was renamed into place.
 */
export async function refreshDatabase(
  env: Pick<ScanEnvironment, 'dbPath' | 'signal'>,
  options: Omit<DbUpdateOptions, 'intervalSeconds'> & Pick<RefreshDbOptions, 'onWait'>,
): Promise<{ updated: boolean; checked: string[]; warnings: string[] }> {
  const r = await refreshDb(env.dbPath, {
    cacheDir: options.cacheDir,
    baseUrl: options.baseUrl,
    maxAgeHours: options.maxAgeHours,
    onWait: options.onWait,
    signal: env.signal,
  });
  return { updated: r.updated, checked: r.checked, warnings: r.warnings };
}
