// Trivy's integration fixtures as real zerocve inputs: the fixture database (integration/testdata/fixtures/db/*.yaml,
// bucket layout `<release> → <package> → <advisory id>`, plus the `vulnerability` bucket of details) converted into
// zerocve Advisories and built into a real SQLite store, and a golden report's vulnerable packages as an inventory.
// Shared by test/conformance/trivy.test.ts and src/peers (zerocve vs Trivy side by side). See trivy.test.ts for the
// deliberate differences and BINARY_SOURCE below.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { corpusPath } from './corpus.ts';
import type { Advisory, Affected, Cvss, FixState, RangeEvent, Severity } from '../../src/core/advisory.ts';
import type { Inventory, OsInfo, Package } from '../../src/core/package.ts';
import { buildDatabase, type ImportRecord } from '../../src/vulndb/build.ts';

/** corpus-relative folder of Trivy's integration testdata (goldens and fixtures/db) */
export const TRIVY_TESTDATA = 'conformance/trivy/integration/testdata';
const ROOT = TRIVY_TESTDATA;
const SOURCE = 'trivy-fixture';

/** Trivy fixture release bucket → zerocve ecosystem (what src/match looks up for that OS). */
export const RELEASE: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^debian (\d+)$/, (m) => `Debian:${m[1]}`],
  [/^ubuntu (\d+\.\d+)$/, (m) => `Ubuntu:${m[1]}`],
  [/^alpine (\d+\.\d+)$/, (m) => `Alpine:v${m[1]}`],
  [/^alpine edge$/, () => 'Alpine:edge'],
  [/^alma (\d+)$/, (m) => `AlmaLinux:${m[1]}`],
  [/^rocky (\d+)$/, (m) => `Rocky Linux:${m[1]}`],
  [/^Oracle Linux (\d+)$/, (m) => `Oracle Linux:${m[1]}`],
  [/^amazon linux (\d+)$/, (m) => `Amazon Linux:${m[1]}`],
  [/^Photon OS (\S+)$/, (m) => `Photon OS:${m[1]}`],
  [/^CBL-Mariner (\S+)$/, (m) => `CBL-Mariner:${m[1]}`],
  [/^openSUSE Leap (\S+)$/, (m) => `openSUSE:Leap ${m[1]}`],
  [/^openSUSE Tumbleweed$/, () => 'openSUSE:Tumbleweed'],
  [/^pip::/, () => 'PyPI'],
];

/** Golden OS family → os-release ID. */
export const OS_ID: Record<string, string> = {
  debian: 'debian',
  ubuntu: 'ubuntu',
  alpine: 'alpine',
  alma: 'almalinux',
  rocky: 'rocky',
  oracle: 'ol',
  amazon: 'amzn',
  photon: 'photon',
  'cbl-mariner': 'mariner',
  'opensuse-leap': 'opensuse-leap',
  'opensuse-tumbleweed': 'opensuse-tumbleweed',
};

export const BINARY_SOURCE: Record<string, string> = {
  // Debian
  libssl1_1: 'openssl',
  'libssl1.1': 'openssl',
  'libidn2-0': 'libidn2',
  // Alpine (origin)
  'libcrypto1.1': 'openssl',
  'musl-utils': 'musl',
  // Photon (source RPM)
  'curl-libs': 'curl',
};

export const GOLDENS = [
  'debian-buster',
  'distroless-base',
  'distroless-python27',
  'fluentd-gems',
  'ubuntu-gp2-x86-vm',
  'alpine-39',
  'almalinux-8',
  'amazon-1',
  'amazon-2',
  'amazonlinux2-gp2-x86-vm',
  'oraclelinux-8',
  'photon-30',
  'mariner-1.0',
  'opensuse-leap-151',
  'opensuse-tumbleweed',
  'pipenv',
  'pylock',
  'uv',
];

// Trivy's numeric severity and status codes (trivy-db types).
export const SEVERITY: Severity[] = ['unknown', 'low', 'medium', 'high', 'critical'];
export const STATUS: Record<number, FixState | undefined> = {
  2: 'not-fixed',
  3: 'fixed',
  5: 'wont-fix',
  6: 'not-fixed',
  7: 'end-of-life',
};

