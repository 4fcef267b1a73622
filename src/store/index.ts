// The service's store: one contract, two homes. `openStore({ data })` is the embedded SQLite database in a data
// folder; `openStore({ database: 'postgres://…' })` is PostgreSQL, shared by a server and its workers.
import { UsageError } from '../core/errors.ts';
import type { ServiceStore } from './types.ts';
import { openSqliteStore } from './sqlite/index.ts';
import { openPostgresStore } from './postgres/index.ts';

export type {
  HarborScanRecord,
  ApiToken,
  AuditRecord,
  BuildOutcome,
  BuildRecord,
  BuildSource,
  CatalogEntry,
  CatalogPolicy,
  Delivery,
  DigestRecord,
  DigestRef,
  EventKind,
  FindingState,
  JobData,
  JobName,
  JobQueue,
  JobRecord,
  JobRequest,
  JobState,
  JobStats,
  NewBuildRecord,
  NewEvent,
  NewTriageDecision,
  Page,
  ResultKey,
  Role,
  ScanResult,
  ServiceEvent,
  ServiceStore,
  TagHead,
  TagRecord,
  Tier,
  TriageDecision,
  TriageStatus,
  Verdict,
  WorkOptions,
} from './types.ts';
export {
  TIERS,
  ROLES,
  TRIAGE_STATUSES,
  VEX_JUSTIFICATIONS,
  DEFAULT_JOB_LEASE_SECONDS,
  JOB_NAMES,
  BUILD_OUTCOMES,
  workerJobNames,
} from './types.ts';
export { redactUrl } from './postgres/index.ts';

export interface OpenStoreOptions {
  /** data folder of the embedded SQLite database */
  data?: string;
  /** PostgreSQL connection string */
  database?: string;
  jobLeaseSeconds?: number;
  /** PostgreSQL: run the queue's maintenance (expiring dead workers' leases) in this process (default true) */
  supervise?: boolean;
}

export async function openStore(options: OpenStoreOptions): Promise<ServiceStore> {
  if (options.database && options.data) throw new UsageError('give either --data DIR or --database URL, not both');
  if (options.database) {
    if (!/^postgres(ql)?:\/\//.test(options.database))
      throw new UsageError(`--database must be a postgres:// or postgresql:// URL, got '${options.database}'`);
    return openPostgresStore(options.database, options);
  }
  if (!options.data) throw new UsageError('give --data DIR (embedded SQLite) or --database postgres://…');
  return openSqliteStore(options.data, options);
}
