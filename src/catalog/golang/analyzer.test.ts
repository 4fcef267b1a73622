// Go build information: module lines with replacements, toolchain versions as semver, the packages made from them,
// and the streaming reader on real binaries at awkward chunk sizes (the Debian 12 fzf of the ecosystems fixture,
// compared with the whole-file read).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ecosystemImage, ecosystemSkip } from '../../../test/support/ecosystem-image.ts';
import { goPackages } from './analyzer.ts';
import { bufferFile, withoutSectionHeaders } from '../../../test/support/buffer-file.ts';
import { createGoBuildInfoSink, goVersionToSemver, parseModInfo, readGoBuildInfo } from './parse-go-buildinfo.ts';

test('golang: toolchain versions as Go vulndb semver', () => {
  const table: [string, string | undefined][] = [
    ['go1.19.8', 'v1.19.8'],
    ['go1.19', 'v1.19.0'],
    ['go1.21rc2', 'v1.21.0-rc.2'],
    ['go1.18beta1', 'v1.18.0-beta.1'],
    ['go1.26.5', 'v1.26.5'],
    ['go1.22.1 X:boringcrypto', 'v1.22.1'],
    ['devel go1.23-abc', undefined],
    ['', undefined],
  ];
  for (const [g, v] of table) assert.equal(goVersionToSemver(g), v, g);
});

test('golang: module lines, replacements and build settings become packages', () => {
  const info = parseModInfo(
    [
      'path\texample.com/cmd/tool',
      'mod\texample.com\tv1.2.3\th1:main=',
      'dep\tgolang.org/x/net\tv0.7.0\th1:net=',
      'dep\tgithub.com/old/lib\tv1.0.0\t',
      '=>\tgithub.com/fork/lib\tv1.0.1\th1:fork=',
      'dep\tgithub.com/local/lib\tv0.0.0',
      '=>\t../lib\t',
      'build\t-trimpath=true',
      'build\tGOOS=linux',
      'build\tvcs.revision=abc',
      '',
    ].join('\n'),
  );
  const pkgs = goPackages({ ...info, goVersion: 'go1.20.4', format: 'inline' });
  assert.deepEqual(
    pkgs.map((p) => `${p.name}@${p.version} ${p.metadata.kind === 'golang' ? p.metadata.role : ''}`),
    [
      'example.com@v1.2.3 main',
      'golang.org/x/net@v0.7.0 dep',
      'github.com/old/lib@v1.0.0 dep',
      'github.com/local/lib@v0.0.0 dep',
      'stdlib@v1.20.4 stdlib',
    ],
  );
  const old = pkgs.find((p) => p.name === 'github.com/old/lib')!.metadata;
  assert.deepEqual(old.kind === 'golang' && old.replacedBy, {
    path: 'github.com/fork/lib',
    version: 'v1.0.1',
    sum: 'h1:fork=',
  });
  const local = pkgs.find((p) => p.name === 'github.com/local/lib')!.metadata;
  assert.deepEqual(local.kind === 'golang' && local.replacedBy, { path: '../lib' });
  const std = pkgs.find((p) => p.name === 'stdlib')!.metadata;
  assert.deepEqual(std.kind === 'golang' && std.settings, {
    '-trimpath': 'true',
    GOOS: 'linux',
    'vcs.revision': 'abc',
  });
  assert.equal(info.path, 'example.com/cmd/tool');
});

test(
  'golang: streaming is independent of chunk boundaries (real binaries)',
  { skip: ecosystemSkip(), timeout: 40 * 60_000 },
  async () => {
    const img = await ecosystemImage();
    for (const file of [
      join(img.debianRoot, 'usr/bin/fzf'),
      join(img.appRoot, 'opt/esbuild/bin/esbuild'),
      join(img.appRoot, 'opt/bullseye/usr/bin/fzf'),
    ]) {
      const bytes = readFileSync(file);
      const whole = createGoBuildInfoSink();
      whole.write(bytes);
      const ref = whole.end();
      assert.ok(ref.info?.goVersion.startsWith('go1.'), file);
      for (const size of [7, 4093, 65536]) {
        if (size === 7 && bytes.length > 4 << 20) continue; // 7-byte chunks of an 11 MB file: slow, not informative
        const s = createGoBuildInfoSink();
        for (let o = 0; o < bytes.length; o += size) s.write(bytes.subarray(o, o + size));
        assert.deepEqual(s.end(), ref, `${file} in chunks of ${size}`);
      }
    }
    // not ELF, and ELF without Go: nothing
    const text = createGoBuildInfoSink();
    text.write(Buffer.from('#!/bin/sh\necho hi\n'));
    assert.deepEqual(text.end(), { problems: [] });
    const ls = createGoBuildInfoSink();
    ls.write(readFileSync('/usr/bin/ls'));
    assert.deepEqual(ls.end(), { problems: [] });
  },
);

test(
  'golang: read at random (an unpacked root), the same answer as streaming, from part of the file',
  { skip: ecosystemSkip(), timeout: 40 * 60_000 },
  async () => {
    const img = await ecosystemImage();
    const streamed = (bytes: Buffer): ReturnType<ReturnType<typeof createGoBuildInfoSink>['end']> => {
      const s = createGoBuildInfoSink();
      s.write(bytes);
      return s.end();
    };
    // [file, part of the file read at most]: Debian 12's fzf has a 1.18+ `.go.buildinfo` (a few KiB are read);
    // Debian 11's (pre-1.18 pointers) has its modinfo string header in .bss, outside the file, and esbuild's no
    // `.go.buildinfo`: both are searched whole but for their machine code (.text, about half of each);
    // /usr/bin/ls has sections and none of Go's
    for (const [file, most, format] of [
      [join(img.debianRoot, 'usr/bin/fzf'), 0.05, 'inline'],
      [join(img.appRoot, 'opt/bullseye/usr/bin/fzf'), 0.75, 'pointer'],
      [join(img.appRoot, 'opt/esbuild/bin/esbuild'), 0.75, 'framed'],
      ['/usr/bin/ls', 0.25, undefined],
    ] as const) {
      const bytes = readFileSync(file);
      const f = bufferFile(bytes);
      const got = await readGoBuildInfo(f);
      assert.deepEqual(got, streamed(bytes), file);
      assert.equal(got.info?.format, format, file);
      assert.ok(f.bytesRead <= most * bytes.length, `${file}: read ${f.bytesRead} of ${bytes.length} bytes`);
      // without section headers: the whole file, through the streaming reader
      const bare = withoutSectionHeaders(bytes);
      const g = bufferFile(bare);
      assert.deepEqual(await readGoBuildInfo(g), streamed(bare), `${file} without section headers`);
      assert.equal(g.bytesRead >= bare.length, true, `${file} without section headers is read whole`);
    }
    assert.deepEqual(await readGoBuildInfo(bufferFile(Buffer.from('#!/bin/sh\necho hi\n'))), { problems: [] });
  },
);