export type Bucket = { bucket: string; pairs: (Bucket | { key: string; value: Record<string, unknown> })[] };

/** `< 0.15.3`, `>= 1.0, < 2.0` (GHSA vulnerable ranges) → OSV events. */
export function eventsOf(constraint: string): RangeEvent[] {
  const events: RangeEvent[] = [];
  for (const part of constraint.split(',')) {
    const m = /^\s*(<=|>=|<|>|=)\s*(\S+)\s*$/.exec(part);
    if (!m) throw new Error(`unexpected constraint ${constraint}`);
    if (m[1] === '>=') events.push({ introduced: m[2] });
    else if (m[1] === '<') events.push({ fixed: m[2] });
    else if (m[1] === '<=') events.push({ last_affected: m[2] });
    else if (m[1] === '=') events.push({ introduced: m[2] }, { last_affected: m[2] });
    else throw new Error(`unsupported '>' constraint ${constraint}`);
  }
  if (!events.some((e) => 'introduced' in e)) events.unshift({ introduced: '0' });
  return events;
}

export function affectedOf(ecosystem: string, name: string, v: Record<string, unknown>): Affected {
  const aff: Affected = { ecosystem, name, ranges: [], versions: [] };
  if (Array.isArray(v.VulnerableVersions)) {
    for (const c of v.VulnerableVersions as string[]) aff.ranges.push({ type: 'ECOSYSTEM', events: eventsOf(c) });
  } else {
    const fixed = typeof v.FixedVersion === 'string' && v.FixedVersion ? v.FixedVersion : undefined;
    aff.ranges.push({ type: 'ECOSYSTEM', events: fixed ? [{ introduced: '0' }, { fixed }] : [{ introduced: '0' }] });
  }
  if (typeof v.Status === 'number' && STATUS[v.Status]) aff.fixState = STATUS[v.Status];
  if (typeof v.State === 'string') aff.statusNote = v.State;
  if (typeof v.Severity === 'number') aff.severity = SEVERITY[v.Severity];
  return aff;
}

/** Every advisory of the fixture database, grouped by id, with the `vulnerability` bucket's details. */
export function convertFixtures(dir: string): Advisory[] {
  const byId = new Map<string, Advisory>();
  const details = new Map<string, Record<string, unknown>>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    for (const top of parseYaml(readFileSync(join(dir, file), 'utf8')) as Bucket[]) {
      if (top.bucket === 'vulnerability') {
        for (const p of top.pairs) if ('key' in p) details.set(p.key.trim(), p.value);
        continue;
      }
      const rule = RELEASE.map(([re, f]) => {
        const m = re.exec(top.bucket);
        return m ? f(m) : undefined;
      }).find(Boolean);
      if (!rule) continue; // other ecosystems (npm, maven, …) and Red Hat's OVAL layout: out of scope
      for (const pkg of top.pairs) {
        if (!('bucket' in pkg)) continue;
        for (const adv of pkg.pairs) {
          if (!('key' in adv)) continue;
          const id = adv.key.trim();
          const a = byId.get(id) ?? { id, aliases: [], source: SOURCE, cvss: [], references: [], affected: [] };
          a.affected.push(affectedOf(rule, pkg.bucket, adv.value ?? {}));
          byId.set(id, a);
        }
      }
    }
  }
  for (const a of byId.values()) {
    const d = details.get(a.id);
    if (!d) continue;
    if (typeof d.Title === 'string') a.summary = d.Title;
    if (Array.isArray(d.References)) a.references = d.References as string[];
    for (const [src, c] of Object.entries((d.CVSS ?? {}) as Record<string, Record<string, unknown>>)) {
      if (typeof c.V3Vector === 'string')
        a.cvss.push({
          version: c.V3Vector.startsWith('CVSS:3.0') ? '3.0' : '3.1',
          vector: c.V3Vector,
          score: Number(c.V3Score),
          source: src,
        } as Cvss);
      if (typeof c.V2Vector === 'string')
        a.cvss.push({ version: '2.0', vector: c.V2Vector, score: Number(c.V2Score), source: src });
    }
  }
  return [...byId.values()];
}

