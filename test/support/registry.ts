// A real OCI distribution registry for tests: Debian's `docker-registry` (CNCF distribution 2.8) on 127.0.0.1, with
// temp storage, optional htpasswd basic auth or token (bearer) auth, plus helpers that build tiny OCI layouts with
// umoci and push them with skopeo. Needs the apt packages docker-registry, apache2-utils, umoci, skopeo, openssl.
import { initLayout, writeLayer, writeImage } from '../../src/image/write/index.ts';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { createHash, createPrivateKey, createSign, randomUUID, X509Certificate } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const run = promisify(execFile);

export interface RunningRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  /** the registry's storage root (to corrupt blobs in tests) */
  storageDir: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  htpasswd?: { user: string; password: string };
  /** token (bearer) auth: the registry trusts `rootCertPath` and sends clients to `realm` */
  token?: { realm: string; service: string; issuer: string; rootCertPath: string };
  /** push notifications: the registry POSTs distribution event envelopes to `url` with these headers */
  notifications?: { url: string; headers?: Record<string, string> };
}

/** A free TCP port on 127.0.0.1 (closed again before returning; small race accepted in tests). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'zc-registry-'));
  const storageDir = join(dir, 'storage');
  mkdirSync(storageDir);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storageDir}`,
    '  delete:',
    '    enabled: true',
    '  cache:',
    '    blobdescriptor: ""',
    'http:',
    `  addr: ${host}`,
    `  secret: zerocve-test-${port}`,
  ];
  if (options.htpasswd) {
    const { stdout } = await run('htpasswd', ['-Bbn', options.htpasswd.user, options.htpasswd.password]);
    const file = join(dir, 'htpasswd');
    writeFileSync(file, stdout.trim() + '\n');
    lines.push('auth:', '  htpasswd:', '    realm: zerocve-test', `    path: ${file}`);
  } else if (options.token) {
    const t = options.token;
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${t.realm}`,
      `    service: ${t.service}`,
      `    issuer: ${t.issuer}`,
      `    rootcertbundle: ${t.rootCertPath}`,
    );
  }
  if (options.notifications) {
    const n = options.notifications;
    lines.push('notifications:', '  endpoints:', '    - name: zerocve', `      url: ${n.url}`);
    if (n.headers) {
      lines.push('      headers:');
      for (const [k, v] of Object.entries(n.headers)) lines.push(`        ${k}: [${JSON.stringify(v)}]`);
    }
    lines.push('      timeout: 2s', '      threshold: 3', '      backoff: 1s');
  }
  const config = join(dir, 'config.yml');
  writeFileSync(config, lines.join('\n') + '\n');
  const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  const stop = async (): Promise<void> => {
    if (!exited) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await Promise.race([gone, sleep(3000)]);
      if (!exited) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`docker-registry exited at start: ${stderr.trim()}`);
    }
    try {
      const res = await fetch(`http://${host}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer on ${host}: ${stderr.trim()}`);
    }
    await sleep(50);
  }
  return { host, storageDir, stop };
}

/** Pushes `oci:layoutDir:tag` to `docker://host/repo:tag` over plain HTTP. `all` copies every image of an index. */
/** Signs registry tokens (ES256 JWTs, as a token server would) with a key and certificate made here with openssl. */
export interface TokenSigner {
  /** the certificate a registry configured with `auth: token` trusts (its `rootcertbundle`) */
  certPath: string;
  /** a token granting `actions` on `repo`, for `service` from `issuer` */
  issue(repo: string, actions: string[], audience: { service: string; issuer: string }): string;
}

export async function createTokenSigner(dir: string): Promise<TokenSigner> {
  const keyPath = join(dir, 'token-key.pem');
  const certPath = join(dir, 'token-cert.pem');
  await run('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
    ...['-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=zerocve-test-token-signer'],
  ]);
  const key = createPrivateKey(readFileSync(keyPath, 'utf8'));
  const certDer = new X509Certificate(readFileSync(certPath)).raw;
  const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');
  return {
    certPath,
    issue(repo, actions, audience) {
      const now = Math.floor(Date.now() / 1000);
      const header = { typ: 'JWT', alg: 'ES256', x5c: [certDer.toString('base64')] };
      const claims = {
        iss: audience.issuer,
        sub: 'test',
        aud: audience.service,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomUUID(),
        access: [{ type: 'repository', name: repo, actions }],
      };
      const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
      const sig = createSign('SHA256').update(signingInput).sign({ key, dsaEncoding: 'ieee-p1363' });
      return `${signingInput}.${b64url(sig)}`;
    },
  };
}

