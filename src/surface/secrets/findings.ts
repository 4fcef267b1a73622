// Secrets as the report shows them (no value, only a redacted form) and one finding each: built here, beside the
// rules that found them.
import type { Finding } from '../../core/finding.ts';
import type { FileOwners } from '../../catalog/index.ts';
import type { SecretHit } from '../../core/analysis.ts';
import type { Severity } from '../../core/advisory.ts';
import { fileRef } from '../file-ref.ts';
import { secretsOutsidePackages, type SecretFact } from './scan-secrets.ts';

/** Cloud credentials and private keys give access at once: critical; other tokens high. */
export const secretSeverity = (rule: string): Severity => (/private-key|aws|gcp/.test(rule) ? 'critical' : 'high');

/** Secrets in files no OS package owns, and one finding for each. */
export function secretFindings(
  secrets: readonly (SecretFact & { layer?: number })[],
  owners: FileOwners,
): { secrets: SecretHit[]; findings: Finding[] } {
  const hits = secretsOutsidePackages(secrets, owners).map((s): SecretHit => ({
    path: s.path,
    layer: s.layer ?? -1,
    rule: s.rule,
    title: s.title,
    line: s.line,
    redacted: s.redacted,
  }));
  const findings = hits.map((s): Finding => ({
    id: `ZCVE-SECRET-${s.rule.toUpperCase()}`,
    aliases: [],
    kind: 'secret',
    package: fileRef(s.path, s.layer),
    installedVersion: '',
    fixedVersions: [],
    fixState: 'not-fixed',
    severity: secretSeverity(s.rule),
    severitySource: 'zerocve:secret',
    cvss: [],
    kev: false,
    references: [],
    title: `${s.title} in ${s.path}:${s.line} (${s.redacted}): remove it from the image and rotate it`,
    evidence: [
      {
        matcher: 'secret',
        searched: { ecosystem: 'file', name: s.path, version: '' },
        versionScheme: 'none',
        matchedRange: `line ${s.line}`,
        source: `rule ${s.rule}`,
      },
    ],
  }));
  return { secrets: hits, findings };
}
