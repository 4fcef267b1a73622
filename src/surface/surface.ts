// The attack surface of a merged file system: what an attacker who gets code execution finds there.
import type { MergedEntry } from '../core/entry.ts';
import type { ElfInfo, Fact } from '../core/fact.ts';
import type { ImageConfig } from '../core/image.ts';
import type { Inventory } from '../core/package.ts';
import type { FileRef, Surface } from '../core/report.ts';
import { createPathIndex } from './merged.ts';

export type ElfFact = Extract<Fact, { kind: 'elf' }>;
export type ShebangFact = Extract<Fact, { kind: 'shebang' }>;

export interface SurfaceInput {
  merged: Iterable<MergedEntry>;
  inventory: Inventory;
  config: ImageConfig;
  /** `elf` facts that survived the merge */
  elfFacts: Iterable<{ path: string; elf: ElfInfo }>;
  /** `shebang` facts; without them scripts are counted as executables that are not ELF */
  shebangFacts?: Iterable<{ path: string; interpreter: string }>;
}

export const SHELLS = [
  'sh',
  'bash',
  'dash',
  'zsh',
  'ash',
  'busybox',
  'ksh',
  'ksh93',
  'mksh',
  'yash',
  'fish',
  'csh',
  'tcsh',
  'rbash',
] as const;
export const PACKAGE_MANAGERS = [
  'apt',
  'apt-get',
  'dpkg',
  'apk',
  'rpm',
  'dnf',
  'yum',
  'microdnf',
  'tdnf',
  'zypper',
  'pip',
  'pip3',
  'conda',
  'mamba',
  'micromamba',
  'uv',
] as const;
/** where shells and package managers are looked up, besides the image's PATH */
export const BIN_DIRS = [
  '/bin',
  '/sbin',
  '/usr/bin',
  '/usr/sbin',
  '/usr/local/bin',
  '/usr/local/sbin',
  '/opt/conda/bin',
  '/root/.local/bin',
];

/** `root` for an empty user, `0`, `root`, and `0:…`/`root:…` */
export function isRootUser(user: string | undefined): boolean {
  const name = (user ?? '').trim().split(':')[0];
  return name === '' || name === '0' || name === 'root';
}

function pathDirs(config: ImageConfig): string[] {
  const path = config.env?.find((e) => e.startsWith('PATH='))?.slice(5) ?? '';
  const dirs = path
    .split(':')
    .filter((d) => d.startsWith('/'))
    .map((d) => d.replace(/\/+$/, '') || '/');
  return [...new Set([...dirs, ...BIN_DIRS])];
}

export function computeSurface(input: SurfaceInput): Surface {
  const index = createPathIndex(input.merged);
  const elf = new Set<string>();
  for (const f of input.elfFacts) elf.add(f.path);
  const scripts = new Set<string>();
  for (const f of input.shebangFacts ?? []) scripts.add(f.path);

  const ref = (e: MergedEntry): FileRef => ({ path: e.path, layer: e.layer, size: e.size, mode: e.mode });
  const s: Surface = {
    packagesByType: {},
    files: 0,
    directories: 0,
    symlinks: 0,
    executables: 0,
    elfExecutables: 0,
    scriptExecutables: 0,
    totalBytes: 0,
    shells: [],
    packageManagers: [],
    setuid: [],
    setgid: [],
    worldWritable: [],
    user: { configured: input.config.user ?? '', root: isRootUser(input.config.user) },
  };
  for (const p of input.inventory.packages) s.packagesByType[p.type] = (s.packagesByType[p.type] ?? 0) + 1;
  for (const e of index.entries()) {
    if (e.type === 'dir') {
      s.directories++;
      if ((e.mode & 0o002) !== 0 && (e.mode & 0o1000) === 0) s.worldWritable.push(ref(e));
      continue;
    }
    if (e.type === 'symlink') {
      s.symlinks++;
      continue;
    }
    if (e.type !== 'file' && e.type !== 'hardlink') continue;
    s.files++;
    if (e.type === 'hardlink') continue; // bytes and bits belong to the first name
    s.totalBytes += e.size;
    if ((e.mode & 0o111) !== 0) {
      s.executables++;
      if (elf.has(e.path)) s.elfExecutables++;
      else if (scripts.has(e.path)) s.scriptExecutables++;
    }
    if ((e.mode & 0o4000) !== 0) s.setuid.push(ref(e));
    if ((e.mode & 0o2000) !== 0) s.setgid.push(ref(e));
    if ((e.mode & 0o002) !== 0) s.worldWritable.push(ref(e));
  }

  // a command is present when some lookup directory holds a name resolving (through symlinks) to an executable file
  const dirs = pathDirs(input.config);
  const present = (name: string): boolean =>
    dirs.some((d) => {
      const r = index.resolve(`${d}/${name}`);
      return r !== undefined && r.type === 'file' && (r.mode & 0o111) !== 0;
    });
  s.shells = SHELLS.filter(present);
  s.packageManagers = PACKAGE_MANAGERS.filter(present);
  // pip without a script is still `python -m pip`
  if (!s.packageManagers.includes('pip') && !s.packageManagers.includes('pip3')) {
    for (const e of index.entries()) {
      if (/\/(site|dist)-packages\/pip\/__main__\.py$/.test(e.path)) {
        s.packageManagers.push('pip');
        break;
      }
    }
  }
  for (const list of [s.setuid, s.setgid, s.worldWritable]) list.sort((a, b) => a.path.localeCompare(b.path));
  return s;
}
