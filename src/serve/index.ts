// `zerocve serve` and `zerocve worker`: the golden-image service. The store holds everything; the HTTP API, the
// scheduler and the workers are its consumers. Scanning and matching go through src/app (scan-adapter.ts).
import type { ServiceStore, ServiceEvent } from '../store/index.ts';
import type { ScanEnvironment } from './scan-adapter.ts';
import { databaseIdentity, pullDatabase, type DbUpdateOptions } from './scan-adapter.ts';
import { startDbUpdates } from './db-updates.ts';
import { startServer, type ServerOptions, type RunningServer } from './http.ts';
import { startWorkers, requestRematch, type ServiceContext } from './jobs.ts';
import { createTagFollower } from './tag-follower.ts';
import { syncCatalogFile } from './catalog-file.ts';
import { requestCatalogBuilds } from './fresh-build.ts';
import { startNotifier, type NotifyTarget } from './webhooks.ts';

export { startServer, parseListen } from './http.ts';
export type { ServerOptions, RunningServer } from './http.ts';
export {
  startWorkers,
  requestScan,
  requestRematch,
  runScanJob,
  runRematchJob,
  scanAndStore,
  splitReference,
} from './jobs.ts';
export type { ServiceContext } from './jobs.ts';
export { canBuildHere, datedTag, requestBuild, requestCatalogBuilds, runBuildJob } from './fresh-build.ts';
export type { BuildJobOutput } from './fresh-build.ts';
export { databaseIdentity, scanForService, refreshDatabase, pullDatabase, ANALYZER_VERSION } from './scan-adapter.ts';
export type { ScanEnvironment, DbUpdateOptions } from './scan-adapter.ts';
export { createTagFollower } from './tag-follower.ts';
export { startDbUpdates } from './db-updates.ts';
export type { DbUpdates } from './db-updates.ts';
export type { TagFollower, TagFollowerOptions, FollowRound } from './tag-follower.ts';
export { syncCatalogFile, parseCatalogFile } from './catalog-file.ts';
export { diffFindings } from './diff.ts';
export { admissionPolicyFrom, imageStatusOf, secretMatches } from './gates.ts';
export type { GateOptions } from './gates.ts';
export { signBody, enqueueNotifications, deliverDue } from './webhooks.ts';
export type { NotifyTarget } from './webhooks.ts';

export interface ServiceOptions extends ServerOptions {
  /** catalog.yaml to keep the catalog in step with (read at start) */
  catalog?: string;
  /** workers in this process (0: only separate `zerocve worker` processes run jobs) */
  workers: number;
  /** seconds between checks for a new vulnerability database (then every stored inventory is re-matched) */
  rematchIntervalSeconds: number;
  /**
   * seconds between resolutions of every catalog entry's followed tags (conditional manifest requests; a tag that
   * points at a new digest has that digest scanned); 0: never
   */
  followIntervalSeconds: number;
  /** requests per second to one registry when following tags (default 2) */
  registryRps?: number;
  /** the service updates the vulnerability database itself on this schedule (absent: only watches the file) */
  dbUpdate?: DbUpdateOptions;
  /** seconds between fresh-build checks of every catalog entry with a build source (0: never) */
  buildIntervalSeconds?: number;
  /** this process's workers take build jobs (root and mmdebstrap here) */
  canBuild?: boolean;
  /** webhooks and Slack incoming webhooks told of every change */
  notify?: NotifyTarget[];
  onEvents?: (events: ServiceEvent[]) => void;
  onError?: (err: unknown) => void;
  onInfo?: (message: string) => void;
}

export interface RunningService extends RunningServer {
  /** stops taking requests and jobs; running jobs finish (or go back to the queue when the lease runs out) */
  stop(): Promise<void>;
}

export async function runService(
  store: ServiceStore,
  env: ScanEnvironment,
  options: ServiceOptions,
): Promise<RunningService> {
  const ctx: ServiceContext = { store, env, onEvents: options.onEvents, onInfo: options.onInfo };
  if (options.catalog) {
    const r = await syncCatalogFile(store, options.catalog);
    options.onInfo?.(
      `catalog ${options.catalog}: ${r.put} entries${r.removed.length ? `, removed ${r.removed.join(', ')}` : ''}`,
    );
  }
  const server = await startServer(ctx, options, options.onError);
  const workers =
    options.workers > 0
      ? await startWorkers(ctx, {
          concurrency: options.workers,
          canBuild: options.canBuild,
          onError: options.onError,
        })
      : undefined;

  const notifier = options.notify?.length
    ? startNotifier(store, options.notify, { onError: options.onError })
    : undefined;

  let lastDb: string | undefined;
  const checkDb = async (): Promise<void> => {
    try {
      await pullDatabase(env);
      const v = databaseIdentity(env).version;
      if (v !== lastDb) {
        const job = await requestRematch(ctx);
        lastDb = v;
        options.onInfo?.(`vulnerability database ${v}: re-match queued (job ${job.id})`);
      }
    } catch (err) {
      options.onError?.(err);
    }
  };
  const follower =
    options.followIntervalSeconds > 0
      ? createTagFollower(ctx, { registryRps: options.registryRps, onInfo: options.onInfo, onError: options.onError })
      : undefined;
  const followTags = async (): Promise<void> => {
    try {
      await follower?.followAll();
    } catch (err) {
      options.onError?.(err);
    }
  };
  const buildCatalog = async (): Promise<void> => {
    try {
      const n = await requestCatalogBuilds(ctx);
      if (n) options.onInfo?.(`fresh builds: ${n} catalog entr${n > 1 ? 'ies' : 'y'} queued for build --check`);
    } catch (err) {
      options.onError?.(err);
    }
  };
  const buildInterval = options.buildIntervalSeconds ?? 0;
  await checkDb();
  // the first update runs in the background: the API answers meanwhile (/readyz says whether the data is fresh); a
  // database renamed into place is seen at once, not at the next file check
  const updates = options.dbUpdate
    ? startDbUpdates(env, options.dbUpdate, { onUpdated: checkDb, onInfo: options.onInfo, onError: options.onError })
    : undefined;
  // the first round of tag following runs in the background: a slow or rate-limited registry does not delay startup
  if (follower) void followTags();
  if (buildInterval > 0) await buildCatalog();
  const timers = [setInterval(() => void checkDb(), options.rematchIntervalSeconds * 1000)];
  if (follower) timers.push(setInterval(() => void followTags(), options.followIntervalSeconds * 1000));
  if (buildInterval > 0) timers.push(setInterval(() => void buildCatalog(), buildInterval * 1000));
  for (const t of timers) t.unref();

  return {
    ...server,
    async stop() {
      for (const t of timers) clearInterval(t);
      follower?.stop();
      await updates?.stop();
      await server.close();
      await workers?.stop();
      await notifier?.stop();
    },
  };
}
