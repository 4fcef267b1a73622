// The web UI of `zerocve serve`: server-rendered pages under /ui/ (catalog menu, image, compare, events) and
// their two assets. The service mounts it with one hook (src/serve/http.ts) and supplies what only it knows: how
// a digest is judged (catalog policy + triage) and how a triage decision is validated and stored.
//
// Safety: every page is sent with a strict Content-Security-Policy (no inline script, only our own script and
// stylesheet); forms that change something (sign-in, triage) need a same-origin request AND a CSRF token equal to
// the `zc_csrf` cookie (double submit). The API token, once given on the sign-in page, lives in an HttpOnly,
// SameSite=Strict cookie.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Severity } from '../core/advisory.ts';
import { SEVERITIES } from '../core/advisory.ts';
import type { ScanReport, Surface, BloatReport, ImageSummary } from '../core/report.ts';
import { REPORT_SCHEMA_VERSION } from '../core/report.ts';
import type { ApiToken, Role, ServiceStore, TriageDecision } from '../store/index.ts';
import { ROLES } from '../store/index.ts';
import { renderTable, compareReports } from '../report/index.ts';
import { UI_CSS, UI_JS } from './assets.ts';
import {
  createMenuSource,
  filterMenu,
  parseMenuQuery,
  parseFindingsQuery,
  filterFindings,
  type ImageView,
} from './model.ts';
import { menuPage, imagePage, comparePage, eventsPage, loginPage, errorPage, imageHref, UI_BASE } from './pages.ts';

export { UI_BASE } from './pages.ts';
export type { ImageView } from './model.ts';

export interface UiDeps {
  store: ServiceStore;
  /** GET pages need no token */
  anonymousRead: boolean;
  /** the digest's record with its latest result judged by its catalog policy and the triage decisions */
  view(digest: string): Promise<ImageView>;
  /** validates and stores a decision (the API's rules), with an audit record */
  addTriage(body: Record<string, unknown>, author: string): Promise<TriageDecision>;
  /** largest form body accepted */
  maxBodyBytes: number;
}

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'";

class UiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function cookies(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

function readForm(req: IncomingMessage, limit: number): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new UiError(413, `form body is over the limit of ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

const sameString = (a: string, b: string): boolean =>
  a.length === b.length && a.length > 0 && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** A report of a stored digest, in the shape the report renderers take (compare, `scan` table summary). */
export function reportOf(view: ImageView): ScanReport {
  const { d, result, judged } = view;
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  Object.assign(counts, judged?.verdict.counts ?? {});
  const image = (d.image ?? {}) as ImageSummary;
  const findings = judged?.findings ?? [];
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'zerocve', version: d.analyzerVersion.replace(/^zerocve /, '') },
    createdAt: result?.createdAt ?? d.createdAt,
    image: {
      ...image,
      // named by repository and digest (the target may be a temporary path)
      source: {
        ...(image.source ?? { target: d.target, kind: 'dir' }),
        ...(d.repository ? { reference: `${d.repository}@${d.digest.slice(0, 19)}` } : {}),
      },
      config: image.config ?? { diffIds: [] },
      layers: image.layers ?? [],
    },
    inventory: d.inventory,
    findings,
    suppressed: judged?.suppressed ?? [],
    surface: d.analysis.surface as Surface | undefined,
    bloat: d.analysis.bloat as BloatReport | undefined,
    sections: d.analysis.sections,
    summary: {
      findings: counts,
      suppressed: judged?.verdict.suppressed ?? 0,
      fixable: findings.filter((f) => f.fixedVersions.length > 0).length,
      kev: findings.filter((f) => f.kev).length,
      threshold: judged?.verdict.threshold,
      passed: judged?.verdict.passed ?? true,
    },
    warnings: [],
  } as ScanReport;
}

export type UiHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

/** True for the paths the UI answers (`/` redirects to the menu). */
export const isUiPath = (pathname: string): boolean =>
  pathname === '/' || pathname === UI_BASE || pathname.startsWith(`${UI_BASE}/`);

export function createUiHandler(deps: UiDeps): UiHandler {
  const { store } = deps;
  const menuRows = createMenuSource(store, deps.view);
  // compute the menu's rows now, not on the first visitor's request (errors show on that request instead)
  void menuRows().catch(() => undefined);

  const send = (
    res: ServerResponse,
    status: number,
    body: string,
    type = 'text/html; charset=utf-8',
    headers: Record<string, string | string[]> = {},
  ): void => {
    res.writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
      'x-frame-options': 'DENY',
      'cache-control': type.startsWith('text/html') ? 'no-store' : 'max-age=300',
      ...headers,
    });
    res.end(body);
  };
  const redirect = (res: ServerResponse, to: string, headers: Record<string, string | string[]> = {}): void => {
    res.writeHead(303, { location: to, 'content-length': 0, ...headers });
    res.end();
  };

  async function actorOf(req: IncomingMessage): Promise<ApiToken | undefined> {
    const auth = req.headers.authorization;
    const m = auth ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
    const secret = m?.[1] ?? cookies(req).zc_token;
    return secret ? store.verifyToken(secret) : undefined;
  }

  /** same-origin check (Origin, else Referer, must name this host) and the double-submit CSRF token */
  function checkForm(req: IncomingMessage, form: URLSearchParams): void {
    const host = req.headers.host;
    const origin = req.headers.origin ?? req.headers.referer;
    let originHost: string | undefined;
    try {
      originHost = origin ? new URL(origin).host : undefined;
    } catch {
      originHost = undefined;
    }
    if (!host || !originHost || originHost !== host) throw new UiError(403, 'cross-origin form submission refused');
    if (!sameString(form.get('csrf') ?? '', cookies(req).zc_csrf ?? ''))
      throw new UiError(403, 'missing or wrong CSRF token (reload the page and try again)');
  }

  return async (req, res, url) => {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const jar = cookies(req);
    const csrf = jar.zc_csrf && /^[0-9a-f]{32}$/.test(jar.zc_csrf) ? jar.zc_csrf : randomBytes(16).toString('hex');
    const setCsrf: Record<string, string> =
      csrf === jar.zc_csrf ? {} : { 'set-cookie': `zc_csrf=${csrf}; Path=${UI_BASE}; SameSite=Strict; HttpOnly` };
    let user: ApiToken | undefined;
    try {
      if (path === '/' || path === UI_BASE) return redirect(res, `${UI_BASE}/`);
      if (path === `${UI_BASE}/assets/ui.css`) return send(res, 200, UI_CSS, 'text/css; charset=utf-8');
      if (path === `${UI_BASE}/assets/ui.js`) return send(res, 200, UI_JS, 'text/javascript; charset=utf-8');

      if (path === `${UI_BASE}/login`) {
        if (method === 'GET') return send(res, 200, loginPage(csrf), undefined, setCsrf);
        if (method !== 'POST') throw new UiError(405, `${method} is not allowed here`);
        const form = await readForm(req, deps.maxBodyBytes);
        checkForm(req, form);
        const token = form.get('token')?.trim() ?? '';
        if (!(await store.verifyToken(token))) return send(res, 401, loginPage(csrf, 'unknown or revoked token'));
        return redirect(res, `${UI_BASE}/`, {
          'set-cookie': `zc_token=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`,
        });
      }

      user = await actorOf(req);
      const need = (role: Role): void => {
        if (!user && role === 'reader' && deps.anonymousRead) return;
        if (!user) throw new UiError(401, 'sign in first');
        if (ROLES.indexOf(user.role) < ROLES.indexOf(role))
          throw new UiError(403, `token '${user.name}' has role ${user.role}; this needs ${role}`);
      };

      if (method === 'POST' && path === `${UI_BASE}/triage`) {
        need('triager');
        const form = await readForm(req, deps.maxBodyBytes);
        checkForm(req, form);
        const body: Record<string, unknown> = {};
        for (const k of ['repository', 'findingId', 'package', 'status', 'justification', 'action'])
          if (form.get(k)) body[k] = form.get(k);
        const digest = form.get('digest') ?? '';
        let notice: string;
        try {
          const saved = await deps.addTriage(body, user!.name);
          notice = `Recorded: ${saved.findingId} ${saved.status} (triage #${saved.id})`;
        } catch (err) {
          notice = `Not recorded: ${(err as Error).message}`;
        }
        return redirect(res, `${imageHref(digest)}?notice=${encodeURIComponent(notice)}`);
      }
      if (method !== 'GET' && method !== 'HEAD') throw new UiError(405, `${method} is not allowed on ${path}`);
      need('reader');
      const who = user?.name;

      if (path === `${UI_BASE}/`) {
        const query = parseMenuQuery(url.searchParams);
        const all = await menuRows();
        const { rows, total, pages } = filterMenu(all, query);
        const cudaMajors = [
          ...new Set(all.map((r) => r.stack.cuda?.split('.')[0]).filter((c): c is string => !!c)),
        ].sort((a, b) => Number(a) - Number(b));
        return send(
          res,
          200,
          menuPage({ rows, total, all: all.length, pages, query, cudaMajors, user: who }),
          undefined,
          setCsrf,
        );
      }

      const im = new RegExp(`^${UI_BASE}/image/([^/]+)$`).exec(path);
      if (im) {
        const view = await deps.view(decodeURIComponent(im[1]));
        const d = view.d;
        const query = parseFindingsQuery(url.searchParams);
        const findings = filterFindings(view.judged?.findings ?? [], query);
        // first seen: the oldest result of this digest that has the finding (one result per database version)
        const firstSeen = new Map<string, string>();
        for (const r of await store.listResults(d.digest))
          for (const f of r.findings) {
            const k = `${f.id}|${f.package.purl}`;
            if (!firstSeen.has(k)) firstSeen.set(k, r.createdAt.slice(0, 10));
          }
        // history: finding counts of each result (database version) of the repository's last 8 digests
        const history: { label: string; counts: Record<Severity, number> }[] = [];
        const digests = d.repository ? await store.listDigests(d.repository) : [d];
        for (const dd of digests.slice(-8))
          for (const r of await store.listResults(dd.digest))
            history.push({
              label: `${dd.digest.slice(7, 15)} ${r.createdAt.slice(0, 16)}`,
              counts: r.verdict.counts,
            });
        const triage = await store.listTriage();
        const entry = view.entry;
        let replacement: { repository: string; digest?: string } | undefined;
        if (entry?.replacement) {
          const tags = await store.tagHistory(entry.replacement);
          const ds = tags.length ? [] : await store.listDigests(entry.replacement);
          replacement = { repository: entry.replacement, digest: tags[0]?.digest ?? ds.at(-1)?.digest };
        } else if (entry && (entry.tier !== 'golden' || view.judged?.verdict.passed === false)) {
          const golden = (await store.listCatalog()).find(
            (e) => e.tier === 'golden' && e.repository !== entry.repository,
          );
          if (golden) {
            const ds = await store.listDigests(golden.repository);
            replacement = { repository: golden.repository, digest: ds.at(-1)?.digest };
          }
        }
        let summary: string[];
        try {
          summary = renderTable(reportOf(view), { color: false, width: 110, maxListed: 5 }).join('').split('\n');
        } catch (err) {
          // a record from an older analyzer may lack what the table needs: the page still shows everything else
          summary = [`(no scan summary: ${(err as Error).message})`];
        }
        const cut = summary.findIndex((l, i) => i > 2 && l.trim() === '');
        return send(
          res,
          200,
          imagePage({
            view,
            findings,
            query,
            summary: cut > 0 ? summary.slice(0, cut) : summary.slice(0, 12),
            firstSeen,
            history: history.sort((a, b) => a.label.slice(9).localeCompare(b.label.slice(9))),
            triage,
            canTriage: !!user && ROLES.indexOf(user.role) >= ROLES.indexOf('triager'),
            csrf,
            replacement,
            user: who,
            notice: url.searchParams.get('notice')?.slice(0, 300) ?? undefined,
          }),
          undefined,
          setCsrf,
        );
      }

      if (path === `${UI_BASE}/compare`) {
        const a = url.searchParams.get('a') ?? '';
        const b = url.searchParams.get('b') ?? '';
        const choices = (await store.listDigests()).map((x) => ({
          digest: x.digest,
          label: `${x.repository ?? x.target} ${x.digest.slice(0, 19)}`,
        }));
        let report;
        let error: string | undefined;
        if (a && b) {
          try {
            report = compareReports(reportOf(await deps.view(a)), reportOf(await deps.view(b)));
          } catch (err) {
            error = (err as Error).message;
          }
        }
        return send(res, 200, comparePage({ a, b, choices, report, error, user: who }), undefined, setCsrf);
      }

      if (path === `${UI_BASE}/events`) {
        const repository = url.searchParams.get('repository') ?? '';
        const kind = url.searchParams.get('kind') ?? '';
        const events = (await store.listEvents({ repository: repository || undefined, limit: 100000 }))
          .filter((e) => !kind || e.kind === kind)
          .reverse()
          .slice(0, 200);
        return send(res, 200, eventsPage({ events, repository, kind, user: who }), undefined, setCsrf);
      }
      throw new UiError(404, `no such page: ${path}`);
    } catch (err) {
      const status = err instanceof UiError ? err.status : ((err as { status?: number }).status ?? 500);
      if (status === 401 && method === 'GET') return send(res, 401, loginPage(csrf), undefined, setCsrf);
      const message = status === 500 ? `internal error: ${(err as Error).message}` : (err as Error).message;
      if (!res.headersSent) send(res, status, errorPage(status, message, user?.name), undefined, setCsrf);
    }
  };
}
