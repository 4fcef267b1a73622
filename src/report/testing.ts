// Test fixture builder: a ScanReport assembled from REAL public data in the shared corpus, until the real pipeline
// can produce one. Packages come from a real dpkg status (Trivy's dpkg analyzer test data, an Ubuntu 18.04 image),
// findings from real OSV advisories of the PyPA advisory database. Used only by tests (never by the CLI).
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PackageURL } from 'packageurl-js';
import cvssCalculator from 'ae-cvss-calculator';
import type { ScanReport, SeverityCounts, Surface, BloatReport, LayerSummary } from '../core/report.ts';
import { REPORT_SCHEMA_VERSION } from '../core/report.ts';
import type { Package, OsInfo, ModelFile } from '../core/package.ts';
import type { Finding, Suppression } from '../core/finding.ts';
import type { Cvss, Severity } from '../core/advisory.ts';
import { SEVERITIES } from '../core/advisory.ts';

/** Corpus files this builder reads (relative to the corpus root). */
export const FIXTURE_FILES = {
  dpkgStatus: 'conformance/trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar',
  advisories: 'vulndata/pypa-advisory-database/vulns',
} as const;

/** Real PyPA advisories used for the fixture's findings (package dir / file). */
const ADVISORIES = [
  'urllib3/PYSEC-2023-192.yaml',
  'aiohttp/PYSEC-2023-250.yaml',
  'mlflow/PYSEC-2023-252.yaml',
  'gitpython/PYSEC-2024-4.yaml',
  'torch/PYSEC-2022-43015.yaml',
] as const;

const sha256 = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

/** Extract one file from a txtar archive. */
function txtarFile(text: string, name: string): string {
  const marker = `-- ${name} --\n`;
  const start = text.indexOf(marker);
  if (start < 0) throw new Error(`txtar: ${name} not found`);
  const rest = text.slice(start + marker.length);
  const next = rest.search(/^-- .+ --$/m);
  return next < 0 ? rest : rest.slice(0, next);
}

/** Minimal dpkg status reader for the fixture (the real one lives in src/catalog). */
export function parseDpkgStatusForFixture(text: string, path: string, layer: number, distro: string): Package[] {
  const out: Package[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = '';
    for (const line of stanza.split('\n')) {
      if (/^\s/.test(line) && last) {
        fields.set(last, `${fields.get(last)}\n${line.trim()}`);
        continue;
      }
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (m) {
        last = m[1];
        fields.set(last, m[2]);
      }
    }
    const name = fields.get('Package');
    const version = fields.get('Version');
    if (!name || !version) continue;
    if (!(fields.get('Status') ?? 'install ok installed').endsWith(' installed')) continue;
    const arch = fields.get('Architecture') ?? '';
    const srcField = fields.get('Source') ?? name;
    const sm = /^(\S+)(?:\s+\((.+)\))?$/.exec(srcField.trim());
    const source = sm?.[1] ?? name;
    const sourceVersion = sm?.[2] ?? version;
    const depends = fields
      .get('Depends')
      ?.split(',')
      .map((d) => d.trim())
      .filter(Boolean);
    const installed = Number(fields.get('Installed-Size'));
    const q: Record<string, string> = {};
    if (arch) q.arch = arch;
    if (source !== name || sourceVersion !== version)
      q.upstream = sourceVersion !== version ? `${source}@${sourceVersion}` : source;
    q.distro = distro;
    out.push({
      id: `deb:${name}@${version}:${path}`,
      type: 'deb',
      name,
      version,
      purl: new PackageURL('deb', distro.split('-')[0], name, version, q, undefined).toString(),
      locations: [{ path, layer }],
      metadata: {
        kind: 'dpkg',
        source,
        sourceVersion,
        arch,
        ...(fields.has('Status') ? { status: fields.get('Status') } : {}),
        ...(fields.has('Maintainer') ? { maintainer: fields.get('Maintainer') } : {}),
        ...(Number.isFinite(installed) ? { installedSizeBytes: installed * 1024 } : {}),
        ...(depends ? { depends } : {}),
      },
    });
  }
  return out;
}

function severityOfScore(score: number): Severity {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'negligible';
}

