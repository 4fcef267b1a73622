// What the pages show, computed from the store's records: one summary row per catalog image (the menu), with
// server-side filtering, golden-first ordering and pagination. Pure functions of records: no HTTP, no HTML.
import type { Finding, Suppression } from '../core/finding.ts';
import type { Severity } from '../core/advisory.ts';
import { SEVERITIES } from '../core/advisory.ts';
import type { Inventory } from '../core/package.ts';
import type { ImageSummary, Surface } from '../core/report.ts';
import type { CatalogEntry, DigestRecord, ScanResult, ServiceStore, Tier, Verdict } from '../store/index.ts';
import { TIERS } from '../store/index.ts';

/** A digest with its latest result judged by the entry's policy and the triage decisions (supplied by serve). */
export interface ImageView {
  d: DigestRecord;
  result?: ScanResult;
  entry?: CatalogEntry;
  judged?: { findings: Finding[]; suppressed: Suppression[]; verdict: Verdict };
}

export interface Stack {
  /** PyTorch, TensorFlow, JAX or none */
  framework?: string;
  frameworkVersion?: string;
  cuda?: string;
  python?: string;
}

const FRAMEWORKS: [string, RegExp][] = [
  ['PyTorch', /^(torch|python3-torch)$/],
  ['TensorFlow', /^(tensorflow|tensorflow-cpu|tensorflow-gpu|python3-tensorflow)$/],
  ['JAX', /^jax$/],
];

const envOf = (image: unknown, key: string): string | undefined => {
  const env = (image as ImageSummary | undefined)?.config?.env ?? [];
  const hit = env.find((e) => e.startsWith(`${key}=`));
  return hit?.slice(key.length + 1) || undefined;
};

/** Framework, CUDA and Python versions from the inventory (and the image's ENV as the last resort). */
export function stackOf(inventory: Inventory, image: unknown): Stack {
  const pkgs = inventory.packages;
  const out: Stack = {};
  for (const [name, re] of FRAMEWORKS) {
    const p = pkgs.find((x) => (x.type === 'python' || x.type === 'conda' || x.type === 'deb') && re.test(x.name));
    if (p) {
      out.framework = name;
      out.frameworkVersion = p.version.replace(/\+.*$/, '').replace(/^\d+:/, '');
      break;
    }
  }
  const cudaPkg =
    pkgs.find((p) => p.type === 'cuda') ??
    pkgs.find((p) => /^nvidia-cuda-runtime-cu\d+$/.test(p.name)) ??
    pkgs.find((p) => /^cuda-cudart-\d+-\d+$/.test(p.name));
  const torchCuda = pkgs
    .find((p) => p.name === 'torch' && /\+cu\d{3}/.test(p.version))
    ?.version.match(/\+cu(\d+)(\d)$/);
  out.cuda =
    envOf(image, 'CUDA_VERSION') ??
    cudaPkg?.version.replace(/^\d+:/, '').match(/^\d+\.\d+/)?.[0] ??
    (torchCuda ? `${torchCuda[1]}.${torchCuda[2]}` : undefined);
  const py =
    pkgs.find((p) => ['deb', 'apk', 'rpm', 'binary'].includes(p.type) && /^python3(\.\d+)?(-minimal)?$/.test(p.name)) ??
    pkgs.find((p) => p.type === 'conda' && p.name === 'python');
  out.python = envOf(image, 'PYTHON_VERSION') ?? py?.version.replace(/^\d+:/, '').match(/^\d+\.\d+(\.\d+)?/)?.[0];
  return out;
}

export interface MenuRow {
  repository: string;
  tier: Tier;
  description?: string;
  owner?: string;
  replacement?: string;
  digest?: string;
  /** pull reference by digest */
  pull?: string;
  stack: Stack;
  sizeBytes?: number;
  packages?: number;
  executables?: number;
  counts: Record<Severity, number>;
  passed?: boolean;
  suppressed: number;
  imageCreated?: string;
  scannedAt?: string;
}

export function sizeOf(image: unknown): number | undefined {
  const layers = (image as ImageSummary | undefined)?.layers;
  if (layers?.length) return layers.reduce((n, l) => n + (l.compressedSize || l.uncompressedSize || 0), 0);
  return undefined;
}

