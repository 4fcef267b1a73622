// The service's schema, versioned. New versions are appended; an applied version is never edited.
import type { Migration } from './sql.ts';

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE catalog (repository TEXT PRIMARY KEY, tier TEXT NOT NULL, owner TEXT, description TEXT,
        policy TEXT NOT NULL, replacement TEXT, tags TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      `CREATE TABLE tags (id %ID%, repository TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL,
        seen_at TEXT NOT NULL, UNIQUE (repository, tag, digest))`,
      `CREATE TABLE sboms (digest TEXT PRIMARY KEY, cyclonedx TEXT NOT NULL)`,
      `CREATE TABLE digests (digest TEXT NOT NULL, analyzer_version TEXT NOT NULL, target TEXT NOT NULL,
        repository TEXT, inventory TEXT NOT NULL, analysis TEXT NOT NULL, image TEXT NOT NULL, created_at TEXT NOT NULL,
        PRIMARY KEY (digest, analyzer_version))`,
      `CREATE TABLE results (id %ID%, digest TEXT NOT NULL, analyzer_version TEXT NOT NULL, db_version TEXT NOT NULL,
        findings TEXT NOT NULL, verdict TEXT NOT NULL, duration_ms INTEGER NOT NULL, created_at TEXT NOT NULL,
        UNIQUE (digest, analyzer_version, db_version))`,
      `CREATE TABLE events (id %ID%, event_key TEXT NOT NULL UNIQUE, repository TEXT, digest TEXT NOT NULL,
        finding_id TEXT NOT NULL, package_ref TEXT NOT NULL, kind TEXT NOT NULL, old_state TEXT, new_state TEXT,
        db_version TEXT NOT NULL, created_at TEXT NOT NULL)`,
      `CREATE INDEX events_digest ON events (digest)`,
      `CREATE TABLE triage (id %ID%, repository TEXT NOT NULL, finding_id TEXT NOT NULL, package TEXT,
        status TEXT NOT NULL, justification TEXT, action TEXT, author TEXT NOT NULL, created_at TEXT NOT NULL,
        until TEXT)`,
      `CREATE TABLE tokens (id %ID%, name TEXT NOT NULL, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL)`,
      `CREATE TABLE audit (id %ID%, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT,
        at TEXT NOT NULL)`,
    ],
  },
  {
    version: 2,
    statements: [
      // how far each notification endpoint has read the event log
      `CREATE TABLE webhook_cursors (endpoint TEXT PRIMARY KEY, last_event_id INTEGER NOT NULL)`,
      `CREATE TABLE deliveries (id %ID%, endpoint TEXT NOT NULL, group_key TEXT NOT NULL, payload TEXT NOT NULL,
        state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at BIGINT NOT NULL, last_status INTEGER,
        last_error TEXT, created_at TEXT NOT NULL, delivered_at TEXT, UNIQUE (endpoint, group_key))`,
      `CREATE INDEX deliveries_due ON deliveries (state, next_at)`,
    ],
  },
  {
    version: 3,
    statements: [
      // where each followed tag pointed when last resolved, and the validator to send next time (If-None-Match)
      `CREATE TABLE tag_heads (repository TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL, etag TEXT,
        checked_at TEXT NOT NULL, changed_at TEXT NOT NULL, PRIMARY KEY (repository, tag))`,
    ],
  },
  {
    version: 4,
    statements: [
      // Harbor scan requests by the id answered to Harbor: any instance answers GET …/report, a restart keeps them.
      // The request is kept without its registry credentials (used for that pull only, in the scanning process).
      `CREATE TABLE harbor_scans (id TEXT PRIMARY KEY, state TEXT NOT NULL, request TEXT NOT NULL, digest TEXT,
        error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      `CREATE INDEX harbor_scans_created ON harbor_scans (created_at)`,
    ],
  },
  {
    // fresh builds (versions 3 and 4 belong to other features; each version is applied on its own)
    version: 5,
    statements: [
      `ALTER TABLE catalog ADD COLUMN build TEXT`,
      `CREATE TABLE builds (id %ID%, repository TEXT NOT NULL, job_id TEXT NOT NULL, outcome TEXT NOT NULL,
        reason TEXT, updates TEXT, digest TEXT, pushed TEXT, verdict TEXT, error TEXT, created_at TEXT NOT NULL)`,
      `CREATE INDEX builds_repository ON builds (repository, id)`,
    ],
  },
];

/** The SQLite job table (PostgreSQL keeps its jobs in pg-boss's own schema). */
export const SQLITE_JOB_MIGRATIONS: Migration[] = [
  {
    version: 1001,
    statements: [
      `CREATE TABLE jobs (id %ID%, name TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL, run_after INTEGER NOT NULL,
        lease_until INTEGER, error TEXT, output TEXT, created_at TEXT NOT NULL, started_at INTEGER,
        finished_at TEXT, seconds REAL)`,
      // at most one queued or running job per key: the idempotency of enqueue
      `CREATE UNIQUE INDEX jobs_live_key ON jobs (name, key) WHERE state IN ('queued', 'retry', 'active')`,
      `CREATE INDEX jobs_ready ON jobs (state, run_after)`,
    ],
  },
];
