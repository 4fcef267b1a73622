// zerocve's findings beside peers' findings: one row per vulnerability × package, which scanner reported it, and
// where they disagree (one scanner only, fixed versions, severity, installed version).
//
// Keys: the package is (ecosystem, name normalized per ecosystem: PEP 503 for Python); every scanner here names a
// Debian/Ubuntu package by its binary name (zerocve's Finding.package.name, Trivy's PkgName, Grype's artifact.name).
// The vulnerability is the id or any alias, with one guard: an advisory that groups several CVEs (a DSA, RHSA, ALAS)
// never joins two findings that each carry a different CVE.
import type { Finding, Suppression } from '../core/finding.ts';
import type { ReportWarning } from '../core/report.ts';
import type { Severity } from '../core/advisory.ts';
import { severityRank } from '../core/advisory.ts';
import type { DisagreementKind, PeerComparison, PeerRow, PeerSource, ScannerName } from '../core/peer.ts';
import type { PeerReport } from './types.ts';
import { fixedKey, normalizeName, normalizeVersion } from './normalize.ts';
import { isPackageType } from '../core/package-types.ts';

export interface MergePeerOptions {
  /** the image zerocve scanned: a peer report of another image is warned about */
  image?: { configDigest?: string; manifestDigest?: string };
  /** zerocve's suppressed findings: a peer-only row that zerocve suppressed says so */
  suppressed?: Suppression[];
}

const TOOL_ORDER: readonly ScannerName[] = ['zerocve', 'trivy', 'grype'];

interface Entry {
  tool: ScannerName;
  /** ids as given, first is the scanner's own id */
  ids: string[];
  /** upper-cased ids, for comparison */
  keys: string[];
  ecosystem: string;
  name: string;
  version: string;
  severity: Severity;
  fixed: string[];
}

const idKey = (id: string): string => id.trim().toUpperCase();
const isCve = (key: string): boolean => /^CVE-\d{4}-\d+$/.test(key);
const packageKey = (ecosystem: string, name: string): string => `${ecosystem}\u0000${normalizeName(ecosystem, name)}`;

function entryOf(
  tool: ScannerName,
  id: string,
  aliases: string[],
  ecosystem: string,
  name: string,
  version: string,
  severity: Severity,
  fixed: string[],
): Entry {
  const ids = [...new Set([id, ...aliases])];
  return { tool, ids, keys: [...new Set(ids.map(idKey))], ecosystem, name, version, severity, fixed };
}

/** Same vulnerability: a CVE in common, or — when one side has no CVE — any id in common. */
function sameVulnerability(a: Entry, b: Entry): boolean {
  const ca = a.keys.filter(isCve);
  const cb = b.keys.filter(isCve);
  if (ca.length && cb.length) return ca.some((x) => cb.includes(x));
  return a.keys.some((x) => b.keys.includes(x));
}

/**
 * Entries of one package, clustered into vulnerabilities (union–find over shared ids). Two clusters carrying
 * different CVEs never merge, even through an entry that has no CVE (a DSA-only peer finding joins the first).
 */
function clusters(entries: Entry[]): Entry[][] {
  const parent = entries.map((_, i) => i);
  const cves = entries.map((e) => new Set(e.keys.filter(isCve)));
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  const union = (i: number, j: number): void => {
    const a = find(i);
    const b = find(j);
    if (a === b) return;
    if (cves[a].size && cves[b].size && ![...cves[a]].some((c) => cves[b].has(c))) return;
    parent[a] = b;
    for (const c of cves[a]) cves[b].add(c);
  };
  const byKey = new Map<string, number[]>();
  entries.forEach((e, i) => {
    const seen = new Set<number>();
    for (const k of e.keys) {
      const list = byKey.get(k) ?? [];
      for (const j of list) {
        if (seen.has(j)) continue;
        seen.add(j);
        if (sameVulnerability(e, entries[j])) union(i, j);
      }
      list.push(i);
      byKey.set(k, list);
    }
  });
  const out = new Map<number, Entry[]>();
  entries.forEach((e, i) => {
    const r = find(i);
    const c = out.get(r) ?? [];
    c.push(e);
    out.set(r, c);
  });
  return [...out.values()];
}

/** One vulnerability's entries → rows per installed version; versions only one side saw pair up as a mismatch. */
function rowsOf(cluster: Entry[]): Entry[][] {
  const byVersion = new Map<string, Entry[]>();
  for (const e of cluster) {
    const k = normalizeVersion(e.version);
    byVersion.set(k, [...(byVersion.get(k) ?? []), e]);
  }
  const rows: Entry[][] = [];
  for (const group of byVersion.values()) {
    const tools = new Set(group.map((e) => e.tool));
    const into = rows.find((r) => r.every((e) => !tools.has(e.tool)));
    if (into) into.push(...group);
    else rows.push([...group]);
  }
  return rows;
}

