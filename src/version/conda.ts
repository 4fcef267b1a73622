// conda's VersionOrder: case-insensitive; optional epoch `N!`; optional local part `+…`; components split at `.`
// and `_` (`-` read as `_` when there is no `_`); each component split into numeric and text runs; a component
// starting with text gets an implicit 0 in front; text < numbers; `dev` < `_` < other text; `post` after any
// number; missing components read as 0 (so 1.1 == 1.1.0).
import type { VersionScheme } from '../core/interfaces.ts';
import { invalid } from './util.ts';

type Part = number | string;
export interface CondaVersion {
  version: Part[][];
  local: Part[][];
}

const CHECK = /^[*.+!_0-9a-z]+$/;

export function parseConda(v: string): CondaVersion {
  let s = v.trim().toLowerCase();
  if (s === '') throw invalid('conda', v, 'empty');
  if (!CHECK.test(s) && s.includes('-') && !s.includes('_')) s = s.replaceAll('-', '_');
  if (!CHECK.test(s)) throw invalid('conda', v, 'invalid character');
  const bang = s.split('!');
  if (bang.length > 2) throw invalid('conda', v, "duplicated epoch separator '!'");
  if (bang.length === 2 && !/^[0-9]+$/.test(bang[0])) throw invalid('conda', v, 'epoch must be an integer');
  const epoch = bang.length === 2 ? bang[0] : '0';
  const plus = bang[bang.length - 1].split('+');
  if (plus.length > 2) throw invalid('conda', v, "duplicated local version separator '+'");
  const main = plus[0];
  if (main === '') throw invalid('conda', v, 'missing version before local version');
  let comps: string[];
  if (main.endsWith('_')) {
    // openssl-like: a trailing `_` stays attached to the last component
    comps = main.slice(0, -1).replaceAll('_', '.').split('.');
    comps[comps.length - 1] += '_';
  } else {
    comps = main.replaceAll('_', '.').split('.');
  }
  const local = plus.length === 2 ? plus[1].replaceAll('_', '.').split('.') : [];
  return { version: [epoch, ...comps].map((c) => component(c, v)), local: local.map((c) => component(c, v)) };
}

function component(c: string, v: string): Part[] {
  const runs = c.match(/[0-9]+|\*+|[^0-9*]+/g);
  if (!runs) throw invalid('conda', v, 'empty version component');
  const parts: Part[] = runs.map((r) => {
    if (/^[0-9]+$/.test(r)) return Number(r);
    if (r === 'post') return Infinity;
    if (r === 'dev') return 'DEV'; // uppercase: sorts before `_` and every lowercase text
    return r;
  });
  return /^[a-z]/.test(c) ? [0, ...parts] : parts;
}

function comparePart(a: Part, b: Part): -1 | 0 | 1 {
  if (a === b) return 0;
  if (typeof a === 'string' && typeof b !== 'string') return -1;
  if (typeof b === 'string' && typeof a !== 'string') return 1;
  return a < b ? -1 : 1;
}

export function compareCondaParsed(x: CondaVersion, y: CondaVersion): -1 | 0 | 1 {
  for (const [t1, t2] of [
    [x.version, y.version],
    [x.local, y.local],
  ]) {
    for (let i = 0; i < Math.max(t1.length, t2.length); i++) {
      const v1 = t1[i] ?? [];
      const v2 = t2[i] ?? [];
      for (let j = 0; j < Math.max(v1.length, v2.length); j++) {
        const c = comparePart(v1[j] ?? 0, v2[j] ?? 0);
        if (c) return c;
      }
    }
  }
  return 0;
}

export function compareConda(a: string, b: string): -1 | 0 | 1 {
  return compareCondaParsed(parseConda(a), parseConda(b));
}

export function createCondaScheme(): VersionScheme {
  return {
    id: 'conda',
    compare: compareConda,
    valid(v) {
      try {
        parseConda(v);
        return true;
      } catch {
        return false;
      }
    },
  };
}
