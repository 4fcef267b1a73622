// PEP 508 dependency specifications: `name[extra1,extra2] (>=1.0,<2) ; python_version >= "3.8" and extra == "gpu"`
// or `name @ https://…`. Markers are evaluated against an environment; version-like comparisons use PEP 440.
import { InputError } from '../core/errors.ts';
import { parseSpecifiers, pep440Satisfies, type Specifier } from './specifier.ts';
import { tryParsePep440 } from './pep440.ts';

export interface MarkerEnvironment {
  python_version?: string;
  python_full_version?: string;
  sys_platform?: string;
  platform_system?: string;
  platform_machine?: string;
  platform_release?: string;
  platform_version?: string;
  platform_python_implementation?: string;
  os_name?: string;
  implementation_name?: string;
  implementation_version?: string;
  /** the extra being installed ('' or absent: none) */
  extra?: string;
}

export type Marker =
  | { kind: 'and' | 'or'; left: Marker; right: Marker }
  | { kind: 'compare'; left: MarkerValue; op: string; right: MarkerValue };
export type MarkerValue = { variable: keyof MarkerEnvironment } | { literal: string };

export interface Requirement {
  /** as written */
  name: string;
  /** PEP 503 normalized */
  normalizedName: string;
  extras: string[];
  specifiers: Specifier[];
  /** specifier text as written (`>=1.0,<2`) */
  specifier: string;
  url?: string;
  marker?: Marker;
}

const VARIABLES = new Set<string>([
  'python_version',
  'python_full_version',
  'sys_platform',
  'platform_system',
  'platform_machine',
  'platform_release',
  'platform_version',
  'platform_python_implementation',
  'os_name',
  'implementation_name',
  'implementation_version',
  'extra',
]);
const VERSION_VARIABLES = new Set([
  'python_version',
  'python_full_version',
  'implementation_version',
  'platform_release',
]);

/** PEP 503 name normalisation. */
export const normalizeName = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '-');

/** Parse one requirement line. Throws InputError naming the line when it is not PEP 508. */
export function parseRequirement(line: string): Requirement {
  const fail = (why: string, cause?: unknown) =>
    new InputError(`pep508: invalid requirement '${line}': ${why}`, cause ? { cause } : undefined);
  let rest = line.trim();
  const nm = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*/.exec(rest);
  if (!nm) throw fail('missing project name');
  const name = nm[1];
  rest = rest.slice(nm[0].length);
  let extras: string[] = [];
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0) throw fail("unclosed '['");
    extras = rest
      .slice(1, end)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (extras.some((e) => !/^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(e))) throw fail('bad extra name');
    rest = rest.slice(end + 1).trimStart();
  }
  let url: string | undefined;
  let specText = '';
  let markerText: string | undefined;
  if (rest.startsWith('@')) {
    const m = /^@\s*(\S+)(?:\s+;\s*(.*)|\s*)$/.exec(rest);
    if (!m) throw fail('bad URL');
    url = m[1];
    markerText = m[2];
  } else {
    const semi = rest.indexOf(';');
    specText = (semi >= 0 ? rest.slice(0, semi) : rest).trim();
    markerText = semi >= 0 ? rest.slice(semi + 1) : undefined;
    if (specText.startsWith('(')) {
      if (!specText.endsWith(')')) throw fail("unclosed '('");
      specText = specText.slice(1, -1).trim();
    }
  }
  let specifiers: Specifier[];
  try {
    specifiers = parseSpecifiers(specText);
  } catch (err) {
    throw fail('bad version specifier', err);
  }
  let marker: Marker | undefined;
  if (markerText !== undefined) {
    try {
      marker = parseMarker(markerText);
    } catch (err) {
      throw fail(err instanceof Error ? err.message : String(err), err);
    }
  }
  return { name, normalizedName: normalizeName(name), extras, specifiers, specifier: specText, url, marker };
}

type Token = { t: 'op' | 'str' | 'var' | 'lp' | 'rp' | 'and' | 'or'; v: string };

