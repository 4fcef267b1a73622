// Small helpers shared by the version schemes.
import { InputError } from '../core/errors.ts';

export const sign = (n: number): -1 | 0 | 1 => (n < 0 ? -1 : n > 0 ? 1 : 0);

export function invalid(scheme: string, v: string, why?: string): InputError {
  return new InputError(`${scheme}: invalid version '${v}'${why ? ` (${why})` : ''}`);
}

/** Compare two runs of decimal digits by numeric value without overflow (leading zeros ignored). */
export function compareDigits(a: string, b: string): -1 | 0 | 1 {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}
