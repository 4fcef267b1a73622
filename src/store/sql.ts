// What the two databases share: one small query interface. Statements are written once with `?` placeholders;
// the PostgreSQL side numbers them. Both databases speak `ON CONFLICT … DO NOTHING` and `RETURNING`.
export type Row = Record<string, unknown>;

export interface Sql {
  readonly dialect: 'sqlite' | 'postgres';
  all<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]>;
  run(sql: string, params?: unknown[]): Promise<{ changes: number }>;
  /** runs fn in one transaction: all of it commits or none of it does */
  tx<T>(fn: (q: Sql) => Promise<T>): Promise<T>;
}

/** `?` → `$1, $2, …` (no statement here has a `?` inside a string literal) */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export interface Migration {
  version: number;
  /** statements for each dialect; `%ID%` is the auto-increment id column type */
  statements: string[];
}

/** Applies the migrations not yet applied, each in its own transaction; returns the schema version. */
export async function migrate(sql: Sql, migrations: Migration[]): Promise<number> {
  const id = sql.dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGSERIAL PRIMARY KEY';
  await sql.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  let current = 0;
  for (const m of migrations) {
    const applied = await sql.tx(async (q) => {
      // on PostgreSQL a server and its workers may start together: one applies, the others wait and see it done
      if (q.dialect === 'postgres') await q.run('SELECT pg_advisory_xact_lock(7262013)');
      const done = await q.all('SELECT version FROM schema_migrations WHERE version = ?', [m.version]);
      if (done.length) return false;
      for (const s of m.statements) await q.run(s.replaceAll('%ID%', id));
      await q.run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [
        m.version,
        new Date().toISOString(),
      ]);
      return true;
    });
    void applied;
    current = m.version;
  }
  return current;
}
