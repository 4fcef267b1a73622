// The service's data, as plain records. One contract (ServiceStore) with two homes: an embedded SQLite database
// in a data folder (one process, a small team) and PostgreSQL (a server plus any number of workers).
import type { Severity, FixState } from '../core/advisory.ts';
import type { Finding } from '../core/finding.ts';
import type { Surface, BloatReport } from '../core/report.ts';
import type { ReportSections } from '../core/analysis.ts';
import type { Inventory } from '../core/package.ts';

export const TIERS = ['golden', 'candidate', 'deprecated', 'blocked'] as const;
export type Tier = (typeof TIERS)[number];

/** The `scan` gate options that apply to an entry's images. */
export interface CatalogPolicy {
  /** fail when a shown finding is at or above this severity */
  failOn?: Severity;
  /** ignore rules in the `.zerocveignore` YAML shape (rules: [{ id, package, path, reason, expires }]) */
  ignore?: unknown[];
  /** OpenVEX documents (URLs or paths) whose statements apply */
  vex?: string[];
}

export interface CatalogEntry {
  /** registry repository without tag, e.g. `registry.example/ml/torch` */
  repository: string;
  tier: Tier;
  owner?: string;
  description?: string;
  policy: CatalogPolicy;
  /** for deprecated entries: the repository to use instead */
  replacement?: string;
  /** tags the service follows */
  tags: string[];
  /** fresh builds: the `zerocve build` input this repository's image is built from, and the tag it is pushed to */
  build?: BuildSource;
  updatedAt: string;
}

/** Where a catalog entry's image comes from when the service builds it fresh. */
export interface BuildSource {
  /** path of the image.yaml (`zerocve build` input), as the service process sees it */
  spec: string;
  /** the tag pushed on a passing rebuild (a dated tag TAG-YYYYMMDD is pushed with it) */
  tag: string;
}

export const BUILD_OUTCOMES = ['fresh', 'pushed', 'rejected', 'failed'] as const;
/**
 * fresh: `build --check` found nothing newer, nothing was built; pushed: rebuilt, passed the policy, pushed;
 * rejected: rebuilt but failed the policy, not pushed; failed: the check, build, scan or push went wrong.
 */
export type BuildOutcome = (typeof BUILD_OUTCOMES)[number];

/** One run of a catalog entry's fresh-build loop, kept so a rejected or failed rebuild is reported. */
export interface BuildRecord {
  id: number;
  repository: string;
  /** the job that ran it */
  jobId: string;
  outcome: BuildOutcome;
  /** why it (re)built: the packages with newer versions, or that the image did not exist yet */
  reason?: string;
  /** packages with newer versions (security fixes first), from `build --check` */
  updates?: { name: string; installed: string; candidate: string; security: boolean }[];
  /** manifest digest of the rebuilt image (pushed or not) */
  digest?: string;
  /** the references pushed (TAG and TAG-YYYYMMDD) */
  pushed?: string[];
  /** the rebuilt image's policy verdict */
  verdict?: Verdict;
  error?: string;
  createdAt: string;
}

export type NewBuildRecord = Omit<BuildRecord, 'id' | 'createdAt'>;

/** One observation of a tag pointing at a digest; older digests stay in the history. */
export interface TagRecord {
  repository: string;
  tag: string;
  digest: string;
  seenAt: string;
}

/** Where a followed tag pointed when last resolved (one row per repository × tag). */
export interface TagHead {
  repository: string;
  tag: string;
  digest: string;
  /** the registry's ETag (sent back as If-None-Match); absent when it sent none */
  etag?: string;
  /** last time the registry confirmed it */
  checkedAt: string;
  /** when the tag moved to this digest */
  changedAt: string;
}

/** What a result was computed by: idempotent jobs and results are keyed by it. */
export interface ResultKey {
  /** manifest digest (or a content digest of a non-registry target) */
  digest: string;
  /** zerocve version and analyzer versions, one string */
  analyzerVersion: string;
  /** the vulnerability database's identity (its build time and sources' snapshots) */
  dbVersion: string;
}

export interface Verdict {
  passed: boolean;
  threshold?: Severity;
  counts: Record<Severity, number>;
  suppressed: number;
}

/** Per-digest inventory and analysis summaries: stored once per digest × analyzer version, re-matched later. */
export interface DigestRecord {
  digest: string;
  analyzerVersion: string;
  /** what was scanned (registry reference or target) */
  target: string;
  repository?: string;
  /** the inventory needed for re-matching without pulling the image */
  inventory: Inventory;
  /** attack surface, bloat and ML analysis summaries (the report's surface, bloat and sections) */
  analysis: { surface?: Surface; bloat?: BloatReport; sections?: ReportSections; findings?: Finding[] };
  /** the image summary (config digest, layers, platform) */
  image: unknown;
  createdAt: string;
}

export type DigestRef = Pick<DigestRecord, 'digest' | 'analyzerVersion' | 'target' | 'repository' | 'createdAt'>;

