import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyPath, computeBloat } from './bloat.ts';
import { createSurfaceAnalyzers } from './analyzers.ts';
import { walkRoot, inventoryOf } from '../../test/support/walk-root.ts';
import { BLOAT_ROOT, debianRoot, mmdebstrapSkip } from './testing/debian-root.ts';
import type { Fact } from '../core/fact.ts';
import type { BloatReport } from '../core/report.ts';

const of = <K extends Fact['kind']>(facts: Fact[], kind: K) =>
  facts.filter((f): f is Extract<Fact, { kind: K }> => f.kind === kind);
const cat = (r: BloatReport, name: string) =>
  r.categories.find((c) => c.category === name) ?? { category: name, bytes: 0, files: 0 };
const sum = (r: BloatReport) => r.categories.reduce((a, c) => a + c.bytes, 0);

test('path classification', () => {
  const table: [string, string][] = [
    ['/usr/share/doc/bash/README', 'documentation'],
    ['/usr/share/doc/bash/copyright', 'licenses'],
    ['/usr/share/common-licenses/GPL-3', 'licenses'],
    ['/usr/lib/python3/dist-packages/numpy-1.24.dist-info/LICENSE.txt', 'licenses'],
    ['/usr/share/man/man1/ls.1.gz', 'documentation'],
    ['/usr/share/locale/de/LC_MESSAGES/coreutils.mo', 'locales'],
    ['/usr/include/stdio.h', 'headers'],
    ['/usr/local/lib/python3.11/site-packages/torch/include/ATen/ATen.h', 'headers'],
    ['/usr/lib/x86_64-linux-gnu/libc.a', 'static-libraries'],
    ['/usr/lib/debug/.build-id/ab/cdef.debug', 'debug'],
    ['/usr/lib/python3.11/json/__pycache__/decoder.cpython-311.pyc', 'caches'],
    ['/var/cache/apt/pkgcache.bin', 'caches'],
    ['/root/.cache/pip/http/a/b', 'caches'],
    ['/opt/conda/pkgs/numpy-1.26.tar.bz2', 'caches'],
    ['/usr/local/lib/python3.11/site-packages/numpy/core/tests/test_api.py', 'tests'],
    ['/usr/libexec/gcc/x86_64-linux-gnu/12/cc1', 'toolchains'],
    ['/usr/bin/x86_64-linux-gnu-gcc-12', 'toolchains'],
    ['/usr/bin/gcc-12', 'toolchains'],
    ['/usr/bin/x86_64-linux-gnu-ld.bfd', 'toolchains'],
    ['/usr/bin/make', 'toolchains'],
    ['/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1', 'toolchains'],
    ['/usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h', 'toolchains'],
    ['/usr/lib/x86_64-linux-gnu/libbfd-2.40-system.so', 'toolchains'],
    ['/var/lib/dpkg/status', 'package-databases'],
    ['/usr/lib/python3/dist-packages/numpy-1.24.dist-info/RECORD', 'package-databases'],
    ['/opt/conda/conda-meta/python-3.11.json', 'package-databases'],
    ['/usr/bin/python3.11', 'runtime'],
    ['/usr/lib/x86_64-linux-gnu/libc.so.6', 'runtime'],
    ['/usr/local/lib/python3.11/site-packages/torch/lib/libtorch_cuda.so', 'runtime'],
  ];
  for (const [path, expected] of table) assert.equal(classifyPath(path), expected, path);
});

