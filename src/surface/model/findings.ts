// Model files as the report shows them, and a finding for each pickle that runs code when loaded: built here, beside
// the pickle disassembly that knows why.
import type { Fact } from '../../core/fact.ts';
import type { Finding } from '../../core/finding.ts';
import type { ModelFile } from '../../core/package.ts';
import type { ModelReport } from '../../core/analysis.ts';
import type { Severity } from '../../core/advisory.ts';
import { fileRef } from '../file-ref.ts';

export type PickleFact = Extract<Fact, { kind: 'pickle' }> & { layer: number };

export const UNSAFE_PICKLE_ID = 'ZCVE-MODEL-UNSAFE-PICKLE';

/** The inventory's model files with their unsafe imports, and one finding per pickle that imports code. */
export function modelFindings(
  models: readonly ModelFile[],
  pickles: readonly PickleFact[],
): { models: ModelReport[]; findings: Finding[] } {
  const byPath = new Map(pickles.map((p) => [p.path, p]));
  const report = models.map((m): ModelReport => {
    const p = byPath.get(m.path);
    return {
      ...m,
      unsafeImports: p?.unsafe.map((u) => `${u.module}.${u.name}`) ?? [],
      severity: p?.unsafe.length ? (p.severity ?? 'high') : undefined,
    };
  });
  const findings: Finding[] = [];
  for (const p of byPath.values()) {
    if (!p.unsafe.length) continue;
    const severity: Severity = p.severity ?? 'high';
    const imports = [...new Set(p.unsafe.map((u) => `${u.module}.${u.name}`))];
    findings.push({
      id: UNSAFE_PICKLE_ID,
      aliases: [],
      kind: 'model',
      package: fileRef(p.path, p.layer),
      installedVersion: '',
      fixedVersions: [],
      fixState: 'not-fixed',
      severity,
      severitySource: 'zerocve:model',
      cvss: [],
      kev: false,
      references: ['https://huggingface.co/docs/hub/security-pickle'],
      title:
        `pickle model file imports ${imports.join(', ')} when loaded: loading it runs code (convert to ` +
        `safetensors, or load with weights_only=True)`,
      evidence: [
        {
          matcher: 'model-safety',
          searched: { ecosystem: 'file', name: p.path, version: '' },
          versionScheme: 'none',
          matchedRange: p.unsafe
            .map((u) => `${u.opcode} ${u.module}.${u.name}${u.member ? ` in ${u.member}` : ''}`)
            .join('; '),
          source: 'pickle opcode disassembly',
        },
      ],
    });
  }
  return { models: report, findings };
}
