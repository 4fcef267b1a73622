// `cyclonedx-json`: CycloneDX 1.6 built with @cyclonedx/cyclonedx-library (Models.Bom → JsonSerializer, Spec 1.6).
// The library expresses everything needed here (OS and ML-model components, hashes, dependencies, vulnerabilities
// with ratings, affects, analysis and recommendation), so nothing is written by hand. It serializes to one string:
// acceptable for an SBOM (tens of MB at most), noted as the one non-streaming writer.
import type { Writable } from 'node:stream';
// The library's parts, not its root: the root also loads its validators, which pull in ajv when it is installed.
import Models from '@cyclonedx/cyclonedx-library/Models';
import Enums from '@cyclonedx/cyclonedx-library/Enums';
import Spec from '@cyclonedx/cyclonedx-library/Spec';
import Serialize from '@cyclonedx/cyclonedx-library/Serialize';
import SPDX from '@cyclonedx/cyclonedx-library/SPDX';
import type { ScanReport } from '../core/report.ts';
import type { Package } from '../core/package.ts';
import type { Finding, Suppression } from '../core/finding.ts';
import type { Severity, Cvss } from '../core/advisory.ts';
import type { Reporter, ReporterOptions } from './common.ts';
import { writeChunks, stableUuid, imageIdentity, imageName, fixedText } from './common.ts';
import { resolveDpkgDepends } from './dependencies.ts';
import { isOsPackageType } from '../core/package-types.ts';

export interface CycloneDxOptions extends ReporterOptions {
  /** include vulnerabilities[] (scan reports); false for `zerocve sbom`. Default true. */
  vulnerabilities?: boolean;
}

/** bom-ref of a package: its inventory id (unique by construction). */
export const packageBomRef = (p: { id: string }): string => p.id;

function cdxSeverity(s: Severity): Enums.Vulnerability.Severity {
  const S = Enums.Vulnerability.Severity;
  return (
    {
      critical: S.Critical,
      high: S.High,
      medium: S.Medium,
      low: S.Low,
      negligible: S.Info,
      unknown: S.Unknown,
    } as const
  )[s];
}

function scoreSeverity(score: number): Severity {
  return score >= 9 ? 'critical' : score >= 7 ? 'high' : score >= 4 ? 'medium' : score > 0 ? 'low' : 'negligible';
}

function cvssMethod(v: Cvss['version']): Enums.Vulnerability.RatingMethod {
  const M = Enums.Vulnerability.RatingMethod;
  return ({ '2.0': M.CVSSv2, '3.0': M.CVSSv3, '3.1': M.CVSSv31, '4.0': M.CVSSv4 } as const)[v];
}

/**
 * VEX (OpenVEX/CSAF) justification → CycloneDX analysis justification. `reason` is a justification or a VEX
 * suppression's reason as the policy writes it (`not_affected: vulnerable_code_not_in_execute_path[: impact]`).
 */
export function cdxJustification(reason: string): Enums.Vulnerability.AnalysisJustification | undefined {
  const J = Enums.Vulnerability.AnalysisJustification;
  const map: Record<string, Enums.Vulnerability.AnalysisJustification> = {
    component_not_present: J.CodeNotPresent,
    vulnerable_code_not_present: J.CodeNotPresent,
    vulnerable_code_not_in_execute_path: J.CodeNotReachable,
    vulnerable_code_cannot_be_controlled_by_adversary: J.RequiresEnvironment,
    inline_mitigations_already_exist: J.ProtectedByMitigatingControl,
  };
  for (const v of Object.values(J)) map[v] = v;
  return (
    map[reason] ??
    reason
      .split(': ')
      .map((part) => map[part.trim()])
      .find((j) => j !== undefined)
  );
}

/**
 * The VEX analysis of a suppressed finding (CycloneDX 1.6 `analysis`):
 * - OpenVEX `not_affected` → state `not_affected`, its justification mapped (see cdxJustification);
 * - OpenVEX `fixed` → state `resolved`;
 * - an ignore-file rule → state `exploitable` with response `will_not_fix` and a detail starting "accepted by policy".
 *   CycloneDX 1.6 has no "risk accepted" state; the other states would each claim something the rule does not say
 *   (not_affected/false_positive: not vulnerable; resolved: remediated; in_triage: still open), so the truthful
 *   combination is "may be exploitable, and the owner decided not to fix it" — the response is what tells a consumer
 *   the finding was answered;
 * - `--ignore-unfixed` and `--severity` filters are views, not analyses: no state, the detail says why it is hidden.
 * The detail always names the suppressor, its reason and its rule (file:line or VEX statement).
 */
