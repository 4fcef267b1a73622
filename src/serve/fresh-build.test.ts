// The small decisions of the fresh-build loop: who can build, the dated tag, and the catalog's `build:` key.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { canBuildHere, datedTag } from './fresh-build.ts';
import { parseCatalogFile } from './catalog-file.ts';
import { catalogFromBody } from './http.ts';

const work = mkdtempSync(join(tmpdir(), 'zc-fresh-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('a worker can build as root with an executable mmdebstrap on PATH', () => {
  const bin = join(work, 'bin');
  const other = join(work, 'other');
  mkdirSync(bin);
  mkdirSync(other);
  writeFileSync(join(bin, 'mmdebstrap'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(other, 'mmdebstrap'), 'not executable\n', { mode: 0o644 });
  assert.equal(canBuildHere({ PATH: `${other}:${bin}` }, 0), true);
  assert.equal(canBuildHere({ PATH: bin }, 1000), false, 'not root');
  assert.equal(canBuildHere({ PATH: other }, 0), false, 'not executable');
  assert.equal(canBuildHere({}, 0), false, 'no PATH');
});

test('the dated tag is TAG-YYYYMMDD in UTC', () => {
  assert.equal(datedTag('3.11', new Date('2026-12-02T23:59:59Z')), '3.11-20261202');
  assert.equal(datedTag('latest', new Date('2027-01-01T00:00:00Z')), 'latest-20270101');
});

test("catalog 'build': a path or {spec, tag}; relative to catalog.yaml; bad values are one clear error", () => {
  const file = join(work, 'cat', 'catalog.yaml');
  const [a, b, c] = parseCatalogFile(
    'images:\n' +
      '  - { repository: r.example/a, tier: golden, tags: ["2"], build: images/a.yaml }\n' +
      '  - { repository: r.example/b, tier: golden, build: { spec: /srv/b.yaml, tag: stable } }\n' +
      '  - { repository: r.example/c, tier: golden, build: c.yaml }\n',
    file,
  );
  assert.deepEqual(a.build, { spec: join(work, 'cat', 'images', 'a.yaml'), tag: '2' });
  assert.deepEqual(b.build, { spec: '/srv/b.yaml', tag: 'stable' });
  assert.deepEqual(c.build, { spec: join(work, 'cat', 'c.yaml'), tag: 'latest' });
  assert.equal(catalogFromBody('r/x', { tier: 'golden' }).build, undefined);
  for (const [build, re] of [
    [{ tag: 'x' }, /'build.spec'/],
    [{ spec: 'a.yaml', tag: 'bad tag' }, /'build.tag'/],
    [{ spec: 'a.yaml', tag: 'x'.repeat(120) }, /'build.tag'/],
    [{ spec: 'a.yaml', push: 'elsewhere' }, /unknown key 'push'/],
    [42, /'build' must be a JSON object/],
    [{ spec: 'a.yaml', tag: 3.1 }, /quote it/],
  ] as const)
    assert.throws(() => catalogFromBody('r/x', { tier: 'golden', build }), re);
  assert.throws(
    () => parseCatalogFile('images:\n  - { repository: r/x, tier: golden, build: { tag: 1 } }\n', file),
    /images\[0\] \(r\/x\): 'build.spec'/,
  );
});
