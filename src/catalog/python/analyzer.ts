// Python distributions installed in any site-packages or dist-packages directory (system, /usr/local, venvs,
// conda, user site): `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, a single-file `*.egg-info`, and the sibling
// files buildInventory joins to them by directory (INSTALLER, RECORD, installed-files.txt).
import type { Analyzer } from '../../core/analyzer.ts';
import type { Fact } from '../../core/fact.ts';
import type { PackageMetadata } from '../../core/package.ts';
import { baseName, dirName, newPackage, problemFact, text } from '../common.ts';
import { normalizePythonName, parseInstalledFiles, parsePythonMetadata, parseRecord } from './parse-python-metadata.ts';

const NAME = 'python';
const MAX = 16 * 1024 * 1024;

const inSitePackages = (dir: string): boolean => /(?:^|\/)(?:site|dist)-packages$/.test(dir);

type Kind = 'metadata' | 'egg-file' | 'installer' | 'record' | 'installed-files';

/** What a path is to this analyzer, from the path alone. */
export function classifyPythonPath(path: string): Kind | null {
  const file = baseName(path);
  const dir = dirName(path);
  if (file.endsWith('.egg-info') && inSitePackages(dir)) return 'egg-file';
  const distDir = baseName(dir);
  if (!inSitePackages(dirName(dir))) return null;
  if (distDir.endsWith('.dist-info')) {
    if (file === 'METADATA') return 'metadata';
    if (file === 'INSTALLER') return 'installer';
    if (file === 'RECORD') return 'record';
  } else if (distDir.endsWith('.egg-info')) {
    if (file === 'PKG-INFO') return 'metadata';
    if (file === 'installed-files.txt') return 'installed-files';
  }
  return null;
}

export function createPythonAnalyzer(): Analyzer {
  return {
    name: NAME,
    version: 1,
    wants: (entry) => (entry.type === 'file' && classifyPythonPath(entry.path) ? { maxBytes: MAX } : null),
    analyze(entry, content): Fact[] {
      if (!content) return [];
      const p = entry.path;
      const kind = classifyPythonPath(p);
      const t = text(content);
      if (kind === 'installer') return [{ kind: 'installer', path: p, installer: t.trim() }];
      if (kind === 'record') {
        return [{ kind: 'owned-files', path: p, package: dirName(p), files: parseRecord(t, dirName(dirName(p))) }];
      }
      if (kind === 'installed-files') {
        return [{ kind: 'owned-files', path: p, package: dirName(p), files: parseInstalledFiles(t, dirName(p)) }];
      }
      const md = parsePythonMetadata(t);
      if (!md.name) return [problemFact(p, NAME, 'unidentified', `${p}: no Name field in Python metadata`)];
      if (!md.version)
        return [problemFact(p, NAME, 'unidentified', `${p}: no Version field for Python package ${md.name}`)];
      const distDir = kind === 'egg-file' ? p : dirName(p);
      const meta: Extract<PackageMetadata, { kind: 'python' }> = {
        kind: 'python',
        format: distDir.endsWith('.dist-info') ? 'dist-info' : 'egg-info',
        sitePackages: dirName(distDir),
      };
      if (md.requiresDist.length > 0) meta.requiresDist = md.requiresDist;
      if (md.requiresPython) meta.requiresPython = md.requiresPython;
      const pkg = newPackage('python', normalizePythonName(md.name), md.version, meta, { licenses: md.licenses });
      return [{ kind: 'packages', path: p, packages: [pkg] }];
    },
  };
}
