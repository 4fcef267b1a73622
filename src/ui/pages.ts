// Server-rendered HTML pages. Every value that comes from outside (advisory text, package names, labels,
// repository names) goes through escapeHtml; charts are plain SVG with fill attributes (no inline style, no
// inline script: the Content-Security-Policy allows only our own stylesheet and script).
import type { Finding, Suppression } from '../core/finding.ts';
import type { Severity } from '../core/advisory.ts';
import { SEVERITIES } from '../core/advisory.ts';
import type { ImageSummary, BloatReport } from '../core/report.ts';
import type { ServiceEvent, TriageDecision } from '../store/index.ts';
import { TIERS, VEX_JUSTIFICATIONS, TRIAGE_STATUSES } from '../store/index.ts';
import { escapeHtml as h, formatBytes as humanBytes, renderCompareHtml, type CompareReport } from '../report/index.ts';
import type { MenuRow, MenuQuery, FindingsQuery, ImageView } from './model.ts';
import { menuQueryString, PAGE_SIZES, stackOf, sizeOf } from './model.ts';
import { SEV_COLORS } from './assets.ts';

export const UI_BASE = '/ui';
const enc = encodeURIComponent;
export const imageHref = (digest: string, query = ''): string => `${UI_BASE}/image/${enc(digest)}${query}`;

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (Number.isNaN(s)) return '—';
  if (s < 90) return `${Math.round(s)} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

type Nav = 'menu' | 'compare' | 'events' | 'image' | 'login';

export function layout(title: string, nav: Nav, body: string, user?: string): string {
  const link = (href: string, label: string, key: Nav): string =>
    `<a href="${href}"${nav === key ? ' aria-current="page"' : ''}>${label}</a>`;
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${h(title)} · zerocve</title>`,
    `<link rel="stylesheet" href="${UI_BASE}/assets/ui.css"><script src="${UI_BASE}/assets/ui.js" defer></script>`,
    '</head><body><a class="skip" href="#main">Skip to content</a>',
    '<header class="top"><span class="brand">zerocve</span><nav aria-label="Main">',
    link(`${UI_BASE}/`, 'Catalog', 'menu'),
    ' ',
    link(`${UI_BASE}/compare`, 'Compare', 'compare'),
    ' ',
    link(`${UI_BASE}/events`, 'Events', 'events'),
    '</nav>',
    user ? `<span class="muted">signed in as ${h(user)}</span>` : '',
    `</header><main id="main">${body}</main></body></html>`,
  ].join('');
}

/** Findings by severity as one stacked horizontal bar. */
export function stackedBar(counts: Record<Severity, number>, width = 160): string {
  const total = SEVERITIES.reduce((n, s) => n + counts[s], 0);
  const label =
    SEVERITIES.filter((s) => counts[s])
      .map((s) => `${counts[s]} ${s}`)
      .join(', ') || 'no findings';
  let x = 0;
  const rects = SEVERITIES.filter((s) => counts[s] > 0).map((s) => {
    const w = (counts[s] / total) * width;
    const r =
      `<rect class="seg-${s}" x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="12" fill="` +
      `${SEV_COLORS[s]}"/>`;
    x += w;
    return r;
  });
  if (!total) rects.push(`<rect x="0" y="0" width="${width}" height="12" fill="#2da44e"/>`);
  return (
    `<svg class="stacked" width="${width}" height="12" role="img" aria-label="${h(label)}"><title>` +
    `${h(label)}</title>${rects.join('')}</svg>`
  );
}

