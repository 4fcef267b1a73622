// Acceptance, end to end: the findings zerocve reports for a real image of language ecosystems equal those of an
// independent matcher run over an independent inventory of the same image — no more, no fewer.
// - The image: the ecosystems fixture (test/support/ecosystem-image.ts: Debian 12 with fzf, Java libraries and node-*
//   packages; an `npm install` of old vulnerable versions, esbuild's npm binary and Debian 11's fzf), plus a layer
//   holding two Debian Java packages unpacked as an application ships its jars (bookworm's snakeyaml 1.33 and
//   bullseye's jackson-databind 2.12.1, versions the GitHub advisories of the sample cover).
// - zerocve: the real CLI — `db import` of the shared corpus's Go vulnerability database and GitHub advisory sample,
//   then `scan` of the image as an OCI layout, JSON report.
// - The reference: the inventory made with the ecosystems' own tools (test/support/independent-inventory.ts:
//   `go version -m` and `strings` for Go binaries, `unzip -p` of pom.properties for jars, a plain walk of
//   node_modules for npm, dpkg's .list files for what Debian owns), matched by the independent OSV evaluator
//   (test/support/osv-oracle.ts) over the same advisory files.
// Rules both follow: npm packages a Debian package installed are never matched as npm; jars and Go binaries are
// matched wherever they are; a Go module built from source, version (devel), is not matched (reported as a problem);
// a replaced Go module is matched as its replacement.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { corpusPath, corpusSkip } from '../support/corpus.ts';
import { ecosystemImage, ecosystemSkip } from '../support/ecosystem-image.ts';
import { FIXTURES_ROOT } from '../support/images.ts';
import {
  dpkgOwnedPaths,
  findFiles,
  goBinaries,
  hasGo,
  isJavaArchive,
  nestedArchives,
  npmWalk,
  pomProperties,
  type Root,
} from '../support/independent-inventory.ts';
import { goToolchainSemver, oracle, readRecords, type OsvRecord } from '../support/osv-oracle.ts';
import { imageWithLayer, zerocve, type Extra } from './support.ts';

const GO_DB = 'vulndata/go-vulndb';
const GO_OSV = 'vulndata/go-vulndb/data/osv';
const GHSA = 'vulndata/ghsa-sample';
const skip =
  ecosystemSkip() ||
  corpusSkip(GO_OSV) ||
  corpusSkip(GHSA) ||
  (!hasGo && 'needs go (apt-get install golang-go) for `go version -m`');

/** Debian Java packages put into the application layer, unpacked (dpkg-deb -x) under /opt/jars/<package> */
const JAR_DEBS = [
  // bookworm: snakeyaml 1.33, before the 2.0 that fixed CVE-2022-1471
  'http://deb.debian.org/debian/pool/main/s/snakeyaml/libyaml-snake-java_1.33-2_all.deb',
  // bullseye: jackson-databind 2.12.1 (Debian's security patches keep the upstream version in pom.properties)
  'http://deb.debian.org/debian/pool/main/j/jackson-databind/libjackson2-databind-java_2.12.1-1+deb11u1_all.deb',
];

let work = '';
let target = '';
let roots: Root[] = [];
let debianRoot = '';

/** Download (once per machine) and unpack the Java packages; the files of the extra layer and their roots. */
function jarLayer(dir: string): { files: Extra[]; roots: Root[] } {
  const cache = join(FIXTURES_ROOT, 'ecosystem-jar-debs');
  mkdirSync(cache, { recursive: true });
  const files: Extra[] = [];
  const out: Root[] = [];
  for (const url of JAR_DEBS) {
    const deb = join(cache, decodeURIComponent(basename(url)));
    if (!existsSync(deb)) {
      const part = `${deb}.${process.pid}.part`;
      execFileSync('curl', ['-sSf', '-m', '300', '-o', part, url]);
      renameSync(part, deb);
    }
    const name = basename(deb).split('_')[0];
    const x = join(dir, 'jars', name);
    mkdirSync(x, { recursive: true });
    execFileSync('dpkg-deb', ['-x', deb, x]);
    const prefix = `/opt/jars/${name}`;
    out.push({ dir: x, prefix });
    // regular files only (the packages' symlinks to their jars add nothing to scan)
    for (const f of findFiles(x, prefix, () => true))
      files.push({ path: f.path, body: readFileSync(f.source), mode: lstatSync(f.source).mode & 0o777 });
  }
  return { files, roots: out };
}

