// Model files identified by their first bytes while streamed, hashed as sha256sum hashes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInventory } from '../index.ts';
import { analyzeFiles } from '../../../test/support/walk-root.ts';
import { createModelAnalyzer } from './analyzer.ts';

test('model formats by magic, sha256 and size, .bin only when it looks like a model', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-model-'));
  try {
    // real files made by Python's own pickle and zipfile modules, and format headers per their specifications
    execFileSync('python3', [
      '-c',
      `
import pickle, zipfile, json, struct, sys
d = sys.argv[1]
open(d + '/a.pkl', 'wb').write(pickle.dumps({'w': [1.0] * 1000}, protocol=4))
with zipfile.ZipFile(d + '/m.pt', 'w') as z: z.writestr('archive/data.pkl', pickle.dumps([1, 2], protocol=2))
h = json.dumps({'w': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]}}).encode()
open(d + '/m.safetensors', 'wb').write(struct.pack('<Q', len(h)) + h + b'\\0' * 8)
open(d + '/m.gguf', 'wb').write(b'GGUF' + struct.pack('<I', 3) + b'\\0' * 24)
open(d + '/m.h5', 'wb').write(b'\\x89HDF\\r\\n\\x1a\\n' + b'\\0' * 100)
open(d + '/plain.bin', 'wb').write(b'\\x7fELF' + b'\\0' * 100)
open(d + '/tutor.pt', ` +
        `'wb').write(b'===============================================================================\\n=` +
        `    B e m - v i n d o   ao   t u t o r   d o   V I M')
open(d + '/weights.bin', 'wb').write(b'\\0' * 100)
open(d + '/pickled.bin', 'wb').write(pickle.dumps([1], protocol=3))
`,
      dir,
    ]);
    const files = [
      ['/models/a.pkl', 'a.pkl'],
      ['/models/m.pt', 'm.pt'],
      ['/srv/m.safetensors', 'm.safetensors'],
      ['/srv/m.gguf', 'm.gguf'],
      ['/srv/m.h5', 'm.h5'],
      ['/usr/lib/firmware/plain.bin', 'plain.bin'],
      ['/root/.cache/huggingface/hub/weights.bin', 'weights.bin'],
      ['/opt/app/pickled.bin', 'pickled.bin'],
      ['/usr/share/vim/vim90/tutor/tutor.pt', 'tutor.pt'],
    ].map(([path, f]) => ({ path, source: join(dir, f) }));
    const inv = buildInventory(await analyzeFiles([createModelAnalyzer()], files, 3));
    assert.deepEqual(
      inv.models.map((m) => `${m.path} ${m.format}`),
      [
        '/models/a.pkl pickle',
        '/models/m.pt pytorch-zip',
        '/opt/app/pickled.bin pickle',
        '/root/.cache/huggingface/hub/weights.bin unknown',
        '/srv/m.gguf gguf',
        '/srv/m.h5 keras-h5',
        '/srv/m.safetensors safetensors',
      ],
    );
    for (const m of inv.models) {
      const src = files.find((f) => f.path === m.path)!.source;
      assert.equal(m.sha256, execFileSync('sha256sum', [src], { encoding: 'utf8' }).split(' ')[0]);
      assert.equal(m.size, Number(execFileSync('stat', ['-c', '%s', src], { encoding: 'utf8' })));
      assert.equal(m.layer, 3);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
