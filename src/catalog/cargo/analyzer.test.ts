// cargo auditable: a real Rust binary compiled here by rustc with a `.dep-v0` section (zlib-compressed JSON in the
// layout cargo auditable writes; cargo-auditable itself cannot be installed on this machine), read back whatever
// the chunk size; a binary without the section and a C binary say nothing.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, constants } from 'node:zlib';
import { buildInventory } from '../index.ts';
import { analyzeFiles } from '../../../test/support/walk-root.ts';
import { createCargoAnalyzer } from './analyzer.ts';
import { bufferFile, withoutSectionHeaders } from '../../../test/support/buffer-file.ts';
import { createCargoAuditableSink, readCargoAuditable } from './parse-cargo-auditable.ts';

const rustc = spawnSync('rustc', ['--version']).status === 0;
const DEPS = {
  packages: [
    { name: 'hello', version: '0.1.0', source: 'local', kind: 'runtime', dependencies: [1, 2], root: true },
    { name: 'time', version: '0.1.45', source: 'crates.io', kind: 'runtime', dependencies: [] },
    { name: 'cc', version: '1.0.83', source: 'crates.io', kind: 'build', dependencies: [] },
    { name: 'smallvec', version: '1.6.0', source: 'git+https://github.com/servo/rust-smallvec', dependencies: [] },
  ],
};

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function build(withSection: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-rust-'));
  dirs.push(dir);
  const z = deflateSync(Buffer.from(JSON.stringify(DEPS)), { level: constants.Z_BEST_COMPRESSION });
  writeFileSync(join(dir, 'dep-v0.z'), z);
  const section = withSection
    ? `#[used]\n#[link_section = ".dep-v0"]\nstatic AUDITABLE: [u8; ${z.length}] = *include_bytes!("dep-v0.z");\n`
    : '';
  writeFileSync(join(dir, 'main.rs'), `${section}fn main() { println!("hello"); }\n`);
  execFileSync('rustc', ['-O', '-o', join(dir, 'hello'), join(dir, 'main.rs')], { stdio: 'ignore' });
  return join(dir, 'hello');
}

test(
  'cargo: crates of a real binary with a .dep-v0 section, at any chunk size',
  { skip: !rustc && 'needs rustc' },
  async () => {
    const bin = build(true);
    // the section is really there (the reference: the ELF section table, read by readelf)
    assert.match(execFileSync('readelf', ['-S', '-W', bin], { encoding: 'utf8' }), /\.dep-v0/);
    const inv = buildInventory(await analyzeFiles([createCargoAnalyzer()], [{ path: '/usr/bin/hello', source: bin }]));
    assert.deepEqual(
      inv.packages.map((p) => `${p.name}@${p.version} ${p.purl}`),
      [
        'cc@1.0.83 pkg:cargo/cc@1.0.83',
        'hello@0.1.0 pkg:cargo/hello@0.1.0',
        'smallvec@1.6.0 pkg:cargo/smallvec@1.6.0',
        'time@0.1.45 pkg:cargo/time@0.1.45',
      ],
    );
    assert.deepEqual(inv.packages.find((p) => p.name === 'cc')?.metadata, {
      kind: 'cargo',
      source: 'crates.io',
      dependencyKind: 'build',
    });
    assert.equal((inv.packages.find((p) => p.name === 'hello')?.metadata as { root?: boolean }).root, true);
    assert.deepEqual(inv.problems, []);
    const bytes = readFileSync(bin);
    for (const size of [1000, 4096, 65536]) {
      const s = createCargoAuditableSink();
      for (let o = 0; o < bytes.length; o += size) s.write(bytes.subarray(o, o + size));
      assert.deepEqual(
        s.end().crates?.map((c) => c.name),
        ['hello', 'time', 'cc', 'smallvec'],
        `chunks of ${size}`,
      );
    }
  },
);

test('cargo: binaries without the section say nothing', { skip: !rustc && 'needs rustc' }, async () => {
  const facts = await analyzeFiles(
    [createCargoAnalyzer()],
    [
      { path: '/usr/bin/plain', source: build(false) },
      { path: '/usr/bin/ls', source: '/usr/bin/ls' },
    ],
  );
  assert.deepEqual(facts, []);
});

test(
  'cargo: read at random (an unpacked root), `.dep-v0` alone gives the streaming answer',
  { skip: !rustc && 'needs rustc' },
  async () => {
    const streamed = (bytes: Buffer): ReturnType<ReturnType<typeof createCargoAuditableSink>['end']> => {
      const s = createCargoAuditableSink();
      s.write(bytes);
      return s.end();
    };
    for (const [file, crates] of [
      [build(true), 4],
      [build(false), 0],
      ['/usr/bin/ls', 0],
    ] as const) {
      const bytes = readFileSync(file);
      const f = bufferFile(bytes);
      const got = await readCargoAuditable(f);
      assert.deepEqual(got, streamed(bytes), file);
      assert.equal(got.crates?.length ?? 0, crates, file);
      // the ELF and section headers, the section names and `.dep-v0`: a few KiB of a binary of hundreds
      assert.ok(f.bytesRead < 32 << 10, `${file}: read ${f.bytesRead} of ${bytes.length} bytes`);
      // without section headers the whole file is searched, as a stream
      const bare = withoutSectionHeaders(bytes);
      const g = bufferFile(bare);
      assert.deepEqual(await readCargoAuditable(g), streamed(bare), `${file} without section headers`);
      assert.ok(g.bytesRead >= bare.length, `${file} without section headers is read whole`);
    }
  },
);
