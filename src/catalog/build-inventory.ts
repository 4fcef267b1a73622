// From the facts that survived the layer merge to one Inventory: the OS, packages with locations, ids and purls
// (deduplicated), owned files joined in, Python distributions marked as owned by the OS/conda package that
// installed them, NVIDIA pip wheels also listed as CUDA components, models, and problems. Pure and deterministic.
import type { Fact } from '../core/fact.ts';
import type { Inventory, ModelFile, OsInfo, Package, Problem } from '../core/package.ts';
import { dirName } from './common.ts';
import { parseNvidiaWheelName } from './cuda/parse-cuda.ts';
import { purlOf } from './purl.ts';
import { createFileOwners, type FileOwners } from './file-owners.ts';

export type LayerFact = Fact & { layer: number };

export interface BuildInventoryOptions {
  /** keep each package's owned files in the output (default false: they are used for joins, then dropped) */
  files?: boolean;
}

/**
 * Which release file names the OS, best first. os-release is the standard and names every distribution
 * (/etc/os-release is usually a link to /usr/lib/os-release, so either may be the one that exists as a file);
 * the one-line files are fallbacks for old or stripped images. When the winner has no version (Debian testing,
 * a stripped os-release), /etc/debian_version or /etc/alpine-release of the same distribution supplies it.
 */
export const OS_PRECEDENCE = [
  '/etc/os-release',
  '/usr/lib/os-release',
  '/etc/alpine-release',
  '/etc/redhat-release',
  '/etc/system-release',
  '/etc/debian_version',
];

function chooseOs(facts: LayerFact[]): OsInfo | undefined {
  const found = new Map<string, OsInfo>();
  for (const f of facts) if (f.kind === 'os') found.set(f.path, f.os);
  const winner = OS_PRECEDENCE.map((p) => found.get(p)).find((o) => o !== undefined);
  if (!winner) return undefined;
  const os: OsInfo = { ...winner };
  if (os.versionId === '') {
    const fallback = [found.get('/etc/debian_version'), found.get('/etc/alpine-release')].find(
      (o) => o && o.id === os.id && o.versionId,
    );
    if (fallback) os.versionId = fallback.versionId;
  }
  return os;
}

const DPKG_INFO = '/var/lib/dpkg/info/';
const isPythonDistPath = (p: string): boolean => /\.(?:dist|egg)-info(?:\/|$)/.test(p);

const typeOrder = (p: Package): string => p.type;
function comparePackages(a: Package, b: Package): number {
  const k = (p: Package): string[] => [typeOrder(p), p.name, p.version, p.locations[0]?.path ?? ''];
  const ka = k(a);
  const kb = k(b);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
  return 0;
}

export function buildInventory(facts: LayerFact[], options: BuildInventoryOptions = {}): Inventory {
  return buildInventoryAndOwners(facts, options).inventory;
}

/**
 * The inventory, and the index of which package owns which file, built once from the owned-file lists (kept in
 * the index even when `options.files` drops them from the inventory).
 */
