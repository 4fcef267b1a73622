// The root file system of a built image: Debian packages resolved and installed by the distribution's own tooling
// (mmdebstrap), then the declared files and user, then — for prod — shells, package managers and documentation
// removed while the dpkg database keeps an exact record of what remains.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  rmdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, posix } from 'node:path';
import { InputError } from '../../core/errors.ts';
import { resolveInRoot } from '../slim/root-fs.ts';
import type { BuildSpec } from './image-spec.ts';

const run = promisify(execFile);

/**
 * The host path of `path` inside `root`: its folder resolved through symlinks inside the root (never escaping it),
 * the last component taken as is (so a symlink itself can be removed or replaced).
 */
export function hostPath(root: string, path: string): string {
  const norm = posix.normalize('/' + path);
  if (norm === '/') return root;
  const dir = resolveInRoot(root, posix.dirname(norm)).real ?? posix.dirname(norm);
  return join(root, dir, posix.basename(norm));
}

export interface DebRecord {
  name: string;
  version: string;
  arch: string;
  sha256: string;
  filename: string;
}

/** mmdebstrap into `dir`; returns the .deb files installed with their sha256 (for provenance). */
export async function debootstrap(
  spec: BuildSpec,
  dir: string,
  options: { signal?: AbortSignal } = {},
): Promise<DebRecord[]> {
  const hashes = join(dir + '.debs.txt');
  rmSync(hashes, { force: true });
  const args = [
    '--variant=minbase',
    '--mode=root',
    '--format=directory',
    '--quiet',
    '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
    `--include=${spec.packages.join(',') || 'base-files'}`,
    '--aptopt=Acquire::Check-Valid-Until "false"',
    // the .debs are still in the apt cache when customize hooks run: hash them for the provenance record
    `--customize-hook=cd "$1/var/cache/apt/archives" && (sha256sum *.deb 2>/dev/null || true) > ` +
      `${JSON.stringify(hashes)}`,
    spec.release,
    dir,
    ...spec.mirrors,
  ];
  try {
    await run('mmdebstrap', args, {
      env: { ...process.env, SOURCE_DATE_EPOCH: String(spec.sourceDateEpoch) },
      signal: options.signal,
      maxBuffer: 64 << 20,
    });
  } catch (err) {
    const e = err as { stderr?: string; code?: string };
    if (e.code === 'ENOENT')
      throw new InputError('build: mmdebstrap is not installed (apt-get install mmdebstrap)', { cause: err });
    const last =
      (e.stderr ?? '')
        .trim()
        .split('\n')
        .filter((l) => /^E:|error/i.test(l))
        .slice(-1)[0] ?? (e.stderr ?? '').trim().split('\n').slice(-1)[0];
    throw new InputError(`build ${spec.file}: mmdebstrap failed: ${last}`, { cause: err });
  }
  const debs: DebRecord[] = [];
  for (const line of existsSync(hashes) ? readFileSync(hashes, 'utf8').split('\n') : []) {
    const m = /^([0-9a-f]{64})\s+(\S+)_(\S+)_(\S+)\.deb$/.exec(line.trim());
    if (m)
      debs.push({
        sha256: m[1],
        filename: `${m[2]}_${m[3]}_${m[4]}.deb`,
        name: m[2],
        version: decodeURIComponent(m[3].replace(/%3a/gi, ':')),
        arch: m[4],
      });
  }
  rmSync(hashes, { force: true });
  return debs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Files that differ between two otherwise identical installs (times, random ids, caches): removed or emptied. */
export function removeNondeterminism(root: string): void {
  for (const p of [
    '/var/cache/ldconfig/aux-cache',
    '/var/lib/dpkg/status-old',
    '/var/lib/dpkg/available-old',
    '/var/lib/dpkg/diversions-old',
    '/var/cache/debconf/config.dat-old',
    '/var/cache/debconf/templates.dat-old',
    '/var/lib/dpkg/lock',
    '/var/lib/dpkg/lock-frontend',
    '/var/cache/apt/pkgcache.bin',
    '/var/cache/apt/srcpkgcache.bin',
  ])
    rmSync(hostPath(root, p), { force: true });
  for (const dir of ['/var/log', '/var/cache/apt/archives', '/var/lib/apt/lists']) {
    const d = hostPath(root, dir);
    if (!existsSync(d)) continue;
    for (const n of readdirSync(d))
      if (n !== 'partial' && n !== 'lock') rmSync(join(d, n), { recursive: true, force: true });
  }
  if (existsSync(hostPath(root, '/etc/machine-id'))) writeFileSync(hostPath(root, '/etc/machine-id'), '');
}

export function addUser(root: string, user: NonNullable<BuildSpec['user']>): void {
  const passwd = hostPath(root, '/etc/passwd');
  const group = hostPath(root, '/etc/group');
  const has = (file: string, name: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .some((l) => l.split(':')[0] === name);
  if (!has(group, user.name)) appendFileSync(group, `${user.name}:x:${user.gid}:\n`);
  if (!has(passwd, user.name))
    appendFileSync(passwd, `${user.name}:x:${user.uid}:${user.gid}:${user.name}:${user.home}:/sbin/nologin\n`);
  const shadow = hostPath(root, '/etc/shadow');
  if (existsSync(shadow) && !has(shadow, user.name)) appendFileSync(shadow, `${user.name}:!:0::::::\n`);
  const home = hostPath(root, user.home);
  mkdirSync(home, { recursive: true });
  chownSync(home, user.uid, user.gid);
  chmodSync(home, 0o750);
}

/**
 * The declared files. A `src` directory copies its tree (symlinks as links, owned by uid/gid; directories 0755,
 * files 0755 when executable in the source, else 0644 — `mode` applies to single files only).
 */
export function addFiles(root: string, spec: BuildSpec): void {
  for (const f of spec.files) {
    if (!existsSync(f.src)) throw new InputError(`build ${spec.file}: file ${f.src} not found`);
    const dest = hostPath(root, f.dest);
    mkdirSync(join(dest, '..'), { recursive: true });
    if (lstatSync(f.src).isDirectory()) {
      copyTree(f.src, dest, f.uid, f.gid);
      continue;
    }
    copyFileSync(f.src, dest);
    chmodSync(dest, f.mode);
    chownSync(dest, f.uid, f.gid);
  }
}

function copyTree(src: string, dest: string, uid: number, gid: number): void {
  mkdirSync(dest, { recursive: true });
  chmodSync(dest, 0o755);
  chownSync(dest, uid, gid);
  for (const e of readdirSync(src, { withFileTypes: true })) {
    const from = join(src, e.name);
    const to = join(dest, e.name);
    if (e.isDirectory()) copyTree(from, to, uid, gid);
    else if (e.isSymbolicLink()) {
      symlinkSync(readlinkSync(from), to);
      lchownSync(to, uid, gid);
    } else if (e.isFile()) {
      copyFileSync(from, to);
      chmodSync(to, lstatSync(from).mode & 0o111 ? 0o755 : 0o644);
      chownSync(to, uid, gid);
    }
  }
}

interface Stanza {
  name: string;
  arch: string;
  text: string;
}

function readStatus(root: string): Stanza[] {
  const text = readFileSync(hostPath(root, '/var/lib/dpkg/status'), 'utf8');
  return text
    .split(/\n\n+/)
    .filter((s) => s.trim())
    .map((s) => ({
      name: /^Package: (.+)$/m.exec(s)?.[1].trim() ?? '',
      arch: /^Architecture: (.+)$/m.exec(s)?.[1].trim() ?? '',
      text: s.trim(),
    }));
}

function infoFiles(root: string, pkg: string, arch: string): string[] {
  const dir = hostPath(root, '/var/lib/dpkg/info');
  return readdirSync(dir)
    .filter((n) => n.startsWith(`${pkg}.`) || n.startsWith(`${pkg}:${arch}.`))
    .map((n) => join(dir, n));
}

/**
 * prod: remove whole packages (their files, their dpkg records) and documentation-like trees. Removing a package's
 * files but keeping its record would make scanners report CVEs for software that is not there; removing the record
 * but keeping files would hide software from scanners. Directories are removed only when empty.
 * Returns the removed package names.
 */
export function stripForProd(root: string, spec: BuildSpec): string[] {
  const stanzas = readStatus(root);
  const remove = new Set(spec.prodRemove);
  const removed: string[] = [];
  const keptOwned = new Set<string>();
  for (const s of stanzas) {
    if (remove.has(s.name)) continue;
    for (const f of infoFiles(root, s.name, s.arch).filter((f) => f.endsWith('.list')))
      for (const l of readFileSync(f, 'utf8').split('\n')) if (l) keptOwned.add(l);
  }
  const dirs = new Set<string>();
  for (const s of stanzas) {
    if (!remove.has(s.name)) continue;
    removed.push(s.name);
    const list = infoFiles(root, s.name, s.arch).find((f) => f.endsWith('.list'));
    for (const p of list ? readFileSync(list, 'utf8').split('\n').filter(Boolean) : []) {
      if (keptOwned.has(p)) continue;
      const host = hostPath(root, p);
      let st;
      try {
        st = lstatSync(host);
      } catch {
        continue;
      }
      if (st.isDirectory()) dirs.add(host);
      else rmSync(host, { force: true });
    }
    for (const f of infoFiles(root, s.name, s.arch)) rmSync(f, { force: true });
  }
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(d);
    } catch {
      /* not empty: still used */
    }
  }
  writeFileSync(
    hostPath(root, '/var/lib/dpkg/status'),
    stanzas
      .filter((s) => !remove.has(s.name))
      .map((s) => s.text)
      .join('\n\n') + '\n',
  );
  // documentation-like trees (copyright files stay: licences must travel with the binaries)
  for (const pattern of spec.prodRemovePaths) {
    const base = pattern.replace(/\/\*\*$/, '');
    const host = hostPath(root, base);
    if (!existsSync(host)) continue;
    if (pattern.endsWith('/**')) {
      const walk = (d: string, rel: string) => {
        for (const n of readdirSync(d)) {
          const p = join(d, n);
          const r = `${rel}/${n}`;
          if (base === '/usr/share/doc' && n === 'copyright') continue;
          const st = lstatSync(p);
          if (st.isDirectory()) {
            walk(p, r);
            try {
              rmdirSync(p);
            } catch {
              /* keeps a copyright file */
            }
          } else rmSync(p, { force: true });
        }
      };
      walk(host, base);
    } else rmSync(host, { recursive: true, force: true });
  }
  return removed.sort();
}
