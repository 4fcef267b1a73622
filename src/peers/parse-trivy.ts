// Trivy's JSON report (`trivy image --format json`, SchemaVersion 2): Results[].Vulnerabilities[].
import { InputError } from '../core/errors.ts';
import type { PeerFinding, PeerReport } from './types.ts';
import { ecosystemOfPurl, ecosystemOfTrivyType, fixStateOfTrivy, severityOf } from './normalize.ts';
import { isObject } from '../core/json.ts';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strs = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];

/** Does this parsed JSON look like a Trivy report? */
export const isTrivyReport = (doc: unknown): boolean =>
  isObject(doc) && 'SchemaVersion' in doc && ('Results' in doc || 'ArtifactName' in doc);

/** A parsed Trivy JSON report → PeerReport. `path` names the input in errors. */
export function parseTrivyReport(doc: unknown, path: string): PeerReport {
  if (!isObject(doc)) throw new InputError(`${path}: not a Trivy JSON report (expected an object)`);
  if (doc.SchemaVersion !== 2)
    throw new InputError(`${path}: unsupported Trivy SchemaVersion ${JSON.stringify(doc.SchemaVersion)} (expected 2)`);
  const results = doc.Results ?? [];
  if (!Array.isArray(results)) throw new InputError(`${path}: Trivy Results is not an array`);
  const findings: PeerFinding[] = [];
  results.forEach((r: unknown, ri) => {
    if (!isObject(r)) throw new InputError(`${path}: Results[${ri}] is not an object`);
    const vulns = r.Vulnerabilities ?? [];
    if (!Array.isArray(vulns)) throw new InputError(`${path}: Results[${ri}].Vulnerabilities is not an array`);
    const type = str(r.Type) ?? '';
    vulns.forEach((v: unknown, vi) => {
      const at = `${path}: Results[${ri}].Vulnerabilities[${vi}]`;
      if (!isObject(v)) throw new InputError(`${at} is not an object`);
      const id = str(v.VulnerabilityID);
      const name = str(v.PkgName);
      if (!id) throw new InputError(`${at}: missing VulnerabilityID`);
      if (!name) throw new InputError(`${at}: missing PkgName`);
      const purl = isObject(v.PkgIdentifier) ? str(v.PkgIdentifier.PURL) : undefined;
      const fixedVersions = (str(v.FixedVersion) ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      findings.push({
        id,
        aliases: strs(v.VendorIDs).filter((a) => a !== id),
        ecosystem: ecosystemOfPurl(purl) ?? ecosystemOfTrivyType(type),
        name,
        version: str(v.InstalledVersion) ?? '',
        purl,
        severity: severityOf(v.Severity),
        fixedVersions,
        fixState: fixStateOfTrivy(v.Status, fixedVersions),
      });
    });
  });
  const meta = isObject(doc.Metadata) ? doc.Metadata : {};
  return {
    tool: 'trivy',
    path,
    toolVersion: isObject(doc.Trivy) ? str(doc.Trivy.Version) : undefined,
    target: str(doc.ArtifactName),
    imageId: str(meta.ImageID),
    repoDigests: strs(meta.RepoDigests),
    findings,
  };
}
