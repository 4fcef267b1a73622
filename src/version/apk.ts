// Alpine apk-tools version rule: digits separated by `.`, an optional letter, suffixes
// `_alpha _beta _pre _rc` (before the bare version) and `_cvs _svn _git _hg _p` (after it), each with an optional
// number, an optional `~<hash>`, then `-r<N>`. Compared token by token as apk-tools does; when the token kinds
// differ, the longer version wins unless it continues with a pre-release suffix.
import type { VersionScheme } from '../core/interfaces.ts';
import { compareDigits, invalid } from './util.ts';

const VALID = /^[0-9]+(\.[0-9]+)*[a-z]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*(~[0-9a-f]+)?(-r[0-9]+)?$/;

const PRE = ['alpha', 'beta', 'pre', 'rc'];
const POST = ['cvs', 'svn', 'git', 'hg', 'p'];

// Token kinds in apk-tools' order (the order matters when the two versions continue differently).
const DIGIT_OR_ZERO = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const REVISION_NO = 5;
const END = 6;
const INVALID = -1;

interface Cursor {
  s: string;
  i: number;
  kind: number;
}

/** Decide the kind of the next token from the separator at the cursor (apk-tools next_token). */
function nextKind(c: Cursor): void {
  let n = INVALID;
  const ch = c.s[c.i];
  if (c.i >= c.s.length) n = END;
  else if ((c.kind === DIGIT || c.kind === DIGIT_OR_ZERO) && ch >= 'a' && ch <= 'z') n = LETTER;
  else if (c.kind === LETTER && ch >= '0' && ch <= '9') n = DIGIT;
  else if (c.kind === SUFFIX && ch >= '0' && ch <= '9') n = SUFFIX_NO;
  else {
    if (ch === '.') n = DIGIT_OR_ZERO;
    else if (ch === '_') n = SUFFIX;
    else if (ch === '-' && c.s[c.i + 1] === 'r') {
      n = REVISION_NO;
      c.i++;
    }
    c.i++;
  }
  if (n < c.kind && n !== INVALID) {
    const ok =
      (n === DIGIT_OR_ZERO && c.kind === DIGIT) ||
      (n === SUFFIX && c.kind === SUFFIX_NO) ||
      (n === DIGIT && c.kind === LETTER);
    if (!ok) n = INVALID;
  }
  c.kind = n;
}

/** Read the value of the current token and advance (apk-tools get_token). Values are strings of digits or numbers. */
function readToken(c: Cursor): { num?: string; val: number } {
  if (c.i >= c.s.length) {
    c.kind = END;
    return { val: 0 };
  }
  let val = 0;
  let num: string | undefined;
  let forced = INVALID;
  const start = c.i;
  switch (c.kind) {
    case DIGIT_OR_ZERO:
    case DIGIT:
    case SUFFIX_NO:
    case REVISION_NO:
      if (c.kind === DIGIT_OR_ZERO && c.s[c.i] === '0') {
        // leading zeros after a dot: fraction-like, more zeros sort lower
        while (c.i < c.s.length && c.s[c.i] === '0') c.i++;
        // digits or a dot go on as a number; a suffix, letter or revision is read directly (so 1.0_rc < 1.0)
        if (/[0-9.]/.test(c.s[c.i] ?? '')) forced = DIGIT;
        else c.kind = DIGIT;
        val = -(c.i - start);
        break;
      }
      while (c.i < c.s.length && c.s[c.i] >= '0' && c.s[c.i] <= '9') c.i++;
      num = c.s.slice(start, c.i) || '0';
      break;
    case LETTER:
      val = c.s.charCodeAt(c.i);
      c.i++;
      break;
    case SUFFIX: {
      const rest = c.s.slice(c.i);
      const pre = PRE.findIndex((p) => rest.startsWith(p));
      const post = pre >= 0 ? -1 : POST.findIndex((p) => rest.startsWith(p));
      if (pre < 0 && post < 0) {
        c.kind = INVALID;
        return { val: -1 };
      }
      val = pre >= 0 ? pre - PRE.length : post;
      c.i += pre >= 0 ? PRE[pre].length : POST[post].length;
      // a suffix number follows, or the next separator is read as if after an (empty) suffix number
      if (c.s[c.i] >= '0' && c.s[c.i] <= '9') forced = SUFFIX_NO;
      else c.kind = SUFFIX_NO;
      break;
    }
    default:
      c.kind = INVALID;
      return { val: -1 };
  }
  if (c.i >= c.s.length) c.kind = END;
  else if (forced !== INVALID) c.kind = forced;
  else nextKind(c);
  return { num, val };
}

function tokenCompare(a: { num?: string; val: number }, b: { num?: string; val: number }): number {
  if (a.num !== undefined && b.num !== undefined) return compareDigits(a.num, b.num);
  const x = a.num !== undefined ? Number(a.num) : a.val;
  const y = b.num !== undefined ? Number(b.num) : b.val;
  return x < y ? -1 : x > y ? 1 : 0;
}

export function compareApk(a: string, b: string): -1 | 0 | 1 {
  for (const v of [a, b]) if (!/^[0-9][0-9a-z._~+-]*$/.test(v)) throw invalid('apk', v);
  // a `~<commit hash>` names a snapshot; it carries no order
  const x: Cursor = { s: a.replace(/~[0-9a-f]+/, ''), i: 0, kind: DIGIT };
  const y: Cursor = { s: b.replace(/~[0-9a-f]+/, ''), i: 0, kind: DIGIT };
  let c = 0;
  while (x.kind === y.kind && x.kind !== END && x.kind !== INVALID && c === 0) {
    c = tokenCompare(readToken(x), readToken(y));
  }
  if (c < 0) return -1;
  if (c > 0) return 1;
  if (x.kind === y.kind) return 0;
  // equal so far: the one that goes on is newer, unless it goes on with a pre-release suffix
  if (x.kind === SUFFIX && readToken({ ...x }).val < 0) return -1;
  if (y.kind === SUFFIX && readToken({ ...y }).val < 0) return 1;
  if (x.kind > y.kind) return -1;
  if (y.kind > x.kind) return 1;
  return 0;
}

export function createApkScheme(): VersionScheme {
  return {
    id: 'apk',
    compare: compareApk,
    valid: (v) => VALID.test(v),
  };
}
