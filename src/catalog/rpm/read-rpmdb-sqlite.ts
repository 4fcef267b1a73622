// rpm >= 4.16 keeps its database in SQLite (rpmdb.sqlite): table Packages(hnum, blob), one header blob per row.
// node:sqlite opens files only, so the bytes go to a private temporary directory that is removed afterwards.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** Header blobs of an rpmdb.sqlite image; throws an Error with a one-line reason when it cannot be read. */
export function readRpmdbSqliteBlobs(db: Buffer): Buffer[] {
  if (db.subarray(0, 16).toString('latin1') !== 'SQLite format 3\u0000')
    throw new Error('not an SQLite database (bad magic)');
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-rpmdb-'));
  try {
    const file = join(dir, 'rpmdb.sqlite');
    writeFileSync(file, db, { mode: 0o600 });
    const conn = new DatabaseSync(file, { readOnly: true });
    try {
      const rows = conn.prepare('SELECT blob FROM Packages ORDER BY hnum').all() as { blob: Uint8Array }[];
      return rows.map((r) => Buffer.from(r.blob.buffer, r.blob.byteOffset, r.blob.byteLength));
    } finally {
      conn.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