const TOKEN = [
  String.raw`\s*(?:(\()|(\))|('[^']*'|"[^"]*")|(===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b)|`,
  String.raw`(and\b|or\b)|([A-Za-z_][A-Za-z0-9_.]*))`,
].join('');

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  const re = new RegExp(TOKEN, 'y');
  let i = 0;
  while (i < s.length) {
    if (/^\s*$/.test(s.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) throw new Error(`unexpected '${s.slice(i).trim().slice(0, 20)}' in marker`);
    i = re.lastIndex;
    if (m[1]) out.push({ t: 'lp', v: '(' });
    else if (m[2]) out.push({ t: 'rp', v: ')' });
    else if (m[3]) out.push({ t: 'str', v: m[3].slice(1, -1) });
    else if (m[4]) out.push({ t: 'op', v: m[4].replace(/\s+/, ' ') });
    else if (m[5]) out.push({ t: m[5] as 'and' | 'or', v: m[5] });
    else if (m[6]) {
      if (!VARIABLES.has(m[6])) throw new Error(`unknown marker variable '${m[6]}'`);
      out.push({ t: 'var', v: m[6] });
    }
  }
  return out;
}

/** Parse a marker expression (`python_version >= "3.8" and (sys_platform == "linux" or extra == "gpu")`). */
export function parseMarker(text: string): Marker {
  const toks = tokenize(text);
  let i = 0;
  const value = (): MarkerValue => {
    const t = toks[i++];
    if (t?.t === 'str') return { literal: t.v };
    if (t?.t === 'var') return { variable: t.v as keyof MarkerEnvironment };
    throw new Error('expected a marker variable or a quoted string');
  };
  const atom = (): Marker => {
    if (toks[i]?.t === 'lp') {
      i++;
      const m = orExpr();
      if (toks[i++]?.t !== 'rp') throw new Error("expected ')' in marker");
      return m;
    }
    const left = value();
    const op = toks[i++];
    if (op?.t !== 'op') throw new Error('expected a comparison operator in marker');
    return { kind: 'compare', left, op: op.v, right: value() };
  };
  const andExpr = (): Marker => {
    let m = atom();
    while (toks[i]?.t === 'and') {
      i++;
      m = { kind: 'and', left: m, right: atom() };
    }
    return m;
  };
  const orExpr = (): Marker => {
    let m = andExpr();
    while (toks[i]?.t === 'or') {
      i++;
      m = { kind: 'or', left: m, right: andExpr() };
    }
    return m;
  };
  if (toks.length === 0) throw new Error('empty marker');
  const m = orExpr();
  if (i !== toks.length) throw new Error(`unexpected '${toks[i].v}' in marker`);
  return m;
}

function compare(op: string, lhs: string, rhs: string, versionLike: boolean): boolean {
  if (op === 'in') return rhs.includes(lhs);
  if (op === 'not in') return !rhs.includes(lhs);
  if (versionLike && tryParsePep440(lhs) && (op === '===' || tryParsePep440(rhs.replace(/\.\*$/, '')))) {
    return pep440Satisfies(lhs, `${op}${rhs}`);
  }
  switch (op) {
    case '==':
    case '===':
      return lhs === rhs;
    case '!=':
      return lhs !== rhs;
    case '<':
      return lhs < rhs;
    case '<=':
      return lhs <= rhs;
    case '>':
      return lhs > rhs;
    case '>=':
      return lhs >= rhs;
    default:
      throw new InputError(`pep508: operator '${op}' cannot compare '${lhs}' and '${rhs}'`);
  }
}

/** Evaluate a marker; variables missing from the environment read as ''. */
export function evaluateMarker(marker: Marker | string, env: MarkerEnvironment): boolean {
  const m = typeof marker === 'string' ? parseMarker(marker) : marker;
  if (m.kind !== 'compare') {
    return m.kind === 'and'
      ? evaluateMarker(m.left, env) && evaluateMarker(m.right, env)
      : evaluateMarker(m.left, env) || evaluateMarker(m.right, env);
  }
  const read = (v: MarkerValue): string => ('literal' in v ? v.literal : (env[v.variable] ?? ''));
  let lhs = read(m.left);
  let rhs = read(m.right);
  const vars = [m.left, m.right]
    .filter((v): v is { variable: keyof MarkerEnvironment } => 'variable' in v)
    .map((v) => v.variable);
  if (vars.includes('extra')) {
    lhs = normalizeName(lhs);
    rhs = normalizeName(rhs);
  }
  const versionLike = vars.some((v) => VERSION_VARIABLES.has(v));
  return compare(m.op, lhs, rhs, versionLike);
}
