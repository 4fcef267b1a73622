// Version specifiers: PEP 440 specifier sets (`>=1.2,<2`, `~=1.4.2`, `==1.*`, `!=1.5`, `===1.0`) and a plain
// comparison list (`>=550.54.15, <560`) for any other scheme.
import type { VersionScheme } from '../core/interfaces.ts';
import { InputError } from '../core/errors.ts';
import { comparePep440Parsed, tryParsePep440, type Pep440Version } from './pep440.ts';

export type SpecifierOp = '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>' | '===';
export interface Specifier {
  op: SpecifierOp;
  version: string;
  prefix: boolean;
}

const SPEC = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*([^\s,;]+)\s*$/;

/** Parse `>=1.2, <2` into specifiers (empty string = no constraint). Throws InputError on bad syntax. */
export function parseSpecifiers(text: string): Specifier[] {
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const m = SPEC.exec(part);
    if (!m) throw new InputError(`pep440: invalid specifier '${part.trim()}' in '${text}'`);
    const op = m[1] as SpecifierOp;
    let version = m[2];
    let prefix = false;
    if (op !== '===') {
      if (version.endsWith('.*')) {
        if (op !== '==' && op !== '!=')
          throw new InputError(`pep440: '.*' is only allowed with == and != in '${text}'`);
        prefix = true;
        version = version.slice(0, -2);
      }
      const p = tryParsePep440(version);
      if (!p) throw new InputError(`pep440: invalid version '${version}' in specifier '${text}'`);
      if (prefix && p.local) throw new InputError(`pep440: local version not allowed in prefix match '${text}'`);
      if (op === '~=' && p.release.length < 2)
        throw new InputError(`pep440: '~=' needs at least two release segments in '${text}'`);
      if (p.local && op !== '==' && op !== '!=')
        throw new InputError(`pep440: local version only allowed with == and != in '${text}'`);
    }
    return { op, version, prefix };
  });
}

const isPre = (v: Pep440Version): boolean => v.pre !== undefined || v.dev !== undefined;
const publicOf = (v: Pep440Version): Pep440Version => ({ ...v, local: undefined });
const baseOf = (v: Pep440Version): Pep440Version => ({ epoch: v.epoch, release: v.release });
const cmp = comparePep440Parsed;

function prefixMatch(v: Pep440Version, p: Pep440Version): boolean {
  if (v.epoch !== p.epoch) return false;
  for (let i = 0; i < p.release.length; i++) if ((v.release[i] ?? 0) !== p.release[i]) return false;
  if (p.pre) {
    if (v.release.length > p.release.length && v.release.slice(p.release.length).some((x) => x !== 0)) return false;
    if (!v.pre || v.pre.label !== p.pre.label || v.pre.n !== p.pre.n) return false;
  }
  if (p.post !== undefined && v.post !== p.post) return false;
  if (p.dev !== undefined && v.dev !== p.dev) return false;
  return true;
}

function containsOne(s: Specifier, raw: string, v: Pep440Version): boolean {
  if (s.op === '===') return raw.trim().toLowerCase() === s.version.toLowerCase();
  const p = tryParsePep440(s.version) as Pep440Version;
  switch (s.op) {
    case '==':
      if (s.prefix) return prefixMatch(v, p);
      return cmp(p.local ? v : publicOf(v), p) === 0;
    case '!=':
      return !containsOne({ ...s, op: '==' }, raw, v);
    case '~=': {
      const prefix: Pep440Version = { epoch: p.epoch, release: p.release.slice(0, -1) };
      return cmp(publicOf(v), p) >= 0 && prefixMatch(v, prefix);
    }
    case '<=':
      return cmp(publicOf(v), p) <= 0;
    case '>=':
      return cmp(publicOf(v), p) >= 0;
    case '<':
      if (cmp(v, p) >= 0) return false;
      // `<1.0` does not admit 1.0's own pre-releases unless the bound is one
      return !(!isPre(p) && isPre(v) && cmp(baseOf(v), baseOf(p)) === 0);
    case '>':
      if (cmp(publicOf(v), p) <= 0) return false;
      // `>1.0` admits neither 1.0's post-releases (unless the bound is one) nor 1.0+local
      if (p.post === undefined && v.post !== undefined && cmp(baseOf(v), baseOf(p)) === 0) return false;
      if (v.local && cmp(baseOf(v), baseOf(p)) === 0) return false;
      return true;
  }
}

/**
 * Whether a PEP 440 version satisfies a specifier set. Pre-releases are admitted by default (an installed
 * version is what it is); pass `prereleases: false` for pip's selection rule. Throws InputError when invalid.
 */
export function pep440Satisfies(
  version: string,
  specifiers: string | Specifier[],
  options: { prereleases?: boolean } = {},
): boolean {
  const specs = typeof specifiers === 'string' ? parseSpecifiers(specifiers) : specifiers;
  const v = tryParsePep440(version);
  if (!v) {
    // only `===` can match a non-PEP 440 version
    if (specs.length > 0 && specs.every((s) => s.op === '==='))
      return specs.every((s) => containsOne(s, version, {} as Pep440Version));
    throw new InputError(`pep440: invalid version '${version}'`);
  }
  if (options.prereleases === false && isPre(v)) {
    const allowsPre = specs.some(
      (s) => s.op !== '===' && s.op !== '!=' && isPre(tryParsePep440(s.version) as Pep440Version),
    );
    if (!allowsPre) return false;
  }
  return specs.every((s) => containsOne(s, version, v));
}

const PLAIN = /^\s*(>=|<=|==|!=|=|<|>)?\s*([^\s,]+)\s*$/;

/**
 * `satisfies(scheme, "550.54.15", ">=550.54.15, <560")`: every comparison must hold under the scheme's order.
 * PEP 440 schemes get full specifier semantics. Throws InputError for bad syntax or unparsable versions.
 */
export function satisfies(scheme: VersionScheme, version: string, constraint: string): boolean {
  if (scheme.id === 'pep440') return pep440Satisfies(version, constraint);
  if (constraint.trim() === '') return true;
  return constraint.split(',').every((part) => {
    const m = PLAIN.exec(part);
    if (!m) throw new InputError(`${scheme.id}: invalid constraint '${part.trim()}' in '${constraint}'`);
    const c = scheme.compare(version, m[2]);
    switch (m[1] ?? '==') {
      case '>=':
        return c >= 0;
      case '<=':
        return c <= 0;
      case '>':
        return c > 0;
      case '<':
        return c < 0;
      case '!=':
        return c !== 0;
      default:
        return c === 0;
    }
  });
}
