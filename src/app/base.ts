// Base image or application: which packages and findings the base image brought (fixed by rebuilding on a newer
// base or switching base) and which the application layers added. The base is known from `--base IMAGE`, or from
// the OCI annotations `org.opencontainers.image.base.name` / `.base.digest` when that image can be read. Its layers
// (diffIDs) must be the first layers of the scanned image. The base is inventoried itself (its layers come from the
// layer cache when the scan just walked them): a package is from the base when the base holds the very same package
// (type, name, version, record path) — an app layer that rewrites /var/lib/dpkg/status does not make every deb the
// app's, and one that upgrades a package makes that upgrade the app's. Findings without a package (secrets, model
// files) are attributed by the layer of their file.
import type { Finding } from '../core/finding.ts';
import type { Image } from '../core/image.ts';
import type { Inventory } from '../core/package.ts';
import type { BaseImageSummary, ImageSummary, ScanReport } from '../core/report.ts';
import { UsageError, reasonOf } from '../core/errors.ts';
import { openImage, type OpenImageOptions } from '../image/index.ts';

export const BASE_NAME_ANNOTATION = 'org.opencontainers.image.base.name';
export const BASE_DIGEST_ANNOTATION = 'org.opencontainers.image.base.digest';

export type BaseFilter = 'only-base' | 'exclude-base';

export interface BaseOptions {
  /** `--base IMAGE`: a target as scan takes it */
  image?: string;
  /** read the base from the scanned image's OCI annotations when no --base is given (default false) */
  fromAnnotations?: boolean;
  /** keep only the base's findings, or only the app's */
  filter?: BaseFilter;
}

export interface ResolvedBase {
  summary: BaseImageSummary;
  image: Image;
}

const short = (d: string | undefined): string => (d ? d.replace(/^sha256:/, '').slice(0, 12) : 'none');

/** Where the base's layers stop matching the scanned image's: undefined when they are a prefix of them. */
function prefixMismatch(base: readonly string[], scanned: readonly string[]): string | undefined {
  if (base.length === 0) return 'it has no layers';
  if (base.length > scanned.length) return `it has ${base.length} layers, the scanned image only ${scanned.length}`;
  for (let i = 0; i < base.length; i++)
    if (base[i] !== scanned[i])
      return `its layer ${i + 1} (${short(base[i])}) is not the scanned image's layer ${i + 1} (${short(scanned[i])})`;
  return undefined;
}

/**
 * The annotated base as a registry target: `registry:name@digest` when the digest is given. Always a registry
 * reference — an image must not make the scanner open a path on the host (`dir:/`, `oci-dir:…`).
 */
export function annotatedBaseTarget(annotations: Readonly<Record<string, string>> | undefined): string | undefined {
  const name = annotations?.[BASE_NAME_ANNOTATION]?.trim().replace(/^registry:/, '');
  if (!name) return undefined;
  const digest = annotations?.[BASE_DIGEST_ANNOTATION]?.trim();
  return `registry:${digest && !name.includes('@') ? `${name}@${digest}` : name}`;
}

/**
 * The scanned image's base: `--base` (an error when its layers are not the scanned image's first layers; `opened`
 * when the caller opened it already), else the annotated base when asked and readable (a warning, not an error,
 * when it cannot be read or does not match).
 */
export async function resolveBase(
  scanned: ImageSummary,
  options: BaseOptions & { open?: OpenImageOptions; signal?: AbortSignal; opened?: Image },
): Promise<{ base?: ResolvedBase; warnings: string[] }> {
  const warnings: string[] = [];
  const scannedIds = scanned.config.diffIds;
  const what = scanned.source.target;
  if (options.image) {
    if (scanned.source.kind === 'dir' || scanned.source.kind === 'sbom')
      throw new UsageError(`--base: ${what} is a ${scanned.source.kind}: target without layers, so nothing to split`);
    const image = options.opened ?? (await openImage(options.image, { ...options.open, signal: options.signal }));
    const bad = prefixMismatch(image.config.diffIds, scannedIds);
    if (bad) throw new UsageError(`--base ${options.image} is not the base of ${what}: ${bad}`);
    return {
      base: {
        image,
        summary: {
          name: options.image,
          ...(image.source.manifestDigest ? { digest: image.source.manifestDigest } : {}),
          layers: image.config.diffIds.length,
          via: 'flag',
        },
      },
      warnings,
    };
  }
  const target = options.fromAnnotations ? annotatedBaseTarget(scanned.annotations) : undefined;
  if (!target) return { warnings };
  const name = scanned.annotations![BASE_NAME_ANNOTATION];
  let image: Image;
  try {
    image = await openImage(target, { ...options.open, signal: options.signal });
  } catch (err) {
    options.signal?.throwIfAborted();
    warnings.push(
      `the image names its base ${name} (${BASE_NAME_ANNOTATION}) but it could not be read (${reasonOf(err)}` +
        `): pass --base IMAGE to split findings by base`,
    );
    return { warnings };
  }
  const bad = prefixMismatch(image.config.diffIds, scannedIds);
  if (bad) {
    warnings.push(`the annotated base ${name} does not match the image (${bad}): findings not split by base`);
    return { warnings };
  }
  const digest = scanned.annotations![BASE_DIGEST_ANNOTATION] ?? image.source.manifestDigest;
  return {
    base: {
      image,
      summary: { name, ...(digest ? { digest } : {}), layers: image.config.diffIds.length, via: 'annotation' },
    },
    warnings,
  };
}

/** Mark every package and finding with `fromBase`, given the base image's own inventory. Returns new arrays. */
export function attributeToBase(
  inventory: Inventory,
  findings: Finding[],
  base: { inventory: Inventory; layers: number },
): { inventory: Inventory; findings: Finding[] } {
  const inBase = new Set(base.inventory.packages.map((p) => p.id));
  const packages = inventory.packages.map((p) => ({ ...p, fromBase: inBase.has(p.id) }));
  const byId = new Map(packages.map((p) => [p.id, p.fromBase]));
  const marked = findings.map((f) => {
    const known = byId.get(f.package.id);
    const layer = f.package.locations[0]?.layer ?? -1;
    return { ...f, fromBase: known ?? (layer >= 0 && layer < base.layers) };
  });
  return { inventory: { ...inventory, packages }, findings: marked };
}

/** Keep only the base's or only the app's findings. */
export function filterByBase(findings: Finding[], filter: BaseFilter | undefined): Finding[] {
  if (!filter) return findings;
  return findings.filter((f) => (filter === 'only-base' ? f.fromBase === true : f.fromBase !== true));
}

/** The summary's base/app split of the findings shown and of the packages. */
export function baseSplitSummary(
  report: Pick<ScanReport, 'findings' | 'inventory'>,
  count: (fs: Finding[]) => NonNullable<ScanReport['summary']['base']>['findingsFromBase'],
  filter: BaseFilter | undefined,
): NonNullable<ScanReport['summary']['base']> {
  const fromBase = report.inventory.packages.filter((p) => p.fromBase).length;
  return {
    findingsFromBase: count(report.findings.filter((f) => f.fromBase)),
    findingsFromApp: count(report.findings.filter((f) => !f.fromBase)),
    packagesFromBase: fromBase,
    packagesFromApp: report.inventory.packages.length - fromBase,
    ...(filter ? { filter } : {}),
  };
}
