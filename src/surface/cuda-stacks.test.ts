import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { computeCudaStacks, cudaFamilyOf } from './cuda-stacks.ts';
import { createSurfaceAnalyzers } from './analyzers.ts';
import { walkRoot } from '../../test/support/walk-root.ts';
import { ldSearchDirs, parseLdSoConf } from './loader/parse-ld-so-conf.ts';
import type { Fact } from '../core/fact.ts';

const of = <K extends Fact['kind']>(facts: Fact[], kind: K) =>
  facts.filter((f): f is Extract<Fact, { kind: K }> => f.kind === kind);
const SP = '/usr/local/lib/python3.11/site-packages';

let work = '';
before(() => {
  work = mkdtempSync(join(tmpdir(), 'zerocve-cuda-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

test('family names', () => {
  const table: [string, ReturnType<typeof cudaFamilyOf>][] = [
    ['libcudart.so.12', { family: 'libcudart', major: '12' }],
    ['libcudart.so.12.4.127', { family: 'libcudart', major: '12' }],
    ['libcublasLt.so.12', { family: 'libcublasLt', major: '12' }],
    ['libcublas.so.12.1.3.1', { family: 'libcublas', major: '12' }],
    ['libcudnn_ops_infer.so.8', { family: 'libcudnn', major: '8' }],
    ['libcudnn.so.9', { family: 'libcudnn', major: '9' }],
    ['libnvrtc-builtins.so.12.4', { family: 'libnvrtc-builtins', major: '12' }],
    ['libnppig.so.12', { family: 'libnpp', major: '12' }],
    ['libcudart.so', { family: 'libcudart' }],
    ['libcuda.so.1', undefined],
    ['libc.so.6', undefined],
    ['libcudart_static.a', undefined],
  ];
  for (const [name, want] of table) assert.deepEqual(cudaFamilyOf(name), want, name);
});

test('ld.so.conf parsing and include order', () => {
  assert.deepEqual(parseLdSoConf('# comment\ninclude /etc/ld.so.conf.d/*.conf\n/opt/a:/opt/b/\nhwcap 0 nosegneg\n'), {
    dirs: ['/opt/a', '/opt/b'],
    includes: ['/etc/ld.so.conf.d/*.conf'],
  });
  const dirs = ldSearchDirs([
    { path: '/etc/ld.so.conf', dirs: ['/first'], includes: ['/etc/ld.so.conf.d/*.conf'] },
    {
      path: '/etc/ld.so.conf.d/x86_64-linux-gnu.conf',
      dirs: ['/usr/local/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu'],
      includes: [],
    },
    { path: '/etc/ld.so.conf.d/cuda.conf', dirs: ['/usr/local/cuda/lib64'], includes: [] },
    { path: '/etc/ld.so.conf.d/ignored.txt', dirs: ['/never'], includes: [] },
  ]);
  assert.deepEqual(dirs, [
    '/first',
    '/usr/local/cuda/lib64',
    '/usr/local/lib/x86_64-linux-gnu',
    '/lib/x86_64-linux-gnu',
  ]);
});

/**
 * Compile a real shared object into ROOT/path with a soname, DT_NEEDED on `needs` (found under `linkDirs`) and an
 * rpath.
 */
function so(
  root: string,
  path: string,
  opts: { soname: string; needs?: string[]; linkDirs?: string[]; rpath?: string; runpath?: boolean; pad?: number },
): void {
  const out = join(root, path);
  mkdirSync(dirname(out), { recursive: true });
  const src = join(work, `${opts.soname}.c`);
  writeFileSync(
    src,
    `static const char pad[${opts.pad ?? 16}] __attribute__((used)) = {1};\n` +
      `int f_${opts.soname.replace(/\W/g, '_')}(void) { return pad[0]; }\n`,
  );
  const args = [
    '-shared',
    '-fPIC',
    src,
    '-o',
    out,
    `-Wl,-soname,${opts.soname}`,
    opts.runpath ? '-Wl,--enable-new-dtags' : '-Wl,--disable-new-dtags',
  ];
  if (opts.rpath) args.push(`-Wl,-rpath,${opts.rpath}`);
  for (const d of opts.linkDirs ?? []) args.push(`-L${join(root, d)}`);
  args.push('-Wl,--no-as-needed'); // Debian's gcc drops DT_NEEDED on unused libraries otherwise
  for (const n of opts.needs ?? []) args.push(`-l:${n}`);
  execFileSync('gcc', args);
}

/** torch + nvidia wheels + a system toolkit, as pip and NVIDIA's images lay them out. */
function buildTree(root: string, torchRpathHasCublas: boolean): void {
  const nv = `${SP}/nvidia`;
  so(root, `${nv}/cuda_runtime/lib/libcudart.so.12`, { soname: 'libcudart.so.12', pad: 3000 });
  so(root, `${nv}/cublas/lib/libcublasLt.so.12`, { soname: 'libcublasLt.so.12', pad: 5000 });
  so(root, `${nv}/cublas/lib/libcublas.so.12`, {
    soname: 'libcublas.so.12',
    needs: ['libcublasLt.so.12'],
    linkDirs: [`${nv}/cublas/lib`],
    rpath: '$ORIGIN',
    pad: 4000,
  });
  so(root, `${nv}/cudnn/lib/libcudnn.so.9`, { soname: 'libcudnn.so.9', pad: 6000 });
  // the system toolkit: real files with versioned names, symlinks for the sonames, lib64 → targets/…/lib
  const tk = '/usr/local/cuda-12.4/targets/x86_64-linux/lib';
  so(root, `${tk}/libcudart.so.12.4.127`, { soname: 'libcudart.so.12', pad: 7000 });
  so(root, `${tk}/libcublasLt.so.12.4.5.8`, { soname: 'libcublasLt.so.12', pad: 9000 });
  symlinkSync('libcublasLt.so.12.4.5.8', join(root, tk, 'libcublasLt.so.12'));
  so(root, `${tk}/libcublas.so.12.4.5.8`, {
    soname: 'libcublas.so.12',
    needs: ['libcublasLt.so.12'],
    linkDirs: [tk],
    pad: 8000,
  });
  symlinkSync('libcudart.so.12.4.127', join(root, tk, 'libcudart.so.12'));
  symlinkSync('libcublas.so.12.4.5.8', join(root, tk, 'libcublas.so.12'));
  symlinkSync('targets/x86_64-linux/lib', join(root, '/usr/local/cuda-12.4/lib64'));
  symlinkSync('cuda-12.4', join(root, '/usr/local/cuda'));
  // an older cuDNN major from the distro
  so(root, '/usr/lib/x86_64-linux-gnu/libcudnn.so.8.9.2', { soname: 'libcudnn.so.8', pad: 11000 });
  mkdirSync(join(root, 'etc/ld.so.conf.d'), { recursive: true });
  writeFileSync(join(root, 'etc/ld.so.conf'), 'include /etc/ld.so.conf.d/*.conf\n');
  writeFileSync(join(root, 'etc/ld.so.conf.d/000_cuda.conf'), '/usr/local/cuda/lib64\n');
  writeFileSync(
    join(root, 'etc/ld.so.conf.d/x86_64-linux-gnu.conf'),
    '/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n',
  );
  // torch: libtorch_cuda with RPATH into the wheels, _C loading it through $ORIGIN/lib
  const rp = [
    '$ORIGIN/../../nvidia/cuda_runtime/lib',
    '$ORIGIN/../../nvidia/cudnn/lib',
    ...(torchRpathHasCublas ? ['$ORIGIN/../../nvidia/cublas/lib'] : []),
    '$ORIGIN',
  ].join(':');
  so(root, `${SP}/torch/lib/libtorch_cuda.so`, {
    soname: 'libtorch_cuda.so',
    needs: ['libcudart.so.12', 'libcublas.so.12', 'libcudnn.so.9'],
    linkDirs: [`${nv}/cuda_runtime/lib`, `${nv}/cublas/lib`, `${nv}/cudnn/lib`],
    rpath: rp,
  });
  so(root, `${SP}/torch/_C.cpython-311-x86_64-linux-gnu.so`, {
    soname: '_C.cpython-311-x86_64-linux-gnu.so',
    needs: ['libtorch_cuda.so'],
    linkDirs: [`${SP}/torch/lib`],
    rpath: '$ORIGIN/lib',
    runpath: true,
  });
}

async function stacks(root: string) {
  const { entries: merged, facts } = await walkRoot(root, createSurfaceAnalyzers({}));
  assert.deepEqual(of(facts, 'problem'), []);
  return computeCudaStacks({
    merged,
    elfFacts: of(facts, 'elf'),
    ldSoConf: of(facts, 'ld-so-conf'),
    config: { diffIds: [] },
  });
}

const size = (root: string, p: string) => statSync(join(root, p)).size;

test('torch loads the wheel copies through its RPATH; the toolkit copies and the old cuDNN are removable', async () => {
  const root = join(work, 'a');
  buildTree(root, true);
  const r = await stacks(root);
  if (process.env.ZEROCVE_PRINT) process.stdout.write(`${JSON.stringify(r, null, 1)}\n`);
  assert.deepEqual(r.loaders, [`${SP}/torch/_C.cpython-311-x86_64-linux-gnu.so`, `${SP}/torch/lib/libtorch_cuda.so`]);
  const fam = (n: string) => r.families.find((f) => f.family === n)!;
  const loadedDirs = (n: string) =>
    fam(n)
      .copies.filter((c) => c.loaded)
      .map((c) => c.dir);
  assert.deepEqual(loadedDirs('libcudart'), [`${SP}/nvidia/cuda_runtime/lib`]);
  assert.deepEqual(loadedDirs('libcublas'), [`${SP}/nvidia/cublas/lib`]);
  // libcublasLt comes in through libcublas's own $ORIGIN RPATH
  assert.deepEqual(loadedDirs('libcublasLt'), [`${SP}/nvidia/cublas/lib`]);
  assert.deepEqual(loadedDirs('libcudnn'), [`${SP}/nvidia/cudnn/lib`]);
  assert.deepEqual(new Set(fam('libcudnn').copies.map((c) => c.major)), new Set(['8', '9']));
  const tk = '/usr/local/cuda-12.4/targets/x86_64-linux/lib';
  assert.equal(fam('libcudart').removableBytes, size(root, `${tk}/libcudart.so.12.4.127`));
  assert.equal(fam('libcublas').removableBytes, size(root, `${tk}/libcublas.so.12.4.5.8`));
  assert.equal(fam('libcudnn').removableBytes, size(root, '/usr/lib/x86_64-linux-gnu/libcudnn.so.8.9.2'));
  assert.deepEqual(
    r.duplicates.map((f) => f.family),
    ['libcublas', 'libcublasLt', 'libcudart', 'libcudnn'],
  );
  assert.equal(
    r.removableBytes,
    r.duplicates.reduce((a, f) => a + f.removableBytes, 0),
  );
  // symlinks are not copies: each toolkit copy is one real file
  assert.deepEqual(fam('libcudart').copies.find((c) => c.dir === tk)!.files, [`${tk}/libcudart.so.12.4.127`]);
  const via = (needed: string) => r.edges.find((e) => e.needed === needed && e.from.endsWith('libtorch_cuda.so'))?.via;
  assert.equal(via('libcudart.so.12'), 'rpath');
});

test(
  'without the wheel in torch RPATH, ld.so.conf finds the ' + 'toolkit cuBLAS and the wheel copy is the removable one',
  async () => {
    const root = join(work, 'b');
    buildTree(root, false);
    const r = await stacks(root);
    const fam = (n: string) => r.families.find((f) => f.family === n)!;
    const tk = '/usr/local/cuda-12.4/targets/x86_64-linux/lib';
    assert.deepEqual(
      fam('libcublas')
        .copies.filter((c) => c.loaded)
        .map((c) => c.dir),
      [tk],
    );
    assert.equal(fam('libcublas').removableBytes, size(root, `${SP}/nvidia/cublas/lib/libcublas.so.12`));
    assert.equal(r.edges.find((e) => e.needed === 'libcublas.so.12')?.via, 'ld-so-conf');
    assert.equal(r.edges.find((e) => e.needed === 'libcublas.so.12')?.resolved, `${tk}/libcublas.so.12.4.5.8`);
    // libcudart still from the wheel
    assert.deepEqual(
      fam('libcudart')
        .copies.filter((c) => c.loaded)
        .map((c) => c.dir),
      [`${SP}/nvidia/cuda_runtime/lib`],
    );
  },
);

test('the same answer through the real walk of a dir: image', async () => {
  const { walkImage } = await import('../walk/index.ts');
  const root = join(work, 'c');
  buildTree(root, true);
  const direct = await stacks(root);
  const walked = await walkImage(
    { source: { target: `dir:${root}`, kind: 'dir' }, config: { diffIds: [] }, layers: [], rootDir: root },
    { analyzers: createSurfaceAnalyzers({}) },
  );
  const facts = walked.facts as Fact[];
  const r = computeCudaStacks({
    merged: walked.merged.entries(),
    elfFacts: of(facts, 'elf'),
    ldSoConf: of(facts, 'ld-so-conf'),
    config: { diffIds: [] },
  });
  assert.deepEqual(r, direct);
  assert.ok(r.removableBytes > 0);
});
