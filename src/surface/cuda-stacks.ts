// Duplicate CUDA stacks: the same CUDA library family installed more than once (the system toolkit under
// /usr/local/cuda*/lib64 next to the pip `nvidia/*/lib` wheels torch depends on, or two cuDNN majors), what each
// copy costs, and which copy torch actually loads (its DT_NEEDED closure resolved as ld.so would). Copies nothing
// loads are the removable ones.
import type { CudaStackCopy, CudaStackFamily, CudaStacksReport } from '../core/analysis.ts';
export type { CudaStackCopy, CudaStackFamily, CudaStacksReport };
import type { MergedEntry } from '../core/entry.ts';
import type { ElfInfo } from '../core/fact.ts';
import type { ImageConfig } from '../core/image.ts';
import { createPathIndex } from './merged.ts';
import { ldSearchDirs } from './loader/parse-ld-so-conf.ts';
import { resolveClosure } from './loader/resolve-needed.ts';
import type { NeededEdge } from './loader/resolve-needed.ts';

/** Library families, longest prefix first so `libcublasLt` is not taken for `libcublas`. */
export const CUDA_FAMILIES = [
  'libcudart',
  'libcublasLt',
  'libcublas',
  'libcudnn',
  'libnccl',
  'libcufftw',
  'libcufft',
  'libcusparseLt',
  'libcusparse',
  'libcurand',
  'libcusolverMg',
  'libcusolver',
  'libnvrtc-builtins',
  'libnvrtc',
  'libnvJitLink',
  'libnvToolsExt',
  'libnvtx3interop',
  'libcupti',
  'libnvperf_host',
  'libnvperf_target',
  'libnvjpeg',
  'libcufile',
  'libnvblas',
  'libnppc',
  'libnppi',
  'libnpps',
  'libcudss',
  'libnvshmem_host',
  'libnvpl',
] as const;

const SO = /^(lib[\w+-]+?)\.so(?:\.(\d+)[\d.]*)?$/;

/** Family and major version of a CUDA library file name; undefined for anything else. */
export function cudaFamilyOf(base: string): { family: string; major?: string } | undefined {
  const m = SO.exec(base);
  if (!m) return undefined;
  const stem = m[1];
  // cuDNN 8/9 split into libcudnn_ops, libcudnn_cnn_infer, … : one family; npp splits likewise
  for (const f of CUDA_FAMILIES) {
    if (
      stem === f ||
      (stem.startsWith(`${f}_`) && (f === 'libcudnn' || f === 'libnvperf_host')) ||
      (f.startsWith('libnpp') && stem.startsWith(f))
    ) {
      return {
        family: f === 'libnppc' || f === 'libnppi' || f === 'libnpps' ? 'libnpp' : f,
        ...(m[2] ? { major: m[2] } : {}),
      };
    }
  }
  if (/^libnpp[a-z]+$/.test(stem)) return { family: 'libnpp', ...(m[2] ? { major: m[2] } : {}) };
  return undefined;
}

export interface CudaStacksInput {
  merged: Iterable<MergedEntry>;
  elfFacts: Iterable<{ path: string; elf: ElfInfo }>;
  /** `ld-so-conf` facts */
  ldSoConf?: Iterable<{ path: string; dirs: string[]; includes: string[] }>;
  /** LD_LIBRARY_PATH is read from config.env */
  config?: ImageConfig;
}

const TORCH_LOADER = new RegExp(
  String.raw`\/torch\/(_C(\.[\w-]+)?\.so|lib\/(libtorch_cuda|libtorch_cuda_cpp|libtorch_cuda_cu|libc10_cuda|` +
    String.raw`libtorch_python|libtorch_global_deps)\.so)$`,
);

/** torch's native entry points: the extension module python imports and the CUDA libraries it links. */
export const isTorchLoader = (path: string): boolean => TORCH_LOADER.test(path);

export function computeCudaStacks(input: CudaStacksInput): CudaStacksReport {
  const index = createPathIndex(input.merged);
  const elf = new Map<string, ElfInfo>();
  for (const f of input.elfFacts) elf.set(f.path, f.elf);

  // copies: family → (dir, major) → files
  const copies = new Map<string, Map<string, CudaStackCopy>>();
  for (const e of index.entries()) {
    if (e.type !== 'file') continue;
    const slash = e.path.lastIndexOf('/');
    const fam = cudaFamilyOf(e.path.slice(slash + 1));
    if (!fam) continue;
    const dir = e.path.slice(0, slash) || '/';
    let byCopy = copies.get(fam.family);
    if (!byCopy) copies.set(fam.family, (byCopy = new Map()));
    const key = `${dir}\0${fam.major ?? ''}`;
    let c = byCopy.get(key);
    if (!c)
      byCopy.set(
        key,
        (c = { dir, ...(fam.major !== undefined ? { major: fam.major } : {}), files: [], bytes: 0, loaded: false }),
      );
    c.files.push(e.path);
    c.bytes += e.size;
  }

  const env = input.config?.env?.find((v) => v.startsWith('LD_LIBRARY_PATH='));
  const ctx = {
    index,
    elf,
    confDirs: ldSearchDirs(input.ldSoConf ?? []),
    ldLibraryPath: env
      ? env
          .slice('LD_LIBRARY_PATH='.length)
          .split(':')
          .filter((d) => d.startsWith('/'))
      : [],
  };
  const loaders = [...elf.keys()].filter(isTorchLoader).sort();
  const edges: NeededEdge[] = [];
  const loaded = new Set<string>();
  for (const l of loaders) {
    for (const edge of resolveClosure(ctx, l)) {
      edges.push(edge);
      if (edge.resolved) loaded.add(edge.resolved);
    }
  }

  const families: CudaStackFamily[] = [];
  for (const [family, byCopy] of copies) {
    const list = [...byCopy.values()].sort(
      (a, b) => a.dir.localeCompare(b.dir) || (a.major ?? '').localeCompare(b.major ?? ''),
    );
    for (const c of list) {
      c.files.sort();
      c.loaded = c.files.some((f) => loaded.has(f));
    }
    const anyLoaded = list.some((c) => c.loaded);
    const removableBytes =
      list.length > 1 && anyLoaded ? list.filter((c) => !c.loaded).reduce((a, c) => a + c.bytes, 0) : 0;
    families.push({ family, copies: list, removableBytes });
  }
  families.sort((a, b) => a.family.localeCompare(b.family));
  const duplicates = families.filter((f) => f.copies.length > 1);
  return { loaders, duplicates, families, removableBytes: duplicates.reduce((a, f) => a + f.removableBytes, 0), edges };
}
