// `zerocve serve` end to end, once on the embedded SQLite store and once on a real PostgreSQL 15: the real CLI
// serves a catalog, scans a real root file system, a real advisory import (PyPI OSV data) changes the database,
// and the service re-matches the stored inventory without reading the root again and reports exactly the new
// findings as events — the same on both stores. Every response is checked against the service's OpenAPI document,
// which itself is validated against the official OpenAPI 3.1 schema.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync, cpSync, renameSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { zerocve } from './support.ts';
import { corpusPath, corpusSkip } from '../support/corpus.ts';
import { startPostgres, postgresSkip, type RunningPostgres } from '../support/postgres.ts';
import { startCli, until, createResponseChecker, type Child } from '../support/service.ts';
import { openApiDocument } from '../../src/serve/openapi.ts';

const PYPA = 'vulndata/pypa-advisory-database/vulns';
const skip = corpusSkip(PYPA);
const REPO = 'registry.example/ml/pillow-app';
let work = '';
let root = '';
let pg: RunningPostgres | undefined;
const check = createResponseChecker(openApiDocument() as Record<string, unknown>);
const addFormats = addFormatsModule.default;
const spdxAjv = new Ajv({ strict: false, allErrors: true });
addFormats(spdxAjv);
const spdxSchema = corpusPath('schemas/spdx-2.3.schema.json');
const validSpdx = spdxAjv.compile(spdxSchema ? JSON.parse(readFileSync(spdxSchema, 'utf8')) : {});

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'zc-e2e-serve-'));
  // a root file system with one Python package, as pip leaves it
  root = join(work, 'root');
  const info = join(root, 'usr/lib/python3/dist-packages/pillow-8.4.0.dist-info');
  mkdirSync(info, { recursive: true });
  writeFileSync(join(info, 'METADATA'), 'Metadata-Version: 2.1\nName: pillow\nVersion: 8.4.0\n');
  writeFileSync(join(info, 'RECORD'), '');
  writeFileSync(
    join(work, 'catalog.yaml'),
    `images:\n  - repository: ${REPO}\n    tier: golden\n    owner: platform\n    description: Pillow app\n` +
      `    policy: { failOn: critical }\n  - repository: registry.example/old\n    tier: deprecated\n` +
      `    replacement: ${REPO}\n`,
  );
});

after(async () => {
  await pg?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** database version 1: numpy advisories only; version 2 adds pillow's (a real import, rebuilt atomically) */
async function importAdvisories(dbFile: string, packages: string[]): Promise<void> {
  const src = join(work, `adv-${packages.join('-')}`);
  for (const p of packages) cpSync(corpusPath(`${PYPA}/${p}`)!, join(src, p), { recursive: true });
  const tmp = `${dbFile}.new`;
  const r = await zerocve(['db', 'import', '--db', tmp, src]);
  assert.equal(r.code, 0, r.stderr);
  renameSync(tmp, dbFile);
}

interface Api {
  (
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; raw?: string; accept?: string },
  ): Promise<{
    status: number;
    body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  }>;
}

function client(base: string): Api {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.accept) headers.accept = options.accept;
    const res = await fetch(base + path, {
      method,
      headers,
      body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    });
    const type = res.headers.get('content-type') ?? '';
    const text = await res.text();
    const body = type.includes('json') && text ? JSON.parse(text) : text;
    const problems = check(
      method,
      new URL(base + path).pathname,
      res.status,
      type,
      res.status === 204 ? undefined : body,
    );
    assert.deepEqual(problems, [], `response of ${method} ${path} does not conform to the OpenAPI document`);
    if (res.status >= 400) assert.equal(typeof body.error?.message, 'string', `${method} ${path}: JSON error body`);
    return { status: res.status, body };
  };
}

interface Outcome {
  compare: unknown;
  events: string[];
  findingsV2: string[];
  webhook: string[];
}

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  answered: number;
}

