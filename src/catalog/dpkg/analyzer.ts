// dpkg: the status database, distroless status.d files, and the per-package file lists in info/.
import type { Analyzer } from '../../core/analyzer.ts';
import type { Fact } from '../../core/fact.ts';
import { baseName, problemFact, text } from '../common.ts';
import { parseDpkgList, parseDpkgStatus } from './parse-dpkg-status.ts';

const NAME = 'dpkg';
const STATUS = '/var/lib/dpkg/status';
const STATUS_D = '/var/lib/dpkg/status.d/';
const INFO = '/var/lib/dpkg/info/';
/** a status file of 20,000 packages is ~30 MB */
const MAX_STATUS = 128 * 1024 * 1024;
const MAX_LIST = 64 * 1024 * 1024;

export const isDpkgStatusPath = (p: string): boolean =>
  p === STATUS || (p.startsWith(STATUS_D) && !p.slice(STATUS_D.length).includes('/') && !p.endsWith('.md5sums'));

export function createDpkgAnalyzer(): Analyzer {
  return {
    name: NAME,
    version: 2, // 2: metadata.installedSizeBytes (was installedSize)
    wants(entry) {
      if (entry.type !== 'file') return null;
      const p = entry.path;
      if (isDpkgStatusPath(p)) return { maxBytes: MAX_STATUS };
      if (p.startsWith(INFO) && p.endsWith('.list') && !p.slice(INFO.length).includes('/'))
        return { maxBytes: MAX_LIST };
      return null;
    },
    analyze(entry, content): Fact[] {
      if (!content) return [];
      const p = entry.path;
      if (p.endsWith('.list') && p.startsWith(INFO)) {
        return [
          {
            kind: 'owned-files',
            path: p,
            package: baseName(p).slice(0, -'.list'.length),
            files: parseDpkgList(text(content)),
          },
        ];
      }
      const { packages, problems } = parseDpkgStatus(text(content));
      const facts: Fact[] = problems.map((m) =>
        problemFact(p, NAME, / not counted as installed/.test(m) ? 'skipped' : 'malformed', `${p}: ${m}`),
      );
      if (packages.length > 0) facts.push({ kind: 'packages', path: p, packages });
      return facts;
    },
  };
}
