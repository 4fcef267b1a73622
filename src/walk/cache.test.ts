// The layer cache stays under its size cap, least recently used first, with several writers at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evictLayerCache, loadLayerRecord, saveLayerRecord } from './cache.ts';
import type { LayerRecord } from './types.ts';

function record(n: number, files: number): LayerRecord {
  const entries = Array.from({ length: files }, (_, i) => ({
    path: `/usr/lib/layer-${n}/file-${i}-${(i * 2654435761) % 1000003}.so`,
    type: 'file' as const,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: i * 17,
    mtime: 1_700_000_000 + i,
    layer: 0,
  }));
  return {
    entries,
    whiteouts: [],
    opaque: [],
    facts: [],
    uncompressedSize: files * 100,
    entryCount: files,
    fileCount: files,
  };
}

const fileOf = (dir: string, key: string): string => join(dir, 'layers', `${key}.json.gz`);
const ago = (dir: string, key: string, minutes: number): void => {
  const t = new Date(Date.now() - minutes * 60_000);
  utimesSync(fileOf(dir, key), t, t);
};

test('layer cache: least recently used files are evicted after a write until under the cap', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const big = Number.MAX_SAFE_INTEGER;
  for (const k of ['a', 'b', 'c']) await saveLayerRecord(dir, k, record(k.charCodeAt(0), 3000), big);
  ago(dir, 'a', 30); // written first…
  ago(dir, 'b', 20);
  ago(dir, 'c', 10);
  const size = (k: string): number => statSync(fileOf(dir, k)).size;
  // …but read last: a hit makes it the most recently used
  const hit = await loadLayerRecord(dir, 'a', 0);
  assert.equal(hit?.entries.length, 3000);
  assert.ok(statSync(fileOf(dir, 'a')).mtimeMs > Date.now() - 60_000, 'a hit touches the file');

  // the new record and `a` fit; `b` and `c` (least recently used) go
  await saveLayerRecord(dir, 'd', record(4, 3000), big);
  const cap = size('a') + size('d');
  const r = await evictLayerCache(dir, cap);
  assert.deepEqual(r.removed.sort(), ['b.json.gz', 'c.json.gz']);
  assert.ok(r.bytes <= cap);
  assert.deepEqual(readdirSync(join(dir, 'layers')).sort(), ['a.json.gz', 'd.json.gz']);
  // an evicted layer is a miss: rescanned, never an error
  assert.equal(await loadLayerRecord(dir, 'b', 0), undefined);

  // saveLayerRecord applies the cap itself
  ago(dir, 'a', 5);
  // (the records compress to about the same size: the cap fits two and a half of them)
  await saveLayerRecord(dir, 'e', record(5, 3000), Math.round(size('d') + size('a') * 1.5));
  assert.deepEqual(readdirSync(join(dir, 'layers')).sort(), ['d.json.gz', 'e.json.gz']);
});

test('layer cache eviction tolerates other processes evicting and writing at the same time', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (let i = 0; i < 12; i++) await saveLayerRecord(dir, `k${i}`, record(i, 500), Number.MAX_SAFE_INTEGER);
  // a writer's temp file in progress stays; one left by a killed writer two hours ago goes
  const fresh = join(dir, 'layers', 'k99.json.gz.tmp-fresh');
  const stale = join(dir, 'layers', 'k98.json.gz.tmp-stale');
  writeFileSync(fresh, 'partial');
  writeFileSync(stale, 'partial');
  const old = new Date(Date.now() - 2 * 3_600_000);
  utimesSync(stale, old, old);
  // four evictors and two writers at once over the same files: none fails on a file another one removed
  await Promise.all([
    evictLayerCache(dir, 0),
    evictLayerCache(dir, 0),
    saveLayerRecord(dir, 'w1', record(21, 500), 0),
    evictLayerCache(dir, 0),
    saveLayerRecord(dir, 'w2', record(22, 500), 0),
    evictLayerCache(dir, 0),
  ]);
  assert.deepEqual(readdirSync(join(dir, 'layers')), ['k99.json.gz.tmp-fresh']);
  assert.equal(existsSync(stale), false);
  // and a folder that does not exist yet is an empty cache
  assert.deepEqual(await evictLayerCache(join(dir, 'none'), 0), { bytes: 0, removed: [] });
});