/** Horizontal bars with a label and a value text each (bloat categories, largest files, device code per arch). */
export function barChart(id: string, title: string, items: { label: string; value: number; text: string }[]): string {
  if (!items.length) return '<p class="muted">none</p>';
  const max = Math.max(...items.map((i) => i.value), 1);
  const rowH = 18;
  const labelW = 260;
  const barW = 300;
  const rows = items.map((it, i) => {
    const w = Math.max(1, (it.value / max) * barW);
    const y = i * rowH;
    const label = it.label.length > 42 ? `…${it.label.slice(-41)}` : it.label;
    return (
      `<g class="bar"><text x="0" y="${y + 12}">${h(label)}</text>` +
      `<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="12" fill="#0969da"/>` +
      `<text x="${labelW + w + 6}" y="${y + 13}">${h(it.text)}</text></g>`
    );
  });
  return (
    `<svg id="${id}" width="${labelW + barW + 90}" height="${items.length * rowH + 4}" role="img" ` +
    `aria-label="${h(title)}"><title>${h(title)}</title>${rows.join('')}</svg>`
  );
}

/** Finding counts by severity per (digest, database version), oldest first: stacked columns. */
export function historyChart(points: { label: string; counts: Record<Severity, number> }[]): string {
  if (!points.length) return '<p class="muted">no results yet</p>';
  const colW = 46;
  const gap = 18;
  const chartH = 140;
  const max = Math.max(1, ...points.map((p) => SEVERITIES.reduce((n, s) => n + p.counts[s], 0)));
  const cols = points.map((p, i) => {
    const x = 30 + i * (colW + gap);
    let y = chartH;
    const total = SEVERITIES.reduce((n, s) => n + p.counts[s], 0);
    const rects = [...SEVERITIES].reverse().map((s) => {
      const hgt = (p.counts[s] / max) * (chartH - 10);
      y -= hgt;
      return hgt > 0
        ? `<rect x="${x}" y="${y.toFixed(1)}" width="${colW}" height="${hgt.toFixed(1)}" fill="${SEV_COLORS[s]}"/>`
        : '';
    });
    return (
      `<g class="col"><title>${h(p.label)}: ${total} findings</title>${rects.join('')}` +
      `<text x="${x}" y="${chartH + 14}">${h(p.label.slice(0, 8))}</text>` +
      `<text x="${x}" y="${Math.max(10, y - 3).toFixed(1)}">${total}</text></g>`
    );
  });
  const summary = points.map((p) => `${p.label}: ${SEVERITIES.reduce((n, s) => n + p.counts[s], 0)}`).join('; ');
  return (
    `<svg id="history-chart" width="${40 + points.length * (colW + gap)}" height="${chartH + 22}" ` +
    `role="img" aria-label="${h(`Findings over time: ${summary}`)}"><title>Findings by severity per ` +
    `database version and digest</title>${cols.join('')}</svg>${legend()}`
  );
}

const legend = (): string =>
  `<p class="legend" aria-hidden="true">` +
  `${SEVERITIES.map((s) => `<span><i class="k-${s}"></i>${s}</span>`).join('')}</p>`;

const tierBadge = (t: string): string => `<span class="tier tier-${h(t)}">${h(t)}</span>`;
const verdictText = (passed: boolean | undefined): string =>
  passed === undefined
    ? '<span class="muted">not scanned</span>'
    : passed
      ? '<span class="pass">pass</span>'
      : '<span class="fail">fail</span>';
const copyButton = (text: string, label: string): string =>
  `<button type="button" data-copy="${h(text)}" aria-label="${h(label)}">Copy</button>`;

export interface MenuPageData {
  rows: MenuRow[];
  total: number;
  all: number;
  pages: number;
  query: MenuQuery;
  cudaMajors: string[];
  user?: string;
}

