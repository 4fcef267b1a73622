// One matcher per package family. The list is explicit (MATCHERS); no registration by import side effect.
import type { Finding } from '../core/finding.ts';
import type { MatchContext, Matcher } from '../core/interfaces.ts';
import type { Package } from '../core/package.ts';
import { normalizeName, schemeById } from '../version/index.ts';
import type { VersionScheme } from '../core/interfaces.ts';
import { osEcosystems, osFamily } from './os-ecosystem.ts';
import { search, type Search } from './search.ts';
import { createCargoMatcher, createGoMatcher, createMavenMatcher, createNpmMatcher } from './ecosystems.ts';

const scheme = (id: string): VersionScheme => schemeById(id)!;

type Os = MatchContext['os'];

/**
 * A matcher from the searches it makes for a package: `lookups` and `match` derive from the same list, so what is
 * prefetched is exactly what is read.
 */
function fromSearches(
  name: string,
  handles: (pkg: Package) => boolean,
  searches: (pkg: Package, os: Os) => Search[],
): Matcher {
  return {
    name,
    handles,
    lookups: (pkg, os) =>
      searches(pkg, os).flatMap((s) => s.ecosystems.map((ecosystem) => ({ ecosystem, name: s.name }))),
    match(pkg, ctx) {
      const list = searches(pkg, ctx.os);
      if (list.length === 1) return search(pkg, ctx, list[0]);
      const out: Finding[] = [];
      for (const s of list) out.push(...search(pkg, ctx, s));
      return out;
    },
  };
}

/** Debian/Ubuntu: advisories are per source package; the source version when known, else the binary version. */
export function createDpkgMatcher(): Matcher {
  return fromSearches(
    'dpkg',
    (pkg) => pkg.type === 'deb',
    (pkg, os) => {
      const meta = pkg.metadata.kind === 'dpkg' ? pkg.metadata : undefined;
      const ecosystems = osEcosystems(os);
      const isPro = (e: string): boolean => e.startsWith('Ubuntu:Pro:');
      const base = {
        matcher: 'dpkg',
        name: meta?.source || pkg.name,
        version: meta?.sourceVersion || pkg.version,
        scheme: scheme('dpkg'),
        vendor: os?.id ?? 'debian',
      };
      const pro = ecosystems.filter(isPro);
      return [
        { ...base, ecosystems: ecosystems.filter((e) => !isPro(e)) },
        ...(pro.length
          ? [
              {
                ...base,
                ecosystems: pro,
                note: 'Ubuntu Pro (ESM) advisory: the fix is published to Ubuntu Pro subscribers',
              },
            ]
          : []),
      ];
    },
  );
}

/** Alpine, Wolfi, Chainguard: advisories are per origin package. */
export function createApkMatcher(): Matcher {
  return fromSearches(
    'apk',
    (pkg) => pkg.type === 'apk',
    (pkg, os) => [
      {
        matcher: 'apk',
        ecosystems: osEcosystems(os),
        name: pkg.metadata.kind === 'apk' && pkg.metadata.origin ? pkg.metadata.origin : pkg.name,
        version: pkg.version,
        scheme: scheme('apk'),
        vendor: os?.id ?? 'alpine',
      },
    ],
  );
}

/** `openssl-3.0.7-24.el9.src.rpm` → `openssl` */
export function sourceRpmName(sourceRpm: string): string | undefined {
  const m = /^(.+)-[^-]+-[^-]+\.(?:no)?src\.rpm$/.exec(sourceRpm);
  return m?.[1];
}

/** Red Hat family and SUSE: advisories are per source RPM; version `[epoch:]version-release`. */
export function createRpmMatcher(): Matcher {
  return fromSearches(
    'rpm',
    (pkg) => pkg.type === 'rpm',
    (pkg, os) => {
      const meta = pkg.metadata.kind === 'rpm' ? pkg.metadata : undefined;
      const names = [
        ...new Set(
          [meta?.sourceRpm ? sourceRpmName(meta.sourceRpm) : undefined, pkg.name].filter((n): n is string => !!n),
        ),
      ];
      return names.map((name) => ({
        matcher: 'rpm',
        ecosystems: osEcosystems(os),
        name,
        version: pkg.version,
        scheme: scheme('rpm'),
        vendor: os?.id ?? 'redhat',
      }));
    },
  );
}

/** pip-installed Python packages against PyPI; those owned by an OS package are covered by the OS advisories. */
export function createPythonMatcher(): Matcher {
  return fromSearches(
    'python',
    (pkg) => pkg.type === 'python' && !pkg.ownedBy,
    (pkg) => [
      {
        matcher: 'python',
        ecosystems: ['PyPI'],
        name: normalizeName(pkg.name),
        version: pkg.version,
        scheme: scheme('pep440'),
        vendor: 'pypi',
      },
    ],
  );
}

/**
 * conda package → PyPI project, with how sure the mapping is: `exact` (same project, same name), `high` (same
 * project, renamed), `medium` (a conda build of the project that may bundle or split parts of it).
 */
