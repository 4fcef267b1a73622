// The dependency doctor: does what is installed hold together?
// (1) Python: each distribution's Requires-Dist against the distributions installed in the same environment
//     (missing, version conflict), markers evaluated for the image's Python and platform, extras only when asked.
// (2) CUDA: the CUDA a framework (torch, TensorFlow) was built with vs the CUDA libraries present vs the NVIDIA
//     driver that CUDA needs (and, given a host driver version, whether that host can run it).
import type { PythonEnvironmentSummary, CudaSummary } from '../../core/analysis.ts';
export type { PythonEnvironmentSummary, CudaSummary };
import type { Finding, PackageRef } from '../../core/finding.ts';
import type { Severity } from '../../core/advisory.ts';
import type { Package, Problem } from '../../core/package.ts';
import { evaluateMarker, parseRequirement, pep440Satisfies, normalizeName } from '../../version/index.ts';
import type { MarkerEnvironment, Requirement } from '../../version/index.ts';
import { compareDotted, driverNeededFor } from './cuda-driver-table.ts';
import { isOsPackageType } from '../../core/package-types.ts';

export const DEPS_ANALYZER_NAME = 'deps';

export interface DependencyDoctorOptions {
  /** `3.11`; default: read from the environments' `python3.X` directories (per environment) */
  pythonVersion?: string;
  /** OCI architecture (`amd64`, `arm64`) or machine (`x86_64`, `aarch64`); default `amd64` */
  architecture?: string;
  /** extras installed per distribution (PEP 503 names), e.g. `{ transformers: ['torch'] }` */
  extras?: Record<string, string[]>;
  /** host NVIDIA driver to check against what the image's CUDA needs, e.g. `535.104.05` */
  driverVersion?: string;
  /** `python3.X` directories seen in the image (`/usr/lib/python3.11`), for the system interpreter's version */
  pythonDirs?: string[];
}

export interface DependencyReport {
  findings: Finding[];
  problems: Problem[];
  python: PythonEnvironmentSummary[];
  cuda: CudaSummary;
}

const MACHINE: Record<string, string> = {
  amd64: 'x86_64',
  x86_64: 'x86_64',
  arm64: 'aarch64',
  aarch64: 'aarch64',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  '386': 'i686',
  arm: 'armv7l',
};

const SYSTEM_SITE = /^\/usr(?:\/local)?\/lib\/python3(?:\.\d+)?\/(?:dist|site)-packages$/;

/** `system` for the interpreter's own directories, else the prefix before `/lib/pythonX.Y/…`. */
export function environmentOf(sitePackages: string): string {
  if (SYSTEM_SITE.test(sitePackages)) return 'system';
  const i = sitePackages.search(/\/lib\d*\/python\d/);
  return i > 0 ? sitePackages.slice(0, i) : sitePackages;
}

/** `3.11` from `/usr/local/lib/python3.11/site-packages` (undefined for Debian's version-less `python3`). */
export function pythonVersionOfPath(path: string): string | undefined {
  return /\/python(3\.\d+)(?:\/|$)/.exec(path)?.[1];
}

/**
 * The system interpreter's version: from `python3.X` directories under /usr/lib or /usr/local/lib, else from the OS
 * package of the interpreter (deb `python3.11`/`python3.11-minimal`, apk/rpm `python3`). Full version when known.
 */
export function systemPythonVersion(
  packages: readonly Package[],
  pythonDirs: readonly string[] = [],
): { version: string; full?: string } | undefined {
  const osPkgs = packages.filter((p) => isOsPackageType(p.type));
  const upstream = (v: string): string => v.replace(/^\d+:/, '').split(/[-+~]/)[0];
  for (const p of osPkgs) {
    const m = /^(?:lib)?python(3\.\d+)(?:-minimal|-stdlib)?$/.exec(p.name);
    if (m) {
      const full = upstream(p.version);
      return { version: m[1], ...(full.startsWith(`${m[1]}.`) ? { full } : {}) };
    }
  }
  for (const d of pythonDirs) {
    const m = /^\/usr(?:\/local)?\/lib\/python(3\.\d+)\/?$/.exec(d);
    if (m) return { version: m[1] };
  }
  const py3 = osPkgs.find((p) => p.name === 'python3');
  if (py3) {
    const full = upstream(py3.version);
    const mm = /^(3\.\d+)/.exec(full);
    if (mm) return { version: mm[1], full };
  }
  return undefined;
}

