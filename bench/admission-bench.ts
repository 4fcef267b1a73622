// Admission benchmark: a SQLite store with 200 catalog images (each a digest with a result of 40 findings and a
// followed tag); the real HTTPS server (a certificate made with openssl) runs in a worker thread, and 16 concurrent
// clients on the main thread send AdmissionReviews — a Deployment with 3 images by tag, resolved through the tag
// history — for 10 s over keep-alive connections. Reports p50/p95/p99 latency and throughput. Target: p99 ≤ 50 ms.
// Run: npx node bench/admission-bench.ts   (ADMISSION_BENCH_SECONDS, ADMISSION_BENCH_CLIENTS to change)
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Agent, request } from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { putSyntheticResult, syntheticFindings } from './synthetic-results.ts';
import { openStore, TIERS } from '../src/store/index.ts';
import { startServer } from '../src/serve/http.ts';

const IMAGES = 200;
const FINDINGS = 40;
const SECONDS = Number(process.env.ADMISSION_BENCH_SECONDS ?? 10);
const CLIENTS = Number(process.env.ADMISSION_BENCH_CLIENTS ?? 16);
const repo = (i: number) => `registry.example/ml/image-${String(i).padStart(3, '0')}`;

if (!isMainThread) {
  // the server: its own thread, so the clients' work does not sit in its event loop
  const { dir } = workerData as { dir: string };
  const store = await openStore({ data: dir });
  const server = await startServer(
    { store, env: { dbPath: join(dir, 'none.db'), cacheDir: null } },
    { listen: '127.0.0.1:0', tls: { cert: join(dir, 'server.crt'), key: join(dir, 'server.key') } },
  );
  parentPort!.postMessage(server.url);
  parentPort!.once('message', () => {
    void server.close().then(() => store.close());
  });
} else {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-admission-bench-'));
  try {
    const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    ssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=bench CA']);
    ssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    ssl(
      ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'].concat([
        '-out',
        'server.crt',
        '-days',
        '1',
        '-extfile',
        'san.ext',
      ]),
    );
    const store = await openStore({ data: dir });
    for (let i = 0; i < IMAGES; i++) {
      const repository = repo(i);
      await store.putCatalog({
        repository,
        tier: TIERS[i % 3],
        policy: i % 2 ? {} : { failOn: 'critical' },
        tags: ['1'],
      });
      const digest = `sha256:${i.toString(16).padStart(64, '0')}`;
      await store.putDigest(
        {
          digest,
          analyzerVersion: 'bench',
          target: `${repository}:1`,
          repository,
          inventory: { packages: [] } as never,
          analysis: {} as never,
          image: { source: { target: `${repository}:1`, kind: 'registry' }, config: { diffIds: [] }, layers: [] },
        } as never,
        '{}',
      );
      await store.recordTag({ repository, tag: '1', digest });
      const findings = syntheticFindings(
        FINDINGS,
        i,
        (f) => ({
          id: `p${f}`,
          type: 'deb',
          name: `package-${f}`,
          version: '1.0',
          purl: `pkg:deb/debian/package-${f}@1.0`,
        }),
        5,
      );
      await putSyntheticResult(store, digest, findings);
    }
    await store.close();

    const worker = new Worker(new URL(import.meta.url), { workerData: { dir } });
    const url = await new Promise<string>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const ca = readFileSync(join(dir, 'ca.crt'));
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS, ca });
    const review = (n: number) =>
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: `uid-${n}`,
          kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
          namespace: 'shop',
          name: 'web',
          operation: 'CREATE',
          object: {
            spec: {
              template: {
                spec: {
                  containers: [0, 1, 2].map((k) => ({ name: `c${k}`, image: `${repo((n * 3 + k) % IMAGES)}:1` })),
                },
              },
            },
          },
        },
      });
    const post = (body: string) =>
      new Promise<{ status: number; allowed: boolean }>((resolve, reject) => {
        const req = request(
          `${url}/admission/validate`,
          {
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (c: string) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, allowed: JSON.parse(text).response?.allowed }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    // warm up: connections and the first queries
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => post(review(c))));
    const latencies: number[] = [];
    let denied = 0;
    let n = 0;
    const end = performance.now() + SECONDS * 1000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < end) {
          const s = performance.now();
          const r = await post(review(n++));
          latencies.push(performance.now() - s);
          if (r.status !== 200) throw new Error(`admission answered ${r.status}`);
          if (!r.allowed) denied++;
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
    worker.postMessage('stop');
    await new Promise((r) => worker.once('exit', r));
    agent.destroy();
    const f = (ms: number) => `${ms.toFixed(1)} ms`;
    process.stdout.write(
      [
        `admission bench: ${IMAGES} catalog images × ${FINDINGS} findings; ` +
          `${CLIENTS} concurrent clients over HTTPS for ${SECONDS} s; 3 images by tag per review`,
        `  reviews: ${latencies.length} (${denied} denied), ` +
          `throughput ${(latencies.length / elapsed).toFixed(0)} reviews/s`,
        `  latency p50 ${f(pct(50))}, p95 ${f(pct(95))}, p99 ${f(pct(99))} (target p99 ≤ 50 ms), ` +
          `max ${f(latencies[latencies.length - 1])}`,
        `  peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (server thread included)`,
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
