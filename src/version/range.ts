// OSV range semantics (https://ossf.github.io/osv-schema/#affectedranges-field): for each range, events sorted
// by version open ([introduced) and close (fixed) or (last_affected]) intervals; `introduced: "0"` is below
// every version; `limit` caps the range. The explicit `versions` list matches too. SEMVER ranges use semver
// whatever the ecosystem; ECOSYSTEM ranges use the ecosystem's scheme; CPE ranges use NVD's version rule; GIT
// ranges cannot be evaluated against a version and are ignored.
import type { AffectedRange, RangeEvent } from '../core/advisory.ts';
import type { VersionScheme } from '../core/interfaces.ts';
import { cpeRangeMatch, type CpeRange } from './cpe.ts';
import { createSemverScheme } from './semver.ts';

export { cpeRangeMatch };
export type { CpeRange } from './cpe.ts';

export interface AffectedResult {
  affected: boolean;
  /** readable: `>=1.0 <1.2.3` or `versions: [1.0, 1.1]` */
  matched?: string;
  /** fixed versions of the ranges that contain the version */
  fixed: string[];
}

const semver = createSemverScheme();

interface Interval {
  from?: string;
  to?: { kind: 'fixed' | 'last_affected'; version: string };
}

function eventVersion(e: RangeEvent): { kind: 'introduced' | 'fixed' | 'last_affected' | 'limit'; version: string } {
  if ('introduced' in e) return { kind: 'introduced', version: e.introduced };
  if ('fixed' in e) return { kind: 'fixed', version: e.fixed };
  if ('last_affected' in e) return { kind: 'last_affected', version: e.last_affected };
  return { kind: 'limit', version: e.limit };
}

/** Build the intervals of one range (events in any order). Throws InputError for an unparsable event version. */
export function rangeIntervals(
  scheme: VersionScheme,
  events: RangeEvent[],
): { intervals: Interval[]; limits: string[] } {
  const all = events.map(eventVersion).filter((e) => e.version !== '');
  const limits = all.filter((e) => e.kind === 'limit').map((e) => e.version);
  const evs = all.filter((e) => e.kind !== 'limit');
  const isZero = (e: { kind: string; version: string }) => e.kind === 'introduced' && e.version === '0';
  const kindOrder = { introduced: 0, fixed: 1, last_affected: 1, limit: 1 } as const;
  evs.sort((a, b) => {
    if (isZero(a) || isZero(b)) return isZero(a) === isZero(b) ? 0 : isZero(a) ? -1 : 1;
    return scheme.compare(a.version, b.version) || kindOrder[a.kind] - kindOrder[b.kind];
  });
  const intervals: Interval[] = [];
  let open: Interval | undefined;
  for (const e of evs) {
    if (e.kind === 'introduced') {
      if (!open) open = { from: e.version };
      continue;
    }
    if (open && e.kind !== 'limit') {
      open.to = { kind: e.kind, version: e.version };
      intervals.push(open);
      open = undefined;
    }
  }
  if (open) intervals.push(open);
  return { intervals, limits };
}

function inInterval(scheme: VersionScheme, v: string, iv: Interval): boolean {
  if (iv.from !== undefined && iv.from !== '0' && scheme.compare(v, iv.from) < 0) return false;
  if (iv.to?.kind === 'fixed' && scheme.compare(v, iv.to.version) >= 0) return false;
  if (iv.to?.kind === 'last_affected' && scheme.compare(v, iv.to.version) > 0) return false;
  return true;
}

export function describeInterval(iv: Interval): string {
  const from = iv.from ?? '0';
  const parts = [from.startsWith('>') ? from : `>=${from}`];
  if (iv.to) parts.push(`${iv.to.kind === 'fixed' ? '<' : '<='}${iv.to.version}`);
  return parts.join(' ');
}

function cpeMatch(version: string, events: RangeEvent[]): { hit: boolean; text: string; fixed?: string } {
  // NVD bounds as OSV events: introduced = start including (`>v` = start excluding), fixed = end excluding,
  // last_affected = end including
  const r: CpeRange = {};
  for (const e of events.map(eventVersion)) {
    if (e.kind === 'introduced' && e.version.startsWith('>')) r.versionStartExcluding = e.version.slice(1);
    else if (e.kind === 'introduced' && e.version !== '0') r.versionStartIncluding = e.version;
    if (e.kind === 'fixed') r.versionEndExcluding = e.version;
    if (e.kind === 'last_affected') r.versionEndIncluding = e.version;
  }
  const bounded = r.versionStartIncluding || r.versionStartExcluding || r.versionEndExcluding || r.versionEndIncluding;
  const hit = cpeRangeMatch(version, { ...r, exact: bounded ? undefined : '*' });
  const iv: Interval = {
    from: r.versionStartIncluding ?? (r.versionStartExcluding ? `>${r.versionStartExcluding}` : '0'),
    to: r.versionEndExcluding
      ? { kind: 'fixed', version: r.versionEndExcluding }
      : r.versionEndIncluding
        ? { kind: 'last_affected', version: r.versionEndIncluding }
        : undefined,
  };
  return { hit, text: describeInterval(iv), fixed: r.versionEndExcluding };
}

/**
 * Whether `version` is affected per an OSV `affected` entry's ranges and versions.
 * Throws InputError when the installed version (or an advisory version it must be compared with) is unparsable.
 */
export function affectedBy(
  scheme: VersionScheme,
  version: string,
  affected: { ranges: AffectedRange[]; versions: string[] },
): AffectedResult {
  const matched: string[] = [];
  const fixed: string[] = [];
  for (const range of affected.ranges) {
    if (range.type === 'GIT') continue;
    if (range.type === 'CPE') {
      const m = cpeMatch(version, range.events);
      if (m.hit) {
        matched.push(m.text);
        if (m.fixed) fixed.push(m.fixed);
      }
      continue;
    }
    const s = range.type === 'SEMVER' ? semver : scheme;
    const { intervals, limits } = rangeIntervals(s, range.events);
    if (limits.length > 0 && !limits.some((l) => l === '*' || s.compare(version, l) < 0)) continue;
    for (const iv of intervals) {
      if (!inInterval(s, version, iv)) continue;
      matched.push(describeInterval(iv));
      if (iv.to?.kind === 'fixed') fixed.push(iv.to.version);
    }
  }
  if (matched.length === 0 && affected.versions.length > 0) {
    const hit = affected.versions.some((x) => x === version || (scheme.valid(x) && scheme.compare(version, x) === 0));
    if (hit) {
      const shown = affected.versions.length > 8 ? [...affected.versions.slice(0, 8), '…'] : affected.versions;
      matched.push(`versions: [${shown.join(', ')}]`);
    }
  }
  if (matched.length === 0) return { affected: false, fixed: [] };
  return { affected: true, matched: matched.join(' || '), fixed: [...new Set(fixed)] };
}