test('a small real tree: debug split, device-code hook, duplicates, shadowed', async () => {
  const root = mkdtempSync(join(tmpdir(), 'zerocve-bloat-'));
  try {
    mkdirSync(join(root, 'app'), { recursive: true });
    mkdirSync(join(root, 'usr/share/doc/app'), { recursive: true });
    writeFileSync(join(root, 'app/main.c'), 'int main(void) { return 0; }\n');
    execFileSync('gcc', ['-g', '-O0', 'main.c', '-o', 'main'], { cwd: join(root, 'app') });
    const weights = Buffer.alloc(10_000, 3);
    writeFileSync(join(root, 'app/a.bin'), weights);
    writeFileSync(join(root, 'app/b.bin'), weights);
    writeFileSync(join(root, 'usr/share/doc/app/README'), 'read me\n');
    copyFileSync(join(root, 'app/a.bin'), join(root, 'usr/share/doc/app/a.bin')); // a third copy, already removable
    const { entries: merged, facts } = await walkRoot(root, createSurfaceAnalyzers({ elf: true, hashes: true }));
    const elfFacts = of(facts, 'elf');
    const debugBytes = elfFacts.find((f) => f.path === '/app/main')!.elf.debugBytes;
    assert.ok(debugBytes > 0);
    const r = computeBloat({
      merged,
      inventory: { packages: [], models: [], problems: [] },
      shadowed: [{ path: '/app/old.bin', layer: 0, size: 777 }],
      hashes: of(facts, 'content-hash'),
      elfFacts,
      deviceCodeBytes: (p) => (p === '/app/a.bin' ? 4000 : 0),
    });
    const expectedTotal = merged.filter((e) => e.type === 'file').reduce((a, e) => a + e.size, 0);
    assert.equal(r.totalBytes, expectedTotal);
    assert.equal(sum(r), r.totalBytes);
    assert.equal(cat(r, 'debug').bytes, debugBytes);
    assert.equal(cat(r, 'gpu-device-code').bytes, 4000);
    assert.equal(cat(r, 'documentation').bytes, 8 + 10_000);
    assert.deepEqual(
      r.duplicates.map((d) => d.paths),
      [['/app/a.bin', '/app/b.bin', '/usr/share/doc/app/a.bin']],
    );
    assert.equal(r.shadowedBytes, 777);
    // docs + debug + shadowed + one runtime copy of a.bin (the doc copy is counted as documentation already)
    assert.equal(r.removableBytes, 8 + 10_000 + debugBytes + 777 + 10_000);
    assert.ok(r.topOffenders.some((o) => o.category === 'duplicate' && o.bytes === 20_000));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test(
  'a real Debian root with python3 and build-essential',
  { skip: mmdebstrapSkip(), timeout: 15 * 60_000 },
  async () => {
    const root = await debianRoot(BLOAT_ROOT);
    const { entries: merged, facts } = await walkRoot(root, createSurfaceAnalyzers({ elf: true, hashes: true }));
    const { inventory } = await inventoryOf(root);
    const r = computeBloat({
      merged,
      inventory,
      shadowed: [],
      hashes: of(facts, 'content-hash'),
      elfFacts: of(facts, 'elf'),
    });
    // total bytes: every regular file once (hard links once), counted independently with find(1)
    const seen = new Set<string>();
    let total = 0;
    for (const line of execFileSync('find', ['.', '-type', 'f', '-printf', '%i %s\n'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    }).split('\n')) {
      const [ino, size] = line.split(' ');
      if (!ino || seen.has(ino)) continue;
      seen.add(ino);
      total += Number(size);
    }
    assert.equal(r.totalBytes, total);
    assert.equal(sum(r), r.totalBytes, 'categories add up');
    assert.equal(
      r.categories.reduce((a, c) => a + c.files, 0),
      seen.size,
      'every file in one category',
    );
    const cc1 = execFileSync('find', ['.', '-name', 'cc1', '-type', 'f'], { cwd: root, encoding: 'utf8' })
      .trim()
      .slice(1);
    assert.ok(cc1, 'cc1 present');
    assert.equal(classifyPath(cc1), 'toolchains');
    assert.equal(
      classifyPath(
        execFileSync('readlink', ['-f', join(root, 'usr/bin/gcc')], { encoding: 'utf8' })
          .trim()
          .slice(root.length),
      ),
      'toolchains',
    );
    assert.ok(cat(r, 'toolchains').bytes >= readFileSync(join(root, cc1)).length);
    assert.equal(r.buildOnlyBytes, cat(r, 'toolchains').bytes);
    const docBytes = Number(
      execFileSync(
        'sh',
        ['-c', "find usr/share/doc -type f ! -name copyright -printf '%s\\n' | awk '{s+=$1} END {print s}'"],
        { cwd: root, encoding: 'utf8' },
      ).trim(),
    );
    assert.ok(cat(r, 'documentation').bytes >= docBytes, 'all of /usr/share/doc but copyright is documentation');
    const pycBytes = Number(
      execFileSync(
        'sh',
        ['-c', "find . -path '*/__pycache__/*' -type f -printf '%s\\n' | awk '{s+=$1} END {print s+0}'"],
        { cwd: root, encoding: 'utf8' },
      ).trim(),
    );
    assert.ok(pycBytes > 0 && cat(r, 'caches').bytes >= pycBytes, '__pycache__ is caches');
    assert.ok(cat(r, 'headers').bytes > 1_000_000, '/usr/include');
    // duplicates: at least one, and every reported group really has identical bytes
    assert.ok(r.duplicates.length > 0, 'a duplicated file is found');
    for (const d of r.duplicates.slice(0, 20)) {
      const first = readFileSync(join(root, d.paths[0]));
      for (const p of d.paths.slice(1))
        assert.ok(first.equals(readFileSync(join(root, p))), `${p} equals ${d.paths[0]}`);
    }
    // packages: the compiler packages are build-only
    const gcc = r.byPackage!.find((p) => p.package === 'gcc-12')!;
    assert.ok(gcc.buildOnlyBytes > gcc.bytes * 0.5, 'gcc-12 is build-only');
    const ownedSum = r.byPackage!.reduce((a, p) => a + p.bytes, 0);
    assert.ok(ownedSum <= r.totalBytes && ownedSum > r.totalBytes * 0.7, 'most bytes are owned by a dpkg package');
    assert.ok(
      r.topOffenders.some((o) => o.path === '/usr/include' && o.category === 'headers'),
      'offender /usr/include',
    );
    assert.ok(
      r.topOffenders.some((o) => o.package === 'cpp-12' || o.package === 'gcc-12'),
      'offender compiler package',
    );
    assert.ok(r.removableBytes > 0 && r.removableBytes < r.totalBytes);
    if (process.env.ZEROCVE_PRINT)
      process.stdout.write(
        `${JSON.stringify({ ...r, duplicates: r.duplicates.length, byPackage: r.byPackage!.slice(0, 10) }, null, 1)}\n`,
      );
  },
);
