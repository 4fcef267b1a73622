// The analysis pipeline every command shares: target → image → one walk (all analyzers at once) → inventory,
// surface, bloat, GPU, models, secrets. Only wiring lives here; each stage is its own module.
import type { Analyzer } from '../core/analyzer.ts';
import type { Image } from '../core/image.ts';
import type { Inventory } from '../core/package.ts';
import type { Fact } from '../core/fact.ts';
import type { Finding } from '../core/finding.ts';
import type { ImageSummary, Surface, BloatReport, ReportWarning } from '../core/report.ts';
import type { ReportSections } from '../core/analysis.ts';
import { UsageError } from '../core/errors.ts';
import { openImage, parseTarget, type OpenImageOptions } from '../image/index.ts';
import { walkImage, type WalkProgress, type LayerFact, type WalkResult } from '../walk/index.ts';
import { createCatalogers, buildInventoryAndOwners } from '../catalog/index.ts';
import {
  createSurfaceAnalyzers,
  computeSurface,
  computeBloat,
  computeCudaStacks,
  secretFindings,
  createGpuAnalyzer,
  summarizeDeviceCode,
  createModelSafetyAnalyzer,
  modelFindings,
} from '../surface/index.ts';
import { readSbom } from '../sbom/index.ts';

export const SCANNERS = ['vuln', 'surface', 'bloat', 'dup', 'gpu', 'model', 'secret', 'deps'] as const;
export type Scanner = (typeof SCANNERS)[number];
/** On unless asked otherwise; `dup` (content hashes of every file, ~25–30% more CPU) only when asked. */
export const DEFAULT_SCANNERS: readonly Scanner[] = ['vuln', 'surface', 'bloat', 'gpu', 'model', 'secret', 'deps'];

export function parseScanners(list: string[] | undefined): Set<Scanner> {
  if (!list?.length) return new Set(DEFAULT_SCANNERS);
  const out = new Set<Scanner>();
  for (const s of list
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean)) {
    if (s === 'all') {
      for (const a of SCANNERS) out.add(a);
      continue;
    }
    if (!(SCANNERS as readonly string[]).includes(s))
      throw new UsageError(`--scanners: unknown scanner '${s}' (known: ${SCANNERS.join(', ')}, all)`);
    out.add(s as Scanner);
  }
  return out;
}

export interface AnalyzeProgress {
  phase: 'open' | 'layer' | 'inventory' | 'match' | 'done';
  message: string;
  layer?: WalkProgress;
}

export interface AnalyzeOptions {
  open?: OpenImageOptions;
  /** per-layer cache folder; null = no cache */
  cacheDir: string | null;
  /** bound of the cache folder, least recently used layers evicted first (default 4 GiB) */
  cacheMaxBytes?: number;
  scanners: ReadonlySet<Scanner>;
  /** GPU architectures the image must serve (sm_80…), for prunable device code */
  gpuArchs?: string[];
  signal?: AbortSignal;
  onProgress?: (p: AnalyzeProgress) => void;
}

export interface Analysis {
  image: ImageSummary;
  inventory: Inventory;
  surface?: Surface;
  bloat?: BloatReport;
  sections: ReportSections;
  /** findings from analysis rather than advisories: unsafe model files, secrets */
  findings: Finding[];
  warnings: ReportWarning[];
  /** the walk's facts, for later steps (deps doctor, slim) */
  facts: LayerFact[];
}

function analyzersFor(scanners: ReadonlySet<Scanner>): Analyzer[] {
  const needsElf = scanners.has('surface') || scanners.has('bloat') || scanners.has('gpu');
  return [
    ...createCatalogers(),
    ...createSurfaceAnalyzers({ elf: needsElf, hashes: scanners.has('dup'), secrets: scanners.has('secret') }),
    ...(scanners.has('gpu') || scanners.has('bloat') ? [createGpuAnalyzer()] : []),
    ...(scanners.has('model') ? [createModelSafetyAnalyzer()] : []),
  ];
}

type Of<K extends Fact['kind']> = Extract<LayerFact, { kind: K }>;
const ofKind = <K extends Fact['kind']>(facts: LayerFact[], kind: K): Of<K>[] =>
  facts.filter((f): f is Of<K> => f.kind === kind);

