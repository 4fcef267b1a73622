// The report's analysis sections: GPU device code, CUDA stacks, model files, secrets, the dependency doctor and the
// peer comparison. Computed by src/surface and src/peers, rendered by src/report; the shapes live here, once.
import type { Severity } from './advisory.ts';
import type { FatbinEntry } from './fact.ts';
import type { ModelFile } from './package.ts';
import type { PeerComparison } from './peer.ts';
import type { Bytes } from './units.ts';

// ── GPU device code (`sections.gpu`) ──────────────────────────────────────────────────────────────────────────────

export interface DeviceCodeEntry extends FatbinEntry {
  /** true when some target GPU would load this entry (or when no targets were given) */
  used: boolean;
}

export interface DeviceCodeFile {
  path: string;
  entries: DeviceCodeEntry[];
  /** stored bytes per arch and kind, e.g. `{ sm_80: { cubin: 1472, ptx: 0 } }` */
  byArch: Record<string, { cubin: Bytes; ptx: Bytes }>;
  totalBytes: Bytes;
  prunableBytes: Bytes;
  /** target archs this file has no loadable entry for (the library's kernels fail on that GPU) */
  unsupported: string[];
}

export interface DeviceCodeSummary {
  /** target archs as normalized (`sm_80`) */
  gpuArchs: string[];
  files: DeviceCodeFile[];
  /** stored bytes of every entry in every file */
  totalBytes: Bytes;
  prunableBytes: Bytes;
  /** stored bytes per arch across files, largest first */
  archs: { arch: string; cubinBytes: Bytes; ptxBytes: Bytes; files: number }[];
}

// ── CUDA installed more than once (`sections.cudaStacks`) ────────────────────────────────────────────────────────

/** One DT_NEEDED entry of a loaded object and where the loader finds it. */
export interface NeededEdge {
  /** real path of the object asking */
  from: string;
  needed: string;
  /** real path loaded, undefined when not found in the image */
  resolved?: string;
  /** which search step found it */
  via?: 'rpath' | 'ld-library-path' | 'runpath' | 'ld-so-conf' | 'default' | 'path' | 'already-loaded';
}

export interface CudaStackCopy {
  /** directory holding the copy's real files */
  dir: string;
  /** major version from the file names (`12`, `9`), when they carry one */
  major?: string;
  /** real files of the copy (symlinks to them are not counted) */
  files: string[];
  bytes: Bytes;
  /** some file of this copy is in torch's load closure */
  loaded: boolean;
}

export interface CudaStackFamily {
  family: string;
  copies: CudaStackCopy[];
  /** bytes of the copies nothing loads, when some copy is loaded (0 when none is: cannot tell) */
  removableBytes: Bytes;
}

export interface CudaStacksReport {
  /** the torch objects whose closure was resolved */
  loaders: string[];
  /** families present more than once */
  duplicates: CudaStackFamily[];
  /** every CUDA family found (one copy or more) */
  families: CudaStackFamily[];
  removableBytes: Bytes;
  /** the DT_NEEDED resolution of the loaders, for evidence; unresolved names have no `resolved` */
  edges: NeededEdge[];
}

// ── Model files (`sections.models`) ──────────────────────────────────────────────────────────────────────────────

/** A model file of the inventory with what loading it would import (pickle formats). */
export interface ModelReport extends ModelFile {
  /** `module.name` globals a pickle imports that run code (empty when safe or not a pickle) */
  unsafeImports: string[];
  /** severity of the unsafe imports, when there are any */
  severity?: Severity;
}

// ── Secrets (`sections.secrets`) ─────────────────────────────────────────────────────────────────────────────────

/** A secret found in a file no OS package owns; the value itself is never kept, only a redacted form. */
export interface SecretHit {
  path: string;
  /** layer index of the file (-1 unknown) */
  layer: number;
  /** rule id (`aws-access-key-id`, `private-key`, …) */
  rule: string;
  title: string;
  /** 1-based line number */
  line: number;
  redacted: string;
}

// ── Dependency doctor (`sections.deps`) ──────────────────────────────────────────────────────────────────────────

export interface PythonEnvironmentSummary {
  /** `system` (the interpreter's dist-packages/site-packages under /usr and /usr/local) or a prefix (`/opt/venv`) */
  key: string;
  pythonVersion?: string;
  distributions: number;
  requirementsChecked: number;
  /** requirements skipped because a marker needs the Python version and none is known */
  requirementsUndecided: number;
}

/** A row of NVIDIA's CUDA/driver table. */
export interface DriverRequirement {
  /** `12.4` or `12.4.1`: the release (update releases carry a third number) */
  cuda: string;
  /** minimum driver with full support of this release */
  toolkit: string;
}

export interface DriverNeed {
  /** the CUDA version asked about, as given */
  cuda: string;
  /** the table row used (the newest release not newer than `cuda`; a bare `12.4` means its GA) */
  row?: DriverRequirement;
  /** driver for full support of that release */
  toolkit?: string;
  /** driver that runs it through minor version compatibility (same major) */
  minorCompat?: string;
}

export interface CudaSummary {
  frameworks: { name: string; version: string; cudaVersion: string }[];
  libraries: { component: string; version: string; cudaMajor?: number; via: string }[];
  /** the driver the highest CUDA in the image needs */
  driver?: DriverNeed;
  hostDriver?: string;
}

export interface DependencySection {
  python: PythonEnvironmentSummary[];
  cuda: CudaSummary;
}

// ── All of them ──────────────────────────────────────────────────────────────────────────────────────────────────

/** The analysis sections of a report; each present only when its scanner ran. */
export interface ReportSections {
  gpu?: DeviceCodeSummary;
  cudaStacks?: CudaStacksReport;
  models?: ModelReport[];
  secrets?: SecretHit[];
  deps?: DependencySection;
  /** the `--merge` comparison with peer scanners' reports */
  peers?: PeerComparison;
}
