// npm metadata: an installed package's package.json, and the lock files of npm (package-lock.json v1–v3), Yarn
// (classic v1 and Berry) and pnpm (lockfile v5, v6 and v9). Pure functions of text; errors are thrown as messages
// the analyzer turns into problem facts.
import { parse as parseYaml } from 'yaml';

export interface InstalledNpm {
  name: string;
  version: string;
  licenses: string[];
  private: boolean;
}

export interface DeclaredNpm {
  name: string;
  version: string;
  dev?: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function licensesOf(j: Record<string, unknown>): string[] {
  const one = (l: unknown): string | undefined =>
    typeof l === 'string' ? l : isObject(l) && typeof l.type === 'string' ? l.type : undefined;
  const out: string[] = [];
  const l = one(j.license);
  if (l) out.push(l);
  if (Array.isArray(j.licenses)) for (const x of j.licenses) if (one(x)) out.push(one(x)!);
  return out;
}

/** name, version, licenses of a package.json; throws when it is not JSON or lacks a name or version. */
export function parsePackageJson(text: string): InstalledNpm {
  let j: unknown;
  try {
    j = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new Error(`not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isObject(j)) throw new Error('not a JSON object');
  if (typeof j.name !== 'string' || j.name === '') throw new Error('no "name"');
  if (typeof j.version !== 'string' || j.version === '') throw new Error(`no "version" for ${j.name}`);
  return { name: j.name, version: j.version, licenses: licensesOf(j), private: j.private === true };
}

/** The package name a node_modules path ends with: `a/node_modules/@s/b` → `@s/b`. */
export function nameFromNodeModulesPath(p: string): string | undefined {
  const i = p.lastIndexOf('node_modules/');
  if (i < 0) return undefined;
  const rest = p.slice(i + 'node_modules/'.length);
  const parts = rest.split('/');
  if (parts[0].startsWith('@')) return parts.length === 2 ? rest : undefined;
  return parts.length === 1 ? rest : undefined;
}

/** package-lock.json (and npm-shrinkwrap.json): v1 `dependencies` trees, v2/v3 `packages` maps. */
export function parsePackageLock(text: string): { lockVersion: number; packages: DeclaredNpm[] } {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isObject(j)) throw new Error('not a JSON object');
  const lockVersion = typeof j.lockfileVersion === 'number' ? j.lockfileVersion : 1;
  const out: DeclaredNpm[] = [];
  if (isObject(j.packages)) {
    for (const [key, v] of Object.entries(j.packages)) {
      if (key === '' || !isObject(v) || v.link === true) continue;
      const name = typeof v.name === 'string' ? v.name : nameFromNodeModulesPath(key);
      // workspace members (`packages/x`) are the project's own code, not dependencies
      if (!name || !key.includes('node_modules/')) continue;
      if (typeof v.version !== 'string') continue;
      out.push(v.dev === true ? { name, version: v.version, dev: true } : { name, version: v.version });
    }
    return { lockVersion, packages: out };
  }
  const walk = (deps: unknown): void => {
    if (!isObject(deps)) return;
    for (const [name, v] of Object.entries(deps)) {
      if (!isObject(v) || typeof v.version !== 'string') continue;
      // a `file:` or git version is not a registry version
      if (!/^[0-9]/.test(v.version) && !v.version.startsWith('npm:')) {
        walk(v.dependencies);
        continue;
      }
      let version = v.version;
      let realName = name;
      if (version.startsWith('npm:')) {
        // an alias: `npm:real-name@1.2.3`
        const at = version.lastIndexOf('@');
        realName = version.slice(4, at);
        version = version.slice(at + 1);
      }
      out.push(v.dev === true ? { name: realName, version, dev: true } : { name: realName, version });
      walk(v.dependencies);
    }
  };
  walk(j.dependencies);
  return { lockVersion, packages: out };
}

/** The package name of a Yarn specifier: `"@s/a@^1"` → `@s/a`, `a@npm:^1` → `a`. */
function nameOfSpecifier(spec: string): string {
  const s = spec.trim().replace(/^"|"$/g, '');
  const at = s.indexOf('@', 1);
  return at < 0 ? s : s.slice(0, at);
}

/** yarn.lock: classic v1 (its own format) or Berry (YAML with `__metadata`). */
export function parseYarnLock(text: string): { berry: boolean; packages: DeclaredNpm[] } {
  if (/^__metadata:/m.test(text)) {
    let y: unknown;
    try {
      y = parseYaml(text);
    } catch (err) {
      throw new Error(`not YAML: ${(err as Error).message}`, { cause: err });
    }
    if (!isObject(y)) throw new Error('not a YAML mapping');
    const out: DeclaredNpm[] = [];
    for (const [key, v] of Object.entries(y)) {
      if (key === '__metadata' || !isObject(v)) continue;
      const version = v.version === undefined ? undefined : String(v.version);
      const resolution = typeof v.resolution === 'string' ? v.resolution : key.split(',')[0];
      // workspaces, links and patches of local code are not registry packages
      if (!version || /@(?:workspace|link|portal|file):/.test(resolution) || version === '0.0.0-use.local') continue;
      out.push({ name: nameOfSpecifier(resolution), version });
    }
    return { berry: true, packages: out };
  }
  const out: DeclaredNpm[] = [];
  let current: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line === '' || line.startsWith('#')) continue;
    if (!line.startsWith(' ')) {
      if (!line.endsWith(':')) throw new Error(`line ${i + 1}: expected a "name@range:" header`);
      current = nameOfSpecifier(line.slice(0, -1).split(',')[0]);
      continue;
    }
    const m = /^ {2}version:? "?([^"]+)"?$/.exec(line);
    if (m && current) {
      out.push({ name: current, version: m[1] });
      current = undefined;
    }
  }
  return { berry: false, packages: out };
}

/** pnpm-lock.yaml: `packages` keys `/name/1.0.0` (v5), `/name@1.0.0(peer)` (v6), `name@1.0.0` (v9). */
export function parsePnpmLock(text: string): { lockVersion: number; packages: DeclaredNpm[] } {
  let y: unknown;
  try {
    y = parseYaml(text);
  } catch (err) {
    throw new Error(`not YAML: ${(err as Error).message}`, { cause: err });
  }
  if (!isObject(y)) throw new Error('not a YAML mapping');
  const lockVersion = Number.parseFloat(String(y.lockfileVersion ?? '0'));
  const out: DeclaredNpm[] = [];
  if (!isObject(y.packages)) return { lockVersion, packages: out };
  for (const [rawKey, v] of Object.entries(y.packages)) {
    const info = isObject(v) ? v : {};
    // peer suffixes: `(react@18.0.0)` (v6+) or `_react@18.0.0` (v5)
    let key = rawKey.replace(/\(.*$/, '');
    if (key.startsWith('/')) key = key.slice(1);
    let name: string;
    let version: string;
    const at = key.indexOf('@', 1);
    if (lockVersion >= 6) {
      if (at < 0) continue;
      name = key.slice(0, at);
      version = key.slice(at + 1);
    } else {
      const slash = key.lastIndexOf('/');
      if (slash < 0) continue;
      name = key.slice(0, slash);
      version = key.slice(slash + 1).replace(/_.*$/, '');
    }
    if (typeof info.name === 'string' && typeof info.version === 'string') {
      name = info.name;
      version = info.version;
    }
    if (!/^[0-9]/.test(version)) continue;
    out.push(info.dev === true ? { name, version, dev: true } : { name, version });
  }
  return { lockVersion, packages: out };
}
