// Versions as NVD writes them in CPE match criteria (`535.54.03`, `1.0.2k`, `12.4 update 1` → not valid):
// dotted components, each split into digit and letter runs; digits compare numerically, letters as lowercase
// text; a letter run sorts before a digit run; missing components read as 0 (1.0 == 1.0.0), and a trailing
// letter after equal digits makes the version newer (1.0.2k > 1.0.2), as NVD's vendors use it.
import type { VersionScheme } from '../core/interfaces.ts';
import { compareDigits, invalid } from './util.ts';

const VALID = /^[0-9a-z][0-9a-z.+_~-]*$/i;

function split(v: string): string[][] {
  if (!VALID.test(v)) throw invalid('cpe', v);
  return v
    .toLowerCase()
    .split(/[._+~-]/)
    .map((c) => c.match(/[0-9]+|[a-z]+/g) ?? ['0']);
}

export function compareCpeVersion(a: string, b: string): -1 | 0 | 1 {
  const x = split(a.trim());
  const y = split(b.trim());
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i] ?? ['0'];
    const q = y[i] ?? ['0'];
    for (let j = 0; j < Math.max(p.length, q.length); j++) {
      const s = p[j];
      const t = q[j];
      if (s === undefined) return -1;
      if (t === undefined) return 1;
      const sn = /^[0-9]/.test(s);
      const tn = /^[0-9]/.test(t);
      if (sn && tn) {
        const c = compareDigits(s, t);
        if (c) return c;
      } else if (sn !== tn) {
        return sn ? 1 : -1;
      } else if (s !== t) {
        return s < t ? -1 : 1;
      }
    }
  }
  return 0;
}

/** One NVD configuration range (cpeMatch): bounds as NVD names them; `exact` is the version in the criteria itself. */
export interface CpeRange {
  versionStartIncluding?: string;
  versionStartExcluding?: string;
  versionEndIncluding?: string;
  versionEndExcluding?: string;
  /** version field of the CPE criteria; `*` or absent = any (bounded by the range) */
  exact?: string;
}

/** Whether `version` falls inside the NVD range. Throws InputError for an unparsable version. */
export function cpeRangeMatch(version: string, r: CpeRange): boolean {
  const exact = r.exact && r.exact !== '*' && r.exact !== '-' ? r.exact : undefined;
  if (exact) return compareCpeVersion(version, exact) === 0;
  const bounded = r.versionStartIncluding || r.versionStartExcluding || r.versionEndIncluding || r.versionEndExcluding;
  if (!bounded) return r.exact === '*';
  if (r.versionStartIncluding && compareCpeVersion(version, r.versionStartIncluding) < 0) return false;
  if (r.versionStartExcluding && compareCpeVersion(version, r.versionStartExcluding) <= 0) return false;
  if (r.versionEndIncluding && compareCpeVersion(version, r.versionEndIncluding) > 0) return false;
  if (r.versionEndExcluding && compareCpeVersion(version, r.versionEndExcluding) >= 0) return false;
  return true;
}

/** Readable form of a range: `>=12.0 <12.4`. */
export function describeCpeRange(r: CpeRange): string {
  if (r.exact && r.exact !== '*' && r.exact !== '-') return `=${r.exact}`;
  const parts: string[] = [];
  if (r.versionStartIncluding) parts.push(`>=${r.versionStartIncluding}`);
  if (r.versionStartExcluding) parts.push(`>${r.versionStartExcluding}`);
  if (r.versionEndIncluding) parts.push(`<=${r.versionEndIncluding}`);
  if (r.versionEndExcluding) parts.push(`<${r.versionEndExcluding}`);
  return parts.join(' ') || '*';
}

export function createCpeScheme(): VersionScheme {
  return {
    id: 'cpe',
    compare: compareCpeVersion,
    valid: (v) => VALID.test(v.trim()),
  };
}
