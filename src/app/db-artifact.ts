// `db push` / `db pull`: the vulnerability database as an OCI artifact, so a company builds it once and serves every
// scanner and air-gapped site from its own registry.
//
// Artifact (OCI image manifest 1.1 with artifactType): config = the empty descriptor `{}`; one layer = the SQLite file
// gzip-compressed (`application/vnd.zerocve.db.v1.sqlite+gzip`); the metadata as manifest annotations:
// `io.zerocve.db.schema-version`, `io.zerocve.db.built-at`, `io.zerocve.db.sources` (name=advisories,… per source),
// `org.opencontainers.image.created`. Pull checks the schema version before downloading, verifies the layer's digest
// and size while streaming, checks the result opens as this zerocve's schema, and renames it over the database (a
// crash or kill -9 leaves the previous database or the new one, never a mix).
import {
  closeSync,
  createReadStream,
  createWriteStream,
  fsyncSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, createGunzip } from 'node:zlib';
import { createHash } from 'node:crypto';
import { DatabaseError, InputError } from '../core/errors.ts';
import type { Digest } from '../core/image.ts';
import { createRegistryClient, lookupDockerCredentials, parseReference, type Credentials } from '../image/index.ts';
import { SCHEMA_VERSION, dbStatus, openStore } from '../vulndb/index.ts';

export const DB_ARTIFACT_TYPE = 'application/vnd.zerocve.db.v1';
export const DB_LAYER_MEDIA_TYPE = 'application/vnd.zerocve.db.v1.sqlite+gzip';
const EMPTY_CONFIG = { mediaType: 'application/vnd.oci.empty.v1+json', digest: '', size: 2 };
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

export interface DbArtifactOptions {
  insecure?: boolean;
  auth?: { username?: string; password?: string };
  dockerConfigPath?: string;
  signal?: AbortSignal;
}

function clientFor(refText: string, options: DbArtifactOptions) {
  const ref = parseReference(refText);
  const credentials = async (): Promise<Credentials | undefined> => {
    if (options.auth?.username)
      return { kind: 'basic', username: options.auth.username, password: options.auth.password ?? '' };
    if (options.dockerConfigPath)
      return await lookupDockerCredentials(options.dockerConfigPath, ref.registry, { signal: options.signal });
    return undefined;
  };
  return { ref, client: createRegistryClient({ registry: ref.registry, insecure: options.insecure, credentials }) };
}

function fsyncPath(p: string): void {
  const fd = openSync(p, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Removes `<db>.pull-<pid>` files of pulls whose process is gone (killed mid-download). */
function removeStalePulls(dbPath: string): void {
  const prefix = `${basename(dbPath)}.pull-`;
  for (const name of readdirSync(dirname(dbPath))) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = pid !== process.pid;
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) rmSync(join(dirname(dbPath), name), { force: true });
  }
}

export interface PushResult {
  reference: string;
  digest: Digest;
  layer: { digest: Digest; size: number };
  databaseBytes: number;
}

