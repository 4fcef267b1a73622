// CUDA components from real files written the way NVIDIA ships them (version.json, version headers, versioned
// libraries, torch/version.py, TensorFlow build_info.py), one component per name and version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInventory } from '../index.ts';
import { analyzeFiles } from '../../../test/support/walk-root.ts';
import { createCudaAnalyzer } from './analyzer.ts';

test('CUDA components from toolkit, headers, libraries and frameworks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-cuda-'));
  try {
    const files: Record<string, string> = {
      '/usr/local/cuda-12.1/version.json': JSON.stringify({
        cuda: { name: 'CUDA SDK', version: '12.1.1' },
        cuda_cudart: { name: 'CUDA Runtime (cudart)', version: '12.1.105' },
      }),
      '/usr/include/cudnn_version.h':
        '#ifndef CUDNN_VERSION_H_\n#define CUDNN_MAJOR 8\n#define CUDNN_MINOR 9\n' +
        '#define CUDNN_PATCHLEVEL 2\n#define CUDNN_VERSION (CUDNN_MAJOR * 1000 + CUDNN_MINOR * 100 + ' +
        'CUDNN_PATCHLEVEL)\n#endif\n',
      '/usr/lib/x86_64-linux-gnu/libcudnn_ops_infer.so.8.9.2': '',
      '/usr/lib/x86_64-linux-gnu/libcudnn.so.8.9.2': '',
      '/usr/include/nccl.h':
        '#define NCCL_MAJOR 2\n#define NCCL_MINOR 18\n#define NCCL_PATCH 3\n#define NCCL_SUFFIX ""\n',
      '/usr/local/cuda-12.1/lib64/libcudart.so.12.1.105': '',
      '/usr/local/cuda-12.1/lib64/libcublas.so.12.1.3.1': '',
      '/usr/include/x86_64-linux-gnu/NvInferVersion.h':
        '#define TRT_MAJOR_ENTERPRISE 10\n#define TRT_MINOR_ENTERPRISE 0\n#define TRT_PATCH_ENTERPRISE 1\n' +
        '#define NV_TENSORRT_MAJOR TRT_MAJOR_ENTERPRISE //!< major\n' +
        '#define NV_TENSORRT_MINOR TRT_MINOR_ENTERPRISE\n' +
        '#define NV_TENSORRT_PATCH TRT_PATCH_ENTERPRISE\n',
      '/usr/local/lib/python3.11/site-packages/torch/version.py':
        "from typing import Optional\n\n__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip']\n" +
        "__version__ = '2.1.0+cu121'\ndebug = False\ncuda: Optional[str] = '12.1'\n" +
        "git_version = '7bcf7da3a268b435777fe87c7794c382f444e86d'\nhip: Optional[str] = None\n",
      '/usr/local/lib/python3.11/site-packages/tensorflow/python/platform/build_info.py':
        "import collections\nbuild_info = collections.OrderedDict()\nbuild_info['cuda_version'] = '11.8'\n" +
        "build_info = {'cpu_compiler': '/usr/bin/gcc', 'cuda_version': '11.8', 'cudnn_version': '8', " +
        "'is_cuda_build': True}\n",
      '/usr/include/broken/cudnn_version.h': '#define CUDNN_MAJOR 8\n',
    };
    const list = Object.entries(files).map(([path, body], i) => {
      const source = join(dir, `f${i}`);
      writeFileSync(source, body);
      return { path, source };
    });
    const inv = buildInventory(await analyzeFiles([createCudaAnalyzer()], list));
    assert.deepEqual(
      inv.packages.map((p) => `${p.name}@${p.version} ${p.purl}`),
      [
        'cublas@12.1.3.1 pkg:generic/nvidia/cublas@12.1.3.1',
        'cuda-toolkit@12.1.1 pkg:generic/nvidia/cuda-toolkit@12.1.1?cuda=12.1',
        'cudart@12.1.105 pkg:generic/nvidia/cudart@12.1.105?cuda=12.1',
        'cudnn@8.9.2 pkg:generic/nvidia/cudnn@8.9.2',
        'nccl@2.18.3 pkg:generic/nvidia/nccl@2.18.3',
        'tensorflow-cuda@11.8 pkg:generic/nvidia/tensorflow-cuda@11.8?cuda=11.8',
        'tensorflow-cudnn@8 pkg:generic/nvidia/tensorflow-cudnn@8?cuda=11.8',
        'tensorrt@10.0.1 pkg:generic/nvidia/tensorrt@10.0.1',
        'torch@2.1.0+cu121 pkg:generic/nvidia/torch@2.1.0+cu121?cuda=12.1',
      ],
    );
    // cuDNN from its header and two libraries is one component with three locations
    assert.equal(inv.packages.find((p) => p.name === 'cudnn')?.locations.length, 3);
    assert.equal(inv.problems.length, 1);
    assert.match(inv.problems[0].message, /^\/usr\/include\/broken\/cudnn_version\.h: no cudnn version defines/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