export function rowOf(entry: CatalogEntry, view: ImageView | undefined): MenuRow {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const row: MenuRow = {
    repository: entry.repository,
    tier: entry.tier,
    description: entry.description,
    owner: entry.owner,
    replacement: entry.replacement,
    stack: {},
    counts,
    suppressed: 0,
  };
  if (!view) return row;
  const { d, result, judged } = view;
  const surface = d.analysis.surface as Surface | undefined;
  row.digest = d.digest;
  row.pull = `${entry.repository}@${d.digest}`;
  row.stack = stackOf(d.inventory, d.image);
  row.sizeBytes = sizeOf(d.image) ?? surface?.totalBytes;
  row.packages = d.inventory.packages.length;
  row.executables = surface?.executables;
  // reproducible builds stamp 1970-01-01: that says nothing about the image's age
  const created = (d.image as ImageSummary | undefined)?.config?.created;
  row.imageCreated = created && Date.parse(created) > Date.UTC(1990, 0, 1) ? created : undefined;
  if (judged) {
    Object.assign(counts, judged.verdict.counts);
    row.passed = judged.verdict.passed;
    row.suppressed = judged.verdict.suppressed;
  }
  row.scannedAt = result?.createdAt;
  return row;
}

export interface MenuQuery {
  q: string;
  tier: string;
  framework: string;
  cuda: string;
  /** only images with no critical or high finding */
  clean: boolean;
  page: number;
  per: number;
}

export const PAGE_SIZES = [25, 50, 100] as const;

const pick = (v: string | null, allowed: readonly string[]): string => (v && allowed.includes(v) ? v : '');

export function parseMenuQuery(p: URLSearchParams): MenuQuery {
  const per = Number(p.get('per'));
  const page = Number(p.get('page'));
  return {
    q: (p.get('q') ?? '').slice(0, 200),
    tier: pick(p.get('tier'), TIERS),
    framework: pick(p.get('framework'), ['PyTorch', 'TensorFlow', 'JAX', 'none']),
    cuda: /^\d{1,3}$|^none$/.test(p.get('cuda') ?? '') ? p.get('cuda')! : '',
    clean: p.get('clean') === '1',
    page: Number.isInteger(page) && page > 0 ? page : 1,
    per: (PAGE_SIZES as readonly number[]).includes(per) ? per : 50,
  };
}

export function menuQueryString(q: MenuQuery, change: Partial<MenuQuery> = {}): string {
  const m = { ...q, ...change };
  const p = new URLSearchParams();
  if (m.q) p.set('q', m.q);
  if (m.tier) p.set('tier', m.tier);
  if (m.framework) p.set('framework', m.framework);
  if (m.cuda) p.set('cuda', m.cuda);
  if (m.clean) p.set('clean', '1');
  if (m.per !== 50) p.set('per', String(m.per));
  if (m.page > 1) p.set('page', String(m.page));
  const s = p.toString();
  return s ? `?${s}` : '';
}

const tierRank = (t: Tier): number => TIERS.indexOf(t);

export function filterMenu(rows: MenuRow[], q: MenuQuery): { rows: MenuRow[]; total: number; pages: number } {
  const needle = q.q.toLowerCase();
  const hits = rows.filter(
    (r) =>
      (!q.tier || r.tier === q.tier) &&
      (!q.framework || (r.stack.framework ?? 'none') === q.framework) &&
      (!q.cuda || (q.cuda === 'none' ? !r.stack.cuda : r.stack.cuda?.split('.')[0] === q.cuda)) &&
      (!q.clean || (r.digest !== undefined && r.counts.critical === 0 && r.counts.high === 0)) &&
      (!needle ||
        r.repository.toLowerCase().includes(needle) ||
        (r.description ?? '').toLowerCase().includes(needle) ||
        (r.stack.framework ?? '').toLowerCase().includes(needle)),
  );
  // golden first, then candidate…; within a tier the fewest critical/high findings first, then by name
  hits.sort(
    (a, b) =>
      tierRank(a.tier) - tierRank(b.tier) ||
      a.counts.critical + a.counts.high - (b.counts.critical + b.counts.high) ||
      a.repository.localeCompare(b.repository),
  );
  const pages = Math.max(1, Math.ceil(hits.length / q.per));
  const page = Math.min(q.page, pages);
  return { rows: hits.slice((page - 1) * q.per, page * q.per), total: hits.length, pages };
}

