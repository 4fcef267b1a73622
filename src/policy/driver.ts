// `driver:` conditions on ignore rules. NVIDIA fixes many CUDA CVEs in the kernel driver, not in the user-space
// libraries an image ships: such a finding is mitigated on hosts whose driver is new enough, and only there. The
// host's driver version is probed in src/runtime, not here.
import { UsageError } from '../core/errors.ts';
import { satisfies, schemeById } from '../version/index.ts';

/**
 * `>=550.54.15`, `>=535.104.05, <540`: every clause must hold. Driver versions compare as dotted numbers (CPE order).
 */
export function driverSatisfies(version: string, condition: string): boolean {
  try {
    return satisfies(schemeById('cpe')!, version, condition);
  } catch (err) {
    throw new UsageError(`driver condition '${condition}': ${(err as Error).message} (expected e.g. >=550.54.15)`, {
      cause: err,
    });
  }
}
