// apk's installed database (/lib/apk/db/installed): blocks of one-letter `K:value` lines separated by blank lines.
// P name · V version · A arch · o origin · L license · I installed size · D depends · F directory · R file in it.
import type { Package } from '../../core/package.ts';
import { newPackage } from '../common.ts';

export interface ApkParse {
  packages: Package[];
  problems: string[];
}

export function parseApkInstalled(text: string): ApkParse {
  const packages: Package[] = [];
  const problems: string[] = [];
  let rec: Map<string, string> | undefined;
  let files: string[] = [];
  let dir = '';
  let start = 0;
  let bad = 0;
  const flush = (): void => {
    if (!rec) return;
    const name = rec.get('P');
    const version = rec.get('V');
    if (!name) problems.push(`record at line ${start} has no P: (name) line`);
    else if (!version) problems.push(`package ${name} has no V: (version) line (line ${start})`);
    else {
      const meta: Package['metadata'] & { kind: 'apk' } = {
        kind: 'apk',
        origin: rec.get('o') || name,
        arch: rec.get('A') ?? '',
      };
      const size = rec.get('I');
      if (size && /^\d+$/.test(size)) meta.installedSizeBytes = Number(size); // apk's I: is bytes
      const deps = rec.get('D');
      if (deps) meta.depends = deps.split(/\s+/).filter(Boolean);
      const license = rec.get('L');
      packages.push(newPackage('apk', name, version, meta, { licenses: license ? [license] : undefined, files }));
    }
    if (bad > 0) problems.push(`${bad} malformed line(s) in record starting at line ${start}`);
    rec = undefined;
    files = [];
    dir = '';
    bad = 0;
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line === '') {
      flush();
      continue;
    }
    if (!rec) {
      rec = new Map();
      start = i + 1;
    }
    if (line.length < 2 || line[1] !== ':') {
      bad++;
      continue;
    }
    const key = line[0];
    const value = line.slice(2);
    if (key === 'F') dir = value;
    else if (key === 'R') files.push(`/${dir === '' ? '' : `${dir}/`}${value}`);
    else if (!rec.has(key)) rec.set(key, value);
  }
  flush();
  return { packages, problems };
}
