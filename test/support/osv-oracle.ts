// An independent OSV matcher for tests: OSV's own range evaluation (ossf.github.io/osv-schema, "Evaluation") over
// the advisory files themselves, with version orders written here separately from src/version. Shared by the
// matcher tests (src/match/ecosystems.test.ts, hand-built inventories) and the end-to-end test on real images
// (test/e2e/ecosystems-findings.test.ts), so both hold zerocve to the same published rules.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}
export interface OsvRecord {
  id: string;
  aliases?: string[];
  withdrawn?: string;
  affected?: {
    package?: { ecosystem: string; name: string };
    ranges?: { type: string; events: OsvEvent[] }[];
    versions?: string[];
  }[];
}

/** Semantic Versioning 2.0 precedence, written as a tuple comparison (independent of src/version/semver.ts). */
function semverKey(v: string): { core: number[]; pre: (number | string)[] | null } {
  const noBuild = v.replace(/^v/, '').split('+')[0];
  const dash = noBuild.indexOf('-');
  const core = (dash < 0 ? noBuild : noBuild.slice(0, dash)).split('.').map(Number);
  while (core.length < 3) core.push(0);
  const pre =
    dash < 0
      ? null
      : noBuild
          .slice(dash + 1)
          .split('.')
          .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return { core, pre };
}
export function semverOrder(a: string, b: string): number {
  const x = semverKey(a);
  const y = semverKey(b);
  for (let i = 0; i < 3; i++) if (x.core[i] !== y.core[i]) return x.core[i] - y.core[i];
  if (!x.pre || !y.pre) return (x.pre ? -1 : 0) + (y.pre ? 1 : 0);
  for (let i = 0; ; i++) {
    if (i >= x.pre.length || i >= y.pre.length) return x.pre.length - y.pre.length;
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === q) continue;
    if (typeof p === 'number' && typeof q === 'number') return p - q;
    if (typeof p === 'number') return -1;
    if (typeof q === 'number') return 1;
    return p < q ? -1 : 1;
  }
}

/**
 * Maven order, simply: tokens of digits or letters; numbers beat qualifiers; known qualifiers rank alpha < beta <
 * milestone < rc < snapshot < release < sp; a missing token counts as 0 or release. Enough for released versions.
 */
export function mavenOrder(a: string, b: string): number {
  const rank = (q: string): number =>
    ({ alpha: 0, a: 0, beta: 1, b: 1, milestone: 2, m: 2, rc: 3, cr: 3, snapshot: 4, '': 5, ga: 5, final: 5, sp: 6 })[
      q
    ] ?? 7;
  const toks = (v: string): (number | string)[] =>
    (v.toLowerCase().match(/\d+|[a-z]+/g) ?? []).map((t) => (/^\d/.test(t) ? Number(t) : t));
  const x = toks(a);
  const y = toks(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i] ?? (typeof y[i] === 'number' ? 0 : '');
    const q = y[i] ?? (typeof x[i] === 'number' ? 0 : '');
    if (typeof p === 'number' && typeof q === 'number') {
      if (p !== q) return p - q;
    } else if (typeof p === 'number') return 1;
    else if (typeof q === 'number') return -1;
    else if (rank(p) !== rank(q)) return rank(p) - rank(q);
    else if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

/** OSV's own evaluation: events in version order toggle affectedness. */
export function inRange(version: string, events: OsvEvent[], order: (a: string, b: string) => number): boolean {
  const at = (e: OsvEvent): string => e.introduced ?? e.fixed ?? e.last_affected ?? e.limit ?? '';
  const sorted = [...events].sort((p, q) => (at(p) === '0' ? -1 : at(q) === '0' ? 1 : order(at(p), at(q))));
  let affected = false;
  for (const e of sorted) {
    if (e.introduced !== undefined && (e.introduced === '0' || order(version, e.introduced) >= 0)) affected = true;
    else if (e.fixed !== undefined && order(version, e.fixed) >= 0) affected = false;
    else if (e.last_affected !== undefined && order(version, e.last_affected) > 0) affected = false;
  }
  return affected;
}

/** Every OSV record of a folder (its `.json` files, not descending), or the one record of a `.json` file. */
export function readRecords(path: string): OsvRecord[] {
  if (path.endsWith('.json')) return [JSON.parse(readFileSync(path, 'utf8')) as OsvRecord];
  return readdirSync(path)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(path, f), 'utf8')) as OsvRecord);
}

/** Record ids affecting (ecosystem, name, version) by the independent matcher. */
export function oracle(records: OsvRecord[], ecosystem: string, name: string, version: string): Set<string> {
  const order = ecosystem === 'Maven' ? mavenOrder : semverOrder;
  const out = new Set<string>();
  for (const r of records) {
    if (r.withdrawn) continue;
    for (const a of r.affected ?? []) {
      if (a.package?.ecosystem !== ecosystem || a.package.name !== name) continue;
      const hit =
        (a.ranges ?? []).some(
          (rg) => (rg.type === 'SEMVER' || rg.type === 'ECOSYSTEM') && inRange(version, rg.events, order),
        ) || (a.versions ?? []).includes(version);
      if (hit) out.add(r.id);
    }
  }
  return out;
}

/**
 * A Go toolchain version as the Go vulnerability database spells the module `stdlib`'s versions, by Go's release
 * naming (go.dev/doc/toolchain): `go1.19.8` → `1.19.8`, `go1.21` → `1.21.0`, `go1.21rc2` → `1.21.0-rc.2`.
 */
export function goToolchainSemver(go: string): string | undefined {
  const m = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?$/.exec(go);
  if (!m) return undefined;
  return `${m[1]}.${m[2]}.${m[3] ?? '0'}${m[4] ? `-${m[4]}.${m[5]}` : ''}`;
}
