// The keep set and the dpkg rewrite, on the real Debian python3 fixture root (read only), checked against the
// image's own dynamic loader (`ld.so --list` run in a chroot) and against the status file itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureImage, fixtureSkip } from '../../../test/support/images.ts';
import { computeKeepSet } from './keep-set.ts';
import { globToRegExp } from '../../policy/index.ts';
import { dpkgKeep, rewriteDpkgStatus } from './dpkg.ts';
import { firstMissingPath } from './missing-path.ts';
import { resolveInRoot, snapshotRoot } from './root-fs.ts';

const skip = fixtureSkip() || (process.getuid?.() !== 0 ? 'needs root (chroot for the loader oracle)' : false);

test('globs: * within a component, ** across, ? one character', () => {
  const cases: [string, string, boolean][] = [
    ['/etc/*.conf', '/etc/a.conf', true],
    ['/etc/*.conf', '/etc/d/a.conf', false],
    ['/usr/lib/**', '/usr/lib/x/y/z.so', true],
    ['/usr/lib/**/*.so', '/usr/lib/a.so', true],
    ['/usr/lib/**/*.so', '/usr/lib/p/q/a.so', true],
    ['/usr/lib/**/*.so', '/usr/lib/p/a.so.1', false],
    ['/bin/?h', '/bin/sh', true],
    ['/bin/?h', '/bin/bash', false],
    ['/a+b/(c)', '/a+b/(c)', true],
  ];
  for (const [glob, path, want] of cases) assert.equal(globToRegExp(glob).test(path), want, `${glob} vs ${path}`);
});

test('first missing path named in stderr', () => {
  const cases: [string, string | undefined][] = [
    ["Traceback …\nFileNotFoundError: [Errno 2] No such file or directory: '/etc/app.conf'\n", '/etc/app.conf'],
    [
      'Traceback (most recent call last):\n  File "<string>", line 1\n' +
        "ModuleNotFoundError: No module named 'decimal'\n",
      'python module decimal',
    ],
    [
      'python3: error while loading shared libraries: libz.so.1: cannot open shared object file: No such ' +
        'file or directory\n',
      'shared library libz.so.1',
    ],
    ['cat: /etc/motd: No such file or directory\n', '/etc/motd'],
    ['unshare: failed to execute /bin/sh: No such file or directory\n', '/bin/sh'],
    ['Segmentation fault\n', undefined],
  ];
  for (const [stderr, want] of cases) assert.equal(firstMissingPath(stderr), want, stderr);
});

test(
  "keep set of python3: the loader closure equals what the image's ld.so loads, with the symlinks on the way",
  { skip },
  async () => {
    const { rootfs } = await fixtureImage('python3');
    const snapshot = snapshotRoot(rootfs);
    const keep = computeKeepSet({ root: rootfs, snapshot, traced: ['/usr/bin/python3'], env: [] });
    // oracle: the image's own loader, in the image root
    const list = execFileSync('chroot', [rootfs, '/lib64/ld-linux-x86-64.so.2', '--list', '/usr/bin/python3.11'], {
      encoding: 'utf8',
    });
    const loaded = [...list.matchAll(/=> (\/\S+)/g)].map((m) => m[1]);
    assert.ok(loaded.length >= 3, list);
    for (const p of [...loaded, '/lib64/ld-linux-x86-64.so.2']) {
      const r = resolveInRoot(rootfs, p);
      assert.ok(r.real && keep.paths.has(r.real), `${p} (real ${r.real}) not kept`);
      for (const l of r.links) assert.ok(keep.paths.has(l), `symlink ${l} on the way to ${p} not kept`);
    }
    assert.ok(keep.paths.has('/usr/bin/python3'), 'the traced symlink itself');
    assert.ok(keep.paths.has('/usr/bin/python3.11'), 'its target');
    assert.ok(keep.paths.has('/etc/passwd') && keep.paths.has('/etc/ld.so.cache'), 'runtime baseline');
    assert.ok(
      !keep.paths.has('/usr/bin/dash') && !keep.paths.has('/usr/bin/sh'),
      'nothing untraced beyond the baseline',
    );
    assert.ok(!keep.paths.has('/proc/self'), "mounted paths are not the image's");
    assert.deepEqual(keep.unresolved, []);
  },
);

test('--keep: a directory keeps its tree, a glob its matches', { skip }, async () => {
  const { rootfs } = await fixtureImage('python3');
  const snapshot = snapshotRoot(rootfs);
  const keep = computeKeepSet({
    root: rootfs,
    snapshot,
    traced: [],
    keep: ['/etc/apt', '/usr/share/zoneinfo/Etc/UTC', '/etc/*.conf'],
  });
  const under = [...snapshot.entries.keys()].filter((p) => p.startsWith('/etc/apt/'));
  assert.ok(under.length > 3);
  for (const p of under) assert.ok(keep.paths.has(p), p);
  const confs = [...snapshot.entries.keys()].filter((p) => /^\/etc\/[^/]*\.conf$/.test(p));
  for (const p of confs) assert.ok(keep.paths.has(resolveInRoot(rootfs, p).real!), p);
  assert.ok(!keep.paths.has('/usr/bin/python3.11'), 'nothing beyond what was asked and the baseline');
});

test('dpkg: packages by kept files, and the status rewritten to the packages that keep a file', { skip }, async () => {
  const { rootfs } = await fixtureImage('python3');
  const snapshot = snapshotRoot(rootfs);
  const keep = computeKeepSet({ root: rootfs, snapshot, traced: ['/usr/bin/python3'], env: [] });
  const pk = dpkgKeep(rootfs, snapshot, keep.paths);
  const libc = pk.find((p) => p.name.startsWith('libc6'));
  assert.equal(libc?.state, 'partial', 'libc.so.6 kept, not all of libc6');
  assert.equal(pk.find((p) => p.name === 'dash')?.state, 'none');
  // every kept file owned by a package is counted: the packages' kept counts add up to at least the kept .so files
  const keptPackages = new Set(pk.filter((p) => p.kept > 0).map((p) => p.name));
  assert.ok(keptPackages.has('python3.11-minimal'));

  const status = readFileSync(join(rootfs, 'var/lib/dpkg/status'), 'utf8');
  const { text, dropped } = rewriteDpkgStatus(status, keptPackages);
  const names = [...text.matchAll(/^Package: (\S+)/gm)].map((m) => m[1]);
  const all = [...status.matchAll(/^Package: (\S+)/gm)].map((m) => m[1]);
  assert.equal(names.length + dropped.length, all.length);
  assert.ok(names.includes('libc6') && names.includes('python3.11-minimal'));
  assert.ok(!names.includes('dash') && dropped.includes('dash'));
  // kept stanzas are the original bytes
  for (const stanza of text.split('\n\n')) assert.ok(status.includes(stanza.trimEnd()), stanza.slice(0, 60));
  // dpkg itself reads the rewritten file
  const admin = mkdtempSync(join(tmpdir(), 'zerocve-dpkg-'));
  try {
    mkdirSync(join(admin, 'info'));
    mkdirSync(join(admin, 'updates'));
    writeFileSync(join(admin, 'status'), text);
    const queried = execFileSync('dpkg-query', [`--admindir=${admin}`, '-W', '-f', '${Package}\n'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .sort();
    assert.deepEqual(queried, [...names].sort());
  } finally {
    rmSync(admin, { recursive: true, force: true });
  }
});