export function menuPage(m: MenuPageData): string {
  const q = m.query;
  const opt = (v: string, label: string, cur: string): string =>
    `<option value="${h(v)}"${v === cur ? ' selected' : ''}>${h(label)}</option>`;
  const filters = [
    `<form class="filters" method="get" action="${UI_BASE}/" role="search" aria-label="Filter the catalog">`,
    `<label>Search<input type="search" name="q" value="${h(q.q)}" placeholder="name, description"></label>`,
    `<label>Tier<select name="tier">${opt('', 'any', q.tier)}${TIERS.map((t) => opt(t, t, q.tier)).join('')}` +
      `</select></label>`,
    `<label>Framework<select name="framework">${opt('', 'any', q.framework)}` +
      `${['PyTorch', 'TensorFlow', 'JAX', 'none'].map((f) => opt(f, f, q.framework)).join('')}` +
      `</select></label>`,
    `<label>CUDA major<select name="cuda">${opt('', 'any', q.cuda)}` +
      `${m.cudaMajors.map((c) => opt(c, `CUDA ${c}`, q.cuda)).join('')}${opt('none', 'no CUDA', q.cuda)}` +
      `</select></label>`,
    `<label class="inline"><input type="checkbox" name="clean" value="1"${q.clean ? ' checked' : ''}>zero ` +
      `critical/high</label>`,
    `<label>Per page<select name="per">` +
      `${PAGE_SIZES.map((n) => opt(String(n), String(n), String(q.per))).join('')}</select></label>`,
    '<button class="primary" type="submit">Apply</button>',
    `<a href="${UI_BASE}/">Reset</a></form>`,
  ].join('');
  const rows = m.rows.map((r) => {
    const s = r.stack;
    const name = r.digest
      ? `<a class="repo" href="${imageHref(r.digest)}">${h(r.repository)}</a>`
      : `<span class="repo">${h(r.repository)}</span>`;
    return [
      `<tr data-repo="${h(r.repository)}">`,
      `<td>${name} ${tierBadge(r.tier)}<br><span class="muted">${h(r.description ?? '')}</span>`,
      r.replacement && (r.tier === 'deprecated' || r.tier === 'blocked')
        ? `<br>use instead: <span class="repo">${h(r.replacement)}</span>`
        : '',
      '</td>',
      `<td>${s.framework ? `${h(s.framework)} ${h(s.frameworkVersion ?? '')}` : '—'}</td>`,
      `<td>${h(s.cuda ?? '—')}</td><td>${h(s.python ?? '—')}</td>`,
      `<td class="num">${r.sizeBytes !== undefined ? h(humanBytes(r.sizeBytes)) : '—'}</td>`,
      `<td class="num">${r.packages ?? '—'}</td><td class="num">${r.executables ?? '—'}</td>`,
      `<td>${r.digest ? stackedBar(r.counts, 120) : ''}<br><span class="counts">${SEVERITIES.filter(
        (sv, i) => i < 4 || r.counts[sv] > 0,
      )
        .map((sv) => `<span class="sev sev-${sv}" data-sev="${sv}">${r.counts[sv]}${sv[0].toUpperCase()}</span>`)
        .join(' ')}</span></td>`,
      `<td>${h(ago(r.imageCreated))}</td><td>${h(ago(r.scannedAt))}</td>`,
      `<td class="verdict">${verdictText(r.passed)}</td>`,
      '<td>' +
        (r.pull
          ? `<code class="pull">${h(r.pull)}</code> ` +
            copyButton(`docker pull ${r.pull}`, `Copy pull command for ${r.repository}`)
          : '—') +
        '</td>',
      '</tr>',
    ].join('');
  });
  const pageLink = (p: number, label: string): string =>
    `<a href="${UI_BASE}/${h(menuQueryString(q, { page: p }))}" rel="${p < q.page ? 'prev' : 'next'}">${label}</a>`;
  const page = Math.min(q.page, m.pages);
  const pager =
    `<nav class="pager" aria-label="Pages">${page > 1 ? pageLink(page - 1, '← Previous') : ''}` +
    `<span>page ${page} of ${m.pages}</span>${page < m.pages ? pageLink(page + 1, 'Next →') : ''}</nav>`;
  return layout(
    'Catalog',
    'menu',
    [
      '<h1>Golden image catalog</h1>',
      `<p class="muted" id="match-count">${m.total} of ${m.all} images match · golden first</p>`,
      filters,
      '<table id="catalog"><caption class="skip">Catalog images</caption><thead><tr>',
      '<th scope="col">Image</th><th scope="col">Framework</th><th scope="col">CUDA</th><th scope="col">Python</th>',
      '<th scope="col" class="num">Size</th><th scope="col" class="num">Packages</th><th scope="col" ' +
        'class="num">Executables</th>',
      '<th scope="col">Findings</th><th scope="col">Image age</th><th scope="col">Last scan</th><th ' +
        'scope="col">Verdict</th><th scope="col">Pull by digest</th>',
      `</tr></thead><tbody>${rows.join('')}</tbody></table>`,
      m.rows.length ? '' : '<p>No image matches these filters.</p>',
      pager,
    ].join(''),
    m.user,
  );
}

