// Safe paths inside an image root. Every name read from a layer goes through here: the result is absolute,
// normalized, and can never point above `/` (`..` at the root and leading `/` are clamped, as a container runtime
// resolves them inside its root).

export interface NormalizedPath {
  /** `/usr/bin/python3`; `/` for the root itself */
  path: string;
  /** true when a `..` tried to climb above the root (the name was malicious or broken) */
  clamped: boolean;
}

/** Normalizes a tar member name or link target to an absolute path inside the root. */
export function normalizePath(raw: string): NormalizedPath {
  // fast path: the common `./usr/bin/x` or `usr/bin/x` with no `.`/`..`/`//` segments
  let s = raw;
  if (s.startsWith('./')) s = s.slice(2);
  if (
    s.length > 0 &&
    !s.startsWith('/') &&
    !s.includes('//') &&
    !s.includes('./') &&
    !s.endsWith('/.') &&
    !s.endsWith('/..') &&
    s !== '.' &&
    s !== '..'
  ) {
    if (s.endsWith('/')) s = s.slice(0, -1);
    return { path: '/' + s, clamped: false };
  }
  const out: string[] = [];
  let clamped = false;
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) clamped = true;
      else out.pop();
      continue;
    }
    out.push(part);
  }
  return { path: '/' + out.join('/'), clamped };
}

/** Parent directory of a normalized absolute path (`/` for `/x` and for `/`). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** Last component of a normalized absolute path. */
export function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Joins a symlink target to the directory holding the link, clamped inside the root. */
export function resolveLinkTarget(linkDir: string, target: string): string {
  return normalizePath(target.startsWith('/') ? target : `${linkDir}/${target}`).path;
}

/** true when `path` is `dir` or lies below it (both normalized absolute). */
export function isWithin(path: string, dir: string): boolean {
  if (dir === '/') return true;
  return path === dir || (path.startsWith(dir) && path.charCodeAt(dir.length) === 47); /* / */
}
