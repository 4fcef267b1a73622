// The gates end to end with the real CLI `zerocve serve`, a real registry (Debian's docker-registry) and real TLS:
//   - scan on push: the registry's own notifications (configured with the hook secret) make pushed catalog images
//     appear scanned; a redelivered envelope never queues a second scan; pushes outside the catalog are ignored;
//   - the Gatekeeper provider answers per key from the stored results;
//   - Harbor's side of the pluggable scanner exchange against a registry with htpasswd auth: every request and
//     response is checked against the spec's OpenAPI document, and the pull credentials end up nowhere on disk nor in
//     the logs;
//   - Harbor's Bearer registry token against a real registry with token auth; scan ids kept across a restart and
//     answered by another instance sharing PostgreSQL;
//   - the admission webhook over HTTPS (a CA and a server certificate made with openssl): allow, deny with the rule
//     and the replacement, audit exemptions, warn-and-scan for unknown images and no side effects for dryRun; tags
//     never notified resolved at the real registry (and a hung registry given up on within the lookup timeout);
//   - `nginx`, `library/nginx` and `index.docker.io/library/nginx` as one image in catalog, hooks, Gatekeeper and
//     admission.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, cpSync, renameSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { zerocve } from './support.ts';
import { corpusPath, corpusSkip } from '../support/corpus.ts';
import { startCli, until, createResponseChecker, type Child } from '../support/service.ts';
import { openApiDocument } from '../../src/serve/openapi.ts';
import {
  startRegistry,
  pushOciLayout,
  buildTinyLayout,
  createTokenSigner,
  type RunningRegistry,
} from '../support/registry.ts';
import { loadHarborSpec, HARBOR_SPEC_REL } from '../support/harbor-spec.ts';
import { startPostgres, postgresSkip, type RunningPostgres } from '../support/postgres.ts';

const run = promisify(execFile);
const PYPA = 'vulndata/pypa-advisory-database/vulns';
const skip = corpusSkip(PYPA) || corpusSkip(HARBOR_SPEC_REL);
const SECRET = 'push-hook-sesame';
const HARBOR_USER = 'robot$harbor';
const HARBOR_PASSWORD = 'pull-only-Pa55word-7f3c';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const check = createResponseChecker(openApiDocument() as Record<string, unknown>);

let work = '';
const registries: RunningRegistry[] = [];
const children: Child[] = [];
let pg: RunningPostgres | undefined;

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'zc-e2e-gates-'));
  // the vulnerability database: PyPI's advisories for pillow (a real import)
  const src = join(work, 'adv');
  cpSync(corpusPath(`${PYPA}/pillow`)!, join(src, 'pillow'), { recursive: true });
  const r = await zerocve(['db', 'import', '--db', join(work, 'vuln.db.new'), src]);
  assert.equal(r.code, 0, r.stderr);
  renameSync(join(work, 'vuln.db.new'), join(work, 'vuln.db'));
  // two tiny images: `app` carries pillow 8.4.0 (seven advisories), `base` carries no package
  const site = 'usr/lib/python3/dist-packages/pillow-8.4.0.dist-info';
  await buildTinyLayout(join(work, 'layout'), 'app', {
    files: {
      [`${site}/METADATA`]: 'Metadata-Version: 2.1\nName: pillow\nVersion: 8.4.0\n',
      [`${site}/RECORD`]: '',
      'etc/os-release': 'ID=zerocve-test\n',
    },
  });
  await buildTinyLayout(join(work, 'layout'), 'base', { files: { 'etc/motd': 'golden base\n' } });
  // a CA and a server certificate for 127.0.0.1
  const ssl = (args: string[]) => run('openssl', args, { cwd: work });
  await ssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=zerocve test CA',
    ]),
  );
  await ssl(
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    ]),
  );
  writeFileSync(join(work, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await ssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'].concat([
      '-out',
      'server.crt',
      '-days',
      '1',
      '-extfile',
      'san.ext',
    ]),
  );
});