/** The digest a catalog entry's card shows: the newest tag observation, else the newest stored digest. */
async function latestDigest(store: ServiceStore, entry: CatalogEntry): Promise<string | undefined> {
  const tags = await store.tagHistory(entry.repository);
  const preferred = entry.tags.map((t) => tags.find((x) => x.tag === t)).find(Boolean);
  if (preferred ?? tags[0]) return (preferred ?? tags[0]).digest;
  const digests = await store.listDigests(entry.repository);
  return digests.at(-1)?.digest;
}

/**
 * Menu rows for every catalog entry. A row is recomputed only when its digest, result count, triage decisions or
 * catalog entry changed: reading 1,000 inventories and results takes seconds, so the service computes the rows
 * once when it starts (in the background) and each later page load only checks the keys and recomputes what
 * changed.
 */
export function createMenuSource(store: ServiceStore, view: (digest: string) => Promise<ImageView>) {
  const cache = new Map<string, { key: string; row: MenuRow }>();
  let inflight: Promise<MenuRow[]> | undefined;
  // concurrent requests share one computation
  return (): Promise<MenuRow[]> => (inflight ??= compute().finally(() => (inflight = undefined)));
  async function compute(): Promise<MenuRow[]> {
    const triage = await store.listTriage();
    const triageKey = triage.map((t) => `${t.id}:${t.until ?? ''}`).join(',');
    const rows: MenuRow[] = [];
    for (const entry of await store.listCatalog()) {
      const digest = await latestDigest(store, entry);
      const key = `${digest}|${digest ? await store.countResults(digest) : 0}|${triageKey}|${entry.updatedAt}`;
      const hit = cache.get(entry.repository);
      if (hit?.key === key) {
        rows.push(hit.row);
        continue;
      }
      // the embedded store answers synchronously: let other requests (health checks) through now and then
      if (rows.length % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
      const row = rowOf(entry, digest ? await view(digest) : undefined);
      cache.set(entry.repository, { key, row });
      rows.push(row);
    }
    return rows;
  }
}

/** Findings table query: severity filter, search, sort (all in the URL). */
export interface FindingsQuery {
  severity: Severity[];
  q: string;
  fixable: '' | 'yes' | 'no';
  sort: 'severity' | 'id' | 'package' | 'epss' | 'fix';
  dir: 'asc' | 'desc';
}

export function parseFindingsQuery(p: URLSearchParams): FindingsQuery {
  const sev = p.getAll('severity').filter((s): s is Severity => (SEVERITIES as readonly string[]).includes(s));
  const sort = p.get('sort');
  const fixable = p.get('fixable');
  return {
    severity: sev,
    q: (p.get('q') ?? '').slice(0, 200),
    fixable: fixable === 'yes' || fixable === 'no' ? fixable : '',
    sort: sort === 'id' || sort === 'package' || sort === 'epss' || sort === 'fix' ? sort : 'severity',
    dir: p.get('dir') === 'asc' ? 'asc' : 'desc',
  };
}

export function filterFindings(findings: Finding[], q: FindingsQuery): Finding[] {
  const needle = q.q.toLowerCase();
  const out = findings.filter(
    (f) =>
      (!q.severity.length || q.severity.includes(f.severity)) &&
      (!q.fixable || f.fixedVersions.length > 0 === (q.fixable === 'yes')) &&
      (!needle ||
        f.id.toLowerCase().includes(needle) ||
        f.aliases.some((a) => a.toLowerCase().includes(needle)) ||
        f.package.name.toLowerCase().includes(needle) ||
        (f.title ?? '').toLowerCase().includes(needle)),
  );
  const sevRank = (s: Severity) => SEVERITIES.length - SEVERITIES.indexOf(s);
  const cmp: Record<FindingsQuery['sort'], (a: Finding, b: Finding) => number> = {
    severity: (a, b) => sevRank(a.severity) - sevRank(b.severity) || b.id.localeCompare(a.id),
    id: (a, b) => a.id.localeCompare(b.id),
    package: (a, b) => a.package.name.localeCompare(b.package.name) || a.id.localeCompare(b.id),
    epss: (a, b) => (a.epss?.score ?? -1) - (b.epss?.score ?? -1),
    fix: (a, b) => a.fixState.localeCompare(b.fixState) || a.id.localeCompare(b.id),
  };
  out.sort(cmp[q.sort]);
  if (q.dir === 'desc') out.reverse();
  return out;
}
