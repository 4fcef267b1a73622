import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { createGzip, createZstdCompress } from 'node:zlib';
import type { Analyzer } from '../core/analyzer.ts';
import type { Fact } from '../core/fact.ts';
import type { Image, Layer } from '../core/image.ts';
import { InputError } from '../core/errors.ts';
import { createTarWriter, type TarWriteHeader } from './tar-writer.ts';
import { createFileLayer } from './file-layer.ts';
import { walkImage } from './walk.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'zerocve-walk-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

type Spec = [TarWriteHeader, (string | Buffer)?][];
const MT = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};
let n = 0;

/** writes a real layer blob (tar by our writer, then gzip/zstd/none) and returns a Layer over it */
async function layerOf(
  spec: Spec,
  compression: 'gzip' | 'zstd' | 'none' = 'gzip',
  opts: { mediaType?: string; onOpen?: () => void } = {},
): Promise<Layer> {
  const file = join(dir, `layer-${n++}.${compression}`);
  const tar = new PassThrough();
  const done =
    compression === 'none'
      ? pipeline(tar, createWriteStream(file))
      : pipeline(tar, compression === 'gzip' ? createGzip() : createZstdCompress(), createWriteStream(file));
  const w = createTarWriter(tar);
  for (const [h, body] of spec) await w.add(h, body === undefined ? undefined : Buffer.from(body));
  await w.finish();
  await done;
  return createFileLayer(file, { mediaType: opts.mediaType ?? MT[compression], onOpen: opts.onOpen });
}

const imageOf = (layers: Layer[], target = 'oci-archive:/test/image.tar'): Image => ({
  source: { target, kind: 'oci-archive' },
  config: { diffIds: [] },
  layers,
});

const F = (path: string, body = path): [TarWriteHeader, string] => [{ path, type: 'file' }, body];
const D = (path: string): [TarWriteHeader] => [{ path, type: 'dir' }];
const L = (path: string, linkTarget: string): [TarWriteHeader] => [{ path, type: 'symlink', linkTarget }];

/** records every file's content by stream, and its header */
const recorder = (name = 'rec'): Analyzer => ({
  name,
  version: 1,
  wants: (e) => (e.type === 'file' ? 'stream' : null),
  sink(e) {
    const h = createHash('sha256');
    return {
      write: (c) => {
        h.update(c);
      },
      end: () => [{ kind: 'content-hash', path: e.path, sha256: h.digest('hex'), size: e.size }],
    };
  },
});

test('whiteouts, opaque directories and replacements across 3 layers (gzip, zstd, none)', async () => {
  const l0 = await layerOf(
    [
      D('/etc'),
      F('/etc/a'),
      F('/etc/b'),
      D('/opt'),
      D('/opt/app'),
      F('/opt/app/x'),
      F('/opt/app/y'),
      D('/var'),
      F('/var/log'),
      F('/keep'),
    ],
    'gzip',
  );
  const l1 = await layerOf(
    [
      F('/etc/.wh.a', ''),
      D('/opt/app'),
      F('/opt/app/.wh..wh..opq', ''),
      F('/opt/app/z'),
      D('/var/log'),
      F('/var/log/new'),
      F('/keep', 'keep v2'),
    ],
    'zstd',
  );
  const l2 = await layerOf([F('/etc/a', 'a again'), F('/.wh.var', ''), F('/opt/app/.wh.z', '')], 'none');
  const r = await walkImage(imageOf([l0, l1, l2]), { analyzers: [recorder()] });
  const paths = [...r.merged.entries()].map((e) => e.path).sort();
  assert.deepEqual(paths, ['/etc', '/etc/a', '/etc/b', '/keep', '/opt', '/opt/app']);
  assert.equal(r.merged.get('/etc/a')?.layer, 2);
  assert.equal(r.merged.get('/etc/b')?.layer, 0);
  assert.equal(r.merged.get('/keep')?.layer, 1);
  assert.equal(r.merged.get('/opt/app')?.layer, 1);
  assert.equal(r.merged.size, 6);
  const shadowed = r.merged.shadowed;
  assert.deepEqual(
    shadowed.map((s) => `${s.path}@${s.layer}`).sort(),
    ['/etc/a@0', '/keep@0', '/opt/app/x@0', '/opt/app/y@0', '/opt/app/z@1', '/var/log/new@1', '/var/log@0'].sort(),
  );
  assert.equal(shadowed.find((s) => s.path === '/keep')?.size, '/keep'.length);
  // facts survive only where the path's final entry is from the same layer
  const hashes = r.facts
    .filter((f) => f.kind === 'content-hash')
    .map((f) => `${f.path}@${f.layer}`)
    .sort();
  assert.deepEqual(hashes, ['/etc/a@2', '/etc/b@0', '/keep@1']);
  assert.deepEqual(
    r.layers.map((l) => [l.index, l.entries, l.files, l.fromCache]),
    [
      [0, 10, 6, false],
      [1, 7, 3, false],
      [2, 3, 1, false],
    ],
  );
  assert.ok(r.layers[0].uncompressedSize > r.layers[0].compressedSize);
});

