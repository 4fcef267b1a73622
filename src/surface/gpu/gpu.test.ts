// Fat binaries built here with nvcc, read back while streaming, and checked against the -gencode flags used and
// against the payloads themselves (each cubin payload is a CUDA ELF, each compressed payload a zstd frame that
// inflates to exactly the size the header claims).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  openSync,
  readSync,
  closeSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zstdDecompressSync } from 'node:zlib';
import type { Fact } from '../../core/fact.ts';
import type { EntryHeader } from '../../core/entry.ts';
import {
  createFatbinScanner,
  createGpuAnalyzer,
  summarizeDeviceCode,
  normalizeGpuArch,
  parseComputeCaps,
  cubinRunsOn,
  ptxJitsOn,
} from './index.ts';
import type { FatbinScanResult } from './index.ts';

const NVCC = existsSync('/usr/local/bin/nvcc') ? '/usr/local/bin/nvcc' : undefined;
const noNvcc = NVCC ? false : 'nvcc (CUDA) not installed at /usr/local/bin/nvcc';

const KERNEL =
  `
__global__ void add(float *a, const float *b, int n) { int i = blockIdx.x * blockDim.x + threadIdx.x; if (i ` +
  `< n) a[i] += b[i]; }
__global__ void scale(float *a, float s, int n) { int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) a[i] *= s; }
extern "C" void launch(float *a, const float *b, int n) { add<<<(n + 255) / 256, 256>>>(a, b, n); ` +
  `scale<<<1, 1>>>(a, 2.0f, n); }
`;

interface Build {
  name: string;
  flags: string[];
  cubins: string[];
  ptx: string[];
  compressAll: boolean;
}
const BUILDS: Build[] = [
  {
    name: 'libplain.so',
    flags: ['-gencode', 'arch=compute_80,code=sm_80', '-gencode', 'arch=compute_90,code=[sm_90,compute_90]'],
    cubins: ['sm_80', 'sm_90'],
    ptx: ['sm_90'],
    compressAll: false,
  },
  {
    name: 'libpacked.so',
    flags: [
      '-Xfatbin',
      '-compress-all',
      '-gencode',
      'arch=compute_75,code=[sm_75,compute_75]',
      '-gencode',
      'arch=compute_86,code=sm_86',
    ],
    cubins: ['sm_75', 'sm_86'],
    ptx: ['sm_75'],
    compressAll: true,
  },
  {
    name: 'libspecific.so',
    flags: ['-gencode', 'arch=compute_90a,code=[sm_90a,compute_90a]'],
    cubins: ['sm_90a'],
    ptx: ['sm_90a'],
    compressAll: false,
  },
];

let dir = '';
before(() => {
  if (!NVCC) return;
  dir = mkdtempSync(join(tmpdir(), 'zerocve-gpu-'));
  writeFileSync(join(dir, 'k.cu'), KERNEL);
  for (const b of BUILDS)
    execFileSync(NVCC, ['-shared', '-Xcompiler', '-fPIC', ...b.flags, 'k.cu', '-o', b.name], {
      cwd: dir,
      stdio: 'pipe',
    });
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function scanFile(path: string, chunkSize: number): FatbinScanResult {
  const scanner = createFatbinScanner({ fileSize: statSync(path).size });
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(chunkSize);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, chunkSize, null);
      if (n === 0) break;
      scanner.write(Buffer.from(buf.subarray(0, n)));
    }
  } finally {
    closeSync(fd);
  }
  return scanner.end();
}

function header(path: string, size: number, mode = 0o644): EntryHeader {
  return { path, type: 'file', mode, uid: 0, gid: 0, size, mtime: 0 };
}

async function analyzeFile(file: string, imagePath: string): Promise<Fact[]> {
  const analyzer = createGpuAnalyzer();
  const h = header(imagePath, statSync(file).size, 0o755);
  assert.equal(analyzer.wants(h), 'stream');
  const sink = analyzer.sink!(h);
  const data = readFileSync(file);
  for (let i = 0; i < data.length; i += 65536) sink.write(data.subarray(i, i + 65536));
  return sink.end();
}