const order = (tools: Iterable<ScannerName>): ScannerName[] => {
  const s = new Set(tools);
  return TOOL_ORDER.filter((t) => s.has(t));
};

function preferredId(entries: Entry[]): string {
  const ordered = [...entries].sort((a, b) => TOOL_ORDER.indexOf(a.tool) - TOOL_ORDER.indexOf(b.tool));
  const cve = ordered.flatMap((e) => e.ids).find((i) => isCve(idKey(i)));
  return cve ?? ordered[0].ids[0];
}

function buildRow(entries: Entry[], tools: ScannerName[]): PeerRow {
  const reportedBy = order(entries.map((e) => e.tool));
  const first = entries.find((e) => e.tool === reportedBy[0])!;
  const id = preferredId(entries);
  const aliasByKey = new Map<string, string>();
  for (const e of entries)
    for (const i of e.ids) if (idKey(i) !== idKey(id) && !aliasByKey.has(idKey(i))) aliasByKey.set(idKey(i), i);
  const severities: PeerRow['severities'] = {};
  const fixed: PeerRow['fixed'] = {};
  const versionOf: Partial<Record<ScannerName, string>> = {};
  for (const e of entries) {
    const s = severities[e.tool];
    if (s === undefined || severityRank(e.severity) > severityRank(s)) severities[e.tool] = e.severity;
    fixed[e.tool] = [...new Set([...(fixed[e.tool] ?? []), ...e.fixed])];
    versionOf[e.tool] ??= e.version;
  }
  const row: PeerRow = {
    id,
    aliases: [...aliasByKey.values()].sort(),
    package: first.name,
    type: first.ecosystem,
    version: first.version,
    reportedBy,
    severities,
    fixed,
  };

  const kinds: DisagreementKind[] = [];
  const text: string[] = [];
  const missing = tools.filter((t) => !reportedBy.includes(t));
  if (tools.length > 1 && reportedBy.length === 1) {
    kinds.push('only-one');
    const unmatched = reportedBy[0] !== 'zerocve' && !isPackageType(first.ecosystem);
    text.push(`only ${reportedBy[0]}${unmatched ? ` (zerocve does not match ${first.ecosystem} packages)` : ''}`);
  } else if (missing.length) {
    kinds.push('missing');
    text.push(`not reported by ${missing.join(', ')}`);
  }
  if (new Set(Object.values(versionOf).map(normalizeVersion)).size > 1) {
    row.versions = Object.fromEntries(reportedBy.map((t) => [t, versionOf[t]!]));
    kinds.push('package-version');
    text.push(
      `installed version: ${reportedBy.map((t) => `${t} ${versionOf[t]}`).join(', ')} (a different image or ` +
        `database age?)`,
    );
  }
  if (new Set(reportedBy.map((t) => fixedKey(fixed[t]!))).size > 1) {
    kinds.push('fixed-version');
    text.push(
      `fixed version: ${reportedBy.map((t) => `${t} ${fixed[t]!.length ? fixed[t]!.join(', ') : 'none'}`).join('; ')}`,
    );
  }
  if (new Set(reportedBy.map((t) => severities[t])).size > 1) {
    kinds.push('severity');
    text.push(`severity: ${reportedBy.map((t) => `${t} ${severities[t]}`).join(', ')}`);
  }
  if (kinds.length) {
    row.kinds = kinds;
    row.disagreement = text.join('; ');
  }
  return row;
}

const worst = (r: PeerRow): number => Math.max(...Object.values(r.severities).map((s) => severityRank(s)));

/**
 * zerocve's vulnerability findings beside peer reports: one row per vulnerability × package (× installed version),
 * with the scanners that reported it, their severities and fixed versions, and a one-line disagreement.
 */
