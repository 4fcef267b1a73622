// The dependency doctor's wiring: Python requirements and the CUDA/driver chain, as findings of kind `dependency`.
import type { Finding } from '../core/finding.ts';
import type { Analysis } from './analyze.ts';

export function diagnoseDependencies(_analysis: Analysis, _options: { driverVersion?: string }): Finding[] {
  return [];
}
