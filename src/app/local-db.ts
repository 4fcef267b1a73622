// The local vulnerability database as a scan's advisory data: opened on first need (a scan without `vuln` never
// touches it), brought up to date first for the image's ecosystems when auto-update is on, described for the report,
// and closed by its owner. Everything lives in the returned object: one process can hold several at once.
import type { ReportWarning } from '../core/report.ts';
import type { DbInfo } from '../core/report.ts';
import { DatabaseError } from '../core/errors.ts';
import { openStore, ensureDb, type Store, type EnsureDbOptions } from '../vulndb/index.ts';
import type { AdvisoryData, AdvisoryNeed, AdvisoryProvider } from './scan.ts';
import { ensureDbFromRepository, type RepositoryUpdateOptions } from './db-artifact.ts';

export interface LocalDbOptions {
  dbPath: string;
  /** scan without a vulnerability database (inventory, surface and analysis only), with a warning */
  allowNoDb?: boolean;
  /**
   * Update the database before matching when it is missing, older than `maxAgeHours`, or lacks a feed of the image's
   * ecosystems (see ensureDb). Absent: never download (offline); a missing database is then an error.
   */
  autoUpdate?: Omit<EnsureDbOptions, 'ecosystems' | 'signal'>;
  /**
   * Update the database by pulling the artifact `db push` published at `reference` (a company's own registry)
   * instead of building it from the feeds, when it is missing or older than `maxAgeHours` (ensureDbFromRepository).
   * Takes the place of autoUpdate; absent with autoUpdate absent: never download.
   */
  repository?: Omit<RepositoryUpdateOptions, 'signal' | 'strict'> & { reference: string };
  now?: Date;
}

export interface LocalDb {
  provide: AdvisoryProvider;
  /** closes the store if one was opened; the data already handed out stays valid */
  close(): void;
}

export function describeDb(store: Store, now: Date = new Date()): DbInfo {
  const st = store.status();
  const ageHours = st.builtAt ? Math.round(((now.getTime() - Date.parse(st.builtAt)) / 3.6e6) * 10) / 10 : undefined;
  return {
    path: st.path,
    ...(st.builtAt ? { builtAt: st.builtAt } : {}),
    ...(ageHours !== undefined ? { ageHours } : {}),
    sources: st.sources.map((s) => ({
      name: s.name,
      ...(s.snapshot ? { snapshot: s.snapshot } : {}),
      advisories: s.advisories,
    })),
  };
}

export function openLocalDb(options: LocalDbOptions): LocalDb {
  let store: Store | undefined;
  /** every store opened (an update reopens): kept open until close, a scan may still be reading an older one */
  const opened: Store[] = [];
  /** ecosystems already brought up to date in this session (compare scans two images against one database) */
  const ensured = new Set<string>();
  return {
    async provide(need: AdvisoryNeed, signal?: AbortSignal): Promise<AdvisoryData> {
      const warnings: ReportWarning[] = [];
      // what brings the database up to date this time, if anything: the published database of a repository (whole:
      // one check per session), else the feeds of the ecosystems this scan needs
      let update: (() => Promise<{ warnings: string[]; updated: boolean }>) | undefined;
      let done = (): void => {};
      if (options.repository && !ensured.has('*')) {
        const { reference, ...rest } = options.repository;
        update = () => ensureDbFromRepository(options.dbPath, reference, { ...rest, signal });
        done = () => ensured.add('*');
      } else if (options.autoUpdate && (need.ecosystems.some((e) => !ensured.has(e)) || !store)) {
        const autoUpdate = options.autoUpdate;
        update = () => ensureDb(options.dbPath, { ...autoUpdate, ecosystems: need.ecosystems, signal });
        done = () => need.ecosystems.forEach((e) => ensured.add(e));
      }
      if (update) {
        try {
          const r = await update();
          for (const message of r.warnings)
            warnings.push({ code: 'vulnerability-db-update', message, path: options.dbPath });
          done();
          if (r.updated) store = undefined; // reopen: the update renamed a new file into place
        } catch (err) {
          if (!options.allowNoDb || (err as Error)?.name === 'AbortError') throw err;
          warnings.push({
            code: 'vulnerability-db-update',
            message: `vulnerability database not updated: ${(err as Error).message}`,
            path: options.dbPath,
          });
        }
      }
      if (!store) {
        try {
          store = openStore(options.dbPath, { readonly: true });
          opened.push(store);
        } catch (err) {
          if (options.allowNoDb && err instanceof DatabaseError) {
            warnings.push({
              code: 'no-vulnerability-db',
              message: `no vulnerability database (${err.message.split(':')[0]}): vulnerabilities were not matched`,
              path: options.dbPath,
            });
            return { warnings };
          }
          throw err;
        }
      }
      return { source: store, db: describeDb(store, options.now), warnings };
    },
    close() {
      for (const s of opened.splice(0)) s.close();
      store = undefined;
    },
  };
}
