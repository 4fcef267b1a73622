// Acceptance: a real two-layer image (test/support/ecosystem-image.ts: Debian 12 with fzf, Java libraries and
// node-* packages; an `npm install` of old vulnerable versions, esbuild's npm binary and Debian 11's fzf) is
// scanned through the real walk, and each ecosystem's inventory must equal an independent reference exactly:
// - npm: a plain walk of every package.json under node_modules (and Debian's /usr/share/nodejs) with a name and a
//   version; declared: `npm ls --all --package-lock-only` on the lock file;
// - Go: `go version -m` (Debian's golang-go 1.19) where it can read the binary; for esbuild's go1.26 binary, which
//   it cannot read ("not a Go executable"), the module lines and the version that `strings` shows;
// - Java: `unzip -p` of every pom.properties in each jar, and sha1sum of the archive.
// The SBOM written by `zerocve sbom` carries the purls, and reading it back (`sbom:`) gives the same packages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeTarget } from '../../src/app/analyze.ts';
import type { Package } from '../../src/core/package.ts';
import { ecosystemImage, ecosystemSkip } from '../support/ecosystem-image.ts';
import { findFiles, goVersionM, hasGo } from '../support/independent-inventory.ts';

const skip = ecosystemSkip();
const goOf = (pkgs: Package[], path: string) => {
  const here = pkgs.filter((p) => p.type === 'golang' && p.locations.some((l) => l.path === path));
  const std = here.find((p) => p.name === 'stdlib');
  return {
    go: std && std.metadata.kind === 'golang' ? std.metadata.goVersion : '',
    std,
    mods: here
      .filter((p) => p.name !== 'stdlib')
      .map((p) => `${p.metadata.kind === 'golang' ? p.metadata.role : ''} ${p.name} ${p.version}`)
      .sort(),
    settings: std && std.metadata.kind === 'golang' ? (std.metadata.settings ?? {}) : {},
  };
};

