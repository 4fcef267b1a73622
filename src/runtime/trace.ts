// Parse an `strace -f -o LOG` log into the set of paths a workload touched inside its chroot. Only successful calls
// count, only after the chroot; relative paths are resolved against each process's working directory (tracked
// through chdir and inherited on clone/fork/vfork). Hand-written: strace's text format has no parser library.
import { posix } from 'node:path';

export type Access = 'open' | 'stat' | 'exec' | 'readlink';

export interface TraceResult {
  /** absolute path inside the root → kinds of access */
  files: Map<string, Set<Access>>;
  /** calls relative to a directory fd that could not be resolved */
  unresolved: number;
  /** whether the chroot was seen (else nothing was recorded) */
  chrooted: boolean;
  events: number;
}

/** syscall → [index of the path argument, access kind] */
const PATH_ARG: Record<string, [number, Access]> = {
  open: [0, 'open'],
  creat: [0, 'open'],
  openat: [1, 'open'],
  openat2: [1, 'open'],
  stat: [0, 'stat'],
  lstat: [0, 'stat'],
  newfstatat: [1, 'stat'],
  fstatat64: [1, 'stat'],
  statx: [1, 'stat'],
  access: [0, 'stat'],
  faccessat: [1, 'stat'],
  faccessat2: [1, 'stat'],
  statfs: [0, 'stat'],
  readlink: [0, 'readlink'],
  readlinkat: [1, 'readlink'],
  execve: [0, 'exec'],
  execveat: [1, 'exec'],
  getxattr: [0, 'stat'],
  lgetxattr: [0, 'stat'],
  listxattr: [0, 'stat'],
  llistxattr: [0, 'stat'],
};

const LINE = /^(\d+)\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()(.*)$/;

/** the quoted string arguments of a call, in order, with their positions among all arguments */
function args(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  let depth = 0;
  let cur = '';
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let s = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) {
          const n = text[i + 1];
          if (/[0-7]/.test(n)) {
            const m = /^[0-7]{1,3}/.exec(text.slice(i + 1))![0];
            s += String.fromCharCode(parseInt(m, 8));
            i += 1 + m.length;
            continue;
          }
          if (n === 'x') {
            s += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
            i += 4;
            continue;
          }
          s += ({ n: '\n', t: '\t', r: '\r', v: '\v', f: '\f' } as Record<string, string>)[n] ?? n;
          i += 2;
          continue;
        }
        s += text[i++];
      }
      cur += '\u0000' + s;
      i++;
      continue;
    }
    if (c === '[' || c === '{' || c === '(') depth++;
    else if (c === ']' || c === '}' || c === ')') {
      if (depth === 0) {
        out.push(cur.trim());
        return out;
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      i++;
      continue;
    }
    cur += c;
    i++;
  }
  out.push(cur.trim());
  return out;
}

export function parseStraceLog(log: string): TraceResult {
  const files = new Map<string, Set<Access>>();
  const cwd = new Map<string, string>();
  const pending = new Map<string, string>();
  let chrooted = false;
  let unresolved = 0;
  let events = 0;
  const add = (p: string, a: Access) => {
    let s = files.get(p);
    if (!s) files.set(p, (s = new Set()));
    s.add(a);
  };
  for (const raw of log.split('\n')) {
    const m = LINE.exec(raw);
    if (!m) continue;
    const pid = m[1];
    let name = m[3];
    let rest = m[4];
    if (m[2]) {
      name = m[2];
      rest = (pending.get(pid) ?? '') + rest;
      pending.delete(pid);
    }
    if (rest.endsWith('<unfinished ...>')) {
      pending.set(pid, rest.slice(0, -'<unfinished ...>'.length));
      continue;
    }
    const eq = rest.lastIndexOf(') = ');
    if (eq < 0) continue;
    const ret = rest.slice(eq + 4).trim();
    const ok = !ret.startsWith('-1') && !ret.startsWith('?');
    if (name === 'chroot') {
      if (ok) {
        chrooted = true;
        cwd.set(pid, '/');
      }
      continue;
    }
    if (!chrooted) continue;
    events++;
    if ((name === 'clone' || name === 'clone3' || name === 'fork' || name === 'vfork') && ok) {
      const child = /^(\d+)/.exec(ret)?.[1];
      if (child) cwd.set(child, cwd.get(pid) ?? '/');
      continue;
    }
    const a = args(rest.slice(0, eq + 1));
    const strs = a.map((x) => (x.startsWith('\u0000') ? x.slice(1) : undefined));
    if (name === 'chdir' && ok && strs[0] !== undefined) {
      cwd.set(pid, posix.resolve(cwd.get(pid) ?? '/', strs[0]));
      continue;
    }
    const spec = PATH_ARG[name];
    if (!spec || !ok) continue;
    const p = strs[spec[0]];
    if (p === undefined || p === '') continue;
    if (p.startsWith('/')) {
      add(posix.normalize(p), spec[1]);
      continue;
    }
    const dirfd = spec[0] === 1 ? a[0] : 'AT_FDCWD';
    if (dirfd === 'AT_FDCWD') add(posix.resolve(cwd.get(pid) ?? '/', p), spec[1]);
    else unresolved++;
  }
  return { files, unresolved, chrooted, events };
}
