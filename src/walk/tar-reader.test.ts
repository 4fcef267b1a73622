import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  linkSync,
  writeFileSync,
  chmodSync,
  openSync,
  writeSync,
  closeSync,
  lstatSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { readTar, type TarEntry } from './tar-reader.ts';
import { createTarWriter } from './tar-writer.ts';
import { InputError } from '../core/errors.ts';

let dir: string;
let src: string;
const LONG_DIR = 'd'.repeat(70) + '/' + 'e'.repeat(70);
const LONG_FILE = `${LONG_DIR}/${'f'.repeat(60)}.txt`; // 206 bytes: ustar needs the prefix field
const VERY_LONG = `${'x'.repeat(120)}/${'y'.repeat(120)}/${'z'.repeat(120)}.bin`; // > 255: PAX or GNU L only
const LONG_LINK_TARGET = `../${'t'.repeat(150)}/target`;

interface Got {
  type: string;
  size: number;
  mode: number;
  uid: number;
  link?: string;
  sha?: string;
  problems: string[];
}

async function collect(chunks: AsyncIterable<Buffer>, readBodies = true): Promise<Map<string, Got>> {
  const out = new Map<string, Got>();
  for await (const e of readTar(chunks)) {
    let sha: string | undefined;
    if (readBodies && e.header.type === 'file' && e.readable) {
      const h = createHash('sha256');
      for await (const s of e.body()) h.update(s);
      sha = h.digest('hex');
    }
    out.set(e.header.path, {
      type: e.header.type,
      size: e.header.size,
      mode: e.header.mode,
      uid: e.header.uid,
      link: e.header.linkTarget,
      sha,
      problems: e.problems,
    });
  }
  return out;
}

