// Independent inventories of unpacked image roots, made with the tools each ecosystem's users trust rather than with
// zerocve's catalogers: `go version -m` (Debian's golang-go) and `strings` for Go binaries, `unzip` for the
// pom.properties of Java archives, a plain walk of node_modules for npm, dpkg's own `.list` files for ownership.
// Shared by the inventory test (test/e2e/ecosystems.test.ts) and the findings test (ecosystems-findings.test.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';

export const hasGo = spawnSync('go', ['version']).status === 0;

/** An unpacked layer (or part of one) and the image path it sits at ('' for the image root). */
export interface Root {
  dir: string;
  prefix: string;
}

/** every regular file whose name passes `name` under `dir` (not following symlinks), as image paths below `prefix` */
export function findFiles(
  dir: string,
  prefix: string,
  name: (f: string) => boolean,
): { path: string; source: string }[] {
  const out: { path: string; source: string }[] = [];
  const walk = (d: string, p: string): void => {
    for (const f of readdirSync(d)) {
      const s = join(d, f);
      const st = lstatSync(s);
      if (st.isDirectory()) walk(s, `${p}/${f}`);
      else if (st.isFile() && name(f)) out.push({ path: `${p}/${f}`, source: s });
    }
  };
  if (existsSync(dir)) walk(dir, prefix);
  return out;
}

export interface GoBuildInfo {
  /** the toolchain, e.g. go1.19.8 */
  go: string;
  /** `main PATH VERSION` and `dep PATH VERSION` lines, sorted */
  mods: string[];
  /** `PATH VERSION` of a dependency → `PATH VERSION` it is replaced by (`=>` lines; VERSION empty for a directory) */
  replaced: Record<string, string>;
  settings: Record<string, string>;
}

/** The tab-separated module lines of Go build information (as `go version -m` prints and `strings` shows them). */
function parseModLines(lines: string[]): Omit<GoBuildInfo, 'go'> {
  const mods: string[] = [];
  const replaced: Record<string, string> = {};
  const settings: Record<string, string> = {};
  let last = '';
  for (const l of lines) {
    const f = l.replace(/^\t/, '').split('\t');
    if (f[0] === 'mod' || f[0] === 'dep') {
      last = `${f[1]} ${f[2]}`;
      mods.push(`${f[0] === 'mod' ? 'main' : 'dep'} ${last}`);
    } else if (f[0] === '=>') replaced[last] = `${f[1]} ${f[2] ?? ''}`.trim();
    else if (f[0] === 'build') settings[f[1].slice(0, f[1].indexOf('='))] = f[1].slice(f[1].indexOf('=') + 1);
  }
  return { mods: mods.sort(), replaced, settings };
}

/** `go version -m FILE`, or its error text when it cannot read the binary */
export function goVersionM(file: string): GoBuildInfo | string {
  const r = spawnSync('go', ['version', '-m', file], { encoding: 'utf8' });
  // go 1.19 says "could not read Go build info … not a Go executable" on stderr with exit status 0
  if (r.status !== 0 || !r.stdout.trim()) return `${r.stderr}${r.stdout}`.trim();
  const lines = r.stdout.split('\n');
  const go = lines[0].slice(lines[0].lastIndexOf(': ') + 2).trim();
  return { go, ...parseModLines(lines.slice(1)) };
}

/**
 * The build information `strings` shows in a binary that `go version -m` cannot read (a current toolchain's, with no
 * `.go.buildinfo` section): the one `go1.N.N` line and the module lines. Undefined when it shows no `path` line
 * and exactly one Go version (not a Go binary).
 */
export function goStrings(file: string): GoBuildInfo | undefined {
  const lines = execFileSync('strings', ['-a', file], { encoding: 'utf8', maxBuffer: 256 << 20 }).split('\n');
  const versions = [...new Set(lines.filter((l) => /^go1\.\d+(\.\d+)?$/.test(l)))];
  if (versions.length !== 1 || !lines.some((l) => l.startsWith('path\t'))) return undefined;
  return { go: versions[0], ...parseModLines(lines.filter((l) => /^(mod|dep|=>|build)\t/.test(l))) };
}

