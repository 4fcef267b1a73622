// conda environments: every `<prefix>/conda-meta/*.json` (base at /opt/conda, envs under <base>/envs/<name>).
import type { Analyzer } from '../../core/analyzer.ts';
import type { Fact } from '../../core/fact.ts';
import { baseName, dirName, problemFact, text } from '../common.ts';
import { parseCondaMeta } from './parse-conda-meta.ts';

const NAME = 'conda';

export function createCondaAnalyzer(): Analyzer {
  return {
    name: NAME,
    version: 1,
    wants: (entry) =>
      entry.type === 'file' && entry.path.endsWith('.json') && baseName(dirName(entry.path)) === 'conda-meta'
        ? { maxBytes: 64 * 1024 * 1024 }
        : null,
    analyze(entry, content): Fact[] {
      if (!content) return [];
      const prefix = dirName(dirName(entry.path));
      const r = parseCondaMeta(text(content), prefix);
      if (!r.pkg) return [problemFact(entry.path, NAME, 'malformed', `${entry.path}: ${r.error}`)];
      return [{ kind: 'packages', path: entry.path, packages: [r.pkg] }];
    },
  };
}
