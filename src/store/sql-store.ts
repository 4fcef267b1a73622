// The ServiceStore operations, written once over the Sql interface and shared by SQLite and PostgreSQL.
import { createHash, randomBytes } from 'node:crypto';
import type { Sql, Row } from './sql.ts';
import type {
  ServiceStore,
  CatalogEntry,
  TagHead,
  TagRecord,
  DigestRecord,
  ScanResult,
  ResultKey,
  ServiceEvent,
  NewEvent,
  TriageDecision,
  NewTriageDecision,
  ApiToken,
  Role,
  AuditRecord,
  Page,
  JobQueue,
  Delivery,
  HarborScanRecord,
  BuildRecord,
} from './types.ts';

const now = (): string => new Date().toISOString();
const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
const parse = <T>(v: unknown): T | undefined =>
  v === null || v === undefined ? undefined : (JSON.parse(String(v)) as T);
const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));
const clean = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export const hashToken = (secret: string): string => createHash('sha256').update(secret).digest('hex');

function catalogOf(r: Row): CatalogEntry {
  return clean({
    repository: String(r.repository),
    tier: r.tier as CatalogEntry['tier'],
    owner: str(r.owner),
    description: str(r.description),
    policy: parse<CatalogEntry['policy']>(r.policy) ?? {},
    replacement: str(r.replacement),
    tags: parse<string[]>(r.tags) ?? [],
    build: parse<CatalogEntry['build']>(r.build),
    updatedAt: String(r.updated_at),
  });
}

function digestOf(r: Row): DigestRecord {
  return clean({
    digest: String(r.digest),
    analyzerVersion: String(r.analyzer_version),
    target: String(r.target),
    repository: str(r.repository),
    inventory: parse<DigestRecord['inventory']>(r.inventory)!,
    analysis: parse<DigestRecord['analysis']>(r.analysis) ?? {},
    image: parse<unknown>(r.image),
    createdAt: String(r.created_at),
  });
}

function harborScanOf(r: Row): HarborScanRecord {
  return clean({
    id: String(r.id),
    state: r.state as HarborScanRecord['state'],
    request: parse<unknown>(r.request),
    digest: str(r.digest),
    error: str(r.error),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
  });
}

function resultOf(r: Row): ScanResult {
  return {
    digest: String(r.digest),
    analyzerVersion: String(r.analyzer_version),
    dbVersion: String(r.db_version),
    findings: parse<ScanResult['findings']>(r.findings) ?? [],
    verdict: parse<ScanResult['verdict']>(r.verdict)!,
    durationMs: Number(r.duration_ms),
    createdAt: String(r.created_at),
  };
}

function eventOf(r: Row): ServiceEvent {
  return clean({
    id: Number(r.id),
    repository: str(r.repository),
    digest: String(r.digest),
    findingId: String(r.finding_id),
    packageRef: String(r.package_ref),
    kind: r.kind as ServiceEvent['kind'],
    old: parse<ServiceEvent['old']>(r.old_state),
    new: parse<ServiceEvent['new']>(r.new_state),
    dbVersion: String(r.db_version),
    createdAt: String(r.created_at),
  });
}

function triageOf(r: Row): TriageDecision {
  return clean({
    id: Number(r.id),
    repository: String(r.repository),
    findingId: String(r.finding_id),
    package: str(r.package),
    status: r.status as TriageDecision['status'],
    justification: str(r.justification),
    action: str(r.action),
    author: String(r.author),
    createdAt: String(r.created_at),
    until: str(r.until),
  });
}

const tokenOf = (r: Row): ApiToken => ({
  id: Number(r.id),
  name: String(r.name),
  role: r.role as Role,
  createdAt: String(r.created_at),
});

/** The identity of a change: the same change seen again (a retried re-match) is not a new event. */
const eventKey = (e: NewEvent): string =>
  createHash('sha256')
    .update(JSON.stringify([e.digest, e.findingId, e.packageRef, e.kind, e.new ?? null, e.dbVersion]))
    .digest('hex');

