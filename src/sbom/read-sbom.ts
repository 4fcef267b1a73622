// `sbom:PATH` targets: read an SBOM (CycloneDX JSON 1.4–1.6, SPDX 2.2/2.3 JSON, Syft JSON, zerocve json) back into
// an Inventory. An SBOM is one JSON document: it is read whole (tens of MB at most), never streamed.
import { readFile } from 'node:fs/promises';
import type { ImageSourceInfo } from '../core/image.ts';
import { readerProblemCode, type Inventory, type Package, type Problem } from '../core/package.ts';
import { InputError, reasonOf } from '../core/errors.ts';
import { parseCycloneDx } from './parse-cyclonedx.ts';
import type { CdxDocument } from './parse-cyclonedx.ts';
import { parseSpdx } from './parse-spdx.ts';
import type { SpdxDocument } from './parse-spdx.ts';
import { parseSyft } from './parse-syft.ts';
import type { SyftDocument } from './parse-syft.ts';

export interface SbomInput {
  inventory: Inventory;
  image?: Partial<ImageSourceInfo>;
  /** `cyclonedx-json@1.6`, `spdx-json@2.3`, `syft-json@16.0.0`, `zerocve-json@1` */
  format: string;
}

/** Parse an SBOM document already read; `path` names it in messages and problems. */
export function parseSbom(text: string, path: string): SbomInput {
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new InputError(`sbom ${path}: not JSON (${reasonOf(err)}); only JSON SBOMs are supported`, { cause: err });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new InputError(`sbom ${path}: unknown SBOM format (top level is not a JSON object)`);
  const o = doc as Record<string, unknown>;
  if (o.bomFormat === 'CycloneDX') {
    const v = String(o.specVersion ?? '');
    if (!/^1\.[2-7]$/.test(v))
      throw new InputError(`sbom ${path}: CycloneDX specVersion "${v}" is not supported (1.4–1.6)`);
    if (o.components !== undefined && !Array.isArray(o.components))
      throw new InputError(`sbom ${path}: CycloneDX "components" is not an array`);
    return { ...parseCycloneDx(o as unknown as CdxDocument, path), format: `cyclonedx-json@${v}` };
  }
  if (typeof o.spdxVersion === 'string') {
    if (!/^SPDX-2\.[23]$/.test(o.spdxVersion))
      throw new InputError(`sbom ${path}: ${o.spdxVersion} is not supported (SPDX-2.2, SPDX-2.3 JSON)`);
    if (o.packages !== undefined && !Array.isArray(o.packages))
      throw new InputError(`sbom ${path}: SPDX "packages" is not an array`);
    return { ...parseSpdx(o as unknown as SpdxDocument, path), format: `spdx-json@${o.spdxVersion.slice(5)}` };
  }
  if (Array.isArray(o.artifacts)) {
    const schema = o.schema as { version?: string } | undefined;
    return { ...parseSyft(o as unknown as SyftDocument, path), format: `syft-json@${schema?.version ?? 'unknown'}` };
  }
  const inv = o.inventory as Inventory | undefined;
  if (
    typeof o.schemaVersion === 'number' &&
    (o.tool as { name?: string } | undefined)?.name === 'zerocve' &&
    inv &&
    Array.isArray(inv.packages)
  ) {
    const image = (o.image as { source?: ImageSourceInfo } | undefined)?.source;
    // schemaVersion 1 named the installed size (bytes already) `installedSize`
    const packages =
      o.schemaVersion === 1 ? inv.packages.map((p) => ({ ...p, metadata: renameV1Size(p.metadata) })) : inv.packages;
    // schemaVersion 1 problems had no code: the message's wording gives one, as for the format readers
    const problems: Problem[] = (inv.problems ?? []).map((p) =>
      o.schemaVersion === 1 && !p.code ? { ...p, code: readerProblemCode(p.message) } : p,
    );
    return {
      inventory: { os: inv.os, packages, models: inv.models ?? [], problems },
      image: { ...image, kind: 'sbom', target: `sbom:${path}` },
      format: `zerocve-json@${o.schemaVersion}`,
    };
  }
  throw new InputError(
    `sbom ${path}: unknown SBOM format (expected CycloneDX JSON, SPDX JSON, Syft JSON or zerocve json)`,
  );
}

function renameV1Size(m: Package['metadata']): Package['metadata'] {
  const { installedSize, ...rest } = m as Package['metadata'] & { installedSize?: number };
  return installedSize === undefined ? m : ({ ...rest, installedSizeBytes: installedSize } as Package['metadata']);
}

/** Read an SBOM file. Throws InputError (one line, naming the file) when it cannot be read or understood. */
export async function readSbom(path: string, options: { signal?: AbortSignal } = {}): Promise<SbomInput> {
  let text: string;
  try {
    text = await readFile(path, { encoding: 'utf8', signal: options.signal });
  } catch (err) {
    throw new InputError(`sbom ${path}: cannot read (${reasonOf(err)})`, { cause: err });
  }
  return parseSbom(text, path);
}
