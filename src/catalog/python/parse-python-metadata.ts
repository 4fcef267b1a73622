// Python core metadata (METADATA, PKG-INFO: email-header fields up to the first blank line), RECORD (CSV:
// path,hash,size) and installed-files.txt (one path per line, relative to the egg-info directory).
import { posix } from 'node:path';
import { field, fieldsNamed, parseFieldBlocks } from '../common.ts';

/** PEP 503: lower case, runs of `-`, `_`, `.` become one `-`. */
export const normalizePythonName = (name: string): string =>
  name
    .trim()
    .toLowerCase()
    .replace(/[-_.]+/g, '-');

export interface PythonMetadata {
  name?: string;
  version?: string;
  licenses: string[];
  requiresDist: string[];
  requiresPython?: string;
}

export function parsePythonMetadata(text: string): PythonMetadata {
  // only the header block: the body after the first blank line is the long description
  const end = text.search(/\r?\n\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  const fields = parseFieldBlocks(head)[0]?.fields ?? [];
  const licenses: string[] = [];
  const expr = field(fields, 'License-Expression');
  const lic = field(fields, 'License');
  if (expr) licenses.push(expr);
  else if (lic && lic !== 'UNKNOWN' && !lic.includes('\n') && lic.length <= 100) licenses.push(lic);
  else {
    for (const c of fieldsNamed(fields, 'Classifier')) {
      const m = /^License :: (?:OSI Approved :: )?(.+)$/.exec(c);
      if (m && m[1] !== 'OSI Approved') licenses.push(m[1].trim());
    }
  }
  const md: PythonMetadata = {
    licenses,
    requiresDist: fieldsNamed(fields, 'Requires-Dist').map((s) => s.replace(/\s+/g, ' ')),
  };
  const name = field(fields, 'Name');
  if (name) md.name = name;
  const version = field(fields, 'Version');
  if (version) md.version = version;
  const rp = field(fields, 'Requires-Python');
  if (rp) md.requiresPython = rp;
  return md;
}

/** Absolute paths of a RECORD file; `sitePackages` is the directory holding the .dist-info directory. */
export function parseRecord(text: string, sitePackages: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    let path: string;
    if (line.startsWith('"')) {
      // CSV quoting: "" inside quotes is one quote
      let i = 1;
      path = '';
      while (i < line.length) {
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            path += '"';
            i += 2;
            continue;
          }
          break;
        }
        path += line[i++];
      }
    } else {
      const comma = line.indexOf(',');
      path = comma < 0 ? line : line.slice(0, comma);
    }
    if (path !== '') out.push(posix.resolve(sitePackages, path));
  }
  return out;
}

/** Absolute paths of an egg-info installed-files.txt (relative to the egg-info directory). */
export function parseInstalledFiles(text: string, eggInfoDir: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((p) => posix.resolve(eggInfoDir, p));
}
