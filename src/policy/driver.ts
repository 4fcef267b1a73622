// The host's NVIDIA driver version, and `driver:` conditions on ignore rules. NVIDIA fixes many CUDA CVEs in the
// kernel driver, not in the user-space libraries an image ships: such a finding is mitigated on hosts whose driver
// is new enough, and only there.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { UsageError } from '../core/errors.ts';
import { satisfies, schemeById } from '../version/index.ts';

/** `>=550.54.15`, `>=535.104.05, <540`: every clause must hold. Driver versions compare as dotted numbers (CPE order). */
export function driverSatisfies(version: string, condition: string): boolean {
  try {
    return satisfies(schemeById('cpe')!, version, condition);
  } catch (err) {
    throw new UsageError(`driver condition '${condition}': ${(err as Error).message} (expected e.g. >=550.54.15)`, {
      cause: err,
    });
  }
}

export function validDriverVersion(v: string): boolean {
  return /^\d+(\.\d+){1,3}$/.test(v);
}

/**
 * The driver version of this host: /proc/driver/nvidia/version ("NVRM version: NVIDIA UNIX x86_64 Kernel Module
 * 550.54.15 …"), else `nvidia-smi --query-gpu=driver_version`. undefined when there is no NVIDIA driver.
 */
export function detectDriverVersion(options: { procFile?: string; nvidiaSmi?: string } = {}): string | undefined {
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