export async function pushOciLayout(
  layoutDir: string,
  tag: string,
  host: string,
  creds?: { user: string; password: string },
  options: {
    repo?: string;
    destTag?: string;
    all?: boolean;
    /** v2s2: convert to Docker schema 2 */ format?: 'oci' | 'v2s2';
    /** a registry token sent as `Bearer TOKEN` (a registry with token auth, no token server) */
    token?: string;
  } = {},
): Promise<void> {
  const repo = options.repo ?? 'test/tiny';
  const args = ['copy', '--quiet', '--dest-tls-verify=false', '--insecure-policy'];
  if (options.all) args.push('--all');
  if (options.format) args.push('--format', options.format);
  if (creds) args.push('--dest-creds', `${creds.user}:${creds.password}`);
  if (options.token) args.push('--dest-registry-token', options.token);
  args.push(`oci:${layoutDir}:${tag}`, `docker://${host}/${repo}:${options.destTag ?? tag}`);
  await run('skopeo', args);
}

export interface TinyImage {
  /** files to put in the root file system, path → content */
  files: Record<string, string>;
  os?: string;
  architecture?: string;
}

/**
 * Builds (or adds to) an OCI layout at `layoutDir` with one image tagged `tag` holding `image.files` in one layer.
 * Written with zerocve's own image writer: umoci 0.4.7's `insert` leaves such tiny layers without the last file's
 * padding and the end-of-archive blocks (GNU tar rejects them as truncated).
 */
export async function buildTinyLayout(layoutDir: string, tag: string, image: TinyImage): Promise<void> {
  initLayout(layoutDir);
  const dirs = new Set<string>();
  for (const path of Object.keys(image.files)) {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const entries = [
    ...[...dirs].map((p) => ({ p: `${p}/`, dir: true })),
    ...Object.keys(image.files).map((p) => ({ p: p.replace(/^\/+/, ''), dir: false })),
  ].sort((a, b) => (a.p < b.p ? -1 : a.p > b.p ? 1 : 0));
  const layer = await writeLayer(layoutDir, async (tar) => {
    for (const e of entries) {
      if (e.dir) await tar.add({ path: e.p.slice(0, -1), type: 'dir' });
      else await tar.add({ path: e.p, type: 'file' }, Buffer.from(image.files[e.p] ?? image.files[`/${e.p}`]));
    }
  });
  const { platform: _p, ...m } = await writeImage(layoutDir, {
    layers: [layer],
    platform: { os: image.os ?? 'linux', architecture: image.architecture ?? 'amd64' },
    config: { cmd: ['/bin/true'] },
    created: new Date().toISOString(),
  });
  const indexPath = join(layoutDir, 'index.json');
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as {
    manifests: { annotations?: Record<string, string> }[];
  };
  index.manifests = index.manifests.filter((d) => d.annotations?.['org.opencontainers.image.ref.name'] !== tag);
  writeFileSync(
    indexPath,
    JSON.stringify({
      ...index,
      manifests: [...index.manifests, { ...m, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
}

/**
 * Builds one tiny image per platform in `layoutDir` (tags `<tag>-<os>-<arch>`), then adds an image index over them
 * tagged `tag`, with each manifest's platform filled in — a multi-arch image as buildx would write it.
 */
export async function buildMultiArchLayout(
  layoutDir: string,
  tag: string,
  images: (TinyImage & { os: string; architecture: string; variant?: string })[],
): Promise<void> {
  for (const img of images) await buildTinyLayout(layoutDir, `${tag}-${img.os}-${img.architecture}`, img);
  const indexPath = join(layoutDir, 'index.json');
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as {
    manifests: { annotations?: Record<string, string>; [k: string]: unknown }[];
  };
  const manifests = images.map((img) => {
    const t = `${tag}-${img.os}-${img.architecture}`;
    const d = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === t);
    if (!d) throw new Error(`buildMultiArchLayout: ${t} not in ${indexPath}`);
    return {
      mediaType: d.mediaType,
      digest: d.digest,
      size: d.size,
      platform: { os: img.os, architecture: img.architecture, ...(img.variant ? { variant: img.variant } : {}) },
    };
  });
  const body = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
  );
  const hex = createHash('sha256').update(body).digest('hex');
  writeFileSync(join(layoutDir, 'blobs', 'sha256', hex), body);
  index.manifests.push({
    mediaType: 'application/vnd.oci.image.index.v1+json',
    digest: `sha256:${hex}`,
    size: body.length,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  });
  writeFileSync(indexPath, JSON.stringify(index));
}

/** Test-only: the regular files of a small gzip/plain tar layer stream, path → content (whole layer in memory). */
export async function tinyLayerFiles(stream: NodeJS.ReadableStream, gzip: boolean): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  let tar = Buffer.concat(chunks);
  if (gzip) tar = gunzipSync(tar);
  const files: Record<string, string> = {};
  for (let off = 0; off + 512 <= tar.length;) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const cstr = (a: number, b: number): string => header.subarray(a, b).toString('utf8').replace(/\0.*$/s, '');
    const name = (cstr(345, 500) ? cstr(345, 500) + '/' : '') + cstr(0, 100);
    const size = parseInt(cstr(124, 136).trim() || '0', 8);
    const type = cstr(156, 157) || '0';
    if (type === '0') files[name.replace(/^\.?\//, '')] = tar.subarray(off + 512, off + 512 + size).toString('utf8');
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}
