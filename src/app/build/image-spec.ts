// `image.yaml`: a minimal image, declared. Read and checked here; every mistake is one line naming file and key.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../../core/errors.ts';

export interface ImageFile {
  src: string;
  dest: string;
  mode: number;
  uid: number;
  gid: number;
}

export interface BuildSpec {
  /** the file it came from, and its folder (relative `src` paths resolve against it) */
  file: string;
  name: string;
  distro: 'debian';
  release: string;
  /** apt sources lines */
  mirrors: string[];
  packages: string[];
  files: ImageFile[];
  user: { name: string; uid: number; gid: number; home: string } | null;
  entrypoint?: string[];
  cmd?: string[];
  env: string[];
  workdir?: string;
  variant: 'prod' | 'dev';
  /** packages the prod variant removes whole (shells, package managers, core utilities); their dpkg records go too */
  prodRemove: string[];
  /** paths the prod variant removes (globs ending in /** remove a tree) */
  prodRemovePaths: string[];
  sourceDateEpoch: number;
  platform: { os: 'linux'; architecture: string };
}

/** Debian release codenames mmdebstrap accepts, to catch typos before a long build. */
const RELEASES = new Set(['bullseye', 'bookworm', 'trixie', 'sid', 'unstable', 'testing', 'stable']);

export const DEFAULT_MIRRORS: Record<string, string[]> = {
  bookworm: [
    'deb http://deb.debian.org/debian bookworm main',
    'deb http://deb.debian.org/debian bookworm-updates main',
    'deb http://deb.debian.org/debian-security bookworm-security main',
  ],
  bullseye: [
    'deb http://deb.debian.org/debian bullseye main',
    'deb http://deb.debian.org/debian-security bullseye-security main',
  ],
  trixie: [
    'deb http://deb.debian.org/debian trixie main',
    'deb http://deb.debian.org/debian-security trixie-security main',
  ],
};

/**
 * Removed whole from prod images: shells, package managers and the interactive tool set of a minbase root. The
 * dpkg database stays (minus these packages' records) so the image remains scannable.
 */
export const DEFAULT_PROD_REMOVE = [
  'bash',
  'dash',
  'apt',
  'dpkg',
  'debconf',
  'perl-base',
  'login',
  'passwd',
  'adduser',
  'ncurses-bin',
  'sed',
  'grep',
  'gzip',
  'findutils',
  'tar',
  'hostname',
  'diffutils',
  'sysvinit-utils',
  'util-linux',
  'mount',
  'debianutils',
  'coreutils',
  'bsdutils',
  'e2fsprogs',
  'init-system-helpers',
  'gpgv',
  'debian-archive-keyring',
  'mawk',
  'base-files-extra',
];

export const DEFAULT_PROD_REMOVE_PATHS = [
  '/usr/share/doc/**',
  '/usr/share/man/**',
  '/usr/share/info/**',
  '/usr/share/lintian/**',
  '/usr/share/locale/**',
  '/var/cache/**',
  '/var/lib/apt/**',
  '/var/log/**',
];

function strings(v: unknown, file: string, key: string): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  throw new UsageError(`${file}: '${key}' must be a list of strings`);
}