function deliveryOf(r: Row): Delivery {
  return clean({
    id: Number(r.id),
    endpoint: String(r.endpoint),
    groupKey: String(r.group_key),
    payload: parse<unknown>(r.payload),
    state: r.state as Delivery['state'],
    attempts: Number(r.attempts),
    nextAt: Number(r.next_at),
    lastStatus: r.last_status == null ? undefined : Number(r.last_status),
    lastError: str(r.last_error),
    createdAt: String(r.created_at),
    deliveredAt: str(r.delivered_at),
  });
}

function buildOf(r: Row): BuildRecord {
  return clean({
    id: Number(r.id),
    repository: String(r.repository),
    jobId: String(r.job_id),
    outcome: r.outcome as BuildRecord['outcome'],
    reason: str(r.reason),
    updates: parse<BuildRecord['updates']>(r.updates),
    digest: str(r.digest),
    pushed: parse<string[]>(r.pushed),
    verdict: parse<BuildRecord['verdict']>(r.verdict),
    error: str(r.error),
    createdAt: String(r.created_at),
  });
}

const limitOf = (p?: Page): number => Math.min(Math.max(p?.limit ?? 100, 1), 1000);

export function createSqlStore(
  sql: Sql,
  options: { jobs: JobQueue; schemaVersion: number; close: () => Promise<void> },
): ServiceStore {
  return {
    kind: sql.dialect,
    jobs: options.jobs,
    async schemaVersion() {
      return options.schemaVersion;
    },
    async ping() {
      await sql.all('SELECT 1 AS one');
    },

    async listCatalog() {
      // code-point order on both databases (PostgreSQL's collation may order punctuation differently)
      return (await sql.all('SELECT * FROM catalog'))
        .map(catalogOf)
        .sort((a, b) => (a.repository < b.repository ? -1 : 1));
    },
    async getCatalog(repository) {
      const [r] = await sql.all('SELECT * FROM catalog WHERE repository = ?', [repository]);
      return r ? catalogOf(r) : undefined;
    },
    async putCatalog(entry) {
      const e: CatalogEntry = { ...entry, updatedAt: now() };
      await sql.run(
        `INSERT INTO catalog (repository, tier, owner, description, policy, replacement, tags, build, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (repository) DO UPDATE SET tier = excluded.tier, owner = excluded.owner,
           description = excluded.description, policy = excluded.policy, replacement = excluded.replacement,
           tags = excluded.tags, build = excluded.build, updated_at = excluded.updated_at`,
        [
          e.repository,
          e.tier,
          e.owner ?? null,
          e.description ?? null,
          JSON.stringify(e.policy ?? {}),
          e.replacement ?? null,
          JSON.stringify(e.tags ?? []),
          json(e.build),
          e.updatedAt,
        ],
      );
      return clean(e);
    },
    async deleteCatalog(repository) {
      return (await sql.run('DELETE FROM catalog WHERE repository = ?', [repository])).changes > 0;
    },

    async recordTag(t) {
      const r = await sql.run(
        'INSERT INTO tags (repository, tag, digest, seen_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
        [t.repository, t.tag, t.digest, now()],
      );
      return { changed: r.changes > 0 };
    },
    async tagHistory(repository, tag) {
      const rows = tag
        ? await sql.all('SELECT * FROM tags WHERE repository = ? AND tag = ? ORDER BY id DESC', [repository, tag])
        : await sql.all('SELECT * FROM tags WHERE repository = ? ORDER BY id DESC', [repository]);
      return rows.map((r): TagRecord => ({
        repository: String(r.repository),
        tag: String(r.tag),
        digest: String(r.digest),
        seenAt: String(r.seen_at),
      }));
    },

    async getTagHead(repository, tag) {
      const [r] = await sql.all('SELECT * FROM tag_heads WHERE repository = ? AND tag = ?', [repository, tag]);
      return r
        ? clean<TagHead>({
            repository: String(r.repository),
            tag: String(r.tag),
            digest: String(r.digest),
            etag: str(r.etag),
            checkedAt: String(r.checked_at),
            changedAt: String(r.changed_at),
          })
        : undefined;
    },
    async putTagHead(h) {
      return sql.tx(async (q) => {
        const at = now();
        const [old] = await q.all('SELECT digest, changed_at FROM tag_heads WHERE repository = ? AND tag = ?', [
          h.repository,
          h.tag,
        ]);
        const changed = !old || String(old.digest) !== h.digest;
        await q.run(
          `INSERT INTO tag_heads (repository, tag, digest, etag, checked_at, changed_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (repository, tag) DO UPDATE SET digest = excluded.digest, etag = excluded.etag,
             checked_at = excluded.checked_at, changed_at = ?`,
          [h.repository, h.tag, h.digest, h.etag ?? null, at, at, changed ? at : String(old.changed_at)],
        );
        return { changed };
      });
    },

    async putDigest(d, sbom) {
      return sql.tx(async (q) => {
        await q.run('INSERT INTO sboms (digest, cyclonedx) VALUES (?, ?) ON CONFLICT DO NOTHING', [d.digest, sbom]);
        const r = await q.run(
          `INSERT INTO digests (digest, analyzer_version, target, repository, inventory, analysis, image, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
          [
            d.digest,
            d.analyzerVersion,
            d.target,
            d.repository ?? null,
            JSON.stringify(d.inventory),
            JSON.stringify(d.analysis ?? {}),
            json(d.image) ?? 'null',
            now(),
          ],
        );
        return { created: r.changes > 0 };
      });
    },
    async getDigest(digest) {
      const [r] = await sql.all('SELECT * FROM digests WHERE digest = ? ORDER BY created_at DESC LIMIT 1', [digest]);
      return r ? digestOf(r) : undefined;
    },
    async getSbom(digest) {
      const [r] = await sql.all('SELECT cyclonedx FROM sboms WHERE digest = ?', [digest]);
      return r ? String(r.cyclonedx) : undefined;
    },
    async listDigests(repository) {
      const rows = repository
        ? await sql.all('SELECT * FROM digests WHERE repository = ? ORDER BY created_at, digest', [repository])
        : await sql.all('SELECT * FROM digests ORDER BY created_at, digest');
      return rows.map(digestOf);
    },

    async listDigestRefs(repository) {
      const cols = 'digest, analyzer_version, target, repository, created_at';
      const rows = repository
        ? await sql.all(`SELECT ${cols} FROM digests WHERE repository = ? ORDER BY created_at, digest`, [repository])
        : await sql.all(`SELECT ${cols} FROM digests ORDER BY created_at, digest`);
      return rows.map((r) =>
        clean({
          digest: String(r.digest),
          analyzerVersion: String(r.analyzer_version),
          target: String(r.target),
          repository: str(r.repository),
          createdAt: String(r.created_at),
        }),
      );
    },

    async putResult(res) {
      const r = await sql.run(
        `INSERT INTO results (digest, analyzer_version, db_version, findings, verdict, duration_ms, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        [
          res.digest,
          res.analyzerVersion,
          res.dbVersion,
          JSON.stringify(res.findings),
          JSON.stringify(res.verdict),
          Math.round(res.durationMs),
          now(),
        ],
      );
      return { created: r.changes > 0 };
    },
    async getResult(key: ResultKey) {
      const [r] = await sql.all('SELECT * FROM results WHERE digest = ? AND analyzer_version = ? AND db_version = ?', [
        key.digest,
        key.analyzerVersion,
        key.dbVersion,
      ]);
      return r ? resultOf(r) : undefined;
    },
    async latestResult(digest) {
      const [r] = await sql.all('SELECT * FROM results WHERE digest = ? ORDER BY id DESC LIMIT 1', [digest]);
      return r ? resultOf(r) : undefined;
    },
    async listResults(digest) {
      const rows = await sql.all('SELECT * FROM results WHERE digest = ? ORDER BY id', [digest]);
      return rows.map(resultOf);
    },
    async countResults(digest) {
      const [r] = await sql.all('SELECT COUNT(*) AS n FROM results WHERE digest = ?', [digest]);
      return Number(r.n);
    },

    async addEvents(events) {
      return sql.tx(async (q) => {
        const added: ServiceEvent[] = [];
        for (const e of events) {
          const rows = await q.all(
            `INSERT INTO events (event_key, repository, digest, finding_id, package_ref, kind, old_state, new_state,
               db_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *`,
            [
              eventKey(e),
              e.repository ?? null,
              e.digest,
              e.findingId,
              e.packageRef,
              e.kind,
              json(e.old),
              json(e.new),
              e.dbVersion,
              now(),
            ],
          );
          if (rows[0]) added.push(eventOf(rows[0]));
        }
        return added;
      });
    },
    async listEvents(filter = {}) {
      const where: string[] = ['id > ?'];
      const params: unknown[] = [filter.after ?? 0];
      if (filter.repository) (where.push('repository = ?'), params.push(filter.repository));
      if (filter.digest) (where.push('digest = ?'), params.push(filter.digest));
      params.push(limitOf(filter));
      return (await sql.all(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`, params)).map(
        eventOf,
      );
    },

    async addTriage(d: NewTriageDecision) {
      const [r] = await sql.all(
        `INSERT INTO triage (repository, finding_id, package, status, justification, action, author, created_at, until)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [
          d.repository,
          d.findingId,
          d.package ?? null,
          d.status,
          d.justification ?? null,
          d.action ?? null,
          d.author,
          now(),
          d.until ?? null,
        ],
      );
      return triageOf(r);
    },
    async listTriage(repository) {
      const rows = repository
        ? await sql.all("SELECT * FROM triage WHERE repository = ? OR repository = '*' ORDER BY id", [repository])
        : await sql.all('SELECT * FROM triage ORDER BY id');
      return rows.map(triageOf);
    },
    async deleteTriage(id) {
      return (await sql.run('DELETE FROM triage WHERE id = ?', [id])).changes > 0;
    },

    async enqueueDeliveries(endpoint, build, limit = 1000) {
      return sql.tx(async (q) => {
        if (q.dialect === 'postgres') await q.run('SELECT pg_advisory_xact_lock(7262014)');
        await q.run('INSERT INTO webhook_cursors (endpoint, last_event_id) VALUES (?, 0) ON CONFLICT DO NOTHING', [
          endpoint,
        ]);
        const [c] = await q.all('SELECT last_event_id FROM webhook_cursors WHERE endpoint = ?', [endpoint]);
        const events = (
          await q.all('SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?', [Number(c.last_event_id), limit])
        ).map(eventOf);
        if (!events.length) return [];
        const made: Delivery[] = [];
        for (const d of build(events)) {
          const rows = await q.all(
            `INSERT INTO deliveries (endpoint, group_key, payload, state, next_at, created_at)
             VALUES (?, ?, ?, 'pending', 0, ?) ON CONFLICT DO NOTHING RETURNING *`,
            [endpoint, d.groupKey, JSON.stringify(d.payload), now()],
          );
          if (rows[0]) made.push(deliveryOf(rows[0]));
        }
        await q.run('UPDATE webhook_cursors SET last_event_id = ? WHERE endpoint = ?', [
          events[events.length - 1].id,
          endpoint,
        ]);
        return made;
      });
    },
    async dueDeliveries(at, limit = 50) {
      return (
        await sql.all("SELECT * FROM deliveries WHERE state = 'pending' AND next_at <= ? ORDER BY id LIMIT ?", [
          at,
          limit,
        ])
      ).map(deliveryOf);
    },
    async recordAttempt(id, o) {
      await sql.run(
        `UPDATE deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?,
           state = ?, next_at = ?, delivered_at = ? WHERE id = ?`,
        [
          o.status ?? null,
          o.error ?? null,
          o.delivered ? 'delivered' : o.retryAt === undefined ? 'failed' : 'pending',
          o.retryAt ?? 0,
          o.delivered ? now() : null,
          id,
        ],
      );
    },
    async listDeliveries(page) {
      return (
        await sql.all('SELECT * FROM deliveries WHERE id > ? ORDER BY id LIMIT ?', [page?.after ?? 0, limitOf(page)])
      ).map(deliveryOf);
    },

    async createToken(name, role) {
      const secret = `zc_${randomBytes(32).toString('base64url')}`;
      const [r] = await sql.all('INSERT INTO tokens (name, role, hash, created_at) VALUES (?, ?, ?, ?) RETURNING *', [
        name,
        role,
        hashToken(secret),
        now(),
      ]);
      return { token: tokenOf(r), secret };
    },
    async verifyToken(secret) {
      const [r] = await sql.all('SELECT * FROM tokens WHERE hash = ?', [hashToken(secret)]);
      return r ? tokenOf(r) : undefined;
    },

    async putHarborScan(id, request) {
      const at = now();
      const [r] = await sql.all(
        'INSERT INTO harbor_scans (id, state, request, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING *',
        [id, 'running', json(request), at, at],
      );
      return harborScanOf(r);
    },
    async finishHarborScan(id, outcome) {
      const done = 'digest' in outcome;
      const r = await sql.run(
        "UPDATE harbor_scans SET state = ?, digest = ?, error = ?, updated_at = ? WHERE id = ? AND state = 'running'",
        [done ? 'done' : 'failed', done ? outcome.digest : null, done ? null : outcome.error, now(), id],
      );
      return r.changes > 0;
    },
    async getHarborScan(id) {
      const [r] = await sql.all('SELECT * FROM harbor_scans WHERE id = ?', [id]);
      return r ? harborScanOf(r) : undefined;
    },
    async pruneHarborScans(before) {
      return (await sql.run('DELETE FROM harbor_scans WHERE created_at < ?', [before])).changes;
    },
    async addBuild(b) {
      const createdAt = now();
      const [r] = await sql.all(
        `INSERT INTO builds (repository, job_id, outcome, reason, updates, digest, pushed, verdict, error, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        [
          b.repository,
          b.jobId,
          b.outcome,
          b.reason ?? null,
          json(b.updates),
          b.digest ?? null,
          json(b.pushed),
          json(b.verdict),
          b.error ?? null,
          createdAt,
        ],
      );
      return clean({ ...b, id: Number(r.id), createdAt });
    },
    async listBuilds(repository, page) {
      const rows = await sql.all('SELECT * FROM builds WHERE repository = ? AND id > ? ORDER BY id DESC LIMIT ?', [
        repository,
        page?.after ?? 0,
        limitOf(page),
      ]);
      return rows.map(buildOf);
    },

    async audit(a) {
      await sql.run('INSERT INTO audit (actor, action, target, detail, at) VALUES (?, ?, ?, ?, ?)', [
        a.actor,
        a.action,
        a.target,
        json(a.detail),
        now(),
      ]);
    },
    async listAudit(page) {
      return (
        await sql.all('SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?', [page?.after ?? 0, limitOf(page)])
      ).map((r): AuditRecord =>
        clean({
          id: Number(r.id),
          actor: String(r.actor),
          action: String(r.action),
          target: String(r.target),
          detail: parse<unknown>(r.detail),
          at: String(r.at),
        }),
      );
    },

    close: options.close,
  };
}