before(async () => {
  if (skip) return;
  const img = await ecosystemImage();
  work = mkdtempSync(join(tmpdir(), 'zerocve-eco-findings-'));
  const extra = jarLayer(work);
  target = await imageWithLayer(img.ociDir, join(work, 'oci'), extra.files);
  debianRoot = img.debianRoot;
  roots = [{ dir: img.debianRoot, prefix: '' }, { dir: img.appRoot, prefix: '' }, ...extra.roots];
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

interface ReportFinding {
  id: string;
  aliases: string[];
  package: { type: string; name: string; version: string; locations: { path: string }[] };
  evidence: { matcher: string; searched: { ecosystem: string } }[];
}
interface Report {
  findings: ReportFinding[];
  suppressed: unknown[];
  inventory: { problems: { path: string; message: string }[] };
}

/** one finding row: ecosystem, package name and version (no `v`), where, and the advisory record's id */
const row = (eco: string, name: string, version: string, path: string, id: string): string =>
  `${eco} ${name}@${version.replace(/^v/, '')} ${path} ${id}`;

test(
  'ecosystems image: scan findings equal an independent matcher over an independent inventory',
  { skip, timeout: 40 * 60_000 },
  async () => {
    const ghsa = readRecords(corpusPath(GHSA)!);
    const go = readRecords(corpusPath(GO_OSV)!);
    const recordsOf: Record<string, OsvRecord[]> = { npm: ghsa, Maven: ghsa, Go: go };

    // ---- zerocve, as a user runs it
    const db = join(work, 'vuln.db');
    const imp = await zerocve(['db', 'import', '--db', db, '--quiet', corpusPath(GHSA)!, corpusPath(GO_DB)!]);
    assert.equal(imp.code, 0, imp.stderr);
    const out = join(work, 'scan.json');
    const scan = await zerocve([
      'scan',
      target,
      '--db',
      db,
      '--skip-db-update',
      '--no-cache',
      '-q',
      '--scanners',
      'vuln',
      '-f',
      'json',
      '--output',
      out,
    ]);
    assert.equal(scan.code, 0, scan.stderr);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    assert.deepEqual(report.suppressed, [], 'no policy hides findings here');

    const ECO: Record<string, string> = { npm: 'npm', maven: 'Maven', golang: 'Go' };
    const got = new Set<string>();
    for (const f of report.findings) {
      const eco = ECO[f.package.type];
      assert.ok(eco, `a ${f.package.type} finding (${f.id}): only language advisories were imported`);
      assert.equal(f.evidence[0].searched.ecosystem, eco, `${f.id} searched in ${eco}`);
      const ids = new Set(recordsOf[eco].map((r) => r.id));
      const recs = [f.id, ...f.aliases].filter((i) => ids.has(i));
      assert.ok(recs.length > 0, `${f.id} of ${f.package.name} names no ${eco} advisory record`);
      for (const id of recs) got.add(row(eco, f.package.name, f.package.version, f.package.locations[0].path, id));
    }

    // ---- the reference
    const want = new Set<string>();
    const add = (
      eco: string,
      name: string,
      version: string,
      path: string,
      searchName = name,
      searchVersion = version,
    ) => {
      for (const id of oracle(recordsOf[eco], eco, searchName, searchVersion))
        want.add(row(eco, name, version, path, id));
    };
    // npm: every package.json of a node_modules tree, unless a Debian package installed it
    const owned = dpkgOwnedPaths(debianRoot);
    const npm = npmWalk(roots);
    assert.ok(npm.length > 20, `the walk found ${npm.length} npm packages`);
    for (const p of npm) if (!owned.has(p.path) && !owned.has(dirname(p.path))) add('npm', p.name, p.version, p.path);
    // declared in the lock file but not installed: matched where the lock file is
    const lock = JSON.parse(
      execFileSync('npm', ['ls', '--all', '--json', '--package-lock-only'], {
        cwd: join(roots[1].dir, 'app'),
        encoding: 'utf8',
      }),
    ) as { dependencies?: Record<string, { version?: string; dependencies?: object }> };
    const installed = new Set(
      npm.filter((p) => !owned.has(p.path) && !owned.has(dirname(p.path))).map((p) => `${p.name}@${p.version}`),
    );
    const walkLock = (deps: Record<string, { version?: string; dependencies?: object }> | undefined): void => {
      for (const [name, d] of Object.entries(deps ?? {})) {
        if (d.version && !installed.has(`${name}@${d.version}`)) add('npm', name, d.version, '/app/package-lock.json');
        walkLock(d.dependencies as never);
      }
    };
    walkLock(lock.dependencies);

    // Java: the pom.properties of every archive
    let jars = 0;
    for (const r of roots)
      for (const j of findFiles(r.dir, r.prefix, isJavaArchive)) {
        assert.deepEqual(nestedArchives(j.source), [], `${j.path}: nested archives (the reference reads none)`);
        jars++;
        for (const coord of pomProperties(j.source)) {
          const at = coord.lastIndexOf('@');
          add('Maven', coord.slice(0, at), coord.slice(at + 1), j.path);
        }
      }
    assert.ok(jars > 30, `${jars} Java archives`);

    // Go: every Go binary's toolchain (as the module stdlib) and modules
    const bins = goBinaries(roots);
    assert.deepEqual(
      bins.map((b) => `${b.path} ${b.by}`).sort(),
      ['/opt/bullseye/usr/bin/fzf go version -m', '/opt/esbuild/bin/esbuild strings', '/usr/bin/fzf go version -m'],
      'the Go binaries of the image',
    );
    const devel: string[] = [];
    for (const b of bins) {
      const std = goToolchainSemver(b.info.go);
      assert.ok(std, `${b.path}: toolchain ${b.info.go}`);
      add('Go', 'stdlib', std, b.path);
      if (/(^|\/)go$/.test(b.path)) add('Go', 'stdlib', std, b.path, 'toolchain');
      for (const m of b.info.mods) {
        const [, path, version] = m.split(' ');
        const rep = b.info.replaced[`${path} ${version}`];
        if (version === '(devel)') devel.push(`${b.path} ${path}`);
        else if (rep === undefined) add('Go', path, version, b.path);
        else if (rep.includes(' ')) add('Go', path, version, b.path, rep.split(' ')[0], rep.split(' ')[1]);
      }
    }

    // ---- the same, no more and no fewer
    assert.deepEqual([...got].sort(), [...want].sort());

    // and not vacuous: each ecosystem has findings, the known ones among them
    for (const eco of ['npm', 'Maven', 'Go'])
      assert.ok(
        [...want].some((w) => w.startsWith(`${eco} `)),
        eco,
      );
    const ids = (prefix: string) =>
      [...want]
        .filter((w) => w.startsWith(prefix))
        .map((w) => w.slice(w.lastIndexOf(' ') + 1))
        .sort();
    assert.deepEqual(ids('npm lodash@4.17.15 /app/'), [
      'GHSA-29mw-wpgm-hmr9',
      'GHSA-35jh-r3h4-6jhm',
      'GHSA-p6mc-m468-83gw',
    ]);
    assert.deepEqual(ids('npm minimist@1.2.0 /app/'), ['GHSA-vh95-rmgr-6w4m', 'GHSA-xvch-5gv4-984h']);
    assert.deepEqual(ids('npm ws@7.4.5 /app/'), ['GHSA-3h5v-q93c-6h6q']);
    assert.deepEqual(ids('Maven org.yaml:snakeyaml@1.33 /opt/jars/'), ['GHSA-mjmj-j48q-9wg2']);
    assert.deepEqual(ids('Maven com.fasterxml.jackson.core:jackson-databind@2.12.1 /opt/jars/'), [
      'GHSA-57j2-w4cx-62h2',
      'GHSA-jjjh-jjxp-wpff',
      'GHSA-rgv9-q543-rqg4',
    ]);
    for (const b of bins)
      assert.ok(
        [...want].some((w) => w.startsWith('Go stdlib@') && w.includes(` ${b.path} `)),
        `${b.path}: stdlib`,
      );
    assert.ok(ids('Go golang.org/x/sys@').length > 0, "esbuild's golang.org/x/sys has an advisory");
    assert.ok(ids('Go stdlib@1.19.8 /usr/bin/fzf ').length > 20, 'Debian 12 fzf: go1.19.8 has many advisories');
    // Debian's own npm packages are there, and never matched as npm
    assert.ok(npm.some((p) => p.path.startsWith('/usr/share/nodejs/') && owned.has(p.path)));
    assert.ok(![...got].some((g) => g.includes(' /usr/share/nodejs/')));
    // modules built from source are reported as not matched, not silently dropped
    assert.ok(devel.length > 0);
    for (const d of devel) {
      const [path, mod] = d.split(' ');
      assert.ok(
        report.inventory.problems.some((p) => p.path === path && p.message.includes(`module ${mod} not matched`)),
        `problem for ${d}`,
      );
    }
  },
);
