import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { verifyDigest, parseDigest, isDigest, digestOf } from './digest-stream.ts';
import { InputError } from '../core/errors.ts';

const sha = (s: string | Buffer): string => 'sha256:' + createHash('sha256').update(s).digest('hex');

function chunks(parts: string[]): Readable {
  return Readable.from(parts.map((p) => Buffer.from(p)));
}

test('verifyDigest passes the bytes through unchanged when digest and size match', async () => {
  const out = await text(
    verifyDigest(chunks(['hello ', 'wor', 'ld']), { digest: sha('hello world'), size: 11, what: 'blob x' }),
  );
  assert.equal(out, 'hello world');
});

const failures: { name: string; parts: string[]; size?: number; digestOfText: string; message: RegExp }[] = [
  {
    name: 'one byte changed',
    parts: ['hello world'],
    size: 11,
    digestOfText: 'hello wOrld',
    message: /^blob x: digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}$/,
  },
  {
    name: 'truncated',
    parts: ['hello'],
    size: 11,
    digestOfText: 'hello world',
    message: /^blob x: truncated: expected 11 bytes, got 5$/,
  },
  {
    name: 'too long',
    parts: ['hello world', '!!'],
    size: 11,
    digestOfText: 'hello world',
    message: /^blob x: size mismatch: expected 11 bytes, got more$/,
  },
  { name: 'no size given, content differs', parts: ['abc'], digestOfText: 'abd', message: /digest mismatch/ },
];

for (const f of failures) {
  test(`verifyDigest fails the stream with an InputError: ${f.name}`, async () => {
    const s = verifyDigest(chunks(f.parts), { digest: sha(f.digestOfText), size: f.size, what: 'blob x' });
    await assert.rejects(text(s), (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.match(err.message, f.message);
      return true;
    });
  });
}

test('verifyDigest names the got digest exactly', async () => {
  const s = verifyDigest(chunks(['abc']), { digest: sha('xyz'), what: 'config' });
  await assert.rejects(text(s), { message: `config: digest mismatch: expected ${sha('xyz')}, got ${sha('abc')}` });
});

test('verifyDigest passes a source error on, and destroying the result closes the source file', async () => {
  const broken = new Readable({
    read() {
      this.destroy(new Error('disk on fire'));
    },
  });
  await assert.rejects(text(verifyDigest(broken, { digest: sha(''), what: 'b' })), /disk on fire/);

  const dir = mkdtempSync(join(tmpdir(), 'zc-digest-'));
  try {
    const file = join(dir, 'f');
    writeFileSync(file, Buffer.alloc(1 << 20, 7));
    const src = createReadStream(file, { highWaterMark: 1024 });
    const v = verifyDigest(src, { digest: sha(Buffer.alloc(1 << 20, 7)), what: 'f' });
    await new Promise<void>((resolve) => v.once('data', () => resolve()));
    v.destroy();
    await new Promise<void>((resolve) => (src.closed ? resolve() : src.once('close', () => resolve())));
    assert.equal(src.destroyed, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('verifyDigest streams a large input in bounded memory and accepts sha512', async () => {
  const chunk = Buffer.alloc(1 << 16, 1);
  const n = 256; // 16 MiB
  const h = createHash('sha512');
  for (let i = 0; i < n; i++) h.update(chunk);
  const src = Readable.from(
    (function* () {
      for (let i = 0; i < n; i++) yield chunk;
    })(),
  );
  let total = 0;
  for await (const c of verifyDigest(src, { digest: 'sha512:' + h.digest('hex'), size: n * chunk.length, what: 'big' }))
    total += (c as Buffer).length;
  assert.equal(total, n * chunk.length);
});

test('parseDigest rejects malformed digests with the input named', () => {
  for (const bad of ['sha256:abc', 'md5:' + 'a'.repeat(32), 'sha256:' + 'A'.repeat(64), 'nonsense', '']) {
    assert.throws(
      () => parseDigest(bad, 'manifest of x'),
      (e: unknown) => e instanceof InputError && e.message.startsWith('manifest of x: malformed'),
    );
    assert.equal(isDigest(bad), false);
  }
  assert.deepEqual(parseDigest(sha('a'), 'x'), { algorithm: 'sha256', hex: sha('a').slice(7) });
  assert.equal(digestOf(Buffer.from('a')), sha('a'));
});
