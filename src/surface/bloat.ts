// Static bloat: every byte of the merged file system in exactly one category, by owning package, plus shadowed
// bytes, duplicate content and the largest removable items.
import type { MergedEntry } from '../core/entry.ts';
import type { ElfInfo } from '../core/fact.ts';
import type { Inventory } from '../core/package.ts';
import type { BloatOffender, BloatReport } from '../core/report.ts';
import { createPathIndex } from './merged.ts';
import type { ShadowedFile } from './merged.ts';
import { createFileOwners, type FileOwners } from '../catalog/index.ts';

export const BLOAT_CATEGORIES = [
  'runtime',
  'documentation',
  'licenses',
  'locales',
  'headers',
  'static-libraries',
  'debug',
  'caches',
  'tests',
  'toolchains',
  'package-databases',
  'gpu-device-code',
] as const;
export type BloatCategoryName = (typeof BLOAT_CATEGORIES)[number];

/** Removable whatever the workload does. */
export const REMOVABLE: ReadonlySet<string> = new Set([
  'documentation',
  'locales',
  'headers',
  'static-libraries',
  'debug',
  'caches',
  'tests',
]);
/** Removable when nothing compiles at run time. */
export const BUILD_ONLY: ReadonlySet<string> = new Set(['toolchains']);

export interface BloatInput {
  merged: Iterable<MergedEntry>;
  inventory: Inventory;
  /** which package owns which file, as built with the inventory (default: built here from the inventory's files) */
  owners?: FileOwners;
  /** files deleted or replaced by later layers */
  shadowed: Iterable<ShadowedFile>;
  /** `content-hash` facts */
  hashes: Iterable<{ path: string; sha256: string; size: number }>;
  /** `elf` facts: their .debug_* bytes are split out of the file into `debug` */
  elfFacts: Iterable<{ path: string; elf: ElfInfo }>;
  /** bytes of a file that are GPU device code (fatbin), from the gpu scanner */
  deviceCodeBytes?: (path: string) => number;
  /** how many offenders to list (default 20) */
  topN?: number;
}

const TOOL_BINARIES = new Set([
  'cc',
  'c++',
  'cpp',
  'gcc',
  'g++',
  'gcc-ar',
  'gcc-nm',
  'gcc-ranlib',
  'gcov',
  'gcov-dump',
  'gcov-tool',
  'lto-dump',
  'as',
  'ld',
  'ld.bfd',
  'ld.gold',
  'gold',
  'objdump',
  'objcopy',
  'readelf',
  'nm',
  'strip',
  'ar',
  'ranlib',
  'gprof',
  'gprofng',
  'addr2line',
  'c++filt',
  'size',
  'strings',
  'elfedit',
  'dwp',
  'make',
  'gmake',
  'cmake',
  'ctest',
  'cpack',
  'ccmake',
  'ninja',
  'clang',
  'clang++',
  'lld',
  'ld.lld',
  'llc',
  'opt',
  'nvcc',
  'ptxas',
  'cicc',
  'fatbinary',
  'nvlink',
  'cudafe++',
  'dpkg-buildpackage',
  'x86_64-linux-gnu-gcc',
  'x86_64-linux-gnu-g++',
  'x86_64-linux-gnu-cpp',
]);

