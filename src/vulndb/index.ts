// Public door of the vulnerability database: the store matchers read, and the `db` use cases the CLI calls.
export { openStore, defaultDbPath } from './store.ts';
export type { Store, StoreStatus, SourceStatus, OpenStoreOptions } from './store.ts';
export { importSources, detectKind, SOURCE_KINDS, DEFAULT_SOURCE_NAME } from './import.ts';
export type { SourceKind, ImportInput, ImportOptions, ImportSummary } from './import.ts';
export type { ImportProblem, SourceSummary } from './build.ts';
export { SCHEMA_VERSION } from './schema.ts';
export { defaultSourceName } from './import.ts';
export { updateDb, ensureDb, dbStatus, defaultFeeds, DEFAULT_OSV_ECOSYSTEMS } from './update.ts';
export type {
  FeedSource,
  UpdateOptions,
  UpdateSummary,
  FeedResult,
  DbStatus,
  EnsureDbOptions,
  EnsureDbResult,
} from './update.ts';
export { lock, tryLock } from './lock.ts';
export type { FileLock, LockHolder, LockOptions } from './lock.ts';