test(
  'ecosystems image: npm, Go and Java inventories equal independent references',
  { skip, timeout: 40 * 60_000 },
  async (t) => {
    const img = await ecosystemImage();
    const analysis = await analyzeTarget(img.target, { cacheDir: null, scanners: new Set(['vuln']) });
    const inv = analysis.inventory;
    const roots = [
      { dir: img.debianRoot, layer: 0 },
      { dir: img.appRoot, layer: 1 },
    ];

    await t.test('npm: installed packages equal a walk of node_modules and /usr/share/nodejs', () => {
      const ref: string[] = [];
      for (const r of roots) {
        for (const f of findFiles(r.dir, '', (n) => n === 'package.json')) {
          if (!/\/node_modules\//.test(f.path) && !f.path.startsWith('/usr/share/nodejs/')) continue;
          let j: { name?: unknown; version?: unknown };
          try {
            j = JSON.parse(readFileSync(f.source, 'utf8'));
          } catch {
            continue;
          }
          if (typeof j.name === 'string' && typeof j.version === 'string') ref.push(`${j.name}@${j.version} ${f.path}`);
        }
      }
      const got = inv.packages
        .filter((p) => p.metadata.kind === 'npm' && p.metadata.source === 'installed')
        .flatMap((p) => p.locations.map((l) => `${p.name}@${p.version} ${l.path}`));
      assert.ok(ref.length > 20, `reference found ${ref.length}`);
      assert.deepEqual(got.sort(), ref.sort());
      // the old vulnerable versions of the npm install, nested and scoped ones among them
      for (const want of [
        'lodash@4.17.15',
        'minimist@1.2.0',
        'ws@7.4.5',
        'ms@2.0.0',
        'ms@2.1.3',
        '@babel/helper-string-parser@7.19.4',
      ])
        assert.ok(
          got.some((g) => g.startsWith(`${want} /app/node_modules/`)),
          want,
        );
      const scoped = inv.packages.find((p) => p.name === '@babel/helper-string-parser' && p.metadata.kind === 'npm');
      assert.equal(scoped?.purl, 'pkg:npm/%40babel/helper-string-parser@7.19.4');
    });

    await t.test('npm: Debian node-* packages are owned by dpkg, application packages are not', () => {
      const npm = inv.packages.filter((p) => p.metadata.kind === 'npm' && p.metadata.source === 'installed');
      const debian = npm.filter((p) => p.locations[0].path.startsWith('/usr/share/nodejs/'));
      assert.ok(debian.some((p) => p.name === 'minimist') && debian.some((p) => p.name === 'lodash'));
      // node-* packages, and nodejs itself (its bundled @types/node, npm's own modules)
      for (const p of debian) assert.match(p.ownedBy ?? '', /^deb:node/, `${p.name} ${p.locations[0].path}`);
      for (const p of npm.filter((x) => x.locations[0].path.startsWith('/app/'))) assert.equal(p.ownedBy, undefined);
    });

    await t.test('npm: package-lock.json entries are declared and equal npm ls --package-lock-only', () => {
      const out = execFileSync('npm', ['ls', '--all', '--json', '--package-lock-only'], {
        cwd: join(img.appRoot, 'app'),
        encoding: 'utf8',
      });
      const ref = new Set<string>();
      const walk = (deps: Record<string, { version: string; dependencies?: object }> | undefined): void => {
        for (const [name, d] of Object.entries(deps ?? {})) {
          // optional peers that are not in the lock (ws's bufferutil) come without a version
          if (d.version) ref.add(`${name}@${d.version}`);
          walk(d.dependencies as never);
        }
      };
      walk(JSON.parse(out).dependencies);
      const declared = inv.packages.filter((p) => p.metadata.kind === 'npm' && p.metadata.source === 'declared');
      assert.ok(declared.every((p) => p.locations[0].path === '/app/package-lock.json'));
      assert.deepEqual(new Set(declared.map((p) => `${p.name}@${p.version}`)), ref);
      assert.ok(declared.every((p) => p.metadata.kind === 'npm' && p.metadata.lockVersion === 3));
    });

    await t.test(
      'Go: Debian 12 fzf (go1.19, inline layout) equals go version -m',
      { skip: !hasGo && 'needs go (apt-get install golang-go)' },
      () => {
        const ref = goVersionM(join(img.debianRoot, 'usr/bin/fzf'));
        assert.equal(typeof ref, 'object', String(ref));
        const got = goOf(inv.packages, '/usr/bin/fzf');
        const r = ref as Exclude<typeof ref, string>;
        assert.equal(got.go, r.go);
        assert.deepEqual(got.mods, r.mods);
        assert.deepEqual(got.settings, r.settings);
        assert.equal(got.std?.version, `v${r.go.slice(2)}`);
        assert.equal(got.std?.purl, `pkg:golang/stdlib@v${r.go.slice(2)}`);
        assert.equal(got.std?.metadata.kind === 'golang' && got.std.metadata.format, 'inline');
      },
    );

    await t.test(
      'Go: Debian 11 fzf (go1.15, pre-1.18 pointer layout) equals go version -m',
      { skip: !hasGo && 'needs go (apt-get install golang-go)' },
      () => {
        const ref = goVersionM(join(img.appRoot, 'opt/bullseye/usr/bin/fzf'));
        assert.equal(typeof ref, 'object', String(ref));
        const got = goOf(inv.packages, '/opt/bullseye/usr/bin/fzf');
        const r = ref as Exclude<typeof ref, string>;
        assert.match(r.go, /^go1\.1[3-7]\b/);
        assert.equal(got.go, r.go);
        assert.deepEqual(got.mods, r.mods);
        assert.equal(got.std?.metadata.kind === 'golang' && got.std.metadata.format, 'pointer');
      },
    );

    await t.test('Go: esbuild npm binary (no build-info blob) equals what strings shows', () => {
      const file = join(img.appRoot, 'opt/esbuild/bin/esbuild');
      if (hasGo) assert.match(String(goVersionM(file)), /not a Go executable/);
      const lines = execFileSync('strings', ['-a', file], { encoding: 'utf8', maxBuffer: 256 << 20 }).split('\n');
      const mods = lines
        .map((l) => l.split('\t'))
        .filter((f) => (f[0].endsWith('mod') || f[0] === 'dep') && f.length >= 3)
        .map((f) => `${f[0] === 'dep' ? 'dep' : 'main'} ${f[1]} ${f[2]}`)
        .sort();
      const versions = [...new Set(lines.filter((l) => /^go1\.\d+\.\d+$/.test(l)))];
      assert.equal(versions.length, 1, `Go versions in strings: ${versions.join(', ')}`);
      const got = goOf(inv.packages, '/opt/esbuild/bin/esbuild');
      assert.ok(mods.length >= 2);
      assert.deepEqual(got.mods, mods);
      assert.equal(got.go, versions[0]);
      assert.equal(got.std?.metadata.kind === 'golang' && got.std.metadata.format, 'framed');
    });

    await t.test('Java: every jar of /usr/share/java equals unzip -p of its pom.properties, with its SHA-1', () => {
      const jars = findFiles(join(img.debianRoot, 'usr/share/java'), '/usr/share/java', (n) => n.endsWith('.jar'));
      assert.ok(jars.length > 30);
      let withPom = 0;
      for (const j of jars) {
        const list = spawnSync('unzip', ['-Z1', j.source], { encoding: 'utf8' }).stdout.split('\n');
        const poms = list.filter((l) => /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/.test(l));
        const here = inv.packages.filter(
          (p) => p.metadata.kind === 'maven' && p.locations.some((l) => l.path === j.path),
        );
        const sha1 = execFileSync('sha1sum', [j.source], { encoding: 'utf8' }).split(' ')[0];
        for (const p of here) assert.equal(p.metadata.kind === 'maven' && p.metadata.sha1, sha1, j.path);
        if (poms.length === 0) {
          assert.ok(
            here.length > 0 || inv.problems.some((x) => x.path === j.path),
            `${j.path}: neither identified nor reported`,
          );
          continue;
        }
        withPom++;
        const ref = poms
          .map((pom) => {
            const text = execFileSync('unzip', ['-p', j.source, pom], { encoding: 'utf8' });
            const v = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1].trim();
            return `${v('groupId')}:${v('artifactId')}@${v('version')}`;
          })
          .sort();
        assert.deepEqual(here.map((p) => `${p.name}@${p.version}`).sort(), [...new Set(ref)], j.path);
        for (const p of here) {
          const m = p.metadata as { groupId: string; artifactId: string };
          assert.equal(p.purl, `pkg:maven/${m.groupId}/${m.artifactId}@${p.version}`);
        }
      }
      assert.ok(withPom > 30, `${withPom} jars with pom.properties`);
      const log4j = inv.packages.find((p) => p.name === 'org.apache.logging.log4j:log4j-core');
      assert.equal(log4j?.version, '2.19.0');
    });

    await t.test('SBOM: CycloneDX and SPDX carry the purls, and sbom: reads them back', () => {
      const dir = mkdtempSync(join(tmpdir(), 'zerocve-eco-'));
      const bin = join(import.meta.dirname, '..', '..', 'bin', 'zerocve.js');
      const want = new Set(
        inv.packages
          .filter((p) => ['npm', 'maven', 'golang'].includes(p.type))
          .map((p) => `${p.type} ${p.name} ${p.version} ${p.purl}`),
      );
      for (const format of ['cyclonedx-json', 'spdx-json']) {
        const file = join(dir, `${format}.json`);
        execFileSync(process.execPath, [bin, 'sbom', img.target, '--no-cache', '-q', '-f', format, '--output', file]);
        const text = readFileSync(file, 'utf8');
        for (const purl of [
          'pkg:npm/%40babel/helper-string-parser@7.19.4',
          'pkg:golang/stdlib@v1.19.8',
          'pkg:maven/org.apache.logging.log4j/log4j-core@2.19.0',
        ])
          assert.ok(text.includes(purl), `${format}: ${purl}`);
        const back = execFileSync(process.execPath, [bin, 'sbom', `sbom:${file}`, '-q', '-f', 'json'], {
          encoding: 'utf8',
          maxBuffer: 256 << 20,
        });
        const pkgs = JSON.parse(back) as { inventory?: { packages: Package[] }; packages?: Package[] };
        const list = pkgs.inventory?.packages ?? pkgs.packages ?? [];
        const got = new Set(
          list
            .filter((p) => ['npm', 'maven', 'golang'].includes(p.type))
            .map((p) => `${p.type} ${p.name} ${p.version} ${p.purl}`),
        );
        assert.deepEqual(got, want, format);
      }
      writeFileSync(join(dir, 'done'), '');
    });
  },
);
