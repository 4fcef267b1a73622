import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createElfSink, parseElfFile } from './parse-elf.ts';
import type { ElfInfo } from '../core/fact.ts';

/** What readelf says about a file, in the ElfInfo shape. */
function readelf(file: string): ElfInfo {
  const out = execFileSync('readelf', ['-h', '-l', '-d', '-S', '-W', file], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  });
  const cls = /Class:\s+ELF(\d+)/.exec(out)![1];
  const type = /Type:\s+(\w+)/.exec(out)![1];
  const machine = /Machine:\s+(.+)/.exec(out)![1].trim();
  const bracket = (tag: string) =>
    [...out.matchAll(new RegExp(`\\(${tag}\\)\\s+[^\\[]*\\[([^\\]]*)\\]`, 'g'))].map((m) => m[1]);
  let debugBytes = 0,
    symtab = false;
  for (const m of out.matchAll(/^\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)/gm)) {
    if (m[2] === 'SYMTAB') symtab = true;
    if (/^\.z?debug_/.test(m[1]) && m[2] !== 'NOBITS') debugBytes += parseInt(m[3], 16);
  }
  const machines: Record<string, string> = {
    'Advanced Micro Devices X86-64': 'x86-64',
    'Intel 80386': 'x86',
    AArch64: 'aarch64',
  };
  return {
    class: Number(cls) as 32 | 64,
    machine: machines[machine] ?? machine,
    type: ({ EXEC: 'exec', DYN: 'dyn', REL: 'rel', CORE: 'core' } as Record<string, ElfInfo['type']>)[type] ?? 'other',
    interpreter: /\[Requesting program interpreter: ([^\]]+)\]/.exec(out)?.[1],
    needed: bracket('NEEDED'),
    rpath: bracket('RPATH')
      .flatMap((s) => s.split(':'))
      .filter(Boolean),
    runpath: bracket('RUNPATH')
      .flatMap((s) => s.split(':'))
      .filter(Boolean),
    soname: bracket('SONAME')[0],
    debugBytes,
    stripped: !symtab && debugBytes === 0,
  };
}

const clean = (e: ElfInfo | undefined) => e && JSON.parse(JSON.stringify(e));

let dir = '';
const files: Record<string, string> = {};
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'zerocve-elf-'));
  writeFileSync(join(dir, 'lib.c'), 'int answer(void) { return 42; }\n');
  writeFileSync(
    join(dir, 'main.c'),
    '#include <stdio.h>\nint answer(void);\nint main(void) { printf("%d\\n", answer()); return 0; }\n',
  );
  const cc = (...args: string[]) => execFileSync('gcc', args, { cwd: dir });
  cc(
    '-g',
    '-shared',
    '-fPIC',
    '-Wl,-soname,libanswer.so.1',
    '-Wl,--disable-new-dtags',
    '-Wl,-rpath,$ORIGIN/../lib:/opt/x',
    'lib.c',
    '-o',
    'libanswer.so.1.0',
  );
  cc('-g', 'main.c', '-L.', '-l:libanswer.so.1.0', '-Wl,-rpath,$ORIGIN', '-o', 'main-debug');
  execFileSync('strip', ['-o', join(dir, 'main-stripped'), join(dir, 'main-debug')]);
  cc('-c', 'lib.c', '-o', 'lib.o');
  files.ls = '/bin/ls';
  files.libc = realpathSync('/usr/lib/x86_64-linux-gnu/libc.so.6');
  files.libstdcxx = realpathSync('/usr/lib/x86_64-linux-gnu/libstdc++.so.6');
  files.lib = join(dir, 'libanswer.so.1.0');
  files.debug = join(dir, 'main-debug');
  files.stripped = join(dir, 'main-stripped');
  files.object = join(dir, 'lib.o');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('streamed ELF facts equal readelf on real files', async () => {
  for (const [name, file] of Object.entries(files)) {
    const got = await parseElfFile(file);
    assert.deepEqual(got.problems, [], name);
    assert.deepEqual(clean(got.elf), clean(readelf(file)), name);
  }
});

test('the gcc -g build has debug bytes and its strip copy has none', async () => {
  const debug = (await parseElfFile(files.debug)).elf!;
  const stripped = (await parseElfFile(files.stripped)).elf!;
  assert.ok(debug.debugBytes > 0);
  assert.equal(debug.stripped, false);
  assert.equal(stripped.debugBytes, 0);
  assert.equal(stripped.stripped, true);
  assert.deepEqual(debug.needed, stripped.needed);
  assert.ok(debug.needed.includes('libanswer.so.1'));
  assert.deepEqual(debug.runpath, ['$ORIGIN']);
  const lib = (await parseElfFile(files.lib)).elf!;
  assert.equal(lib.soname, 'libanswer.so.1');
  assert.deepEqual(lib.rpath, ['$ORIGIN/../lib', '/opt/x']);
});

test('any chunking gives the same answer', async () => {
  for (const name of ['debug', 'lib', 'ls']) {
    const bytes = readFileSync(files[name]);
    const expected = clean(readelf(files[name]));
    for (const size of [1, 7, 63, 64, 65, 4096, bytes.length]) {
      const sink = createElfSink();
      for (let o = 0; o < bytes.length; o += size) sink.write(bytes.subarray(o, o + size));
      const got = sink.end();
      assert.deepEqual(got.problems, [], `${name} in ${size}-byte chunks`);
      assert.deepEqual(clean(got.elf), expected, `${name} in ${size}-byte chunks`);
    }
  }
});

test('dynamic strings beyond the raw prefix cap are found through the string index', async () => {
  const bytes = readFileSync(files.libstdcxx);
  for (const cap of [256, 4096]) {
    const sink = createElfSink({ rawPrefixCap: cap });
    for (let o = 0; o < bytes.length; o += 65536) sink.write(bytes.subarray(o, o + 65536));
    const got = sink.end();
    assert.deepEqual(got.problems, [], `cap ${cap}`);
    assert.deepEqual(clean(got.elf), clean(readelf(files.libstdcxx)), `cap ${cap}`);
  }
});

test('non-ELF and truncated input', () => {
  const script = createElfSink();
  script.write(Buffer.from('#!/bin/sh\necho hi\n'));
  assert.deepEqual(script.end(), { problems: [] });
  const bytes = readFileSync(files.debug);
  const cut = createElfSink();
  cut.write(bytes.subarray(0, 40));
  assert.deepEqual(cut.end().problems, ['truncated ELF header']);
  const half = createElfSink();
  half.write(bytes.subarray(0, 2000));
  const res = half.end();
  assert.ok(res.elf);
  assert.ok(
    res.problems.some((p) => p.startsWith('file ends at 2000')),
    res.problems.join('; '),
  );
});
