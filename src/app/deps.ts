// The dependency doctor's wiring: Python requirements and the CUDA/driver chain, as findings of kind `dependency`.
import type { Finding } from '../core/finding.ts';
import { diagnoseDependencies as diagnose } from '../surface/index.ts';
import type { Analysis } from './analyze.ts';

const PYTHON_DIR = /^\/usr(?:\/local)?\/lib\/python3\.\d+$/;

export function diagnoseDependencies(analysis: Analysis, options: { driverVersion?: string }): Finding[] {
  const pythonDirs = new Set<string>();
  for (const p of analysis.inventory.packages) {
    if (p.metadata.kind !== 'python') continue;
    const dir = p.metadata.sitePackages.replace(/\/(?:dist|site)-packages$/, '');
    if (PYTHON_DIR.test(dir)) pythonDirs.add(dir);
  }
  const report = diagnose(analysis.inventory.packages, {
    architecture: analysis.image.config.platform?.architecture,
    driverVersion: options.driverVersion,
    pythonDirs: [...pythonDirs],
  });
  analysis.sections.deps = { python: report.python, cuda: report.cuda };
  analysis.inventory.problems.push(...report.problems);
  return report.findings;
}
