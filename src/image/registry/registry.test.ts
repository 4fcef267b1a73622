// Against a REAL registry (Debian's docker-registry) with images pushed by skopeo; auth, retries and token flow use
// real 127.0.0.1 servers started here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { openRegistryImage, createRegistryClient, resolveRegistryDigest } from './index.ts';
import { parseReference } from '../reference.ts';
import { parsePlatform } from '../oci.ts';
import { InputError, RegistryError } from '../../core/errors.ts';
import {
  startRegistry,
  freePort,
  pushOciLayout,
  buildTinyLayout,
  buildMultiArchLayout,
  tinyLayerFiles,
  type RunningRegistry,
} from '../../../test/support/registry.ts';

let work: string;
let layout: string;
let open: RunningRegistry;
let locked: RunningRegistry;
const USER = { user: 'alice', password: 's3cret' };
const fast = { attempts: 3, baseDelayMs: 5 };

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'zc-registry-test-'));
  layout = join(work, 'layout');
  await buildTinyLayout(layout, 'v1', { files: { 'etc/hello': 'hello from the registry\n' } });
  await buildTinyLayout(layout, 'big', { files: { blob: randomBytes(4 << 20).toString('latin1') } });
  await buildTinyLayout(layout, 'corrupt', { files: { 'etc/unique': 'only in the image that gets corrupted\n' } });
  await buildMultiArchLayout(layout, 'multi', [
    { os: 'linux', architecture: 'amd64', files: { 'etc/arch': 'amd64' } },
    { os: 'linux', architecture: 'arm64', files: { 'etc/arch': 'arm64' } },
  ]);
  [open, locked] = await Promise.all([
    startRegistry(),
    startRegistry({ htpasswd: { user: USER.user, password: USER.password } }),
  ]);
  await Promise.all([
    pushOciLayout(layout, 'v1', open.host),
    pushOciLayout(layout, 'big', open.host),
    pushOciLayout(layout, 'multi', open.host, undefined, { repo: 'test/docker', all: true, format: 'v2s2' }),
    pushOciLayout(layout, 'corrupt', open.host, undefined, { repo: 'test/corrupt' }),
    pushOciLayout(layout, 'multi', open.host, undefined, { all: true }),
    pushOciLayout(layout, 'v1', locked.host, USER),
  ]);
});
after(async () => {
  await Promise.all([open?.stop(), locked?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

const layoutManifestDigest = (tag: string): string => {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const d = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  assert.ok(d, tag);
  return d.digest;
};

test(
  'anonymous pull over plain HTTP from a loopback registry: ' + 'manifest, config and a verified, re-openable layer',
  async () => {
    const target = `${open.host}/test/tiny:v1`;
    const img = await openRegistryImage(parseReference(target), { target });
    assert.equal(img.source.kind, 'registry');
    assert.equal(img.source.reference, `${open.host}/test/tiny:v1`);
    assert.equal(img.source.manifestDigest, layoutManifestDigest('v1'));
    assert.deepEqual(img.config.cmd, ['/bin/true']);
    assert.equal(img.layers.length, 1);
    assert.deepEqual(await tinyLayerFiles(await img.layers[0].open(), true), {
      'etc/hello': 'hello from the registry\n',
    });
    assert.deepEqual(await tinyLayerFiles(await img.layers[0].open(), true), {
      'etc/hello': 'hello from the registry\n',
    });
    // by digest, the same image
    const byDigest = await openRegistryImage(parseReference(`${open.host}/test/tiny@${img.source.manifestDigest}`), {
      target: 'd',
    });
    assert.equal(byDigest.configDigest, img.configDigest);
  },
);

test('multi-arch index pushed with skopeo --all: platform selection and the list of available platforms', async () => {
  const ref = parseReference(`${open.host}/test/tiny:multi`);
  const amd = await openRegistryImage(ref, { target: 't' });
  assert.deepEqual(await tinyLayerFiles(await amd.layers[0].open(), true), { 'etc/arch': 'amd64' });
  const arm = await openRegistryImage(ref, { target: 't', platform: parsePlatform('linux/arm64') });
  assert.deepEqual(await tinyLayerFiles(await arm.layers[0].open(), true), { 'etc/arch': 'arm64' });
  assert.deepEqual(arm.config.platform, { os: 'linux', architecture: 'arm64' });
  await assert.rejects(openRegistryImage(ref, { target: 't', platform: parsePlatform('linux/ppc64le') }), {
    message: 't: no image for platform linux/ppc64le (available: linux/amd64, linux/arm64)',
  });
});

test('Docker schema 2 manifest lists and manifests (skopeo --format v2s2) resolve the same way', async () => {
  const ref = parseReference(`${open.host}/test/docker:multi`);
  const client = createRegistryClient({ registry: open.host, retry: fast });
  const root = await client.getManifest('test/docker', 'multi');
  assert.equal(root.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
  const arm = await openRegistryImage(ref, { target: 't', platform: parsePlatform('linux/arm64') });
  assert.equal(arm.layers[0].mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
  assert.deepEqual(await tinyLayerFiles(await arm.layers[0].open(), true), { 'etc/arch': 'arm64' });
  const child = await client.getManifest('test/docker', arm.source.manifestDigest ?? '');
  assert.equal(child.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  assert.equal(child.digest, arm.source.manifestDigest);
});

test('headManifest: the digest a tag points at, 304 for the ETag or digest seen last time, with auth', async () => {
  const digest = layoutManifestDigest('v1');
  const client = createRegistryClient({ registry: open.host, insecure: true });
  const found = await client.headManifest('test/tiny', 'v1');
  assert.equal(found.status, 'found');
  assert.equal(found.status === 'found' && found.digest, digest);
  assert.equal(found.status === 'found' && found.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  const etag = found.status === 'found' ? found.etag : undefined;
  assert.ok(etag, 'distribution sends an ETag');
  assert.deepEqual(await client.headManifest('test/tiny', 'v1', { ifNoneMatch: etag }), { status: 'current' });
  assert.deepEqual(await client.headManifest('test/tiny', 'v1', { ifNoneMatch: digest }), { status: 'current' });
  const stale = await client.headManifest('test/tiny', 'v1', { ifNoneMatch: 'sha256:' + '0'.repeat(64) });
  assert.equal(stale.status === 'found' && stale.digest, digest, 'another validator: the current digest');
  const authed = createRegistryClient({
    registry: locked.host,
    insecure: true,
    credentials: async () => ({ kind: 'basic', username: USER.user, password: USER.password }),
  });
  const viaAuth = await authed.headManifest('test/tiny', 'v1');
  assert.equal(viaAuth.status === 'found' && viaAuth.digest, digest);
  await assert.rejects(client.headManifest('test/tiny', 'nope'), (e: unknown) => {
    assert.ok(e instanceof RegistryError && e.status === 404);
    return true;
  });
});

test('404s name the repo, tag or blob', async () => {
  await assert.rejects(
    openRegistryImage(parseReference(`${open.host}/test/tiny:nope`), { target: 't' }),
    (e: unknown) =>
      e instanceof RegistryError &&
      e.status === 404 &&
      e.message === `registry ${open.host}: manifest test/tiny:nope not found (MANIFEST_UNKNOWN)`,
  );
  await assert.rejects(
    openRegistryImage(parseReference(`${open.host}/no/such:v1`), { target: 't' }),
    (e: unknown) =>
      e instanceof RegistryError &&
      e.status === 404 &&
      new RegExp(
        String.raw`^registry 127\.0\.0\.1:\d+: (repository no\/such not found \(NAME_UNKNOWN\)|` +
          String.raw`manifest no\/such:v1 not found \(MANIFEST_UNKNOWN\))$`,
      ).test(e.message),
  );
  const client = createRegistryClient({ registry: open.host, retry: fast });
  const missing = 'sha256:' + '0'.repeat(64);
  await assert.rejects(
    client.openBlob('test/tiny', { mediaType: 'x', digest: missing, size: 1 }),
    (e: unknown) =>
      e instanceof RegistryError && e.message === `registry ${open.host}: blob ${missing} not found (BLOB_UNKNOWN)`,
  );
});

test('a blob corrupted in the registry storage fails the layer stream with a digest mismatch', async () => {
  const img = await openRegistryImage(parseReference(`${open.host}/test/corrupt:corrupt`), { target: 't' });
  const hex = img.layers[0].digest.slice('sha256:'.length);
  const data = join(open.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
  const bytes = readFileSync(data);
  bytes[bytes.length - 12] ^= 0x55;
  writeFileSync(data, bytes);
  await assert.rejects(
    text(await img.layers[0].open()),
    (e: unknown) =>
      e instanceof InputError &&
      e.message.startsWith(
        `blob ${img.layers[0].digest} of ${open.host}/test/corrupt: digest mismatch: expected ` +
          `${img.layers[0].digest}, got sha256:`,
      ),
  );
});

test('basic auth (htpasswd): right credentials pull, wrong or none give the one-line 401', async () => {
  const ref = parseReference(`${locked.host}/test/tiny:v1`);
  const img = await openRegistryImage(ref, { target: 't', auth: { username: USER.user, password: USER.password } });
  assert.deepEqual(await tinyLayerFiles(await img.layers[0].open(), true), {
    'etc/hello': 'hello from the registry\n',
  });
  const unauthorized = `registry ${locked.host}: unauthorized for repo test/tiny (check credentials)`;
  await assert.rejects(
    openRegistryImage(ref, { target: 't', auth: { username: USER.user, password: 'wrong' } }),
    (e: unknown) => e instanceof RegistryError && e.status === 401 && e.message === unauthorized,
  );
  await assert.rejects(openRegistryImage(ref, { target: 't' }), { message: unauthorized });
});

test(
  'docker config.json: auths (base64 auth), credHelpers ' + 'via docker-credential-<name> on PATH, missing file',
  async () => {
    const ref = parseReference(`${locked.host}/test/tiny:v1`);
    const dir = join(work, 'docker-config');
    mkdirSync(dir, { recursive: true });
    const cfg = join(dir, 'config.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        auths: { [`http://${locked.host}`]: { auth: Buffer.from(`${USER.user}:${USER.password}`).toString('base64') } },
      }),
    );
    const img = await openRegistryImage(ref, { target: 't', dockerConfigPath: cfg });
    assert.equal(img.layers.length, 1);
    // explicit options win over the config
    await assert.rejects(
      openRegistryImage(ref, { target: 't', dockerConfigPath: cfg, auth: { username: 'x', password: 'y' } }),
      { status: 401 },
    );

    // a credential helper: reads the server URL on stdin, answers for this registry only
    const bin = join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    const log = join(work, 'helper.log');
    writeFileSync(
      join(bin, 'docker-credential-test'),
      [
        '#!/bin/sh',
        'read server',
        `echo "$1 $server" >> ${log}`,
        `if [ "$server" = "${locked.host}" ]; then printf '{"ServerURL":"%s","Username":"${USER.user}` +
          `","Secret":"${USER.password}"}' "$server"; exit 0; fi`,
        'echo "credentials not found in native keychain"; exit 1',
      ].join('\n') + '\n',
    );
    chmodSync(join(bin, 'docker-credential-test'), 0o755);
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    try {
      writeFileSync(cfg, JSON.stringify({ auths: { [locked.host]: {} }, credHelpers: { [locked.host]: 'test' } }));
      const viaHelper = await openRegistryImage(ref, { target: 't', dockerConfigPath: cfg });
      assert.equal(viaHelper.configDigest, img.configDigest);
      assert.equal(readFileSync(log, 'utf8'), `get ${locked.host}\n`);
      // credsStore for everything: the helper says "not found" for the open registry, which then pulls anonymously
      writeFileSync(cfg, JSON.stringify({ credsStore: 'test' }));
      await openRegistryImage(parseReference(`${open.host}/test/tiny:v1`), { target: 't', dockerConfigPath: cfg });
      const viaStore = await openRegistryImage(ref, { target: 't', dockerConfigPath: cfg });
      assert.equal(viaStore.configDigest, img.configDigest);
      // a helper named for this registry that does not exist is a clear error
      writeFileSync(cfg, JSON.stringify({ credHelpers: { [locked.host]: 'absent' } }));
      await assert.rejects(openRegistryImage(ref, { target: 't', dockerConfigPath: cfg }), {
        message: `credential helper docker-credential-absent for ${locked.host}: not found on PATH`,
      });
    } finally {
      process.env.PATH = oldPath;
    }
    // no config file: anonymous, so the 401 one-liner
    await assert.rejects(openRegistryImage(ref, { target: 't', dockerConfigPath: join(dir, 'absent.json') }), {
      status: 401,
    });
  },
);

/** A real HTTP proxy in front of the registry that answers `faults` (in order) to matching requests first. */
async function startFaultProxy(
  upstream: string,
  faults: { match: RegExp; status: number; headers?: Record<string, string> }[],
): Promise<{ host: string; seen: { path: string; at: number }[]; server: Server }> {
  const seen: { path: string; at: number }[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', at: Date.now() });
    const i = faults.findIndex((f) => f.match.test(req.url ?? ''));
    if (i >= 0) {
      const [f] = faults.splice(i, 1);
      res.writeHead(f.status, { 'content-type': 'application/json', ...f.headers });
      res.end('{"errors":[{"code":"UNAVAILABLE","message":"injected"}]}');
      return;
    }
    const [h, p] = upstream.split(':');
    const up = httpRequest(
      { host: h, port: Number(p), path: req.url, method: req.method, headers: { ...req.headers, host: upstream } },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return { host: `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, seen, server };
}

test(
  '5xx and 429 are retried with backoff, Retry-After ' + 'is honoured, and persistent failures give one line',
  async () => {
    const proxy = await startFaultProxy(open.host, [
      { match: /\/manifests\/v1$/, status: 503 },
      { match: /\/manifests\/v1$/, status: 429, headers: { 'retry-after': '1' } },
      { match: /\/blobs\//, status: 502 },
    ]);
    try {
      const retries: string[] = [];
      const ref = parseReference(`${proxy.host}/test/tiny:v1`);
      const img = await openRegistryImage(ref, {
        target: 't',
        insecure: true,
        retry: fast,
        onProgress: (e) => {
          if (e.kind === 'retry') retries.push(e.message);
        },
      });
      const manifestHits = proxy.seen.filter((s) => s.path.endsWith('/manifests/v1'));
      assert.equal(manifestHits.length, 3);
      assert.ok(
        manifestHits[2].at - manifestHits[1].at >= 950,
        `Retry-After: 1 honoured (${manifestHits[2].at - manifestHits[1].at} ms)`,
      );
      assert.equal(retries.length, 3);
      assert.match(retries[1], /429 for manifest test\/tiny:v1; retrying in 1000 ms/);
      assert.deepEqual(await tinyLayerFiles(await img.layers[0].open(), true), {
        'etc/hello': 'hello from the registry\n',
      });

      const always = Array.from({ length: 3 }, () => ({ match: /\/manifests\/v1$/, status: 500 }));
      const bad = await startFaultProxy(open.host, always);
      try {
        await assert.rejects(
          openRegistryImage(parseReference(`${bad.host}/test/tiny:v1`), { target: 't', insecure: true, retry: fast }),
          (e: unknown) =>
            e instanceof RegistryError &&
            e.status === 500 &&
            e.message === `registry ${bad.host}: server error 500 for manifest test/tiny:v1 after 3 attempts`,
        );
        assert.equal(bad.seen.length, 3);
      } finally {
        bad.server.close();
      }
    } finally {
      proxy.server.close();
    }
  },
);

test('network errors are retried and then reported; abort stops at once', async () => {
  const dead = `127.0.0.1:${await freePort()}`;
  const t0 = Date.now();
  await assert.rejects(
    openRegistryImage(parseReference(`${dead}/x:y`), { target: 't', retry: fast }),
    (e: unknown) =>
      e instanceof RegistryError && e.message === `registry ${dead}: cannot connect (ECONNREFUSED) after 3 attempts`,
  );
  assert.ok(Date.now() - t0 < 5000);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(
    openRegistryImage(parseReference(`${open.host}/test/tiny:v1`), { target: 't', signal: ac.signal }),
    { name: 'AbortError' },
  );
});

test('aborting mid-layer fails the stream with an AbortError', async () => {
  const img = await openRegistryImage(parseReference(`${open.host}/test/tiny:big`), { target: 't' });
  assert.ok(img.layers[0].size > 4_000_000);
  const ac = new AbortController();
  const stream = await img.layers[0].open(ac.signal);
  let seen = 0;
  await assert.rejects(
    (async () => {
      for await (const c of stream) {
        seen += (c as Buffer).length;
        if (seen > 100_000) ac.abort();
      }
    })(),
    { name: 'AbortError' },
  );
  assert.ok(seen < img.layers[0].size);
});

test('resolveRegistryDigest: a tag to the digest its scan records, no pull; an index to its platform', async () => {
  const tiny = await openRegistryImage(parseReference(`${open.host}/test/tiny:v1`), { target: 't' });
  assert.deepEqual(await resolveRegistryDigest(parseReference(`${open.host}/test/tiny:v1`), {}), {
    digest: tiny.source.manifestDigest,
  });
  const multi = parseReference(`${open.host}/test/tiny:multi`);
  const amd = await openRegistryImage(multi, { target: 't' });
  const arm = await openRegistryImage(multi, { target: 't', platform: parsePlatform('linux/arm64') });
  const index = await createRegistryClient({ registry: open.host }).getManifest('test/tiny', 'multi');
  assert.deepEqual(await resolveRegistryDigest(multi, {}), {
    digest: amd.source.manifestDigest,
    indexDigest: index.digest,
  });
  assert.equal(
    (await resolveRegistryDigest(multi, { platform: parsePlatform('linux/arm64') })).digest,
    arm.source.manifestDigest,
  );
  await assert.rejects(resolveRegistryDigest(parseReference(`${open.host}/test/tiny:nope`), {}), { status: 404 });
  // behind Basic auth: credentials answer the challenge; none is a 401
  const lockedRef = parseReference(`${locked.host}/test/tiny:v1`);
  assert.equal(
    (await resolveRegistryDigest(lockedRef, { auth: { username: USER.user, password: USER.password } })).digest,
    tiny.source.manifestDigest,
  );
  await assert.rejects(resolveRegistryDigest(lockedRef, {}), { status: 401 });
});

test('resolveRegistryDigest gives up when its signal fires (a registry that accepts and never answers)', async () => {
  const hung = createServer(() => {}); // accepts, never answers
  const port = await freePort();
  await new Promise<void>((resolve) => hung.listen(port, '127.0.0.1', resolve));
  try {
    const started = Date.now();
    await assert.rejects(
      resolveRegistryDigest(parseReference(`127.0.0.1:${port}/x:1`), {
        insecure: true,
        signal: AbortSignal.timeout(300),
      }),
      (e: unknown) => e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'),
    );
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
  } finally {
    hung.closeAllConnections();
    hung.close();
  }
});