export interface ImagePageData {
  view: ImageView;
  findings: Finding[];
  query: FindingsQuery;
  /** the summary lines of `zerocve scan` (table format) */
  summary: string[];
  firstSeen: Map<string, string>;
  history: { label: string; counts: Record<Severity, number> }[];
  triage: TriageDecision[];
  canTriage: boolean;
  csrf: string;
  replacement?: { repository: string; digest?: string };
  user?: string;
  notice?: string;
}

const findingKey = (f: Finding): string => `${f.id}|${f.package.purl}`;

function originOf(f: Finding, image: ImageSummary | undefined): string {
  const layer = f.package.locations?.[0]?.layer;
  const layers = image?.layers?.length ?? 0;
  if (layer === undefined || layer < 0 || layers < 2) return 'unknown';
  return layer === 0 ? 'base image' : `app (layer ${layer})`;
}

export function imagePage(p: ImagePageData): string {
  const { d, result, entry, judged } = p.view;
  const image = d.image as ImageSummary | undefined;
  const repo = d.repository ?? '';
  const stack = stackOf(d.inventory, d.image);
  const fq = p.query;
  const base = imageHref(d.digest);
  const qs = (change: Partial<FindingsQuery>): string => {
    const m = { ...fq, ...change };
    const u = new URLSearchParams();
    for (const s of m.severity) u.append('severity', s);
    if (m.q) u.set('q', m.q);
    if (m.fixable) u.set('fixable', m.fixable);
    u.set('sort', m.sort);
    u.set('dir', m.dir);
    return `?${u.toString()}#findings`;
  };
  const sortHeader = (key: FindingsQuery['sort'], label: string): string => {
    const active = fq.sort === key;
    const dir = active && fq.dir === 'desc' ? 'asc' : 'desc';
    return (
      `<th scope="col" aria-sort="${active ? (fq.dir === 'desc' ? 'descending' : 'ascending') : 'none'}` +
      `"><a href="${h(base + qs({ sort: key, dir }))}">${label}` +
      `${active ? (fq.dir === 'desc' ? ' ↓' : ' ↑') : ''}</a></th>`
    );
  };
  const out: string[] = [];
  out.push(
    `<h1>${h(repo || d.target)} ${entry ? tierBadge(entry.tier) : ''}</h1>`,
    `<p><code class="pull">${h(repo ? `${repo}@${d.digest}` : d.digest)}</code> ` +
      `${copyButton(repo ? `docker pull ${repo}@${d.digest}` : d.digest, 'Copy pull command')}</p>`,
  );
  if (p.notice) out.push(`<p class="notice" role="status">${h(p.notice)}</p>`);
  if (entry && (entry.tier === 'deprecated' || entry.tier === 'blocked' || judged?.verdict.passed === false)) {
    const rep = p.replacement;
    out.push(
      '<div class="notice" id="replacement"><strong>' +
        (entry.tier === 'deprecated' || entry.tier === 'blocked'
          ? `This image is ${h(entry.tier)}.`
          : 'This image fails its policy.') +
        '</strong> ',
      rep
        ? `Recommended golden replacement: ` +
            `${rep.digest ? `<a href="${imageHref(rep.digest)}">${h(rep.repository)}</a>` : h(rep.repository)}`
        : 'No golden replacement is recorded in the catalog.',
      '</div>',
    );
  }
  out.push(
    '<dl class="summary">',
    `<dt>Description</dt><dd>${h(entry?.description ?? '—')}</dd>`,
    `<dt>Owner</dt><dd>${h(entry?.owner ?? '—')}</dd>`,
    `<dt>Framework</dt><dd>${stack.framework ? `${h(stack.framework)} ${h(stack.frameworkVersion ?? '')}` : '—'}</dd>`,
    `<dt>CUDA</dt><dd>${h(stack.cuda ?? '—')}</dd><dt>Python</dt><dd>${h(stack.python ?? '—')}</dd>`,
    `<dt>Size</dt><dd>${sizeOf(d.image) !== undefined ? h(humanBytes(sizeOf(d.image)!)) : '—'}</dd>`,
    `<dt>Verdict</dt><dd id="verdict">${verdictText(judged?.verdict.passed)}` +
      `${judged?.verdict.threshold ? ` (fails on ${h(judged.verdict.threshold)})` : ''}</dd>`,
    `<dt>Database</dt><dd>${h(result?.dbVersion ?? '—')} · scanned ${h(ago(result?.createdAt))}</dd>`,
    `<dt>Downloads</dt><dd><a href="/api/v1/images/${enc(d.digest)}/sbom" download>SBOM (CycloneDX)</a>`,
    repo && entry ? ` · <a href="/api/v1/vex/${enc(repo)}" download>VEX (OpenVEX)</a>` : '',
    ` · <a href="${UI_BASE}/compare?a=${enc(d.digest)}">Compare with…</a></dd>`,
    '</dl>',
    `<details><summary>As <code>zerocve scan</code> shows it</summary><pre id="scan-summary">` +
      `${h(p.summary.join('\n'))}</pre></details>`,
  );

  // findings
  const shown = p.findings;
  out.push(
    `<h2 id="findings">Findings <span class="muted">(${shown.length} of ${judged?.findings.length ?? 0} ` +
      `shown)</span></h2>`,
    `<form class="filters" method="get" action="${h(base)}" role="search" aria-label="Filter findings">`,
    `<label>Search<input type="search" name="q" value="${h(fq.q)}" placeholder="id, alias, package, title"></label>`,
    `<fieldset><legend class="muted">Severity</legend>` +
      `${SEVERITIES.map(
        (s) =>
          `<label class="inline"><input type="checkbox" name="severity" value="${s}"` +
          `${fq.severity.includes(s) ? ' checked' : ''}>${s}</label>`,
      ).join(' ')}` +
      `</fieldset>`,
    `<label>Fix<select name="fixable"><option value="">any</option><option value="yes"` +
      `${fq.fixable === 'yes' ? ' selected' : ''}>has a fix</option><option value="no"` +
      `${fq.fixable === 'no' ? ' selected' : ''}>no fix</option></select></label>`,
    `<input type="hidden" name="sort" value="${h(fq.sort)}"><input type="hidden" name="dir" value="${h(fq.dir)}">`,
    `<button class="primary" type="submit">Apply</button> <a href="${h(base)}#findings">Reset</a></form>`,
    '<table id="findings-table"><caption class="skip">Findings</caption><thead><tr>',
    sortHeader('severity', 'Severity'),
    sortHeader('id', 'ID and aliases'),
    sortHeader('package', 'Package'),
    '<th scope="col">Installed</th><th scope="col">Fixed in</th>',
    sortHeader('fix', 'Fix state'),
    '<th scope="col">KEV</th>',
    sortHeader('epss', 'EPSS'),
    '<th scope="col">From</th><th scope="col">First seen</th>',
    p.canTriage ? '<th scope="col">Triage</th>' : '',
    '</tr></thead><tbody>',
  );
  for (const f of shown) {
    out.push(
      `<tr data-id="${h(f.id)}">`,
      `<td><span class="sev sev-${f.severity}">${f.severity}</span></td>`,
      `<td><strong>${h(f.id)}</strong>` +
        `${f.aliases.length ? `<br><span class="muted">${h(f.aliases.join(', '))}</span>` : ''}` +
        `${f.title ? `<br>${h(f.title)}` : ''}</td>`,
      `<td>${h(f.package.name)}<br><span class="muted">${h(f.package.type)}</span></td>`,
      `<td>${h(f.installedVersion)}</td><td>${h(f.fixedVersions.join(', ') || '—')}</td><td>${h(f.fixState)}</td>`,
      `<td>${f.kev ? '<strong>KEV</strong>' : '—'}</td>`,
      `<td class="num">${f.epss ? `${(f.epss.score * 100).toFixed(1)}%` : '—'}</td>`,
      `<td>${h(originOf(f, image))}</td><td>` +
        `${h(p.firstSeen.get(findingKey(f)) ?? result?.createdAt?.slice(0, 10) ?? '—')}</td>`,
    );
    if (p.canTriage) out.push(`<td>${triageForm(f, repo || '*', d.digest, p.csrf)}</td>`);
    out.push('</tr>');
  }
  out.push('</tbody></table>');
  if (!shown.length) out.push('<p>No finding matches.</p>');

  // suppressed
  const supp: Suppression[] = judged?.suppressed ?? [];
  const decisionOf = (s: Suppression): TriageDecision | undefined =>
    p.triage.find((t) => s.rule?.includes(`triage #${t.id} `) || s.reason.includes(`triage #${t.id} `));
  out.push(
    `<h2 id="suppressed">Suppressed findings <span class="muted">(${supp.length})</span></h2>`,
    supp.length
      ? '<table id="suppressed-table"><thead><tr><th scope="col">ID</th><th scope="col">Package</th><th ' +
          'scope="col">By</th><th scope="col">Who</th><th scope="col">Why</th></tr></thead><tbody>' +
          supp
            .map((s) => {
              const t = decisionOf(s);
              return (
                `<tr data-id="${h(s.finding.id)}"><td>${h(s.finding.id)}</td><td>` +
                `${h(s.finding.package.name)} ${h(s.finding.installedVersion)}</td><td>${h(s.by)}</td><td>` +
                `${h(t?.author ?? s.rule ?? '—')}</td><td>` +
                `${h(t ? [t.status, t.justification, t.action].filter(Boolean).join(': ') : s.reason)}` +
                `</td></tr>`
              );
            })
            .join('') +
          '</tbody></table>'
      : '<p class="muted">none</p>',
  );

  // layers, bloat, GPU, models, history
  const layers = image?.layers ?? [];
  out.push(
    '<h2>Layers</h2>',
    layers.length
      ? `<table id="layers"><thead><tr><th scope="col">#</th><th scope="col">Created by</th><th scope="col" ` +
          `class="num">Compressed</th><th scope="col" class="num">Uncompressed</th><th scope="col" ` +
          `class="num">Files</th></tr></thead><tbody>` +
          layers
            .map(
              (l) =>
                `<tr><td>${l.index}</td><td><code>${h((l.createdBy ?? l.digest).slice(0, 120))}` +
                `</code></td><td class="num">${h(humanBytes(l.compressedSize))}</td><td class="num">` +
                `${h(humanBytes(l.uncompressedSize))}</td><td class="num">${l.files}</td></tr>`,
            )
            .join('') +
          '</tbody></table>'
      : '<p class="muted">no layers (a file system scan)</p>',
  );
  const bloat = d.analysis.bloat as BloatReport | undefined;
  out.push('<h2>Bloat</h2>');
  if (bloat) {
    out.push(
      `<p>${h(humanBytes(bloat.totalBytes))} in total, ${h(humanBytes(bloat.removableBytes))} removable ` +
        `without knowing the workload.</p>`,
      '<div class="grid2"><div><h3>By category</h3>',
      barChart(
        'bloat-chart',
        'Bytes by category',
        bloat.categories.slice(0, 12).map((c) => ({ label: c.category, value: c.bytes, text: humanBytes(c.bytes) })),
      ),
      '</div><div><h3>Largest offenders</h3>',
      barChart(
        'offenders-chart',
        'Largest files',
        bloat.topOffenders.slice(0, 12).map((o) => ({ label: o.path, value: o.bytes, text: humanBytes(o.bytes) })),
      ),
      '</div></div>',
    );
  } else out.push('<p class="muted">not analysed</p>');
  const gpu = d.analysis.sections?.gpu as
    | { archs?: { arch: string; cubinBytes: number; ptxBytes: number; files: number }[]; totalBytes?: number }
    | undefined;
  out.push('<h2>GPU device code</h2>');
  out.push(
    gpu?.archs?.length
      ? barChart(
          'gpu-chart',
          'Device code bytes per architecture',
          gpu.archs.map((a) => ({
            label: a.arch,
            value: a.cubinBytes + a.ptxBytes,
            text: `${humanBytes(a.cubinBytes)} cubin, ${humanBytes(a.ptxBytes)} PTX, ${a.files} files`,
          })),
        )
      : '<p class="muted">no GPU device code</p>',
  );
  const models = (d.analysis.sections?.models ?? []) as {
    path: string;
    format?: string;
    size?: number;
    unsafeImports?: string[];
  }[];
  out.push(
    '<h2>Model files</h2>',
    models.length
      ? `<table id="models"><thead><tr><th scope="col">Path</th><th scope="col">Format</th><th scope="col" ` +
          `class="num">Size</th><th scope="col">Unsafe imports</th></tr></thead><tbody>` +
          models
            .map(
              (m) =>
                `<tr><td><code>${h(m.path)}</code></td><td>${h(m.format ?? '')}</td><td class="num">` +
                `${m.size !== undefined ? h(humanBytes(m.size)) : '—'}</td><td>` +
                `${h((m.unsafeImports ?? []).join(', ') || '—')}</td></tr>`,
            )
            .join('') +
          '</tbody></table>'
      : '<p class="muted">no model files</p>',
    '<h2>History</h2>',
    historyChart(p.history),
  );
  return layout(repo || d.digest, 'image', out.join(''), p.user);
}

