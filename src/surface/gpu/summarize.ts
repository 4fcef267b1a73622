// What device code an image carries, per file and per GPU architecture, and how much of it the given GPUs can never
// load.
//
// What counts as prunable, for a set of target GPUs (compute capabilities):
// - The CUDA driver loads, for each GPU, a cubin whose SM major equals the GPU's and whose minor is not above it
//   (sm_80 code runs on sm_86 and sm_89; sm_90 code does not run on sm_100). Arch-specific cubins (`sm_90a`) run only
//   on exactly that GPU; family cubins (`sm_100f`) run on the same major with an equal or higher minor.
// - Only when no such cubin exists does the driver JIT-compile PTX, choosing the highest PTX whose compute capability
//   is not above the GPU's (PTX for compute_80 JIT-compiles on sm_90 and newer). Arch-specific PTX JITs only on the
//   same GPU.
// - An entry is kept when the driver would pick it for at least one target GPU; every other entry is prunable. So
//   PTX is prunable whenever each target GPU has a matching cubin. Removing PTX gives up running on future GPUs the
//   image was not built for: keep one PTX (`keepPtx`) to keep that forward path at the price of its bytes.
// With no target GPU given nothing is prunable (we cannot know what will run).
import type { DeviceCodeEntry, DeviceCodeFile, DeviceCodeSummary } from '../../core/analysis.ts';
export type { DeviceCodeEntry, DeviceCodeFile, DeviceCodeSummary };
import type { Fact, FatbinEntry } from '../../core/fact.ts';

export interface SummarizeOptions {
  /** keep the highest PTX of each file even when cubins cover every target (default false) */
  keepPtx?: boolean;
}

interface Arch {
  major: number;
  minor: number;
  suffix: '' | 'a' | 'f';
}

/** `sm_80`, `sm_90a`, `compute_90`, `8.0`, `90`, `9.0a` → `sm_80`… ; undefined when unreadable */
export function normalizeGpuArch(text: string): string | undefined {
  const t = text.trim().toLowerCase();
  let m = /^(?:sm_|compute_)?(\d+)([af]?)$/.exec(t);
  if (m) return `sm_${Number(m[1])}${m[2]}`;
  m = /^(\d+)\.(\d)([af]?)$/.exec(t);
  if (m) return `sm_${Number(m[1]) * 10 + Number(m[2])}${m[3]}`;
  return undefined;
}

function parseArch(arch: string): Arch | undefined {
  const m = /^sm_(\d+)(\d)([af]?)$/.exec(arch);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), suffix: m[3] as Arch['suffix'] };
}

const ccOf = (a: Arch): number => a.major * 10 + a.minor;

/** can this cubin run on that GPU (without JIT)? */
export function cubinRunsOn(cubin: string, gpu: string): boolean {
  const c = parseArch(cubin);
  const g = parseArch(gpu);
  if (!c || !g) return false;
  if (c.suffix === 'a') return c.major === g.major && c.minor === g.minor;
  return c.major === g.major && c.minor <= g.minor;
}

/** can this PTX be JIT-compiled for that GPU? */
export function ptxJitsOn(ptx: string, gpu: string): boolean {
  const p = parseArch(ptx);
  const g = parseArch(gpu);
  if (!p || !g) return false;
  if (p.suffix === 'a') return p.major === g.major && p.minor === g.minor;
  if (p.suffix === 'f') return p.major === g.major && p.minor <= g.minor;
  return ccOf(p) <= ccOf(g);
}