export interface GoldenVuln {
  VulnerabilityID: string;
  PkgName: string;
  InstalledVersion: string;
  FixedVersion?: string;
  Status?: string;
  Severity?: string;
}
export interface Golden {
  Metadata?: { OS?: { Family: string; Name: string } };
  Results: { Class: string; Type: string; Vulnerabilities?: GoldenVuln[] }[];
}

/** os-release VERSION_ID as the image would have it (goldens show Trivy's display name). */
export function versionIdOf(family: string, name: string): string {
  if (family === 'amazon') return /^AMI release (\S+)/.exec(name)?.[1] ?? name.split(' ')[0];
  return name;
}

export const PYTHON_TYPES = new Set(['pip', 'pipenv', 'poetry', 'pylock', 'uv', 'python-pkg']);
export const inScope = (r: { Class: string; Type: string }): boolean =>
  r.Class === 'os-pkgs' || (r.Class === 'lang-pkgs' && PYTHON_TYPES.has(r.Type));
export const dropZeroEpoch = (v: string): string =>
  v
    .split(', ')
    .map((x) => x.replace(/^0:/, ''))
    .sort()
    .join(', ');

export function packagesOf(g: Golden): Package[] {
  const seen = new Map<string, Package>();
  for (const r of g.Results) {
    if (!inScope(r)) continue;
    for (const v of r.Vulnerabilities ?? []) {
      const key = `${r.Type}/${v.PkgName}@${v.InstalledVersion}`;
      if (seen.has(key)) continue;
      const path = `/golden/${r.Type}`;
      const base = {
        id: `${key}:${path}`,
        name: v.PkgName,
        version: v.InstalledVersion,
        purl: '',
        locations: [{ path, layer: 0 }],
      };
      const src = BINARY_SOURCE[v.PkgName] ?? v.PkgName;
      let p: Package;
      if (r.Class === 'lang-pkgs')
        p = { ...base, type: 'python', metadata: { kind: 'python', format: 'dist-info', sitePackages: '/' } };
      else if (r.Type === 'debian' || r.Type === 'ubuntu')
        p = { ...base, type: 'deb', metadata: { kind: 'dpkg', source: src, sourceVersion: '', arch: 'amd64' } };
      else if (r.Type === 'alpine')
        p = { ...base, type: 'apk', metadata: { kind: 'apk', origin: src, arch: 'x86_64' } };
      else {
        const release = v.InstalledVersion.split('-').at(-1) ?? '';
        const sourceRpm = `${src}-${v.InstalledVersion.replace(/^\d+:/, '')}.src.rpm`;
        p = { ...base, type: 'rpm', metadata: { kind: 'rpm', release, arch: 'x86_64', sourceRpm } };
      }
      seen.set(key, p);
    }
  }
  return [...seen.values()];
}

/** os-release facts of a golden's OS, as the image would have them. */
export function goldenOs(g: Golden): OsInfo | undefined {
  const osMeta = g.Metadata?.OS;
  return osMeta
    ? {
        id: OS_ID[osMeta.Family] ?? osMeta.Family,
        versionId: versionIdOf(osMeta.Family, osMeta.Name),
        path: '/etc/os-release',
      }
    : undefined;
}

/** The inventory a golden's image would give for its in-scope vulnerable packages. */
export const goldenInventory = (g: Golden): Inventory => ({
  os: goldenOs(g),
  packages: packagesOf(g),
  models: [],
  problems: [],
});

/** A golden report, parsed. */
export const readGolden = (name: string): Golden =>
  JSON.parse(readFileSync(corpusPath(`${ROOT}/${name}.json.golden`)!, 'utf8')) as Golden;

/** Build Trivy's fixture database into a zerocve store at `dbFile` (the corpus must be present). */
export async function buildTrivyFixtureDb(dbFile: string): Promise<void> {
  const fixtures = corpusPath(`${ROOT}/fixtures/db`)!;
  const advisories = convertFixtures(fixtures);
  async function* records(): AsyncGenerator<ImportRecord> {
    for (const advisory of advisories) yield { kind: 'advisory', advisory };
  }
  await buildDatabase(dbFile, [{ name: SOURCE, kind: 'osv', input: fixtures, records: records() }]);
}
