import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { runInRoot, sandboxSkip } from './sandbox.ts';
import { parseStraceLog } from './trace.ts';
import { fixtureImage, fixtureSkip } from '../../test/support/images.ts';

const skip = sandboxSkip() || fixtureSkip();

test(
  'a workload runs inside the image root, without network, and its file accesses are traced',
  { skip, timeout: 300_000 },
  async () => {
    const fx = await fixtureImage('python3');
    const r = await runInRoot(
      fx.rootfs,
      [
        'python3',
        '-c',
        'import json, socket\nprint(json.dumps({"ok": 1}))\ntry:\n' +
          '  socket.create_connection(("127.0.0.1", 9), 1)\nexcept OSError as e:\n' +
          '  print("net", type(e).__name__)',
      ],
      { trace: true, timeoutMs: 60_000 },
    );
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /\{"ok": 1\}/);
    assert.match(r.stdout, /net (ConnectionRefusedError|OSError)/);
    const t = r.trace!;
    assert.ok(t.chrooted);
    assert.ok(
      t.files.get('/usr/bin/python3.11')?.has('exec') || t.files.get('/usr/bin/python3')?.has('exec'),
      'python exec seen',
    );
    assert.ok(
      [...t.files.keys()].some((p) => /^\/usr\/lib\/python3\.11\/json\/__init__\.py$/.test(p)),
      'json module opened',
    );
    assert.ok(
      ![...t.files.keys()].some((p) => p.includes('.cache/fixtures')),
      'host-side paths before the chroot are not recorded',
    );
    // every recorded path that is a file of the image exists in the root
    const inRoot = [...t.files.keys()].filter((p) => existsSync(fx.rootfs + p));
    assert.ok(inRoot.length > 20);
  },
);

test('exit codes, timeouts and a missing command come back as results', { skip, timeout: 120_000 }, async () => {
  const fx = await fixtureImage('python3');
  const r = await runInRoot(fx.rootfs, ['python3', '-c', 'import sys; sys.exit(7)']);
  assert.equal(r.exitCode, 7);
  const missing = await runInRoot(fx.rootfs, ['no-such-command']);
  assert.equal(missing.exitCode, 127);
  const slow = await runInRoot(fx.rootfs, ['python3', '-c', 'import time; time.sleep(30)'], { timeoutMs: 1500 });
  assert.equal(slow.timedOut, true);
});

test('strace log parsing: unfinished/resumed calls, relative paths, failed calls, pre-chroot noise', () => {
  const log = [
    '10 openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3',
    '11 chroot("/host/root") = 0',
    '11 chdir("/") = 0',
    '11 execve("/usr/bin/python3", ["python3"], 0x7ffd /* 3 vars */) = 0',
    '11 openat(AT_FDCWD, "/usr/lib/x86_64-linux-gnu/libm.so.6", O_RDONLY|O_CLOEXEC <unfinished ...>',
    '12 clone3({flags=CLONE_VM, exit_signal=SIGCHLD}, 88) = 13',
    '11 <... openat resumed>) = 4',
    '11 newfstatat(AT_FDCWD, "/nonexistent", 0x7ffd, 0) = -1 ENOENT (No such file or directory)',
    '11 chdir("/srv") = 0',
    '11 openat(AT_FDCWD, "data/a.txt", O_RDONLY) = 5',
    '11 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD) = 14',
    '14 stat("b \\"quoted\\".txt", {st_mode=S_IFREG|0644, st_size=3, ...}) = 0',
    '11 openat(7, "rel", O_RDONLY) = 8',
    '11 readlink("/proc/self/exe", "/usr/bin/python3.11", 4096) = 19',
  ].join('\n');
  const t = parseStraceLog(log);
  assert.deepEqual([...t.files.keys()].sort(), [
    '/proc/self/exe',
    '/srv/b "quoted".txt',
    '/srv/data/a.txt',
    '/usr/bin/python3',
    '/usr/lib/x86_64-linux-gnu/libm.so.6',
  ]);
  assert.deepEqual([...t.files.get('/usr/bin/python3')!], ['exec']);
  assert.equal(t.unresolved, 1);
});