function refOf(p: Package): PackageRef {
  return { id: p.id, type: p.type, name: p.name, version: p.version, purl: p.purl, locations: p.locations };
}

function finding(
  p: Package,
  id: string,
  severity: Severity,
  title: string,
  searched: { ecosystem: string; name: string; version: string },
  matchedRange: string,
  matcher: string,
  note?: string,
): Finding {
  return {
    id,
    aliases: [],
    package: refOf(p),
    installedVersion: p.version,
    fixedVersions: [],
    fixState: 'unknown',
    severity,
    severitySource: 'zerocve:deps',
    cvss: [],
    kev: false,
    title,
    references: [],
    evidence: [
      {
        matcher,
        searched,
        versionScheme: matcher === 'deps-python' ? 'pep440' : 'cuda',
        matchedRange,
        source: matcher === 'deps-python' ? 'Requires-Dist' : 'cuda-driver-table',
        ...(note ? { note } : {}),
      },
    ],
    kind: 'dependency',
  };
}

const usesPythonVersion = (text: string): boolean => /python_(?:full_)?version/.test(text);

function checkPython(
  packages: Package[],
  options: DependencyDoctorOptions,
  problems: Problem[],
): { findings: Finding[]; envs: PythonEnvironmentSummary[] } {
  const machine = MACHINE[options.architecture ?? 'amd64'] ?? options.architecture ?? 'x86_64';
  const envs = new Map<string, Package[]>();
  for (const p of packages) {
    if (p.metadata.kind !== 'python') continue;
    const key = environmentOf(p.metadata.sitePackages);
    envs.set(key, [...(envs.get(key) ?? []), p]);
  }
  const findings: Finding[] = [];
  const summaries: PythonEnvironmentSummary[] = [];
  for (const [key, dists] of [...envs].sort(([a], [b]) => a.localeCompare(b))) {
    const installed = new Map<string, Package>();
    for (const d of dists) if (!installed.has(normalizeName(d.name))) installed.set(normalizeName(d.name), d);
    const fromPaths = dists
      .map((d) => pythonVersionOfPath(d.metadata.kind === 'python' ? d.metadata.sitePackages : ''))
      .find((v) => v !== undefined);
    const system = key === 'system' ? systemPythonVersion(packages, options.pythonDirs) : undefined;
    const pythonVersion = options.pythonVersion ?? fromPaths ?? system?.version;
    const full = pythonVersion && system?.full?.startsWith(`${pythonVersion}.`) ? system.full : `${pythonVersion}.0`;
    const env: MarkerEnvironment = {
      sys_platform: 'linux',
      platform_system: 'Linux',
      os_name: 'posix',
      platform_machine: machine,
      platform_python_implementation: 'CPython',
      implementation_name: 'cpython',
      extra: '',
      ...(pythonVersion
        ? { python_version: pythonVersion, python_full_version: full, implementation_version: full }
        : {}),
    };
    const summary: PythonEnvironmentSummary = {
      key,
      pythonVersion,
      distributions: dists.length,
      requirementsChecked: 0,
      requirementsUndecided: 0,
    };
    summaries.push(summary);
    for (const dist of dists) {
      if (dist.metadata.kind !== 'python') continue;
      const extras = options.extras?.[normalizeName(dist.name)] ?? [];
      for (const line of dist.metadata.requiresDist ?? []) {
        let req: Requirement;
        try {
          req = parseRequirement(line);
        } catch (err) {
          problems.push({
            code: 'malformed',
            path: dist.locations[0]?.path ?? dist.name,
            analyzer: DEPS_ANALYZER_NAME,
            message:
              `${dist.name} ${dist.version}: unreadable Requires-Dist '${line}': ` +
              `${err instanceof Error ? err.message : String(err)}`,
          });
          continue;
        }
        const markerText = line.includes(';') ? line.slice(line.indexOf(';') + 1).trim() : '';
        if (req.marker) {
          if (!pythonVersion && usesPythonVersion(markerText)) {
            summary.requirementsUndecided++;
            continue;
          }
          let applies: boolean;
          try {
            applies = ['', ...extras].some((extra) => evaluateMarker(req.marker!, { ...env, extra }));
          } catch (err) {
            problems.push({
              code: 'malformed',
              path: dist.locations[0]?.path ?? dist.name,
              analyzer: DEPS_ANALYZER_NAME,
              message:
                `${dist.name} ${dist.version}: cannot evaluate marker of '${line}': ` +
                `${err instanceof Error ? err.message : String(err)}`,
            });
            continue;
          }
          if (!applies) continue;
        }
        summary.requirementsChecked++;
        const target = installed.get(req.normalizedName);
        const spec = req.specifier || (req.url ? `@ ${req.url}` : '');
        const where = key === 'system' ? 'the system Python' : key;
        if (!target) {
          findings.push(
            finding(
              dist,
              'ZCVE-DEP-MISSING',
              'high',
              `${dist.name} ${dist.version} requires ${req.name}${spec ? ` ${spec}` : ''} but it is not ` +
                `installed in ${where}: install it (pip install '${req.name}${req.specifier}') or remove ` +
                `${dist.name}`,
              { ecosystem: 'PyPI', name: req.normalizedName, version: '' },
              spec || '*',
              'deps-python',
              markerText || undefined,
            ),
          );
          continue;
        }
        if (req.specifiers.length === 0) continue;
        let ok: boolean;
        try {
          ok = pep440Satisfies(target.version, req.specifiers);
        } catch (err) {
          problems.push({
            code: 'malformed',
            path: target.locations[0]?.path ?? target.name,
            analyzer: DEPS_ANALYZER_NAME,
            message:
              `${target.name}: version '${target.version}' is not PEP 440, cannot check ${dist.name}` +
              `'s requirement ${req.specifier}: ${err instanceof Error ? err.message : String(err)}`,
          });
          continue;
        }
        if (!ok) {
          findings.push(
            finding(
              dist,
              'ZCVE-DEP-CONFLICT',
              'medium',
              `${dist.name} ${dist.version} requires ${req.name} ${req.specifier} but ${target.name} ` +
                `${target.version} is installed: install a matching version (pip install '${req.name}` +
                `${req.specifier}') or a ${dist.name} release that accepts ${target.version}`,
              { ecosystem: 'PyPI', name: req.normalizedName, version: target.version },
              req.specifier,
              'deps-python',
              markerText || undefined,
            ),
          );
        }
      }
    }
  }
  return { findings, envs: summaries };
}

