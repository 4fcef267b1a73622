// Small helpers every cataloger shares: problem facts, name tests, and the RFC 822-style field blocks used by dpkg
// status files and Python core metadata.
import type { Fact } from '../core/fact.ts';
import type { Package, PackageType, PackageMetadata, ProblemCode } from '../core/package.ts';

/** A `problem` fact: the file and the reason, one line. */
export function problemFact(path: string, analyzer: string, code: ProblemCode, message: string): Fact {
  return { kind: 'problem', code, path, analyzer, message: message.replace(/\s*\n\s*/g, ' ') };
}

/** A package as an analyzer knows it: id, purl and locations are filled by buildInventory. */
export function newPackage(
  type: PackageType,
  name: string,
  version: string,
  metadata: PackageMetadata,
  extra?: Pick<Package, 'licenses' | 'files'>,
): Package {
  const pkg: Package = { id: '', type, name, version, purl: '', locations: [], metadata };
  if (extra?.licenses && extra.licenses.length > 0) pkg.licenses = extra.licenses;
  if (extra?.files) pkg.files = extra.files;
  return pkg;
}

export const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
export const dirName = (path: string): string => {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
};

/** One field of a block, in file order; continuation lines are joined with `\n` (leading blank kept trimmed). */
export interface Field {
  name: string;
  value: string;
}

/**
 * Splits text into blocks of `Name: value` fields separated by blank lines (dpkg status, apk-like control data).
 * Continuation lines (starting with space or tab) extend the previous field. `lineOf` is the 1-based line where
 * each block starts, for problem messages. Lines that are neither fields nor continuations are returned in `bad`.
 */
export function parseFieldBlocks(text: string): { fields: Field[]; line: number; bad: string[] }[] {
  const blocks: { fields: Field[]; line: number; bad: string[] }[] = [];
  let cur: { fields: Field[]; line: number; bad: string[] } | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() === '') {
      cur = undefined;
      continue;
    }
    if (!cur) {
      cur = { fields: [], line: i + 1, bad: [] };
      blocks.push(cur);
    }
    if (line[0] === ' ' || line[0] === '\t') {
      const last = cur.fields[cur.fields.length - 1];
      if (last) last.value = last.value === '' ? line.trim() : `${last.value}\n${line.trim()}`;
      else cur.bad.push(line);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      cur.bad.push(line);
      continue;
    }
    cur.fields.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return blocks;
}

/** First value of a field, case-insensitive name. */
export function field(fields: Field[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return fields.find((f) => f.name.toLowerCase() === lower)?.value;
}

/** Every value of a repeated field, case-insensitive name. */
export function fieldsNamed(fields: Field[], name: string): string[] {
  const lower = name.toLowerCase();
  return fields.filter((f) => f.name.toLowerCase() === lower).map((f) => f.value);
}

/** UTF-8 decode, tolerating invalid bytes (replacement characters). */
export const text = (content: Buffer): string => content.toString('utf8');