test("a later layer replacing a package database drops the earlier layer's facts about it", async () => {
  const dpkg: Analyzer = {
    name: 'dpkg-lite',
    version: 1,
    wants: (e) => (e.path === '/var/lib/dpkg/status' ? { maxBytes: 1 << 20 } : null),
    analyze: (e, c) => [
      {
        kind: 'packages',
        path: e.path,
        packages: [
          {
            id: String(c),
            type: 'deb',
            name: String(c),
            version: '1',
            purl: '',
            locations: [],
            metadata: { kind: 'dpkg', source: '', sourceVersion: '', arch: 'amd64' },
          },
        ],
      },
    ],
  };
  const r = await walkImage(
    imageOf([await layerOf([F('/var/lib/dpkg/status', 'old')]), await layerOf([F('/var/lib/dpkg/status', 'new')])]),
    { analyzers: [dpkg] },
  );
  assert.deepEqual(
    r.facts.map((f) => f.kind === 'packages' && [f.packages[0].name, f.layer]),
    [['new', 1]],
  );
});

test(
  'analyzer dispatch: header, maxBytes (and over the limit), ' + 'stream; faults become problems; one open per layer',
  async () => {
    let opens = 0;
    const big = Buffer.alloc(600_000, 7);
    const layer = await layerOf(
      [
        F('/etc/os-release', 'ID=debian\n'),
        [{ path: '/big.bin', type: 'file' }, big],
        L('/sh', '/bin/dash'),
        F('/boom', 'x'),
      ],
      'gzip',
      { onOpen: () => opens++ },
    );
    const seen: string[] = [];
    const analyzers: Analyzer[] = [
      {
        name: 'hdr',
        version: 1,
        wants: (e) => (e.type === 'symlink' ? 'header' : null),
        analyze: (e, c) => {
          seen.push(`hdr ${e.path} ${c}`);
          return [];
        },
      },
      {
        name: 'small',
        version: 1,
        wants: (e) => (e.type === 'file' ? { maxBytes: 1000 } : null),
        analyze: (e, c) => {
          if (e.path === '/boom') throw new Error('parser exploded');
          seen.push(`small ${e.path} ${c?.toString()}`);
          return [];
        },
      },
      recorder('hash'),
      {
        name: 'bad-wants',
        version: 1,
        wants: (e) => {
          if (e.path === '/sh') throw new Error('nope');
          return null;
        },
      },
    ];
    const r = await walkImage(imageOf([layer]), { analyzers });
    assert.equal(opens, 1);
    assert.deepEqual(seen.sort(), ['hdr /sh null', 'small /etc/os-release ID=debian\n']);
    const hash = r.facts.find((f) => f.kind === 'content-hash' && f.path === '/big.bin');
    assert.equal(hash?.kind === 'content-hash' && hash.sha256, createHash('sha256').update(big).digest('hex'));
    const problems = r.facts
      .map((f) => (f.kind === 'problem' ? `${f.analyzer} ${f.path} ${f.code} ${f.message}` : ''))
      .filter(Boolean)
      .sort();
    assert.equal(problems.length, 3);
    assert.match(problems[0], /^bad-wants \/sh analyzer-failed wants\(\) failed: nope/);
    assert.match(problems[1], /^small \/big\.bin too-large file is 600000 bytes, over the 1000 bytes/);
    assert.match(problems[2], /^small \/boom analyzer-failed failed: parser exploded/);
  },
);