after(async () => {
  for (const c of children) await c.stop('SIGKILL');
  for (const r of registries) await r.stop();
  await pg?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Res {
  status: number;
  headers: Headers;
  type: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const res = await fetch(base + path, {
    method,
    headers,
    redirect: 'manual',
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  if (/^\/(hooks|gatekeeper|admission)\//.test(path))
    assert.deepEqual(
      check(method, path, res.status, type, JSON.parse(text)),
      [],
      `${method} ${path}: OpenAPI document`,
    );
  return {
    status: res.status,
    headers: res.headers,
    type,
    body:
      (type.includes('json') || type.startsWith('application/vnd.security.vulnerability.report')) && text
        ? JSON.parse(text)
        : text,
  };
}

/** GET over HTTPS trusting only the test CA */
function httpsGet(url: string, headers: Record<string, string>, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: 'GET', ca, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** POST JSON over HTTPS trusting only the test CA */
function httpsPost(url: string, body: unknown, ca: Buffer): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = httpsRequest(
      url,
      { method: 'POST', ca, headers: { 'content-type': 'application/json', 'content-length': data.length } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

function review(uid: string, kind: { group: string; kind: string }, object: unknown, extra: object = {}) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { ...kind, version: 'v1' },
      resource: { group: kind.group, version: 'v1', resource: `${kind.kind.toLowerCase()}s` },
      requestKind: { ...kind, version: 'v1' },
      name: 'web',
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: { username: 'dev@example.com' },
      object,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
      ...extra,
    },
  };
}
const pod = (...images: string[]) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
});

test(
  'scan on push, Gatekeeper, Harbor adapter and admission over TLS, end to end',
  { skip, timeout: 600_000 },
  async () => {
    const data = join(work, 'data');
    const store = ['--data', data];
    const admin = (await zerocve(['token', 'harbor', '--role', 'triager', ...store])).stdout.trim();
    const reader = (await zerocve(['token', 'dash', '--role', 'reader', ...store])).stdout.trim();
    const owner = (await zerocve(['token', 'owner', '--role', 'admin', ...store])).stdout.trim();
    assert.match(admin, /^zc_/);
    const common = ['--db', join(work, 'vuln.db'), '--no-cache', '--scan-interval', '0', '--rematch-interval', '300'];

    const serve = startCli(['serve', ...store, ...common, '--listen', '127.0.0.1:0', '--hook-secret', SECRET]);
    children.push(serve);
    const base = (await serve.waitFor(/listening on (http:\/\/\S+)/))[1];

    // the hook: a shared secret, compared in constant time; a wrong or missing secret is refused
    const envelope = (host: string, repository: string, digest: string, tag: string, id: string) => ({
      events: [
        {
          id,
          timestamp: new Date().toISOString(),
          action: 'push',
          target: {
            mediaType: OCI_MANIFEST,
            digest,
            size: 400,
            length: 400,
            repository,
            tag,
            url: `http://${host}/v2/${repository}/manifests/${digest}`,
          },
          request: { id: 'r1', addr: '127.0.0.1:1', host, method: 'PUT', useragent: 'skopeo' },
          actor: {},
          source: { addr: 'registry:5000' },
        },
      ],
    });
    const hookHeaders = (secret: string) => ({
      authorization: `Bearer ${secret}`,
      'content-type': 'application/vnd.docker.distribution.events.v1+json',
    });
    const noSecret = await call(base, 'POST', '/hooks/registry', { body: { image: 'x/y:1' } });
    assert.equal(noSecret.status, 401);
    assert.match(noSecret.body.error.message, /Bearer SECRET/);
    assert.equal(
      (await call(base, 'POST', '/hooks/registry', { body: { image: 'x/y:1' }, headers: hookHeaders(`${SECRET}x`) }))
        .status,
      401,
    );
    assert.equal(
      (await call(base, 'POST', '/hooks/registry', { raw: '{"nope":1}', headers: hookHeaders(SECRET) })).status,
      400,
    );

    // a registry that tells the service of every push
    const reg = await startRegistry({
      notifications: { url: `${base}/hooks/registry`, headers: { Authorization: `Bearer ${SECRET}` } },
    });
    registries.push(reg);
    const APP = `${reg.host}/ml/app`;
    const BASE = `${reg.host}/ml/base`;
    const put = (repo: string, body: unknown) =>
      call(base, 'PUT', `/api/v1/catalog/${encodeURIComponent(repo)}`, { token: owner, body });
    assert.equal((await put(BASE, { tier: 'golden', tags: ['1'] })).status, 200);
    assert.equal(
      (await put(APP, { tier: 'candidate', tags: ['1'], policy: { failOn: 'unknown' }, replacement: `${BASE}:1` }))
        .status,
      200,
    );

    await pushOciLayout(join(work, 'layout'), 'app', reg.host, undefined, { repo: 'ml/app', destTag: '1' });
    await pushOciLayout(join(work, 'layout'), 'base', reg.host, undefined, { repo: 'ml/base', destTag: '1' });
    await pushOciLayout(join(work, 'layout'), 'base', reg.host, undefined, { repo: 'ml/other', destTag: '1' });
    const scanned = await until(
      async () => {
        const items = (await call(base, 'GET', '/api/v1/images', { token: reader })).body.items as {
          repository: string;
          digest: string;
          verdict?: { passed: boolean };
        }[];
        const app = items.find((i) => i.repository === APP && i.verdict);
        const b = items.find((i) => i.repository === BASE && i.verdict);
        return app && b ? { app, base: b, items } : undefined;
      },
      'the pushed catalog images to appear scanned',
      120_000,
    );
    assert.equal(scanned.app.verdict!.passed, false, 'pillow 8.4.0 has advisories (PyPI gives no severity: unknown)');
    assert.equal(scanned.base.verdict!.passed, true);
    assert.ok(!scanned.items.some((i) => i.repository?.endsWith('/ml/other')), 'a push outside the catalog is ignored');
    const tags = (
      await call(base, 'GET', `/api/v1/tags?repository=${encodeURIComponent(APP)}&tag=1`, { token: reader })
    ).body.items;
    assert.equal(tags[0].digest, scanned.app.digest, 'the pushed tag is recorded');

    // a redelivered envelope (same event twice, and once more by hand) never queues a second scan
    const again = envelope(reg.host, 'ml/app', scanned.app.digest, '1', 'evt-1');
    const first = await call(base, 'POST', '/hooks/registry', { body: again, headers: hookHeaders(SECRET) });
    const second = await call(base, 'POST', '/hooks/registry', { body: again, headers: hookHeaders(SECRET) });
    assert.equal(first.status, 202);
    assert.equal(first.body.queued.length, 1);
    assert.deepEqual(
      first.body.queued,
      [{ ref: `${APP}@${scanned.app.digest}`, job: null, deduplicated: true }],
      'the registry already delivered this push: no second scan',
    );
    assert.deepEqual(second.body.queued, first.body.queued);
    const ignored = await call(base, 'POST', '/hooks/registry', {
      body: envelope(reg.host, 'ml/other', scanned.base.digest, '1', 'evt-2'),
      headers: hookHeaders(SECRET),
    });
    assert.deepEqual(ignored.body.queued, []);
    assert.match(ignored.body.ignored[0].reason, /not in the catalog/);
    const audit = (await call(base, 'GET', '/api/v1/audit', { token: owner })).body.items.filter(
      (a: { action: string; target: string }) => a.action === 'scan.request' && a.target.includes('/ml/app@'),
    );
    assert.equal(audit.length, 1, 'one scan request for the app push');
    const harborPlain = await call(base, 'POST', '/hooks/registry', {
      body: {
        type: 'PUSH_ARTIFACT',
        occur_at: 1700000000,
        operator: 'admin',
        event_data: {
          resources: [{ digest: scanned.base.digest, tag: '1', resource_url: `${reg.host}/ml/base:1` }],
          repository: { name: 'base', namespace: 'ml', repo_full_name: 'ml/base', repo_type: 'private' },
        },
      },
      headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
    });
    assert.equal(harborPlain.status, 202);
    assert.equal(harborPlain.body.queued[0].deduplicated, true, 'the same digest was already scanned on its push');

    // Gatekeeper: one item per key, from stored results
    const gk = await call(base, 'POST', '/gatekeeper/provide', {
      body: {
        apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
        kind: 'ProviderRequest',
        request: { keys: [`${APP}:1`, `${BASE}:1`, `${reg.host}/ml/never:1`] },
      },
    });
    assert.equal(gk.status, 200);
    assert.equal(gk.body.kind, 'ProviderResponse');
    assert.equal(gk.body.response.idempotent, true);
    const [appItem, baseItem, never] = gk.body.response.items;
    assert.equal(appItem.value.verdict, 'fail');
    assert.equal(appItem.value.digest, scanned.app.digest);
    assert.ok(appItem.value.findings.unknown > 0);
    assert.equal(appItem.value.allowed, false);
    assert.ok(appItem.value.reasons.includes('fails its policy'));
    assert.equal(appItem.value.replacement, `${BASE}:1`);
    assert.equal(appItem.value.tier, 'candidate');
    assert.equal(baseItem.value.verdict, 'pass');
    assert.equal(baseItem.value.allowed, true);
    assert.deepEqual(baseItem.value.reasons, []);
    assert.match(never.error, /never scanned/);
    assert.equal(
      (await call(base, 'POST', '/gatekeeper/provide', { body: { kind: 'ProviderRequest', apiVersion: 'v9' } })).status,
      400,
    );

    // one identity per image: `nginx`, `library/nginx` and `index.docker.io/library/nginx:latest` are
    // docker.io/library/nginx in the catalog, the tag history, the hooks and Gatekeeper
    const hub = await put('nginx', { tier: 'golden', tags: ['stable'] });
    assert.equal(hub.body.repository, 'docker.io/library/nginx');
    const hubEntry = await call(base, 'GET', `/api/v1/catalog/${encodeURIComponent('index.docker.io/library/nginx')}`, {
      token: reader,
    });
    assert.deepEqual([hubEntry.status, hubEntry.body.repository], [200, 'docker.io/library/nginx']);
    // the build routes find the entry however spelled: it has no build source (409), it is not unknown (404)
    const hubBuild = await call(base, 'POST', `/api/v1/catalog/${encodeURIComponent('library/nginx')}/build`, {
      token: owner,
    });
    assert.equal(hubBuild.status, 409);
    assert.match(hubBuild.body.error.message, /docker\.io\/library\/nginx has no build source/);
    const hubBuilds = await call(base, 'GET', `/api/v1/catalog/nginx/builds`, { token: reader });
    assert.deepEqual([hubBuilds.status, hubBuilds.body.items], [200, []]);
    const hubPush = await call(base, 'POST', '/hooks/registry', {
      body: envelope('index.docker.io', 'library/nginx', scanned.base.digest, 'stable', 'evt-hub'),
      headers: hookHeaders(SECRET),
    });
    assert.deepEqual(
      hubPush.body.queued,
      [{ ref: `index.docker.io/library/nginx@${scanned.base.digest}`, job: null, deduplicated: true }],
      'a catalog repository however spelled; the digest is scanned already, so only its tag is recorded',
    );
    const hubTags = (await call(base, 'GET', '/api/v1/tags?repository=nginx&tag=stable', { token: reader })).body.items;
    assert.equal(hubTags[0]?.digest, scanned.base.digest);
    const hubGk = await call(base, 'POST', '/gatekeeper/provide', {
      body: {
        apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
        kind: 'ProviderRequest',
        request: { keys: ['nginx:stable', 'docker.io/library/nginx:stable', `library/nginx@${scanned.base.digest}`] },
      },
    });
    for (const item of hubGk.body.response.items) {
      assert.equal(item.value?.allowed, true, JSON.stringify(item));
      assert.deepEqual([item.value.tier, item.value.digest], ['golden', scanned.base.digest]);
    }

    // Harbor's side: a registry with htpasswd auth, the scan request with Basic credentials for the pull
    const spec = loadHarborSpec();
    const ok = (v: ReturnType<typeof spec.response>, body: unknown, what: string) =>
      assert.ok(v(body), `${what}: ${JSON.stringify(v.errors)}`);
    const secured = await startRegistry({ htpasswd: { user: HARBOR_USER, password: HARBOR_PASSWORD } });
    registries.push(secured);
    await pushOciLayout(
      join(work, 'layout'),
      'app',
      secured.host,
      { user: HARBOR_USER, password: HARBOR_PASSWORD },
      {
        repo: 'library/app',
        destTag: 'v1',
      },
    );
    const meta = await call(base, 'GET', '/harbor/api/v1/metadata', { token: reader });
    assert.equal(meta.status, 200);
    assert.ok(meta.type.startsWith('application/vnd.scanner.adapter.metadata+json'));
    ok(
      spec.response('/metadata', 'get', 200, 'application/vnd.scanner.adapter.metadata+json; version=1.1'),
      meta.body,
      'metadata',
    );
    assert.deepEqual(meta.body.capabilities[1].additional_attributes.sbom_media_types, [
      'application/vnd.cyclonedx+json',
    ]);
    assert.equal(
      (await call(base, 'GET', '/harbor/api/v1/metadata')).status,
      401,
      'Harbor registers the adapter with a token',
    );

    const authorization = 'Basic ' + Buffer.from(`${HARBOR_USER}:${HARBOR_PASSWORD}`).toString('base64');
    const scanRequest = {
      registry: { url: `http://${secured.host}`, authorization },
      artifact: { repository: 'library/app', digest: scanned.app.digest, tag: 'v1', mime_type: OCI_MANIFEST },
      enabled_capabilities: [
        { type: 'vulnerability', produces_mime_types: ['application/vnd.security.vulnerability.report; version=1.1'] },
        {
          type: 'sbom',
          produces_mime_types: ['application/vnd.security.sbom.report+json; version=1.0'],
          parameters: { sbom_media_types: ['application/vnd.cyclonedx+json'] },
        },
      ],
    };
    const REQ_TYPE = 'application/vnd.scanner.adapter.scan.request+json; version=1.1';
    ok(spec.request('/scan', 'post', REQ_TYPE), scanRequest, 'scan request');
    assert.equal(
      (
        await call(base, 'POST', '/harbor/api/v1/scan', {
          token: reader,
          body: scanRequest,
          headers: { 'content-type': REQ_TYPE },
        })
      ).status,
      403,
      'a reader token cannot start scans',
    );
    const t0 = Date.now();
    const accepted = await call(base, 'POST', '/harbor/api/v1/scan', {
      token: admin,
      body: scanRequest,
      headers: { 'content-type': REQ_TYPE },
    });
    assert.ok(Date.now() - t0 < 5000, 'answered within Harbor client timeout');
    assert.equal(accepted.status, 202);
    assert.ok(accepted.type.startsWith('application/vnd.scanner.adapter.scan.response+json'));
    ok(
      spec.response('/scan', 'post', 202, 'application/vnd.scanner.adapter.scan.response+json; version=1.0'),
      accepted.body,
      'scan response',
    );
    const id = accepted.body.id as string;
    const VULN = 'application/vnd.security.vulnerability.report; version=1.1';
    const reportPath = `/harbor/api/v1/scan/${encodeURIComponent(id)}/report`;
    let saw302 = false;
    const report = await until(
      async () => {
        const r = await call(base, 'GET', reportPath, { token: reader, headers: { accept: VULN } });
        if (r.status === 302) {
          saw302 = true;
          assert.match(r.headers.get('refresh-after') ?? '', /^\d+$/);
          return undefined;
        }
        assert.equal(r.status, 200, JSON.stringify(r.body));
        return r;
      },
      'the Harbor report',
      120_000,
    );
    assert.ok(report.type.startsWith(VULN));
    ok(spec.response('/scan/{scan_request_id}/report', 'get', 200, VULN), report.body, 'vulnerability report');
    assert.equal(report.body.artifact.digest, scanned.app.digest);
    assert.equal(report.body.severity, 'Unknown');
    assert.ok(report.body.vulnerabilities.some((v: { package: string }) => v.package === 'pillow'));
    const harborV10 = 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0';
    const r10 = await call(base, 'GET', reportPath, { token: reader, headers: { accept: harborV10 } });
    ok(spec.response('/scan/{scan_request_id}/report', 'get', 200, harborV10), r10.body, 'harbor report 1.0');
    const SBOM = 'application/vnd.security.sbom.report+json; version=1.0';
    const sbom = await call(
      base,
      'GET',
      `${reportPath}?sbom_media_type=${encodeURIComponent('application/vnd.cyclonedx+json')}`,
      {
        token: reader,
        headers: { accept: SBOM },
      },
    );
    assert.equal(sbom.status, 200);
    ok(spec.response('/scan/{scan_request_id}/report', 'get', 200, SBOM), sbom.body, 'SBOM report');
    assert.equal(sbom.body.sbom.bomFormat, 'CycloneDX');
    assert.ok(sbom.body.sbom.components.some((c: { name: string }) => c.name === 'pillow'));
    const noType = await call(base, 'GET', reportPath, { token: reader, headers: { accept: SBOM } });
    assert.equal(noType.status, 400);
    ok(
      spec.response(
        '/scan/{scan_request_id}/report',
        'get',
        400,
        'application/vnd.scanner.adapter.error+json; version=1.0',
      ),
      noType.body,
      'error',
    );
    assert.equal((await call(base, 'GET', '/harbor/api/v1/scan/nope/report', { token: reader })).status, 404);
    assert.ok(
      saw302,
      'the first poll, right after the 202, finds the scan running (a pull and a scan take far longer)',
    );

    // a scan that cannot pull (wrong password) ends as 500 with the spec's error body
    const wrong = await call(base, 'POST', '/harbor/api/v1/scan', {
      token: admin,
      body: {
        ...scanRequest,
        registry: {
          url: `http://${secured.host}`,
          authorization: 'Basic ' + Buffer.from(`${HARBOR_USER}:bad`).toString('base64'),
        },
      },
      headers: { 'content-type': REQ_TYPE },
    });
    assert.equal(wrong.status, 202);
    const failed = await until(async () => {
      const r = await call(base, 'GET', `/harbor/api/v1/scan/${wrong.body.id}/report`, {
        token: reader,
        headers: { accept: VULN },
      });
      return r.status === 302 ? undefined : r;
    }, 'the failed Harbor scan');
    assert.equal(failed.status, 500);
    ok(
      spec.response(
        '/scan/{scan_request_id}/report',
        'get',
        500,
        'application/vnd.scanner.adapter.error+json; version=1.0',
      ),
      failed.body,
      '500',
    );
    for (const [body, status] of [
      [{ registry: { url: 'ftp://x' }, artifact: { repository: 'a', digest: scanned.app.digest } }, 422],
      [{ registry: 1 }, 400],
      [
        {
          ...scanRequest,
          artifact: { ...scanRequest.artifact, mime_type: 'application/vnd.cncf.helm.config.v1+json' },
        },
        501,
      ],
    ] as const) {
      const r = await call(base, 'POST', '/harbor/api/v1/scan', {
        token: admin,
        body,
        headers: { 'content-type': REQ_TYPE },
      });
      assert.equal(r.status, status, JSON.stringify(r.body));
      ok(
        spec.response('/scan', 'post', status, 'application/vnd.scanner.adapter.error+json; version=1.0'),
        r.body,
        `${status}`,
      );
    }

    // Harbor may hand a registry token instead (`Bearer …`, the spec allows both): a real registry with token auth
    // (no token server at all: the token is signed here, as Harbor's core would) and the token used for that pull
    const signer = await createTokenSigner(work);
    const AUD = { service: 'zerocve-e2e-registry', issuer: 'zerocve-e2e-issuer' };
    const tokened = await startRegistry({
      token: { realm: 'http://127.0.0.1:9/no-token-server', ...AUD, rootCertPath: signer.certPath },
    });
    registries.push(tokened);
    await pushOciLayout(join(work, 'layout'), 'app', tokened.host, undefined, {
      repo: 'library/app',
      destTag: 'v1',
      token: signer.issue('library/app', ['pull', 'push'], AUD),
    });
    const bearerToken = signer.issue('library/app', ['pull'], AUD);
    const bearerRequest = {
      ...scanRequest,
      registry: { url: `http://${tokened.host}`, authorization: `Bearer ${bearerToken}` },
    };
    ok(spec.request('/scan', 'post', REQ_TYPE), bearerRequest, 'scan request with a Bearer token');
    const harborScan = async (body: unknown) => {
      const r = await call(base, 'POST', '/harbor/api/v1/scan', {
        token: admin,
        body,
        headers: { 'content-type': REQ_TYPE },
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      return await until(async () => {
        const rep = await call(base, 'GET', `/harbor/api/v1/scan/${r.body.id}/report`, {
          token: reader,
          headers: { accept: VULN },
        });
        return rep.status === 302 ? undefined : rep;
      }, 'a Harbor report');
    };
    const viaToken = await harborScan(bearerRequest);
    assert.equal(viaToken.status, 200, JSON.stringify(viaToken.body));
    ok(spec.response('/scan/{scan_request_id}/report', 'get', 200, VULN), viaToken.body, 'report (Bearer)');
    assert.equal(viaToken.body.artifact.digest, scanned.app.digest);
    // the token is what let it in: without it the pull is refused (no token server to ask) and the scan fails
    const { authorization: _none, ...anonymousRegistry } = bearerRequest.registry;
    const refused = await harborScan({ ...bearerRequest, registry: anonymousRegistry });
    assert.equal(refused.status, 500);
    assert.match(refused.body.error.message, /token server/);

    // restart over TLS with an admission policy (on the same data folder)
    assert.equal(await serve.stop('SIGTERM'), 0, serve.output());
    // the pull credentials are nowhere in the data folder and not in the server's output
    const b64 = authorization.slice('Basic '.length);
    for (const f of readdirSync(data, { recursive: true }) as string[]) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(data, f));
      } catch {
        continue; // a folder
      }
      assert.ok(!bytes.includes(HARBOR_PASSWORD) && !bytes.includes(b64), `credentials stored in ${f}`);
      assert.ok(!bytes.includes(bearerToken.split('.')[2]), `the Bearer token stored in ${f}`);
    }
    assert.ok(!serve.output().includes(HARBOR_PASSWORD) && !serve.output().includes(b64), 'credentials in the log');
    assert.ok(!serve.output().includes(bearerToken.split('.')[2]), 'the Bearer token in the log');

    writeFileSync(
      join(work, 'admission.yaml'),
      'mode: enforce\nrequire:\n  catalogPass: true\nunknownImage: warn-and-scan\nexemptNamespaces: [kube-system]\n',
    );
    const tls = startCli([
      'serve',
      ...store,
      ...common,
      '--listen',
      '127.0.0.1:0',
      '--tls-cert',
      join(work, 'server.crt'),
      '--tls-key',
      join(work, 'server.key'),
      '--admission-policy',
      join(work, 'admission.yaml'),
      '--admission-lookup-timeout',
      '1',
    ]);
    children.push(tls);
    const sbase = (await tls.waitFor(/listening on (https:\/\/\S+)/))[1];
    const ca = readFileSync(join(work, 'ca.crt'));
    const admit = (body: unknown) => httpsPost(`${sbase}/admission/validate`, body, ca);

    const allowed = await admit(review('uid-1', { group: '', kind: 'Pod' }, pod(`${BASE}:1`)));
    assert.equal(allowed.status, 200);
    assert.deepEqual(allowed.body, {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'uid-1', allowed: true },
    });
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        template: {
          spec: {
            initContainers: [{ name: 'init', image: `${BASE}:1` }],
            containers: [{ name: 'app', image: `${APP}:1` }],
          },
        },
      },
    };
    const denied = await admit(review('uid-2', { group: 'apps', kind: 'Deployment' }, deployment));
    assert.equal(denied.body.response.uid, 'uid-2');
    assert.equal(denied.body.response.allowed, false);
    assert.equal(denied.body.response.status.code, 403);
    assert.match(denied.body.response.status.message, new RegExp(`${APP}:1 \\(container app\\) fails its policy`));
    assert.ok(denied.body.response.status.message.includes(`use ${BASE}:1 instead`));
    const exempt = await admit(
      review('uid-3', { group: 'apps', kind: 'Deployment' }, deployment, { namespace: 'kube-system' }),
    );
    assert.equal(exempt.body.response.allowed, true);
    const byDigest = await admit(
      review('uid-4', { group: '', kind: 'Pod' }, pod(`${reg.host}/ml/base@${scanned.base.digest}`)),
    );
    assert.equal(byDigest.body.response.allowed, true);

    // unknown images: admitted with a warning; queued for a scan unless dryRun
    const dry = `127.0.0.1:9/unknown/dry:1`;
    const wet = `127.0.0.1:9/unknown/wet:1`;
    const dr = await admit(review('uid-5', { group: '', kind: 'Pod' }, pod(dry), { dryRun: true }));
    assert.equal(dr.body.response.allowed, true);
    assert.match(dr.body.response.warnings[0], /unknown/);
    const wr = await admit(review('uid-6', { group: '', kind: 'Pod' }, pod(wet)));
    assert.equal(wr.body.response.allowed, true);
    const scanVia = (target: string) =>
      new Promise<{ deduplicated: boolean }>((resolve, reject) => {
        const data = Buffer.from(JSON.stringify({ target }));
        const req = httpsRequest(
          `${sbase}/api/v1/scans`,
          { method: 'POST', ca, headers: { authorization: `Bearer ${admin}`, 'content-length': data.length } },
          (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (c: string) => (text += c));
            res.on('end', () => resolve(JSON.parse(text)));
          },
        );
        req.on('error', reject);
        req.end(data);
      });
    assert.equal((await scanVia(wet)).deduplicated, true, 'the admission queued a scan of the unknown image');
    assert.equal((await scanVia(dry)).deduplicated, false, 'a dryRun review queued nothing');

    // Harbor scan ids are in the store: after the restart the reports still answer, the failed one still fails
    const persisted = await httpsGet(`${sbase}${reportPath}`, { authorization: `Bearer ${reader}`, accept: VULN }, ca);
    assert.equal(persisted.status, 200, persisted.body);
    assert.equal(JSON.parse(persisted.body).artifact.digest, scanned.app.digest);
    const stillFailed = await httpsGet(
      `${sbase}/harbor/api/v1/scan/${wrong.body.id}/report`,
      { authorization: `Bearer ${reader}`, accept: VULN },
      ca,
    );
    assert.equal(stillFailed.status, 500);

    // the same image however spelled: the tag recorded for docker.io/library/nginx answers `nginx:stable`
    const hubPod = await admit(
      review(
        'uid-h',
        { group: '', kind: 'Pod' },
        pod('nginx:stable', 'index.docker.io/library/nginx:stable', `library/nginx@${scanned.base.digest}`),
      ),
    );
    assert.deepEqual(hubPod.body.response, { uid: 'uid-h', allowed: true });

    // tags pushed while no hook listens (never notified, never recorded): admission asks the registry what digest
    // they are and decides from that digest's stored result; nothing is pulled or scanned on the way
    const layout = join(work, 'layout');
    await pushOciLayout(layout, 'base', reg.host, undefined, { repo: 'ml/base', destTag: '2' });
    await pushOciLayout(layout, 'app', reg.host, undefined, { repo: 'ml/app', destTag: '2' });
    await buildTinyLayout(layout, 'fresh', { files: { 'etc/motd': 'never scanned\n' } });
    await pushOciLayout(layout, 'fresh', reg.host, undefined, { repo: 'ml/base', destTag: 'fresh' });
    const base2 = await admit(review('uid-l1', { group: '', kind: 'Pod' }, pod(`${BASE}:2`)));
    assert.deepEqual(base2.body.response, { uid: 'uid-l1', allowed: true }, 'ml/base:2 is the scanned ml/base:1');
    const app2 = await admit(review('uid-l2', { group: '', kind: 'Pod' }, pod(`${APP}:2`)));
    assert.equal(app2.body.response.allowed, false);
    assert.match(app2.body.response.status.message, new RegExp(`${APP}:2 \\(container c0\\) fails its policy`));
    const fresh = await admit(review('uid-l3', { group: '', kind: 'Pod' }, pod(`${BASE}:fresh`), { dryRun: true }));
    assert.equal(fresh.body.response.allowed, true);
    assert.match(
      fresh.body.response.warnings[0],
      /:fresh \(container c0\) is unknown \(it is sha256:[0-9a-f]{64}\); a scan would be queued \(dryRun/,
    );
    // a registry that accepts connections and never answers: the lookup gives up after --admission-lookup-timeout
    // (1 s here), the image is unknown, and the failure is remembered briefly (the next review does not wait)
    const held: Socket[] = [];
    const hung = createNetServer((sock) => void held.push(sock));
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    try {
      const hungRef = `127.0.0.1:${(hung.address() as { port: number }).port}/ml/x:1`;
      const t1 = Date.now();
      const slow = await admit(
        review('uid-t1', { group: '', kind: 'Pod' }, pod(hungRef, hungRef.replace(/:1$/, ':2')), { dryRun: true }),
      );
      const took = Date.now() - t1;
      // two unknown tags are looked up at once: one timeout (1 s), not two in a row
      assert.ok(took >= 900 && took < 2000, `the hung lookups took ${took} ms`);
      assert.equal(slow.body.response.allowed, true);
      assert.match(slow.body.response.warnings[0], /:1 \(container c0\) is unknown; a scan would be queued/);
      assert.match(slow.body.response.warnings[1], /:2 \(container c1\) is unknown; a scan would be queued/);
      const t2 = Date.now();
      await admit(review('uid-t2', { group: '', kind: 'Pod' }, pod(hungRef), { dryRun: true }));
      assert.ok(Date.now() - t2 < 800, `the second review took ${Date.now() - t2} ms`);
      assert.match(tls.output(), /cannot resolve 127\.0\.0\.1:\d+\/ml\/x:1 at its registry: no answer within 1000 ms/);
    } finally {
      for (const sock of held) sock.destroy();
      hung.close();
    }

    const bad = await admit('{"kind":"AdmissionReview"');
    assert.equal(bad.status, 400);
    assert.equal(typeof bad.body.error.message, 'string');
    const v1beta1 = await admit({
      ...review('uid-7', { group: '', kind: 'Pod' }, pod(`${BASE}:1`)),
      apiVersion: 'admission.k8s.io/v1beta1',
    });
    assert.equal(v1beta1.status, 400);
    assert.equal(await tls.stop('SIGTERM'), 0, tls.output());
  },
);