/** ELF files of at least 1 MiB (no Go binary is smaller) under the roots, regular files only */
export function largeElfFiles(roots: Root[]): { path: string; source: string }[] {
  const out: { path: string; source: string }[] = [];
  const magic = Buffer.alloc(4);
  for (const r of roots)
    for (const f of findFiles(r.dir, r.prefix, () => true)) {
      if (lstatSync(f.source).size < 1 << 20) continue;
      const fd = openSync(f.source, 'r');
      try {
        if (readSync(fd, magic, 0, 4, 0) === 4 && magic.toString('latin1') === '\x7fELF') out.push(f);
      } finally {
        closeSync(fd);
      }
    }
  return out;
}

/** Every Go binary of the roots: `go version -m` where it reads the binary, else what `strings` shows. */
export function goBinaries(roots: Root[]): { path: string; info: GoBuildInfo; by: 'go version -m' | 'strings' }[] {
  const out: { path: string; info: GoBuildInfo; by: 'go version -m' | 'strings' }[] = [];
  for (const f of largeElfFiles(roots)) {
    const m = goVersionM(f.source);
    if (typeof m === 'object') out.push({ path: f.path, info: m, by: 'go version -m' });
    else {
      const s = goStrings(f.source);
      if (s) out.push({ path: f.path, info: s, by: 'strings' });
    }
  }
  return out;
}

/** `groupId:artifactId@version` of each `META-INF/maven/G/A/pom.properties` in a Java archive, by `unzip -p` */
export function pomProperties(jar: string): string[] {
  const list = spawnSync('unzip', ['-Z1', jar], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout.split('\n');
  return list
    .filter((l) => /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/.test(l))
    .map((pom) => {
      const text = execFileSync('unzip', ['-p', jar, pom], { encoding: 'utf8' });
      const v = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1].trim();
      return `${v('groupId')}:${v('artifactId')}@${v('version')}`;
    });
}

/** Archive entries of a Java archive that are themselves archives (nested jars), by `unzip -Z1` */
export function nestedArchives(jar: string): string[] {
  const list = spawnSync('unzip', ['-Z1', jar], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout.split('\n');
  return list.filter((l) => /\.(jar|war|ear|jpi|hpi)$/.test(l));
}

export const isJavaArchive = (n: string): boolean => /\.(jar|war|ear|jpi|hpi)$/.test(n);

/** Every package.json under a node_modules tree or Debian's /usr/share/nodejs with a string name and version */
export function npmWalk(roots: Root[]): { name: string; version: string; path: string }[] {
  const out: { name: string; version: string; path: string }[] = [];
  for (const r of roots)
    for (const f of findFiles(r.dir, r.prefix, (n) => n === 'package.json')) {
      if (!/\/node_modules\//.test(f.path) && !f.path.startsWith('/usr/share/nodejs/')) continue;
      let j: { name?: unknown; version?: unknown };
      try {
        j = JSON.parse(readFileSync(f.source, 'utf8'));
      } catch {
        continue;
      }
      if (typeof j.name === 'string' && typeof j.version === 'string')
        out.push({ name: j.name, version: j.version, path: f.path });
    }
  return out;
}

/** Every path dpkg's `.list` files under the root say an installed Debian package owns */
export function dpkgOwnedPaths(root: string): Set<string> {
  const out = new Set<string>();
  const info = join(root, 'var/lib/dpkg/info');
  if (!existsSync(info)) return out;
  for (const f of readdirSync(info))
    if (f.endsWith('.list'))
      for (const l of readFileSync(join(info, f), 'utf8').split('\n')) if (l && l !== '/.') out.add(l);
  return out;
}