function triageForm(f: Finding, repository: string, digest: string, csrf: string): string {
  const id = `t-${h(f.id)}-${h(f.package.name)}`.replace(/[^\w-]/g, '_');
  return [
    `<details class="triage"><summary>Triage</summary>`,
    `<form method="post" action="${UI_BASE}/triage">`,
    `<input type="hidden" name="csrf" value="${h(csrf)}">`,
    `<input type="hidden" name="digest" value="${h(digest)}">`,
    `<input type="hidden" name="repository" value="${h(repository)}">`,
    `<input type="hidden" name="findingId" value="${h(f.id)}">`,
    `<input type="hidden" name="package" value="${h(f.package.purl)}">`,
    `<label for="${id}-s">Status</label><select id="${id}-s" name="status">` +
      `${TRIAGE_STATUSES.map((s) => `<option>${s}</option>`).join('')}</select>`,
    `<label for="${id}-j">Justification (not_affected)</label><select id="${id}-j" ` +
      `name="justification"><option value=""></option>` +
      `${VEX_JUSTIFICATIONS.map((j) => `<option>${j}</option>`).join('')}</select>`,
    `<label for="${id}-a">Action statement (affected)</label><input id="${id}-a" name="action">`,
    `<button class="primary" type="submit">Record decision</button></form></details>`,
  ].join('');
}

