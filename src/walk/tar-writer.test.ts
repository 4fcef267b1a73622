import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createTarWriter, type TarWriteHeader } from './tar-writer.ts';
import { readTar } from './tar-reader.ts';
import { UsageError } from '../core/errors.ts';
import type { EntryHeader } from '../core/entry.ts';

const LONG = `opt/${'n'.repeat(150)}/${'m'.repeat(150)}/weights.bin`;
const ENTRIES: [TarWriteHeader, Buffer?][] = [
  [{ path: '/etc', type: 'dir' }],
  [{ path: '/etc/os-release', type: 'file', mode: 0o644 }, Buffer.from('ID=debian\n')],
  [{ path: `/${LONG}`, type: 'file', uid: 5_000_000, gid: 1000 }, Buffer.alloc(1000, 1)],
  [{ path: '/usr/bin/su', type: 'file', mode: 0o4755 }, Buffer.from('#!/bin/sh\n')],
  [{ path: '/usr/bin/sudo', type: 'hardlink', linkTarget: '/usr/bin/su' }],
  [{ path: '/usr/lib/libx.so', type: 'symlink', linkTarget: `../${'l'.repeat(120)}/libx.so.1` }],
  [{ path: '/usr/share/名前.txt', type: 'file' }, Buffer.from('unicode')],
  [{ path: '/dev/null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3 }],
  [{ path: '/run/fifo', type: 'fifo' }],
];

async function write(entries: typeof ENTRIES, options = {}): Promise<Buffer> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (c: Buffer) => parts.push(c));
  const w = createTarWriter(out, options);
  for (const [h, b] of entries) await w.add(h, b);
  await w.finish();
  return Buffer.concat(parts);
}

test('round trip through our reader: paths, types, modes, owners, links, PAX for long values', async () => {
  const data = await write(ENTRIES, { mtime: 1700000000 });
  const got: (EntryHeader & { body: string; problems: string[] })[] = [];
  for await (const e of readTar(Readable.from([data]))) {
    const chunks: Buffer[] = [];
    for await (const s of e.body()) chunks.push(Buffer.from(s));
    got.push({ ...e.header, body: Buffer.concat(chunks).toString('latin1'), problems: e.problems });
  }
  assert.equal(got.length, ENTRIES.length);
  for (let i = 0; i < ENTRIES.length; i++) {
    const [h, b] = ENTRIES[i];
    const g = got[i];
    assert.equal(g.path, h.path);
    assert.equal(g.type, h.type);
    assert.equal(g.mtime, 1700000000);
    assert.equal(g.uid, h.uid ?? 0);
    if (h.mode !== undefined) assert.equal(g.mode, h.mode);
    if (h.linkTarget) assert.equal(g.linkTarget, h.linkTarget);
    assert.equal(g.body, (b ?? Buffer.alloc(0)).toString('latin1'));
    assert.deepEqual(g.problems, []);
  }
});

test('GNU tar reads what we write (names, long PAX names, owners, device numbers)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-tw-'));
  try {
    return (async () => {
      const file = join(dir, 'x.tar');
      const data = await write(ENTRIES, { owner: { uid: 0, gid: 0, uname: 'root', gname: 'root' } });
      const ws = createWriteStream(file);
      await new Promise<void>((res, rej) => ws.end(data, () => res()).on('error', rej));
      const names = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n');
      assert.deepEqual(
        names,
        ENTRIES.map(([h]) => h.path.slice(1) + (h.type === 'dir' ? '/' : '')),
      );
      const verbose = execFileSync('tar', ['-tvf', file], { encoding: 'utf8' });
      assert.match(verbose, /crw-rw-rw- root\/root\s+1,3 /);
      assert.match(verbose, /-rwsr-xr-x root\/root\s+10 .* usr\/bin\/su/);
      // GNU tar extracts the long name exactly
      execFileSync('tar', ['-xf', file, '-C', dir, LONG]);
      assert.deepEqual(readFileSync(join(dir, LONG)), Buffer.alloc(1000, 1));
    })().finally(() => rmSync(dir, { recursive: true, force: true }));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
});

test('deterministic: same entries, same bytes; sorted mode refuses out-of-order input', async () => {
  const a = await write(ENTRIES.slice(0, 4), { mtime: 0 });
  const b = await write(ENTRIES.slice(0, 4), { mtime: 0 });
  assert.ok(a.equals(b));
  await assert.rejects(
    write([[{ path: '/b', type: 'dir' }], [{ path: '/a', type: 'dir' }]], { sorted: true }),
    UsageError,
  );
});

test('a body that does not match the declared size is refused', async () => {
  const w = createTarWriter(new PassThrough().resume());
  await assert.rejects(
    w.add({ path: '/x', type: 'file', size: 10 }, Buffer.from('abc')),
    /body has 3 bytes, header says 10/,
  );
  await assert.rejects(
    w.add({ path: '/y', type: 'file', size: 10 }, Readable.from([Buffer.from('abc')])),
    /body has 3 bytes, header says 10/,
  );
});