export function cdxAnalysis(s: Suppression): Models.Vulnerability.Analysis {
  const where = s.rule ? ` (${s.rule})` : '';
  const A = Enums.Vulnerability.AnalysisState;
  if (s.by === 'vex') {
    // policy/apply writes `status[: justification][: impact statement]`
    const parts = s.reason.split(/:\s*/);
    const status = parts[0] === 'fixed' || parts[0] === 'not_affected' ? parts.shift() : 'not_affected';
    if (status === 'fixed')
      return new Models.Vulnerability.Analysis({ state: A.Resolved, detail: `VEX: ${s.reason}${where}` });
    return new Models.Vulnerability.Analysis({
      state: A.NotAffected,
      justification: parts.length ? cdxJustification(parts[0]) : undefined,
      detail: `VEX: ${s.reason}${where}`,
    });
  }
  if (s.by === 'ignore-file') {
    const a = new Models.Vulnerability.Analysis({
      state: A.Exploitable,
      detail: `accepted by policy: ${s.reason}${where}`,
    });
    a.response.add(Enums.Vulnerability.AnalysisResponse.WillNotFix);
    return a;
  }
  return new Models.Vulnerability.Analysis({ detail: `suppressed by ${s.by}: ${s.reason}${where}` });
}

function licensesOf(p: Package): Models.License[] {
  const out: Models.License[] = [];
  for (const l of p.licenses ?? []) {
    if (SPDX.isSupportedSpdxId(l)) out.push(new Models.SpdxLicense(l));
    else out.push(new Models.NamedLicense(l));
  }
  return out;
}

function packageComponent(p: Package, withFiles: boolean): Models.Component {
  const m = p.metadata;
  const c = new Models.Component(Enums.ComponentType.Library, p.name, { bomRef: packageBomRef(p), version: p.version });
  // the library validates purls strictly; keep ours verbatim (they come from packageurl-js or the SBOM we read)
  c.purl = p.purl;
  for (const l of licensesOf(p)) c.licenses.add(l);
  const prop = (name: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') c.properties.add(new Models.Property(name, String(value)));
  };
  prop('zerocve:package:type', p.type);
  if (p.locations[0]) {
    prop('zerocve:path', p.locations[0].path);
    prop('zerocve:layer', p.locations[0].layer);
  }
  for (const l of p.locations) prop('zerocve:location', `${l.layer}:${l.path}`);
  if (p.fromBase !== undefined) prop('zerocve:from-base', String(p.fromBase));
  if (m.kind === 'dpkg') {
    prop('zerocve:source-package', m.source);
    prop('zerocve:source-version', m.sourceVersion);
    prop('zerocve:arch', m.arch);
  }
  if (m.kind === 'apk') {
    prop('zerocve:source-package', m.origin);
    prop('zerocve:arch', m.arch);
  }
  if (m.kind === 'rpm') {
    prop('zerocve:source-package', m.sourceRpm);
    prop('zerocve:arch', m.arch);
  }
  prop('zerocve:ownedBy', p.ownedBy);
  prop('zerocve:metadata', JSON.stringify(m));
  if (withFiles) for (const f of p.files ?? []) prop('zerocve:file', f);
  return c;
}

