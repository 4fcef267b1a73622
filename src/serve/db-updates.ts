// The service's own database updates: every intervalSeconds the app's update runs (refreshDatabase in
// scan-adapter.ts); one at a time, the first right away, in the background so the API answers meanwhile. Used by
// `zerocve serve` (a change queues a re-match at once) and `zerocve worker` (each worker matches against its own file).
import { refreshDatabase, type DbUpdateOptions, type ScanEnvironment } from './scan-adapter.ts';

export interface DbUpdates {
  /** runs an update now unless one is running (then waits for that one) */
  update(): Promise<void>;
  /** stops the schedule; a running update is aborted (the database keeps its previous copy) */
  stop(): Promise<void>;
}

export function startDbUpdates(
  env: Pick<ScanEnvironment, 'dbPath'>,
  options: DbUpdateOptions,
  hooks: {
    /** a new database was renamed into place */
    onUpdated?: () => Promise<void> | void;
    onInfo?: (message: string) => void;
    onError?: (err: unknown) => void;
  } = {},
): DbUpdates {
  const stopping = new AbortController();
  let running: Promise<void> | undefined;
  const update = (): Promise<void> =>
    (running ??= (async () => {
      try {
        const r = await refreshDatabase(
          { dbPath: env.dbPath, signal: stopping.signal },
          {
            ...options,
            onWait: (h) => hooks.onInfo?.(`waiting for process ${h.pid} updating the vulnerability database`),
          },
        );
        for (const w of r.warnings) hooks.onInfo?.(`vulnerability database update: ${w}`);
        if (r.updated) {
          hooks.onInfo?.(`vulnerability database updated (${r.checked.join(', ')})`);
          await hooks.onUpdated?.();
        }
      } catch (err) {
        if (!stopping.signal.aborted) hooks.onError?.(err);
      } finally {
        running = undefined;
      }
    })());
  void update();
  const timer = setInterval(() => void update(), options.intervalSeconds * 1000);
  timer.unref();
  return {
    update,
    async stop() {
      clearInterval(timer);
      stopping.abort();
      await running;
    },
  };
}