/** Findings of one digest against one database version, with the policy verdict. */
export interface ScanResult extends ResultKey {
  findings: Finding[];
  verdict: Verdict;
  durationMs: number;
  createdAt: string;
}

export interface FindingState {
  severity: Severity;
  fixState: FixState;
  fixedVersions: string[];
}

export type EventKind = 'new' | 'resolved' | 'changed';

export interface ServiceEvent {
  id: number;
  repository?: string;
  digest: string;
  findingId: string;
  /** purl of the affected package */
  packageRef: string;
  kind: EventKind;
  old?: FindingState;
  new?: FindingState;
  dbVersion: string;
  createdAt: string;
}

export type NewEvent = Omit<ServiceEvent, 'id' | 'createdAt'>;

export const TRIAGE_STATUSES = ['not_affected', 'affected', 'fixed', 'under_investigation'] as const;
export type TriageStatus = (typeof TRIAGE_STATUSES)[number];

/** OpenVEX justifications for not_affected */
export const VEX_JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
] as const;

export interface TriageDecision {
  id: number;
  /** the catalog repository the decision is about, or `*` for every image */
  repository: string;
  findingId: string;
  /** purl or package name; absent: every package */
  package?: string;
  status: TriageStatus;
  justification?: string;
  /** action statement for `affected` */
  action?: string;
  author: string;
  createdAt: string;
  /** the decision lapses after this time */
  until?: string;
}

export type NewTriageDecision = Omit<TriageDecision, 'id' | 'createdAt'>;

