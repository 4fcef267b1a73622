// /etc/ld.so.conf and /etc/ld.so.conf.d/*.conf: one directory per line (also separated by `:`, `,`, tabs or
// spaces), `#` comments, `include GLOB` lines, and the obsolete `hwcap` lines, which are ignored.
import type { Analyzer } from '../../core/analyzer.ts';
import type { Fact } from '../../core/fact.ts';

export function parseLdSoConf(text: string): { dirs: string[]; includes: string[] } {
  const dirs: string[] = [];
  const includes: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const inc = /^include\s+(.+)$/.exec(line);
    if (inc) {
      includes.push(...inc[1].split(/\s+/).filter(Boolean));
      continue;
    }
    if (/^hwcap\s/.test(line)) continue;
    for (const d of line.split(/[:,\s]+/)) if (d.startsWith('/')) dirs.push(d.replace(/\/+$/, '') || '/');
  }
  return { dirs, includes };
}

export const isLdSoConfPath = (p: string): boolean =>
  p === '/etc/ld.so.conf' || /^\/etc\/ld\.so\.conf\.d\/[^/]+\.conf$/.test(p);

export function createLdSoConfAnalyzer(): Analyzer {
  return {
    name: 'ld-so-conf',
    version: 1,
    wants: (e) => (e.type === 'file' && isLdSoConfPath(e.path) ? { maxBytes: 256 * 1024 } : null),
    analyze(entry, content): Fact[] {
      if (!content) return [];
      return [{ kind: 'ld-so-conf', path: entry.path, ...parseLdSoConf(content.toString('utf8')) }];
    },
  };
}

/** Glob (`*`, `?`) to a whole-path RegExp. */
const globRe = (g: string) =>
  new RegExp(
    `^${g
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  );

/**
 * The loader's configured directories in order, starting at /etc/ld.so.conf and following `include` globs (relative
 * globs are relative to /etc), each file once; without /etc/ld.so.conf, every ld.so.conf.d file in name order.
 */
export function ldSearchDirs(facts: Iterable<{ path: string; dirs: string[]; includes: string[] }>): string[] {
  const byPath = new Map<string, { dirs: string[]; includes: string[] }>();
  for (const f of facts) byPath.set(f.path, f);
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    const f = byPath.get(path);
    if (!f) return;
    out.push(...f.dirs);
    for (const g of f.includes) {
      const re = globRe(g.startsWith('/') ? g : `/etc/${g}`);
      for (const p of [...byPath.keys()].filter((k) => re.test(k)).sort()) visit(p);
    }
  };
  if (byPath.has('/etc/ld.so.conf')) visit('/etc/ld.so.conf');
  else for (const p of [...byPath.keys()].sort()) visit(p);
  return [...new Set(out)];
}
