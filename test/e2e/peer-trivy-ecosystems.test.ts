// Acceptance (issue 12): Trivy 0.74 (the cdxgen build, ../shared/RECIPES.md) and zerocve inventory the same roots —
// the two layers of the ecosystems fixture image (test/support/ecosystem-image.ts), unpacked — and zerocve must list
// at least every package Trivy lists, each package only zerocve lists being explained by a row of ONLY_ZEROCVE.
// Both run as users run them: `trivy rootfs --format cyclonedx` and `zerocve sbom dir:ROOT -f json`.
// Trivy is found as test/support/peers.ts says (scripts/setup.sh installs it); without it the test skips, except in
// CI, where it fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Package } from '../../src/core/package.ts';
import { ecosystemImage, ecosystemSkip } from '../support/ecosystem-image.ts';
import { dpkgOwnedPaths } from '../support/independent-inventory.ts';
import { zerocve } from './support.ts';
import { TRIVY, trivySkip } from '../support/peers.ts';

const skip = ecosystemSkip() || trivySkip();

/** Why a package zerocve lists is absent from Trivy's list. The first row that applies explains it. */
const ONLY_ZEROCVE: { why: string; applies: (p: Package, ownedByOs: boolean) => boolean }[] = [
  {
    why:
      'in a file a Debian package installed: Trivy drops the language packages it finds in files an OS package ' +
      "owns (it lists Debian 11's fzf under /opt, not Debian 12's installed /usr/bin/fzf); zerocve lists them, " +
      'matches such jars and Go binaries, and never matches the dpkg-owned npm packages as npm',
    applies: (p, owned) => p.type !== 'deb' && owned,
  },
  {
    why:
      'a Go binary from a current toolchain (esbuild, go1.26) has no .go.buildinfo section and no build-info magic, ' +
      "the only places Trivy 0.74 looks; zerocve reads its framed module block as Go's own debug/buildinfo does",
    applies: (p) => p.metadata.kind === 'golang' && p.metadata.format === 'framed',
  },
  {
    why:
      'an npm package installed under node_modules: this Trivy build finds no language-specific file there in ' +
      'rootfs mode (its debug log says "Number of language-specific files num=0" for /app)',
    applies: (p) =>
      p.metadata.kind === 'npm' && p.metadata.source === 'installed' && /\/node_modules\//.test(p.locations[0].path),
  },
  {
    why:
      'declared in package-lock.json: Trivy reads lock files only for pre-build targets (fs, repo), not rootfs; ' +
      'zerocve reports them as declared',
    applies: (p) => p.metadata.kind === 'npm' && p.metadata.source === 'declared',
  },
];

let work = '';
before(() => {
  if (!skip) work = mkdtempSync(join(tmpdir(), 'zerocve-trivy-eco-'));
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** `type name@version`, the type as the purl spells it */
const key = (purl: string, name: string, version: string): string =>
  `${purl.slice(4, purl.indexOf('/'))} ${name}@${version}`;

test(
  'Trivy on the ecosystems roots: zerocve lists at least what it lists, each difference explained',
  {
    skip,
    timeout: 40 * 60_000,
  },
  async () => {
    const img = await ecosystemImage();
    const version = execFileSync(TRIVY, ['--version'], { encoding: 'utf8' });
    assert.match(version, /Version: 0\.74\./, 'the Trivy of RECIPES.md');
    const used = new Map<string, number>();
    const seen = { trivy: 0, zerocve: 0, trivyGo: 0 };
    for (const [name, root] of [
      ['debian', img.debianRoot],
      ['app', img.appRoot],
    ]) {
      const tOut = join(work, `${name}.cdx.json`);
      execFileSync(TRIVY, [
        'rootfs',
        '-q',
        '--cache-dir',
        join(work, 'cache'),
        '--format',
        'cyclonedx',
        '--output',
        tOut,
        root,
      ]);
      const cdx = JSON.parse(readFileSync(tOut, 'utf8')) as {
        components?: { purl?: string; name: string; version: string }[];
      };
      const trivy = new Set((cdx.components ?? []).filter((c) => c.purl).map((c) => key(c.purl!, c.name, c.version)));

      const zOut = join(work, `${name}.json`);
      const r = await zerocve(['sbom', `dir:${root}`, '--no-cache', '-q', '-f', 'json', '--output', zOut]);
      assert.equal(r.code, 0, r.stderr);
      const packages = (JSON.parse(readFileSync(zOut, 'utf8')) as { inventory: { packages: Package[] } }).inventory
        .packages;
      const zero = new Set(packages.map((p) => key(p.purl, p.name, p.version)));

      assert.deepEqual(
        [...trivy].filter((t) => !zero.has(t)),
        [],
        `${name}: packages Trivy lists that zerocve does not`,
      );
      const owned = dpkgOwnedPaths(root);
      for (const p of packages) {
        if (trivy.has(key(p.purl, p.name, p.version))) continue;
        const path = p.locations[0].path;
        const row = ONLY_ZEROCVE.find((x) => x.applies(p, owned.has(path) || owned.has(dirname(path))));
        assert.ok(row, `${name}: only zerocve lists ${p.purl} at ${path}, unexplained`);
        used.set(row.why, (used.get(row.why) ?? 0) + 1);
      }
      seen.trivy += trivy.size;
      seen.zerocve += zero.size;
      seen.trivyGo += [...trivy].filter((t) => t.startsWith('golang ')).length;
    }
    // the comparison is not vacuous: Trivy lists the Debian packages and a Go standard library; every row is needed
    assert.ok(seen.trivy > 100 && seen.trivyGo > 0, JSON.stringify(seen));
    for (const row of ONLY_ZEROCVE) assert.ok(used.get(row.why), `row explains nothing any more: ${row.why}`);
  },
);