/** a webhook receiver: /hook answers 500 the first time (to see the retry), then 204; /slack answers 200 */
async function startReceiver(): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const answered =
        req.url === '/hook' && !got.some((g) => g.path === '/hook') ? 500 : req.url === '/hook' ? 204 : 200;
      got.push({ path: req.url ?? '', headers: req.headers, body, answered });
      res.writeHead(answered).end(answered === 200 ? 'ok' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    got,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const SEVERITY_RANK: Record<string, number> = { critical: 5, high: 4, medium: 3, low: 2, negligible: 1, unknown: 0 };

async function exercise(store: string[], label: string): Promise<Outcome> {
  const dbFile = join(work, `${label}.db`);
  await importAdvisories(dbFile, ['numpy']);
  const admin = (await zerocve(['token', 'admin', '--role', 'admin', ...store])).stdout.trim();
  const reader = (await zerocve(['token', 'dash', '--role', 'reader', ...store])).stdout.trim();
  assert.match(admin, /^zc_/);
  let serve: Child | undefined;
  const receiver = await startReceiver();
  try {
    serve = startCli([
      'serve',
      '--webhook',
      `${receiver.url}/hook`,
      '--webhook-secret',
      'sesame',
      '--slack-webhook',
      `${receiver.url}/slack`,
      ...store,
      '--db',
      dbFile,
      '--no-cache',
      '--catalog',
      join(work, 'catalog.yaml'),
      '--listen',
      '127.0.0.1:0',
      '--rematch-interval',
      '1',
      '--scan-interval',
      '0',
      '--max-body',
      '4096',
    ]);
    const base = (await serve.waitFor(/listening on (http:\/\/\S+)/))[1];
    const api = client(base);

    assert.equal((await api('GET', '/healthz')).status, 200);
    assert.equal((await api('GET', '/readyz')).body.status, 'ready');
    const catalog = await api('GET', '/api/v1/catalog', { token: reader });
    assert.deepEqual(
      catalog.body.items.map((e: { repository: string; tier: string }) => [e.repository, e.tier]),
      [
        [REPO, 'golden'],
        ['registry.example/old', 'deprecated'],
      ],
    );

    // scan: one job; asking again while it is queued or running gives the same job
    const scan = await api('POST', '/api/v1/scans', {
      token: admin,
      body: { target: `dir:${root}`, repository: REPO },
    });
    assert.equal(scan.status, 202);
    const job = await until(async () => {
      const j = (await api('GET', `/api/v1/jobs/${scan.body.job.id}`, { token: reader })).body;
      assert.notEqual(j.state, 'failed', JSON.stringify(j));
      return j.state === 'completed' ? j : undefined;
    }, 'the scan job');
    const digest = job.output.digest as string;
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    const v1 = await api('GET', `/api/v1/images/${digest}/findings`, { token: reader });
    assert.deepEqual(v1.body.findings, [], 'numpy advisories do not touch pillow');
    const sbom = await api('GET', `/api/v1/images/${digest}/sbom`, { token: reader });
    assert.equal(sbom.body.bomFormat, 'CycloneDX');
    assert.ok(sbom.body.components.some((c: { name: string }) => c.name === 'pillow'));
    const summary = await api('GET', `/api/v1/images/${digest}`, { token: reader });
    assert.equal(summary.body.repository, REPO);
    assert.ok(summary.body.surface, 'attack surface summary stored');
    // SPDX from the stored inventory, by query and by content negotiation: valid SPDX 2.3, the same document
    const spdx = await api('GET', `/api/v1/images/${digest}/sbom?format=spdx`, { token: reader });
    assert.equal(spdx.status, 200);
    assert.ok((validSpdx as (d: unknown) => boolean)(spdx.body), JSON.stringify(validSpdx.errors?.slice(0, 5)));
    assert.ok(spdx.body.packages.some((p: { name: string; versionInfo?: string }) => p.name === 'pillow'));
    const negotiated = await api('GET', `/api/v1/images/${digest}/sbom`, {
      token: reader,
      accept: 'application/spdx+json',
    });
    assert.deepEqual(negotiated.body, spdx.body, 'stable: dated by when the digest was stored');
    assert.equal((await api('GET', `/api/v1/images/${digest}/sbom?format=xml`, { token: reader })).status, 400);
    // attack surface and bloat: what the scan stored, the numbers of a direct scan of the same root
    const direct1 = JSON.parse(
      (await zerocve(['scan', `dir:${root}`, '--db', dbFile, '--no-cache', '-f', 'json'])).stdout,
    );
    const surface = await api('GET', `/api/v1/images/${digest}/surface`, { token: reader });
    assert.deepEqual(surface.body.surface, direct1.surface);
    const bloat = await api('GET', `/api/v1/images/${digest}/bloat`, { token: reader });
    assert.deepEqual(bloat.body.bloat, direct1.bloat);
    assert.equal((await api('GET', '/api/v1/images/sha256:0000/bloat', { token: reader })).status, 404);

    // a database update: the stored inventory is re-matched (the root is not read again: it is moved away)
    renameSync(root, `${root}.away`);
    await importAdvisories(dbFile, ['numpy', 'pillow']);
    const events = await until(async () => {
      const st = (await api('GET', '/api/v1/db', { token: reader })).body;
      const ev = (await api('GET', `/api/v1/events?digest=${encodeURIComponent(digest)}&limit=1000`, { token: reader }))
        .body.items;
      const imgs = (await api('GET', '/api/v1/images', { token: reader })).body.items;
      return ev.length && imgs[0].dbVersion === st.version ? ev : undefined;
    }, 'the re-match events');
    renameSync(`${root}.away`, root);
    assert.ok(events.every((e: { kind: string; repository: string }) => e.kind === 'new' && e.repository === REPO));
    const findingsV2 = (await api('GET', `/api/v1/images/${digest}/findings`, { token: reader })).body.findings;
    // exactly the findings a direct `zerocve scan` of the same root reports on the new database
    const direct = await zerocve(['scan', `dir:${root}`, '--db', dbFile, '--no-cache', '-f', 'json']);
    const directIds = JSON.parse(direct.stdout)
      .findings.map((f: { id: string }) => f.id)
      .sort();
    assert.ok(directIds.length >= 3, direct.stderr);
    assert.deepEqual(events.map((e: { findingId: string }) => e.findingId).sort(), directIds);
    assert.deepEqual(findingsV2.map((f: { id: string }) => f.id).sort(), directIds);

    // asking for a re-match again changes nothing: no event twice
    const again = await api('POST', '/api/v1/db/rematch', { token: admin });
    assert.equal(again.status, 202);
    await until(async () => {
      const j = (await api('GET', `/api/v1/jobs/${again.body.job.id}`, { token: reader })).body;
      return j.state === 'completed' ? j : undefined;
    }, 'the second re-match');
    assert.equal((await api('GET', '/api/v1/events?limit=1000', { token: reader })).body.items.length, events.length);

    // notifications: one per image per endpoint, signed, most severe first, retried after a 500, never twice
    const hooks = await until(async () => {
      const h = receiver.got.filter((g) => g.path === '/hook');
      return h.some((g) => g.answered === 204) && receiver.got.some((g) => g.path === '/slack') ? h : undefined;
    }, 'the webhook deliveries');
    await new Promise((r) => setTimeout(r, 2500)); // time enough for anything sent twice to arrive
    assert.deepEqual(receiver.got.map((g) => `${g.path} ${g.answered}`).sort(), [
      '/hook 204',
      '/hook 500',
      '/slack 200',
    ]);
    for (const h of hooks) {
      const sig = `sha256=${createHmac('sha256', 'sesame').update(h.body).digest('hex')}`;
      assert.equal(h.headers['x-zerocve-signature-256'], sig);
    }
    assert.equal(hooks[0].headers['x-zerocve-delivery'], hooks[1].headers['x-zerocve-delivery']);
    const payload = JSON.parse(hooks[1].body);
    assert.equal(payload.type, 'zerocve.findings.changed');
    assert.deepEqual(payload.image, { repository: REPO, digest });
    assert.deepEqual(payload.events.map((e: { findingId: string }) => e.findingId).sort(), directIds);
    const ranks = payload.events.map((e: { new: { severity: string } }) => SEVERITY_RANK[e.new.severity]);
    assert.deepEqual(
      ranks,
      [...ranks].sort((a, b) => b - a),
      'most severe first',
    );
    const slack = JSON.parse(receiver.got.find((g) => g.path === '/slack')!.body);
    assert.match(slack.text, new RegExp(`${directIds.length} change\\(s\\) in ${REPO}`));
    const log = (await api('GET', '/api/v1/deliveries', { token: admin })).body.items;
    assert.deepEqual(
      log
        .map((d: { endpoint: string; state: string; attempts: number }) => [
          d.endpoint.split(':')[0],
          d.state,
          d.attempts,
        ])
        .sort(),
      [
        ['slack', 'delivered', 1],
        ['webhook', 'delivered', 2],
      ],
    );

    // triage: applies at once
    const target = findingsV2[0];
    const tri = await api('POST', '/api/v1/triage', {
      token: admin,
      body: {
        repository: REPO,
        findingId: target.id,
        package: target.package.purl,
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
      },
    });
    assert.equal(tri.status, 201);
    const afterTriage = (await api('GET', `/api/v1/images/${digest}/findings?include=suppressed`, { token: reader }))
      .body;
    assert.ok(!afterTriage.findings.some((f: { id: string }) => f.id === target.id));
    assert.equal(afterTriage.suppressed[0].finding.id, target.id);
    assert.equal(afterTriage.suppressed[0].by, 'vex');
    const vex = await api('GET', `/api/v1/vex/${encodeURIComponent(REPO)}`, { token: reader });
    assert.equal(vex.body.statements[0].vulnerability.name, target.id);
    assert.equal(vex.body.statements[0].status, 'not_affected');
    const filtered = await api(
      'GET',
      `/api/v1/images/${digest}/findings?fixable=true&severity=critical,high,medium,low,unknown`,
      {
        token: reader,
      },
    );
    assert.ok(filtered.body.findings.every((f: { fixedVersions: string[] }) => f.fixedVersions.length > 0));

    // bad input: clear 4xx with a JSON body, never a 500
    assert.equal((await api('POST', '/api/v1/scans', { token: admin, raw: '{"target":' })).status, 400);
    assert.equal(
      (await api('POST', '/api/v1/scans', { token: admin, raw: JSON.stringify({ target: 'x'.repeat(5000) }) })).status,
      413,
    );
    assert.equal((await api('GET', '/api/v1/images/sha256:0000', { token: reader })).status, 404);
    assert.equal((await api('GET', '/api/v1/catalog/%E0%A4%A', { token: reader })).status, 400);
    const nowhere = await fetch(`${base}/api/v1/nothing-here`);
    assert.equal(nowhere.status, 404);
    assert.match((await nowhere.json()).error.message, /no such endpoint/);
    assert.equal((await api('GET', '/api/v1/catalog')).status, 401);
    assert.equal((await api('GET', '/api/v1/catalog', { token: 'zc_nope' })).status, 401);
    assert.equal((await api('POST', '/api/v1/triage', { token: reader, body: {} })).status, 403);
    assert.equal(
      (await api('POST', '/api/v1/triage', { token: admin, body: { findingId: 'X', status: 'maybe' } })).status,
      400,
    );
    assert.equal(
      (await api('PUT', `/api/v1/catalog/${encodeURIComponent(REPO)}`, { token: admin, body: { tier: 'gold' } }))
        .status,
      400,
    );
    assert.equal((await api('GET', '/api/v1/events?limit=abc', { token: reader })).status, 400);

    // the catalog through the API, and the audit log of every change
    const put = await api('PUT', `/api/v1/catalog/${encodeURIComponent('registry.example/new')}`, {
      token: admin,
      body: { tier: 'candidate', tags: ['latest'], policy: { failOn: 'high' } },
    });
    assert.equal(put.status, 200);
    assert.equal(
      (await api('DELETE', `/api/v1/catalog/${encodeURIComponent('registry.example/new')}`, { token: admin })).status,
      204,
    );
    const audit = (await api('GET', '/api/v1/audit', { token: admin })).body.items.map(
      (a: { action: string }) => a.action,
    );
    for (const a of ['catalog.sync', 'scan.request', 'db.rematch', 'triage.add', 'catalog.put', 'catalog.delete'])
      assert.ok(audit.includes(a), `audit has ${a}: ${audit}`);

    const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
    assert.match(metrics, /^zerocve_jobs\{state="completed"\} [1-9]/m);
    assert.match(metrics, /^zerocve_job_duration_seconds_count\{job="scan"\} 1$/m);

    // compare two stored digests: a second root with pillow upgraded and numpy added, scanned by the service
    const root2 = join(work, `root2-${label}`);
    for (const [name, version] of [
      ['pillow', '10.3.0'],
      ['numpy', '1.16.0'],
    ]) {
      const info2 = join(root2, `usr/lib/python3/dist-packages/${name}-${version}.dist-info`);
      mkdirSync(info2, { recursive: true });
      writeFileSync(join(info2, 'METADATA'), `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`);
      writeFileSync(join(info2, 'RECORD'), '');
    }
    const scan2 = await api('POST', '/api/v1/scans', {
      token: admin,
      body: { target: `dir:${root2}`, repository: REPO },
    });
    const digest2 = (
      await until(async () => {
        const j = (await api('GET', `/api/v1/jobs/${scan2.body.job.id}`, { token: reader })).body;
        assert.notEqual(j.state, 'failed', JSON.stringify(j));
        return j.state === 'completed' ? j : undefined;
      }, 'the second scan job')
    ).output.digest as string;
    const cmp = await api(
      'GET',
      `/api/v1/compare?from=${encodeURIComponent(digest)}&to=${encodeURIComponent(digest2)}`,
      { token: reader },
    );
    assert.equal(cmp.status, 200);
    assert.deepEqual(cmp.body.packages, {
      added: [{ type: 'python', name: 'numpy', versions: ['1.16.0'] }],
      removed: [],
      changed: [{ type: 'python', name: 'pillow', from: ['8.4.0'], to: ['10.3.0'] }],
    });
    // the same as `zerocve compare` of the two roots, except the finding triaged not_affected above: it is
    // hidden on both sides by the catalog's triage, so it is neither new nor resolved
    const cli = JSON.parse(
      (await zerocve(['compare', `dir:${root}`, `dir:${root2}`, '--db', dbFile, '--no-cache', '-f', 'json'])).stdout,
    );
    const ids = (xs: { id: string; package: string }[]) => xs.map((f) => `${f.id} ${f.package}`).sort();
    assert.ok(cli.newFindings.length > 0 && cli.resolvedFindings.length > 1, JSON.stringify(cli));
    assert.deepEqual(ids(cmp.body.findings.new), cli.newFindings);
    assert.deepEqual(
      ids(cmp.body.findings.resolved),
      cli.resolvedFindings.filter((f: string) => f !== `${target.id} pillow`),
    );
    const fileBytes = cmp.body.size.fileBytes;
    assert.equal(fileBytes.delta, fileBytes.to - fileBytes.from);
    assert.ok(fileBytes.delta > 0, 'the second root has one more package');
    assert.equal(
      (await api('GET', `/api/v1/compare?from=${encodeURIComponent(digest)}`, { token: reader })).status,
      400,
    );
    assert.equal(
      (await api('GET', `/api/v1/compare?from=${encodeURIComponent(digest)}&to=sha256:0000`, { token: reader })).status,
      404,
    );

    const code = await serve.stop('SIGTERM');
    assert.equal(code, 0, serve.output());
    return {
      events: events.map((e: { findingId: string; kind: string }) => `${e.kind} ${e.findingId}`).sort(),
      findingsV2: directIds,
      webhook: payload.events.map((e: { findingId: string; kind: string }) => `${e.kind} ${e.findingId}`),
      compare: cmp.body.findings,
    };
  } finally {
    await serve?.stop('SIGKILL');
    await receiver.close();
  }
}

test('the OpenAPI document is valid OpenAPI 3.1 (official schema)', async () => {
  const r = await new Validator().validate(openApiDocument() as Record<string, unknown>);
  assert.deepEqual(r.errors, undefined);
  assert.equal(r.valid, true);
  // the validator and the response checker both can fail
  assert.equal((await new Validator().validate({ openapi: '3.1.0', info: { title: 'x' } })).valid, false);
  assert.notDeepEqual(check('GET', '/api/v1/catalog', 200, 'application/json', { items: [{ tier: 'gold' }] }), []);
  assert.deepEqual(check('GET', '/api/v1/catalog', 200, 'application/json', { items: [] }), []);
});

let sqliteOutcome: Outcome | undefined;

test('serve on SQLite: catalog, scan, re-match events, triage, errors', { skip, timeout: 300_000 }, async () => {
  sqliteOutcome = await exercise(['--data', join(work, 'data')], 'sqlite');
});

test(
  'serve on PostgreSQL: the same results as on SQLite',
  { skip: skip || postgresSkip(), timeout: 300_000 },
  async () => {
    pg = await startPostgres();
    const outcome = await exercise(['--database', pg.url], 'postgres');
    if (sqliteOutcome) assert.deepEqual(outcome, sqliteOutcome);
  },
);

test('rate limits: per token and per address, 429 with Retry-After, probes and gates exempt', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zc-e2e-rate-'));
  const store = ['--data', join(dir, 'data')];
  const serve = startCli([
    'serve',
    ...store,
    '--db',
    join(dir, 'none.db'),
    '--listen',
    '127.0.0.1:0',
    '--anonymous-read',
    '--scan-interval',
    '0',
    '--rate-limit',
    '1',
    '--rate-burst',
    '3',
  ]);
  try {
    const a = (await zerocve(['token', 'a', ...store])).stdout.trim();
    const b = (await zerocve(['token', 'b', ...store])).stdout.trim();
    const base = (await serve.waitFor(/listening on (http:\/\/\S+)/))[1];
    const api = client(base);
    const burst = async (token?: string): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < 4; i++) out.push((await api('GET', '/api/v1/catalog', { token })).status);
      return out;
    };
    assert.deepEqual(await burst(a), [200, 200, 200, 429], 'the burst of 3, then refused');
    const refused = await fetch(`${base}/api/v1/catalog`, { headers: { authorization: `Bearer ${a}` } });
    assert.equal(refused.status, 429);
    const wait = Number(refused.headers.get('retry-after'));
    assert.ok(wait >= 1 && wait <= 2, `Retry-After ${wait}`);
    assert.match((await refused.json()).error.message, /too many requests from token 'a'/);
    assert.deepEqual(await burst(b), [200, 200, 200, 429], 'another token has its own bucket');
    assert.deepEqual(await burst(), [200, 200, 200, 429], 'anonymous requests: one bucket per address');
    // tokens that do not verify are throttled before they are looked up
    const guesses: number[] = [];
    for (let i = 0; i < 5; i++) guesses.push((await api('GET', '/api/v1/catalog', { token: `zc_guess${i}` })).status);
    assert.deepEqual(guesses, [401, 401, 401, 429, 429]);
    // exempt: probes, metrics and the admission webhook (the API server calls from one address for the cluster)
    for (let i = 0; i < 10; i++) {
      assert.equal((await api('GET', '/healthz')).status, 200);
      assert.equal((await fetch(`${base}/metrics`)).status, 200);
    }
    const review = await fetch(`${base}/admission/validate`, { method: 'POST', body: '{}' });
    assert.equal(review.status, 400, 'answered (not an AdmissionReview), not throttled');
    // the web UI is limited per address too
    const ui = [];
    for (let i = 0; i < 4; i++) ui.push((await fetch(`${base}/ui/catalog`, { redirect: 'manual' })).status);
    assert.equal(ui.at(-1), 429);
    await new Promise((r) => setTimeout(r, wait * 1000 + 100));
    assert.equal((await api('GET', '/api/v1/catalog', { token: a })).status, 200, 'allowed again after Retry-After');
    assert.equal(await serve.stop('SIGTERM'), 0, serve.output());
  } finally {
    await serve.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
