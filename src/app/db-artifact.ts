// `db push` / `db pull`: the vulnerability database as an OCI artifact, so a company builds it once and serves every
// scanner and air-gapped site from its own registry.
//
// Artifact (OCI image manifest 1.1 with artifactType): config = the empty descriptor `{}`; one layer = the SQLite file
// gzip-compressed (`application/vnd.zerocve.db.v1.sqlite+gzip`); the metadata as manifest annotations:
// `io.zerocve.db.schema-version`, `io.zerocve.db.built-at`, `io.zerocve.db.sources` (name=advisories,… per source),
// `org.opencontainers.image.created`. Pull checks the schema version before downloading, verifies the layer's digest
// and size while streaming, checks the result opens as this zerocve's schema, and renames it over the database (a
// crash or kill -9 leaves the previous database or the new one, never a mix). A pull holds the database's lock (the
// one `db update` and `db import` take), so a pull and an update never interleave.
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
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
import { SCHEMA_VERSION, dbStatus, lock, openStore, tryLock, type FileLock, type LockHolder } from '../vulndb/index.ts';

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

export interface PullOptions extends DbArtifactOptions {
  /** the database's lock when the caller already holds it */
  lock?: FileLock;
  /** called when another process (an update, an import, another pull) holds the lock and this pull waits */
  onWait?: (holder: LockHolder) => void;
  /** download progress of the database layer (compressed bytes) */
  onProgress?: (p: { bytes: number; total: number; done: boolean }) => void;
}

/** What a database artifact's manifest says, checked: a zerocve database of this zerocve's schema version. */
interface DbManifest {
  digest: Digest;
  schemaVersion: number;
  builtAt?: string;
  layer: { mediaType: string; digest: Digest; size: number };
}

async function readDbManifest(
  refText: string,
  client: ReturnType<typeof clientFor>['client'],
  ref: ReturnType<typeof parseReference>,
  signal?: AbortSignal,
): Promise<DbManifest> {
  const m = await client.getManifest(ref.repository, ref.digest ?? ref.tag ?? 'latest', signal);
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
  const builtAt = json.annotations?.['io.zerocve.db.built-at'];
  return {
    digest: m.digest,
    schemaVersion: schema,
    ...(builtAt ? { builtAt } : {}),
    layer: { mediaType: DB_LAYER_MEDIA_TYPE, digest: layer.digest as Digest, size: layer.size },
  };
}

/**
 * Fetches the database artifact at REF and swaps it in atomically, under the database's lock. Throws InputError when
 * REF is not a zerocve database or was built for another schema version (before downloading it), when its layer
 * fails digest/size verification, or when the result is not a readable database (the current database is then left
 * as it was).
 */
export async function pullDb(dbPath: string, refText: string, options: PullOptions = {}): Promise<PullResult> {
  const { ref, client } = clientFor(refText, options);
  const manifest = await readDbManifest(refText, client, ref, options.signal);
  mkdirSync(dirname(dbPath), { recursive: true });
  const held = options.lock ?? (await lock(dbPath, { signal: options.signal, onWait: options.onWait }));
  try {
    return await pullLocked(dbPath, refText, manifest, options);
  } finally {
    if (!options.lock) held.release();
  }
}

async function pullLocked(
  dbPath: string,
  refText: string,
  manifest: DbManifest,
  options: PullOptions,
): Promise<PullResult> {
  const { ref, client } = clientFor(refText, options);
  removeStalePulls(dbPath);
  const tmp = `${dbPath}.pull-${process.pid}`;
  try {
    const blob = await client.openBlob(ref.repository, manifest.layer, options.signal);
    let bytes = 0;
    const total = manifest.layer.size;
    await pipeline(
      blob,
      async function* (src: AsyncIterable<Buffer>) {
        for await (const b of src) {
          bytes += b.length;
          options.onProgress?.({ bytes, total, done: false });
          yield b;
        }
      },
      createGunzip(),
      createWriteStream(tmp),
      { signal: options.signal },
    );
    options.onProgress?.({ bytes, total, done: true });
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
      digest: manifest.digest,
      ...(builtAt ? { builtAt } : {}),
      schemaVersion: manifest.schemaVersion,
      bytes: manifest.layer.size,
    };
  } catch (err) {
    rmSync(tmp, { force: true });
    if (err instanceof DatabaseError) throw new InputError(`db pull ${refText}: ${err.message}`, { cause: err });
    throw err;
  }
}

export interface RepositoryUpdateOptions extends Omit<PullOptions, 'lock'> {
  /** pull when the database is missing or older than this and was not checked against REF for this long (24) */
  maxAgeHours?: number;
  /**
   * errors throw (`db update --db-repository`) instead of becoming warnings when a previous database exists (scans,
   * the service)
   */
  strict?: boolean;
  now?: Date;
}

export interface RepositoryUpdateResult {
  /** a new database file was renamed into place (by this process or by the one it waited for) */
  updated: boolean;
  /** the registry was asked (the database was missing or older than maxAgeHours) */
  checked: boolean;
  pulled?: PullResult;
  /** the artifact REF holds (when checked) */
  remote?: { digest: Digest; builtAt?: string };
  warnings: string[];
}

