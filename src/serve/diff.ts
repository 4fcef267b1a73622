// What changed for one image between two match results: new findings, resolved findings, and findings whose
// severity or fix state changed. Findings are the same when their id and package are.
import type { Finding } from '../core/finding.ts';
import { severityRank } from '../core/advisory.ts';
import type { NewEvent, FindingState } from '../store/index.ts';

const keyOf = (f: Finding): string => `${f.id}\u0000${f.package.purl}`;
const stateOf = (f: Finding): FindingState => ({
  severity: f.severity,
  fixState: f.fixState,
  fixedVersions: [...f.fixedVersions].sort(),
});
const same = (a: FindingState, b: FindingState): boolean =>
  a.severity === b.severity && a.fixState === b.fixState && a.fixedVersions.join('\n') === b.fixedVersions.join('\n');

export function diffFindings(
  before: Finding[],
  after: Finding[],
  context: { digest: string; repository?: string; dbVersion: string },
): NewEvent[] {
  const old = new Map(before.filter((f) => f.kind === 'vulnerability').map((f) => [keyOf(f), f]));
  const now = new Map(after.filter((f) => f.kind === 'vulnerability').map((f) => [keyOf(f), f]));
  const base = { digest: context.digest, repository: context.repository, dbVersion: context.dbVersion };
  const events: NewEvent[] = [];
  for (const [k, f] of now) {
    const o = old.get(k);
    if (!o) events.push({ ...base, findingId: f.id, packageRef: f.package.purl, kind: 'new', new: stateOf(f) });
    else if (!same(stateOf(o), stateOf(f)))
      events.push({
        ...base,
        findingId: f.id,
        packageRef: f.package.purl,
        kind: 'changed',
        old: stateOf(o),
        new: stateOf(f),
      });
  }
  for (const [k, o] of old)
    if (!now.has(k))
      events.push({ ...base, findingId: o.id, packageRef: o.package.purl, kind: 'resolved', old: stateOf(o) });
  // most severe first
  const rank = (e: NewEvent): number => severityRank((e.new ?? e.old)!.severity);
  return events.sort((a, b) => rank(b) - rank(a) || a.findingId.localeCompare(b.findingId));
}
