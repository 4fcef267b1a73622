// Tag following against the real registry (Debian's docker-registry, CNCF distribution 2.8), seen through a small
// logging proxy in front of it: the proxy records every request (method, path, If-None-Match, status) and can answer
// 429 with Retry-After, as a rate-limiting registry does. Scans run on a real SQLite store with a real worker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  buildTinyLayout,
  freePort,
  pushOciLayout,
  startRegistry,
  type RunningRegistry,
} from '../../test/support/registry.ts';
import { openStore, type ServiceStore } from '../store/index.ts';
import { startWorkers, type ServiceContext } from './jobs.ts';
import { createTagFollower, type TagFollower } from './tag-follower.ts';
import { placeholderDb } from '../../test/support/placeholder-db.ts';

interface Logged {
  at: number;
  method: string;
  path: string;
  ifNoneMatch?: string;
  status: number;
}

let work = '';
let registry: RunningRegistry | undefined;
let proxy: Server | undefined;
let proxyHost = '';
const log: Logged[] = [];
/** the proxy answers this many manifest requests with 429 (Retry-After: retryAfter) before passing them on again */
let tooMany = 0;
let retryAfter = '1';
let store: ServiceStore | undefined;
let workers: { stop(): Promise<void> } | undefined;
let follower: TagFollower | undefined;
let ctx: ServiceContext;

const manifestRequests = (since: number, repo = 'ml/app'): Logged[] =>
  log.filter((l) => l.at >= since && l.path.startsWith(`/v2/${repo}/manifests/`));

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'zc-follow-'));
  registry = await startRegistry();
  const [, port] = registry.host.split(':');
  proxy = createServer((req, res) => {
    const entry: Logged = {
      at: Date.now(),
      method: req.method ?? '',
      path: req.url ?? '',
      ifNoneMatch: req.headers['if-none-match'] as string | undefined,
      status: 0,
    };
    log.push(entry);
    if (entry.path.includes('/manifests/') && tooMany > 0) {
      tooMany--;
      entry.status = 429;
      res
        .writeHead(429, { 'retry-after': retryAfter, 'content-type': 'application/json' })
        .end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }));
      return;
    }
    const up = request(
      { host: '127.0.0.1', port: Number(port), method: req.method, path: req.url, headers: req.headers },
      (r) => {
        entry.status = r.statusCode ?? 0;
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
  proxyHost = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;

  // a vulnerability database (one advisory; the follower's tests are about which digests get scanned)
  const dbPath = await placeholderDb(work);

  await buildTinyLayout(join(work, 'layout'), 'one', { files: { 'etc/motd': 'first build\n' } });
  await buildTinyLayout(join(work, 'layout'), 'two', { files: { 'etc/motd': 'second build\n' } });
  await buildTinyLayout(join(work, 'layout'), 'other', { files: { 'etc/motd': 'another image\n' } });
  await pushOciLayout(join(work, 'layout'), 'one', registry.host, undefined, { repo: 'ml/app', destTag: 'latest' });
  await pushOciLayout(join(work, 'layout'), 'one', registry.host, undefined, { repo: 'ml/app', destTag: 'stable' });
  await pushOciLayout(join(work, 'layout'), 'other', registry.host, undefined, { repo: 'ml/other', destTag: '1' });

  store = await openStore({ data: join(work, 'data') });
  ctx = { store, env: { dbPath, cacheDir: null, open: { insecure: true } } };
  // through the proxy: the images this test watches; straight to the registry: another registry's image
  await store.putCatalog({ repository: `${proxyHost}/ml/app`, tier: 'golden', policy: {}, tags: ['latest', 'stable'] });
  await store.putCatalog({ repository: `${registry.host}/ml/other`, tier: 'candidate', policy: {}, tags: ['1'] });
  workers = await startWorkers(ctx, { pollSeconds: 0.2 });
  follower = createTagFollower(ctx, { registryRps: 2 });
});

