// Names, versions, severities and ecosystems as the comparison keys them.
import type { FixState, Severity } from '../core/advisory.ts';
import { SEVERITIES } from '../core/advisory.ts';
import { packageTypeOfPurlType } from '../core/package-types.ts';

/** Package name as a comparison key: PEP 503 for Python, lower case elsewhere (apk, deb, conda names are). */
export function normalizeName(ecosystem: string, name: string): string {
  const n = name.trim();
  if (ecosystem === 'python' || ecosystem === 'pypi') return n.toLowerCase().replace(/[-_.]+/g, '-');
  if (ecosystem === 'rpm') return n; // rpm names are case-sensitive
  return n.toLowerCase();
}

/** Version as a comparison key: trimmed, without a zero epoch (Trivy omits `0:`, others keep it). */
export const normalizeVersion = (v: string): string => v.trim().replace(/^0:/, '');

/** Fixed versions as a comparison key: normalized, deduplicated, sorted. */
export const fixedKey = (versions: readonly string[]): string =>
  [...new Set(versions.map(normalizeVersion).filter(Boolean))].sort().join(', ');

/** `CRITICAL`, `High`, `negligible` → zerocve's severity; anything else is `unknown`. */
export function severityOf(s: unknown): Severity {
  const v = typeof s === 'string' ? s.trim().toLowerCase() : '';
  return (SEVERITIES as readonly string[]).includes(v) ? (v as Severity) : 'unknown';
}

/** purl type → ecosystem key (zerocve's package types where they exist). */
export function ecosystemOfPurl(purl: string | undefined): string | undefined {
  const m = /^pkg:([a-zA-Z0-9.+-]+)\//.exec(purl ?? '');
  if (!m) return undefined;
  const t = m[1].toLowerCase();
  return packageTypeOfPurlType(t) ?? t;
}

const TRIVY_TYPE: Record<string, string> = {
  debian: 'deb',
  ubuntu: 'deb',
  alpine: 'apk',
  wolfi: 'apk',
  chainguard: 'apk',
  minimos: 'apk',
  redhat: 'rpm',
  centos: 'rpm',
  rocky: 'rpm',
  alma: 'rpm',
  oracle: 'rpm',
  amazon: 'rpm',
  fedora: 'rpm',
  photon: 'rpm',
  'cbl-mariner': 'rpm',
  azurelinux: 'rpm',
  suse: 'rpm',
  'opensuse-leap': 'rpm',
  'opensuse-tumbleweed': 'rpm',
  sles: 'rpm',
  slem: 'rpm',
  pip: 'python',
  pipenv: 'python',
  poetry: 'python',
  pylock: 'python',
  uv: 'python',
  'python-pkg': 'python',
  'conda-pkg': 'conda',
  'conda-environment': 'conda',
  gemspec: 'gem',
  bundler: 'gem',
  npm: 'npm',
  yarn: 'npm',
  pnpm: 'npm',
  'node-pkg': 'npm',
  bun: 'npm',
  gomod: 'golang',
  gobinary: 'golang',
  cargo: 'cargo',
  'rust-binary': 'cargo',
  jar: 'maven',
  pom: 'maven',
  gradle: 'maven',
  sbt: 'maven',
  composer: 'composer',
  'composer-vendor': 'composer',
  nuget: 'nuget',
  'dotnet-core': 'nuget',
  packagesprops: 'nuget',
};

/** Trivy `Results[].Type` → ecosystem key, when a finding has no purl. */
export const ecosystemOfTrivyType = (type: string): string => TRIVY_TYPE[type] ?? type;

const GRYPE_TYPE: Record<string, string> = {
  'java-archive': 'maven',
  'jenkins-plugin': 'maven',
  'go-module': 'golang',
  'rust-crate': 'cargo',
  dotnet: 'nuget',
  'php-composer': 'composer',
  gem: 'gem',
  npm: 'npm',
  python: 'python',
  conda: 'conda',
  deb: 'deb',
  apk: 'apk',
  rpm: 'rpm',
};

/** Grype `artifact.type` → ecosystem key, when a match has no purl. */
export const ecosystemOfGrypeType = (type: string): string => GRYPE_TYPE[type] ?? type;

const TRIVY_STATUS: Record<string, FixState> = {
  fixed: 'fixed',
  affected: 'not-fixed',
  fix_deferred: 'not-fixed',
  will_not_fix: 'wont-fix',
  end_of_life: 'end-of-life',
};
export const fixStateOfTrivy = (status: unknown, fixed: string[]): FixState =>
  (typeof status === 'string' && TRIVY_STATUS[status]) || (fixed.length ? 'fixed' : 'unknown');

const GRYPE_STATE: Record<string, FixState> = { fixed: 'fixed', 'not-fixed': 'not-fixed', 'wont-fix': 'wont-fix' };
export const fixStateOfGrype = (state: unknown, fixed: string[]): FixState =>
  (typeof state === 'string' && GRYPE_STATE[state]) || (fixed.length ? 'fixed' : 'unknown');
