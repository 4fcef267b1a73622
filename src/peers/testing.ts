// Test support: a Grype JSON report (`grype -o json` layout: matches[] with vulnerability, relatedVulnerabilities,
// matchDetails, artifact; source; distro; descriptor) of the same findings as a Trivy JSON report. The shared corpus
// has no Grype report, so tests write one from a Trivy golden the way Grype would report those findings: Python
// advisories under their GHSA id with the CVE as a related vulnerability (the GHSA id is taken from the finding's
// github.com/advisories reference), OS advisories under the CVE id.
import { isObject } from '../core/json.ts';

type Obj = Record<string, unknown>;
const title = (s: string): string => (s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : 'Unknown');
const GRYPE_TYPE: Record<string, string> = {
  deb: 'deb',
  apk: 'apk',
  rpm: 'rpm',
  pypi: 'python',
  gem: 'gem',
  npm: 'npm',
  golang: 'go-module',
  maven: 'java-archive',
  cargo: 'rust-crate',
};
const STATE: Record<string, string> = {
  fixed: 'fixed',
  affected: 'not-fixed',
  will_not_fix: 'wont-fix',
  fix_deferred: 'not-fixed',
};

export function grypeReportFromTrivy(trivy: unknown): Obj {
  if (!isObject(trivy)) throw new TypeError('not a Trivy report');
  const meta = isObject(trivy.Metadata) ? trivy.Metadata : {};
  const os = isObject(meta.OS) ? meta.OS : undefined;
  const matches: Obj[] = [];
  for (const r of (trivy.Results ?? []) as Obj[]) {
    for (const v of (r.Vulnerabilities ?? []) as Obj[]) {
      const purl = isObject(v.PkgIdentifier) ? String(v.PkgIdentifier.PURL ?? '') : '';
      const purlType = /^pkg:([^/]+)\//.exec(purl)?.[1] ?? '';
      const cve = String(v.VulnerabilityID);
      const ghsa = ((v.References ?? []) as string[])
        .map((u) => /github\.com\/advisories\/(GHSA-[\w-]+)/.exec(u)?.[1])
        .find(Boolean);
      const id = purlType === 'pypi' && ghsa ? ghsa : cve;
      const severity = title(String(v.Severity ?? ''));
      const fixed =
        typeof v.FixedVersion === 'string' && v.FixedVersion ? v.FixedVersion.split(',').map((x) => x.trim()) : [];
      const namespace =
        purlType === 'pypi'
          ? 'github:language:python'
          : `${os?.Family ?? 'unknown'}:distro:${os?.Family ?? 'unknown'}:${os?.Name ?? ''}`;
      matches.push({
        vulnerability: {
          id,
          dataSource: String(v.PrimaryURL ?? ''),
          namespace,
          severity,
          urls: v.References ?? [],
          description: String(v.Description ?? ''),
          cvss: [],
          fix: { versions: fixed, state: STATE[String(v.Status)] ?? (fixed.length ? 'fixed' : 'unknown') },
          advisories: [],
        },
        relatedVulnerabilities:
          id === cve
            ? []
            : [
                {
                  id: cve,
                  dataSource: `https://nvd.nist.gov/vuln/detail/${cve}`,
                  namespace: 'nvd:cpe',
                  severity,
                  urls: [],
                  cvss: [],
                },
              ],
        matchDetails: [
          {
            type: 'exact-direct-match',
            matcher: purlType === 'pypi' ? 'python-matcher' : `${GRYPE_TYPE[purlType] ?? purlType}-matcher`,
            searchedBy: {
              language: purlType === 'pypi' ? 'python' : '',
              namespace,
              package: { name: v.PkgName, version: v.InstalledVersion },
            },
            found: { vulnerabilityID: id, versionConstraint: fixed.length ? `< ${fixed[0]}` : 'none (unknown)' },
          },
        ],
        artifact: {
          id: isObject(v.PkgIdentifier) ? String(v.PkgIdentifier.UID ?? '') : '',
          name: v.PkgName,
          version: v.InstalledVersion,
          type: GRYPE_TYPE[purlType] ?? purlType,
          locations: [],
          language: purlType === 'pypi' ? 'python' : '',
          licenses: [],
          cpes: [],
          purl,
          upstreams: [],
        },
      });
    }
  }
  return {
    matches,
    source: {
      type: 'image',
      target: {
        userInput: trivy.ArtifactName,
        imageID: meta.ImageID,
        manifestDigest: '',
        repoDigests: meta.RepoDigests ?? [],
        tags: meta.RepoTags ?? [],
      },
    },
    distro: { name: os?.Family ?? '', version: os?.Name ?? '', idLike: [] },
    descriptor: { name: 'grype', version: '0.0.0-converted', timestamp: trivy.CreatedAt },
  };
}
