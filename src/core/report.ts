// The report: everything a reporter needs, and nothing else. Reporters are pure functions of it.
import type { ImageConfig, ImageSourceInfo, Digest } from './image.ts';
import type { Inventory } from './package.ts';
import type { Finding, Suppression } from './finding.ts';
import type { Severity } from './advisory.ts';

export const REPORT_SCHEMA_VERSION = 1;

export interface LayerSummary {
  index: number;
  digest: Digest;
  diffId?: Digest;
  mediaType: string;
  compressedSize: number;
  uncompressedSize: number;
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
  size?: number;
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
  totalBytes: number;
  shells: string[];
  packageManagers: string[];
  setuid: FileRef[];
  setgid: FileRef[];
  worldWritable: FileRef[];
  user: { configured: string; root: boolean };
}

export interface BloatCategory {
  category: string;
  bytes: number;
  files: number;
}
export interface BloatOffender {
  path: string;
  category: string;
  bytes: number;
  package?: string;
  note?: string;
}
export interface BloatReport {
  totalBytes: number;
  categories: BloatCategory[];
  topOffenders: BloatOffender[];
  /** bytes removable without knowing the workload (docs, caches, shadowed, duplicates, …) */
  removableBytes: number;
  duplicates: { sha256: string; size: number; paths: string[] }[];
  shadowedBytes: number;
  /** bytes of build-only tools (compilers, binutils, cmake, LLVM): removable when nothing builds at run time */
  buildOnlyBytes?: number;
  /** bytes of the merged file system owned by each package, largest first */
  byPackage?: {
    package: string;
    type: string;
    bytes: number;
    files: number;
    removableBytes: number;
    buildOnlyBytes: number;
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
  /** other analysis sections (gpu, models, deps) keyed by scanner name */
  sections?: Record<string, unknown>;
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
  warnings: string[];
}