/** Publishes the database at dbPath to REF (a tag). Throws DatabaseError when it is missing or unreadable. */
export async function pushDb(dbPath: string, refText: string, options: DbArtifactOptions = {}): Promise<PushResult> {
  const st = dbStatus(dbPath); // refuses a missing, corrupt or other-schema database
  const { ref, client } = clientFor(refText, options);
  if (ref.digest) throw new InputError(`db push ${refText}: push to a tag, not a digest`);
  const gz = `${dbPath}.push-${process.pid}.gz`;
  try {
    const hash = createHash('sha256');
    let size = 0;
    await pipeline(
      createReadStream(dbPath),
      createGzip({ level: 6 }),
      async function* (src: AsyncIterable<Buffer>) {
        for await (const b of src) {
          hash.update(b);
          size += b.length;
          yield b;
        }
      },
      createWriteStream(gz),
      { signal: options.signal },
    );
    const layer = { digest: `sha256:${hash.digest('hex')}` as Digest, size };
    const empty = Buffer.from('{}');
    const config = { ...EMPTY_CONFIG, digest: `sha256:${createHash('sha256').update(empty).digest('hex')}` as Digest };
    await client.pushBlob(ref.repository, config, () => empty, options.signal);
    await client.pushBlob(
      ref.repository,
      layer,
      () => Readable.toWeb(createReadStream(gz)) as ReadableStream<Uint8Array>,
      options.signal,
    );
    const manifest = {
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      artifactType: DB_ARTIFACT_TYPE,
      config: { ...config, data: empty.toString('base64') },
      layers: [
        {
          mediaType: DB_LAYER_MEDIA_TYPE,
          digest: layer.digest,
          size: layer.size,
          annotations: { 'org.opencontainers.image.title': 'zerocve.db.gz' },
        },
      ],
      annotations: {
        'io.zerocve.db.schema-version': String(st.schemaVersion),
        'io.zerocve.db.built-at': st.builtAt ?? '',
        'io.zerocve.db.sources': st.sources.map((s) => `${s.name}=${s.advisories}`).join(','),
        'io.zerocve.db.advisories': String(st.advisories),
        'org.opencontainers.image.created': st.builtAt ?? new Date().toISOString(),
      },
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const digest = await client.putManifest(ref.repository, ref.tag ?? 'latest', bytes, MANIFEST_TYPE, options.signal);
    return {
      reference: `${ref.registry}/${ref.repository}:${ref.tag ?? 'latest'}`,
      digest,
      layer,
      databaseBytes: statSync(dbPath).size,
    };
  } finally {
    rmSync(gz, { force: true });
  }
}

export interface PullResult {
  reference: string;
  digest: Digest;
  builtAt?: string;
  schemaVersion: number;
  bytes: number;
}

/**
 * Fetches the database artifact at REF and swaps it in atomically. Throws InputError when REF is not a zerocve
 * database or was built for another schema version (before downloading it), when its layer fails digest/size
 * verification, or when the result is not a readable database (the current database is then left as it was).
 */
export async function pullDb(dbPath: string, refText: string, options: DbArtifactOptions = {}): Promise<PullResult> {
  const { ref, client } = clientFor(refText, options);
  const m = await client.getManifest(ref.repository, ref.digest ?? ref.tag ?? 'latest', options.signal);
  const json = m.json as {
    artifactType?: string;
    layers?: { mediaType?: string; digest?: string; size?: number }[];
    annotations?: Record<string, string>;
  };
  if (json.artifactType !== DB_ARTIFACT_TYPE)
    throw new InputError(`db pull ${refText}: not a zerocve database (artifactType ${json.artifactType ?? 'none'})`);
  const schema = Number(json.annotations?.['io.zerocve.db.schema-version']);
  if (schema !== SCHEMA_VERSION)
    throw new InputError(
      `db pull ${refText}: database schema version ${Number.isNaN(schema) ? 'unknown' : schema}, this ` +
        `zerocve needs ${SCHEMA_VERSION}: push one built by this version`,
    );
  const layer = json.layers?.find((l) => l.mediaType === DB_LAYER_MEDIA_TYPE);
  if (!layer?.digest || typeof layer.size !== 'number')
    throw new InputError(`db pull ${refText}: manifest has no ${DB_LAYER_MEDIA_TYPE} layer`);
  mkdirSync(dirname(dbPath), { recursive: true });
  removeStalePulls(dbPath);
  const tmp = `${dbPath}.pull-${process.pid}`;
  try {
    const blob = await client.openBlob(
      ref.repository,
      { mediaType: layer.mediaType as string, digest: layer.digest as Digest, size: layer.size },
      options.signal,
    );
    await pipeline(blob, createGunzip(), createWriteStream(tmp), { signal: options.signal });
    let builtAt: string | undefined;
    try {
      const s = openStore(tmp);
      builtAt = s.status().builtAt;
      s.close();
    } catch (err) {
      throw new InputError(`db pull ${refText}: the artifact is not a readable database: ${(err as Error).message}`, {
        cause: err,
      });
    }
    fsyncPath(tmp);
    renameSync(tmp, dbPath);
    fsyncPath(dirname(dbPath));
    return {
      reference: `${ref.registry}/${ref.repository}${ref.digest ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`}`,
      digest: m.digest,
      ...(builtAt ? { builtAt } : {}),
      schemaVersion: schema,
      bytes: layer.size,
    };
  } catch (err) {
    rmSync(tmp, { force: true });
    if (err instanceof DatabaseError) throw new InputError(`db pull ${refText}: ${err.message}`, { cause: err });
    throw err;
  }
}
