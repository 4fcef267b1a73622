// Each catalog image publishes the platform team's decisions as an OpenVEX 0.2.0 document at a stable URL, so
// `zerocve scan --vex URL`, Trivy and Grype users of the image benefit from them.
import type { CatalogEntry, TriageDecision, TagRecord } from '../store/index.ts';

/** `registry.example/ml/torch` + `sha256:…` → `pkg:oci/torch@sha256%3A…?repository_url=registry.example/ml/torch` */
export function ociPurl(repository: string, digest: string): string {
  const name = repository.split('/').pop()!;
  return `pkg:oci/${name}@${encodeURIComponent(digest)}?repository_url=${repository}`;
}

export function openVexDocument(
  entry: CatalogEntry,
  decisions: TriageDecision[],
  tags: TagRecord[],
  id: string,
  now = new Date(),
) {
  const digests = [...new Set(tags.map((t) => t.digest))];
  const live = decisions.filter((d) => !d.until || Date.parse(d.until) > now.getTime());
  const name = entry.repository.split('/').pop()!;
  const products = (d: TriageDecision) =>
    [`pkg:oci/${name}?repository_url=${entry.repository}`, ...digests.map((g) => ociPurl(entry.repository, g))].map(
      (p) => ({ '@id': p, ...(d.package ? { subcomponents: [{ '@id': d.package }] } : {}) }),
    );
  const statements = live.map((d) => ({
    vulnerability: { name: d.findingId },
    products: products(d),
    status: d.status,
    ...(d.justification ? { justification: d.justification } : {}),
    ...(d.action ? { action_statement: d.action } : {}),
    timestamp: d.createdAt,
  }));
  const latest =
    live
      .map((d) => d.createdAt)
      .sort()
      .pop() ?? entry.updatedAt;
  return {
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': id,
    author: entry.owner ?? 'zerocve serve',
    timestamp: latest,
    // grows with every new decision (ids only increase)
    version: 1 + Math.max(0, ...live.map((d) => d.id)),
    statements,
  };
}
