// `zerocve serve` end to end, once on the embedded SQLite store and once on a real PostgreSQL 15: the real CLI
// serves a catalog, scans a real root file system, a real advisory import (PyPI OSV data) changes the database,
// and the service re-matches the stored inventory without reading the root again and reports exactly the new
// findings as events — the same on both stores. Every response is checked against the service's OpenAPI document,
// which itself is validated against the official OpenAPI 3.1 schema.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync, cpSync, renameSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Validator } from '@seriousme/openapi-schema-validator';
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
    options?: { token?: string; body?: unknown; raw?: string },
  ): Promise<{
    status: number;
    body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  }>;
}

function client(base: string): Api {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
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

    const code = await serve.stop('SIGTERM');
    assert.equal(code, 0, serve.output());
    return {
      events: events.map((e: { findingId: string; kind: string }) => `${e.kind} ${e.findingId}`).sort(),
      findingsV2: directIds,
      webhook: payload.events.map((e: { findingId: string; kind: string }) => `${e.kind} ${e.findingId}`),
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
