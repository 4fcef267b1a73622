// `zerocve serve` and `zerocve worker`: the golden-image service. The store holds everything; the HTTP API, the
// scheduler and the workers are its consumers. Scanning and matching go through src/app (scan-adapter.ts).
import type { ServiceStore, ServiceEvent } from '../store/index.ts';
import type { ScanEnvironment } from './scan-adapter.ts';
import { databaseIdentity, refreshDatabase } from './scan-adapter.ts';
import { startServer, type ServerOptions, type RunningServer } from './http.ts';
import { startWorkers, requestRematch, requestScan, type ServiceContext } from './jobs.ts';
import { syncCatalogFile } from './catalog-file.ts';
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
export { databaseIdentity, scanForService, refreshDatabase, ANALYZER_VERSION } from './scan-adapter.ts';
export type { ScanEnvironment } from './scan-adapter.ts';
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
  /** seconds between scans of every catalog entry's followed tags (0: never) */
  scanIntervalSeconds: number;
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
  const ctx: ServiceContext = { store, env, onEvents: options.onEvents };
  if (options.catalog) {
    const r = await syncCatalogFile(store, options.catalog);
    options.onInfo?.(
      `catalog ${options.catalog}: ${r.put} entries${r.removed.length ? `, removed ${r.removed.join(', ')}` : ''}`,
    );
  }
  const server = await startServer(ctx, options, options.onError);
  const workers =
    options.workers > 0
      ? await startWorkers(ctx, { concurrency: options.workers, onError: options.onError })
      : undefined;

  const notifier = options.notify?.length
    ? startNotifier(store, options.notify, { onError: options.onError })
    : undefined;

  let lastDb: string | undefined;
  const checkDb = async (): Promise<void> => {
    try {
      await refreshDatabase(env);
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
  const scanCatalog = async (): Promise<void> => {
    try {
      for (const e of await store.listCatalog())
        for (const tag of e.tags) await requestScan(ctx, `${e.repository}:${tag}`, e.repository);
    } catch (err) {
      options.onError?.(err);
    }
  };
  await checkDb();
  if (options.scanIntervalSeconds > 0) await scanCatalog();
  const timers = [setInterval(() => void checkDb(), options.rematchIntervalSeconds * 1000)];
  if (options.scanIntervalSeconds > 0)
    timers.push(setInterval(() => void scanCatalog(), options.scanIntervalSeconds * 1000));
  for (const t of timers) t.unref();

  return {
    ...server,
    async stop() {
      for (const t of timers) clearInterval(t);
      await server.close();
      await workers?.stop();
      await notifier?.stop();
    },
  };
}
