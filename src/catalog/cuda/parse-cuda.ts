// NVIDIA component versions from the files that carry them: CUDA's version.json/version.txt, C headers with
// version #defines (cuDNN, NCCL, TensorRT), versioned shared-library names, and the Python files where PyTorch and
// TensorFlow record the CUDA they were built with. Everything is parsed as text; nothing is executed.

/** `/usr/local/cuda-12.1/version.json` → `12.1.1` (the `cuda` entry); undefined when absent. */
export function parseCudaVersionJson(text: string): string | undefined {
  const doc = JSON.parse(text) as Record<string, { version?: unknown } | undefined>;
  const v = doc?.cuda?.version;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** version.txt of CUDA ≤ 11.0: `CUDA Version 11.0.207`. */
export function parseCudaVersionTxt(text: string): string | undefined {
  return /CUDA Version\s+([0-9][0-9.]*)/.exec(text)?.[1];
}

/** `#define NAME value` pairs of a C header, with one level of macro indirection resolved. */
export function parseDefines(text: string): Map<string, string> {
  const raw = new Map<string, string>();
  for (const m of text.matchAll(
    /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]+([^\r\n]*?)[ \t]*(?:\/\/[^\r\n]*|\/\*[^\r\n]*)?$/gm,
  )) {
    raw.set(m[1], m[2].trim().replace(/^\((.*)\)$/, '$1'));
  }
  const out = new Map<string, string>();
  for (const [k, v] of raw) out.set(k, raw.get(v) ?? v);
  return out;
}

/** `MAJOR.MINOR.PATCH` from three numeric defines; undefined unless all three are numbers. */
export function versionFromDefines(
  defs: Map<string, string>,
  major: string,
  minor: string,
  patch: string,
): string | undefined {
  const parts = [defs.get(major), defs.get(minor), defs.get(patch)];
  if (parts.some((p) => p === undefined || !/^\d+$/.test(p))) return undefined;
  return parts.join('.');
}

/** Header files that carry a component version, by file name. */
export const HEADER_RULES: { test: RegExp; component: string; major: string; minor: string; patch: string }[] = [
  {
    test: /^cudnn_version(?:_v\d+)?\.h$|^cudnn\.h$/,
    component: 'cudnn',
    major: 'CUDNN_MAJOR',
    minor: 'CUDNN_MINOR',
    patch: 'CUDNN_PATCHLEVEL',
  },
  { test: /^nccl\.h$/, component: 'nccl', major: 'NCCL_MAJOR', minor: 'NCCL_MINOR', patch: 'NCCL_PATCH' },
  {
    test: /^NvInferVersion\.h$/,
    component: 'tensorrt',
    major: 'NV_TENSORRT_MAJOR',
    minor: 'NV_TENSORRT_MINOR',
    patch: 'NV_TENSORRT_PATCH',
  },
];

/** Shared libraries whose full version is in their file name (the real file, not the soname symlinks). */
export const LIBRARY_RULES: { test: RegExp; component: string }[] = [
  { test: /^libcudart\.so\.(\d+\.\d+\.\d+)$/, component: 'cudart' },
  { test: /^libcudnn(?:_[a-z_]+)?\.so\.(\d+\.\d+\.\d+)$/, component: 'cudnn' },
  { test: /^libnccl\.so\.(\d+\.\d+\.\d+)$/, component: 'nccl' },
  { test: /^libcublas(?:Lt)?\.so\.(\d+\.\d+\.\d+(?:\.\d+)?)$/, component: 'cublas' },
  { test: /^libnvinfer\.so\.(\d+\.\d+\.\d+)$/, component: 'tensorrt' },
];

/** Top-level string assignments of a Python file (`x = '1'`, `x: Optional[str] = "1"`); other lines ignored. */
export function parsePythonStringAssignments(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(
    /^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=\n]+)?=\s*(?:'([^'\n]*)'|"([^"\n]*)")\s*(?:#.*)?$/gm,
  )) {
    out.set(m[1], m[2] ?? m[3]);
  }
  return out;
}

/** `'cuda_version': '11.8'` style entries of TensorFlow's build_info dict (or module-level assignments). */
export function parseTensorflowBuildInfo(text: string): { cudaVersion?: string; cudnnVersion?: string } {
  const get = (k: string): string | undefined =>
    new RegExp(`['"]${k}['"]\\s*:\\s*['"]([^'"]*)['"]`).exec(text)?.[1] ??
    new RegExp(`^${k}\\s*=\\s*['"]([^'"]*)['"]`, 'm').exec(text)?.[1];
  const out: { cudaVersion?: string; cudnnVersion?: string } = {};
  const cuda = get('cuda_version');
  if (cuda) out.cudaVersion = cuda;
  const cudnn = get('cudnn_version');
  if (cudnn) out.cudnnVersion = cudnn;
  return out;
}

/** CUDA toolkit wheels whose own major version is the CUDA major (CUDA ≥ 13 wheels drop the `-cuNN` suffix). */
const TOOLKIT_WHEELS = new Set([
  'cuda-runtime',
  'cuda-nvcc',
  'cuda-nvrtc',
  'cuda-cupti',
  'cuda-cccl',
  'cuda-crt',
  'cuda-culibos',
  'cuda-cuxxfilt',
  'cuda-profiler-api',
  'cuda-sanitizer-api',
  'cuda-nvdisasm',
  'nvtx',
  'nvvm',
  'nvjitlink',
  'cublas',
  'cufft',
  'curand',
  'cusolver',
  'cusparse',
  'npp',
  'nvjpeg',
]);
/** NVIDIA wheels whose version is not the CUDA version; without a `-cuNN` suffix their CUDA major is unknown. */
const OTHER_WHEELS = new Set([
  'cudnn',
  'nccl',
  'cusparselt',
  'cufile',
  'nvshmem',
  'cudss',
  'tensorrt',
  'tensorrt-libs',
]);

/**
 * `nvidia-cublas-cu12` → { component: 'cublas', cudaMajor: 12 }; CUDA 13's `nvidia-cuda-runtime` 13.0.96 →
 * { component: 'cudart', cudaMajor: 13 }; `cuda-runtime` is named `cudart` like the system library. Other
 * `nvidia-*` distributions (nvidia-ml-py, nvidia-dali…) are not CUDA components: undefined.
 */
export function parseNvidiaWheelName(
  name: string,
  version: string,
): { component: string; cudaMajor?: number } | undefined {
  const rename = (c: string): string => (c === 'cuda-runtime' ? 'cudart' : c);
  const m = /^nvidia-(.+)-cu(\d+)$/.exec(name);
  if (m) return { component: rename(m[1]), cudaMajor: Number(m[2]) };
  const bare = /^nvidia-(.+)$/.exec(name)?.[1];
  if (!bare) return undefined;
  if (TOOLKIT_WHEELS.has(bare)) {
    const major = Number(version.split('.')[0]);
    return Number.isInteger(major) && major > 0
      ? { component: rename(bare), cudaMajor: major }
      : { component: rename(bare) };
  }
  if (OTHER_WHEELS.has(bare)) return { component: bare };
  return undefined;
}

/** Major.minor of a version: `12.1.105` → `12.1`. */
export const majorMinor = (v: string): string => v.split('.').slice(0, 2).join('.');
