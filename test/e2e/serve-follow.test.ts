// `zerocve serve --follow-interval` end to end with the real CLI and a real registry (Debian's docker-registry): a
// catalog.yaml follows a tag; the service resolves it every second, scans its digest once, leaves it alone while it
// does not move (however many rounds pass), and scans the new digest when a new image is pushed to the tag, keeping
// the old one in the history. Responses are checked against the service's OpenAPI document.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { openApiDocument } from '../../src/serve/openapi.ts';
import { buildTinyLayout, pushOciLayout, startRegistry, type RunningRegistry } from '../support/registry.ts';
import { startCli, until, createResponseChecker, type Child } from '../support/service.ts';
import { zerocve } from './support.ts';
import { placeholderDb } from '../support/placeholder-db.ts';

const check = createResponseChecker(openApiDocument() as Record<string, unknown>);
let work = '';
let registry: RunningRegistry | undefined;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'zc-e2e-follow-'));
  registry = await startRegistry();
  await placeholderDb(work);
  await buildTinyLayout(join(work, 'layout'), 'one', { files: { 'etc/motd': 'first build\n' } });
  await buildTinyLayout(join(work, 'layout'), 'two', { files: { 'etc/motd': 'second build\n' } });
  await pushOciLayout(join(work, 'layout'), 'one', registry.host, undefined, { repo: 'ml/app', destTag: 'latest' });
});

after(async () => {
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const digestOf = (tag: string): string =>
  (
    JSON.parse(readFileSync(join(work, 'layout', 'index.json'), 'utf8')) as {
      manifests: { digest: string; annotations?: Record<string, string> }[];
    }
  ).manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag)!.digest;

test('serve follows a tag: one scan per digest, none while the tag stays put', { timeout: 300_000 }, async () => {
  const repo = `${registry!.host}/ml/app`;
  writeFileSync(join(work, 'catalog.yaml'), `images:\n  - repository: ${repo}\n    tier: golden\n    tags: [latest]\n`);
  const data = ['--data', join(work, 'data')];
  const reader = (await zerocve(['token', 'dash', '--role', 'reader', ...data])).stdout.trim();
  let serve: Child | undefined;
  try {
    serve = startCli([
      'serve',
      ...data,
      '--db',
      join(work, 'vuln.db'),
      '--no-cache',
      '--insecure',
      '--catalog',
      join(work, 'catalog.yaml'),
      '--follow-interval',
      '1',
      '--registry-rps',
      '5',
      '--listen',
      '127.0.0.1:0',
    ]);
    const url = (await serve.waitFor(/listening on (http:\/\/\S+)/))[1];
    const get = async (path: string) => {
      const res = await fetch(url + path, { headers: { authorization: `Bearer ${reader}` } });
      const body = await res.json();
      assert.deepEqual(
        check('GET', new URL(url + path).pathname, res.status, res.headers.get('content-type')!, body),
        [],
      );
      return body;
    };
    const entry = () => get(`/api/v1/catalog/${encodeURIComponent(repo)}`);
    const scans = async () => {
      const m = await fetch(`${url}/metrics`).then((r) => r.text());
      return Number(/^zerocve_job_duration_seconds_count\{job="scan"\} (\d+)$/m.exec(m)?.[1] ?? 0);
    };
    const d1 = digestOf('one');
    await until(async () => (await get('/api/v1/images')).items.length === 1, 'the first scan');
    const first = await entry();
    assert.deepEqual(
      first.following.map((h: { tag: string; digest: string }) => [h.tag, h.digest]),
      [['latest', d1]],
    );
    // several rounds pass with the tag unchanged: each confirms it (checkedAt moves), none scans
    const checked = first.following[0].checkedAt as string;
    await until(async () => (await entry()).following[0].checkedAt > checked, 'a later round');
    await sleep(2500);
    assert.equal(await scans(), 1, 'one scan while the tag stays put');
    assert.equal((await entry()).following[0].changedAt, first.following[0].changedAt);

    // a new image under the same tag: its digest is scanned; the old digest stays in the history
    await pushOciLayout(join(work, 'layout'), 'two', registry!.host, undefined, { repo: 'ml/app', destTag: 'latest' });
    const d2 = digestOf('two');
    await until(async () => (await get('/api/v1/images')).items.length === 2, 'the scan of the new digest');
    const moved = await entry();
    assert.equal(moved.following[0].digest, d2);
    assert.deepEqual(
      moved.history.map((h: { digest: string }) => h.digest),
      [d2, d1],
    );
    await sleep(2000);
    assert.equal(await scans(), 2);
    assert.match(serve.output(), new RegExp(`ml/app:latest now points at ${d2}`));
    assert.equal(await serve.stop('SIGTERM'), 0, serve.output());
  } finally {
    await serve?.stop('SIGKILL');
  }
});