export function parseBuildSpec(text: string, file: string): BuildSpec {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new UsageError(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`${file}: expected a mapping`);
  const o = doc as Record<string, unknown>;
  const known = new Set([
    'name',
    'base',
    'mirrors',
    'packages',
    'files',
    'user',
    'entrypoint',
    'cmd',
    'env',
    'workdir',
    'variant',
    'prod',
    'source_date_epoch',
    'platform',
  ]);
  for (const k of Object.keys(o))
    if (!known.has(k)) throw new UsageError(`${file}: unknown key '${k}' (known: ${[...known].join(', ')})`);
  const base = typeof o.base === 'string' ? o.base : 'debian:bookworm';
  const [distro, release] = base.split(':');
  if (distro !== 'debian') throw new UsageError(`${file}: base '${base}': only debian:<release> is supported so far`);
  if (!release || !RELEASES.has(release)) throw new UsageError(`${file}: base '${base}': unknown Debian release`);
  const packages = strings(o.packages, file, 'packages');
  for (const p of packages)
    if (!/^[a-z0-9][a-z0-9+.-]+(=[^\s]+)?$/.test(p))
      throw new UsageError(`${file}: package '${p}' is not a Debian package name`);
  const dir = dirname(resolve(file));
  const files: ImageFile[] = [];
  for (const [i, f] of (Array.isArray(o.files) ? o.files : o.files === undefined ? [] : [o.files]).entries()) {
    const e = f as Record<string, unknown>;
    if (!e || typeof e.src !== 'string' || typeof e.dest !== 'string')
      throw new UsageError(`${file}: files[${i}] needs 'src' and 'dest'`);
    if (!e.dest.startsWith('/') || e.dest.split('/').includes('..'))
      throw new UsageError(`${file}: files[${i}].dest must be an absolute path without '..'`);
    const mode = e.mode === undefined ? 0o644 : typeof e.mode === 'string' ? parseInt(e.mode, 8) : Number(e.mode);
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777)
      throw new UsageError(`${file}: files[${i}].mode must be octal like "0755"`);
    files.push({ src: resolve(dir, e.src), dest: e.dest, mode, uid: Number(e.uid ?? 0), gid: Number(e.gid ?? 0) });
  }
  let user: BuildSpec['user'] = { name: 'nonroot', uid: 65532, gid: 65532, home: '/home/nonroot' };
  if (o.user === 'root' || o.user === null) user = null;
  else if (typeof o.user === 'object' && o.user) {
    const u = o.user as Record<string, unknown>;
    const name = typeof u.name === 'string' ? u.name : 'nonroot';
    if (!/^[a-z_][a-z0-9_-]*$/.test(name))
      throw new UsageError(`${file}: user.name '${name}' is not a valid user name`);
    user = {
      name,
      uid: Number(u.uid ?? 65532),
      gid: Number(u.gid ?? u.uid ?? 65532),
      home: typeof u.home === 'string' ? u.home : `/home/${name}`,
    };
    if (user.uid === 0)
      throw new UsageError(`${file}: user.uid 0 is root; write 'user: root' to build a root image on purpose`);
  } else if (o.user !== undefined) throw new UsageError(`${file}: 'user' must be a mapping {name, uid, gid} or 'root'`);
  const variant = o.variant ?? 'prod';
  if (variant !== 'prod' && variant !== 'dev') throw new UsageError(`${file}: variant must be prod or dev`);
  const prod = (o.prod ?? {}) as Record<string, unknown>;
  const env =
    o.env === undefined
      ? []
      : Array.isArray(o.env)
        ? strings(o.env, file, 'env')
        : Object.entries(o.env as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`);
  if (!env.some((e) => e.startsWith('PATH=')))
    env.unshift('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  const sde = o.source_date_epoch === undefined ? 0 : Number(o.source_date_epoch);
  if (!Number.isInteger(sde) || sde < 0)
    throw new UsageError(`${file}: source_date_epoch must be a whole number of seconds`);
  const platform = (o.platform ?? 'linux/amd64') as string;
  if (platform !== 'linux/amd64')
    throw new UsageError(`${file}: platform ${platform}: only linux/amd64 is built so far`);
  return {
    file,
    name: typeof o.name === 'string' ? o.name : 'image',
    distro: 'debian',
    release,
    mirrors:
      o.mirrors === undefined
        ? (DEFAULT_MIRRORS[release] ?? [`deb http://deb.debian.org/debian ${release} main`])
        : strings(o.mirrors, file, 'mirrors'),
    packages,
    files,
    user,
    entrypoint: o.entrypoint === undefined ? undefined : strings(o.entrypoint, file, 'entrypoint'),
    cmd: o.cmd === undefined ? undefined : strings(o.cmd, file, 'cmd'),
    env,
    workdir: typeof o.workdir === 'string' ? o.workdir : undefined,
    variant,
    prodRemove: prod.remove === undefined ? DEFAULT_PROD_REMOVE : strings(prod.remove, file, 'prod.remove'),
    prodRemovePaths:
      prod.remove_paths === undefined
        ? DEFAULT_PROD_REMOVE_PATHS
        : strings(prod.remove_paths, file, 'prod.remove_paths'),
    sourceDateEpoch: sde,
    platform: { os: 'linux', architecture: 'amd64' },
  };
}

export function readBuildSpec(path: string): BuildSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? err}`, { cause: err });
  }
  return parseBuildSpec(text, path);
}
