// dpkg's status database (/var/lib/dpkg/status) and distroless's one-file-per-package variant
// (/var/lib/dpkg/status.d/<name>): deb822 stanzas, one per package.
import type { Package } from '../../core/package.ts';
import { kibToBytes } from '../../core/units.ts';
import { field, newPackage, parseFieldBlocks } from '../common.ts';

export interface DpkgParse {
  packages: Package[];
  problems: string[];
}

/**
 * Installed packages of a status file. `Status: install ok installed` is kept (and so is a stanza without Status,
 * as distroless writes them); `triggers-awaiting`/`triggers-pending` are fully unpacked and configured but for a
 * trigger, so they count as installed; `half-installed`/`half-configured`/`unpacked` are reported as problems;
 * anything else (`config-files`, `not-installed`) is skipped silently, since its files are gone.
 */
export function parseDpkgStatus(text: string): DpkgParse {
  const packages: Package[] = [];
  const problems: string[] = [];
  for (const block of parseFieldBlocks(text)) {
    const name = field(block.fields, 'Package');
    if (!name) {
      problems.push(`stanza at line ${block.line} has no Package field`);
      continue;
    }
    const status = field(block.fields, 'Status');
    if (status !== undefined) {
      const state = status.split(/\s+/)[2] ?? '';
      if (state === 'half-installed' || state === 'half-configured' || state === 'unpacked') {
        problems.push(`package ${name} is ${state} (line ${block.line}); not counted as installed`);
        continue;
      }
      if (state !== 'installed' && state !== 'triggers-awaiting' && state !== 'triggers-pending') continue;
    }
    const version = field(block.fields, 'Version');
    if (!version) {
      problems.push(`package ${name} has no Version (line ${block.line})`);
      continue;
    }
    const arch = field(block.fields, 'Architecture') ?? '';
    let source = name;
    let sourceVersion = version;
    const src = field(block.fields, 'Source');
    if (src) {
      const m = /^(\S+)(?:\s*\(([^)]+)\))?/.exec(src);
      if (m) {
        source = m[1];
        if (m[2]) sourceVersion = m[2].trim();
      }
    }
    const meta: Package['metadata'] & { kind: 'dpkg' } = { kind: 'dpkg', source, sourceVersion, arch };
    if (status) meta.status = status;
    const maintainer = field(block.fields, 'Maintainer');
    if (maintainer) meta.maintainer = maintainer;
    const size = field(block.fields, 'Installed-Size');
    if (size) {
      // Installed-Size is KiB; some tools wrote a unit suffix (`4KB`)
      const m = /^(\d+)\s*([kKmM]?)[bB]?$/.exec(size.trim());
      if (m) meta.installedSizeBytes = kibToBytes(Number(m[1]) * (m[2].toLowerCase() === 'm' ? 1024 : 1));
    }
    const depends = field(block.fields, 'Depends');
    const pre = field(block.fields, 'Pre-Depends');
    const deps = [pre, depends].filter((d): d is string => !!d).flatMap(splitRelations);
    if (deps.length > 0) meta.depends = deps;
    packages.push(newPackage('deb', name, version, meta));
  }
  return { packages, problems };
}

/** `a (>= 1), b | c` → ['a (>= 1)', 'b | c'] (newlines of folded fields removed). */
function splitRelations(v: string): string[] {
  return v
    .replace(/\n/g, ' ')
    .split(',')
    .map((s) => s.trim().replace(/\s+/g, ' '))
    .filter(Boolean);
}

/** Paths of a dpkg `info/<pkg>.list` file (the `/.` root entry dropped). */
export function parseDpkgList(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const p = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (p === '' || p === '/.' || p === '/') continue;
    out.push(p);
  }
  return out;
}