for (const b of BUILDS) {
  test(`${b.name}: entries match the -gencode flags and the payloads`, { skip: noNvcc }, () => {
    const path = join(dir, b.name);
    const r = scanFile(path, 256 * 1024);
    assert.deepEqual(r.problems, []);
    assert.ok(r.containers >= 1);
    const cubinArchs = new Set(r.entries.filter((e) => e.kind === 'cubin').map((e) => e.arch));
    const ptxArchs = new Set(r.entries.filter((e) => e.kind === 'ptx').map((e) => e.arch));
    assert.deepEqual([...cubinArchs].sort(), [...b.cubins].sort());
    assert.deepEqual([...ptxArchs].sort(), [...b.ptx].sort());
    // the payloads: read them back at the reported offsets and check them independently of the header parser
    const data = readFileSync(path);
    for (const [i, e] of r.entries.entries()) {
      const at = r.payloadOffsets[i];
      const stored = data.subarray(at, at + e.size);
      if (b.compressAll) assert.equal(e.compressed, true, `${e.arch} ${e.kind} compressed under -compress-all`);
      const plain = e.compressed ? zstdDecompressSync(stored) : stored;
      assert.equal(
        plain.length >= e.uncompressedSize - 8 && plain.length <= e.uncompressedSize,
        true,
        `${e.kind} ${e.arch}: inflated ${plain.length} vs header ${e.uncompressedSize}`,
      );
      if (e.kind === 'cubin') {
        assert.equal(plain.subarray(0, 4).toString('latin1'), '\x7fELF');
        assert.equal(plain.readUInt16LE(18), 190, 'e_machine EM_CUDA');
        // the SM number is also in the cubin's ELF flags: bits 8-15 in the layout CUDA 12.8+ writes (OS ABI 0x41)
        const sm = Number(/^sm_(\d+)/.exec(e.arch)![1]);
        if (plain[7] === 0x41) assert.equal((plain.readUInt32LE(48) >> 8) & 0xff, sm, `e_flags of ${e.arch}`);
        else assert.equal(plain.readUInt32LE(48) & 0xff, sm, `e_flags of ${e.arch}`);
      } else {
        const text = plain.toString('utf8');
        assert.match(text, /\.version \d+\.\d+/);
        assert.match(text, new RegExp(`\\.target ${e.arch}\\b`));
        assert.match(text, /\.visible \.entry _Z3addPfPKfi/);
      }
      if (e.compressed) assert.ok(e.size < e.uncompressedSize);
    }
  });
}

test('chunk boundaries do not change the result (3-byte chunks split every magic and header)', { skip: noNvcc }, () => {
  const path = join(dir, 'libpacked.so');
  const whole = scanFile(path, 1 << 24);
  assert.ok(whole.entries.length > 0);
  for (const size of [3, 7, 4096]) assert.deepEqual(scanFile(path, size), whole, `${size}-byte chunks`);
});

test(
  'analyzer reports a fatbin fact; a file cut inside the section gives a problem, not a crash',
  { skip: noNvcc },
  async () => {
    const facts = await analyzeFile(join(dir, 'libplain.so'), '/usr/lib/libplain.so');
    assert.equal(facts.length, 1);
    assert.equal(facts[0].kind, 'fatbin');
    const full = readFileSync(join(dir, 'libplain.so'));
    const r = scanFile(join(dir, 'libplain.so'), 65536);
    const cut = join(dir, 'cut.so');
    writeFileSync(cut, full.subarray(0, r.payloadOffsets[1] + 10));
    const analyzer = createGpuAnalyzer();
    const h = header('/usr/lib/cut.so', full.length); // the tar header said more than the bytes that came
    const sink = analyzer.sink!(h);
    sink.write(readFileSync(cut));
    const got = await sink.end();
    const problems = got.filter((f) => f.kind === 'problem');
    assert.equal(problems.length, 1);
    assert.match(
      problems[0].kind === 'problem' ? problems[0].message : '',
      /^\/usr\/lib\/cut\.so: fatbin container at offset \d+: truncated/,
    );
  },
);

test('CUDA-free Debian binaries carry no device code', async () => {
  for (const file of [
    '/usr/lib/x86_64-linux-gnu/libc.so.6',
    '/usr/lib/x86_64-linux-gnu/libstdc++.so.6',
    '/usr/bin/ls',
  ]) {
    if (!existsSync(file)) continue;
    assert.deepEqual(await analyzeFile(file, file), [], file);
  }
});

test('wants: shared objects, executables and .fatbin files, by header only', () => {
  const a = createGpuAnalyzer();
  const cases: [EntryHeader, ReturnType<typeof a.wants>][] = [
    [header('/usr/lib/libtorch_cuda.so', 1 << 20), 'stream'],
    [header('/usr/local/cuda/lib64/libcublasLt.so.12.4.5', 1 << 20), 'stream'],
    [header('/opt/k.fatbin', 4096), 'stream'],
    [header('/usr/bin/tool', 4096, 0o755), 'stream'],
    [header('/usr/share/doc/readme.txt', 4096), null],
    [header('/usr/lib/libtiny.so', 100), null],
    [{ ...header('/usr/lib/libx.so', 0), type: 'symlink', linkTarget: 'libx.so.1' }, null],
  ];
  for (const [h, want] of cases) assert.equal(a.wants(h), want, h.path);
  assert.equal(createGpuAnalyzer({ executables: false }).wants(header('/usr/bin/tool', 4096, 0o755)), null);
});

