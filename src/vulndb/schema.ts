// The SQLite layout of the vulnerability database. Advisory bodies are stored as compact JSON; what matching needs
// (ecosystem, package name) is indexed. Bump SCHEMA_VERSION on any incompatible change: old files are then refused
// with a message telling the user to rebuild.

export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sources (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  input TEXT NOT NULL,
  snapshot TEXT,
  etag TEXT,
  last_modified TEXT,
  imported_at TEXT NOT NULL,
  advisories INTEGER NOT NULL,
  affected INTEGER NOT NULL,
  enrichments INTEGER NOT NULL,
  problems INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS advisories (
  rid INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  id TEXT NOT NULL,
  summary TEXT,
  severity TEXT,
  modified TEXT,
  withdrawn TEXT,
  body TEXT NOT NULL,
  UNIQUE (source, id)
);
CREATE TABLE IF NOT EXISTS affected (
  advisory INTEGER NOT NULL,
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  fix_state TEXT,
  severity TEXT,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS affected_package ON affected (ecosystem, name);
CREATE INDEX IF NOT EXISTS affected_advisory ON affected (advisory);
CREATE TABLE IF NOT EXISTS aliases (alias TEXT NOT NULL, advisory INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS aliases_alias ON aliases (alias);
CREATE INDEX IF NOT EXISTS aliases_advisory ON aliases (advisory);
CREATE TABLE IF NOT EXISTS enrichment (
  cve TEXT NOT NULL,
  source TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (cve, source)
) WITHOUT ROWID;
`;

/**
 * Package names as the index keys them: PyPI names are normalized per PEP 503 (case-insensitive, runs of `-_.`
 * equal); every other ecosystem is compared exactly.
 */
export function packageKey(ecosystem: string, name: string): string {
  if (ecosystem === 'PyPI') return name.toLowerCase().replace(/[-_.]+/g, '-');
  return name;
}
