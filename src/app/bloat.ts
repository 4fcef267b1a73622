// `zerocve bloat`: analysis without vulnerabilities (surface, bloat, duplicates, GPU device code, CUDA stacks) as a
// ScanReport the reporters render. Only wiring: the analysis is analyze.ts's.
import type { ScanReport } from '../core/report.ts';
import { REPORT_SCHEMA_VERSION } from '../core/report.ts';
import { UsageError } from '../core/errors.ts';
import { analyzeTarget, type AnalyzeOptions } from './analyze.ts';
import { emptyCounts } from './scan.ts';
import { VERSION } from './version.ts';

export interface BloatOptions extends Omit<AnalyzeOptions, 'scanners'> {
  /** hash every file to find duplicates (default true; ~25% more CPU) */
  duplicates?: boolean;
  now?: Date;
}

export async function bloatTarget(target: string, options: BloatOptions): Promise<ScanReport> {
  const scanners = new Set(['surface', 'bloat', 'gpu'] as const);
  const a = await analyzeTarget(target, {
    ...options,
    scanners: options.duplicates === false ? scanners : new Set([...scanners, 'dup' as const]),
  });
  if (!a.bloat) throw new UsageError(`bloat: ${target} has no files to classify (an SBOM target?)`);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'zerocve', version: VERSION },
    createdAt: (options.now ?? new Date()).toISOString(),
    image: a.image,
    inventory: a.inventory,
    findings: [],
    suppressed: [],
    surface: a.surface,
    bloat: a.bloat,
    sections: { gpu: a.sections.gpu, cudaStacks: a.sections.cudaStacks },
    warnings: a.warnings,
    summary: { findings: emptyCounts(), suppressed: 0, fixable: 0, kev: 0, passed: true },
  };
}
