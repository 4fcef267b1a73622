// What the image-making and image-reading commands other than `scan` produce (inspect, bloat, slim, build): computed
// by src/app, rendered as text or JSON by src/report. Sizes are bytes.
import type { Digest, ImageSourceInfo } from './image.ts';
import type { BloatReport, ImageSummary, ScanReport } from './report.ts';
import type { CudaStacksReport, DeviceCodeSummary } from './analysis.ts';
import type { Bytes } from './units.ts';

// ── inspect ──────────────────────────────────────────────────────────────────────────────────────────────────────

export interface InspectResult {
  image: ImageSummary;
  platform?: string;
  totals: {
    files: number;
    directories: number;
    symlinks: number;
    hardlinks: number;
    executables: number;
    setuid: number;
    setgid: number;
    bytes: Bytes;
    compressedBytes: Bytes;
  };
  /** files replaced or deleted by later layers */
  shadowed: { files: number; bytes: Bytes };
  problems: { path: string; message: string; layer: number }[];
}

// ── bloat ────────────────────────────────────────────────────────────────────────────────────────────────────────

/** `zerocve bloat --format json`. */
export interface BloatView {
  image: ImageSourceInfo;
  bloat: BloatReport;
  gpu?: DeviceCodeSummary;
  cudaStacks?: CudaStacksReport;
}

// ── slim ─────────────────────────────────────────────────────────────────────────────────────────────────────────

export type OutputKind = 'oci-dir' | 'oci-archive' | 'docker-archive';

/** Where a made image is written. */
export interface ImageOutput {
  kind: OutputKind;
  path: string;
  tag?: string;
}

export interface PackageKeep {
  /** `name` or `name:arch` as the .list file is named */
  name: string;
  /** files the package owns that exist in the image (symlinks and directories not counted) */
  files: number;
  kept: number;
  state: 'full' | 'partial' | 'none';
}

export interface SlimCommand {
  argv: string[];
  exitCode: number;
  durationMs: number;
  /** distinct paths the traced run touched */
  touched: number;
  verify?: { exitCode: number; durationMs: number; stdoutMatches: boolean };
}

export interface SlimResult {
  target: string;
  output: ImageOutput & { manifestDigest: string };
  /** regular files (hard links once) and their bytes */
  before: { files: number; bytes: Bytes };
  after: { files: number; bytes: Bytes; entries: number; layerBytes: Bytes };
  keptPaths: number;
  /** paths kept only because the loader needs them (DT_NEEDED closure, interpreter) */
  keptForLoader: number;
  /** DT_NEEDED names no kept object could resolve */
  unresolvedLibraries: { from: string; needed: string }[];
  packages: { full: string[]; partial: string[]; removed: string[]; details: PackageKeep[] };
  /** stanzas dropped from /var/lib/dpkg/status */
  dpkgStatusDropped: string[];
  commands: SlimCommand[];
  problems: string[];
}

/** A slim with the original and the slim image scanned the same way. */
export interface SlimReport {
  slim: SlimResult;
  before: ScanReport;
  after: ScanReport;
  sbomDigest?: string;
}

// ── build ────────────────────────────────────────────────────────────────────────────────────────────────────────

/** A blob written to an OCI layout (an SBOM, a provenance statement). */
export interface BlobRef {
  mediaType: string;
  digest: Digest;
  size: Bytes;
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface BuildResult {
  output: ImageOutput;
  manifestDigest: string;
  packages: number;
  removedPackages: string[];
  layer: { digest: string; diffId: string; size: Bytes; uncompressedSize: Bytes };
  sbom: BlobRef;
  provenance: BlobRef;
  pushed?: string;
}

/** `zerocve build --check`: packages of a built image with newer versions in the archive. */
export interface FreshnessReport {
  image: string;
  checked: number;
  updates: { name: string; installed: string; candidate: string; security: boolean }[];
}
