// RPM version rule: [epoch:]version[-release], each part compared with rpmvercmp (rpm 4.18): alphanumeric
// segments, digits newer than letters, `~` sorts before everything (pre-releases), `^` after the base version
// but before any further segment (post-release snapshots). Other separators are equivalent.
import type { VersionScheme } from '../core/interfaces.ts';
import { compareDigits, invalid } from './util.ts';

export interface RpmVersion {
  epoch: number;
  version: string;
  release: string;
}

export function parseRpm(v: string): RpmVersion {
  const s = v.trim();
  if (s === '') throw invalid('rpm', v, 'empty');
  let epoch = 0;
  let rest = s;
  const m = /^(\d+):(.*)$/.exec(s);
  if (m) {
    epoch = Number(m[1]);
    rest = m[2];
  } else if (s.includes(':')) throw invalid('rpm', v, 'epoch is not a number');
  const dash = rest.lastIndexOf('-');
  const version = dash >= 0 ? rest.slice(0, dash) : rest;
  const release = dash >= 0 ? rest.slice(dash + 1) : '';
  if (version === '') throw invalid('rpm', v, 'empty version');
  if (/\s/.test(rest)) throw invalid('rpm', v, 'whitespace');
  return { epoch, version, release };
}

const isAlnum = (c: string): boolean => /[A-Za-z0-9]/.test(c);
const isDigit = (c: string): boolean => c >= '0' && c <= '9';

/** rpmvercmp on one part (version or release). */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;
    // tilde: sorts before everything, even the end
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    // caret: after the end, before anything else
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;
    const si = i;
    const sj = j;
    const numeric = isDigit(a[i]);
    if (numeric) {
      while (i < a.length && isDigit(a[i])) i++;
      while (j < b.length && isDigit(b[j])) j++;
    } else {
      while (i < a.length && /[A-Za-z]/.test(a[i])) i++;
      while (j < b.length && /[A-Za-z]/.test(b[j])) j++;
    }
    const x = a.slice(si, i);
    const y = b.slice(sj, j);
    // segments of different kinds: numeric is newer
    if (y === '') return numeric ? 1 : -1;
    if (numeric) {
      const c = compareDigits(x, y);
      if (c !== 0) return c;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  const ra = i < a.length;
  const rb = j < b.length;
  if (!ra && !rb) return 0;
  return ra ? 1 : -1;
}

export function compareRpm(a: string, b: string): -1 | 0 | 1 {
  const x = parseRpm(a);
  const y = parseRpm(b);
  if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
  const c = rpmvercmp(x.version, y.version);
  if (c !== 0) return c;
  // a missing release matches any release (rpm's rule for requirements such as `>= 1.2`)
  if (x.release === '' || y.release === '') return 0;
  return rpmvercmp(x.release, y.release);
}

export function createRpmScheme(): VersionScheme {
  return {
    id: 'rpm',
    compare: compareRpm,
    valid(v) {
      try {
        parseRpm(v);
        return true;
      } catch {
        return false;
      }
    },
  };
}
