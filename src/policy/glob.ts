// Glob patterns for ignore rules and slim's --keep: `*` (no slash), `**` (any depth), `?`. Hand-written: a dozen lines,
// and node's path.matchesGlob is still experimental in Node 24.
const cache = new Map<string, RegExp>();

// `*` and `?` within one path component, `**` across components; `**` then a slash also matches zero folders.
export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (re) return re;
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        out += '(?:.*/)?';
      } else out += '.*';
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  re = new RegExp(`^${out}$`);
  cache.set(glob, re);
  return re;
}

export const globMatch = (glob: string, text: string): boolean => globToRegExp(glob).test(text);
export const isGlob = (s: string): boolean => /[*?]/.test(s);
