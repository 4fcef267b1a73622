// The operating system analyzer: one `os` fact per release file. Which file wins is decided by buildInventory
// (see OS_PRECEDENCE there), because files come from different layers and some may be deleted later.
import type { Analyzer } from '../../core/analyzer.ts';
import type { Fact } from '../../core/fact.ts';
import { problemFact, text } from '../common.ts';
import { parseOsRelease, parseRedhatRelease, parseVersionFile } from './parse-os-release.ts';

export const OS_RELEASE_FILES = [
  '/etc/os-release',
  '/usr/lib/os-release',
  '/etc/alpine-release',
  '/etc/redhat-release',
  '/etc/system-release',
  '/etc/debian_version',
] as const;

const NAME = 'os';

export function createOsAnalyzer(): Analyzer {
  const paths = new Set<string>(OS_RELEASE_FILES);
  return {
    name: NAME,
    version: 1,
    wants: (entry) => (paths.has(entry.path) && entry.type === 'file' ? { maxBytes: 64 * 1024 } : null),
    analyze(entry, content): Fact[] {
      if (!content) return [];
      const t = text(content);
      const p = entry.path;
      const os = p.endsWith('os-release')
        ? parseOsRelease(t, p)
        : p === '/etc/alpine-release'
          ? parseVersionFile(t, 'alpine', p)
          : p === '/etc/debian_version'
            ? parseVersionFile(t, 'debian', p)
            : parseRedhatRelease(t, p);
      if (!os) return [problemFact(p, NAME, 'unidentified', `${p}: no distribution identified`)];
      return [{ kind: 'os', path: p, os }];
    },
  };
}
