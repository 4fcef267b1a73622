// What a slim image keeps: every path the workload touched that was in the image, the symlinks on the way to each,
// the dynamic loader's view of every kept ELF object (interpreter and DT_NEEDED closure, resolved as ld.so would:
// RPATH/RUNPATH with $ORIGIN, LD_LIBRARY_PATH from the image env, /etc/ld.so.conf(.d), the default directories),
// the user's --keep paths and globs, and a small runtime baseline.
//
// Python byte code needs no rule of its own: a `.pyc` is kept only when the trace saw it opened or stat'ed, never
// because its `.py` is kept (the interpreter falls back to the source when a cache file is absent).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { globToRegExp, isGlob } from '../../policy/index.ts';
import { join } from 'node:path';
import { ldSearchDirs, parseLdSoConf, resolveClosure } from '../../surface/index.ts';
import { createDiskIndex, createLazyElfMap, resolveInRoot, type Snapshot } from './root-fs.ts';

/**
 * Kept even when no traced call named them: what a container runtime, the loader and name-service lookups read at
 * start or on paths strace may not see in a short run (user and group names, resolver files, the loader cache and
 * its configuration, the OS identity that scanners read), and the directories runtimes mount on or programs expect
 * to be writable.
 */
export const RUNTIME_BASELINE: readonly string[] = [
  '/etc/passwd',
  '/etc/group',
  '/etc/nsswitch.conf',
  '/etc/hosts',
  '/etc/hostname',
  '/etc/resolv.conf',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d/**',
  '/etc/os-release',
  '/usr/lib/os-release',
  '/tmp',
  '/var/tmp',
  '/proc',
  '/sys',
  '/dev',
  '/root',
];

/** Mounted by the sandbox during the run: what the trace saw there is not the image's. */
const MOUNTED = ['/proc', '/sys', '/dev', '/tmp'];

export interface KeepSetInput {
  root: string;
  /** the root as extracted, before any workload ran */
  snapshot: Snapshot;
  /** absolute in-image paths the workload touched */
  traced: Iterable<string>;
  /** --keep: absolute paths (a directory keeps everything below it) or globs (`*`, `?`, `**`) */
  keep?: readonly string[];
  /** the image config's env (for LD_LIBRARY_PATH) */
  env?: readonly string[];
  /** extra paths always kept (the working directory, the dpkg database) */
  extra?: readonly string[];
}

export interface KeepSet {
  /** in-image paths kept (no parents added; the writer adds them) */
  paths: Set<string>;
  /** kept because of the loader closure only */
  viaLoader: number;
  /** DT_NEEDED names not found in the image (the workload may still run if nothing loads them) */
  unresolved: { from: string; needed: string }[];
}

const isMounted = (p: string): boolean => MOUNTED.some((m) => p !== m && p.startsWith(`${m}/`));

export function computeKeepSet(input: KeepSetInput): KeepSet {
  const { root, snapshot } = input;
  const paths = new Set<string>();
  const elfQueue: string[] = [];
  const inImage = (p: string): boolean => snapshot.entries.has(p);

  /** keeps `p` (as it resolves) and every symlink on the way; returns the real path when it is in the image */
  const addPath = (p: string): string | undefined => {
    const r = resolveInRoot(root, p);
    for (const l of r.links) if (inImage(l)) paths.add(l);
    if (r.real === undefined || r.real === '/' || !inImage(r.real)) return undefined;
    if (!paths.has(r.real)) {
      paths.add(r.real);
      if (snapshot.entries.get(r.real)!.type === 'file') elfQueue.push(r.real);
    }
    return r.real;
  };
  const addTree = (dir: string): void => {
    const prefix = `${dir}/`;
    for (const p of snapshot.entries.keys())
      if (p.startsWith(prefix)) {
        paths.add(p);
        if (snapshot.entries.get(p)!.type === 'file') elfQueue.push(p);
      }
  };

  for (const p of input.traced) if (!isMounted(p)) addPath(p);
  for (const p of [...RUNTIME_BASELINE, ...(input.extra ?? [])]) {
    if (isGlob(p)) {
      const re = globToRegExp(p);
      for (const q of snapshot.entries.keys()) if (re.test(q)) addPath(q);
    } else addPath(p);
  }
  for (const k of input.keep ?? []) {
    if (isGlob(k)) {
      const re = globToRegExp(k);
      for (const q of snapshot.entries.keys()) if (re.test(q)) addPath(q);
    } else {
      const real = addPath(k);
      if (real !== undefined && snapshot.entries.get(real)!.type === 'dir') addTree(real);
    }
  }
  const traced = paths.size;

  // the loader's closure of every kept ELF object, to a fixed point (closure members are ELF objects themselves)
  const index = createDiskIndex(root);
  const elf = createLazyElfMap(root);
  const ldLibraryPath = (input.env ?? [])
    .find((e) => e.startsWith('LD_LIBRARY_PATH='))
    ?.slice('LD_LIBRARY_PATH='.length)
    .split(':')
    .filter((d) => d.startsWith('/'));
  const ctx = { index, elf, confDirs: loaderConfDirs(root), ldLibraryPath };
  const unresolved: { from: string; needed: string }[] = [];
  const done = new Set<string>();
  while (elfQueue.length > 0) {
    const p = elfQueue.pop()!;
    if (done.has(p)) continue;
    done.add(p);
    const info = elf.get(p);
    if (!info) continue;
    if (info.interpreter) addPath(info.interpreter);
    for (const edge of resolveClosure(ctx, p)) {
      if (!edge.resolved) {
        unresolved.push({ from: edge.from, needed: edge.needed });
        continue;
      }
      // keep the name the loader opens (a SONAME symlink, a path through /lib -> usr/lib), not only the file
      const names = [...(index.queries.get(edge.resolved) ?? [])].filter(
        (q) => q.endsWith(`/${edge.needed}`) || q === edge.needed,
      );
      for (const q of names) addPath(q);
      addPath(edge.resolved);
    }
  }
  return { paths, viaLoader: paths.size - traced, unresolved };
}

/** ld.so.conf directories read from the root, following its `include` globs. */
function loaderConfDirs(root: string): string[] {
  const facts: { path: string; dirs: string[]; includes: string[] }[] = [];
  const read = (p: string): void => {
    const r = resolveInRoot(root, p).real;
    if (r === undefined) return;
    try {
      facts.push({ path: p, ...parseLdSoConf(readFileSync(join(root, r), 'utf8')) });
    } catch {
      /* a directory or unreadable: not a config file */
    }
  };
  read('/etc/ld.so.conf');
  const d = resolveInRoot(root, '/etc/ld.so.conf.d').real;
  if (d !== undefined && existsSync(join(root, d))) {
    try {
      for (const name of readdirSync(join(root, d))) if (name.endsWith('.conf')) read(`/etc/ld.so.conf.d/${name}`);
    } catch {
      /* not a directory */
    }
  }
  return ldSearchDirs(facts);
}
