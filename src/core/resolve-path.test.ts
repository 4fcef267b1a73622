import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveInTree, type TreeNode } from './resolve-path.ts';
import { entryTypeOf } from './entry.ts';
import { lstatSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

// a merged-/usr tree: /bin → usr/bin, /lib → usr/lib, a relative chain, a loop and a dangling link
const TREE: Record<string, TreeNode> = {
  '/bin': { type: 'symlink', linkTarget: 'usr/bin' },
  '/lib': { type: 'symlink', linkTarget: '/usr/lib' },
  '/usr': { type: 'dir' },
  '/usr/bin': { type: 'dir' },
  '/usr/bin/python3': { type: 'symlink', linkTarget: 'python3.11' },
  '/usr/bin/python3.11': { type: 'file' },
  '/usr/bin/py-up': { type: 'symlink', linkTarget: '../../../../usr/bin/python3' },
  '/usr/lib': { type: 'dir' },
  '/usr/lib/libz.so.1': { type: 'hardlink', linkTarget: '/usr/lib/libz.so.1.3' },
  '/usr/lib/libz.so.1.3': { type: 'file' },
  '/loop-a': { type: 'symlink', linkTarget: 'loop-b' },
  '/loop-b': { type: 'symlink', linkTarget: '/loop-a' },
  '/dangling': { type: 'symlink', linkTarget: '/nowhere' },
};
const lookup = (p: string): TreeNode | undefined => TREE[p];

test('resolveInTree follows links in every component, relative and absolute, clamped at /', () => {
  assert.deepEqual(resolveInTree('/bin/python3', lookup), {
    real: '/usr/bin/python3.11',
    links: ['/bin', '/usr/bin/python3'],
  });
  assert.equal(resolveInTree('/usr/bin/py-up', lookup).real, '/usr/bin/python3.11');
  assert.equal(resolveInTree('/lib/../bin/./python3.11', lookup).real, '/usr/bin/python3.11');
  assert.equal(resolveInTree('/lib/libz.so.1', lookup).real, '/usr/lib/libz.so.1.3');
  assert.equal(resolveInTree('/', lookup).real, '/');
});

test('resolveInTree: loops, dangling links, missing paths and files used as directories resolve to nothing', () => {
  assert.equal(resolveInTree('/loop-a', lookup).real, undefined);
  assert.deepEqual(resolveInTree('/dangling', lookup), { links: ['/dangling'] });
  assert.equal(resolveInTree('/usr/bin/missing', lookup).real, undefined);
  assert.equal(resolveInTree('/usr/bin/python3.11/x', lookup).real, undefined);
});

test('resolveInTree options: implicit parent directories, hard links left as they are', () => {
  const sparse: Record<string, TreeNode> = {
    '/opt/app/bin': { type: 'symlink', linkTarget: '../app/lib' },
    '/opt/app/lib/tool': { type: 'hardlink', linkTarget: '/usr/bin/tool' },
  };
  const get = (p: string): TreeNode | undefined => sparse[p];
  assert.equal(resolveInTree('/opt/app/bin/tool', get).real, undefined, '/opt is not listed');
  assert.equal(resolveInTree('/opt/app/bin/tool', get, { implicitDirs: true }).real, '/usr/bin/tool');
  assert.equal(
    resolveInTree('/opt/app/bin/tool', get, { implicitDirs: true, followHardlinks: false }).real,
    '/opt/app/lib/tool',
  );
  assert.equal(
    resolveInTree('/opt/app/missing', get, { implicitDirs: true }).real,
    undefined,
    'the last one must exist',
  );
});

test('entryTypeOf reads lstat results and directory entries alike', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-entry-'));
  try {
    writeFileSync(join(dir, 'f'), 'x');
    symlinkSync('f', join(dir, 'l'));
    assert.equal(entryTypeOf(lstatSync(join(dir, 'f'))), 'file');
    assert.equal(entryTypeOf(lstatSync(join(dir, 'l'))), 'symlink');
    assert.equal(entryTypeOf(lstatSync(dir)), 'dir');
    assert.equal(entryTypeOf(lstatSync('/dev/null')), 'char');
    const kinds = Object.fromEntries(readdirSync(dir, { withFileTypes: true }).map((d) => [d.name, entryTypeOf(d)]));
    assert.deepEqual(kinds, { f: 'file', l: 'symlink' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