test(
  'paths never escape the root: traversal names, absolute ' + 'names, symlink chains; nothing touches the host',
  async () => {
    const canary = join(dir, 'canary-should-not-exist');
    const layer = await layerOf([
      [{ path: `../../../../../..${canary}`, type: 'file', raw: true }, 'pwned'],
      [{ path: '/etc/passwd', type: 'file', raw: true }, 'root:x:0:0'],
      L('/etc/link-up', '../../../../etc/passwd'),
      L('/a', '../../../b'),
      L('/b', '/c'),
      D('/c'),
      F('/c/file', 'inside'),
      L('/loop1', 'loop2'),
      L('/loop2', '/loop1'),
      L('/abs-host', '/proc/self/environ'),
    ]);
    const r = await walkImage(imageOf([layer]), { analyzers: [recorder()] });
    assert.equal(existsSync(canary), false);
    assert.equal(r.merged.get(canary)?.type, 'file', 'the traversal name is kept inside the root');
    assert.ok(
      r.facts.some(
        (f) =>
          f.kind === 'problem' &&
          f.path === canary &&
          f.code === 'unsafe-path' &&
          /outside the image root/.test(f.message),
      ),
    );
    assert.equal(r.merged.resolve('/etc/link-up')?.path, '/etc/passwd');
    assert.equal(r.merged.resolve('/a/file')?.path, '/c/file');
    assert.equal(r.merged.resolve('/../../a/./file')?.path, '/c/file');
    assert.equal(r.merged.resolve('/loop1'), undefined);
    assert.equal(
      r.merged.resolve('/abs-host'),
      undefined,
      'a target missing inside the image is missing, not read from the host',
    );
    assert.equal(r.merged.resolve('/c/file/x'), undefined);
  },
);

