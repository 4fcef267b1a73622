// npm: which paths are packages, and lock files of every format (Trivy's real fixtures where the corpus has them,
// literal excerpts in each format otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { corpusPath, corpusSkip } from '../../../test/support/corpus.ts';
import { buildInventory } from '../index.ts';
import { analyzeFiles } from '../../../test/support/walk-root.ts';
import { createNpmAnalyzer, isNpmLockPath, npmPackageHome } from './analyzer.ts';
import { parsePackageJson, parsePackageLock, parsePnpmLock, parseYarnLock } from './parse-npm.ts';

const REPO = 'conformance/trivy/integration/testdata/fixtures/repo';
const ids = (ps: { name: string; version: string }[]): string[] => ps.map((p) => `${p.name}@${p.version}`).sort();

test('npm: package.json paths that are packages', () => {
  const table: [string, string | undefined][] = [
    ['/app/node_modules/lodash/package.json', '/app/node_modules'],
    ['/app/node_modules/@babel/core/package.json', '/app/node_modules'],
    ['/app/node_modules/debug/node_modules/ms/package.json', '/app/node_modules/debug/node_modules'],
    ['/usr/lib/node_modules/npm/package.json', '/usr/lib/node_modules'],
    ['/usr/share/nodejs/minimist/package.json', '/usr/share/nodejs'],
    ['/usr/share/nodejs/@types/node/package.json', '/usr/share/nodejs'],
    ['/app/package.json', undefined],
    ['/app/node_modules/lodash/fp/package.json', undefined],
    ['/app/node_modules/@babel/package.json', undefined],
    ['/app/node_modules/.bin/package.json', undefined],
    ['/usr/share/nodejs/minimist/lib/package.json', undefined],
  ];
  for (const [p, home] of table) assert.equal(npmPackageHome(p), home, p);
  assert.equal(isNpmLockPath('/app/package-lock.json'), true);
  assert.equal(isNpmLockPath('/app/node_modules/x/package-lock.json'), false);
  assert.equal(isNpmLockPath('/app/node_modules/.package-lock.json'), false);
});

test('npm: package.json errors are one-line reasons', () => {
  assert.throws(() => parsePackageJson('{'), /not JSON/);
  assert.throws(() => parsePackageJson('{"version":"1.0.0"}'), /no "name"/);
  assert.throws(() => parsePackageJson('{"name":"x"}'), /no "version" for x/);
  assert.deepEqual(parsePackageJson('{"name":"x","version":"1.0.0","license":{"type":"MIT"}}').licenses, ['MIT']);
});

test('npm: package-lock v1 (Trivy fixture) is walked with nested dependencies', { skip: corpusSkip(REPO) }, () => {
  const text = readFileSync(`${corpusPath(REPO)}/npm/package-lock.json`, 'utf8');
  const l = parsePackageLock(text);
  assert.equal(l.lockVersion, 1);
  // independent reference: every `dependencies` object at any depth, by a JSON walk here
  const ref: string[] = [];
  const walk = (d: Record<string, { version: string; dependencies?: object }>): void => {
    for (const [k, v] of Object.entries(d)) {
      ref.push(`${k}@${v.version}`);
      if (v.dependencies) walk(v.dependencies as never);
    }
  };
  walk(JSON.parse(text).dependencies);
  assert.deepEqual(ids(l.packages), ref.sort());
});

test('npm: package-lock v2/v3 packages map (links and workspaces skipped, dev kept)', () => {
  const l = parsePackageLock(
    JSON.stringify({
      lockfileVersion: 3,
      packages: {
        '': { name: 'app', version: '1.0.0' },
        'node_modules/lodash': { version: '4.17.15' },
        'node_modules/@babel/core': { version: '7.0.0', dev: true },
        'node_modules/a/node_modules/ms': { version: '2.0.0' },
        'node_modules/alias': { name: 'real', version: '1.0.0' },
        'node_modules/ws-link': { resolved: 'packages/ws', link: true },
        'packages/ws': { name: 'ws-local', version: '0.0.1' },
      },
    }),
  );
  assert.equal(l.lockVersion, 3);
  assert.deepEqual(ids(l.packages), ['@babel/core@7.0.0', 'lodash@4.17.15', 'ms@2.0.0', 'real@1.0.0']);
  assert.equal(l.packages.find((p) => p.name === '@babel/core')?.dev, true);
});

