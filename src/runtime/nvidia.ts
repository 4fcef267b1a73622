// Probing this host's NVIDIA stack: the kernel driver's version and the GPUs' compute capability. The only place
// that reads /proc/driver/nvidia or runs nvidia-smi; callers get plain values and decide what they mean.
import { readFileSync } from 'node:fs';
import { execFile, execFileSync } from 'node:child_process';

export interface NvidiaProbeOptions {
  /** the driver's proc file (default /proc/driver/nvidia/version) */
  procFile?: string;
  /** the nvidia-smi to run (default `nvidia-smi` on PATH) */
  nvidiaSmi?: string;
  signal?: AbortSignal;
}

/** `550.54.15`-shaped: what --driver-version accepts and what nvidia-smi prints */
export const validDriverVersion = (v: string): boolean => /^\d+(\.\d+){1,3}$/.test(v);

/**
 * The driver version of this host: /proc/driver/nvidia/version ("NVRM version: NVIDIA UNIX x86_64 Kernel Module
 * 550.54.15 …"), else `nvidia-smi --query-gpu=driver_version`. undefined when there is no NVIDIA driver.
 */
export function detectDriverVersion(options: NvidiaProbeOptions = {}): string | undefined {
  try {
    const text = readFileSync(options.procFile ?? '/proc/driver/nvidia/version', 'utf8');
    const m = /Kernel Module(?: for [\w-]+)?\s+(\d+\.\d+(?:\.\d+)?)/.exec(text);
    if (m) return m[1];
  } catch {
    /* no driver loaded */
  }
  try {
    const out = execFileSync(
      options.nvidiaSmi ?? 'nvidia-smi',
      ['--query-gpu=driver_version', '--format=csv,noheader'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 },
    );
    const v = out.split('\n')[0].trim();
    if (validDriverVersion(v)) return v;
  } catch {
    /* no nvidia-smi */
  }
  return undefined;
}

/**
 * `nvidia-smi --query-gpu=compute_cap` as printed (one `8.0`-style line per GPU); undefined when nvidia-smi is
 * absent or fails (no GPU, no driver).
 */
export function queryComputeCaps(options: NvidiaProbeOptions = {}): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      options.nvidiaSmi ?? 'nvidia-smi',
      ['--query-gpu=compute_cap', '--format=csv,noheader'],
      { signal: options.signal, timeout: 15_000 },
      (err, stdout) => resolve(err ? undefined : String(stdout)),
    );
  });
}