export const CONDA_TO_PYPI: Readonly<Record<string, { name: string; confidence: 'exact' | 'high' | 'medium' }>> =
  Object.freeze({
    pytorch: { name: 'torch', confidence: 'high' },
    'pytorch-gpu': { name: 'torch', confidence: 'high' },
    'pytorch-cpu': { name: 'torch', confidence: 'high' },
    torchvision: { name: 'torchvision', confidence: 'exact' },
    torchaudio: { name: 'torchaudio', confidence: 'exact' },
    tensorflow: { name: 'tensorflow', confidence: 'exact' },
    'tensorflow-base': { name: 'tensorflow', confidence: 'high' },
    'tensorflow-gpu': { name: 'tensorflow-gpu', confidence: 'exact' },
    'py-opencv': { name: 'opencv-python', confidence: 'medium' },
    pillow: { name: 'pillow', confidence: 'exact' },
    numpy: { name: 'numpy', confidence: 'exact' },
    'numpy-base': { name: 'numpy', confidence: 'high' },
    scipy: { name: 'scipy', confidence: 'exact' },
    pandas: { name: 'pandas', confidence: 'exact' },
    'scikit-learn': { name: 'scikit-learn', confidence: 'exact' },
    transformers: { name: 'transformers', confidence: 'exact' },
    tokenizers: { name: 'tokenizers', confidence: 'exact' },
    requests: { name: 'requests', confidence: 'exact' },
    urllib3: { name: 'urllib3', confidence: 'exact' },
    certifi: { name: 'certifi', confidence: 'exact' },
    idna: { name: 'idna', confidence: 'exact' },
    jinja2: { name: 'jinja2', confidence: 'exact' },
    pyyaml: { name: 'pyyaml', confidence: 'exact' },
    cryptography: { name: 'cryptography', confidence: 'exact' },
    setuptools: { name: 'setuptools', confidence: 'exact' },
    pip: { name: 'pip', confidence: 'exact' },
    wheel: { name: 'wheel', confidence: 'exact' },
    aiohttp: { name: 'aiohttp', confidence: 'exact' },
    tornado: { name: 'tornado', confidence: 'exact' },
    werkzeug: { name: 'werkzeug', confidence: 'exact' },
    flask: { name: 'flask', confidence: 'exact' },
    lxml: { name: 'lxml', confidence: 'exact' },
    protobuf: { name: 'protobuf', confidence: 'medium' },
    mlflow: { name: 'mlflow', confidence: 'exact' },
    notebook: { name: 'notebook', confidence: 'exact' },
    jupyterlab: { name: 'jupyterlab', confidence: 'exact' },
    jupyter_server: { name: 'jupyter-server', confidence: 'exact' },
    nltk: { name: 'nltk', confidence: 'exact' },
    onnx: { name: 'onnx', confidence: 'exact' },
    ray: { name: 'ray', confidence: 'exact' },
    'ray-core': { name: 'ray', confidence: 'high' },
    gradio: { name: 'gradio', confidence: 'exact' },
    keras: { name: 'keras', confidence: 'exact' },
  });

/** conda packages against PyPI advisories through CONDA_TO_PYPI (PEP 440 comparison of the conda version). */
export function createCondaMatcher(): Matcher {
  return fromSearches(
    'conda',
    (pkg) => pkg.type === 'conda' && Object.hasOwn(CONDA_TO_PYPI, pkg.name.toLowerCase()),
    (pkg) => {
      const map = CONDA_TO_PYPI[pkg.name.toLowerCase()];
      return [
        {
          matcher: 'conda',
          ecosystems: ['PyPI'],
          name: map.name,
          version: pkg.version,
          scheme: scheme('pep440'),
          vendor: 'pypi',
          note: `conda package ${pkg.name} matched as PyPI project ${map.name} (confidence: ${map.confidence})`,
        },
      ];
    },
  );
}

/** NVIDIA components (metadata.kind 'cuda') → NVD CPE products. */
export const CUDA_TO_CPE: Readonly<Record<string, string[]>> = Object.freeze({
  'cuda-toolkit': ['cuda_toolkit'],
  cudnn: ['cudnn'],
  tensorrt: ['tensorrt'],
  'gpu-driver': ['gpu_display_driver'],
  driver: ['gpu_display_driver'],
  nccl: ['nccl'],
  'triton-server': ['triton_inference_server'],
  'container-toolkit': ['container_toolkit'],
});

/** NVIDIA components against NVD CPE ranges (ecosystem `NVIDIA`). */
export function createCudaMatcher(): Matcher {
  return fromSearches(
    'cuda-cpe',
    (pkg) => pkg.metadata.kind === 'cuda' && Object.hasOwn(CUDA_TO_CPE, pkg.metadata.component),
    (pkg) => {
      const component = pkg.metadata.kind === 'cuda' ? pkg.metadata.component : pkg.name;
      return CUDA_TO_CPE[component].map((product) => ({
        matcher: 'cuda-cpe',
        ecosystems: ['NVIDIA'],
        name: product,
        version: pkg.version,
        scheme: scheme('cpe'),
        vendor: 'nvidia',
        note: `NVIDIA component ${component} matched as CPE product nvidia:${product}`,
      }));
    },
  );
}

/** Every matcher, in the order their evidence is listed on a merged finding. */
export function createMatchers(): Matcher[] {
  return [
    createDpkgMatcher(),
    createApkMatcher(),
    createRpmMatcher(),
    createPythonMatcher(),
    createCondaMatcher(),
    createCudaMatcher(),
    createNpmMatcher(),
    createMavenMatcher(),
    createGoMatcher(),
    createCargoMatcher(),
  ];
}

/** Whether an OS package's family fits the image OS (a deb on an Alpine image has no distro advisories to match). */
export function familyFits(pkg: Package, osId: string | undefined): boolean {
  const fam = osFamily(osId);
  if (pkg.type === 'deb') return fam === 'dpkg';
  if (pkg.type === 'apk') return fam === 'apk';
  if (pkg.type === 'rpm') return fam === 'rpm';
  return true;
}

export type { MatchContext };
