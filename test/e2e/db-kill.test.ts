// A database survives `kill -9` at any point of an update or a pull. The real CLI runs as a child process and is
// SIGKILLed at several moments: during the download, during the import, around the swap. Each time the database
// must be the previous complete one or the new complete one (status reads, a lookup answers, exactly one generation
// marker), and the next update or pull must succeed (the dead holder's lock is taken over, its temp files removed).
// `db update` reads a local HTTP mirror serving the Go vulnerability database of the corpus, throttled; `db pull`
// reads the real registry (`docker-registry`) through a throttling proxy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { corpusPath, corpusSkip } from '../support/corpus.ts';
import { startRegistry, type RunningRegistry } from '../support/registry.ts';
import { zerocve, ROOT } from './support.ts';
import { dbStatus, importSources, openStore } from '../../src/vulndb/index.ts';
import { pushDb } from '../../src/app/index.ts';

const GO = 'vulndata/go-vulndb/data/osv';
const GHSA = 'vulndata/ghsa-sample';
const KEV = 'conformance/grype/grype/db/v6/build/transformers/kev/testdata/go-case.json';
const skip = corpusSkip(GO) || corpusSkip(GHSA) || corpusSkip(KEV);
/** every NVD file `db update` asks for */
const NVD_FILES = [
  ...Array.from({ length: new Date().getUTCFullYear() - 2002 + 1 }, (_, i) => `nvdcve-2.0-${2002 + i}.json.gz`),
  'nvdcve-2.0-modified.json.gz',
];

let work = '';
let mirror: Server | undefined;
let proxy: Server | undefined;
let reg: RunningRegistry | undefined;
let mirrorUrl = '';
let proxyHost = '';
/**
 * the generation the mirror serves: its Go all.zip holds a third of the corpus's Go records (~1,400: an import long
 * enough to be killed in, short enough for a test) plus one marker record ZC-GEN-<gen>
 */
let gen = 0;
const zips = new Map<number, Buffer>();

/** Writes `body` in 32 KiB pieces, 10 ms apart (at most ~3.2 MB/s): a download long enough to be killed in. */
async function throttled(res: import('node:http').ServerResponse, body: Buffer, piece = 32768, ms = 10) {
  let gone = false;
  res.once('close', () => (gone = true));
  for (let off = 0; off < body.length && !gone; off += piece) {
    if (!res.write(body.subarray(off, off + piece))) await new Promise((r) => res.once('drain', r));
    await sleep(ms);
  }
  res.end();
}