after(async () => {
  follower?.stop();
  await workers?.stop();
  await store?.close();
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function scanned(repository: string, count: number): Promise<string[]> {
  for (let i = 0; i < 600; i++) {
    const refs = await store!.listDigestRefs(repository);
    if (refs.length >= count) return refs.map((r) => r.digest);
    await sleep(100);
  }
  throw new Error(`${repository}: ${count} digest(s) not scanned in time`);
}

test('a followed tag is scanned once per digest; an unchanged tag costs one conditional request', async () => {
  const app = `${proxyHost}/ml/app`;
  // first round: both tags resolved; they point at one digest, scanned once
  let since = Date.now();
  const first = await follower!.followAll();
  assert.deepEqual([first.checked, first.moved, first.queued], [3, 3, 2], JSON.stringify(first));
  const [d1] = await scanned(app, 1);
  await scanned(`${registry!.host}/ml/other`, 1);
  assert.deepEqual(
    manifestRequests(since)
      .map((l) => [l.method, l.path, l.ifNoneMatch, l.status])
      .sort(),
    [
      // the scan job pulls the digest (one GET of the manifest, by digest), meanwhile the follower goes on
      ['GET', `/v2/ml/app/manifests/${d1}`, undefined, 200],
      ['HEAD', '/v2/ml/app/manifests/latest', undefined, 200],
      ['HEAD', '/v2/ml/app/manifests/stable', undefined, 200],
    ],
  );
  // requests to one registry are spaced by --registry-rps (2 per second: slots 500 ms apart; the first request may
  // leave late in its slot, so the gap seen at the proxy is a little shorter — without the limit it is a few ms)
  const heads = manifestRequests(since).filter((l) => l.method === 'HEAD');
  assert.ok(heads[1].at - heads[0].at >= 250, `spaced ${heads[1].at - heads[0].at} ms`);
  assert.deepEqual(
    (await store!.tagHistory(app, 'latest')).map((t) => t.digest),
    [d1],
  );

  // nothing changed: one conditional request per tag, answered 304, and no scan
  since = Date.now();
  const jobsBefore = (await store!.jobs.stats()).completed;
  const second = await follower!.followAll();
  assert.deepEqual([second.checked, second.moved, second.queued], [3, 0, 0]);
  await sleep(500);
  assert.deepEqual(
    manifestRequests(since).map((l) => [l.method, l.path, l.ifNoneMatch, l.status]),
    [
      ['HEAD', '/v2/ml/app/manifests/latest', `"${d1}"`, 304],
      ['HEAD', '/v2/ml/app/manifests/stable', `"${d1}"`, 304],
    ],
  );
  assert.equal(log.filter((l) => l.at >= since && l.path.includes('/blobs/')).length, 0, 'no image pulled again');
  const stats = await store!.jobs.stats();
  assert.equal(stats.completed, jobsBefore);
  assert.equal(stats.queued + stats.active, 0);

  // a new image pushed to the same tag: its digest is scanned; the old digest stays in the history
  await pushOciLayout(join(work, 'layout'), 'two', registry!.host, undefined, { repo: 'ml/app', destTag: 'latest' });
  since = Date.now();
  const third = await follower!.followAll();
  assert.deepEqual([third.checked, third.moved, third.queued], [3, 1, 1]);
  const digests = await scanned(app, 2);
  const d2 = digests.find((d) => d !== d1)!;
  assert.deepEqual(
    manifestRequests(since)
      .filter((l) => l.method === 'HEAD')
      .map((l) => [l.path, l.status]),
    [
      ['/v2/ml/app/manifests/latest', 200],
      ['/v2/ml/app/manifests/stable', 304],
    ],
  );
  assert.deepEqual(
    (await store!.tagHistory(app, 'latest')).map((t) => t.digest),
    [d2, d1],
  );
  assert.equal((await store!.getTagHead(app, 'latest'))!.digest, d2);
  assert.equal((await store!.getTagHead(app, 'stable'))!.digest, d1);
});

test('a 429 with Retry-After: the follower waits that long, does not hammer, and other registries go on', async () => {
  tooMany = 2;
  retryAfter = '1';
  const since = Date.now();
  const round = await follower!.followAll();
  const took = Date.now() - since;
  const app = manifestRequests(since);
  assert.deepEqual(
    app.map((l) => [l.path, l.status]),
    [
      ['/v2/ml/app/manifests/latest', 429],
      ['/v2/ml/app/manifests/latest', 429],
      ['/v2/ml/app/manifests/latest', 304],
      ['/v2/ml/app/manifests/stable', 304],
    ],
    'each 429 is followed by one request, after the wait, never a burst',
  );
  assert.ok(app[1].at - app[0].at >= 950, `waited ${app[1].at - app[0].at} ms after the first 429`);
  assert.ok(app[2].at - app[1].at >= 950, `waited ${app[2].at - app[1].at} ms after the second 429`);
  assert.ok(took >= 2000, `the round took ${took} ms`);
  assert.deepEqual(round.deferred, [proxyHost]);
  assert.equal(round.checked, 3);
  // the other registry was not held up by this one's wait: its tag was checked before the first wait was over
  const other = await store!.getTagHead(`${registry!.host}/ml/other`, '1');
  assert.ok(Date.parse(other!.checkedAt) < app[1].at, 'the other registry was checked during the wait');

  // a registry still waiting out a long Retry-After is skipped by the next rounds: one request, not one per round
  tooMany = 1;
  retryAfter = '3';
  const start = Date.now();
  const waiting = follower!.followAll();
  await sleep(300);
  const skipped = await follower!.followAll();
  assert.deepEqual(skipped.deferred, [proxyHost], 'the next round leaves the waiting registry alone');
  await waiting;
  const reqs = manifestRequests(start);
  assert.equal(reqs[0].status, 429);
  assert.ok(reqs[1].at - reqs[0].at >= 2900, `waited ${reqs[1].at - reqs[0].at} ms`);
  assert.equal(reqs.length, 3, JSON.stringify(reqs));
});

test('an unreachable registry: one error per round, its other tags wait for the next round', async () => {
  const dead = `127.0.0.1:${await freePort()}`;
  await store!.putCatalog({ repository: `${dead}/ml/gone`, tier: 'candidate', policy: {}, tags: ['a', 'b', 'c'] });
  const errors: unknown[] = [];
  const f = createTagFollower(ctx, { registryRps: 20, onError: (e) => errors.push(e) });
  try {
    const round = await f.followAll();
    assert.equal(errors.length, 1, errors.map(String).join('\n'));
    assert.match(String((errors[0] as Error).message), /cannot connect/);
    assert.deepEqual(round.deferred, [dead]);
    assert.equal(round.checked, 3, 'the reachable registries were checked as usual');
  } finally {
    f.stop();
    await store!.deleteCatalog(`${dead}/ml/gone`);
  }
});
