// rpm: the package database in its three on-disk forms. SQLite (rpmdb.sqlite, RHEL 9, Fedora, Amazon 2023) and
// BerkeleyDB hash (Packages, RHEL 7/8, CentOS, Amazon 2) are read; NDB (Packages.db, SUSE) is reported as a problem.
import type { Analyzer } from '../../core/analyzer.ts';
import type { Fact } from '../../core/fact.ts';
import { readerProblemCode, type Package } from '../../core/package.ts';
import { reasonOf } from '../../core/errors.ts';
import { baseName, problemFact } from '../common.ts';
import { parseRpmHeader } from './parse-rpm-header.ts';
import { readBdbHashValues } from './parse-bdb-hash.ts';
import { readRpmdbSqliteBlobs } from './read-rpmdb-sqlite.ts';

const NAME = 'rpm';
const DIRS = ['/var/lib/rpm/', '/usr/lib/sysimage/rpm/', '/usr/share/rpm/'];
const FILES = new Set(['Packages', 'rpmdb.sqlite', 'Packages.db']);
/** a large RHEL image's database is ~100–200 MB */
const MAX_DB = 512 * 1024 * 1024;

export function createRpmAnalyzer(): Analyzer {
  return {
    name: NAME,
    version: 2, // 2: metadata.installedSizeBytes (was installedSize)
    wants(entry) {
      if (entry.type !== 'file') return null;
      const dir = DIRS.find((d) => entry.path.startsWith(d));
      if (!dir || !FILES.has(entry.path.slice(dir.length))) return null;
      return { maxBytes: MAX_DB };
    },
    analyze(entry, content): Fact[] {
      if (!content) return [];
      const p = entry.path;
      const file = baseName(p);
      if (content.length === 0) return [problemFact(p, NAME, 'malformed', `${p}: empty rpm database`)];
      if (file === 'Packages.db')
        return [problemFact(p, NAME, 'unsupported', `${p}: NDB rpm database format is not supported`)];
      let blobs: Buffer[];
      const problems: string[] = [];
      try {
        if (file === 'rpmdb.sqlite') blobs = readRpmdbSqliteBlobs(content);
        else {
          const r = readBdbHashValues(content);
          problems.push(...r.problems);
          // record 0 of rpm's Packages holds a 4-byte counter, not a header
          blobs = r.values.filter((v) => v.length > 8);
        }
      } catch (err) {
        return [problemFact(p, NAME, 'malformed', `${p}: cannot read rpm database: ${reasonOf(err)}`)];
      }
      const packages: Package[] = [];
      for (const blob of blobs) {
        const r = parseRpmHeader(blob);
        if (r.pkg) packages.push(r.pkg);
        else if (r.error) problems.push(r.error);
      }
      const facts: Fact[] = problems.map((m) => problemFact(p, NAME, readerProblemCode(m), `${p}: ${m}`));
      if (packages.length > 0) facts.push({ kind: 'packages', path: p, packages });
      return facts;
    },
  };
}
