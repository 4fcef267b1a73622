// The first thing a failed slim run says it could not find, from its stderr: what to add with --keep.

const PATTERNS: { re: RegExp; what: (m: RegExpExecArray) => string }[] = [
  // Python: FileNotFoundError: [Errno 2] No such file or directory: '/etc/app.conf'
  { re: /No such file or directory: '([^']+)'/g, what: (m) => m[1] },
  // Python: ModuleNotFoundError: No module named 'decimal'
  { re: /ModuleNotFoundError: No module named '([^']+)'/g, what: (m) => `python module ${m[1]}` },
  // ld.so: error while loading shared libraries: libz.so.1: cannot open shared object file
  { re: /error while loading shared libraries: ([^:\s]+)/g, what: (m) => `shared library ${m[1]}` },
  // coreutils and most C programs: cat: /etc/x: No such file or directory
  { re: /(?:^|\s)([^\s:'"]*\/[^\s:'"]+): No such file or directory/gm, what: (m) => m[1] },
  // execve of a missing program (unshare, env): unshare: failed to execute /bin/sh: No such file or directory
  { re: /failed to execute ([^:\s]+)/g, what: (m) => m[1] },
];

/** The missing path (or module, or library) named first in `stderr`, undefined when it names none. */
export function firstMissingPath(stderr: string): string | undefined {
  let best: { at: number; what: string } | undefined;
  for (const { re, what } of PATTERNS) {
    re.lastIndex = 0;
    const m = re.exec(stderr);
    if (m && (best === undefined || m.index < best.at)) best = { at: m.index, what: what(m) };
  }
  return best?.what;
}

/** The last non-empty line of `text`, trimmed and capped, for one-line error messages. */
export function lastLine(text: string, max = 200): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const l = lines.at(-1) ?? '';
  return l.length > max ? `${l.slice(0, max)}…` : l;
}