const fileChunks = (p: string, hwm = 256 * 1024): AsyncIterable<Buffer> =>
  createReadStream(p, { highWaterMark: hwm }) as AsyncIterable<Buffer>;
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'zerocve-tar-'));
  src = join(dir, 'src');
  mkdirSync(join(src, LONG_DIR), { recursive: true });
  mkdirSync(join(src, 'usr/bin'), { recursive: true });
  writeFileSync(join(src, LONG_FILE), 'long name content\n');
  writeFileSync(join(src, 'usr/bin/tool'), Buffer.alloc(700_000, 0x41));
  chmodSync(join(src, 'usr/bin/tool'), 0o4755);
  linkSync(join(src, 'usr/bin/tool'), join(src, 'usr/bin/tool-hard'));
  symlinkSync('tool', join(src, 'usr/bin/tool-sym'));
  symlinkSync(LONG_LINK_TARGET, join(src, 'usr/bin/long-sym'));
  writeFileSync(join(src, 'empty'), '');
  writeFileSync(join(src, 'ünïcode-名前.txt'), 'utf8 name');
  execFileSync('mkfifo', [join(src, 'fifo')]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const gnuTar = (format: string, out: string, extra: string[] = [], cwd = src, members = ['.']): void => {
  execFileSync('tar', ['--format=' + format, ...extra, '-cf', out, '-C', cwd, ...members]);
};

for (const format of ['ustar', 'pax', 'gnu'] as const) {
  test(`reads GNU tar --format=${format}: names, types, modes, links, contents`, async () => {
    const out = join(dir, `${format}.tar`);
    // ustar cannot hold a 160-byte link
    gnuTar(format, out, format === 'ustar' ? ['--exclude=./usr/bin/long-sym'] : []);
    // small reads too: headers and bodies must reassemble across chunk boundaries
    for (const hwm of [256 * 1024, 333]) {
      const got = await collect(fileChunks(out, hwm));
      assert.equal(got.get(`/${LONG_FILE}`)?.sha, sha('long name content\n'));
      const tool = got.get('/usr/bin/tool')!;
      assert.equal(tool.type, 'file');
      assert.equal(tool.size, 700_000);
      assert.equal(tool.mode, 0o4755);
      assert.equal(tool.sha, sha(Buffer.alloc(700_000, 0x41)));
      assert.equal(got.get('/usr/bin/tool-hard')?.type, 'hardlink');
      assert.equal(got.get('/usr/bin/tool-hard')?.link, '/usr/bin/tool');
      assert.deepEqual(got.get('/usr/bin/tool-sym'), {
        type: 'symlink',
        size: 0,
        mode: 0o777,
        uid: 0,
        link: 'tool',
        sha: undefined,
        problems: [],
      });
      assert.equal(got.get('/fifo')?.type, 'fifo');
      assert.equal(got.get('/empty')?.sha, sha(''));
      assert.equal(got.get('/usr/bin')?.type, 'dir');
      assert.ok(got.has('/'), 'the ./ member is the root');
      if (format !== 'ustar') {
        assert.equal(got.get('/usr/bin/long-sym')?.link, LONG_LINK_TARGET);
        assert.equal(got.get('/ünïcode-名前.txt')?.sha, sha('utf8 name'));
      }
    }
  });
}

test('very long names (> 255 bytes) via PAX path and GNU L records', async () => {
  mkdirSync(join(dir, 'long', VERY_LONG, '..'), { recursive: true });
  writeFileSync(join(dir, 'long', VERY_LONG), 'deep');
  for (const format of ['pax', 'gnu']) {
    const out = join(dir, `long-${format}.tar`);
    gnuTar(format, out, [], join(dir, 'long'), ['.']);
    const got = await collect(fileChunks(out));
    assert.equal(got.get(`/${VERY_LONG}`)?.sha, sha('deep'), format);
  }
});

test('large uid/gid: PAX records and GNU base-256 numbers', async () => {
  for (const format of ['pax', 'gnu']) {
    const out = join(dir, `uid-${format}.tar`);
    gnuTar(format, out, ['--owner=someone:4000000', '--group=grp:4000001'], src, ['./empty']);
    const got = [];
    for await (const e of readTar(fileChunks(out))) got.push(e.header);
    assert.equal(got[0].uid, 4000000, format);
    assert.equal(got[0].gid, 4000001, format);
  }
});

test('PAX global headers (g) apply to every later entry; per-entry (x) records override them', async () => {
  const out = join(dir, 'global.tar');
  gnuTar('pax', out, ['--pax-option=uid=4242', '--pax-option=gid:=77', '--mtime=@1234567890'], src, [
    './empty',
    './usr/bin/tool-sym',
  ]);
  const raw = readFileSync(out);
  assert.equal(String.fromCharCode(raw[156]), 'g', 'GNU tar wrote a global header first');
  const got = [];
  for await (const e of readTar(Readable.from([raw]))) got.push(e.header);
  assert.deepEqual(
    got.map((h) => [h.path, h.uid, h.gid, h.mtime]),
    [
      ['/empty', 4242, 77, 1234567890],
      ['/usr/bin/tool-sym', 4242, 77, 1234567890],
    ],
  );
});

test('GNU and PAX sparse members: real size, content reported as not delivered, later entries intact', async () => {
  const sp = join(dir, 'sparse');
  mkdirSync(sp, { recursive: true });
  const fd = openSync(join(sp, 'holes.img'), 'w');
  writeSync(fd, Buffer.from('head'), 0, 4, 0);
  writeSync(fd, Buffer.from('tail'), 0, 4, 20 * 1024 * 1024 - 4);
  closeSync(fd);
  writeFileSync(join(sp, 'z-after'), 'after');
  const realSize = lstatSync(join(sp, 'holes.img')).size;
  for (const [format, extra] of [
    ['gnu', []],
    ['pax', ['--sparse-version=0.1']],
    ['pax', ['--sparse-version=1.0']],
    ['pax', ['--sparse-version=0.0']],
  ] as const) {
    const out = join(dir, `sparse-${format}-${extra.join('')}.tar`);
    gnuTar(format, out, ['--sparse', ...extra], sp, ['holes.img', 'z-after']);
    const got = await collect(fileChunks(out));
    const holes = got.get('/holes.img');
    assert.ok(holes, `${format} ${extra}: ${[...got.keys()]}`);
    assert.equal(holes.size, realSize);
    assert.equal(holes.sha, undefined);
    assert.match(holes.problems.join(), /sparse/);
    assert.equal(got.get('/z-after')?.sha, sha('after'), `${format} ${extra}`);
  }
});

test('malicious names are clamped inside the root and reported', async () => {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (c: Buffer) => parts.push(c));
  const w = createTarWriter(out);
  await w.add({ path: '../../etc/passwd', type: 'file', raw: true }, Buffer.from('x'));
  await w.add({ path: '/etc/shadow', type: 'file', raw: true }, Buffer.from('y'));
  await w.add({ path: 'a/../../../../root/.ssh/authorized_keys', type: 'file', raw: true }, Buffer.from('z'));
  await w.add({ path: 'lib/evil', type: 'hardlink', linkTarget: '../../../etc/hostname', raw: true });
  await w.finish();
  const got = await collect(Readable.from([Buffer.concat(parts)]));
  assert.deepEqual([...got.keys()], ['/etc/passwd', '/etc/shadow', '/root/.ssh/authorized_keys', '/lib/evil']);
  for (const [path, g] of got) {
    // an absolute name is read relative to the root (as Docker does): kept inside, no problem to report
    if (path === '/etc/shadow') assert.deepEqual(g.problems, []);
    else assert.match(g.problems.join(), /outside the image root/);
  }
  assert.equal(got.get('/lib/evil')?.link, '/etc/hostname');
});

