// End-to-end helpers: run the real CLI, and build the test images the CLI is run against.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initLayout, writeLayer, writeImage, writeIndex, type LayerDescriptor } from '../../src/image/write/index.ts';

export const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'zerocve.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `zerocve ARGS` as a user would (the launcher, on this Node), with an isolated cache unless given. Scans never
 * update the database from the internet here (ZEROCVE_SKIP_DB_UPDATE=1): tests bring their own data, and the
 * auto-update test turns it back on against a local mirror.
 */
export function zerocve(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--max-semi-space-size=16', BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', ZEROCVE_SKIP_DB_UPDATE: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolvePromise({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    );
  });
}

/** A pickle that runs `os.system` when loaded (protocol 2, GLOBAL + REDUCE), written byte by byte. */
export function maliciousPickle(): Buffer {
  return Buffer.concat([
    Buffer.from([0x80, 0x02]),
    Buffer.from('cposix\nsystem\nq\x00X\x06\x00\x00\x00id; :)q\x01\x85q\x02Rq\x03.', 'latin1'),
  ]);
}

export interface Extra {
  path: string;
  body: Buffer | string;
  mode?: number;
}

/**
 * A two-layer image: the base fixture's layer as is, and a layer the test writes with the given files (pip-installed
 * distributions, model files, secrets) — the way an ML team's Dockerfile adds to an official base.
 */
export async function imageWithLayer(
  baseOciDir: string,
  dir: string,
  files: Extra[],
  config: { user?: string; annotations?: Record<string, string> } = {},
): Promise<string> {
  initLayout(dir);
  const index = JSON.parse(readFileSync(join(baseOciDir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const manifest = JSON.parse(
    readFileSync(join(baseOciDir, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'),
  ) as { config: { digest: string }; layers: { digest: string; size: number; mediaType: string }[] };
  const baseConfig = JSON.parse(
    readFileSync(join(baseOciDir, 'blobs/sha256', manifest.config.digest.slice(7)), 'utf8'),
  ) as { rootfs: { diff_ids: string[] }; config: { Env?: string[]; Cmd?: string[] } };
  const base: LayerDescriptor[] = manifest.layers.map((l, i) => {
    copyFileSync(join(baseOciDir, 'blobs/sha256', l.digest.slice(7)), join(dir, 'blobs/sha256', l.digest.slice(7)));
    return { ...l, diffId: baseConfig.rootfs.diff_ids[i], uncompressedSize: 0 };
  });
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) dirs.add('/' + parts.slice(0, i).join('/'));
  }
  const entries = [...[...dirs].map((d) => ({ path: d, dir: true })), ...files.map((f) => ({ ...f, dir: false }))].sort(
    (a, b) => {
      const x = a.dir ? `${a.path}/` : a.path;
      const y = b.dir ? `${b.path}/` : b.path;
      return x < y ? -1 : x > y ? 1 : 0;
    },
  );
  const layer = await writeLayer(dir, async (tar) => {
    for (const e of entries) {
      if (e.dir) await tar.add({ path: e.path, type: 'dir', mode: 0o755 });
      else {
        const f = e as unknown as Extra;
        await tar.add({ path: f.path, type: 'file', mode: f.mode ?? 0o644 }, Buffer.from(f.body));
      }
    }
  });
  mkdirSync(dir, { recursive: true });
  const m = await writeImage(dir, {
    layers: [...base, layer],
    config: { env: baseConfig.config.Env, cmd: baseConfig.config.Cmd, user: config.user },
    ...(config.annotations ? { annotations: config.annotations } : {}),
  });
  writeIndex(dir, [{ ...m, tag: 'latest' }]);
  return `oci-dir:${dir}:latest`;
}

export function distInfo(site: string, name: string, version: string, requires: string[] = []): Extra[] {
  const d = `${site}/${name}-${version}.dist-info`;
  const meta = [
    `Metadata-Version: 2.1`,
    `Name: ${name}`,
    `Version: ${version}`,
    ...requires.map((r) => `Requires-Dist: ${r}`),
    '',
  ].join('\n');
  return [
    { path: `${d}/METADATA`, body: meta },
    { path: `${d}/INSTALLER`, body: 'pip\n' },
    { path: `${d}/RECORD`, body: `${d.slice(site.length + 1)}/METADATA,,\n${d.slice(site.length + 1)}/INSTALLER,,\n` },
  ];
}

/** What `zerocve db status --format json` prints (the fields the tests read). */
export interface DbStatusJson {
  builtAt: string;
  advisories: number;
  sources: { name: string; kind: string; advisories: number; affected: number }[];
}

/** `zerocve db status --format json` of a database; fails the test when the command fails. */
export async function dbStatus(db: string): Promise<DbStatusJson> {
  const r = await zerocve(['db', 'status', '--db', db, '--format', 'json']);
  if (r.code !== 0) throw new Error(`db status --db ${db} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as DbStatusJson;
}
