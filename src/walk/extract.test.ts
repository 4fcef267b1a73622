import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  createWriteStream,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
  symlinkSync,
  linkSync,
  readdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Image, Layer } from '../core/image.ts';
import { createTarWriter, type TarWriteHeader } from './tar-writer.ts';
import { createFileLayer } from './file-layer.ts';
import { extractImage } from './extract.ts';

let dir: string;
let n = 0;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'zerocve-extract-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

type Spec = [TarWriteHeader, string?][];
const isRoot = process.getuid?.() === 0;

async function layerOf(spec: Spec): Promise<Layer> {
  const file = join(dir, `layer-${n++}.tar.gz`);
  const tar = new PassThrough();
  const done = pipeline(tar, createGzip(), createWriteStream(file));
  const w = createTarWriter(tar);
  for (const [h, body] of spec) await w.add(h, body === undefined ? undefined : Buffer.from(body));
  await w.finish();
  await done;
  return createFileLayer(file, { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' });
}
const imageOf = (layers: Layer[]): Image => ({
  source: { target: 'oci-archive:/test.tar', kind: 'oci-archive' },
  config: { diffIds: [] },
  layers,
});
const fresh = (): string => join(dir, `out-${n++}`);
const F = (path: string, body = path, extra: Partial<TarWriteHeader> = {}): [TarWriteHeader, string] => [
  { path, type: 'file', ...extra },
  body,
];
const D = (path: string): [TarWriteHeader] => [{ path, type: 'dir' }];
const L = (path: string, linkTarget: string): [TarWriteHeader] => [{ path, type: 'symlink', linkTarget }];

/** every path below `root`, relative, sorted */
function listing(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const p = `${rel}/${name}`;
    out.push(p);
    if (lstatSync(join(root, p)).isDirectory()) out.push(...listing(root, p));
  }
  return out;
}

test('names climbing with ../ are clamped inside dest and nothing lands beside it', async () => {
  const parent = fresh();
  const dest = join(parent, 'root');
  mkdirSync(parent);
  const layer = await layerOf([
    [{ path: '../../x', type: 'file', raw: true }, 'escaped?'],
    [{ path: 'a/../../../y', type: 'file', raw: true }, 'y'],
    [{ path: '/abs/z', type: 'file', raw: true }, 'z'],
  ]);
  const r = await extractImage(imageOf([layer]), dest);
  assert.deepEqual(readdirSync(parent), ['root'], 'nothing written next to dest');
  assert.equal(readFileSync(join(dest, 'x'), 'utf8'), 'escaped?');
  assert.equal(readFileSync(join(dest, 'y'), 'utf8'), 'y');
  assert.equal(readFileSync(join(dest, 'abs/z'), 'utf8'), 'z');
  assert.equal(r.files, 3);
  assert.ok(
    r.problems.some((p) => p.includes('outside the image root')),
    r.problems.join('\n'),
  );
});

test(
  'an absolute symlink /etc -> <host dir> followed by ' + 'etc/passwd writes inside dest, host file untouched',
  async () => {
    const host = join(dir, `host-${n++}`);
    mkdirSync(join(host, 'etc'), { recursive: true });
    writeFileSync(join(host, 'etc', 'passwd'), 'host original');
    const dest = fresh();
    // the link names a real host directory by absolute path: followed by the OS it would overwrite the host's file
    const l0 = await layerOf([L('etc', join(host, 'etc')), L('rel', '../../../../..' + host)]);
    const l1 = await layerOf([
      F('etc/passwd', 'root:x:0:0::/root:/bin/sh\n'),
      F('rel/etc/passwd', 'via relative link'),
    ]);
    await extractImage(imageOf([l0, l1]), dest);
    assert.equal(readFileSync(join(host, 'etc', 'passwd'), 'utf8'), 'host original');
    assert.equal(readlinkSync(join(dest, 'etc')), join(host, 'etc'), 'the symlink itself is kept as stored');
    // resolved as the image resolves it: <dest>/<host>/etc/passwd
    assert.equal(readFileSync(join(dest, host, 'etc', 'passwd'), 'utf8'), 'via relative link');
  },
);

test('a file planted as a symlink is replaced, not written through', async () => {
  const host = join(dir, `victim-${n++}`);
  writeFileSync(host, 'victim');
  const dest = fresh();
  const l0 = await layerOf([L('bin/sh', host)]);
  const l1 = await layerOf([F('bin/sh', 'new shell', { mode: 0o755 })]);
  await extractImage(imageOf([l0, l1]), dest);
  assert.equal(readFileSync(host, 'utf8'), 'victim');
  assert.ok(lstatSync(join(dest, 'bin/sh')).isFile());
  assert.equal(readFileSync(join(dest, 'bin/sh'), 'utf8'), 'new shell');
});

test('whiteouts and opaque directories across layers', async () => {
  const dest = fresh();
  const l0 = await layerOf([
    D('etc'),
    F('etc/a'),
    F('etc/b'),
    D('opt/app'),
    F('opt/app/x'),
    F('opt/app/y'),
    D('var/log'),
    F('var/log/l'),
    F('keep', 'v1'),
  ]);
  const l1 = await layerOf([
    F('etc/.wh.a', ''),
    D('opt/app'),
    F('opt/app/z'),
    F('opt/app/.wh..wh..opq', ''),
    F('keep', 'v2'),
    F('.wh.var', ''),
  ]);
  const l2 = await layerOf([F('etc/a', 'a again')]);
  await extractImage(imageOf([l0, l1, l2]), dest);
  assert.deepEqual(listing(dest), ['/etc', '/etc/a', '/etc/b', '/keep', '/opt', '/opt/app', '/opt/app/z']);
  assert.equal(readFileSync(join(dest, 'etc/a'), 'utf8'), 'a again');
  assert.equal(readFileSync(join(dest, 'keep'), 'utf8'), 'v2');
});

test('hard links share an inode; links to missing or escaping targets are refused', async () => {
  const dest = fresh();
  const outside = join(dir, `outside-${n++}`);
  writeFileSync(outside, 'outside');
  const l0 = await layerOf([
    F('usr/bin/python3.11', 'ELF...', { mode: 0o755 }),
    [{ path: 'usr/bin/python3', type: 'hardlink', linkTarget: 'usr/bin/python3.11' }],
    [{ path: 'bad', type: 'hardlink', linkTarget: 'no/such/file' }],
    [{ path: 'esc', type: 'hardlink', linkTarget: `../../../..${outside}`, raw: true }],
  ]);
  const r = await extractImage(imageOf([l0]), dest);
  const a = statSync(join(dest, 'usr/bin/python3.11'));
  const b = statSync(join(dest, 'usr/bin/python3'));
  assert.equal(a.ino, b.ino);
  assert.equal(a.nlink, 2);
  assert.equal(r.hardlinks, 1);
  assert.ok(!existsSync(join(dest, 'bad')));
  assert.ok(!existsSync(join(dest, 'esc')), 'clamped target does not exist inside dest, so no link');
  assert.equal(statSync(outside).nlink, 1, 'host file not linked');
  assert.equal(r.problems.filter((p) => p.includes('hard link')).length, 2);
});

test('modes incl. setuid/setgid/sticky, owners (as root) and mtimes are kept', async () => {
  const dest = fresh();
  const l0 = await layerOf([
    [{ path: 'usr/bin/passwd', type: 'file', mode: 0o4755, uid: 0, gid: 0, mtime: 1_600_000_000 }, 'suid'],
    [{ path: 'usr/bin/wall', type: 'file', mode: 0o2755, uid: 0, gid: 5, mtime: 1_600_000_001 }, 'sgid'],
    [{ path: 'home/u', type: 'dir', mode: 0o750, uid: 1000, gid: 1000, mtime: 1_500_000_000 }],
    [{ path: 'home/u/f', type: 'file', mode: 0o600, uid: 1000, gid: 1000, mtime: 1_500_000_001 }, 'x'],
    [{ path: 'tmp', type: 'dir', mode: 0o1777, mtime: 1_400_000_000 }],
    [{ path: 'dev/null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3 }],
  ]);
  const r = await extractImage(imageOf([l0]), dest);
  const passwd = statSync(join(dest, 'usr/bin/passwd'));
  assert.equal(passwd.mode & 0o7777, 0o4755);
  assert.equal(passwd.mtimeMs, 1_600_000_000_000);
  assert.equal(statSync(join(dest, 'usr/bin/wall')).mode & 0o7777, 0o2755);
  const home = statSync(join(dest, 'home/u'));
  assert.equal(home.mode & 0o7777, 0o750);
  assert.equal(home.mtimeMs, 1_500_000_000_000, 'dir mtime survives its child being written');
  assert.equal(statSync(join(dest, 'tmp')).mode & 0o7777, 0o1777);
  if (isRoot) {
    assert.equal(home.uid, 1000);
    assert.equal(statSync(join(dest, 'usr/bin/wall')).gid, 5);
  }
  assert.equal(r.skipped, 1);
  assert.ok(!existsSync(join(dest, 'dev/null')));
});

test('filter leaves entries out; dir: images are copied with links and hard links', async () => {
  const src = join(dir, `tree-${n++}`);
  mkdirSync(join(src, 'usr/lib'), { recursive: true });
  writeFileSync(join(src, 'usr/lib/a.so.1.2'), 'lib');
  symlinkSync('a.so.1.2', join(src, 'usr/lib/a.so.1'));
  symlinkSync('/etc/shadow', join(src, 'usr/lib/abs'));
  linkSync(join(src, 'usr/lib/a.so.1.2'), join(src, 'usr/lib/hard'));
  writeFileSync(join(src, 'usr/lib/skip.txt'), 'skip');
  const dest = fresh();
  const image: Image = {
    source: { target: `dir:${src}`, kind: 'dir' },
    config: { diffIds: [] },
    layers: [],
    rootDir: src,
  };
  const r = await extractImage(image, dest, { filter: (p) => !p.endsWith('.txt') });
  assert.deepEqual(listing(dest), [
    '/usr',
    '/usr/lib',
    '/usr/lib/a.so.1',
    '/usr/lib/a.so.1.2',
    '/usr/lib/abs',
    '/usr/lib/hard',
  ]);
  assert.equal(readlinkSync(join(dest, 'usr/lib/abs')), '/etc/shadow');
  assert.equal(statSync(join(dest, 'usr/lib/hard')).ino, statSync(join(dest, 'usr/lib/a.so.1.2')).ino);
  assert.deepEqual([r.files, r.symlinks, r.hardlinks], [1, 2, 1]);
});
