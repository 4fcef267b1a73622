// Maven's version order (ComparableVersion, as Maven 3.9+/4 applies it and OSV's `Maven` ecosystem uses it).
// A version is read, case-insensitively, into a tree of items: numbers, qualifier strings, combinations
// (`rc1` = qualifier followed by a number) and sub-lists (opened by `-`, or by a change from digits to letters).
// Trailing "null" items (0, the release qualifier) are dropped so that 1 = 1.0 = 1-0. Qualifiers order as
// alpha < beta < milestone < rc (= cr) < snapshot < "" (= ga, final, release) < sp < any other (lexically);
// a, b, m directly followed by a digit mean alpha, beta, milestone. Numbers beat qualifiers; `.X` counts as `-X`.
// Every string is a valid Maven version; only absurdly long ones are refused.
import type { VersionScheme } from '../core/interfaces.ts';
import { invalid, sign } from './util.ts';

type Item =
  | { t: 'num'; v: bigint }
  | { t: 'str'; v: string }
  | { t: 'combo'; str: Extract<Item, { t: 'str' }>; num: Item }
  | { t: 'list'; items: Item[] };

const MAX_LENGTH = 1024;
const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const RELEASE_WORDS = ['ga', 'final', 'release'];
const RELEASE_RANK = String(QUALIFIERS.indexOf(''));
const isAsciiDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAnyDigit = (c: string): boolean => /^\p{Nd}$/u.test(c);

function str(value: string, followedByDigit: boolean): Extract<Item, { t: 'str' }> {
  let v = value;
  if (followedByDigit && v.length === 1) v = v === 'a' ? 'alpha' : v === 'b' ? 'beta' : v === 'm' ? 'milestone' : v;
  return { t: 'str', v: v === 'cr' ? 'rc' : v };
}

/** Qualifier rank as a string that compares lexically: known qualifiers by index, others after them by text. */
function qualifierRank(q: string): string {
  if (RELEASE_WORDS.includes(q)) return RELEASE_RANK;
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

const cmpStr = (a: string, b: string): -1 | 0 | 1 => (a < b ? -1 : a > b ? 1 : 0);

function num(digits: string): Item {
  const d = digits.replace(/^0+/, '');
  return { t: 'num', v: BigInt(d === '' ? '0' : d) };
}

function combo(text: string): Item {
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    if (isAnyDigit(text[i])) {
      at = i;
      break;
    }
  }
  return { t: 'combo', str: str(text.slice(0, at), true), num: num(text.slice(at).replace(/\D/g, '') || '0') };
}

function item(isCombination: boolean, isDigit: boolean, text: string): Item {
  if (isCombination) return combo(text.replace(/-/g, ''));
  if (isDigit) return num(text);
  return str(text, false);
}

function isNull(it: Item): boolean {
  if (it.t === 'num') return it.v === 0n;
  if (it.t === 'str') return it.v === '';
  if (it.t === 'list') return it.items.length === 0;
  return false;
}

function normalize(list: Extract<Item, { t: 'list' }>): void {
  const xs = list.items;
  for (let i = xs.length - 1; i >= 0; i--) {
    if (!isNull(xs[i])) continue;
    const next = xs[i + 1];
    if (i === xs.length - 1 || next.t === 'str') xs.splice(i, 1);
    else if (next.t === 'list' && (next.items[0]?.t === 'combo' || next.items[0]?.t === 'str')) xs.splice(i, 1);
  }
  // a zero prefix removed must not leave an extra level of nesting
  if (xs.length === 1 && xs[0].t === 'list') list.items = xs[0].items;
}