const failure = async (layers: Layer[], re: RegExp, target = 'oci-archive:/test/image.tar'): Promise<void> => {
  await assert.rejects(walkImage(imageOf(layers, target), { analyzers: [recorder()] }), (err: unknown) => {
    assert.ok(err instanceof InputError, String(err));
    assert.match(err.message, re);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
};

async function truncatedCopy(layer: Layer, keep: (size: number) => number, mediaType: string): Promise<Layer> {
  const file = join(dir, `cut-${n++}`);
  const blob = await layer.open();
  const chunks: Buffer[] = [];
  for await (const c of blob) chunks.push(c as Buffer);
  const all = Buffer.concat(chunks);
  writeFileSync(file, all.subarray(0, keep(all.length)));
  return createFileLayer(file, { mediaType });
}

test(
  'truncated gzip, zstd and tar; corrupt checksum; non-tar ' + 'blob: one-line InputError naming target and layer',
  async () => {
    const spec: Spec = [F('/a', 'x'.repeat(100_000)), F('/b', 'y'.repeat(300_000))];
    const good = await layerOf(spec);
    for (const c of ['gzip', 'zstd'] as const) {
      const full = await layerOf(spec, c);
      const cut = await truncatedCopy(full, (s) => s - 20, MT[c]);
      await failure(
        [good, cut],
        new RegExp(`^oci-archive:/test/image\\.tar layer 1 ${cut.digest.slice(0, 23)}…: truncated ${c} data$`),
      );
    }
    const plain = await layerOf(spec, 'none');
    const cutTar = await truncatedCopy(plain, () => 512 + 50_000, MT.none);
    await failure(
      [cutTar],
      /^oci-archive:\/test\/image\.tar layer 0 sha256:[0-9a-f]{16}…: truncated tar: entry "a" is missing 50000 bytes/,
    );
    const corrupt = join(dir, 'corrupt.tar');
    const parts: Buffer[] = [];
    for await (const c of await plain.open()) parts.push(c as Buffer);
    const bytes = Buffer.concat(parts);
    bytes[512 + 100352 + 3] ^= 1; // second header (after /a: 100,000 bytes padded to 100,352)
    writeFileSync(corrupt, bytes);
    await failure(
      [await createFileLayer(corrupt, { mediaType: MT.none })],
      /layer 0 .*: corrupt tar header checksum at offset 100864$/,
    );
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, Buffer.from('{"not":"a tar"}'.repeat(100)));
    await failure(
      [await createFileLayer(junk, { mediaType: MT.gzip })],
      /layer 0 .*: not a tar archive \(bad header checksum at offset 0\)$/,
    );
  },
);

test('magic wins over a wrong media type, and the walk says so', async () => {
  const l = await layerOf([F('/x', 'zstd bytes')], 'zstd', { mediaType: MT.gzip });
  const r = await walkImage(imageOf([l]), { analyzers: [recorder()] });
  assert.equal(r.merged.get('/x')?.type, 'file');
  assert.ok(
    r.facts.some((f) => f.kind === 'problem' && /says gzip but the bytes are zstd; read as zstd/.test(f.message)),
    JSON.stringify(r.facts),
  );
});

test('zero-layer image walks to an empty view', async () => {
  const r = await walkImage(imageOf([]), { analyzers: [recorder()] });
  assert.deepEqual(r.layers, []);
  assert.equal(r.merged.size, 0);
  assert.deepEqual(r.facts, []);
});

test(
  'cache: a rescan opens no layer; corrupt cache files are ' + 'ignored and rewritten; analyzer version is in the key',
  async () => {
    let opens = 0;
    const onOpen = (): void => {
      opens++;
    };
    const layers = [
      await layerOf([F('/a'), F('/b')], 'gzip', { onOpen }),
      await layerOf([F('/.wh.a', ''), L('/c', 'b')], 'zstd', { onOpen }),
    ];
    const cacheDir = join(dir, 'cache');
    const first = await walkImage(imageOf(layers), { analyzers: [recorder()], cacheDir });
    assert.equal(opens, 2);
    const second = await walkImage(imageOf(layers), { analyzers: [recorder()], cacheDir });
    assert.equal(opens, 2, 'no layer opened on a warm cache');
    assert.deepEqual(
      second.layers.map((l) => l.fromCache),
      [true, true],
    );
    assert.deepEqual([...second.merged.entries()], [...first.merged.entries()]);
    assert.deepEqual(second.facts, first.facts);
    assert.deepEqual(
      second.layers.map(({ fromCache, ...l }) => l),
      first.layers.map(({ fromCache, ...l }) => l),
    );
    const files = readdirSync(join(cacheDir, 'layers'));
    assert.equal(files.length, 2);
    writeFileSync(join(cacheDir, 'layers', files[0]), 'garbage');
    const third = await walkImage(imageOf(layers), { analyzers: [recorder()], cacheDir });
    assert.equal(opens, 3, 'the corrupt entry caused one rescan');
    assert.deepEqual(third.facts, first.facts);
    await walkImage(imageOf(layers), { analyzers: [recorder()], cacheDir });
    assert.equal(opens, 3, 'and was rewritten');
    await walkImage(imageOf(layers), { analyzers: [{ ...recorder(), version: 2 }], cacheDir });
    assert.equal(opens, 5, 'a new analyzer version misses the cache');
  },
);

test('concurrency keeps the merge in layer order whatever finishes first', async () => {
  const slowOpen = async (l: Layer, ms: number): Promise<Layer> => ({
    ...l,
    digest: l.digest,
    diffId: l.diffId,
    mediaType: l.mediaType,
    size: l.size,
    open: async (s?: AbortSignal) => {
      await new Promise((r) => setTimeout(r, ms));
      return l.open(s);
    },
  });
  const l0 = await slowOpen(await layerOf([F('/f', 'v0'), F('/g', 'g0')]), 150);
  const l1 = await slowOpen(await layerOf([F('/f', 'v1'), F('/.wh.g', '')], 'zstd'), 0);
  const l2 = await slowOpen(await layerOf([F('/g', 'g2')], 'none'), 60);
  const order: number[] = [];
  for (const concurrency of [1, 3]) {
    order.length = 0;
    const r = await walkImage(imageOf([l0, l1, l2]), {
      analyzers: [recorder()],
      concurrency,
      onProgress: (e) => {
        if (e.phase === 'done') order.push(e.layer);
      },
    });
    assert.equal(r.merged.get('/f')?.layer, 1);
    assert.equal(r.merged.get('/g')?.layer, 2);
    assert.deepEqual(
      r.facts.map((f) => `${f.path}@${f.layer}`),
      ['/f@1', '/g@2'],
    );
    if (concurrency === 3) assert.deepEqual(order, [1, 2, 0], 'layers finished out of order');
  }
});

test('a failing layer stops the others and the error names it; an aborted signal stops the walk', async () => {
  const junk = join(dir, 'junk2.bin');
  writeFileSync(junk, Buffer.alloc(5000, 0x55));
  const bad = await createFileLayer(junk, { mediaType: MT.none });
  await failure([await layerOf([F('/a')]), bad, await layerOf([F('/b')])], /layer 1 .*not a tar archive/);
  const ac = new AbortController();
  ac.abort(new Error('user cancelled'));
  await assert.rejects(
    walkImage(imageOf([await layerOf([F('/a')])]), { analyzers: [], signal: ac.signal }),
    /user cancelled/,
  );
});

/** a tar holding one file of `size` zero bytes, generated and compressed while the walker reads */
function bombLayer(size: number, compression: 'gzip' | 'zstd'): Layer {
  return {
    digest: `sha256:${'b'.repeat(64)}`,
    mediaType: MT[compression],
    size: -1,
    async open() {
      const tar = new PassThrough({ highWaterMark: 1 << 20 });
      const w = createTarWriter(tar);
      const zeros = Buffer.alloc(1 << 20);
      async function* body(): AsyncGenerator<Buffer> {
        for (let left = size; left > 0; left -= zeros.length)
          yield left >= zeros.length ? zeros : zeros.subarray(0, left);
      }
      void (async () => {
        try {
          await w.add({ path: '/zeros', type: 'file', size }, body());
          await w.finish();
        } catch (err) {
          tar.destroy(err as Error);
        }
      })();
      const z: Writable & Readable = compression === 'gzip' ? createGzip({ level: 1 }) : createZstdCompress();
      tar.pipe(z);
      return z;
    },
  };
}

test(
  'decompression bomb: maxLayerBytes and maxRatio stop it with ' +
    'a clear error; without limits it completes in bounded memory',
  async () => {
    await assert.rejects(
      walkImage(imageOf([bombLayer(512 * 1024 * 1024, 'gzip')]), {
        analyzers: [],
        limits: { maxLayerBytes: 64 * 1024 * 1024 },
      }),
      new RegExp(
        String.raw`^InputError: oci-archive:\/test\/image\.tar layer 0 sha256:bbbbbbbbbbbbbbbb…: ` +
          String.raw`layer exceeds the limit of 67108864 uncompressed bytes \(maxLayerBytes; decompression bomb\?\)$`,
      ),
    );
    await assert.rejects(
      walkImage(imageOf([bombLayer(512 * 1024 * 1024, 'zstd')]), { analyzers: [], limits: { maxRatio: 100 } }),
      /expands more than 100:1/,
    );
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const r = await walkImage(imageOf([bombLayer(2 * 1024 ** 3, 'zstd')]), { analyzers: [recorder()] });
    clearInterval(timer);
    assert.equal(r.merged.get('/zeros')?.size, 2 * 1024 ** 3);
    assert.equal(r.layers[0].uncompressedSize, 2 * 1024 ** 3 + 512 + 1024); // header + data + end blocks
    assert.ok(peak - before < 150 * 1024 * 1024, `RSS grew ${(peak - before) / 1048576} MiB`);
  },
);

test('dir: images: one pseudo-layer, lstat only (links out of the root are not followed), same dispatch', async () => {
  const root = join(dir, 'rootfs');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  writeFileSync(join(root, 'etc/os-release'), 'ID=debian\n');
  writeFileSync(join(root, 'usr/bin/python3'), 'ELF...');
  symlinkSync('/etc/hostname', join(root, 'etc/hostname-host'));
  symlinkSync('../../../../../../../etc/passwd', join(root, 'usr/bin/up'));
  symlinkSync('python3', join(root, 'usr/bin/python'));
  const image: Image = {
    source: { target: `dir:${root}`, kind: 'dir' },
    config: { diffIds: [] },
    layers: [],
    rootDir: root,
  };
  const r = await walkImage(image, { analyzers: [recorder()], cacheDir: join(dir, 'dir-cache') });
  assert.deepEqual(
    [...r.merged.entries()].map((e) => `${e.path} ${e.type}`),
    [
      '/etc dir',
      '/etc/hostname-host symlink',
      '/etc/os-release file',
      '/usr dir',
      '/usr/bin dir',
      '/usr/bin/python symlink',
      '/usr/bin/python3 file',
      '/usr/bin/up symlink',
    ],
  );
  assert.deepEqual(
    r.facts.map((f) => f.path),
    ['/etc/os-release', '/usr/bin/python3'],
    'symlinks are never read',
  );
  assert.equal(r.merged.resolve('/usr/bin/python')?.path, '/usr/bin/python3');
  assert.equal(r.merged.resolve('/usr/bin/up'), undefined);
  assert.equal(r.layers.length, 1);
  assert.match(r.layers[0].digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(existsSync(join(dir, 'dir-cache')), false, 'no cache for dir:');
  const fact = r.facts[0] as Extract<Fact, { kind: 'content-hash' }>;
  assert.equal(fact.sha256, createHash('sha256').update('ID=debian\n').digest('hex'));
});

test(
  'dir: walk reads exactly the claimed files, small ' + 'ones whole and large ones in chunks; hardlinks once',
  async () => {
    const root = join(dir, 'rootfs-read');
    mkdirSync(join(root, 'models'), { recursive: true });
    mkdirSync(join(root, 'etc'), { recursive: true });
    const big = Buffer.alloc(9 * 1024 * 1024 + 7); // above the size read through the thread pool
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
    writeFileSync(join(root, 'models/w.bin'), big);
    linkSync(join(root, 'models/w.bin'), join(root, 'models/x.bin'));
    writeFileSync(join(root, 'etc/small'), 'hello\n');
    writeFileSync(join(root, 'etc/empty'), '');
    const seen: { path: string; bytes: number; chunks: number }[] = [];
    const streamer: Analyzer = {
      name: 'streamer',
      version: 1,
      wants: (e) => (e.type === 'file' && e.path.startsWith('/models/') ? 'stream' : null),
      sink(e) {
        const h = createHash('sha256');
        let bytes = 0;
        let chunks = 0;
        return {
          write: (c) => {
            h.update(c);
            bytes += c.length;
            chunks++;
          },
          end: () => {
            seen.push({ path: e.path, bytes, chunks });
            return [{ kind: 'content-hash', path: e.path, sha256: h.digest('hex'), size: e.size }];
          },
        };
      },
    };
    const whole: Analyzer = {
      name: 'whole',
      version: 1,
      wants: (e) => (e.type === 'file' && e.path.startsWith('/etc/') ? { maxBytes: 1024 } : null),
      analyze: (e, content) => [
        {
          kind: 'content-hash',
          path: e.path,
          sha256: createHash('sha256').update(content!).digest('hex'),
          size: e.size,
        },
      ],
    };
    const image: Image = {
      source: { target: `dir:${root}`, kind: 'dir' },
      config: { diffIds: [] },
      layers: [],
      rootDir: root,
    };
    const r = await walkImage(image, { analyzers: [streamer, whole] });
    assert.equal(r.merged.get('/models/x.bin')?.type, 'hardlink');
    assert.equal(r.merged.get('/models/x.bin')?.linkTarget, '/models/w.bin');
    assert.deepEqual(
      seen.map((s) => [s.path, s.bytes]),
      [['/models/w.bin', big.length]],
      'the big file, read once',
    );
    assert.ok(seen[0].chunks > 1, 'a large file reaches the sink in chunks');
    const hashes = Object.fromEntries(
      r.facts.filter((f) => f.kind === 'content-hash').map((f) => [f.path, (f as { sha256: string }).sha256]),
    );
    const sha = (b: string | Buffer): string => createHash('sha256').update(b).digest('hex');
    assert.deepEqual(hashes, { '/etc/empty': sha(''), '/etc/small': sha('hello\n'), '/models/w.bin': sha(big) });
    assert.equal(r.layers[0].files, 3);
  },
);

test('readAt: a dir: walk hands analyzers the open file, a layer streams to sink(); faults are problems', async () => {
  const root = join(dir, 'rootfs-random');
  mkdirSync(join(root, 'bin'), { recursive: true });
  const body = Buffer.from(`${'0123456789'.repeat(30_000)}the-tail`);
  writeFileSync(join(root, 'bin/tool'), body);
  writeFileSync(join(root, 'bin/bad'), 'x');
  const how: string[] = [];
  const tail: Analyzer = {
    name: 'tail',
    version: 1,
    wants: (e) => (e.type === 'file' ? 'stream' : null),
    sink(e) {
      const parts: Buffer[] = [];
      return {
        write: (c) => void parts.push(Buffer.from(c)),
        end: () => {
          how.push(`sink ${e.path}`);
          const all = Buffer.concat(parts);
          return [{ kind: 'content-hash', path: e.path, sha256: all.subarray(-8).toString('hex'), size: e.size }];
        },
      };
    },
    async readAt(e, file) {
      how.push(`readAt ${e.path}`);
      if (e.path === '/bin/bad') throw new Error('boom');
      assert.equal(file.size, e.size);
      // past the end: only what is there
      const last = await file.read(file.size - 8, 64);
      return [{ kind: 'content-hash', path: e.path, sha256: last.toString('hex'), size: e.size }];
    },
  };
  const fromDir = await walkImage(
    { source: { target: `dir:${root}`, kind: 'dir' }, config: { diffIds: [] }, layers: [], rootDir: root },
    { analyzers: [tail] },
  );
  assert.deepEqual(how.sort(), ['readAt /bin/bad', 'readAt /bin/tool']);
  const expected = body.subarray(-8).toString('hex');
  assert.equal(
    (fromDir.facts.find((f) => f.path === '/bin/tool' && f.kind === 'content-hash') as { sha256?: string } | undefined)
      ?.sha256,
    expected,
  );
  const bad = fromDir.facts.find((f) => f.path === '/bin/bad');
  assert.equal(
    bad?.kind === 'problem' && `${bad.code} ${bad.analyzer} ${bad.message}`,
    'analyzer-failed tail failed: boom',
  );
  how.length = 0;
  const fromLayer = await walkImage(
    imageOf([await layerOf([D('/bin'), [{ path: '/bin/tool', type: 'file' }, body.toString()]], 'none')]),
    {
      analyzers: [tail],
    },
  );
  assert.deepEqual(how, ['sink /bin/tool']);
  assert.equal(
    (
      fromLayer.facts.find((f) => f.path === '/bin/tool' && f.kind === 'content-hash') as
        { sha256?: string } | undefined
    )?.sha256,
    expected,
  );
});

test('a layer given as an already open stream of an uncompressed tar works too (Readable.from)', async () => {
  const l = await layerOf([F('/x', 'y')], 'none');
  const wrapped: Layer = {
    ...l,
    digest: l.digest,
    mediaType: l.mediaType,
    size: l.size,
    open: async (s) => Readable.from(await l.open(s)),
  };
  const r = await walkImage(imageOf([wrapped]), { analyzers: [] });
  assert.equal(r.merged.get('/x')?.size, 1);
});