function versionTuple(v: string): number[] {
  return v.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
}
function cmpTuple(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

interface OsvYaml {
  id: string;
  aliases?: string[];
  details?: string;
  summary?: string;
  severity?: { type: string; score: string }[];
  affected: {
    package: { name: string; ecosystem: string };
    ranges?: { type: string; events: Record<string, string>[] }[];
    versions?: string[];
  }[];
  references?: { type: string; url: string }[];
}

/** One python package + its finding from a real OSV advisory: the newest listed affected version is "installed". */
function findingFromAdvisory(file: string, text: string, layer: number): { pkg: Package; finding: Finding } {
  const adv = parseYaml(text) as OsvYaml;
  const aff = adv.affected[0];
  const installed = [...(aff.versions ?? [])].sort((a, b) => cmpTuple(versionTuple(a), versionTuple(b))).at(-1) ?? '0';
  const fixed = (aff.ranges ?? [])
    .filter((r) => r.type === 'ECOSYSTEM')
    .flatMap((r) => r.events.map((e) => e.fixed).filter(Boolean));
  const name = aff.package.name.toLowerCase();
  const sitePackages = '/usr/local/lib/python3.11/site-packages';
  const path = `${sitePackages}/${name}-${installed}.dist-info/METADATA`;
  const pkg: Package = {
    id: `python:${name}@${installed}:${path}`,
    type: 'python',
    name,
    version: installed,
    purl: `pkg:pypi/${name}@${installed}`,
    locations: [{ path, layer }],
    metadata: { kind: 'python', format: 'dist-info', installer: 'pip', sitePackages },
  };
  const cvss: Cvss[] = (adv.severity ?? [])
    .filter((s) => s.type === 'CVSS_V3')
    .map((s) => ({
      version: s.score.startsWith('CVSS:3.0') ? '3.0' : '3.1',
      vector: s.score,
      score: new cvssCalculator.Cvss3P1(s.score).calculateScores().overall,
      source: 'osv',
    }));
  const cve = (adv.aliases ?? []).find((a) => a.startsWith('CVE-'));
  const finding: Finding = {
    id: cve ?? adv.id,
    aliases: [adv.id, ...(adv.aliases ?? [])].filter((a) => a !== (cve ?? adv.id)),
    package: {
      id: pkg.id,
      type: pkg.type,
      name: pkg.name,
      version: pkg.version,
      purl: pkg.purl,
      locations: pkg.locations,
    },
    installedVersion: installed,
    fixedVersions: fixed,
    fixState: fixed.length ? 'fixed' : 'not-fixed',
    severity: cvss.length ? severityOfScore(cvss[0].score) : 'unknown',
    severitySource: cvss.length ? 'osv:cvss-3.1' : 'none',
    cvss,
    kev: false,
    title: adv.summary ?? adv.details?.split('\n')[0].slice(0, 120),
    references: (adv.references ?? []).map((r) => r.url),
    evidence: [
      {
        matcher: 'python',
        searched: { ecosystem: 'PyPI', name, version: installed },
        versionScheme: 'pep440',
        matchedRange: (aff.ranges ?? [])
          .filter((r) => r.type === 'ECOSYSTEM')
          .map((r) =>
            r.events
              .map((e) =>
                Object.entries(e)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(', '),
              )
              .join('; '),
          )
          .join(' | '),
        source: `osv:PyPI:${file}`,
      },
    ],
    kind: 'vulnerability',
  };
  return { pkg, finding };
}

export interface FixtureOptions {
  /** absolute path of the shared corpus root */
  corpus: string;
  /** fixed creation time (default 2024-01-02T03:04:05.000Z) */
  createdAt?: string;
  /** extra packages appended to the inventory (e.g. hostile names for escaping tests) */
  extraPackages?: Package[];
  /** how many of the fixture's findings to move into `suppressed` as VEX not_affected (default 1) */
  suppress?: number;
  /** drop these package names (to make a "slimmer" image B for compare tests) */
  dropPackages?: string[];
  /** override installed version of packages by name (to create version changes for compare tests) */
  versions?: Record<string, string>;
}

/** A ScanReport built from real corpus data. Deterministic for the same options. */
export function buildTestReport(options: FixtureOptions): ScanReport {
  const txtar = readFileSync(join(options.corpus, FIXTURE_FILES.dpkgStatus), 'utf8');
  const status = txtarFile(txtar, 'var/lib/dpkg/status');
  const os: OsInfo = {
    id: 'ubuntu',
    versionId: '18.04',
    prettyName: 'Ubuntu 18.04 LTS',
    versionCodename: 'bionic',
    idLike: ['debian'],
    path: '/etc/os-release',
  };
  let packages = parseDpkgStatusForFixture(status, '/var/lib/dpkg/status', 0, 'ubuntu-18.04');
  const findings: Finding[] = [];
  for (const rel of ADVISORIES) {
    const text = readFileSync(join(options.corpus, FIXTURE_FILES.advisories, rel), 'utf8');
    const { pkg, finding } = findingFromAdvisory(rel, text, 1);
    packages.push(pkg);
    findings.push(finding);
  }
  packages.push(...(options.extraPackages ?? []));
  const drop = new Set(options.dropPackages ?? []);
  packages = packages.filter((p) => !drop.has(p.name));
  for (const p of packages) {
    const v = options.versions?.[p.name];
    if (v) {
      const purl = PackageURL.fromString(p.purl);
      p.id = p.id.replace(`@${p.version}:`, `@${v}:`);
      p.purl = new PackageURL(purl.type, purl.namespace, purl.name, v, purl.qualifiers, purl.subpath).toString();
      p.version = v;
    }
  }
  const kept = findings.filter((f) => !drop.has(f.package.name) && !options.versions?.[f.package.name]);
  const nSup = Math.min(options.suppress ?? 1, kept.length);
  const suppressed: Suppression[] = kept.splice(kept.length - nSup, nSup).map((finding) => ({
    finding,
    by: 'vex',
    reason: 'vulnerable_code_not_in_execute_path',
    rule: 'vex/fixture.openvex.json#0',
  }));
  const sevOrder = (s: Severity): number => SEVERITIES.indexOf(s);
  kept.sort((a, b) => sevOrder(a.severity) - sevOrder(b.severity) || a.package.name.localeCompare(b.package.name));

  const modelBytes = Buffer.from(status.slice(0, 4096));
  const models: ModelFile[] = [
    {
      path: '/models/classifier.safetensors',
      layer: 2,
      format: 'safetensors',
      size: 1_048_576,
      sha256: sha256(modelBytes),
    },
  ];
  const layers: LayerSummary[] = [0, 1, 2].map((i) => ({
    index: i,
    digest: `sha256:${sha256(`layer-blob-${i}`)}`,
    diffId: `sha256:${sha256(`layer-tar-${i}`)}`,
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    compressedSize: [27_000_000, 41_500_000, 1_000_000][i],
    uncompressedSize: [63_000_000, 120_000_000, 1_050_000][i],
    files: [3100, 5200, 1][i],
    createdBy: [
      '/bin/sh -c #(nop) ADD file:ubuntu-base in /',
      'RUN pip install urllib3 aiohttp mlflow gitpython torch',
      'COPY classifier.safetensors /models/',
    ][i],
  }));
  const surface: Surface = {
    packagesByType: Object.fromEntries(
      [...new Set(packages.map((p) => p.type))].map((t) => [t, packages.filter((p) => p.type === t).length]),
    ),
    files: 8301,
    directories: 912,
    symlinks: 410,
    executables: 655,
    elfExecutables: 402,
    scriptExecutables: 253,
    totalBytes: layers.reduce((n, l) => n + l.uncompressedSize, 0),
    shells: ['/bin/bash', '/bin/dash', '/bin/sh'],
    packageManagers: ['apt', 'dpkg', 'pip'],
    setuid: [
      { path: '/bin/su', layer: 0, size: 44664, mode: 0o4755 },
      { path: '/usr/bin/passwd', layer: 0, size: 59640, mode: 0o4755 },
    ],
    setgid: [{ path: '/usr/bin/chage', layer: 0, size: 71816, mode: 0o2755 }],
    worldWritable: [],
    user: { configured: '', root: true },
  };
  const bloat: BloatReport = {
    totalBytes: surface.totalBytes,
    categories: [
      { category: 'docs', bytes: 4_200_000, files: 620 },
      { category: 'python-cache', bytes: 9_800_000, files: 1400 },
      { category: 'package-manager', bytes: 6_100_000, files: 210 },
    ],
    topOffenders: [
      { path: '/var/lib/apt/lists', category: 'package-manager', bytes: 5_900_000, package: 'apt' },
      { path: '/usr/share/doc', category: 'docs', bytes: 4_200_000 },
    ],
    removableBytes: 20_100_000,
    duplicates: [{ sha256: sha256('dup'), size: 120_000, paths: ['/usr/lib/a.so', '/usr/local/lib/a.so'] }],
    shadowedBytes: 0,
  };
  const counts: SeverityCounts = { critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 };
  for (const f of kept) counts[f.severity]++;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'zerocve', version: '0.1.0' },
    createdAt: options.createdAt ?? '2024-01-02T03:04:05.000Z',
    image: {
      source: {
        target: 'oci-dir:/tmp/fixture:latest',
        kind: 'oci-dir',
        reference: 'example.test/ml/app:1.0',
        manifestDigest: `sha256:${sha256('manifest')}`,
        repoTags: ['example.test/ml/app:1.0'],
      },
      config: {
        user: '',
        entrypoint: ['python3'],
        cmd: ['-m', 'app'],
        env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
        created: '2024-01-01T00:00:00Z',
        platform: { os: 'linux', architecture: 'amd64' },
        diffIds: layers.map((l) => l.diffId as string),
      },
      configDigest: `sha256:${sha256('config')}`,
      layers,
    },
    inventory: {
      os,
      packages,
      models,
      problems: [
        {
          path: '/usr/local/lib/python3.11/site-packages/broken-1.0.dist-info/METADATA',
          analyzer: 'python',
          message: 'METADATA has no Version header',
          layer: 1,
        },
      ],
    },
    findings: kept,
    suppressed,
    surface,
    bloat,
    db: {
      path: '/tmp/zerocve.db',
      builtAt: '2024-01-01T00:00:00Z',
      sources: [{ name: 'osv:PyPI', snapshot: '3ccb612', advisories: 2662 }],
      ageHours: 27,
    },
    summary: {
      findings: counts,
      suppressed: suppressed.length,
      fixable: kept.filter((f) => f.fixedVersions.length > 0).length,
      kev: kept.filter((f) => f.kev).length,
      threshold: 'high',
      passed: counts.critical + counts.high === 0,
    },
    warnings: [
      { code: 'inventory-problems', message: 'fixture: layer sizes, surface and bloat figures are illustrative' },
    ],
  };
}