export function comparePage(data: {
  a: string;
  b: string;
  choices: { digest: string; label: string }[];
  report?: CompareReport;
  error?: string;
  user?: string;
}): string {
  const select = (name: 'a' | 'b', label: string, cur: string): string =>
    `<label>${label}<select name="${name}"><option value="">choose…</option>${data.choices
      .map((c) => `<option value="${h(c.digest)}"${c.digest === cur ? ' selected' : ''}>${h(c.label)}</option>`)
      .join('')}</select></label>`;
  const out = [
    '<h1>Compare two images</h1>',
    `<form class="filters" method="get" action="${UI_BASE}/compare" aria-label="Choose images">`,
    select('a', 'A (before)', data.a),
    select('b', 'B (after)', data.b),
    '<button class="primary" type="submit">Compare</button></form>',
  ];
  if (data.error) out.push(`<p class="notice" role="alert">${h(data.error)}</p>`);
  if (data.report) {
    // the report's own HTML renderer (as `zerocve compare -f html`): its body, inside this page
    const html = renderCompareHtml(data.report).join('\n');
    const header = /<header>([\s\S]*?)<\/header>/.exec(html)?.[1] ?? '';
    const main = /<main>([\s\S]*)<\/main>/.exec(html)?.[1] ?? '';
    const sides = (['a', 'b'] as const).map(
      (k) =>
        `<div><h2>${k.toUpperCase()}: ${h(data.report![k].image)}</h2>` +
        `${stackedBar(data.report![k].findings as Record<Severity, number>, 200)}<p class="muted">` +
        `${h(data.report![k].os)} · shells: ${h(data.report![k].shells.join(', ') || 'none')} · package ` +
        `managers: ${h(data.report![k].packageManagers.join(', ') || 'none')}</p></div>`,
    );
    out.push(
      `<div id="compare">${header.replace(/<h1>/, '<p class="repo">').replace(/<\/h1>/, '</p>')}`,
      `<div class="grid2">${sides.join('')}</div>${main.replace(/<section><h2>/g, '<section><h2>')}</div>`,
    );
  }
  return layout('Compare', 'compare', out.join(''), data.user);
}

