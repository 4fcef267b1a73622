// Web UI benchmark: a SQLite store with 1,000 catalog images (each a digest with 400 packages, a result with 40
// findings and a followed tag) served by the real HTTP server; times the catalog menu page (first load and the
// median of later loads, filtered and paged) and an image page. Target: the menu in < 1 s.
// Run: npx node bench/ui-bench.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { putSyntheticResult, syntheticFindings } from './synthetic-results.ts';
import type { Package } from '../src/core/package.ts';
import { openStore, TIERS } from '../src/store/index.ts';
import { startServer } from '../src/serve/http.ts';

const IMAGES = Number(process.env.UI_BENCH_IMAGES ?? 1000);
const PACKAGES = 400;
const FINDINGS = 40;
const dir = mkdtempSync(join(tmpdir(), 'zerocve-ui-bench-'));
const store = await openStore({ data: dir });
try {
  const t0 = performance.now();
  const token = (await store.createToken('bench', 'reader')).secret;
  for (let i = 0; i < IMAGES; i++) {
    const repository = `registry.example/ml/image-${String(i).padStart(4, '0')}`;
    await store.putCatalog({
      repository,
      tier: TIERS[i % TIERS.length],
      description: `image ${i}`,
      policy: { failOn: 'critical' },
      tags: ['latest'],
    });
    const digest = `sha256:${i.toString(16).padStart(64, '0')}`;
    const packages = Array.from(
      { length: PACKAGES },
      (_, p): Package =>
        ({
          id: `pkg-${p}`,
          type: p % 3 ? 'deb' : 'python',
          name: p === 0 ? (i % 2 ? 'torch' : 'tensorflow') : `package-${p}`,
          version: p === 0 ? '2.4.0' : `1.${p}.0`,
          purl: `pkg:generic/package-${p}@1.${p}.0`,
          locations: [{ path: `/usr/lib/p${p}`, layer: 0 }],
        }) as unknown as Package,
    );
    await store.putDigest(
      {
        digest,
        analyzerVersion: 'bench',
        target: `${repository}:latest`,
        repository,
        inventory: { packages } as never,
        analysis: { surface: { executables: 300 + i, totalBytes: 1e9 } as never },
        image: {
          source: { target: `${repository}:latest`, kind: 'registry' },
          config: { env: [`CUDA_VERSION=${11 + (i % 2)}.8`], diffIds: [] },
          layers: [],
        },
      },
      '{}',
    );
    await store.recordTag({ repository, tag: 'latest', digest });
    await putSyntheticResult(
      store,
      digest,
      syntheticFindings(FINDINGS, i, (f) => packages[f]),
    );
  }
  const fillMs = performance.now() - t0;
  const get = async (path: string): Promise<number> => {
    const s = performance.now();
    const res = await fetch(server.url + path, { headers: { authorization: `Bearer ${token}` } });
    const body = await res.text();
    if (res.status !== 200)
      throw new Error(`${path}: ${res.status} ${/role="alert">([^<]*)/.exec(body)?.[1] ?? body.slice(0, 300)}`);
    return performance.now() - s;
  };
  const median = async (path: string, n = 9): Promise<number> => {
    const t: number[] = [];
    for (let i = 0; i < n; i++) t.push(await get(path));
    return t.sort((a, b) => a - b)[Math.floor(n / 2)];
  };
  const startT = performance.now();
  const server = await startServer(
    { store, env: { dbPath: join(dir, 'none.db'), cacheDir: null } },
    { listen: '127.0.0.1:0' },
  );
  // the server computes the menu's rows in the background from its start: the first request waits for that
  const first = await get('/ui/');
  const ready = performance.now() - startT;
  const warm = await median('/ui/');
  const filtered = await median('/ui/?framework=PyTorch&cuda=12&clean=1&q=image');
  const paged = await median('/ui/?page=7&per=100');
  const image = await median(`/ui/image/${encodeURIComponent(`sha256:${(5).toString(16).padStart(64, '0')}`)}`);
  await server.close();
  const f = (ms: number) => `${ms.toFixed(0)} ms`;
  process.stdout.write(
    [
      `UI bench: ${IMAGES} catalog images × ${PACKAGES} packages × ${FINDINGS} findings (store filled in ` +
        `${(fillMs / 1000).toFixed(1)} s)`,
      `  menu, first load: server start → menu served ${f(ready)} (every row computed once per process; ` +
        `this request ${f(first)})`,
      `  menu, later loads (median of 9):        ${f(warm)}  (target < 1000 ms)`,
      `  menu, filtered (median):                ${f(filtered)}`,
      `  menu, page 7 of 100 per page (median):  ${f(paged)}`,
      `  image page (median):                    ${f(image)}`,
      `  peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
      '',
    ].join('\n'),
  );
} finally {
  await store.close();
  if (!process.env.UI_BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  else process.stdout.write(`kept ${dir}\n`);
}