/** Indexes of the entries the driver would load for this GPU: the best cubin, else the best PTX. */
function chosenFor(entries: FatbinEntry[], gpu: string): number[] {
  const rank = (arch: string): number => {
    const a = parseArch(arch);
    return a ? ccOf(a) * 2 + (a.suffix === 'a' ? 1 : 0) : -1;
  };
  const pick = (kind: 'cubin' | 'ptx', fits: (arch: string) => boolean): number[] => {
    let best = -1;
    for (const [i, e] of entries.entries())
      if (e.kind === kind && fits(e.arch) && (best < 0 || rank(e.arch) > rank(entries[best].arch))) best = i;
    if (best < 0) return [];
    // every container holds its own entry for the chosen arch: all of them are loaded
    return [...entries.keys()].filter((i) => entries[i].kind === kind && entries[i].arch === entries[best].arch);
  };
  const cubins = pick('cubin', (a) => cubinRunsOn(a, gpu));
  return cubins.length > 0 ? cubins : pick('ptx', (a) => ptxJitsOn(a, gpu));
}

export function summarizeDeviceCode(
  facts: readonly Fact[],
  gpuArchs: readonly string[],
  options: SummarizeOptions = {},
): DeviceCodeSummary {
  const targets = [
    ...new Set(gpuArchs.map((a) => normalizeGpuArch(a)).filter((a): a is string => a !== undefined)),
  ].sort();
  const files: DeviceCodeFile[] = [];
  const archTotals = new Map<string, { cubinBytes: number; ptxBytes: number; files: Set<string> }>();
  for (const fact of facts) {
    if (fact.kind !== 'fatbin') continue;
    const used = new Set<number>();
    const unsupported: string[] = [];
    if (targets.length === 0) fact.entries.forEach((_, i) => used.add(i));
    for (const gpu of targets) {
      const chosen = chosenFor(fact.entries, gpu);
      if (chosen.length === 0) unsupported.push(gpu);
      for (const i of chosen) used.add(i);
    }
    if (options.keepPtx) {
      const ptx = fact.entries.map((e, i) => ({ e, i })).filter(({ e }) => e.kind === 'ptx');
      const top = ptx.reduce<number>((m, { e }) => Math.max(m, parseArch(e.arch) ? ccOf(parseArch(e.arch)!) : -1), -1);
      for (const { e, i } of ptx) if (parseArch(e.arch) && ccOf(parseArch(e.arch)!) === top) used.add(i);
    }
    const byArch: DeviceCodeFile['byArch'] = {};
    let totalBytes = 0;
    let prunableBytes = 0;
    const entries = fact.entries.map((e, i) => {
      const slot = (byArch[e.arch] ??= { cubin: 0, ptx: 0 });
      slot[e.kind] += e.size;
      totalBytes += e.size;
      if (!used.has(i)) prunableBytes += e.size;
      const t = archTotals.get(e.arch) ?? { cubinBytes: 0, ptxBytes: 0, files: new Set<string>() };
      if (e.kind === 'cubin') t.cubinBytes += e.size;
      else t.ptxBytes += e.size;
      t.files.add(fact.path);
      archTotals.set(e.arch, t);
      return { ...e, used: used.has(i) };
    });
    files.push({ path: fact.path, entries, byArch, totalBytes, prunableBytes, unsupported });
  }
  files.sort((a, b) => b.totalBytes - a.totalBytes || a.path.localeCompare(b.path));
  const archs = [...archTotals]
    .map(([arch, t]) => ({ arch, cubinBytes: t.cubinBytes, ptxBytes: t.ptxBytes, files: t.files.size }))
    .sort((a, b) => b.cubinBytes + b.ptxBytes - (a.cubinBytes + a.ptxBytes) || a.arch.localeCompare(b.arch));
  return {
    gpuArchs: targets,
    files,
    totalBytes: files.reduce((s, f) => s + f.totalBytes, 0),
    prunableBytes: files.reduce((s, f) => s + f.prunableBytes, 0),
    archs,
  };
}

/** nvidia-smi's `compute_cap` lines (`8.0`, `9.0`) → distinct normalized archs, sorted. */
export function parseComputeCaps(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const arch = normalizeGpuArch(line);
    if (arch) out.add(arch);
  }
  return [...out].sort();
}
