// NVIDIA/CUDA components (type `cuda`). Identity: `pkg:generic/nvidia/<component>@<version>` with qualifier
// `cuda=<major.minor or major>` when the CUDA version the component belongs to is known (built in buildInventory).
// Components: cuda-toolkit, cudart, cudnn, nccl, cublas, tensorrt (files), torch and tensorflow-cuda/-cudnn (the
// CUDA a framework was built with); the NVIDIA pip wheels are derived from Python packages in buildInventory.
import type { Analyzer } from '../../core/analyzer.ts';
import type { EntryHeader } from '../../core/entry.ts';
import type { Fact } from '../../core/fact.ts';
import type { Package, PackageMetadata } from '../../core/package.ts';
import { reasonOf } from '../../core/errors.ts';
import { baseName, newPackage, problemFact, text } from '../common.ts';
import {
  HEADER_RULES,
  LIBRARY_RULES,
  majorMinor,
  parseCudaVersionJson,
  parseCudaVersionTxt,
  parseDefines,
  parsePythonStringAssignments,
  parseTensorflowBuildInfo,
  versionFromDefines,
} from './parse-cuda.ts';

const NAME = 'cuda';
const TOOLKIT = /^\/usr\/local\/cuda[^/]*\/version\.(json|txt)$/;
const TORCH = /\/(?:site|dist)-packages\/torch\/version\.py$/;
const TF = /\/(?:site|dist)-packages\/tensorflow\/python\/platform\/build_info\.py$/;

type Via = Extract<PackageMetadata, { kind: 'cuda' }>['via'];

const viaOf = (path: string): Via =>
  /\/(?:site|dist)-packages\//.test(path)
    ? 'pip'
    : /\/(?:conda|miniconda\d*|anaconda\d*|mambaforge|miniforge\d*)\//.test(path) || path.includes('/envs/')
      ? 'conda'
      : 'system';

function cudaPkg(component: string, version: string, via: Via, cudaVersion?: string): Package {
  const meta: Extract<PackageMetadata, { kind: 'cuda' }> = { kind: 'cuda', component, via };
  if (cudaVersion) {
    meta.cudaVersion = cudaVersion;
    meta.cudaMajor = Number(cudaVersion.split('.')[0]);
  }
  return newPackage('cuda', component, version, meta);
}

function kindOf(entry: EntryHeader): 'toolkit' | 'header' | 'library' | 'torch' | 'tensorflow' | null {
  if (entry.type !== 'file') return null;
  const p = entry.path;
  const file = baseName(p);
  if (TOOLKIT.test(p)) return 'toolkit';
  if (file.endsWith('.h') && HEADER_RULES.some((r) => r.test.test(file))) return 'header';
  if (file.includes('.so.') && LIBRARY_RULES.some((r) => r.test.test(file))) return 'library';
  if (TORCH.test(p)) return 'torch';
  if (TF.test(p)) return 'tensorflow';
  return null;
}

export function createCudaAnalyzer(): Analyzer {
  return {
    name: NAME,
    version: 1,
    wants(entry) {
      const k = kindOf(entry);
      if (k === null) return null;
      return k === 'library' ? 'header' : { maxBytes: 1024 * 1024 };
    },
    analyze(entry, content): Fact[] {
      const p = entry.path;
      const file = baseName(p);
      const k = kindOf(entry);
      const one = (pkg: Package): Fact[] => [{ kind: 'packages', path: p, packages: [pkg] }];
      if (k === 'library') {
        for (const r of LIBRARY_RULES) {
          const m = r.test.exec(file);
          if (m)
            return one(cudaPkg(r.component, m[1], viaOf(p), r.component === 'cudart' ? majorMinor(m[1]) : undefined));
        }
        return [];
      }
      if (!content) return [];
      const t = text(content);
      if (k === 'toolkit') {
        let v: string | undefined;
        try {
          v = p.endsWith('.json') ? parseCudaVersionJson(t) : parseCudaVersionTxt(t);
        } catch (err) {
          return [problemFact(p, NAME, 'malformed', `${p}: cannot parse CUDA version file: ${reasonOf(err)}`)];
        }
        if (!v) return [problemFact(p, NAME, 'unidentified', `${p}: no CUDA version found`)];
        return one(cudaPkg('cuda-toolkit', v, 'system', majorMinor(v)));
      }
      if (k === 'header') {
        const rule = HEADER_RULES.find((r) => r.test.test(file))!;
        const v = versionFromDefines(parseDefines(t), rule.major, rule.minor, rule.patch);
        // cudnn.h of cuDNN ≥ 8 includes cudnn_version.h instead of defining the version: not a problem
        if (!v)
          return file === 'cudnn.h'
            ? []
            : [problemFact(p, NAME, 'unidentified', `${p}: no ${rule.component} version defines found`)];
        return one(cudaPkg(rule.component, v, viaOf(p)));
      }
      if (k === 'torch') {
        const a = parsePythonStringAssignments(t);
        const v = a.get('__version__');
        if (!v) return [problemFact(p, NAME, 'unidentified', `${p}: no __version__ string in torch/version.py`)];
        const cuda = a.get('cuda');
        // a CPU-only build (`cuda = None`) carries no CUDA: not a GPU component
        if (!cuda) return [];
        return one(cudaPkg('torch', v, 'framework', cuda));
      }
      if (k === 'tensorflow') {
        const info = parseTensorflowBuildInfo(t);
        const out: Package[] = [];
        if (info.cudaVersion) out.push(cudaPkg('tensorflow-cuda', info.cudaVersion, 'framework', info.cudaVersion));
        if (info.cudnnVersion) out.push(cudaPkg('tensorflow-cudnn', info.cudnnVersion, 'framework', info.cudaVersion));
        return out.length > 0 ? [{ kind: 'packages', path: p, packages: out }] : [];
      }
      return [];
    },
  };
}