/** The item tree of a version. */
export function parseMaven(version: string): Item {
  if (version.length > MAX_LENGTH) throw invalid('maven', version.slice(0, 32) + '…', `longer than ${MAX_LENGTH}`);
  const v = version.toLowerCase();
  const root: Extract<Item, { t: 'list' }> = { t: 'list', items: [] };
  const opened = [root];
  let list = root;
  const openList = (): void => {
    const sub: Extract<Item, { t: 'list' }> = { t: 'list', items: [] };
    list.items.push(sub);
    opened.push(sub);
    list = sub;
  };
  let isDigit = false;
  let isCombination = false;
  let start = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '.') {
      list.items.push(i === start ? num('0') : item(isCombination, isDigit, v.slice(start, i)));
      isCombination = false;
      start = i + 1;
    } else if (c === '-') {
      if (i === start) list.items.push(num('0'));
      else {
        // `X-1` reads as `X1`
        if (!isDigit && i !== v.length - 1 && isAnyDigit(v[i + 1])) {
          isCombination = true;
          continue;
        }
        list.items.push(item(isCombination, isDigit, v.slice(start, i)));
      }
      start = i + 1;
      if (list.items.length > 0) openList();
      isCombination = false;
    } else if (isAsciiDigit(c)) {
      if (!isDigit && i > start) {
        isCombination = true;
        if (list.items.length > 0) openList();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.items.push(item(isCombination, true, v.slice(start, i)));
        start = i;
        openList();
        isCombination = false;
      }
      isDigit = false;
    }
  }
  if (v.length > start) {
    // `.X` counts as `-X` for a qualifier X (1.0.0.X1 < 1.0.0-X2)
    if (!isDigit && list.items.length > 0) openList();
    list.items.push(item(isCombination, isDigit, v.slice(start)));
  }
  for (let i = opened.length - 1; i >= 0; i--) normalize(opened[i]);
  return root;
}

/** Compare an item with another, or with nothing (`undefined`: the item is past the end of the other list). */
function compareItem(a: Item, b: Item | undefined): -1 | 0 | 1 {
  switch (a.t) {
    case 'num':
      if (!b) return a.v === 0n ? 0 : 1;
      return b.t === 'num' ? (a.v < b.v ? -1 : a.v > b.v ? 1 : 0) : 1;
    case 'str':
      if (!b) return cmpStr(qualifierRank(a.v), RELEASE_RANK);
      if (b.t === 'num') return -1;
      if (b.t === 'str') return cmpStr(qualifierRank(a.v), qualifierRank(b.v));
      if (b.t === 'combo') {
        const r = compareItem(a, b.str);
        if (r !== 0) return r;
        return compareItem(a, undefined) === 0 ? (-compareItem(b.num, undefined) as -1 | 0 | 1) : -1;
      }
      return -compareItem(b, a) as -1 | 0 | 1;
    case 'combo': {
      if (!b) {
        const r = compareItem(a.str, undefined);
        return r !== 0 ? r : compareItem(a.num, undefined);
      }
      if (b.t === 'num') return -1;
      if (b.t === 'str') {
        const r = compareItem(a.str, b);
        if (r !== 0) return r;
        return compareItem(a.str, undefined) === 0 ? compareItem(a.num, undefined) : 1;
      }
      if (b.t === 'list') return -compareItem(b, a) as -1 | 0 | 1;
      return compareItem(a.str, b.str) || compareItem(a.num, b.num);
    }
    case 'list': {
      if (!b) {
        for (const x of a.items) {
          const r = compareItem(x, undefined);
          if (r !== 0) return r;
        }
        return 0;
      }
      if (b.t === 'num') return -1;
      if (b.t === 'str' || b.t === 'combo') {
        let r = a.items.length === 0 ? (-compareItem(b, undefined) as -1 | 0 | 1) : compareItem(a.items[0], b);
        for (let i = 1; r === 0 && i < a.items.length; i++) r = compareItem(a.items[i], undefined);
        return r;
      }
      for (let i = 0; i < Math.max(a.items.length, b.items.length); i++) {
        const l = a.items[i];
        const r = b.items[i];
        const c =
          l === undefined ? (r === undefined ? 0 : (-compareItem(r, undefined) as -1 | 0 | 1)) : compareItem(l, r);
        if (c !== 0) return c;
      }
      return 0;
    }
  }
}

export function compareMaven(a: string, b: string): -1 | 0 | 1 {
  return sign(compareItem(parseMaven(a), parseMaven(b)));
}

/** The canonical text of a version (`1.0-alpha-1` → `1-alpha-1`), as Maven prints it. */
export function canonicalMaven(version: string): string {
  const show = (it: Item): string => {
    if (it.t === 'num') return String(it.v);
    if (it.t === 'str') return it.v;
    if (it.t === 'combo') return show(it.str) + show(it.num);
    return it.items.map((x, i) => (i === 0 ? '' : x.t === 'list' ? '-' : '.') + show(x)).join('');
  };
  return show(parseMaven(version));
}

export function createMavenScheme(): VersionScheme {
  return {
    id: 'maven',
    compare: compareMaven,
    valid: (v) => v.trim() !== '' && v.length <= MAX_LENGTH,
  };
}
