// The compute capability of the GPUs on this host, read with `nvidia-smi` when it exists.
import { execFile } from 'node:child_process';
import { normalizeGpuArch } from './summarize.ts';

export interface DetectGpuOptions {
  signal?: AbortSignal;
  /** the nvidia-smi to run (default `nvidia-smi` on PATH) */
  command?: string;
}

/** `['sm_80', …]` one per distinct GPU arch; `[]` when nvidia-smi is absent or fails (no GPU, no driver). */
export function detectGpuArchs(options: DetectGpuOptions = {}): Promise<string[]> {
  return new Promise((resolve) => {
    execFile(
      options.command ?? 'nvidia-smi',
      ['--query-gpu=compute_cap', '--format=csv,noheader'],
      { signal: options.signal, timeout: 15_000 },
      (err, stdout) => {
        if (err) {
          resolve([]);
          return;
        }
        resolve(parseComputeCaps(String(stdout)));
      },
    );
  });
}

/** Lines such as `8.0` or `9.0` → distinct normalized archs. */
export function parseComputeCaps(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const arch = normalizeGpuArch(line);
    if (arch) out.add(arch);
  }
  return [...out].sort();
}
