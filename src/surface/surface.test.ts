import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeSurface, isRootUser } from './surface.ts';
import { createSurfaceAnalyzers } from './analyzers.ts';
import { walkRoot, inventoryOf } from '../../test/support/walk-root.ts';
import { BLOAT_ROOT, debianRoot, mmdebstrapSkip } from './testing/debian-root.ts';
import type { Fact } from '../core/fact.ts';
import type { Inventory } from '../core/package.ts';

const EMPTY: Inventory = { packages: [], models: [], problems: [] };
const of = <K extends Fact['kind']>(facts: Fact[], kind: K) =>
  facts.filter((f): f is Extract<Fact, { kind: K }> => f.kind === kind);

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'zerocve-surface-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('user: root when empty, 0 or root', () => {
  for (const [user, root] of [
    [undefined, true],
    ['', true],
    ['0', true],
    ['root', true],
    ['0:0', true],
    ['root:wheel', true],
    ['1000', false],
    ['app', false],
    ['nobody:nogroup', false],
  ] as const) {
    assert.equal(isRootUser(user), root, String(user));
  }
});

test('a small real tree: shells through symlinks, setuid, world-writable, scripts vs ELF', async () => {
  const root = join(dir, 'small');
  for (const d of ['usr/bin', 'usr/sbin', 'tmp', 'data', 'opt/tools']) mkdirSync(join(root, d), { recursive: true });
  symlinkSync('usr/bin', join(root, 'bin'));
  copyFileSync('/bin/dash', join(root, 'usr/bin/dash'));
  symlinkSync('dash', join(root, 'usr/bin/sh'));
  symlinkSync('/usr/bin/missing', join(root, 'usr/bin/bash')); // dangling: not a shell
  writeFileSync(join(root, 'usr/bin/pip3'), '#!/usr/bin/python3\nimport pip\n');
  chmodSync(join(root, 'usr/bin/pip3'), 0o755);
  writeFileSync(join(root, 'opt/tools/uv'), '#!/bin/sh\n');
  chmodSync(join(root, 'opt/tools/uv'), 0o755);
  copyFileSync('/bin/ls', join(root, 'usr/bin/ls'));
  chmodSync(join(root, 'usr/bin/ls'), 0o4755);
  writeFileSync(join(root, 'usr/sbin/grp'), 'x');
  chmodSync(join(root, 'usr/sbin/grp'), 0o2755);
  chmodSync(join(root, 'tmp'), 0o1777);
  chmodSync(join(root, 'data'), 0o777);
  writeFileSync(join(root, 'data/open.txt'), 'hello');
  chmodSync(join(root, 'data/open.txt'), 0o666);
  const { entries: merged, facts } = await walkRoot(root, createSurfaceAnalyzers({}));
  const s = computeSurface({
    merged,
    inventory: EMPTY,
    config: { diffIds: [], user: 'app', env: ['PATH=/opt/tools:/usr/bin'] },
    elfFacts: of(facts, 'elf'),
    shebangFacts: of(facts, 'shebang'),
  });
  assert.deepEqual(s.shells, ['sh', 'dash']);
  assert.deepEqual(s.packageManagers, ['pip3', 'uv']);
  assert.deepEqual(
    s.setuid.map((f) => f.path),
    ['/usr/bin/ls'],
  );
  assert.deepEqual(
    s.setgid.map((f) => f.path),
    ['/usr/sbin/grp'],
  );
  assert.deepEqual(
    s.worldWritable.map((f) => f.path),
    ['/data', '/data/open.txt'],
  );
  assert.equal(s.executables, 5);
  assert.equal(s.elfExecutables, 2);
  assert.equal(s.scriptExecutables, 2);
  assert.deepEqual(
    of(facts, 'shebang')
      .map((f) => [f.path, f.interpreter])
      .sort(),
    [
      ['/opt/tools/uv', '/bin/sh'],
      ['/usr/bin/pip3', '/usr/bin/python3'],
    ],
  );
  assert.deepEqual(s.user, { configured: 'app', root: false });
  assert.equal(s.symlinks, 3);
});

test('a real Debian root agrees with find(1)', { skip: mmdebstrapSkip(), timeout: 15 * 60_000 }, async () => {
  const root = await debianRoot(BLOAT_ROOT);
  const { entries: merged, facts } = await walkRoot(root, createSurfaceAnalyzers({ elf: true }));
  const { inventory } = await inventoryOf(root);
  const s = computeSurface({
    merged,
    inventory,
    config: { diffIds: [] },
    elfFacts: of(facts, 'elf'),
    shebangFacts: of(facts, 'shebang'),
  });
  const find = (...args: string[]) =>
    execFileSync('find', ['.', ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 })
      .split('\n')
      .filter(Boolean)
      .map((p) => p.slice(1))
      .sort();
  assert.deepEqual(
    s.setuid.map((f) => f.path),
    find('-type', 'f', '-perm', '-4000'),
  );
  assert.deepEqual(
    s.setgid.map((f) => f.path),
    find('-type', 'f', '-perm', '-2000'),
  );
  assert.equal(s.directories, find('-mindepth', '1', '-type', 'd').length);
  assert.equal(s.symlinks, find('-type', 'l').length);
  assert.equal(s.files, find('-type', 'f').length);
  // ELF executables are the +x files starting with \x7fELF
  const exec = find('-type', 'f', '-perm', '/111', '-links', '1');
  const elfCount = Number(
    execFileSync(
      'sh',
      ['-c', `find . -type f -perm /111 -links 1 -size +0 -exec head -c4 {} \\; -printf '\\n' | grep -c '^.ELF'`],
      { cwd: root, encoding: 'utf8' },
    ).trim(),
  );
  assert.ok(s.executables >= exec.length);
  assert.ok(s.elfExecutables >= elfCount, `${s.elfExecutables} ≥ ${elfCount}`);
  for (const shell of ['sh', 'bash', 'dash']) assert.ok(s.shells.includes(shell), shell);
  for (const pm of ['apt', 'apt-get', 'dpkg']) assert.ok(s.packageManagers.includes(pm), pm);
  assert.ok(!s.packageManagers.includes('pip'));
  assert.deepEqual(s.user, { configured: '', root: true });
  assert.equal(s.packagesByType.deb, inventory.packages.length);
  assert.ok(s.worldWritable.every((f) => !f.path.startsWith('/tmp/')));
  assert.ok(!s.worldWritable.some((f) => f.path === '/tmp'), '/tmp has the sticky bit');
});
