// Python version rule (PEP 440 / the packaging specification): [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local].
// Parsing accepts every spelling the spec allows and normalises it; anything else is invalid (never guessed).
import type { VersionScheme } from '../core/interfaces.ts';
import { invalid } from './util.ts';

export interface Pep440Version {
  epoch: number;
  release: number[];
  pre?: { label: 'a' | 'b' | 'rc'; n: number };
  post?: number;
  dev?: number;
  /** local segments as normalised (lowercase, `.`-separated) */
  local?: string[];
}

const PATTERN = new RegExp(
  '^\\s*v?' +
    '(?:(?<epoch>[0-9]+)!)?' +
    '(?<release>[0-9]+(?:\\.[0-9]+)*)' +
    '(?:[-_.]?(?<preL>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<preN>[0-9]+)?)?' +
    '(?:-(?<postImplicit>[0-9]+)|[-_.]?(?<postL>post|rev|r)[-_.]?(?<postN>[0-9]+)?)?' +
    '(?:[-_.]?(?<devL>dev)[-_.]?(?<devN>[0-9]+)?)?' +
    '(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?' +
    '\\s*$',
  'i',
);

const PRE_LABEL: Record<string, 'a' | 'b' | 'rc'> = {
  a: 'a',
  alpha: 'a',
  b: 'b',
  beta: 'b',
  c: 'rc',
  rc: 'rc',
  pre: 'rc',
  preview: 'rc',
};

/** Parse a PEP 440 version; undefined when it is not one. */
export function tryParsePep440(v: string): Pep440Version | undefined {
  const m = PATTERN.exec(v);
  if (!m?.groups) return undefined;
  const g = m.groups;
  const out: Pep440Version = {
    epoch: g.epoch ? Number(g.epoch) : 0,
    release: g.release.split('.').map(Number),
  };
  if (g.preL) out.pre = { label: PRE_LABEL[g.preL.toLowerCase()], n: g.preN ? Number(g.preN) : 0 };
  if (g.postImplicit !== undefined) out.post = Number(g.postImplicit);
  else if (g.postL) out.post = g.postN ? Number(g.postN) : 0;
  if (g.devL) out.dev = g.devN ? Number(g.devN) : 0;
  if (g.local) out.local = g.local.toLowerCase().split(/[-_.]/);
  return out;
}

/** Parse a PEP 440 version; throws InputError when it is not one. */
export function parsePep440(v: string): Pep440Version {
  const p = tryParsePep440(v);
  if (!p) throw invalid('pep440', v);
  return p;
}

/** The normalised spelling (`1.0-DEV` → `1.0.dev0`). Throws InputError when invalid. */
export function normalizePep440(v: string): string {
  return formatPep440(parsePep440(v));
}

export function formatPep440(p: Pep440Version): string {
  let s = p.epoch ? `${p.epoch}!` : '';
  s += p.release.join('.');
  if (p.pre) s += `${p.pre.label}${p.pre.n}`;
  if (p.post !== undefined) s += `.post${p.post}`;
  if (p.dev !== undefined) s += `.dev${p.dev}`;
  if (p.local) s += `+${p.local.map((x) => (/^[0-9]+$/.test(x) ? String(Number(x)) : x)).join('.')}`;
  return s;
}

const PRE_RANK = { a: 0, b: 1, rc: 2 } as const;

function cmp(a: number, b: number): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compare parsed versions by PEP 440 ordering. */
export function comparePep440Parsed(x: Pep440Version, y: Pep440Version): -1 | 0 | 1 {
  let c = cmp(x.epoch, y.epoch);
  if (c) return c;
  const n = Math.max(x.release.length, y.release.length);
  for (let i = 0; i < n; i++) {
    c = cmp(x.release[i] ?? 0, y.release[i] ?? 0);
    if (c) return c;
  }
  c = cmp(preKey(x), preKey(y));
  if (c) return c;
  if (x.pre && y.pre) {
    c = cmp(x.pre.n, y.pre.n);
    if (c) return c;
  }
  c = cmp(x.post ?? -1, y.post ?? -1);
  if (c) return c;
  c = cmp(x.dev ?? Infinity, y.dev ?? Infinity);
  if (c) return c;
  return compareLocal(x.local, y.local);
}

/** dev-only releases (1.0.dev1) sort before pre-releases; no pre-release sorts after them. */
function preKey(p: Pep440Version): number {
  if (p.pre) return PRE_RANK[p.pre.label];
  if (p.post === undefined && p.dev !== undefined) return -1;
  return 3;
}

function compareLocal(a: string[] | undefined, b: string[] | undefined): -1 | 0 | 1 {
  if (!a || !b) return a ? 1 : b ? -1 : 0;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] === undefined) return -1;
    if (b[i] === undefined) return 1;
    const an = /^[0-9]+$/.test(a[i]);
    const bn = /^[0-9]+$/.test(b[i]);
    // numeric segments sort after alphanumeric ones
    if (an !== bn) return an ? 1 : -1;
    const c = an ? cmp(Number(a[i]), Number(b[i])) : a[i] < b[i] ? -1 : a[i] > b[i] ? 1 : 0;
    if (c) return c;
  }
  return 0;
}

export function comparePep440(a: string, b: string): -1 | 0 | 1 {
  return comparePep440Parsed(parsePep440(a), parsePep440(b));
}

export function createPep440Scheme(): VersionScheme {
  return {
    id: 'pep440',
    compare: comparePep440,
    valid: (v) => tryParsePep440(v) !== undefined,
  };
}