export function eventsPage(data: {
  events: ServiceEvent[];
  repository: string;
  kind: string;
  next?: number;
  user?: string;
}): string {
  const out = [
    '<h1>Events</h1><p class="muted">New, resolved and changed findings across the catalog, newest first.</p>',
    `<form class="filters" method="get" action="${UI_BASE}/events" aria-label="Filter events">`,
    `<label>Repository<input name="repository" value="${h(data.repository)}"></label>`,
    `<label>Kind<select name="kind"><option value="">any</option>` +
      `${['new', 'resolved', 'changed']
        .map((k) => `<option${k === data.kind ? ' selected' : ''}>${k}</option>`)
        .join('')}` +
      `</select></label>`,
    '<button class="primary" type="submit">Apply</button></form>',
    '<table id="events"><thead><tr><th scope="col">When</th><th scope="col">Kind</th><th ' +
      'scope="col">Finding</th><th scope="col">Severity</th><th scope="col">Package</th><th ' +
      'scope="col">Image</th><th scope="col">Database</th></tr></thead><tbody>',
  ];
  for (const e of data.events) {
    const sev = e.new?.severity ?? e.old?.severity;
    out.push(
      `<tr><td>${h(e.createdAt)}</td><td>${h(e.kind)}</td><td>${h(e.findingId)}</td><td>` +
        `${sev ? `<span class="sev sev-${h(sev)}">${h(sev)}</span>` : '—'}</td><td>${h(e.packageRef)}` +
        `</td><td><a href="${imageHref(e.digest)}">${h(e.repository ?? e.digest.slice(0, 19))}` +
        `</a></td><td>${h(e.dbVersion.slice(0, 20))}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  if (!data.events.length) out.push('<p>No events.</p>');
  return layout('Events', 'events', out.join(''), data.user);
}

export function loginPage(csrf: string, error?: string): string {
  return layout(
    'Sign in',
    'login',
    [
      '<h1>Sign in</h1><p>Paste an API token (<code>zerocve token NAME --role reader|triager|admin</code>).</p>',
      error ? `<p class="notice" role="alert">${h(error)}</p>` : '',
      `<form method="post" action="${UI_BASE}/login"><input type="hidden" name="csrf" value="${h(csrf)}">`,
      '<label for="token">API token</label> <input id="token" name="token" type="password" ' +
        'autocomplete="off" required> ',
      '<button class="primary" type="submit">Sign in</button></form>',
    ].join(''),
  );
}

export function errorPage(status: number, message: string, user?: string): string {
  return layout(`Error ${status}`, 'image', `<h1>Error ${status}</h1><p role="alert">${h(message)}</p>`, user);
}
