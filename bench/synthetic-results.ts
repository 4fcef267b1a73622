// Synthetic scan results for the service benchmarks (admission, ui): findings of one shape, stored as one result per
// digest. What varies per bench (catalog entries, inventories) stays in each bench.
import type { Finding } from '../src/core/finding.ts';
import { SEVERITIES, type Severity } from '../src/core/advisory.ts';
import type { ServiceStore } from '../src/store/index.ts';

/** `count` findings of the packages `packageOf(f)`, severities rotating from `offset`; every second one fixable. */
export function syntheticFindings(
  count: number,
  offset: number,
  packageOf: (f: number) => Pick<Finding['package'], 'id' | 'type' | 'name' | 'version' | 'purl'>,
  rotate = SEVERITIES.length,
): Finding[] {
  return Array.from({ length: count }, (_, f): Finding => {
    const pkg = packageOf(f);
    return {
      id: `CVE-2024-${f}`,
      aliases: [],
      package: { ...pkg, locations: [] } as Finding['package'],
      installedVersion: pkg.version,
      fixedVersions: f % 2 ? ['9.9.9'] : [],
      fixState: f % 2 ? 'fixed' : 'not-fixed',
      severity: SEVERITIES[(f + offset) % rotate] as Severity,
      severitySource: 'bench',
      cvss: [],
      kev: false,
      references: [],
      evidence: [],
      kind: 'vulnerability',
    };
  });
}

/** Stores the findings as the digest's result under analyzer 'bench' and database 'db1'. */
export async function putSyntheticResult(store: ServiceStore, digest: string, findings: Finding[]): Promise<void> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  await store.putResult({
    digest,
    analyzerVersion: 'bench',
    dbVersion: 'db1',
    findings,
    verdict: { passed: false, counts, suppressed: 0 },
    durationMs: 1,
  });
}
