// The inventory: what is inside an image. Knows nothing of vulnerabilities.
import type { EcosystemMetadata } from './ecosystems.ts';
import type { Bytes } from './units.ts';

import type { PackageType } from './package-types.ts';
export type { PackageType } from './package-types.ts';

/** Where a package's record was found: the file and the layer (index into Image.layers; -1 if unknown). */
export interface Location {
  path: string;
  layer: number;
}

export type PackageMetadata =
  | {
      kind: 'dpkg';
      source: string;
      sourceVersion: string;
      arch: string;
      status?: string;
      maintainer?: string;
      installedSizeBytes?: Bytes;
      depends?: string[];
    }
  | { kind: 'apk'; origin: string; arch: string; installedSizeBytes?: Bytes; depends?: string[] }
  | {
      kind: 'rpm';
      epoch?: number;
      release: string;
      arch: string;
      sourceRpm?: string;
      vendor?: string;
      installedSizeBytes?: Bytes;
    }
  | {
      kind: 'python';
      format: 'dist-info' | 'egg-info';
      installer?: string;
      sitePackages: string;
      requiresDist?: string[];
      requiresPython?: string;
    }
  | { kind: 'conda'; build: string; channel?: string; subdir?: string; condaPrefix: string }
  | {
      kind: 'cuda';
      /** e.g. `cuda-toolkit`, `cudart`, `cudnn`, `nccl`, `cublas`, `tensorrt`, `torch`, `tensorflow` */
      component: string;
      /** how it got there */
      via: 'system' | 'pip' | 'conda' | 'framework';
      cudaVersion?: string;
      cudaMajor?: number;
    }
  | EcosystemMetadata;

export interface Package {
  /** unique within an inventory: `<type>:<name>@<version>:<first location path>` */
  id: string;
  type: PackageType;
  /** name as the ecosystem spells it (PyPI names normalized per PEP 503) */
  name: string;
  /** version verbatim as recorded (dpkg `epoch:upstream-revision`, rpm `epoch:version-release`) */
  version: string;
  purl: string;
  licenses?: string[];
  locations: Location[];
  /** owned files, absolute paths (only when requested or needed: dpkg .list, RECORD, conda files) */
  files?: string[];
  /** id of the OS package that owns this package's files (e.g. Debian's python3-numpy owning numpy's dist-info) */
  ownedBy?: string;
  /** set when the base image is known: whether the base image holds this very package (else an app layer added it) */
  fromBase?: boolean;
  metadata: PackageMetadata;
}

export interface OsInfo {
  /** os-release ID: debian, ubuntu, alpine, wolfi, chainguard, rhel, rocky, almalinux, amzn, … */
  id: string;
  /** VERSION_ID or debian_version/alpine-release; '' when rolling */
  versionId: string;
  prettyName?: string;
  versionCodename?: string;
  idLike?: string[];
  /** Debian-based image with only /var/lib/dpkg/status.d */
  distroless?: boolean;
  /** which file said so */
  path: string;
}

export type ModelFormat =
  | 'safetensors'
  | 'pytorch-pickle'
  | 'pytorch-zip'
  | 'pickle'
  | 'onnx'
  | 'gguf'
  | 'keras-h5'
  | 'keras'
  | 'tensorflow-pb'
  | 'unknown';

export interface ModelFile {
  path: string;
  layer: number;
  format: ModelFormat;
  size: Bytes;
  sha256: string;
}

/** Something that could not be understood. Reported, never fatal, never silent. */
/** Why something could not be read or used in full (stable: new codes are added, never renamed). */
export type ProblemCode =
  /** the file, directory, link or input could not be read (I/O error, permission, missing) */
  | 'unreadable'
  /** the content breaks its own format (bad header, bad field, not the expected document) */
  | 'malformed'
  /** the content ends before its own structure says it should */
  | 'truncated'
  /** well-formed but uses a feature zerocve does not read (sparse files, a compression method, encryption) */
  | 'unsupported'
  /** a structure exceeds a safety cap (size, depth, count): the excess was not read */
  | 'too-large'
  /** a path in the input points outside the image root: kept inside */
  | 'unsafe-path'
  /** an entry deliberately left out (socket, package not in the installed state, a cache that was not written) */
  | 'skipped'
  /** a file that looks like a package could not be named or versioned */
  | 'unidentified'
  /** parts of the input contradict each other (media type vs bytes, several versions, dependency conflicts) */
  | 'inconsistent'
  /** a package was not matched against advisories (unparsable version, unknown ecosystem, no release) */
  | 'unmatched'
  /** an analyzer failed on the entry (a bug or an unexpected input): its facts for the entry are missing */
  | 'analyzer-failed';

/**
 * The code of a format reader's one-line problem (ELF, zip, pickle, safetensors, fatbin, rpm, Go build info): the
 * readers word their messages with fixed phrases, so the phrase tells the kind; anything else is `malformed`.
 */
export function readerProblemCode(message: string): ProblemCode {
  if (/truncated|file ends at|ends before/.test(message)) return 'truncated';
  if (/exceeds the file size/.test(message)) return 'malformed';
  if (/exceeds|deeper than|beyond the first/.test(message)) return 'too-large';
  if (/not supported|encrypted, not checked/.test(message)) return 'unsupported';
  if (/^several .* versions/.test(message)) return 'inconsistent';
  return 'malformed';
}

export interface Problem {
  /** what kind of problem (stable, for filtering) */
  code: ProblemCode;
  /** file inside the image, or the input (db, sbom) */
  path: string;
  /** what looked at it */
  analyzer: string;
  message: string;
  layer?: number;
}

export interface Inventory {
  os?: OsInfo;
  packages: Package[];
  models: ModelFile[];
  problems: Problem[];
}