test('the hook is off without a secret, and --tls-cert needs --tls-key', { skip }, async () => {
  const data = join(work, 'data-off');
  mkdirSync(data, { recursive: true });
  const serve = startCli([
    'serve',
    '--data',
    data,
    '--db',
    join(work, 'vuln.db'),
    '--no-cache',
    '--listen',
    '127.0.0.1:0',
    '--scan-interval',
    '0',
  ]);
  children.push(serve);
  const base = (await serve.waitFor(/listening on (http:\/\/\S+)/))[1];
  const r = await call(base, 'POST', '/hooks/registry', {
    body: { image: 'a/b:1' },
    headers: { authorization: 'Bearer x' },
  });
  assert.equal(r.status, 404);
  assert.match(r.body.error.message, /hook is off.*--hook-secret/);
  await serve.stop('SIGTERM');
  const half = await zerocve(['serve', '--data', data, '--tls-cert', join(work, 'server.crt')]);
  assert.equal(half.code, 2, half.stderr);
  assert.match(half.stderr, /--tls-cert and --tls-key go together/);
});

test(
  'PostgreSQL: a Harbor scan requested of one instance is answered by another',
  { skip: skip || postgresSkip(), timeout: 300_000 },
  async () => {
    pg = await startPostgres();
    const database = await pg.createDatabase('zc_harbor');
    const store = ['--database', database];
    const triager = (await zerocve(['token', 'harbor', '--role', 'triager', ...store])).stdout.trim();
    const reader = (await zerocve(['token', 'dash', '--role', 'reader', ...store])).stdout.trim();
    const common = ['--db', join(work, 'vuln.db'), '--no-cache', '--scan-interval', '0', '--listen', '127.0.0.1:0'];
    const a = startCli(['serve', ...store, ...common]);
    const b = startCli(['serve', ...store, ...common, '--workers', '0']);
    children.push(a, b);
    const baseA = (await a.waitFor(/listening on (http:\/\/\S+)/))[1];
    const baseB = (await b.waitFor(/listening on (http:\/\/\S+)/))[1];
    const reg = await startRegistry();
    registries.push(reg);
    await pushOciLayout(join(work, 'layout'), 'app', reg.host, undefined, { repo: 'library/app', destTag: 'v1' });
    const digest = (
      await fetch(`http://${reg.host}/v2/library/app/manifests/v1`, {
        method: 'HEAD',
        headers: { accept: OCI_MANIFEST },
      })
    ).headers.get('docker-content-digest')!;
    const accepted = await call(baseA, 'POST', '/harbor/api/v1/scan', {
      token: triager,
      body: {
        registry: { url: `http://${reg.host}` },
        artifact: { repository: 'library/app', digest, tag: 'v1', mime_type: OCI_MANIFEST },
      },
      headers: { 'content-type': 'application/vnd.scanner.adapter.scan.request+json; version=1.1' },
    });
    assert.equal(accepted.status, 202);
    const VULN = 'application/vnd.security.vulnerability.report; version=1.1';
    const path = `/harbor/api/v1/scan/${accepted.body.id}/report`;
    const fromB = await until(
      async () => {
        const r = await call(baseB, 'GET', path, { token: reader, headers: { accept: VULN } });
        assert.ok(r.status === 302 || r.status === 200, `${r.status} ${JSON.stringify(r.body)}`);
        return r.status === 200 ? r : undefined;
      },
      'instance B to answer the report of the scan instance A ran',
      120_000,
    );
    assert.equal(fromB.body.artifact.digest, digest);
    assert.ok(fromB.body.vulnerabilities.some((v: { package: string }) => v.package === 'pillow'));
    const fromA = await call(baseA, 'GET', path, { token: reader, headers: { accept: VULN } });
    assert.deepEqual(fromA.body, fromB.body);
    assert.equal((await call(baseB, 'GET', '/harbor/api/v1/scan/nope/report', { token: reader })).status, 404);
    assert.equal(await a.stop('SIGTERM'), 0, a.output());
    assert.equal(await b.stop('SIGTERM'), 0, b.output());
  },
);

