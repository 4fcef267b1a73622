// Package URLs (purl-spec) read back into plain data: the one parser every stage uses (SBOM reading, VEX and
// ignore-rule matching). Building purls is the catalog's job (src/catalog/purl.ts).
import { PackageURL } from 'packageurl-js';

export interface ParsedPurl {
  /** lower case, as purl-spec compares it */
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers: Record<string, string>;
  subpath?: string;
}

/** The parts of a purl; undefined when it is not one. */
export function parsePurl(purl: string): ParsedPurl | undefined {
  let p: PackageURL;
  try {
    p = PackageURL.fromString(purl);
  } catch {
    return undefined;
  }
  const parsed: ParsedPurl = {
    type: p.type.toLowerCase(),
    name: p.name,
    qualifiers: Object.fromEntries(Object.entries(p.qualifiers ?? {}).map(([k, v]) => [k, String(v)])),
  };
  if (p.namespace) parsed.namespace = p.namespace;
  if (p.version) parsed.version = p.version;
  if (p.subpath) parsed.subpath = p.subpath;
  return parsed;
}
