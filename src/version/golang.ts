// Go's version rule: module versions are semver with a `v` prefix (`v1.2.3`, `v2.0.0+incompatible`), including
// pseudo-versions (`v0.0.0-20220127200216-cd36cc0744dd`, `v1.2.4-0.20191109021931-daa7c04131f5`), which sort by
// semver precedence because their timestamp sits in the pre-release. The Go toolchain (module `stdlib`, and
// `toolchain` for the go command) is named its own way — `go1.19.8`, `go1.20`, `go1.21rc2`, `go1.9beta1` — and the
// Go vulnerability database writes it as semver: `1.19.8`, `1.20.0`, `1.21.0-rc.2`, `1.9.0-beta.1`.
import type { VersionScheme } from '../core/interfaces.ts';
import { compareSemver, tryParseSemver } from './semver.ts';
import { invalid } from './util.ts';

const TOOLCHAIN = /^go(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta|alpha)(\d+))?$/;

/**
 * A Go toolchain version as the Go vulnerability database writes it: `go1.19.8` → `1.19.8`, `go1.21rc2` →
 * `1.21.0-rc.2`. Accepts what `runtime.Version()` and build information record, including a trailing experiment
 * list (`go1.20.5 X:boringcrypto`). Undefined for development builds (`devel go1.22-abc…`) and anything else.
 */
export function goToolchainToSemver(version: string): string | undefined {
  const v = version.trim().split(/\s+/)[0];
  const m = TOOLCHAIN.exec(v);
  if (!m) return undefined;
  const core = `${m[1]}.${m[2] ?? '0'}.${m[3] ?? '0'}`;
  return m[4] ? `${core}-${m[4]}.${m[5]}` : core;
}

/** A Go version in semver form: toolchain names converted, module versions as they are. */
export function goSemver(version: string): string | undefined {
  const t = goToolchainToSemver(version);
  if (t) return t;
  const v = version.trim();
  return /^v?\d/.test(v) && tryParseSemver(v) ? v : undefined;
}

export function compareGo(a: string, b: string): -1 | 0 | 1 {
  const x = goSemver(a);
  const y = goSemver(b);
  if (x === undefined) throw invalid('go', a);
  if (y === undefined) throw invalid('go', b);
  return compareSemver(x, y);
}

export function createGoScheme(): VersionScheme {
  return { id: 'go', compare: compareGo, valid: (v) => goSemver(v) !== undefined };
}