const FRAMEWORKS = new Set(['torch', 'tensorflow-cuda']);
/** libraries whose CUDA major must match the framework's (cudnn and nccl are versioned on their own) */
const MAJOR_BOUND = new Set([
  'cudart',
  'cublas',
  'cufft',
  'curand',
  'cusolver',
  'cusparse',
  'nvrtc',
  'cuda-nvrtc',
  'nvjitlink',
  'cuda-cupti',
  'npp',
  'nvjpeg',
  'cuda-toolkit',
]);

function checkCuda(
  packages: Package[],
  options: DependencyDoctorOptions,
): { findings: Finding[]; summary: CudaSummary } {
  const findings: Finding[] = [];
  const frameworks: { pkg: Package; cudaVersion: string }[] = [];
  const libraries: { pkg: Package; component: string; cudaMajor?: number; via: string }[] = [];
  for (const p of packages) {
    if (p.metadata.kind !== 'cuda') continue;
    const m = p.metadata;
    if (m.via === 'framework') {
      if (FRAMEWORKS.has(m.component) && m.cudaVersion) frameworks.push({ pkg: p, cudaVersion: m.cudaVersion });
      continue;
    }
    const cudaMajor =
      m.cudaMajor ??
      (MAJOR_BOUND.has(m.component) && m.via === 'system' ? Number(p.version.split('.')[0]) || undefined : undefined);
    libraries.push({ pkg: p, component: m.component, cudaMajor, via: m.via });
  }
  const summary: CudaSummary = {
    frameworks: frameworks.map((f) => ({ name: f.pkg.name, version: f.pkg.version, cudaVersion: f.cudaVersion })),
    libraries: libraries.map((l) => ({
      component: l.component,
      version: l.pkg.version,
      ...(l.cudaMajor !== undefined ? { cudaMajor: l.cudaMajor } : {}),
      via: l.via,
    })),
  };
  // framework vs libraries: a runtime library of another CUDA major cannot serve the framework
  for (const f of frameworks) {
    const major = Number(f.cudaVersion.split('.')[0]);
    const bound = libraries.filter((l) => MAJOR_BOUND.has(l.component) && l.cudaMajor !== undefined);
    const components = new Set(bound.map((l) => l.component));
    for (const component of components) {
      const ofComponent = bound.filter((l) => l.component === component);
      if (ofComponent.some((l) => l.cudaMajor === major)) {
        // same major: a runtime older than the framework's build may miss symbols it uses
        const cudart = ofComponent.filter((l) => l.component === 'cudart' && l.cudaMajor === major);
        const newest = cudart
          .map((l) => l.pkg.version)
          .sort(compareDotted)
          .at(-1);
        if (
          newest &&
          compareDotted(newest.split('.').slice(0, 2).join('.'), f.cudaVersion.split('.').slice(0, 2).join('.')) < 0
        ) {
          findings.push(
            finding(
              f.pkg,
              'ZCVE-DEP-CUDA-LIBS',
              'medium',
              `${f.pkg.name} ${f.pkg.version} was built with CUDA ${f.cudaVersion} but the newest CUDA ` +
                `runtime present is ${newest}: install a CUDA ` +
                `${f.cudaVersion.split('.').slice(0, 2).join('.')} (or newer ${major}.x) runtime`,
              { ecosystem: 'NVIDIA', name: 'cudart', version: newest },
              `>=${f.cudaVersion}`,
              'deps-cuda',
            ),
          );
        }
        continue;
      }
      const others = [...new Set(ofComponent.map((l) => l.cudaMajor))].join(', ');
      findings.push(
        finding(
          f.pkg,
          'ZCVE-DEP-CUDA-LIBS',
          'high',
          `${f.pkg.name} ${f.pkg.version} was built with CUDA ${f.cudaVersion} but ${component} is only ` +
            `present for CUDA ${others}: install the CUDA ${major} ${component} (or a ${f.pkg.name} build ` +
            `for CUDA ${others})`,
          { ecosystem: 'NVIDIA', name: component, version: ofComponent.map((l) => l.pkg.version).join(', ') },
          `${major}.x`,
          'deps-cuda',
        ),
      );
    }
  }
  // the driver: the highest CUDA among frameworks and runtimes decides
  const cudaVersions = [
    ...frameworks.map((f) => ({ v: f.cudaVersion, pkg: f.pkg })),
    ...libraries
      .filter((l) => l.component === 'cudart' || l.component === 'cuda-toolkit')
      .map((l) => ({ v: l.pkg.version, pkg: l.pkg })),
  ].map((x) => ({ ...x, need: driverNeededFor(x.v) }));
  const worst = cudaVersions
    .filter((x) => x.need.toolkit || x.need.minorCompat)
    .sort(
      (a, b) =>
        compareDotted(a.need.minorCompat ?? a.need.toolkit ?? '0', b.need.minorCompat ?? b.need.toolkit ?? '0') ||
        compareDotted(a.need.toolkit ?? '0', b.need.toolkit ?? '0'),
    )
    .at(-1);
  if (worst) summary.driver = worst.need;
  if (options.driverVersion) {
    summary.hostDriver = options.driverVersion;
    const host = options.driverVersion;
    for (const x of cudaVersions) {
      const { toolkit, minorCompat } = x.need;
      if (minorCompat && compareDotted(host, minorCompat) < 0) {
        findings.push(
          finding(
            x.pkg,
            'ZCVE-DEP-CUDA-DRIVER',
            'critical',
            `${x.pkg.name} ${x.pkg.version} needs CUDA ${x.v}, which requires NVIDIA driver >= ` +
              `${minorCompat} (minor version compatibility) or >= ${toolkit ?? minorCompat}; the host has ` +
              `${host}: upgrade the host driver or use a build for an older CUDA`,
            { ecosystem: 'NVIDIA', name: 'driver', version: host },
            `>=${minorCompat}`,
            'deps-cuda',
          ),
        );
      } else if (toolkit && compareDotted(host, toolkit) < 0) {
        findings.push(
          finding(
            x.pkg,
            'ZCVE-DEP-CUDA-DRIVER',
            'low',
            `${x.pkg.name} ${x.pkg.version} needs CUDA ${x.v}: driver ${host} runs it only through minor ` +
              `version compatibility (no JIT of its newer PTX); driver >= ${toolkit} gives full support`,
            { ecosystem: 'NVIDIA', name: 'driver', version: host },
            `>=${toolkit}`,
            'deps-cuda',
          ),
        );
      }
    }
  }
  return { findings, summary };
}

/** Check an inventory's packages. Pure: no I/O. */
export function diagnoseDependencies(
  packages: readonly Package[],
  options: DependencyDoctorOptions = {},
): DependencyReport {
  const problems: Problem[] = [];
  const list = [...packages];
  const py = checkPython(list, options, problems);
  const cuda = checkCuda(list, options);
  return { findings: [...py.findings, ...cuda.findings], problems, python: py.envs, cuda: cuda.summary };
}