test(
  'a Harbor scan whose instance stopped mid-scan is answered as interrupted after the restart (SQLite)',
  { skip, timeout: 120_000 },
  async () => {
    const data = join(work, 'data-interrupted');
    const store = ['--data', data];
    const triager = (await zerocve(['token', 'harbor', '--role', 'triager', ...store])).stdout.trim();
    const common = ['--db', join(work, 'vuln.db'), '--no-cache', '--scan-interval', '0', '--listen', '127.0.0.1:0'];
    // a registry that accepts connections and never answers: the pull hangs, the scan stays running
    const held: Socket[] = [];
    const hung = createNetServer((sock) => void held.push(sock));
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    try {
      const first = startCli(['serve', ...store, ...common]);
      children.push(first);
      const base = (await first.waitFor(/listening on (http:\/\/\S+)/))[1];
      const accepted = await call(base, 'POST', '/harbor/api/v1/scan', {
        token: triager,
        body: {
          registry: { url: `http://127.0.0.1:${(hung.address() as { port: number }).port}` },
          artifact: { repository: 'ml/app', digest: `sha256:${'e'.repeat(64)}`, mime_type: OCI_MANIFEST },
        },
        headers: { 'content-type': 'application/vnd.scanner.adapter.scan.request+json; version=1.1' },
      });
      assert.equal(accepted.status, 202);
      const path = `/harbor/api/v1/scan/${accepted.body.id}/report`;
      assert.equal((await call(base, 'GET', path, { token: triager })).status, 302, 'running');
      assert.equal(await first.stop('SIGKILL'), 'SIGKILL');
      const second = startCli(['serve', ...store, ...common]);
      children.push(second);
      const again = (await second.waitFor(/listening on (http:\/\/\S+)/))[1];
      const r = await call(again, 'GET', path, { token: triager });
      assert.equal(r.status, 500, 'not 302 forever: the instance that held the credentials is gone');
      assert.match(r.body.error.message, /was interrupted .*scan again/);
      assert.equal(await second.stop('SIGTERM'), 0, second.output());
    } finally {
      for (const sock of held) sock.destroy();
      hung.close();
    }
  },
);
