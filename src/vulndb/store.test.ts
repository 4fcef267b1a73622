import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parse as parseYaml } from 'yaml';
import { DatabaseError } from '../core/errors.ts';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { importSources } from './import.ts';
import { openStore, defaultDbPath } from './store.ts';
import { zipFolder } from '../../test/support/zip-folder.ts';

const PYPA = 'vulndata/pypa-advisory-database/vulns';
const GRYPE_OSV = 'conformance/grype/grype/db/v6/build/transformers/osv/testdata';
const TRIVY_OSV = 'vulndata/trivy-db-testdata/pkg/vulnsrc/osv/testdata/happy/vuln-list/osv/python';

const dir = mkdtempSync(join(tmpdir(), 'zerocve-store-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function yamlFiles(root: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(root, { withFileTypes: true })) {
    const p = join(root, d.name);
    if (d.isDirectory()) out.push(...yamlFiles(p));
    else if (d.name.endsWith('.yaml')) out.push(p);
  }
  return out;
}

test('defaultDbPath puts the database under the cache dir', () => {
  assert.equal(defaultDbPath({ home: '/home/u' }), '/home/u/.cache/zerocve/db/zerocve.db');
  assert.equal(defaultDbPath({ home: '/home/u', cacheDir: '/c' }), '/c/zerocve/db/zerocve.db');
});

test('the PyPI OSV tree imports completely and reads back as the files say', { skip: corpusSkip(PYPA) }, async () => {
  const root = corpusPath(PYPA) as string;
  const db = join(dir, 'pypa', 'zerocve.db');
  const summary = await importSources(db, [{ kind: 'osv', path: root }]);
  const files = yamlFiles(root);
  const [src] = summary.sources;
  assert.equal(src.problemCount, 0, JSON.stringify(src.problems));
  assert.equal(
    src.advisories,
    new Set(files.map((f) => (parseYaml(readFileSync(f, 'utf8')) as { id: string }).id)).size,
  );

  const store = openStore(db);
  try {
    // a record compared field by field with its YAML, parsed independently here
    const file = files.find((f) => f.includes('/pillow/')) as string;
    const rec = parseYaml(readFileSync(file, 'utf8')) as {
      id: string;
      aliases?: string[];
      affected: {
        package: { name: string };
        ranges?: { type: string; events: Record<string, string>[] }[];
        versions?: unknown[];
      }[];
    };
    const got = store.advisoriesFor('PyPI', 'Pillow').find((a) => a.id === rec.id);
    assert.ok(got, `${rec.id} found by package`);
    assert.deepEqual(
      got.aliases,
      (rec.aliases ?? []).filter((a) => a !== rec.id),
    );
    const want = rec.affected.find((a) => a.package.name.toLowerCase() === 'pillow')!;
    assert.deepEqual(
      got.affected[0].ranges.map((r) => r.events.map((e) => Object.entries(e)[0].join('='))),
      (want.ranges ?? [])
        .filter((r) => r.type !== 'GIT')
        .map((r) => r.events.map((e) => Object.entries(e)[0].map(String).join('='))),
    );
    assert.deepEqual(got.affected[0].versions, (want.versions ?? []).map(String));
    // PEP 503: every spelling finds the same advisories
    const n = store.advisoriesFor('PyPI', 'pillow').length;
    assert.ok(n > 10);
    assert.equal(store.advisoriesFor('PyPI', 'PILLOW').length, n);
    assert.equal(
      store.advisoriesFor('PyPI', 'tensorflow_gpu').length,
      store.advisoriesFor('PyPI', 'Tensorflow.GPU').length,
    );
    assert.deepEqual(store.advisoriesFor('npm', 'pillow'), []);
    assert.deepEqual(store.advisoriesFor('PyPI', 'no-such-package-zerocve'), []);
    // aliases are indexed
    const cve = got.aliases.find((a) => a.startsWith('CVE-'));
    if (cve) assert.ok(store.advisoriesById(cve).some((a) => a.id === rec.id));
    const st = store.status();
    assert.equal(st.sources[0].name, `osv:${resolve(root)}`);
    assert.equal(st.advisories, src.advisories);
    assert.ok(st.builtAt);
  } finally {
    store.close();
  }
});

