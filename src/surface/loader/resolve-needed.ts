// What the dynamic loader (glibc ld.so) would load for an object, worked out on the image's files: DT_NEEDED
// names searched through DT_RPATH (of the object and the objects that loaded it, when it has no DT_RUNPATH),
// LD_LIBRARY_PATH, DT_RUNPATH, the ld.so.conf directories (what ld.so.cache holds), then the default directories.
// `$ORIGIN` is the directory of the requesting object's real path. Objects of another class or machine are
// skipped, as ld.so does.
import type { NeededEdge } from '../../core/analysis.ts';
export type { NeededEdge };
import type { ElfInfo } from '../../core/fact.ts';
import type { PathIndex } from '../merged.ts';

export const DEFAULT_LIBRARY_DIRS = [
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib64',
  '/usr/lib64',
  '/lib',
  '/usr/lib',
];

export interface LoaderContext {
  index: PathIndex;
  /** ELF facts by the path of the real file */
  elf: ReadonlyMap<string, ElfInfo>;
  /** ld.so.conf directories in order */
  confDirs: readonly string[];
  /** from the image config's LD_LIBRARY_PATH */
  ldLibraryPath?: readonly string[];
  defaultDirs?: readonly string[];
}

const dirOf = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';

export function expandOrigin(entry: string, origin: string): string {
  return entry.replace(/\$(ORIGIN|\{ORIGIN\})/g, origin);
}

/** Everything `start` (a real path) pulls in, breadth first as ld.so does, with the search step that found each. */
export function resolveClosure(ctx: LoaderContext, start: string): NeededEdge[] {
  const edges: NeededEdge[] = [];
  const loadedByName = new Map<string, string>();
  const loadedReal = new Set<string>([start]);
  const startElf = ctx.elf.get(start);
  if (!startElf) return edges;
  if (startElf.soname) loadedByName.set(startElf.soname, start);
  const queue: { path: string; elf: ElfInfo; rpathChain: string[][] }[] = [
    { path: start, elf: startElf, rpathChain: [] },
  ];
  const fits = (cand: ElfInfo | undefined) =>
    cand !== undefined && cand.class === startElf.class && cand.machine === startElf.machine;
  const tryDir = (dir: string, name: string): string | undefined => {
    const real = ctx.index.resolvePath(`${dir.replace(/\/+$/, '')}/${name}`);
    if (real === undefined) return undefined;
    const e = ctx.index.get(real);
    if (!e || e.type !== 'file' || !fits(ctx.elf.get(real))) return undefined;
    return real;
  };
  while (queue.length > 0) {
    const obj = queue.shift()!;
    const origin = dirOf(obj.path);
    // an object with DT_RUNPATH contributes no DT_RPATH to the search (its own or passed down)
    const chain =
      obj.elf.runpath.length === 0
        ? [obj.elf.rpath.map((r) => expandOrigin(r, origin)), ...obj.rpathChain]
        : obj.rpathChain;
    for (const name of obj.elf.needed) {
      const known = loadedByName.get(name);
      if (known) {
        edges.push({ from: obj.path, needed: name, resolved: known, via: 'already-loaded' });
        continue;
      }
      let found: string | undefined;
      let via: NeededEdge['via'];
      const search = (dirs: readonly string[], step: NeededEdge['via']) => {
        if (found) return;
        for (const d of dirs) {
          const r = tryDir(d, name);
          if (r) {
            found = r;
            via = step;
            return;
          }
        }
      };
      if (name.includes('/')) {
        const r = ctx.index.resolvePath(name.startsWith('/') ? name : `${origin}/${name}`);
        if (r && ctx.index.get(r)?.type === 'file') {
          found = r;
          via = 'path';
        }
      } else {
        if (obj.elf.runpath.length === 0) search(chain.flat(), 'rpath');
        search(ctx.ldLibraryPath ?? [], 'ld-library-path');
        search(
          obj.elf.runpath.map((r) => expandOrigin(r, origin)),
          'runpath',
        );
        search(ctx.confDirs, 'ld-so-conf');
        search(ctx.defaultDirs ?? DEFAULT_LIBRARY_DIRS, 'default');
      }
      edges.push({ from: obj.path, needed: name, resolved: found, via: found ? via : undefined });
      if (!found) continue;
      loadedByName.set(name, found);
      const elf = ctx.elf.get(found)!;
      if (elf.soname) loadedByName.set(elf.soname, found);
      if (loadedReal.has(found)) continue;
      loadedReal.add(found);
      // RPATH of the loading chain applies to objects without RUNPATH
      queue.push({ path: found, elf, rpathChain: chain });
    }
  }
  return edges;
}
