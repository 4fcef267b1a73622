// The fresh-build loop of `zerocve serve` end to end, on the embedded SQLite store: the real CLI, a real registry,
// real mmdebstrap builds from Debian's mirror and a real GitHub advisory from the corpus. Two catalog entries build
// the same small image.yaml (a minbase root with a pillow 8.4.0 dist-info, which the corpus has a high advisory for):
// without a failOn the rebuild passes and is pushed under TAG and TAG-YYYYMMDD with its SBOM and provenance, and
// its scan is stored; with failOn low it is rejected, nothing is pushed, and the rejection is reported. When the
// tag is made to name a stale image, `build --check` sees the newer base-files and the rebuild replaces it; asked
// again, nothing is rebuilt. A server with --no-builds leaves build jobs queued. Every response is checked against
// the OpenAPI document.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { zerocve, imageWithLayer } from './support.ts';
import { corpusPath, corpusSkip } from '../support/corpus.ts';
import { fixtureSkip } from '../support/images.ts';
import { startRegistry, pushOciLayout } from '../support/registry.ts';
import { startCli, until, createResponseChecker, type Child } from '../support/service.ts';
import { openApiDocument } from '../../src/serve/openapi.ts';
import { canBuildHere, datedTag } from '../../src/serve/index.ts';

const run = promisify(execFile);
// GitHub's reviewed advisory for Pillow < 10.2.0 (CVE-2023-50447, severity high)
const PILLOW = 'vulndata/ghsa-sample/GHSA-3f63-hfp8-52jq.json';
const skip =
  corpusSkip(PILLOW) ||
  fixtureSkip() ||
  (canBuildHere() ? false : 'fresh builds need root and mmdebstrap on PATH (apt-get install mmdebstrap)');
const work = mkdtempSync(join(tmpdir(), 'zc-e2e-fresh-'));
after(() => rmSync(work, { recursive: true, force: true }));
const check = createResponseChecker(openApiDocument() as Record<string, unknown>);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;
function client(base: string) {
  return async (method: string, path: string, token: string): Promise<{ status: number; body: Body }> => {
    const send = () => fetch(base + path, { method, headers: { authorization: `Bearer ${token}` } });
    const res = await send().catch((err) => {
      throw new Error(`${method} ${path}: ${(err as Error).message}`, { cause: err });
    });
    const type = res.headers.get('content-type') ?? '';
    const text = await res.text();
    const body = type.includes('json') && text ? JSON.parse(text) : text;
    const problems = check(method, new URL(base + path).pathname, res.status, type, body);
    assert.deepEqual(problems, [], `response of ${method} ${path} does not conform to the OpenAPI document`);
    if (res.status >= 400) assert.equal(typeof body.error?.message, 'string', `${method} ${path}: JSON error body`);
    return { status: res.status, body };
  };
}

