// Bearer-token flow against a REAL registry configured with `auth: token`, trusting a certificate made here with
// openssl, and a small real token server on 127.0.0.1 that signs ES256 JWTs with that certificate's key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRegistryImage, resolveRegistryDigest } from './index.ts';
import { parseReference } from '../reference.ts';
import { RegistryError } from '../../core/errors.ts';
import {
  startRegistry,
  freePort,
  pushOciLayout,
  buildTinyLayout,
  tinyLayerFiles,
  createTokenSigner,
  type RunningRegistry,
  type TokenSigner,
} from '../../../test/support/registry.ts';

const SERVICE = 'zerocve-test-registry';
const ISSUER = 'zerocve-test-issuer';
const AUDIENCE = { service: SERVICE, issuer: ISSUER };
const USER = { user: 'bob', password: 'hunter2' };
const REFRESH = 'refresh-token-ok';

let work: string;
let registry: RunningRegistry;
let tokenServer: Server;
let signer: TokenSigner;
const tokenRequests: { method: string; scope: string; who: string }[] = [];

async function body(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const c of req) s += c;
  return s;
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'zc-token-test-'));
  signer = await createTokenSigner(work);
  tokenServer = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const deny = (): void => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"details":"denied"}');
    };
    let scope = url.searchParams.get('scope') ?? '';
    let who = 'anonymous';
    let mayPush = false;
    if (req.method === 'POST') {
      const form = new URLSearchParams(await body(req));
      scope = form.get('scope') ?? '';
      if (
        form.get('grant_type') !== 'refresh_token' ||
        form.get('refresh_token') !== REFRESH ||
        form.get('service') !== SERVICE
      ) {
        deny();
        return;
      }
      who = 'refresh-token';
    } else {
      const auth = req.headers.authorization;
      if (auth) {
        const [u, p] = Buffer.from(auth.replace(/^Basic /, ''), 'base64')
          .toString()
          .split(':');
        if (u !== USER.user || p !== USER.password) {
          deny();
          return;
        }
        who = u;
        mayPush = true;
      }
      if (url.searchParams.get('service') !== SERVICE) {
        deny();
        return;
      }
    }
    tokenRequests.push({ method: req.method ?? '', scope, who });
    const m = /^repository:([^:]+):(.+)$/.exec(scope);
    const repo = m?.[1] ?? '';
    const actions = (m?.[2] ?? '').split(',').filter((a) => a === 'pull' || (a === 'push' && mayPush));
    const token = signer.issue(repo, actions, AUDIENCE);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(req.method === 'POST' ? { access_token: token, expires_in: 300 } : { token, expires_in: 300 }),
    );
  });
  const port = await freePort();
  await new Promise<void>((resolve) => tokenServer.listen(port, '127.0.0.1', resolve));
  registry = await startRegistry({
    token: { realm: `http://127.0.0.1:${port}/token`, service: SERVICE, issuer: ISSUER, rootCertPath: signer.certPath },
  });
  const layout = join(work, 'layout');
  await buildTinyLayout(layout, 'v1', { files: { 'etc/bearer': 'behind a token\n' } });
  await pushOciLayout(layout, 'v1', registry.host, USER);
});
after(async () => {
  await registry?.stop();
  tokenServer?.close();
  rmSync(work, { recursive: true, force: true });
});

test('the registry really demands a bearer token', async () => {
  const res = await fetch(`http://${registry.host}/v2/test/tiny/manifests/v1`);
  await res.arrayBuffer();
  assert.equal(res.status, 401);
  assert.match(
    res.headers.get('www-authenticate') ?? '',
    new RegExp(
      String.raw`^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token",` +
        String.raw`service="zerocve-test-registry",scope="repository:test\/tiny:pull"`,
    ),
  );
});

test('anonymous bearer flow: one token for the repository, reused for manifest, config and layer', async () => {
  tokenRequests.length = 0;
  const img = await openRegistryImage(parseReference(`${registry.host}/test/tiny:v1`), { target: 't' });
  assert.deepEqual(await tinyLayerFiles(await img.layers[0].open(), true), { 'etc/bearer': 'behind a token\n' });
  assert.deepEqual(tokenRequests, [{ method: 'GET', scope: 'repository:test/tiny:pull', who: 'anonymous' }]);
});

test('bearer flow with credentials: right ones get a token, wrong ones the one-line unauthorized error', async () => {
  tokenRequests.length = 0;
  const ref = parseReference(`${registry.host}/test/tiny:v1`);
  await openRegistryImage(ref, { target: 't', auth: { username: USER.user, password: USER.password } });
  assert.deepEqual(tokenRequests, [{ method: 'GET', scope: 'repository:test/tiny:pull', who: USER.user }]);
  await assert.rejects(
    openRegistryImage(ref, { target: 't', auth: { username: USER.user, password: 'wrong' } }),
    (e: unknown) =>
      e instanceof RegistryError &&
      e.status === 401 &&
      e.message ===
        `registry ${registry.host}: unauthorized for repo test/tiny (check credentials; token server answered 401)`,
  );
});

test('identitytoken from the docker config is exchanged with an OAuth2 refresh_token POST', async () => {
  tokenRequests.length = 0;
  const cfg = join(work, 'config.json');
  writeFileSync(cfg, JSON.stringify({ auths: { [registry.host]: { identitytoken: REFRESH } } }));
  const ref = parseReference(`${registry.host}/test/tiny:v1`);
  const img = await openRegistryImage(ref, { target: 't', dockerConfigPath: cfg });
  assert.equal(img.layers.length, 1);
  assert.deepEqual(tokenRequests, [{ method: 'POST', scope: 'repository:test/tiny:pull', who: 'refresh-token' }]);
  writeFileSync(cfg, JSON.stringify({ auths: { [registry.host]: { identitytoken: 'expired' } } }));
  await assert.rejects(openRegistryImage(ref, { target: 't', dockerConfigPath: cfg }), { status: 401 });
});

test("a registry token handed over (Harbor's Bearer authorization) is sent as it is: no token server", async () => {
  tokenRequests.length = 0;
  const ref = parseReference(`${registry.host}/test/tiny:v1`);
  const token = signer.issue('test/tiny', ['pull'], AUDIENCE);
  const img = await openRegistryImage(ref, { target: 't', auth: { token } });
  assert.deepEqual(await tinyLayerFiles(await img.layers[0].open(), true), { 'etc/bearer': 'behind a token\n' });
  assert.equal((await resolveRegistryDigest(ref, { auth: { token } })).digest, img.source.manifestDigest);
  assert.deepEqual(tokenRequests, []);
  // a token for another repository is refused by the registry: the one-line unauthorized error
  const other = signer.issue('test/other', ['pull'], AUDIENCE);
  await assert.rejects(
    openRegistryImage(ref, { target: 't', auth: { token: other } }),
    (e: unknown) =>
      e instanceof RegistryError && e.status === 401 && /unauthorized for repo test\/tiny/.test(e.message),
  );
  assert.deepEqual(tokenRequests, []);
});
