// Debian packages in a slimmed root: which are fully, partly or not kept (by the files their .list names), and the
// rewritten /var/lib/dpkg/status.
//
// Why rewrite the status: scanners trust /var/lib/dpkg/status as the list of installed packages. Keeping it whole
// would make every scanner report CVEs for packages whose files were all removed (false positives), and SBOMs would
// list software that is not there. Dropping the stanzas of packages with no kept file keeps the SBOM true; a partly
// kept package stays listed, because some of its code is still in the image and its CVEs may still apply.
import type { PackageKeep } from '../../core/results.ts';
export type { PackageKeep };
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveInRoot, type Snapshot } from './root-fs.ts';

const INFO = '/var/lib/dpkg/info';
export const DPKG_STATUS = '/var/lib/dpkg/status';

/** Per package, how many of its files are kept. Empty when the image has no dpkg database. */
export function dpkgKeep(root: string, snapshot: Snapshot, kept: ReadonlySet<string>): PackageKeep[] {
  const dir = join(root, INFO);
  if (!existsSync(dir)) return [];
  const out: PackageKeep[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.list')) continue;
    const reals = new Set<string>();
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line.startsWith('/')) continue;
      // packages list paths as installed (/lib/x86_64-linux-gnu/… on merged-/usr systems): count the real file
      const real = resolveInRoot(root, line).real;
      if (real !== undefined && snapshot.entries.get(real)?.type === 'file') reals.add(real);
    }
    let n = 0;
    for (const r of reals) if (kept.has(r)) n++;
    out.push({
      name: f.slice(0, -'.list'.length),
      files: reals.size,
      kept: n,
      state: n === 0 ? 'none' : n === reals.size ? 'full' : 'partial',
    });
  }
  return out;
}

/**
 * The status file with only the stanzas of packages that keep at least one file. `keep` holds `name` and
 * `name:arch` forms; a stanza matches either.
 */
export function rewriteDpkgStatus(text: string, keep: ReadonlySet<string>): { text: string; dropped: string[] } {
  const dropped: string[] = [];
  const stanzas = text.split(/\n(?:[ \t]*\n)+/).filter((s) => s.trim() !== '');
  const kept = stanzas.filter((s) => {
    const name = /^Package:\s*(\S+)/m.exec(s)?.[1];
    if (name === undefined) return true; // not a package stanza: left as it is
    const arch = /^Architecture:\s*(\S+)/m.exec(s)?.[1];
    if (keep.has(name) || (arch !== undefined && keep.has(`${name}:${arch}`))) return true;
    dropped.push(name);
    return false;
  });
  return { text: kept.length ? `${kept.map((s) => s.replace(/\n+$/, '')).join('\n\n')}\n` : '', dropped };
}
