// computeBloat on a real two-layer image walked by the real walker: shadowed bytes come from the merge, and facts
// of replaced files (the unstripped binary's debug bytes) do not leak into the final view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeBloat } from './bloat.ts';
import { createSurfaceAnalyzers } from './analyzers.ts';
import { createFileLayer, createTarWriter, walkImage } from '../walk/index.ts';
import type { Fact } from '../core/fact.ts';
import type { Image } from '../core/image.ts';

const of = <K extends Fact['kind']>(facts: Fact[], kind: K) =>
  facts.filter((f): f is Extract<Fact, { kind: K }> => f.kind === kind);

async function tar(
  path: string,
  entries: { path: string; type: 'file' | 'dir'; mode?: number; body?: Buffer }[],
): Promise<void> {
  const out = createWriteStream(path);
  const w = createTarWriter(out);
  for (const e of entries)
    await w.add(
      { path: e.path, type: e.type, mode: e.mode, size: e.body?.length ?? 0 } as Parameters<typeof w.add>[0],
      e.body,
    );
  await w.finish();
}

test('shadowed bytes and surviving facts across two real layers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-layers-'));
  try {
    writeFileSync(join(dir, 'main.c'), 'int main(void) { return 0; }\n');
    execFileSync('gcc', ['-g', 'main.c', '-o', 'tool-debug'], { cwd: dir });
    execFileSync('strip', ['-o', 'tool', 'tool-debug'], { cwd: dir });
    const debugTool = readFileSync(join(dir, 'tool-debug'));
    const strippedTool = readFileSync(join(dir, 'tool'));
    const model = Buffer.alloc(50_000, 9);
    const data = Buffer.alloc(20_000, 5);
    await tar(join(dir, 'l0.tar'), [
      { path: '/app', type: 'dir' },
      { path: '/app/model.bin', type: 'file', body: model },
      { path: '/app/tool', type: 'file', mode: 0o755, body: debugTool },
      { path: '/app/data.bin', type: 'file', body: data },
    ]);
    await tar(join(dir, 'l1.tar'), [
      { path: '/app', type: 'dir' },
      { path: '/app/.wh.model.bin', type: 'file' },
      { path: '/app/tool', type: 'file', mode: 0o755, body: strippedTool },
      { path: '/app/data-copy.bin', type: 'file', body: data },
    ]);
    const mediaType = 'application/vnd.oci.image.layer.v1.tar';
    const image: Image = {
      source: { target: `oci-dir:${dir}`, kind: 'oci-dir' },
      config: { diffIds: [] },
      layers: [
        await createFileLayer(join(dir, 'l0.tar'), { mediaType }),
        await createFileLayer(join(dir, 'l1.tar'), { mediaType }),
      ],
    };
    const walked = await walkImage(image, { analyzers: createSurfaceAnalyzers({ hashes: true }) });
    const facts = walked.facts as Fact[];
    const r = computeBloat({
      merged: walked.merged.entries(),
      inventory: { packages: [], models: [], problems: [] },
      shadowed: walked.merged.shadowed,
      hashes: of(facts, 'content-hash'),
      elfFacts: of(facts, 'elf'),
    });
    assert.equal(r.shadowedBytes, model.length + debugTool.length);
    assert.equal(r.totalBytes, strippedTool.length + 2 * data.length);
    assert.equal(
      r.categories.reduce((a, c) => a + c.bytes, 0),
      r.totalBytes,
    );
    assert.equal(
      r.categories.find((c) => c.category === 'debug'),
      undefined,
      'the unstripped binary is gone',
    );
    assert.deepEqual(
      r.duplicates.map((d) => d.paths),
      [['/app/data-copy.bin', '/app/data.bin']],
    );
    assert.equal(r.removableBytes, model.length + debugTool.length + data.length);
    assert.ok(
      r.topOffenders.some((o) => o.category === 'shadowed' && o.path === '/app/model.bin' && o.bytes === model.length),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
