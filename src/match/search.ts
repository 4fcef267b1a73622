// The one lookup every matcher does: advisories for (ecosystem, name), the version tested against each affected
// entry, and a Finding with its evidence for each hit.
import type { Advisory, Affected, FixState } from '../core/advisory.ts';
import type { Evidence, Finding } from '../core/finding.ts';
import type { MatchContext, VersionScheme } from '../core/interfaces.ts';
import type { Package } from '../core/package.ts';
import { InputError, reasonOf } from '../core/errors.ts';
import { affectedBy } from '../version/index.ts';
import { rate } from './severity.ts';

export interface Search {
  matcher: string;
  /** ecosystems to look in, in order (a hit in several is deduplicated later) */
  ecosystems: string[];
  name: string;
  version: string;
  scheme: VersionScheme;
  /** the vendor whose per-package severity counts as vendor severity (`debian`, `ubuntu`, `alpine`, …) */
  vendor: string;
  note?: string;
}

/** `CVE-…` id of an advisory (itself or an alias), else its own id. */
export function preferredId(ids: string[]): string {
  return ids.find((i) => /^CVE-\d{4}-\d+$/.test(i)) ?? ids[0];
}

export function packageLocation(pkg: Package): string {
  return pkg.locations[0]?.path ?? pkg.id;
}

/**
 * Findings for one package. An installed version the scheme cannot parse is reported once as a problem and the
 * package is not matched; an advisory version that cannot be compared is reported and that entry skipped.
 */
export function search(pkg: Package, ctx: MatchContext, s: Search): Finding[] {
  if (!s.scheme.valid(s.version)) {
    ctx.problem(
      packageLocation(pkg),
      'unmatched',
      `${s.matcher}: cannot match ${pkg.type} package ${pkg.name}: ${s.scheme.id}: invalid version '${s.version}'`,
    );
    return [];
  }
  const out: Finding[] = [];
  for (const ecosystem of s.ecosystems) {
    for (const adv of ctx.store.advisoriesFor(ecosystem, s.name)) {
      if (adv.withdrawn) continue;
      for (const aff of adv.affected) {
        if (aff.ecosystem !== ecosystem) continue;
        let hit;
        try {
          hit = affectedBy(s.scheme, s.version, aff);
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
          ctx.problem(
            packageLocation(pkg),
            'unmatched',
            `${s.matcher}: advisory ${adv.id} for ${ecosystem}/${s.name} not evaluated: ${reasonOf(err)}`,
          );
          continue;
        }
        if (!hit.affected) continue;
        out.push(toFinding(pkg, ctx, s, ecosystem, adv, aff, hit.matched ?? '', hit.fixed));
      }
    }
  }
  return out;
}

function fixStateOf(aff: Affected, fixed: string[]): FixState {
  if (aff.fixState && aff.fixState !== 'unknown') return aff.fixState;
  return fixed.length > 0 ? 'fixed' : 'not-fixed';
}

function toFinding(
  pkg: Package,
  ctx: MatchContext,
  s: Search,
  ecosystem: string,
  adv: Advisory,
  aff: Affected,
  matched: string,
  fixed: string[],
): Finding {
  const ids = [...new Set([adv.id, ...adv.aliases])];
  const id = preferredId(ids);
  const cve = ids.find((i) => i.startsWith('CVE-'));
  const enrichment = cve ? ctx.store.enrichment(cve) : undefined;
  const rated = rate(adv, aff, s.vendor, enrichment);
  const evidence: Evidence = {
    matcher: s.matcher,
    searched: { ecosystem, name: s.name, version: s.version },
    versionScheme: s.scheme.id,
    matchedRange: matched,
    source: adv.source,
  };
  const notes = [s.note, aff.statusNote ? `status: ${aff.statusNote}` : undefined].filter(Boolean);
  if (notes.length) evidence.note = notes.join('; ');
  const finding: Finding = {
    id,
    aliases: ids.filter((i) => i !== id),
    package: {
      id: pkg.id,
      type: pkg.type,
      name: pkg.name,
      version: pkg.version,
      purl: pkg.purl,
      locations: pkg.locations,
    },
    installedVersion: pkg.version,
    fixedVersions: fixed,
    fixState: fixStateOf(aff, fixed),
    severity: rated.severity,
    severitySource: rated.severitySource,
    cvss: rated.cvss,
    kev: enrichment?.kev !== undefined,
    references: adv.references,
    evidence: [evidence],
    kind: 'vulnerability',
  };
  if (enrichment?.epss) finding.epss = { score: enrichment.epss.score, percentile: enrichment.epss.percentile };
  if (adv.summary) finding.title = adv.summary;
  return finding;
}