test('arch names normalize and compatibility follows the CUDA rules', () => {
  const names: [string, string | undefined][] = [
    ['8.0', 'sm_80'],
    ['9.0a', 'sm_90a'],
    ['sm_86', 'sm_86'],
    ['compute_75', 'sm_75'],
    ['120', 'sm_120'],
    ['12.0', 'sm_120'],
    ['gpu', undefined],
  ];
  for (const [i, o] of names) assert.equal(normalizeGpuArch(i), o, i);
  const rules: [string, string, boolean, boolean][] = [
    // cubin, gpu, cubin runs, ptx jits
    ['sm_80', 'sm_86', true, true],
    ['sm_86', 'sm_80', false, false],
    ['sm_80', 'sm_90', false, true],
    ['sm_90a', 'sm_90', true, true],
    ['sm_90a', 'sm_100', false, false],
    ['sm_100f', 'sm_103', true, true],
    ['sm_100f', 'sm_120', false, false],
  ];
  for (const [c, g, runs, jits] of rules) {
    assert.equal(cubinRunsOn(c, g), runs, `cubin ${c} on ${g}`);
    assert.equal(ptxJitsOn(c, g), jits, `ptx ${c} on ${g}`);
  }
  assert.deepEqual(parseComputeCaps('8.0\n8.0\n9.0\n'), ['sm_80', 'sm_90']);
});

test('summarizeDeviceCode: what each target GPU loads, the rest is prunable', () => {
  const e = (kind: 'cubin' | 'ptx', arch: string, size: number) => ({
    kind,
    arch,
    size,
    uncompressedSize: size,
    compressed: false,
  });
  const facts: Fact[] = [
    {
      kind: 'fatbin',
      path: '/lib/a.so',
      entries: [e('cubin', 'sm_80', 100), e('cubin', 'sm_90', 200), e('ptx', 'sm_90', 50), e('cubin', 'sm_80', 10)],
    },
    { kind: 'fatbin', path: '/lib/b.so', entries: [e('cubin', 'sm_75', 40), e('ptx', 'sm_75', 7)] },
    { kind: 'problem', code: 'malformed', path: '/lib/c.so', analyzer: 'x', message: 'y' },
  ];
  const cases: { gpus: string[]; prunable: number; unsupported: Record<string, string[]>; keepPtx?: boolean }[] = [
    // A100-class: sm_80 cubins (both containers) serve it; everything else in a.so goes; b.so's PTX JITs
    { gpus: ['8.0'], prunable: 200 + 50 + 40, unsupported: { '/lib/a.so': [], '/lib/b.so': [] } },
    // sm_86 runs sm_80 cubins; b.so has no sm_8x cubin so its compute_75 PTX is JIT-compiled
    { gpus: ['sm_86'], prunable: 200 + 50 + 40, unsupported: { '/lib/a.so': [], '/lib/b.so': [] } },
    // sm_100: no cubin fits; highest PTX wins in each file
    { gpus: ['10.0'], prunable: 100 + 200 + 10 + 40, unsupported: { '/lib/a.so': [], '/lib/b.so': [] } },
    // sm_75: a.so has nothing for it (its PTX is compute_90)
    { gpus: ['7.5'], prunable: 360 + 7, unsupported: { '/lib/a.so': ['sm_75'], '/lib/b.so': [] } },
    { gpus: ['8.0', '9.0'], prunable: 50 + 40, unsupported: { '/lib/a.so': [], '/lib/b.so': [] } },
    { gpus: ['8.0'], keepPtx: true, prunable: 200 + 40, unsupported: { '/lib/a.so': [], '/lib/b.so': [] } },
    { gpus: [], prunable: 0, unsupported: { '/lib/a.so': [], '/lib/b.so': [] } },
  ];
  for (const c of cases) {
    const s = summarizeDeviceCode(facts, c.gpus, { keepPtx: c.keepPtx });
    assert.equal(s.totalBytes, 407);
    assert.equal(s.prunableBytes, c.prunable, `targets ${c.gpus.join(',')}`);
    assert.deepEqual(
      Object.fromEntries(s.files.map((f) => [f.path, f.unsupported])),
      c.unsupported,
      `targets ${c.gpus.join(',')}`,
    );
  }
  const s = summarizeDeviceCode(facts, ['8.0']);
  assert.deepEqual(s.files[0].byArch, { sm_80: { cubin: 110, ptx: 0 }, sm_90: { cubin: 200, ptx: 50 } });
  assert.deepEqual(
    s.archs.map((a) => a.arch),
    ['sm_90', 'sm_80', 'sm_75'],
  );
});

test(
  'summary of a real build for an sm_86 host: sm_80 kept, sm_90 and its PTX prunable',
  { skip: noNvcc },
  async () => {
    const facts = await analyzeFile(join(dir, 'libplain.so'), '/usr/lib/libplain.so');
    const s = summarizeDeviceCode(facts, ['8.6']);
    const f = s.files[0];
    const kept = f.entries.filter((x) => x.used);
    assert.ok(kept.length > 0 && kept.every((x) => x.arch === 'sm_80' && x.kind === 'cubin'));
    assert.equal(
      f.prunableBytes,
      f.entries.filter((x) => x.arch === 'sm_90').reduce((n, x) => n + x.size, 0),
    );
  },
);
