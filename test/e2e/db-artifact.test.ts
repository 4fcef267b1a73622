// `zerocve db push|pull` end to end: the real CLI against the real registry (`docker-registry`), databases built
// from corpus data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { corpusPath, corpusSkip } from '../support/corpus.ts';
import { startRegistry, type RunningRegistry } from '../support/registry.ts';
import { dbStatus, zerocve, type DbStatusJson } from './support.ts';
import { createRegistryClient } from '../../src/image/index.ts';

const GHSA = 'vulndata/ghsa-sample';
const GO = 'vulndata/go-vulndb/data/osv';
const skip = corpusSkip(GHSA) || corpusSkip(GO);
let work = '';
let open: RunningRegistry;
let locked: RunningRegistry;
const USER = { user: 'builder', password: 'pa55word' };

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'zc-db-artifact-'));
  [open, locked] = await Promise.all([startRegistry(), startRegistry({ htpasswd: USER })]);
});
after(async () => {
  await Promise.all([open?.stop(), locked?.stop()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

const status = dbStatus;

test('db push publishes the database as an OCI artifact; db pull verifies and swaps it in', { skip }, async () => {
  const built = join(work, 'built.db');
  let r = await zerocve(['db', 'import', '--db', built, '--quiet', corpusPath(GHSA)!, corpusPath(GO)!]);
  assert.equal(r.code, 0, r.stderr);
  const ref = `${open.host}/security/zerocve-db:1`;
  r = await zerocve(['db', 'push', '--db', built, '--insecure', ref]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`pushed .* to ${open.host}/security/zerocve-db:1@sha256:[0-9a-f]{64}`));

  // the artifact as any OCI client sees it
  const client = createRegistryClient({ registry: open.host, insecure: true });
  const m = await client.getManifest('security/zerocve-db', '1');
  const man = m.json as {
    artifactType: string;
    layers: { mediaType: string; size: number; digest: string }[];
    annotations: Record<string, string>;
  };
  const want = await status(built);
  assert.equal(man.artifactType, 'application/vnd.zerocve.db.v1');
  assert.equal(man.layers[0].mediaType, 'application/vnd.zerocve.db.v1.sqlite+gzip');
  assert.ok(man.layers[0].size < readFileSync(built).length / 2, 'the layer is compressed');
  assert.equal(man.annotations['io.zerocve.db.schema-version'], '1');
  assert.equal(man.annotations['io.zerocve.db.built-at'], want.builtAt);
  assert.equal(man.annotations['io.zerocve.db.advisories'], String(want.advisories));
  assert.equal(
    man.annotations['io.zerocve.db.sources'],
    want.sources.map((s) => `${s.name}=${s.advisories}`).join(','),
  );

  // pull into a fresh place, and over an existing, different database
  const fresh = join(work, 'fresh', 'zerocve.db');
  r = await zerocve(['db', 'pull', '--db', fresh, '--insecure', ref]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`pulled .*${m.digest}.* into ${fresh}`));
  assert.deepEqual(await status(fresh), { ...(await status(built)), path: fresh } as DbStatusJson);
  const other = join(work, 'other.db');
  r = await zerocve(['db', 'import', '--db', other, '--quiet', corpusPath(GHSA)!]);
  assert.equal(r.code, 0, r.stderr);
  // a pull killed earlier left its partial file behind: the next pull removes it
  const stale = `${other}.pull-${spawnSync('true').pid}`;
  writeFileSync(stale, 'partial');
  r = await zerocve(['db', 'pull', '--db', other, '--insecure', `${open.host}/security/zerocve-db@${m.digest}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(stale), false);
  assert.equal((await status(other)).advisories, want.advisories);

  // a manifest claiming another schema version is refused before any download; the database stays
  const bad = { ...man, annotations: { ...man.annotations, 'io.zerocve.db.schema-version': '999' } };
  await client.putManifest(
    'security/zerocve-db',
    'future',
    Buffer.from(JSON.stringify(bad)),
    'application/vnd.oci.image.manifest.v1+json',
  );
  r = await zerocve(['db', 'pull', '--db', other, '--insecure', `${open.host}/security/zerocve-db:future`]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /schema version 999, this zerocve needs 1/);
  // not a zerocve database at all
  const notDb = { ...man, artifactType: 'application/vnd.example.other' };
  await client.putManifest(
    'security/zerocve-db',
    'other',
    Buffer.from(JSON.stringify(notDb)),
    'application/vnd.oci.image.manifest.v1+json',
  );
  r = await zerocve(['db', 'pull', '--db', other, '--insecure', `${open.host}/security/zerocve-db:other`]);
  assert.match(r.stderr, /not a zerocve database/);

  // a corrupted blob in the registry's storage: digest verification fails, the database is left as it was
  const hex = man.layers[0].digest.slice(7);
  const data = join(open.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
  assert.ok(existsSync(data));
  const good = readFileSync(data);
  const corrupt = Buffer.from(good);
  corrupt[Math.floor(corrupt.length / 2)] ^= 0xff;
  writeFileSync(data, corrupt);
  const before = await status(other);
  r = await zerocve(['db', 'pull', '--db', other, '--insecure', ref]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /digest|mismatch/i);
  assert.deepEqual(await status(other), before);
  assert.equal(
    (await import('node:fs')).readdirSync(join(work)).filter((n) => n.includes('.pull-')).length,
    0,
    'no temp file left',
  );
  writeFileSync(data, good);
});

test('db push and pull authenticate with --username/--password', { skip }, async () => {
  const db = join(work, 'auth.db');
  let r = await zerocve(['db', 'import', '--db', db, '--quiet', corpusPath(GHSA)!]);
  assert.equal(r.code, 0, r.stderr);
  const ref = `${locked.host}/sec/db:latest`;
  r = await zerocve(['db', 'push', '--db', db, '--insecure', ref]);
  assert.notEqual(r.code, 0, 'no credentials: refused');
  assert.match(r.stderr, /unauthorized/);
  r = await zerocve([
    'db',
    'push',
    '--db',
    db,
    '--insecure',
    '--username',
    USER.user,
    '--password',
    USER.password,
    ref,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const pulled = join(work, 'auth-pulled.db');
  r = await zerocve(['db', 'pull', '--db', pulled, '--insecure', ref], {
    env: { ZEROCVE_REGISTRY_USERNAME: USER.user, ZEROCVE_REGISTRY_PASSWORD: USER.password },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await status(pulled)).advisories, (await status(db)).advisories);
});