export const ROLES = ['reader', 'triager', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiToken {
  id: number;
  name: string;
  role: Role;
  createdAt: string;
}

export interface AuditRecord {
  id: number;
  actor: string;
  action: string;
  target: string;
  detail?: unknown;
  at: string;
}

export interface Page {
  limit?: number;
  /** return records with id greater than this */
  after?: number;
}

// ---- notifications ----

export interface Delivery {
  id: number;
  /** endpoint name (`webhook:URL` or `slack:URL`) */
  endpoint: string;
  /** the events it carries (one image's changes), for idempotency */
  groupKey: string;
  payload: unknown;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** epoch ms of the next attempt */
  nextAt: number;
  lastStatus?: number;
  lastError?: string;
  createdAt: string;
  deliveredAt?: string;
}

// ---- Harbor scans ----

/** One Harbor scan request, by the id the adapter answered with. Never holds registry credentials. */
export interface HarborScanRecord {
  id: string;
  state: 'running' | 'done' | 'failed';
  /** the parsed scan request without `registry.authorization` */
  request: unknown;
  digest?: string;
  error?: string;
  createdAt: string;
  updatedAt: string;
}

// ---- jobs ----

/**
 * A running job's lease: its worker renews it every third of this while the job runs (a heartbeat), however long
 * the job takes; a job whose worker has not renewed it for this many seconds (killed, hung, cut off from the
 * database) is given to another worker.
 */
export const DEFAULT_JOB_LEASE_SECONDS = 60;

/** build jobs are taken only by workers that can build (root and mmdebstrap): a queue of their own */
export const JOB_NAMES = ['scan', 'rematch', 'build'] as const;
export type JobName = (typeof JOB_NAMES)[number];

/** The queues a worker consumes: build jobs only where builds can run (root and mmdebstrap). */
export function workerJobNames(canBuild: boolean): JobName[] {
  return canBuild ? ['scan', 'rematch', 'build'] : ['scan', 'rematch'];
}

export interface JobData {
  /** scan: the target to scan (registry reference, oci-dir:…, dir:…) */
  target?: string;
  repository?: string;
  [k: string]: unknown;
}

export interface JobRequest {
  name: JobName;
  /** idempotency key: what the job computes (digest or target × analyzer version × db version) */
  key: string;
  data: JobData;
}

export type JobState = 'queued' | 'active' | 'retry' | 'completed' | 'failed';

export interface JobRecord {
  id: string;
  name: JobName;
  key: string;
  data: JobData;
  state: JobState;
  attempts: number;
  error?: string;
  output?: unknown;
  createdAt: string;
  finishedAt?: string;
}

export interface JobStats {
  queued: number;
  active: number;
  completed: number;
  failed: number;
}

export interface WorkOptions {
  pollSeconds?: number;
  signal?: AbortSignal;
  onError?: (err: unknown) => void;
}

/** At-least-once job queue; handlers must be idempotent (results are keyed by what they compute). */
export interface JobQueue {
  /** queue a job unless one with the same key is queued or running: returns its id either way */
  enqueue(job: JobRequest): Promise<{ id: string; deduplicated: boolean }>;
  /** run handlers for jobs of these names until the signal aborts; resolves when the workers have stopped */
  work(
    names: JobName[],
    handler: (job: JobRecord) => Promise<unknown>,
    options?: WorkOptions,
  ): Promise<{ stop(): Promise<void> }>;
  get(id: string): Promise<JobRecord | undefined>;
  stats(): Promise<JobStats>;
  /** seconds each finished job ran, most recent first (for /metrics) */
  durations(limit: number): Promise<{ name: JobName; seconds: number }[]>;
}

export interface ServiceStore {
  readonly kind: 'sqlite' | 'postgres';
  /** schema version applied */
  schemaVersion(): Promise<number>;
  ping(): Promise<void>;

  listCatalog(): Promise<CatalogEntry[]>;
  getCatalog(repository: string): Promise<CatalogEntry | undefined>;
  putCatalog(entry: Omit<CatalogEntry, 'updatedAt'>): Promise<CatalogEntry>;
  deleteCatalog(repository: string): Promise<boolean>;

  recordTag(record: Omit<TagRecord, 'seenAt'>): Promise<{ changed: boolean }>;
  tagHistory(repository: string, tag?: string): Promise<TagRecord[]>;
  getTagHead(repository: string, tag: string): Promise<TagHead | undefined>;
  /** records the tag's current digest; `changed` when the digest differs from the one stored */
  putTagHead(head: Pick<TagHead, 'repository' | 'tag' | 'digest' | 'etag'>): Promise<{ changed: boolean }>;

  /** stores the digest's inventory and SBOM once (a second call with the same key keeps the first) */
  putDigest(record: Omit<DigestRecord, 'createdAt'>, sbom: string): Promise<{ created: boolean }>;
  getDigest(digest: string): Promise<DigestRecord | undefined>;
  getSbom(digest: string): Promise<string | undefined>;
  listDigests(repository?: string): Promise<DigestRecord[]>;
  /** the stored digests without their inventories (cheap for thousands of images) */
  listDigestRefs(repository?: string): Promise<DigestRef[]>;

  /** stores a result once per key (a second call keeps the first) */
  putResult(result: Omit<ScanResult, 'createdAt'>): Promise<{ created: boolean }>;
  getResult(key: ResultKey): Promise<ScanResult | undefined>;
  /** the most recent result of a digest (any db version) */
  latestResult(digest: string): Promise<ScanResult | undefined>;
  countResults(digest: string): Promise<number>;
  /** every result of a digest, oldest first (one per database version and analyzer version) */
  listResults(digest: string): Promise<ScanResult[]>;

  /** stores each event once (same digest, finding, package, kind and new state: kept once) and returns those added */
  addEvents(events: NewEvent[]): Promise<ServiceEvent[]>;
  listEvents(filter?: { repository?: string; digest?: string } & Page): Promise<ServiceEvent[]>;

  addTriage(decision: NewTriageDecision): Promise<TriageDecision>;
  listTriage(repository?: string): Promise<TriageDecision[]>;
  deleteTriage(id: number): Promise<boolean>;

  /**
   * Reads the events after the endpoint's cursor (at most `limit`), lets `build` turn them into deliveries, and
   * stores those and the new cursor in one transaction: every event is handed to each endpoint exactly once.
   */
  enqueueDeliveries(
    endpoint: string,
    build: (events: ServiceEvent[]) => { groupKey: string; payload: unknown }[],
    limit?: number,
  ): Promise<Delivery[]>;
  /** pending deliveries due now */
  dueDeliveries(now: number, limit?: number): Promise<Delivery[]>;
  /** records an attempt: delivered, or pending again at `retryAt`, or failed for good */
  recordAttempt(
    id: number,
    outcome: { delivered: boolean; status?: number; error?: string; retryAt?: number },
  ): Promise<void>;
  listDeliveries(page?: Page): Promise<Delivery[]>;

  /** creates a token; the secret is returned once and only its hash is stored */
  createToken(name: string, role: Role): Promise<{ token: ApiToken; secret: string }>;
  verifyToken(secret: string): Promise<ApiToken | undefined>;

  /** records a new Harbor scan request (state `running`) */
  putHarborScan(id: string, request: unknown): Promise<HarborScanRecord>;
  /** records how a running Harbor scan ended; false when the id is unknown or already ended */
  finishHarborScan(id: string, outcome: { digest: string } | { error: string }): Promise<boolean>;
  getHarborScan(id: string): Promise<HarborScanRecord | undefined>;
  /** forgets scan requests created before `before` (ISO time); returns how many */
  pruneHarborScans(before: string): Promise<number>;
  /** records a run of a catalog entry's fresh-build loop */
  addBuild(record: NewBuildRecord): Promise<BuildRecord>;
  /** a repository's build runs, most recent first */
  listBuilds(repository: string, page?: Page): Promise<BuildRecord[]>;

  audit(record: Omit<AuditRecord, 'id' | 'at'>): Promise<void>;
  listAudit(page?: Page): Promise<AuditRecord[]>;

  readonly jobs: JobQueue;
  close(): Promise<void>;
}