export function mergePeerFindings(
  findings: Finding[],
  peers: PeerReport[],
  options: MergePeerOptions = {},
): PeerComparison {
  const warnings: ReportWarning[] = [];
  const entries: Entry[] = [];
  for (const f of findings) {
    if (f.kind !== 'vulnerability') continue;
    entries.push(
      entryOf(
        'zerocve',
        f.id,
        f.aliases,
        f.package.type,
        f.package.name,
        f.installedVersion,
        f.severity,
        f.fixedVersions,
      ),
    );
  }
  const seenTools = new Map<ScannerName, string[]>();
  const sources: PeerSource[] = [];
  for (const p of peers) {
    seenTools.set(p.tool, [...(seenTools.get(p.tool) ?? []), p.path]);
    sources.push({
      tool: p.tool,
      path: p.path,
      toolVersion: p.toolVersion,
      target: p.target,
      imageId: p.imageId,
      findings: p.findings.length,
    });
    for (const f of p.findings)
      entries.push(entryOf(p.tool, f.id, f.aliases, f.ecosystem, f.name, f.version, f.severity, f.fixedVersions));
    const scanned = options.image?.configDigest;
    if (scanned && p.imageId && p.imageId !== scanned) {
      warnings.push({
        code: 'peer-other-image',
        message:
          `${p.tool} report ${p.path} is of image ${p.imageId}, zerocve scanned ${scanned}: ` +
          `installed versions may differ`,
        path: p.path,
      });
    }
    const outside = new Set(p.findings.map((f) => f.ecosystem).filter((e) => !isPackageType(e)));
    if (outside.size)
      warnings.push({
        code: 'peer-unmatched-ecosystem',
        message:
          `${p.tool} report ${p.path} has findings in ${[...outside].sort().join(', ')} packages, ` +
          `which zerocve does not match`,
        path: p.path,
      });
  }
  for (const [tool, paths] of seenTools)
    if (paths.length > 1)
      warnings.push({
        code: 'peer-same-tool-twice',
        message: `${paths.length} ${tool} reports (${paths.join(', ')}) compared as one scanner`,
      });
  const tools = order(['zerocve', ...seenTools.keys()]);

  const byPackage = new Map<string, Entry[]>();
  for (const e of entries) {
    const k = packageKey(e.ecosystem, e.name);
    byPackage.set(k, [...(byPackage.get(k) ?? []), e]);
  }
  const suppressedByPackage = new Map<string, Suppression[]>();
  for (const s of options.suppressed ?? []) {
    const k = packageKey(s.finding.package.type, s.finding.package.name);
    suppressedByPackage.set(k, [...(suppressedByPackage.get(k) ?? []), s]);
  }

  // a package every scanner saw, at versions that never meet: most likely another image or database age
  const mismatched: string[] = [];
  for (const list of byPackage.values()) {
    const versions = new Map<ScannerName, Set<string>>();
    for (const e of list) versions.set(e.tool, (versions.get(e.tool) ?? new Set()).add(normalizeVersion(e.version)));
    if (versions.size < 2) continue;
    const sets = [...versions.values()];
    if (sets.some((a, i) => sets.some((b, j) => j > i && [...a].some((v) => b.has(v))))) continue;
    mismatched.push(
      `${list[0].name} (${order(versions.keys())
        .map((t) => `${t} ${[...versions.get(t)!].join('/')}`)
        .join(', ')})`,
    );
  }
  if (mismatched.length) {
    warnings.push({
      code: 'peer-version-mismatch',
      message:
        `${mismatched.length} package(s) at different installed versions per scanner — a different ` +
        `image or database age? ${mismatched.slice(0, 10).join('; ')}` +
        `${mismatched.length > 10 ? '; …' : ''}`,
    });
  }

  const rows: PeerRow[] = [];
  for (const [k, list] of byPackage) {
    for (const cluster of clusters(list)) {
      for (const group of rowsOf(cluster)) {
        const row = buildRow(group, tools);
        if (!row.reportedBy.includes('zerocve')) {
          const probe = entryOf('zerocve', row.id, row.aliases, row.type, row.package, row.version, 'unknown', []);
          const sup = suppressedByPackage
            .get(k)
            ?.find((s) =>
              sameVulnerability(probe, entryOf('zerocve', s.finding.id, s.finding.aliases, '', '', '', 'unknown', [])),
            );
          if (sup)
            row.disagreement = `${row.disagreement ?? ''}; zerocve suppressed it (${sup.by}: ${sup.reason})`.replace(
              /^; /,
              '',
            );
        }
        rows.push(row);
      }
    }
  }
  rows.sort(
    (a, b) =>
      worst(b) - worst(a) ||
      a.package.localeCompare(b.package) ||
      a.version.localeCompare(b.version) ||
      a.id.localeCompare(b.id),
  );

  const agreement = { allAgree: 0, allReportDiffer: 0, onlyZerocve: 0, onlyPeers: 0, partial: 0 };
  for (const r of rows) {
    if (r.reportedBy.length === tools.length) {
      if (r.kinds?.length) agreement.allReportDiffer++;
      else agreement.allAgree++;
    } else if (!r.reportedBy.includes('zerocve')) agreement.onlyPeers++;
    else if (r.reportedBy.length === 1) agreement.onlyZerocve++;
    else agreement.partial++;
  }
  const totals = tools.map((tool) => ({
    tool,
    findings: entries.filter((e) => e.tool === tool).length,
    rows: rows.filter((r) => r.reportedBy.includes(tool)).length,
  }));
  return { tools, peers: sources, rows, totals, agreement, warnings };
}