/** `<db>.repository.json`: when the database was last checked against which repository, and what it held. */
interface RepositoryMark {
  reference: string;
  digest: string;
  builtAt?: string;
  checkedAt: string;
}

const markFileOf = (dbPath: string): string => `${dbPath}.repository.json`;

function readMark(dbPath: string): RepositoryMark | undefined {
  try {
    return JSON.parse(readFileSync(markFileOf(dbPath), 'utf8')) as RepositoryMark;
  } catch {
    return undefined;
  }
}

function writeMark(dbPath: string, mark: RepositoryMark): void {
  const tmp = `${markFileOf(dbPath)}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(mark));
  renameSync(tmp, markFileOf(dbPath));
}

/** The local database's build time (ms), or undefined when it is missing, unreadable or of another schema. */
function localBuiltAt(dbPath: string): number | undefined {
  if (!existsSync(dbPath)) return undefined;
  try {
    const st = dbStatus(dbPath);
    return st.builtAt ? Date.parse(st.builtAt) || 0 : 0;
  } catch {
    return undefined;
  }
}

/**
 * Auto-update from a database repository (`--db-repository REF`): the database is brought up to date by pulling the
 * artifact a company publishes with `db push`, instead of building it from the feeds. The same rules as the feed
 * auto-update (ensureDb):
 * - nothing is asked when the database exists and was built, or last checked against REF, less than maxAgeHours ago;
 * - otherwise the manifest is read (one request); the artifact is pulled only when it is newer than the local
 *   database (its `io.zerocve.db.built-at`), or the local one is missing or unreadable; digest, size and schema
 *   version are verified and the file is swapped in atomically (pullDb), under the database's lock;
 * - when another process holds the lock and a database exists, the previous copy is used with a warning; when none
 *   exists, this waits for the lock and re-checks;
 * - a failure (registry unreachable, another schema version, a corrupt blob) is a warning and the previous database
 *   is kept, unless there is none (or `strict`): then it throws.
 */
export async function ensureDbFromRepository(
  dbPath: string,
  refText: string,
  options: RepositoryUpdateOptions = {},
): Promise<RepositoryUpdateResult> {
  const maxAgeMs = (options.maxAgeHours ?? 24) * 3.6e6;
  const now = (): number => options.now?.getTime() ?? Date.now();
  const fresh = (): boolean => {
    const built = localBuiltAt(dbPath);
    if (built === undefined) return false;
    const mark = readMark(dbPath);
    const checked = mark?.reference === refText ? Date.parse(mark.checkedAt) || 0 : 0;
    return now() - Math.max(built, checked) <= maxAgeMs;
  };
  if (fresh()) return { updated: false, checked: false, warnings: [] };
  const warnings: string[] = [];
  mkdirSync(dirname(dbPath), { recursive: true });
  let held: FileLock;
  let first: ReturnType<typeof tryLock>;
  try {
    first = tryLock(dbPath);
  } catch (err) {
    throw new DatabaseError(`cannot lock vulnerability database ${dbPath}: ${(err as Error).message}`, { cause: err });
  }
  if ('held' in first) {
    if (localBuiltAt(dbPath) !== undefined && !options.strict) {
      const h = first.held;
      warnings.push(
        `vulnerability database ${dbPath} is being updated by ` +
          `${h ? `process ${h.pid} on ${h.host}` : 'another process'}: this scan uses the previous copy`,
      );
      return { updated: false, checked: false, warnings };
    }
    if (first.held) options.onWait?.(first.held);
    held = await lock(dbPath, { signal: options.signal });
    if (fresh()) {
      held.release();
      return { updated: true, checked: false, warnings };
    }
  } else held = first;
  try {
    const { ref, client } = clientFor(refText, options);
    const local = localBuiltAt(dbPath);
    let manifest: DbManifest;
    let pulled: PullResult | undefined;
    try {
      manifest = await readDbManifest(refText, client, ref, options.signal);
      const remoteBuilt = manifest.builtAt ? Date.parse(manifest.builtAt) : NaN;
      if (local === undefined || !(remoteBuilt <= local)) pulled = await pullLocked(dbPath, refText, manifest, options);
    } catch (err) {
      if ((err as Error)?.name === 'AbortError') throw err;
      const message = (err as Error).message;
      const prefix = `db pull ${refText}: `;
      const reason = message.startsWith(prefix) ? message.slice(prefix.length) : message;
      if (local === undefined)
        throw new InputError(`vulnerability database ${dbPath} cannot be pulled from ${refText}: ${reason}`, {
          cause: err,
        });
      if (options.strict) throw err;
      warnings.push(`vulnerability database not updated from ${refText} (the previous copy is used): ${reason}`);
      return { updated: false, checked: true, warnings };
    }
    writeMark(dbPath, {
      reference: refText,
      digest: manifest.digest,
      ...(manifest.builtAt ? { builtAt: manifest.builtAt } : {}),
      checkedAt: new Date(now()).toISOString(),
    });
    return {
      updated: pulled !== undefined,
      checked: true,
      ...(pulled ? { pulled } : {}),
      remote: { digest: manifest.digest, ...(manifest.builtAt ? { builtAt: manifest.builtAt } : {}) },
      warnings,
    };
  } finally {
    held.release();
  }
}
