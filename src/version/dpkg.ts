// Debian version rule (deb-version(7)): [epoch:]upstream[-revision]. Within upstream and revision, alternating
// non-digit and digit runs; in non-digit runs `~` sorts before everything (even the end), then the end, then
// letters, then all other characters.
import type { VersionScheme } from '../core/interfaces.ts';
import { compareDigits, invalid, sign } from './util.ts';

export interface DpkgVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

const UPSTREAM = /^[A-Za-z0-9.+~:-]+$/;
const REVISION = /^[A-Za-z0-9.+~]+$/;

/**
 * Parse a Debian version; throws InputError when it is not one. Upstream not starting with a digit is tolerated (dpkg
 * only warns).
 */
export function parseDpkg(v: string): DpkgVersion {
  const s = v.trim();
  if (s === '') throw invalid('dpkg', v, 'empty');
  let epoch = 0;
  let rest = s;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    const e = s.slice(0, colon);
    if (!/^\d+$/.test(e)) throw invalid('dpkg', v, 'epoch is not a number');
    epoch = Number(e);
    rest = s.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : '';
  if (upstream === '') throw invalid('dpkg', v, 'empty upstream version');
  if (dash >= 0 && revision === '') throw invalid('dpkg', v, 'empty revision');
  if (!UPSTREAM.test(upstream) || (colon < 0 && upstream.includes(':')))
    throw invalid('dpkg', v, 'bad character in upstream version');
  if (revision !== '' && !REVISION.test(revision)) throw invalid('dpkg', v, 'bad character in revision');
  return { epoch, upstream, revision };
}

function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

/** dpkg's verrevcmp on one part (upstream or revision). */
export function compareDpkgPart(a: string, b: string): -1 | 0 | 1 {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // non-digit run
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = i < a.length && !isDigit(a[i]) ? a[i] : undefined;
      const bc = j < b.length && !isDigit(b[j]) ? b[j] : undefined;
      const d = order(ac) - order(bc);
      if (d !== 0) return sign(d);
      i++;
      j++;
    }
    // digit run
    const si = i;
    while (i < a.length && isDigit(a[i])) i++;
    const sj = j;
    while (j < b.length && isDigit(b[j])) j++;
    const c = compareDigits(a.slice(si, i) || '0', b.slice(sj, j) || '0');
    if (c !== 0) return c;
  }
  return 0;
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';

export function compareDpkg(a: string, b: string): -1 | 0 | 1 {
  const x = parseDpkg(a);
  const y = parseDpkg(b);
  if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
  return compareDpkgPart(x.upstream, y.upstream) || compareDpkgPart(x.revision, y.revision);
}

export function createDpkgScheme(): VersionScheme {
  return {
    id: 'dpkg',
    compare: compareDpkg,
    valid(v) {
      try {
        parseDpkg(v);
        return true;
      } catch {
        return false;
      }
    },
  };
}
