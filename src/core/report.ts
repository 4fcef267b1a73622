// The report: everything a reporter needs, and nothing else. Reporters are pure functions of it.
import type { ImageConfig, ImageSourceInfo, Digest } from './image.ts';
import type { Inventory } from './package.ts';
import type { Finding, Suppression } from './finding.ts';
import type { Severity } from './advisory.ts';
import type { ReportSections } from './analysis.ts';
import type { Bytes } from './units.ts';

/** Version of the JSON report (docs/report.schema.json); what changed between versions: docs/report-changelog.md. */
export const REPORT_SCHEMA_VERSION = 2;

/**
 * A condition the user should know about that did not stop the scan. `code` is stable (filter and store by it);
 * `message` is for people. `target` names the image or input it is about, `path` a file inside it.
 */
export interface ReportWarning {
  code: WarningCode;
  message: string;
  target?: string;
  path?: string;
}

/** Every warning code a report can carry (new codes are added, never renamed). */
export type WarningCode =
  /** the target is an SBOM: inventory only */
  | 'sbom-inventory-only'
  /** no vulnerability database: vulnerabilities were not matched */
  | 'no-vulnerability-db'
  /** the vulnerability database is older than the freshness limit */
  | 'stale-vulnerability-db'
  /** the automatic database update could not fetch a feed, or failed: the previous copy was used */
  | 'vulnerability-db-update'
  /** the image names a base image (annotations) that could not be read or does not match: findings not split */
  | 'base-image-unknown'
  /** an ignore rule passed its expiry date */
  | 'ignore-rule-expired'
  /** an ignore rule with a `driver:` condition and no known host driver */
  | 'ignore-rule-needs-driver'
  /** problems while reading the image (listed in inventory.problems) */
  | 'inventory-problems'
  /** `--merge`: a peer's report is of another image (by config digest) */
  | 'peer-other-image'
  /** `--merge`: a peer reported packages of an ecosystem zerocve does not match */
  | 'peer-unmatched-ecosystem'
  /** `--merge`: several reports of one tool, compared as one scanner */
  | 'peer-same-tool-twice'
  /** `--merge`: packages every scanner saw at versions that never meet */
  | 'peer-version-mismatch';

export interface LayerSummary {
  index: number;
  digest: Digest;
  diffId?: Digest;
  mediaType: string;
  compressedSize: Bytes;
  uncompressedSize: Bytes;
  files: number;
  createdBy?: string;
}

/** The image a scanned image was built on: its first `layers` layers are the base image's. */
export interface BaseImageSummary {
  /** as given to --base, or the `org.opencontainers.image.base.name` annotation */
  name: string;
  /** the base's manifest digest, when known */
  digest?: Digest;
  /** how many of the scanned image's layers (from the bottom) are the base's */
  layers: number;
  /** how the base became known */
  via: 'flag' | 'annotation';
}

export interface ImageSummary {
  source: ImageSourceInfo;
  config: ImageConfig;
  configDigest?: Digest;
  layers: LayerSummary[];
  /** the manifest's annotations, when it has any */
  annotations?: Record<string, string>;
  /** the base image, when known (--base or the OCI base annotations) */
  base?: BaseImageSummary;
}

export interface FileRef {
  path: string;
  layer: number;
  size?: Bytes;
  mode?: number;
}

export interface Surface {
  packagesByType: Record<string, number>;
  files: number;
  directories: number;
  symlinks: number;
  executables: number;
  elfExecutables: number;
  scriptExecutables: number;
  totalBytes: Bytes;
  shells: string[];
  packageManagers: string[];
  setuid: FileRef[];
  setgid: FileRef[];
  worldWritable: FileRef[];
  user: { configured: string; root: boolean };
}

export interface BloatCategory {
  category: string;
  bytes: Bytes;
  files: number;
}
export interface BloatOffender {
  path: string;
  category: string;
  bytes: Bytes;
  package?: string;
  note?: string;
}
export interface BloatReport {
  totalBytes: Bytes;
  categories: BloatCategory[];
  topOffenders: BloatOffender[];
  /** bytes removable without knowing the workload (docs, caches, shadowed, duplicates, …) */
  removableBytes: Bytes;
  duplicates: { sha256: string; size: Bytes; paths: string[] }[];
  shadowedBytes: Bytes;
  /** bytes of build-only tools (compilers, binutils, cmake, LLVM): removable when nothing builds at run time */
  buildOnlyBytes?: Bytes;
  /** bytes of the merged file system owned by each package, largest first */
  byPackage?: {
    package: string;
    type: string;
    bytes: Bytes;
    files: number;
    removableBytes: Bytes;
    buildOnlyBytes: Bytes;
  }[];
}

export interface SeverityCounts {
  critical: number;
  high: number;
  medium: number;
  low: number;
  negligible: number;
  unknown: number;
}

export interface DbInfo {
  path: string;
  builtAt?: string;
  sources: { name: string; snapshot?: string; advisories: number }[];
  ageHours?: number;
}

export interface ScanReport {
  schemaVersion: number;
  tool: { name: 'zerocve'; version: string };
  createdAt: string;
  image: ImageSummary;
  inventory: Inventory;
  findings: Finding[];
  suppressed: Suppression[];
  surface?: Surface;
  bloat?: BloatReport;
  /** analysis sections (GPU device code, CUDA stacks, models, secrets, dependency doctor, peers), when they ran */
  sections?: ReportSections;
  db?: DbInfo;
  summary: {
    findings: SeverityCounts;
    suppressed: number;
    fixable: number;
    kev: number;
    threshold?: Severity;
    passed: boolean;
    /** with a known base image: shown findings and packages split by where they came from */
    base?: {
      findingsFromBase: SeverityCounts;
      findingsFromApp: SeverityCounts;
      packagesFromBase: number;
      packagesFromApp: number;
      /** `--only-base` / `--exclude-base`: which findings were kept */
      filter?: 'only-base' | 'exclude-base';
    };
  };
  warnings: ReportWarning[];
}