test('npm: yarn.lock v1 (Trivy fixture) and Berry', { skip: corpusSkip(REPO) }, () => {
  const y = parseYarnLock(readFileSync(`${corpusPath(REPO)}/yarn/yarn.lock`, 'utf8'));
  assert.equal(y.berry, false);
  assert.deepEqual(ids(y.packages), ['asap@2.0.6', 'jquery@3.2.1', 'promise@8.0.3']);
  const berry = parseYarnLock(
    [
      '__metadata:',
      '  version: 6',
      '',
      '"@babel/code-frame@npm:^7.0.0, @babel/code-frame@npm:^7.10.4":',
      '  version: 7.12.13',
      '  resolution: "@babel/code-frame@npm:7.12.13"',
      '',
      '"app@workspace:.":',
      '  version: 0.0.0-use.local',
      '  resolution: "app@workspace:."',
      '',
      '"lodash@npm:4.17.15":',
      '  version: 4.17.15',
      '  resolution: "lodash@npm:4.17.15"',
      '',
    ].join('\n'),
  );
  assert.equal(berry.berry, true);
  assert.deepEqual(ids(berry.packages), ['@babel/code-frame@7.12.13', 'lodash@4.17.15']);
  assert.throws(() => parseYarnLock('garbage without colon\n'), /line 1/);
});

test('npm: pnpm-lock v6 (Trivy fixture), v5 and v9 keys', { skip: corpusSkip(REPO) }, () => {
  const v6 = parsePnpmLock(readFileSync(`${corpusPath(REPO)}/pnpm/pnpm-lock.yaml`, 'utf8'));
  assert.equal(v6.lockVersion, 6);
  assert.deepEqual(ids(v6.packages), ['jquery@3.3.9', 'lodash@4.17.4']);
  const v5 = parsePnpmLock(
    'lockfileVersion: 5.4\npackages:\n  /@babel/core/7.0.0_react@18.0.0:\n    dev: true\n  /ms/2.0.0:\n' +
      '    dev: false\n',
  );
  assert.deepEqual(ids(v5.packages), ['@babel/core@7.0.0', 'ms@2.0.0']);
  assert.equal(v5.packages[0].dev, true);
  const v9 = parsePnpmLock(
    "lockfileVersion: '9.0'\npackages:\n  '@babel/core@7.0.0':\n    resolution: {integrity: x}\n" +
      '  ws@7.4.5(bufferutil@4.0.0):\n    resolution: {integrity: y}\n',
  );
  assert.deepEqual(ids(v9.packages), ['@babel/core@7.0.0', 'ws@7.4.5']);
});

test(
  'npm: lock entries are declared, installed packages are not; bad JSON is a problem',
  { skip: corpusSkip(REPO) },
  async () => {
    const facts = await analyzeFiles(
      [createNpmAnalyzer()],
      [
        { path: '/srv/package-lock.json', source: `${corpusPath(REPO)}/npm/package-lock.json` },
        { path: '/srv/node_modules/bad/package.json', source: `${corpusPath(REPO)}/yarn/yarn.lock` },
      ],
    );
    const inv = buildInventory(facts);
    assert.ok(inv.packages.length > 0);
    for (const p of inv.packages) {
      const { dev: _dev, ...meta } = p.metadata as { dev?: boolean };
      assert.deepEqual(meta, { kind: 'npm', source: 'declared', lockFormat: 'package-lock', lockVersion: 1 });
      assert.equal(p.locations[0].path, '/srv/package-lock.json');
    }
    assert.equal(inv.problems.length, 1);
    assert.match(inv.problems[0].message, /^\/srv\/node_modules\/bad\/package\.json: not JSON/);
  },
);
