// Which GPUs an image's device code is judged against (what counts as prunable): the architectures the user named
// with --gpu-arch, else the GPUs of the host running zerocve, else none — and a sentence saying which it was.
import { normalizeGpuArch, parseComputeCaps } from '../surface/index.ts';
import { UsageError } from '../core/errors.ts';

export interface GpuArchChoice {
  /** normalized (`sm_80`), sorted, distinct; empty: nothing is counted prunable */
  archs: string[];
  source: 'flag' | 'host' | 'none';
  /** one line for the user: where the archs came from */
  note: string;
}

/**
 * `named` are the --gpu-arch values (comma lists allowed); when none are named, `probeHost` is asked for the host's
 * GPUs (`nvidia-smi --query-gpu=compute_cap` output, undefined without nvidia-smi; see src/runtime).
 */
export async function chooseGpuArchs(
  named: readonly string[] | undefined,
  probeHost: () => Promise<string | undefined>,
): Promise<GpuArchChoice> {
  const given = (named ?? [])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (given.length > 0) {
    const archs = new Set<string>();
    for (const g of given) {
      const a = normalizeGpuArch(g);
      if (!a) throw new UsageError(`--gpu-arch: '${g}' is not a GPU architecture (expected e.g. sm_80, 8.0 or 90)`);
      archs.add(a);
    }
    const list = [...archs].sort();
    return { archs: list, source: 'flag', note: `device code judged against ${list.join(', ')} (--gpu-arch)` };
  }
  const out = await probeHost();
  const archs = out === undefined ? [] : parseComputeCaps(out);
  if (archs.length > 0)
    return {
      archs,
      source: 'host',
      note:
        `device code judged against this host's GPU${archs.length > 1 ? 's' : ''} (${archs.join(', ')}, ` +
        `from nvidia-smi); --gpu-arch overrides`,
    };
  return {
    archs: [],
    source: 'none',
    note:
      `no GPU found on this host (${out === undefined ? 'no nvidia-smi' : 'nvidia-smi lists none'}) and ` +
      `no --gpu-arch: no device code counted prunable`,
  };
}
