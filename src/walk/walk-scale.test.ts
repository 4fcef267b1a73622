// Scale: a 200,000-file layer must walk in bounded memory (its own test file: a fresh process, so RSS is ours).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { createTarWriter } from './tar-writer.ts';

const WALK_RUN = join(import.meta.dirname, '..', '..', 'bench', 'walk-run.ts');

const FILES = 200_000;

test(`a ${FILES}-file layer walks in bounded memory, with a cache round trip`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-scale-'));
  try {
    const file = join(dir, 'layer.tar.gz');
    const tar = new PassThrough({ highWaterMark: 1 << 20 });
    const done = pipeline(tar, createGzip({ level: 1 }), createWriteStream(file));
    const w = createTarWriter(tar, { mtime: 1700000000 });
    const body = Buffer.from('print("hello")\n');
    for (let d = 0; d < FILES / 1000; d++) {
      await w.add({ path: `/usr/lib/python3/dist-packages/pkg${d}`, type: 'dir' });
      for (let i = 0; i < 1000; i++)
        await w.add({ path: `/usr/lib/python3/dist-packages/pkg${d}/module_${i}.py`, type: 'file' }, body);
    }
    await w.finish();
    await done;
    // The walk runs in a child process so its peak RSS is the walk's alone (not this generator's). The live heap
    // after the walk is ~50 MB for 200,200 entries; V8's default young generation on a large-memory machine lets
    // garbage reach ~100 MB more before scavenging, so the child runs with a 16 MB semi-space (as the CLI should).
    const run = (
      cache: string,
    ): { ms: number; maxRssMiB: number; entries: number; files: number; fromCache: boolean } =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [
            '--max-semi-space-size=16',
            WALK_RUN,
            `layers:application/vnd.oci.image.layer.v1.tar+gzip:${file}`,
            '--cache',
            cache,
          ],
          { encoding: 'utf8' },
        ),
      );
    const cold = run(join(dir, 'cache'));
    const warm = run(join(dir, 'cache'));
    assert.equal(cold.entries, FILES + FILES / 1000);
    assert.equal(cold.files, FILES);
    assert.equal(cold.fromCache, false);
    assert.equal(warm.fromCache, true);
    assert.equal(warm.entries, cold.entries);
    const note = `cold ${cold.ms} ms / ${cold.maxRssMiB} MiB peak RSS, warm ${warm.ms} ms / ${warm.maxRssMiB} MiB`;
    assert.ok(cold.maxRssMiB < 250 && warm.maxRssMiB < 250, note);
    process.stderr.write(`# ${note}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
