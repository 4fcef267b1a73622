// apk (Alpine, Wolfi, Chainguard): the installed database.
import type { Analyzer } from '../../core/analyzer.ts';
import type { Fact } from '../../core/fact.ts';
import { problemFact, text } from '../common.ts';
import { parseApkInstalled } from './parse-apk-installed.ts';

const NAME = 'apk';
const PATHS = new Set(['/lib/apk/db/installed', '/usr/lib/apk/db/installed']);

export function createApkAnalyzer(): Analyzer {
  return {
    name: NAME,
    version: 2, // 2: metadata.installedSizeBytes (was installedSize)
    wants: (entry) => (entry.type === 'file' && PATHS.has(entry.path) ? { maxBytes: 256 * 1024 * 1024 } : null),
    analyze(entry, content): Fact[] {
      if (!content) return [];
      const { packages, problems } = parseApkInstalled(text(content));
      const facts: Fact[] = problems.map((m) => problemFact(entry.path, NAME, 'malformed', `${entry.path}: ${m}`));
      if (packages.length > 0) facts.push({ kind: 'packages', path: entry.path, packages });
      return facts;
    },
  };
}