/** The image as reports show it: source, config and each walked layer with the history line that made it. */
export function imageSummaryOf(image: Image, walk: Pick<WalkResult, 'layers'>): ImageSummary {
  const history = image.config.history?.filter((h) => !h.emptyLayer) ?? [];
  return {
    source: image.source,
    config: image.config,
    configDigest: image.configDigest,
    layers: walk.layers.map((l, i) => ({
      index: l.index,
      digest: l.digest,
      diffId: l.diffId,
      mediaType: l.mediaType,
      compressedSize: l.compressedSize,
      uncompressedSize: l.uncompressedSize,
      files: l.files,
      createdBy: history[i]?.createdBy,
    })),
    ...(image.annotations ? { annotations: { ...image.annotations } } : {}),
  };
}

/** Open a target (image or SBOM) and analyse it in one pass over its layers. */
export async function analyzeTarget(target: string, options: AnalyzeOptions): Promise<Analysis> {
  const spec = parseTarget(target);
  if (spec.kind === 'sbom') {
    options.onProgress?.({ phase: 'open', message: `reading SBOM ${spec.path}` });
    const sbom = await readSbom(spec.path, { signal: options.signal });
    return {
      image: { source: { target, kind: 'sbom', ...sbom.image }, config: { diffIds: [] }, layers: [] },
      inventory: sbom.inventory,
      sections: {},
      findings: [],
      facts: [],
      warnings: [
        {
          code: 'sbom-inventory-only',
          message: `${target}: analysed from an SBOM: inventory only (no files, surface, bloat, GPU or model analysis)`,
          target,
        },
      ],
    };
  }
  options.onProgress?.({ phase: 'open', message: `opening ${target}` });
  const image = await openImage(target, { ...options.open, signal: options.signal });
  return analyzeImage(image, options);
}

export async function analyzeImage(image: Image, options: AnalyzeOptions): Promise<Analysis> {
  const scanners = options.scanners;
  const walk = await walkImage(image, {
    analyzers: analyzersFor(scanners),
    cacheDir: image.rootDir ? null : options.cacheDir,
    cacheMaxBytes: options.cacheMaxBytes,
    signal: options.signal,
    onProgress: (e) =>
      options.onProgress?.({
        phase: 'layer',
        message: `layer ${e.layer + 1}/${Math.max(image.layers.length, 1)}`,
        layer: e,
      }),
  });
  options.onProgress?.({ phase: 'inventory', message: 'building inventory' });
  const facts = walk.facts;
  const { inventory, owners } = buildInventoryAndOwners(facts, { files: true });
  const elfFacts = ofKind(facts, 'elf');
  const sections: ReportSections = {};
  const findings: Finding[] = [];
  const warnings: ReportWarning[] = [];
  const summary = imageSummaryOf(image, walk);
  const surface = scanners.has('surface')
    ? computeSurface({
        merged: walk.merged.entries(),
        inventory,
        config: image.config,
        elfFacts,
        shebangFacts: ofKind(facts, 'shebang'),
      })
    : undefined;
  const fatbins = ofKind(facts, 'fatbin');
  const deviceBytes = new Map(fatbins.map((f) => [f.path, f.entries.reduce((n, e) => n + e.size, 0)]));
  const bloat =
    scanners.has('bloat') || scanners.has('dup')
      ? computeBloat({
          merged: walk.merged.entries(),
          inventory,
          owners,
          shadowed: walk.merged.shadowed,
          hashes: ofKind(facts, 'content-hash'),
          elfFacts,
          deviceCodeBytes: (p) => deviceBytes.get(p) ?? 0,
        })
      : undefined;
  if (scanners.has('gpu')) {
    sections.gpu = summarizeDeviceCode(fatbins, options.gpuArchs ?? []);
    sections.cudaStacks = computeCudaStacks({
      merged: walk.merged.entries(),
      elfFacts,
      ldSoConf: ofKind(facts, 'ld-so-conf'),
      config: image.config,
    });
  }
  if (scanners.has('model')) {
    const m = modelFindings(inventory.models, ofKind(facts, 'pickle'));
    sections.models = m.models;
    findings.push(...m.findings);
  }
  if (scanners.has('secret')) {
    const s = secretFindings(ofKind(facts, 'secret'), owners);
    sections.secrets = s.secrets;
    findings.push(...s.findings);
  }
  return { image: summary, inventory, surface, bloat, sections, findings, warnings, facts };
}