function vulnerabilityOf(
  id: string,
  group: Finding[],
  refs: Map<string, Models.Component>,
  suppression?: Suppression,
): Models.Vulnerability.Vulnerability {
  const f = group[0];
  const v = new Models.Vulnerability.Vulnerability({
    bomRef: suppression ? `vuln:${id}:suppressed:${f.package.id}` : `vuln:${id}`,
    id,
    description: f.title,
    source: new Models.Vulnerability.Source({ name: f.evidence[0]?.source ?? f.severitySource }),
  });
  v.ratings.add(
    new Models.Vulnerability.Rating({
      severity: cdxSeverity(f.severity),
      method: Enums.Vulnerability.RatingMethod.Other,
      source: new Models.Vulnerability.Source({ name: f.severitySource }),
    }),
  );
  for (const c of f.cvss) {
    v.ratings.add(
      new Models.Vulnerability.Rating({
        score: c.score,
        severity: cdxSeverity(scoreSeverity(c.score)),
        method: cvssMethod(c.version),
        vector: c.vector,
        source: new Models.Vulnerability.Source({ name: c.source }),
      }),
    );
  }
  for (const a of f.aliases)
    v.references.add(new Models.Vulnerability.Reference(a, new Models.Vulnerability.Source({ name: a.split('-')[0] })));
  for (const u of f.references) if (/^https?:\/\//.test(u)) v.advisories.add(new Models.Vulnerability.Advisory(u));
  const fixes = group
    .filter((g) => g.fixedVersions.length)
    .map((g) => `${g.package.name} ${g.installedVersion} → ${fixedText(g)}`);
  if (fixes.length) v.recommendation = `Upgrade ${fixes.join('; ')}`;
  for (const g of group) {
    const comp = refs.get(g.package.id);
    if (!comp) continue;
    v.affects.add(
      new Models.Vulnerability.Affect(comp.bomRef, {
        versions: new Models.Vulnerability.AffectedVersionRepository([
          new Models.Vulnerability.AffectedSingleVersion(g.installedVersion, {
            status: Enums.Vulnerability.AffectStatus.Affected,
          }),
        ]),
      }),
    );
  }
  v.properties.add(new Models.Property('zerocve:fixState', f.fixState));
  // one vulnerability may affect packages of the base and of the app: `mixed` then (each component says which)
  if (group.some((g) => g.fromBase !== undefined)) {
    const n = group.filter((g) => g.fromBase).length;
    v.properties.add(
      new Models.Property('zerocve:from-base', n === group.length ? 'true' : n === 0 ? 'false' : 'mixed'),
    );
  }
  if (group.some((g) => g.kev)) v.properties.add(new Models.Property('zerocve:kev', 'true'));
  if (f.epss) v.properties.add(new Models.Property('zerocve:epss', String(f.epss.score)));
  if (suppression) v.analysis = cdxAnalysis(suppression);
  return v;
}

/** Build the CycloneDX BOM model of a report. */
export function buildBom(report: ScanReport, options: CycloneDxOptions = {}): Models.Bom {
  const bom = new Models.Bom();
  bom.serialNumber = `urn:uuid:${stableUuid(imageIdentity(report))}`;
  bom.metadata.timestamp = new Date(report.createdAt);
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, report.tool.name, {
      version: report.tool.version,
      group: 'zerocve',
    }),
  );
  const src = report.image.source;
  const root = new Models.Component(Enums.ComponentType.Container, imageName(report), {
    bomRef: 'image',
    version: src.manifestDigest ?? report.image.configDigest,
  });
  if (src.manifestDigest?.startsWith('sha256:'))
    root.hashes.set(Enums.HashAlgorithm['SHA-256'], src.manifestDigest.slice(7));
  root.properties.add(new Models.Property('zerocve:target', src.target));
  root.properties.add(new Models.Property('zerocve:source-kind', src.kind));
  if (report.image.configDigest)
    root.properties.add(new Models.Property('zerocve:config-digest', report.image.configDigest));
  for (const t of src.repoTags ?? []) root.properties.add(new Models.Property('zerocve:repo-tag', t));
  const base = report.image.base;
  if (base) {
    root.properties.add(new Models.Property('zerocve:base-image', base.name));
    if (base.digest) root.properties.add(new Models.Property('zerocve:base-digest', base.digest));
    root.properties.add(new Models.Property('zerocve:base-layers', String(base.layers)));
  }
  const plat = report.image.config.platform;
  if (plat)
    root.properties.add(
      new Models.Property(
        'zerocve:platform',
        `${plat.os}/${plat.architecture}${plat.variant ? `/${plat.variant}` : ''}`,
      ),
    );
  bom.metadata.component = root;

  const os = report.inventory.os;
  let osComp: Models.Component | undefined;
  if (os) {
    osComp = new Models.Component(Enums.ComponentType.OperatingSystem, os.id, {
      bomRef: `os:${os.id}@${os.versionId}`,
      version: os.versionId,
      description: os.prettyName,
    });
    if (os.versionCodename) osComp.properties.add(new Models.Property('zerocve:codename', os.versionCodename));
    osComp.properties.add(new Models.Property('zerocve:path', os.path));
    bom.components.add(osComp);
    root.dependencies.add(osComp.bomRef);
  }
  const byId = new Map<string, Models.Component>();
  for (const p of report.inventory.packages) {
    const c = packageComponent(p, options.files === true);
    byId.set(p.id, c);
    bom.components.add(c);
    if (osComp && isOsPackageType(p.type)) osComp.dependencies.add(c.bomRef);
    else root.dependencies.add(c.bomRef);
  }
  for (const [from, tos] of resolveDpkgDepends(report.inventory.packages)) {
    const c = byId.get(from);
    for (const to of tos) {
      const t = byId.get(to);
      if (c && t) c.dependencies.add(t.bomRef);
    }
  }
  for (const m of report.inventory.models) {
    const c = new Models.Component(Enums.ComponentType.MachineLearningModel, m.path.split('/').at(-1) ?? m.path, {
      bomRef: `model:${m.path}`,
    });
    c.hashes.set(Enums.HashAlgorithm['SHA-256'], m.sha256);
    c.properties.add(new Models.Property('zerocve:path', m.path));
    c.properties.add(new Models.Property('zerocve:layer', String(m.layer)));
    c.properties.add(new Models.Property('zerocve:model-format', m.format));
    c.properties.add(new Models.Property('zerocve:size', String(m.size)));
    bom.components.add(c);
    root.dependencies.add(c.bomRef);
  }

  if (options.vulnerabilities !== false) {
    const groups = new Map<string, Finding[]>();
    for (const f of report.findings) groups.set(f.id, [...(groups.get(f.id) ?? []), f]);
    for (const [id, g] of groups) bom.vulnerabilities.add(vulnerabilityOf(id, g, byId));
    for (const s of report.suppressed) bom.vulnerabilities.add(vulnerabilityOf(s.finding.id, [s.finding], byId, s));
  }
  return bom;
}

export function cycloneDxJson(report: ScanReport, options: CycloneDxOptions = {}): string {
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return serializer.serialize(buildBom(report, options), { sortLists: true, space: 2 });
}

export function createCycloneDxReporter(defaults: CycloneDxOptions = {}): Reporter {
  return {
    format: 'cyclonedx-json',
    async write(report: ScanReport, out: Writable, options: ReporterOptions = {}): Promise<void> {
      await writeChunks(out, [cycloneDxJson(report, { ...defaults, ...options }), '\n'], options.signal);
    },
  };
}
