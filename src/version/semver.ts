// Semantic Versioning 2.0.0 precedence: MAJOR.MINOR.PATCH[-prerelease][+build]; build metadata ignored;
// a pre-release sorts before its release; identifiers compare numerically when numeric (numeric < alphanumeric).
// Tolerant, as ecosystems need: a leading `v`/`V`, and missing minor/patch (`1`, `1.2`) read as zeros.
import type { VersionScheme } from '../core/interfaces.ts';
import { compareDigits, invalid } from './util.ts';

export interface SemverVersion {
  major: string;
  minor: string;
  patch: string;
  prerelease: string[];
  build: string[];
}

const IDENTIFIERS = String.raw`[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*`;
const PATTERN = new RegExp(
  String.raw`^[vV]?(0|[1-9][0-9]*|[0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?` +
    String.raw`(?:-(${IDENTIFIERS}))?(?:\+(${IDENTIFIERS}))?$`,
);

export function tryParseSemver(v: string): SemverVersion | undefined {
  const m = PATTERN.exec(v.trim());
  if (!m) return undefined;
  return {
    major: m[1],
    minor: m[2] ?? '0',
    patch: m[3] ?? '0',
    prerelease: m[4] ? m[4].split('.') : [],
    build: m[5] ? m[5].split('.') : [],
  };
}

export function parseSemver(v: string): SemverVersion {
  const p = tryParseSemver(v);
  if (!p) throw invalid('semver', v);
  return p;
}

const numeric = (s: string): boolean => /^[0-9]+$/.test(s);

export function compareSemverParsed(x: SemverVersion, y: SemverVersion): -1 | 0 | 1 {
  const c = compareDigits(x.major, y.major) || compareDigits(x.minor, y.minor) || compareDigits(x.patch, y.patch);
  if (c) return c;
  const a = x.prerelease;
  const b = y.prerelease;
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === undefined) return -1;
    if (b[i] === undefined) return 1;
    const an = numeric(a[i]);
    const bn = numeric(b[i]);
    if (an && bn) {
      const d = compareDigits(a[i], b[i]);
      if (d) return d;
    } else if (an !== bn) {
      return an ? -1 : 1;
    } else if (a[i] !== b[i]) {
      return a[i] < b[i] ? -1 : 1;
    }
  }
  return 0;
}

export function compareSemver(a: string, b: string): -1 | 0 | 1 {
  return compareSemverParsed(parseSemver(a), parseSemver(b));
}

export function createSemverScheme(): VersionScheme {
  return {
    id: 'semver',
    compare: compareSemver,
    valid: (v) => tryParseSemver(v) !== undefined,
  };
}