test(
  'osv.dev-style zips import with ecosystems verbatim, vendor severity, CVSS scores and withdrawn kept',
  { skip: corpusSkip(GRYPE_OSV) || corpusSkip(TRIVY_OSV) },
  async () => {
    const zip = join(dir, 'all.zip');
    const src = corpusPath(GRYPE_OSV) as string;
    zipFolder(src, zip);
    const db = join(dir, 'zip', 'zerocve.db');
    const summary = await importSources(db, [zip, { path: corpusPath(TRIVY_OSV) as string, source: 'osv:trivy' }]);
    assert.deepEqual(
      summary.sources.map((s) => [s.source, s.kind]),
      [
        [`osv:${resolve(zip)}`, 'osv'],
        ['osv:trivy', 'osv'],
      ],
    );
    const store = openStore(db);
    try {
      const recs = readdirSync(src).map(
        (n) =>
          JSON.parse(readFileSync(join(src, n), 'utf8')) as {
            id: string;
            affected?: { package?: { ecosystem: string; name: string } }[];
          },
      );
      // every (ecosystem, name) of every record finds its record
      for (const r of recs) {
        for (const a of r.affected ?? []) {
          if (!a.package) continue;
          assert.ok(
            store.advisoriesFor(a.package.ecosystem, a.package.name).some((x) => x.id === r.id),
            `${r.id} under ${a.package.ecosystem}/${a.package.name}`,
          );
        }
      }
      const root = store.advisoriesById('ROOT-OS-UBUNTU-2204-CVE-2025-68973')[0];
      assert.deepEqual(root.severity, { rating: 'high', source: 'root' });
      assert.equal(root.cvss[0].vector, 'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H');
      assert.ok(root.cvss[0].score > 6 && root.cvss[0].score < 8, String(root.cvss[0].score));
      const w = store.advisoriesById('withdrawn_after_now');
      const withdrawn = JSON.parse(
        readFileSync(join(corpusPath(TRIVY_OSV) as string, 'withdrawn_after_now.json'), 'utf8'),
      ) as { id: string; withdrawn: string };
      const got = store.advisoriesById(withdrawn.id);
      assert.equal(got.length, 1, JSON.stringify(w));
      assert.equal(got[0].withdrawn, withdrawn.withdrawn);
      assert.equal(got[0].source, 'osv:trivy');
    } finally {
      store.close();
    }
  },
);

test(
  'import merges by source: re-importing one source replaces only its rows',
  { skip: corpusSkip(GRYPE_OSV) || corpusSkip(TRIVY_OSV) },
  async () => {
    const db = join(dir, 'merge', 'zerocve.db');
    const a = join(dir, 'merge-a');
    mkdirSync(a);
    const g = corpusPath(GRYPE_OSV) as string;
    for (const n of ['GO-2022-0969.json', 'GO-2020-0001.json']) copyFileSync(join(g, n), join(a, n));
    await importSources(db, [{ path: a, source: 'osv:a' }]);
    await importSources(db, [{ path: corpusPath(TRIVY_OSV) as string, source: 'osv:b' }]);
    let s = openStore(db);
    const before = s.status();
    s.close();
    assert.deepEqual(
      before.sources.map((x) => [x.name, x.advisories]),
      [
        ['osv:a', 2],
        ['osv:b', before.sources[1].advisories],
      ],
    );
    // osv:a now holds one record: GO-2020-0001 must be gone, osv:b untouched
    rmSync(join(a, 'GO-2020-0001.json'));
    await importSources(db, [{ path: a, source: 'osv:a' }]);
    s = openStore(db);
    try {
      const after = s.status();
      assert.deepEqual(
        after.sources.map((x) => [x.name, x.advisories]),
        [
          ['osv:a', 1],
          ['osv:b', before.sources[1].advisories],
        ],
      );
      assert.deepEqual(s.advisoriesById('GO-2020-0001'), []);
      assert.equal(s.advisoriesById('GO-2022-0969').length, 1);
      assert.equal(after.advisories, 1 + before.sources[1].advisories);
    } finally {
      s.close();
    }
  },
);

test('broken files are counted and listed, the rest still imports', async () => {
  const d = join(dir, 'broken');
  mkdirSync(d);
  writeFileSync(
    join(d, 'good.json'),
    JSON.stringify({
      id: 'X-1',
      modified: '2024-01-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'Foo_Bar' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2' }] }],
        },
      ],
    }),
  );
  writeFileSync(join(d, 'bad.yaml'), 'id: [unclosed\n  : :');
  writeFileSync(join(d, 'noid.json'), '{"affected": []}');
  const db = join(dir, 'broken.db');
  const sum = await importSources(db, [{ kind: 'osv', path: d }]);
  assert.equal(sum.sources[0].advisories, 1);
  assert.equal(sum.sources[0].problemCount, 2);
  assert.deepEqual(sum.sources[0].problems.map((p) => p.path).sort(), [join(d, 'bad.yaml'), join(d, 'noid.json')]);
  const s = openStore(db);
  try {
    assert.deepEqual(s.advisoriesFor('PyPI', 'foo-bar')[0].affected[0].ranges[0].events, [
      { introduced: '0' },
      { fixed: '1.2' },
    ]);
  } finally {
    s.close();
  }
});

test('missing, non-SQLite and wrong-version databases are refused with one-line DatabaseErrors naming the path', () => {
  const missing = join(dir, 'nope', 'zerocve.db');
  assert.throws(
    () => openStore(missing),
    (e: unknown) =>
      e instanceof DatabaseError &&
      e.message.includes(missing) &&
      /zerocve db update/.test(e.message) &&
      /zerocve db import/.test(e.message),
  );
  const junk = join(dir, 'junk.db');
  writeFileSync(junk, 'this is not sqlite at all, just text '.repeat(200));
  assert.throws(
    () => openStore(junk),
    (e: unknown) => e instanceof DatabaseError && e.message.includes(junk) && !e.message.includes('\n'),
  );
  const other = join(dir, 'other.db');
  const d = new DatabaseSync(other);
  d.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('schema_version', '999');`);
  d.close();
  assert.throws(
    () => openStore(other),
    (e: unknown) => e instanceof DatabaseError && /schema version 999/.test(e.message) && e.message.includes(other),
  );
  const empty = join(dir, 'empty-sqlite.db');
  new DatabaseSync(empty).close();
  assert.throws(
    () => openStore(empty),
    (e: unknown) => e instanceof DatabaseError && e.message.includes(empty),
  );
});