/** The category of a whole file, from its path (and size for the ELF split done elsewhere). */
export function classifyPath(path: string): BloatCategoryName {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const lower = base.toLowerCase();
  // licenses are kept: distributing an image needs them
  if (
    /^\/usr\/share\/doc\/[^/]+\/copyright$/.test(path) ||
    path.startsWith('/usr/share/common-licenses/') ||
    /^(license|licence|copying|notice|copyright)([.-].*)?$/.test(lower) ||
    /\.dist-info\/licenses?\//.test(path)
  )
    return 'licenses';
  if (path.startsWith('/usr/lib/debug/') || base.endsWith('.debug') || path.includes('/.build-id/')) return 'debug';
  if (
    path.startsWith('/var/cache/') ||
    path.startsWith('/var/lib/apt/lists/') ||
    path.includes('/__pycache__/') ||
    base.endsWith('.pyc') ||
    base.endsWith('.pyo') ||
    /^\/(root|home\/[^/]+)\/\.cache\//.test(path) ||
    /^\/(opt\/(conda|miniconda3?|mambaforge|miniforge3?)|root\/(mini|ana)conda3?)\/pkgs\//.test(path) ||
    path.startsWith('/tmp/')
  )
    return 'caches';
  if (
    path.startsWith('/var/lib/dpkg/') ||
    path.startsWith('/var/lib/apt/') ||
    path.startsWith('/var/lib/rpm/') ||
    path.startsWith('/usr/lib/sysimage/rpm/') ||
    path.startsWith('/lib/apk/db/') ||
    path.includes('/conda-meta/') ||
    /\.(dist|egg)-info\//.test(path)
  )
    return 'package-databases';
  if (
    /^\/usr\/(local\/)?share\/(doc|man|info|gtk-doc|help|devhelp)\//.test(path) ||
    path.startsWith('/usr/share/doc-base/') ||
    path.startsWith('/usr/share/lintian/')
  )
    return 'documentation';
  if (
    /^\/usr\/(share|lib)\/locale\//.test(path) ||
    path.startsWith('/usr/share/i18n/') ||
    /\/locales?\/[^/]+\/LC_MESSAGES\//.test(path)
  )
    return 'locales';
  if (/\/(site|dist)-packages\/.*\/(tests?|testing)\//.test(path) || /^\/usr\/lib\/python3(\.\d+)?\/test\//.test(path))
    return 'tests';
  if (isToolchain(path, base)) return 'toolchains';
  if (/^\/usr\/(local\/)?include\//.test(path) || /\.(h|hh|hpp|hxx|h\+\+|cuh|inl)$/.test(lower)) return 'headers';
  if (base.endsWith('.a')) return 'static-libraries';
  return 'runtime';
}

/** shared libraries of compilers, binutils and sanitizers, by name prefix */
const TOOLCHAIN_LIBRARY = new RegExp(
  '^(libLLVM|libclang|libbfd|libopcodes|libctf|libsframe|libgprofng|libasan|libtsan|liblsan|libubsan|' +
    'libhwasan|libcc1|libisl|libmpc|libmpfr)[-.]',
);

function isToolchain(path: string, base: string): boolean {
  if (
    /^\/usr\/(lib|libexec)\/gcc(-cross)?\//.test(path) ||
    /^\/usr\/lib\/llvm-[^/]+\//.test(path) ||
    /^\/usr\/share\/cmake(-[^/]+)?\//.test(path)
  )
    return true;
  if (/^\/usr\/local\/cuda[^/]*\/(nvvm|bin)\//.test(path)) return true;
  const bin = /^\/(usr\/)?(local\/)?s?bin\//.test(path) || /^\/usr\/local\/cuda[^/]*\/bin\//.test(path);
  if (
    bin &&
    (TOOL_BINARIES.has(base) ||
      /^(x86_64|aarch64|i686)-linux-gnu-/.test(base) ||
      /^(gcc|g\+\+|cpp|clang|clang\+\+|cc1\w*|lto1|llvm-[\w-]+)-?\d*(\.\d+)*$/.test(base))
  )
    return true;
  return TOOLCHAIN_LIBRARY.test(base) || /^(cc1|cc1plus|cc1obj|lto1|collect2|lto-wrapper)$/.test(base);
}

const isRemovable = (c: string) => REMOVABLE.has(c);

/** Directory a category is usually removed by, for offender grouping (e.g. /usr/share/doc, /usr/include). */
function ancestors(path: string): string[] {
  const out: string[] = [];
  let i = path.lastIndexOf('/');
  while (i > 0) {
    path = path.slice(0, i);
    out.push(path);
    i = path.lastIndexOf('/');
  }
  return out;
}

export function computeBloat(input: BloatInput): BloatReport {
  const index = createPathIndex(input.merged);
  const topN = input.topN ?? 20;
  const debugOf = new Map<string, number>();
  for (const f of input.elfFacts) if (f.elf.debugBytes > 0) debugOf.set(f.path, f.elf.debugBytes);

  // owned files: a package database may name /bin/x where the merged tree has /usr/bin/x (merged /usr)
  const owners = input.owners ?? createFileOwners(input.inventory.packages);

  const cats = new Map<string, { bytes: number; files: number }>(
    BLOAT_CATEGORIES.map((c) => [c, { bytes: 0, files: 0 }]),
  );
  const pkgs = new Map<
    string,
    {
      package: string;
      type: string;
      bytes: number;
      files: number;
      removableBytes: number;
      buildOnlyBytes: number;
      byCat: Map<string, number>;
    }
  >();
  const dirCat = new Map<string, Map<string, number>>(); // directory → category → bytes (for maximal pure directories)
  const dirTotal = new Map<string, number>();
  const categoryOf = new Map<string, string>();
  let total = 0;

  const add = (cat: string, bytes: number, file: boolean, path: string, pkg?: { name: string; type: string }) => {
    const c = cats.get(cat)!;
    c.bytes += bytes;
    if (file) c.files++;
    if (pkg) {
      let p = pkgs.get(pkg.name);
      if (!p)
        pkgs.set(
          pkg.name,
          (p = {
            package: pkg.name,
            type: pkg.type,
            bytes: 0,
            files: 0,
            removableBytes: 0,
            buildOnlyBytes: 0,
            byCat: new Map(),
          }),
        );
      p.bytes += bytes;
      if (file) p.files++;
      if (isRemovable(cat)) p.removableBytes += bytes;
      if (BUILD_ONLY.has(cat)) p.buildOnlyBytes += bytes;
      p.byCat.set(cat, (p.byCat.get(cat) ?? 0) + bytes);
    }
    for (const d of ancestors(path)) {
      let m = dirCat.get(d);
      if (!m) dirCat.set(d, (m = new Map()));
      m.set(cat, (m.get(cat) ?? 0) + bytes);
      dirTotal.set(d, (dirTotal.get(d) ?? 0) + bytes);
    }
  };

  for (const e of index.entries()) {
    if (e.type !== 'file') continue;
    total += e.size;
    const cat = classifyPath(e.path);
    categoryOf.set(e.path, cat);
    const pkg = owners.ownerOf(e.path);
    let rest = e.size;
    if (cat !== 'debug') {
      const dbg = Math.min(debugOf.get(e.path) ?? 0, rest);
      if (dbg > 0) {
        add('debug', dbg, false, e.path, pkg);
        rest -= dbg;
      }
    }
    if (input.deviceCodeBytes && cat === 'runtime') {
      const dev = Math.min(Math.max(0, input.deviceCodeBytes(e.path)), rest);
      if (dev > 0) {
        add('gpu-device-code', dev, false, e.path, pkg);
        rest -= dev;
      }
    }
    add(cat, rest, true, e.path, pkg);
  }

  // duplicates: same content under more than one live path (hard links are one file already)
  const groups = new Map<string, { size: number; paths: string[] }>();
  for (const h of input.hashes) {
    const e = index.get(h.path);
    if (!e || e.type !== 'file') continue;
    const g = groups.get(h.sha256);
    if (g) g.paths.push(h.path);
    else groups.set(h.sha256, { size: h.size, paths: [h.path] });
  }
  const duplicates = [...groups]
    .filter(([, g]) => g.paths.length > 1)
    .map(([sha256, g]) => ({ sha256, size: g.size, paths: g.paths.sort() }))
    .sort((a, b) => b.size * (b.paths.length - 1) - a.size * (a.paths.length - 1));
  // savings not already counted as removable: keep one copy, preferably a runtime one
  let duplicateSavings = 0;
  for (const d of duplicates) {
    const kept = d.paths.filter((p) => !isRemovable(categoryOf.get(p) ?? 'runtime'));
    duplicateSavings += d.size * Math.max(0, kept.length - 1);
  }

  let shadowedBytes = 0;
  const shadowedList = [...input.shadowed];
  for (const s of shadowedList) shadowedBytes += s.size;

  let removable = shadowedBytes + duplicateSavings;
  for (const c of REMOVABLE) removable += cats.get(c)!.bytes;
  let buildOnly = 0;
  for (const c of BUILD_ONLY) buildOnly += cats.get(c)!.bytes;

  // offenders: packages that are mostly removable or build-only, maximal directories of one removable category,
  // all __pycache__ at once, duplicated files, shadowed files
  const offenders: BloatOffender[] = [];
  // a package is worth removing whole when it is mostly build material (toolchains, headers, static libraries,
  // debug info); packages that merely carry docs or locales are covered by the directory offenders
  const buildMaterial = ['toolchains', 'headers', 'static-libraries', 'debug'];
  for (const p of pkgs.values()) {
    const waste = buildMaterial.reduce((a, c) => a + (p.byCat.get(c) ?? 0), 0);
    if (waste < p.bytes * 0.5 || waste === 0) continue;
    const dominant = [...p.byCat].sort((a, b) => b[1] - a[1])[0][0];
    offenders.push({
      path: `${p.type}:${p.package}`,
      category: dominant,
      bytes: p.bytes,
      package: p.package,
      note: BUILD_ONLY.has(dominant) ? 'build-only package' : 'package of removable files',
    });
  }
  for (const [dir, m] of dirCat) {
    const t = dirTotal.get(dir)!;
    for (const [cat, bytes] of m) {
      if ((!isRemovable(cat) && !BUILD_ONLY.has(cat)) || (cat === 'caches' && dir.includes('__pycache__'))) continue;
      if (bytes < t * 0.95) continue;
      const parent = dir.slice(0, dir.lastIndexOf('/')) || '/';
      const pm = dirCat.get(parent);
      // parent is pure too
      if (parent !== '/' && pm && (pm.get(cat) ?? 0) >= (dirTotal.get(parent) ?? 0) * 0.95) continue;
      offenders.push({
        path: dir,
        category: cat,
        bytes,
        note: BUILD_ONLY.has(cat) ? 'build-only directory' : 'directory',
      });
    }
  }
  const pyc = [...index.entries()].filter(
    (e) => e.type === 'file' && (e.path.includes('/__pycache__/') || e.path.endsWith('.pyc')),
  );
  if (pyc.length > 0)
    offenders.push({
      path: '**/__pycache__',
      category: 'caches',
      bytes: pyc.reduce((a, e) => a + e.size, 0),
      note: `${pyc.length} compiled Python files`,
    });
  for (const d of duplicates.slice(0, topN)) {
    offenders.push({
      path: d.paths[1],
      category: 'duplicate',
      bytes: d.size * (d.paths.length - 1),
      note: `same content as ${d.paths[0]} (${d.paths.length} copies)`,
    });
  }
  for (const s of shadowedList.sort((a, b) => b.size - a.size).slice(0, topN)) {
    offenders.push({
      path: s.path,
      category: 'shadowed',
      bytes: s.size,
      note: `layer ${s.layer}, replaced or deleted later`,
    });
  }
  offenders.sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path));

  return {
    totalBytes: total,
    categories: [...cats]
      .map(([category, c]) => ({ category, bytes: c.bytes, files: c.files }))
      .filter((c) => c.bytes > 0 || c.files > 0)
      .sort((a, b) => b.bytes - a.bytes),
    topOffenders: offenders.slice(0, topN),
    removableBytes: removable,
    duplicates,
    shadowedBytes,
    buildOnlyBytes: buildOnly,
    byPackage: [...pkgs.values()].map(({ byCat: _unused, ...p }) => p).sort((a, b) => b.bytes - a.bytes),
  };
}
