// Grype's JSON report (`grype -o json`): matches[] of vulnerability × artifact with match details.
import { InputError } from '../core/errors.ts';
import type { PeerFinding, PeerReport } from './types.ts';
import { ecosystemOfGrypeType, ecosystemOfPurl, fixStateOfGrype, severityOf } from './normalize.ts';
import { isObject } from '../core/json.ts';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strs = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];

/** Does this parsed JSON look like a Grype report? */
export const isGrypeReport = (doc: unknown): boolean =>
  isObject(doc) && Array.isArray(doc.matches) && ('source' in doc || 'descriptor' in doc || 'distro' in doc);

/** A parsed Grype JSON report → PeerReport. `path` names the input in errors. */
export function parseGrypeReport(doc: unknown, path: string): PeerReport {
  if (!isObject(doc) || !Array.isArray(doc.matches))
    throw new InputError(`${path}: not a Grype JSON report (expected an object with matches[])`);
  const findings: PeerFinding[] = doc.matches.map((m: unknown, i): PeerFinding => {
    const at = `${path}: matches[${i}]`;
    if (!isObject(m)) throw new InputError(`${at} is not an object`);
    const v = m.vulnerability;
    const a = m.artifact;
    if (!isObject(v) || !str(v.id)) throw new InputError(`${at}: missing vulnerability.id`);
    if (!isObject(a) || !str(a.name)) throw new InputError(`${at}: missing artifact.name`);
    const id = str(v.id)!;
    const related = Array.isArray(m.relatedVulnerabilities)
      ? m.relatedVulnerabilities.map((r) => (isObject(r) ? str(r.id) : undefined)).filter((x): x is string => !!x)
      : [];
    const fix = isObject(v.fix) ? v.fix : {};
    const fixedVersions = strs(fix.versions);
    const purl = str(a.purl);
    return {
      id,
      aliases: [...new Set(related)].filter((x) => x !== id),
      ecosystem: ecosystemOfPurl(purl) ?? ecosystemOfGrypeType(str(a.type) ?? ''),
      name: str(a.name)!,
      version: str(a.version) ?? '',
      purl,
      severity: severityOf(v.severity),
      fixedVersions,
      fixState: fixStateOfGrype(fix.state, fixedVersions),
    };
  });
  const source = isObject(doc.source) ? doc.source : {};
  const target = source.target;
  const t = isObject(target) ? target : {};
  return {
    tool: 'grype',
    path,
    toolVersion: isObject(doc.descriptor) ? str(doc.descriptor.version) : undefined,
    target: typeof target === 'string' ? target : str(t.userInput),
    imageId: str(t.imageID),
    repoDigests: strs(t.repoDigests),
    findings,
  };
}
