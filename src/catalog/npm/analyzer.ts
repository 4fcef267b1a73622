// npm: every package.json of a package directory in a node_modules tree (nested, scoped, global
// /usr/lib/node_modules and /usr/local/lib/node_modules, workspaces' own node_modules), the packages Debian installs
// under /usr/share/nodejs and /usr/lib/nodejs (buildInventory marks them owned by their dpkg package), and lock
// files (package-lock.json v1–v3, npm-shrinkwrap.json, yarn.lock classic and Berry, pnpm-lock.yaml) as declared
// dependencies (metadata `source: 'declared'`).
import type { Analyzer } from '../../core/analyzer.ts';
import type { NpmMetadata } from '../../core/ecosystems.ts';
import type { Fact } from '../../core/fact.ts';
import type { Package } from '../../core/package.ts';
import { baseName, newPackage, problemFact, text } from '../common.ts';
import { parsePackageJson, parsePackageLock, parsePnpmLock, parseYarnLock, type DeclaredNpm } from './parse-npm.ts';

const NAME = 'npm';
const MAX_PACKAGE_JSON = 16 * 1024 * 1024;
const MAX_LOCK = 256 * 1024 * 1024;
const LOCKS = new Set(['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml']);
const OS_ROOTS = ['/usr/share/nodejs/', '/usr/lib/nodejs/'];

/** The directory holding a package's directory (`/app/node_modules`), if `path` is such a package's package.json. */
export function npmPackageHome(path: string): string | undefined {
  if (!path.endsWith('/package.json')) return undefined;
  const parts = path.split('/');
  // ['', …, home, (@scope,) name, 'package.json']
  const n = parts.length;
  if (n < 4) return undefined;
  const scoped = n >= 5 && parts[n - 3].startsWith('@');
  const homeEnd = scoped ? n - 3 : n - 2;
  const name = parts[n - 2];
  if (name === '' || name.startsWith('.') || name.startsWith('@')) return undefined;
  const home = parts.slice(0, homeEnd).join('/');
  if (parts[homeEnd - 1] === 'node_modules') return home;
  for (const r of OS_ROOTS) if (`${home}/` === r) return home;
  return undefined;
}

/** A project's lock file: not one shipped inside an installed package (node_modules, Debian's /usr/share/nodejs). */
export const isNpmLockPath = (path: string): boolean =>
  LOCKS.has(baseName(path)) && !path.includes('/node_modules/') && !OS_ROOTS.some((r) => path.startsWith(r));

export function createNpmAnalyzer(): Analyzer {
  return {
    name: NAME,
    version: 1,
    wants(entry) {
      if (entry.type !== 'file') return null;
      if (npmPackageHome(entry.path)) return { maxBytes: MAX_PACKAGE_JSON };
      if (isNpmLockPath(entry.path)) return { maxBytes: MAX_LOCK };
      return null;
    },
    analyze(entry, content): Fact[] {
      if (!content) return [];
      const p = entry.path;
      const home = npmPackageHome(p);
      try {
        if (home) {
          const j = parsePackageJson(text(content));
          const meta: NpmMetadata = { kind: 'npm', source: 'installed', nodeModules: home };
          if (j.private) meta.private = true;
          return [{ kind: 'packages', path: p, packages: [newPackage('npm', j.name, j.version, meta, j)] }];
        }
        return lockFacts(p, text(content));
      } catch (err) {
        return [problemFact(p, NAME, 'malformed', `${p}: ${(err as Error).message}`)];
      }
    },
  };
}

function lockFacts(p: string, t: string): Fact[] {
  const file = baseName(p);
  let declared: DeclaredNpm[];
  let base: NpmMetadata;
  if (file === 'yarn.lock') {
    const y = parseYarnLock(t);
    declared = y.packages;
    base = { kind: 'npm', source: 'declared', lockFormat: y.berry ? 'yarn-berry' : 'yarn' };
  } else if (file === 'pnpm-lock.yaml') {
    const y = parsePnpmLock(t);
    declared = y.packages;
    base = { kind: 'npm', source: 'declared', lockFormat: 'pnpm', lockVersion: y.lockVersion };
  } else {
    const l = parsePackageLock(t);
    declared = l.packages;
    base = { kind: 'npm', source: 'declared', lockFormat: 'package-lock', lockVersion: l.lockVersion };
  }
  const packages: Package[] = declared.map((d) =>
    newPackage('npm', d.name, d.version, d.dev ? { ...base, dev: true } : { ...base }),
  );
  return packages.length > 0 ? [{ kind: 'packages', path: p, packages }] : [];
}