/** the registry's answer for a manifest or the referrers fallback tag, as a client that speaks OCI asks it */
async function manifest(
  host: string,
  repo: string,
  ref: string,
): Promise<{ status: number; digest?: string; body?: Body }> {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${ref}`, {
    headers: {
      accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json',
    },
  }).catch((err) => {
    throw new Error(`registry manifest ${repo}:${ref}: ${(err as Error).message}`, { cause: err });
  });
  if (res.status !== 200) {
    await res.body?.cancel();
    return { status: res.status };
  }
  return { status: 200, digest: res.headers.get('docker-content-digest') ?? undefined, body: await res.json() };
}

test(
  'serve: fresh builds are checked, rebuilt, scanned, judged and pushed only when they pass',
  { skip, timeout: 1_800_000 },
  async () => {
    const reg = await startRegistry();
    let serve: Child | undefined;
    try {
      const data = join(work, 'data');
      const store = ['--data', data];
      // database: a real advisory for pillow from the corpus
      const adv = join(work, 'adv');
      mkdirSync(adv);
      cpSync(corpusPath(PILLOW)!, join(adv, 'pillow.json'));
      const dbFile = join(work, 'pillow.db');
      const imp = await zerocve(['db', 'import', '--db', dbFile, adv]);
      assert.equal(imp.code, 0, imp.stderr);

      // the smallest build: minbase (prod variant) plus a pillow 8.4.0 dist-info, which has known findings
      const images = join(work, 'images');
      mkdirSync(join(images, 'pillow'), { recursive: true });
      writeFileSync(join(images, 'pillow', 'METADATA'), 'Metadata-Version: 2.1\nName: pillow\nVersion: 8.4.0\n');
      writeFileSync(join(images, 'pillow', 'RECORD'), '');
      const site = '/usr/lib/python3/dist-packages/pillow-8.4.0.dist-info';
      writeFileSync(
        join(images, 'base.yaml'),
        `name: base\nbase: debian:bookworm\npackages: []\nfiles:\n` +
          `  - { src: pillow/METADATA, dest: ${site}/METADATA }\n  - { src: pillow/RECORD, dest: ${site}/RECORD }\n`,
      );
      const OK = `${reg.host}/fresh/ok`;
      const STRICT = `${reg.host}/fresh/strict`;
      const PLAIN = `${reg.host}/fresh/plain`;
      // relative spec paths resolve against the catalog's folder
      writeFileSync(
        join(work, 'catalog.yaml'),
        `images:\n` +
          `  - repository: ${OK}\n    tier: golden\n    tags: ["1"]\n    build: images/base.yaml\n` +
          `  - repository: ${STRICT}\n    tier: candidate\n    policy: { failOn: low }\n` +
          `    build: { spec: images/base.yaml, tag: stable }\n` +
          `  - repository: ${PLAIN}\n    tier: golden\n`,
      );
      const admin = (await zerocve(['token', 'admin', '--role', 'admin', ...store])).stdout.trim();
      const reader = (await zerocve(['token', 'dash', '--role', 'reader', ...store])).stdout.trim();
      const serveArgs = [
        'serve',
        ...store,
        '--db',
        dbFile,
        '--no-cache',
        '--catalog',
        join(work, 'catalog.yaml'),
        '--listen',
        '127.0.0.1:0',
        '--scan-interval',
        '0',
      ];

      // a server that does not build: the build job waits for a worker that can
      serve = startCli([...serveArgs, '--no-builds']);
      let base = (await serve.waitFor(/listening on (http:\/\/\S+) \(sqlite store, 1 worker\(s\)\)/))[1];
      let api = client(base);
      const q = await api('POST', `/api/v1/catalog/${OK}/build`, admin);
      assert.equal(q.status, 202);
      assert.equal(q.body.job.name, 'build');
      assert.equal((await api('POST', `/api/v1/catalog/${OK}/build`, admin)).body.deduplicated, true);
      assert.equal((await api('POST', `/api/v1/catalog/${OK}/build`, reader)).status, 403);
      assert.equal((await api('POST', `/api/v1/catalog/${PLAIN}/build`, admin)).status, 409);
      assert.equal((await api('POST', `/api/v1/catalog/${reg.host}/nope/build`, admin)).status, 404);
      const entry = await api('GET', `/api/v1/catalog/${OK}`, reader);
      assert.deepEqual(entry.body.build, { spec: join(work, 'images', 'base.yaml'), tag: '1' });
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal((await api('GET', `/api/v1/jobs/${q.body.job.id}`, reader)).body.state, 'queued');
      assert.deepEqual((await api('GET', `/api/v1/catalog/${OK}/builds`, reader)).body.items, []);
      await serve.stop();

      // a server whose worker can build (root and mmdebstrap here): it takes the queued job
      serve = startCli(serveArgs);
      base = (await serve.waitFor(/listening on (http:\/\/\S+) \(sqlite store, 1 worker\(s\), builds\)/))[1];
      api = client(base);
      const s = await api('POST', `/api/v1/catalog/${STRICT}/build`, admin);
      assert.equal(s.status, 202);
      const builds = async (repo: string) => (await api('GET', `/api/v1/catalog/${repo}/builds`, reader)).body.items;
      const ok = await until(async () => (await builds(OK))[0], 'the first build', 900_000);
      assert.equal(ok.outcome, 'pushed', JSON.stringify(ok));
      assert.equal(ok.reason, `${OK}:1 does not exist yet`);
      const dated = datedTag('1');
      assert.match(dated, /^1-20\d{6}$/);
      assert.deepEqual(ok.pushed, [`${OK}:${dated}`, `${OK}:1`]);
      assert.equal(ok.verdict.passed, true);
      assert.equal(ok.verdict.counts.high, 1, 'pillow 8.4.0 has a high finding, and the entry has no failOn');
      const job = (await api('GET', `/api/v1/jobs/${q.body.job.id}`, reader)).body;
      assert.equal(job.state, 'completed');
      assert.equal(job.output.outcome, 'pushed');

      // in the registry: both tags name the built image; its SBOM and provenance are listed as its referrers
      for (const t of ['1', dated]) {
        const m = await manifest(reg.host, 'fresh/ok', t);
        assert.equal(m.status, 200, `tag ${t} pushed`);
        assert.equal(m.digest, ok.digest, `tag ${t} names the built image`);
      }
      const refs = await manifest(reg.host, 'fresh/ok', ok.digest.replace(':', '-'));
      assert.equal(refs.status, 200, 'referrers fallback tag');
      const kinds = (refs.body.manifests as { artifactType: string; digest: string }[]).map((m) => m.artifactType);
      assert.deepEqual(kinds.sort(), ['application/vnd.cyclonedx+json', 'application/vnd.in-toto+json']);
      for (const r of refs.body.manifests as { digest: string }[]) {
        const m = await manifest(reg.host, 'fresh/ok', r.digest);
        assert.equal(m.body.subject.digest, ok.digest, 'the referrer points at the image');
      }

      // stored like any scan: the image, its tags and its findings
      const imgs = (await api('GET', `/api/v1/images?repository=${encodeURIComponent(OK)}`, reader)).body.items;
      assert.deepEqual(
        imgs.map((i: Body) => [i.digest, i.target]),
        [[ok.digest, `${OK}@${ok.digest}`]],
      );
      const tags = (await api('GET', `/api/v1/tags?repository=${encodeURIComponent(OK)}`, reader)).body.items;
      assert.deepEqual(tags.map((t: Body) => [t.tag, t.digest]).sort(), [
        ['1', ok.digest],
        [dated, ok.digest],
      ]);
      const findings = (await api('GET', `/api/v1/images/${ok.digest}/findings`, reader)).body.findings;
      assert.deepEqual(
        findings.map((f: Body) => [f.id, f.package.name, f.severity]),
        [['CVE-2023-50447', 'pillow', 'high']],
      );

      // the strict entry: same build, fails its policy (failOn low): not pushed, reported
      const strict = await until(async () => (await builds(STRICT))[0], 'the strict build', 900_000);
      assert.equal(strict.outcome, 'rejected', JSON.stringify(strict));
      assert.equal(strict.verdict.passed, false);
      assert.equal(strict.verdict.threshold, 'low');
      assert.equal(strict.pushed, undefined);
      assert.equal(strict.digest, ok.digest, 'reproducible: the same spec builds the same image');
      assert.equal((await manifest(reg.host, 'fresh/strict', 'stable')).status, 404, 'nothing pushed');
      assert.equal((await manifest(reg.host, 'fresh/strict', datedTag('stable'))).status, 404, 'nothing pushed');
      const sj = (await api('GET', `/api/v1/jobs/${s.body.job.id}`, reader)).body;
      assert.equal(sj.output.outcome, 'rejected');
      assert.deepEqual(
        (await api('GET', `/api/v1/images?repository=${encodeURIComponent(STRICT)}`, reader)).body.items,
        [],
        'a rejected rebuild is not stored as an image of the entry',
      );

      // the tag now names a stale image (a later layer records an older base-files): check → rebuild → pushed back
      const pulled = join(work, 'pulled');
      await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${OK}:1`, `oci:${pulled}:latest`]);
      const status = 'Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4+deb12u0\n';
      await imageWithLayer(pulled, join(work, 'stale'), [{ path: '/var/lib/dpkg/status', body: status }]);
      await pushOciLayout(join(work, 'stale'), 'latest', reg.host, undefined, { repo: 'fresh/ok', destTag: '1' });
      const staleDigest = (await manifest(reg.host, 'fresh/ok', '1')).digest;
      assert.notEqual(staleDigest, ok.digest);
      const count = async (repo: string, n: number) =>
        until(
          async () => {
            const items = await builds(repo);
            return items.length === n ? items[0] : undefined;
          },
          `build run ${n} of ${repo}`,
          900_000,
        );
      assert.equal((await api('POST', `/api/v1/catalog/${OK}/build`, admin)).body.deduplicated, false);
      const rebuilt = await count(OK, 2);
      assert.equal(rebuilt.outcome, 'pushed', JSON.stringify(rebuilt));
      assert.match(
        rebuilt.reason,
        /^1 package\(s\) with newer versions.*: base-files 12\.4\+deb12u0 → 12\.4\+deb12u\d+/,
      );
      assert.deepEqual(
        rebuilt.updates.map((u: Body) => [u.name, u.installed]),
        [['base-files', '12.4+deb12u0']],
      );
      assert.equal(rebuilt.digest, ok.digest, 'the rebuild is the same reproducible image');
      assert.equal((await manifest(reg.host, 'fresh/ok', '1')).digest, ok.digest, 'the stale image is replaced');

      // asked again: build --check against the pushed image finds nothing newer on the mirror: no rebuild
      assert.equal((await api('POST', `/api/v1/catalog/${OK}/build`, admin)).body.deduplicated, false);
      const fresh = await count(OK, 3);
      assert.equal(fresh.outcome, 'fresh', JSON.stringify(fresh));
      assert.equal(fresh.digest, undefined, 'nothing was rebuilt');
      // the operator sees each outcome in the service's log
      const log = serve.output();
      assert.ok(log.includes(`fresh build of ${OK}: pushed as ${OK}:${dated}, ${OK}:1`), log);
      assert.match(log, /fresh build of \S+\/fresh\/strict: rejected \(fails low: 1 high; the current image stays\)/);
      assert.ok(log.includes(`fresh build of ${OK}: fresh (no package has a newer version)`), log);
      const audit = (await api('GET', '/api/v1/audit', admin)).body.items.filter(
        (a: Body) => a.action === 'build.request',
      );
      assert.equal(audit.length, 5, 'every build request is audited');
    } catch (err) {
      process.stderr.write(`serve output:\n${serve?.output() ?? ''}\n`);
      throw err;
    } finally {
      await serve?.stop();
      await reg.stop();
    }
  },
);