const tarBytes = (format: string, members: string[]): Buffer => {
  const out = join(dir, `bytes-${format}.tar`);
  gnuTar(format, out, [], src, members);
  return readFileSync(out);
};

const failsWith = async (data: Buffer, re: RegExp): Promise<void> => {
  await assert.rejects(
    async () => {
      for await (const e of readTar(Readable.from([data])))
        for await (const _ of e.body()) {
          /* read */
        }
    },
    (err: unknown) => {
      assert.ok(err instanceof InputError, String(err));
      assert.match(err.message, re);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    },
  );
};

test('corrupt header checksum fails naming the offset', async () => {
  const data = Buffer.from(tarBytes('ustar', ['./empty', './usr/bin/tool-sym']));
  data[512 + 10] ^= 0x20; // second header's name
  await failsWith(data, /corrupt tar header checksum at offset 512/);
});

test('non-tar blob, truncated body, truncated header', async () => {
  await failsWith(Buffer.from('this is not a tar archive at all, just some text'.repeat(20)), /not a tar archive/);
  const data = tarBytes('gnu', ['./usr/bin/tool']);
  await failsWith(data.subarray(0, 512 + 100_000), /truncated tar: entry "\.\/usr\/bin\/tool" is missing/);
  await failsWith(data.subarray(0, 300), /truncated tar: header is missing 212 bytes/);
});

test('an empty input is an empty archive; a missing end block is accepted', async () => {
  assert.equal((await collect(Readable.from([Buffer.alloc(0)]))).size, 0);
  const data = tarBytes('ustar', ['./empty']);
  assert.deepEqual([...(await collect(Readable.from([data.subarray(0, 512)]))).keys()], ['/empty']);
});

test('unread bodies are skipped; a body cannot be read twice', async () => {
  const data = tarBytes('pax', ['./usr/bin/tool', './empty']);
  const seen: TarEntry[] = [];
  for await (const e of readTar(Readable.from([data]))) {
    seen.push(e);
    if (e.header.path === '/usr/bin/tool') {
      const it = e.body();
      await it.next(); // take one slice, leave the rest
      await assert.rejects(async () => {
        for await (const _ of e.body()) {
          /* second read */
        }
      }, /read twice/);
    }
  }
  assert.deepEqual(
    seen.map((e) => e.header.path),
    ['/usr/bin/tool', '/empty'],
  );
});

test('maxEntries stops a tar with too many entries', async () => {
  const data = tarBytes('ustar', ['./empty', './fifo', './usr/bin/tool-sym']);
  await assert.rejects(async () => {
    for await (const _ of readTar(Readable.from([data]), { maxEntries: 2 })) {
      /* */
    }
  }, /more than 2 entries/);
});