export function buildInventoryAndOwners(
  facts: LayerFact[],
  options: BuildInventoryOptions = {},
): { inventory: Inventory; owners: FileOwners } {
  const os = chooseOs(facts);
  const problems: Problem[] = [];
  const models: ModelFile[] = [];
  const installers = new Map<string, string>(); // dist dir → INSTALLER
  const pythonFiles = new Map<string, string[]>(); // dist dir → RECORD / installed-files.txt paths
  const dpkgFiles = new Map<string, string[]>(); // `name` or `name:arch` → .list paths
  const raw: Package[] = [];
  let dpkgStatus = false;
  let dpkgStatusD = false;

  for (const f of facts) {
    switch (f.kind) {
      case 'packages':
        if (f.path === '/var/lib/dpkg/status') dpkgStatus = true;
        if (f.path.startsWith('/var/lib/dpkg/status.d/')) dpkgStatusD = true;
        for (const p of f.packages) raw.push({ ...p, locations: [{ path: f.path, layer: f.layer }] });
        break;
      case 'owned-files':
        if (f.path.startsWith(DPKG_INFO)) dpkgFiles.set(f.package, f.files);
        else if (isPythonDistPath(f.path)) pythonFiles.set(dirName(f.path), f.files);
        break;
      case 'installer':
        installers.set(dirName(f.path), f.installer);
        break;
      case 'model':
        models.push({ ...f.model, path: f.path, layer: f.layer });
        break;
      case 'problem':
        problems.push({ code: f.code, path: f.path, analyzer: f.analyzer, message: f.message, layer: f.layer });
        break;
      default:
        break;
    }
  }
  if (os && dpkgStatusD && !dpkgStatus) os.distroless = true;

  // join sibling-file facts
  for (const p of raw) {
    if (p.metadata.kind === 'dpkg') {
      const files = dpkgFiles.get(`${p.name}:${p.metadata.arch}`) ?? dpkgFiles.get(p.name);
      if (files) p.files = files;
    } else if (p.metadata.kind === 'python') {
      const loc = p.locations[0].path;
      const distDir = p.metadata.format === 'egg-info' && loc.endsWith('.egg-info') ? loc : dirName(loc);
      const installer = installers.get(distDir);
      if (installer) p.metadata = { ...p.metadata, installer };
      const files = pythonFiles.get(distDir);
      if (files) p.files = files;
    }
  }

  // NVIDIA's CUDA wheels are Python packages and CUDA components at once
  for (const p of [...raw]) {
    if (p.type !== 'python') continue;
    const w = parseNvidiaWheelName(p.name, p.version);
    if (!w) continue;
    raw.push({
      id: '',
      type: 'cuda',
      name: w.component,
      version: p.version,
      purl: '',
      locations: [...p.locations],
      metadata:
        w.cudaMajor !== undefined
          ? { kind: 'cuda', component: w.component, via: 'pip', cudaMajor: w.cudaMajor }
          : { kind: 'cuda', component: w.component, via: 'pip' },
    });
  }

  // ids, purls, dedupe (same id → one package with every location); CUDA components found in several files
  // (a library and its header, several cuDNN libraries) are one component per name and version
  const byKey = new Map<string, Package>();
  for (const p of raw) {
    const key =
      p.type === 'cuda' ? `cuda:${p.name}@${p.version}` : `${p.type}:${p.name}@${p.version}:${p.locations[0].path}`;
    const seen = byKey.get(key);
    if (seen) {
      for (const l of p.locations)
        if (!seen.locations.some((x) => x.path === l.path && x.layer === l.layer)) seen.locations.push(l);
      if (!seen.files && p.files) seen.files = p.files;
      continue;
    }
    byKey.set(key, { ...p, locations: [...p.locations] });
  }
  const packages = [...byKey.values()];
  for (const p of packages) {
    p.locations.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.layer - b.layer));
    p.id = `${p.type}:${p.name}@${p.version}:${p.locations[0].path}`;
    p.purl = purlOf(p, os);
  }

  packages.sort(comparePackages);
  const owners = createFileOwners(packages);

  // Python distributions and npm packages installed by an OS package manager or conda (Debian's node-* packages
  // under /usr/share/nodejs): match the dist directory or METADATA, the package.json or its directory, against the
  // files those packages own
  const installs = (p: Package): boolean => p.type !== 'python' && p.type !== 'cuda' && p.type !== 'npm';
  if (owners.size > 0) {
    for (const p of packages) {
      const loc = p.locations[0].path;
      let candidates: string[];
      if (p.metadata.kind === 'python')
        candidates = [p.metadata.format === 'egg-info' && loc.endsWith('.egg-info') ? loc : dirName(loc), loc];
      else if (p.metadata.kind === 'npm' && p.metadata.source === 'installed') candidates = [loc, dirName(loc)];
      else continue;
      for (const c of candidates) {
        const owner = owners.ownerOf(c, installs);
        if (owner) {
          p.ownedBy = owner.id;
          break;
        }
      }
    }
  }

  if (!options.files) for (const p of packages) delete p.files;
  models.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.layer - b.layer));
  problems.sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : a.message < b.message ? -1 : a.message > b.message ? 1 : 0,
  );
  const inv: Inventory = { packages, models, problems };
  if (os) inv.os = os;
  return { inventory: inv, owners };
}