function zipFor(g: number): Buffer {
  let z = zips.get(g);
  if (z) return z;
  const out = join(work, `go-${g}.zip`);
  execFileSync('python3', [
    '-c',
    `
import sys, os, json, zipfile
src, out, g = sys.argv[1], sys.argv[2], int(sys.argv[3])
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
    for n in sorted(os.listdir(src))[::3]:
        if n.endswith('.json'): z.write(os.path.join(src, n), n)
    rec = {'schema_version': '1.6.0', 'id': 'ZC-GEN-%d' % g, 'modified': '2026-12-01T00:00:00Z',
           'affected': [{'package': {'ecosystem': 'Go', 'name': 'example.com/zc-gen'},
                         'ranges': [{'type': 'SEMVER', 'events': [{'introduced': '0'}]}]}]}
    z.writestr(rec['id'] + '.json', json.dumps(rec))
`,
    corpusPath(GO)!,
    out,
    String(g),
  ]);
  z = readFileSync(out);
  zips.set(g, z);
  return z;
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'zc-db-kill-'));
  const fixed: Record<string, Buffer> = {
    '/debian/json': Buffer.from('{}'),
    '/kev/known_exploited_vulnerabilities.json': readFileSync(corpusPath(KEV)!),
    '/epss/epss_scores-current.csv.gz': gzipSync(
      '#model_version:v2025.03.14,score_date:2025-02-18T00:00:00+0000\ncve,epss,percentile\nCVE-2023-0001,0.1,0.5\n',
    ),
  };
  for (const name of NVD_FILES)
    fixed[`/nvd/${name}`] = gzipSync(
      JSON.stringify({ format: 'NVD_CVE', version: '2.0', timestamp: '2026-12-01T00:00:00.000', vulnerabilities: [] }),
    );
  mirror = createServer((req, res) => {
    const url = req.url ?? '';
    const body = url === '/osv/Go/all.zip' ? zipFor(gen) : fixed[url];
    if (!body) return void res.writeHead(404).end();
    const etag = url === '/osv/Go/all.zip' ? `"gen-${gen}"` : `"${body.length}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304).end();
    res.writeHead(200, { etag, 'content-length': body.length });
    if (url === '/osv/Go/all.zip') void throttled(res, body);
    else res.end(body);
  });
  await new Promise<void>((r) => mirror!.listen(0, '127.0.0.1', r));
  mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;

  reg = await startRegistry();
  const [rhost, rport] = reg.host.split(':');
  // the registry as is, blob downloads slowed down
  proxy = createServer((req, res) => {
    const up = request(
      { host: rhost, port: Number(rport), method: req.method, path: req.url, headers: req.headers },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        if (req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '')) {
          const chunks: Buffer[] = [];
          ur.on('data', (c: Buffer) => chunks.push(c));
          ur.on('end', () => void throttled(res, Buffer.concat(chunks)));
        } else ur.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
  proxyHost = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

after(async () => {
  mirror?.close();
  proxy?.close();
  await reg?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** What a database holds, read as a scan would: undefined when there is none. Throws when it is unreadable. */
function snapshot(db: string): { builtAt?: string; advisories: number; marker: string[]; stdlib: number } | undefined {
  if (!existsSync(db)) return undefined;
  const st = dbStatus(db);
  const store = openStore(db, { readonly: true });
  try {
    return {
      builtAt: st.builtAt,
      advisories: st.advisories,
      marker: store.advisoriesFor('Go', 'example.com/zc-gen').map((a) => a.id),
      stdlib: store.advisoriesFor('Go', 'stdlib').length,
    };
  } finally {
    store.close();
  }
}

const BIN = join(ROOT, 'bin', 'zerocve.js');
const start = (args: string[]): ChildProcess =>
  spawn(process.execPath, [BIN, ...args], { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });

/** Polls `check` every 2 ms until it holds (true) or the child exits first (false). */
async function until(child: ChildProcess, check: () => boolean, limitMs = 30_000): Promise<boolean> {
  const t = Date.now();
  while (child.exitCode === null && child.signalCode === null) {
    if (check()) return true;
    if (Date.now() - t > limitMs) throw new Error('timed out waiting for the moment to kill');
    await sleep(2);
  }
  return false;
}

const filesLike = (db: string, infix: string): string[] =>
  existsSync(dirname(db)) ? readdirSync(dirname(db)).filter((n) => n.startsWith(`${basename(db)}${infix}`)) : [];

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

test(
  'kill -9 of `db update` at any moment leaves the previous or the new database; the next update succeeds',
  {
    skip,
    timeout: 120_000,
  },
  async () => {
    const db = join(work, 'update', 'zerocve.db');
    const cache = join(work, 'update-cache');
    const args = ['db', 'update', '--db', db, '--cache-dir', cache, '--base-url', mirrorUrl, '--ecosystem', 'Go'];
    const part = join(cache, 'feeds', 'osv_Go', 'all.zip.part');
    const complete = (g: number) => {
      const s = snapshot(db);
      assert.ok(s, 'a database exists');
      assert.deepEqual(s.marker, [`ZC-GEN-${g}`], 'one whole generation');
      assert.ok(s.stdlib > 0, 'a lookup answers');
      return s;
    };

    // generation 1, uninterrupted: the previous database of the first kill, and how long an import takes here
    gen = 1;
    const first = start(args);
    let importStart = 0;
    let importEnd = 0;
    await until(first, () => {
      const tmp = filesLike(db, '.tmp-').length > 0;
      if (tmp && !importStart) importStart = Date.now();
      if (!tmp && importStart && !importEnd) importEnd = Date.now();
      return false;
    });
    assert.equal(first.exitCode, 0);
    const importMs = Math.max(20, (importEnd || Date.now()) - importStart);
    assert.ok(complete(1).advisories > 1000);

    const moments: { name: string; at: (child: ChildProcess) => Promise<boolean> }[] = [
      { name: 'download started', at: (c) => until(c, () => existsSync(part) && statSync(part).size > 0) },
      {
        name: 'download half done',
        at: (c) => until(c, () => existsSync(part) && statSync(part).size > zipFor(gen).length / 2),
      },
      { name: 'import started', at: (c) => until(c, () => filesLike(db, '.tmp-').length > 0) },
      {
        name: 'import half done',
        at: async (c) => (await until(c, () => filesLike(db, '.tmp-').length > 0)) && (await sleep(importMs / 2), true),
      },
      {
        name: 'about to swap',
        at: async (c) =>
          (await until(c, () => filesLike(db, '.tmp-').length > 0)) && (await sleep(importMs * 0.95), true),
      },
      {
        name: 'just swapped',
        at: async (c) =>
          (await until(c, () => filesLike(db, '.tmp-').length > 0)) &&
          until(c, () => filesLike(db, '.tmp-').length === 0),
      },
    ];
    const outcomes: string[] = [];
    let staleLocks = 0;
    for (const m of moments) {
      const previous = snapshot(db);
      gen += 1; // the mirror now serves a new generation
      const child = start(args);
      const hit = await m.at(child);
      await kill(child);
      if (existsSync(`${db}.lock`)) staleLocks++; // left by the dead holder: the next run must take it over
      const after = snapshot(db);
      if (after?.marker[0] === `ZC-GEN-${gen}`) {
        complete(gen);
        outcomes.push(`${m.name}: new`);
      } else {
        assert.deepEqual(after, previous, `${m.name}: the previous database, untouched`);
        outcomes.push(`${m.name}: previous`);
      }
      if (!hit) outcomes.push(`(${m.name}: the update ended before the kill)`);
      // the next update takes over the dead holder's lock, removes its temp file, and brings the new generation
      const r = await zerocve(args, { env: { ZEROCVE_SKIP_DB_UPDATE: '0' } });
      assert.equal(r.code, 0, `${m.name}: the next update: ${r.stderr}`);
      complete(gen);
      assert.deepEqual(filesLike(db, '.tmp-'), [], 'no temp file left');
      assert.equal(existsSync(`${db}.lock`), false, 'lock released');
    }
    const st = await zerocve(['db', 'status', '--db', db]);
    assert.equal(st.code, 0, st.stderr);
    // every kill landed at its moment (the one after the swap may land on either side of it)
    assert.ok(outcomes.filter((o) => o.startsWith('(')).length === 0, outcomes.join('; '));
    assert.deepEqual(outcomes.slice(0, 4), [
      'download started: previous',
      'download half done: previous',
      'import started: previous',
      'import half done: previous',
    ]);
    assert.equal(outcomes[5], 'just swapped: new');
    assert.ok(staleLocks >= 4, `the killed updates left their lock behind (${staleLocks} of 6)`);
  },
);

test(
  'kill -9 of `db pull` at any moment leaves the previous or the new database; the next pull succeeds',
  {
    skip,
    timeout: 120_000,
  },
  async () => {
    // two databases pushed to the real registry: generation 100 (Go records + marker) and 101 (the same plus GHSA)
    const zip100 = join(work, 'go-100.zip');
    gen = 100;
    zipFor(100);
    const dbs: Record<string, string> = {};
    for (const [tag, inputs] of [
      ['a', [zip100]],
      ['b', [zip100, corpusPath(GHSA)!]],
    ] as const) {
      dbs[tag] = join(work, `pushed-${tag}.db`);
      // built and pushed in this process (the CLI's push and import are tested elsewhere): the kills are the point
      await importSources(
        dbs[tag],
        inputs.map((path) => ({ path, kind: 'osv' as const })),
      );
      await pushDb(dbs[tag], `${reg!.host}/sec/db:${tag}`, { insecure: true });
    }
    const want = { a: snapshot(dbs.a)!, b: snapshot(dbs.b)! };
    assert.notEqual(want.a.advisories, want.b.advisories);
    const db = join(work, 'pull', 'zerocve.db');
    mkdirSync(dirname(db), { recursive: true });
    copyFileSync(dbs.a, db);
    const size = { a: statSync(dbs.a).size, b: statSync(dbs.b).size };
    const pullFile = () => filesLike(db, '.pull-')[0];
    const pulled = (): number => {
      const f = pullFile();
      try {
        return f ? statSync(join(dirname(db), f)).size : 0;
      } catch {
        return 0;
      }
    };

    const moments: { name: string; at: (c: ChildProcess, bytes: number) => Promise<boolean> }[] = [
      { name: 'download started', at: (c) => until(c, () => pulled() > 0) },
      { name: 'download half done', at: (c, n) => until(c, () => pulled() > n / 2) },
      { name: 'downloaded, before the swap', at: (c, n) => until(c, () => pulled() >= n) },
      {
        name: 'just swapped',
        at: async (c) => (await until(c, () => pullFile() !== undefined)) && until(c, () => pullFile() === undefined),
      },
    ];
    const outcomes: string[] = [];
    let staleLocks = 0;
    let tag: 'a' | 'b' = 'a';
    for (const m of moments) {
      const previous = snapshot(db);
      tag = tag === 'a' ? 'b' : 'a';
      const ref = `${proxyHost}/sec/db:${tag}`;
      const child = start(['db', 'pull', '--db', db, '--insecure', ref]);
      const hit = await m.at(child, size[tag]);
      await kill(child);
      if (existsSync(`${db}.lock`)) staleLocks++; // left by the dead holder: the next run must take it over
      const after = snapshot(db);
      if (after?.builtAt === want[tag].builtAt) {
        assert.deepEqual(after, want[tag]);
        outcomes.push(`${m.name}: new`);
      } else {
        assert.deepEqual(after, previous, `${m.name}: the previous database, untouched`);
        outcomes.push(`${m.name}: previous`);
      }
      if (!hit) outcomes.push(`(${m.name}: the pull ended before the kill)`);
      const r = await zerocve(['db', 'pull', '--db', db, '--insecure', ref]);
      assert.equal(r.code, 0, `${m.name}: the next pull: ${r.stderr}`);
      assert.deepEqual(snapshot(db), want[tag]);
      assert.deepEqual(filesLike(db, '.pull-'), [], 'no partial pull left');
      assert.equal(existsSync(`${db}.lock`), false, 'lock released');
    }
    assert.ok(outcomes.filter((o) => o.startsWith('(')).length === 0, outcomes.join('; '));
    assert.deepEqual(outcomes.slice(0, 2), ['download started: previous', 'download half done: previous']);
    assert.equal(outcomes[3], 'just swapped: new');
    assert.ok(staleLocks >= 3, `the killed pulls left their lock behind (${staleLocks} of 4)`);
  },
);
