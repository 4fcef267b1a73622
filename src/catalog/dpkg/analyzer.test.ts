// dpkg status files from Trivy's and Syft's test data, checked against dpkg-query reading the same database,
// plus distroless status.d files and problems for bad stanzas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusPath, corpusSkip } from '../../../test/support/corpus.ts';
import { buildInventory } from '../index.ts';
import { analyzeFiles } from '../../../test/support/walk-root.ts';
import { createDpkgAnalyzer } from './analyzer.ts';
import { parseDpkgStatus } from './parse-dpkg-status.ts';

const TRIVY = 'conformance/trivy/pkg/fanal/analyzer/pkg/dpkg/testdata';
const SYFT = 'conformance/syft/syft/pkg/cataloger/debian/testdata';

/** The `-- var/lib/dpkg/status --` section of a txtar archive. */
function txtarSection(text: string, name: string): string | undefined {
  const parts = text.split(/^-- (.+) --$/m);
  for (let i = 1; i < parts.length; i += 2) if (parts[i].trim() === name) return parts[i + 1].replace(/^\n/, '');
  return undefined;
}

/** Installed packages as dpkg-query reports them from a status file. */
function dpkgQuery(status: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-dpkg-'));
  try {
    mkdirSync(join(dir, 'updates'));
    writeFileSync(join(dir, 'status'), status);
    writeFileSync(join(dir, 'available'), '');
    const out = execFileSync(
      'dpkg-query',
      [
        `--admindir=${dir}`,
        '-W',
        '-f=${db:Status-Status}\t${Package}\t${Version}\t${source:Package}\t${source:Version}\t${Architecture}\n',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    return out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'))
      .filter((f) => f[0] === 'installed')
      .map((f) => f.slice(1).join('\t'))
      .sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const row = (p: ReturnType<typeof parseDpkgStatus>['packages'][number]): string => {
  const m = p.metadata as Extract<typeof p.metadata, { kind: 'dpkg' }>;
  return [p.name, p.version, m.source, m.sourceVersion, m.arch].join('\t');
};

const statusFiles: { name: string; read: () => string | undefined; skip: false | string }[] = [
  ...['valid.txtar', 'third-party.txtar', 'only-apt.txtar', 'md5sums.txtar', 'digest.txtar'].map((f) => ({
    name: `trivy ${f}`,
    read: () => txtarSection(readFileSync(corpusPath(`${TRIVY}/${f}`)!, 'utf8'), 'var/lib/dpkg/status'),
    skip: corpusSkip(`${TRIVY}/${f}`),
  })),
  {
    name: 'syft image-dpkg',
    read: () => readFileSync(corpusPath(`${SYFT}/image-dpkg/var/lib/dpkg/status`)!, 'utf8'),
    skip: corpusSkip(`${SYFT}/image-dpkg/var/lib/dpkg/status`),
  },
];

for (const c of statusFiles) {
  test(`dpkg status (${c.name}) matches dpkg-query`, { skip: c.skip }, () => {
    const status = c.read();
    assert.ok(status, 'status section present');
    const { packages, problems } = parseDpkgStatus(status);
    // dpkg-query refuses a whole file with an empty `Package:` stanza; we report that stanza and keep the rest
    const stanzas = status.split(/\n\s*\n/);
    const valid = stanzas.filter((s) => !/^Package:\s*$/m.test(s));
    assert.equal(problems.filter((m) => /no Package field/.test(m)).length, stanzas.length - valid.length);
    const expected = dpkgQuery(`${valid.join('\n\n').trimEnd()}\n`);
    assert.ok(expected.length > 0);
    assert.deepEqual(packages.map(row).sort(), expected);
  });
}

test('dpkg status: half-installed is a problem, config-files is skipped, missing Package/Version are problems', () => {
  const status = [
    'Package: a\nStatus: install ok installed\nVersion: 1:2.0-1\nArchitecture: amd64\n' +
      'Source: asrc (2.0-0.1)\nInstalled-Size: 10\nDepends: libc6 (>= 2.34), b | c',
    'Package: b\nStatus: install reinstreq half-installed\nVersion: 1\nArchitecture: amd64',
    'Package: c\nStatus: deinstall ok config-files\nVersion: 1\nArchitecture: amd64',
    'Package: d\nStatus: install ok installed\nArchitecture: all',
    'Version: 3\nArchitecture: all',
  ].join('\n\n');
  const { packages, problems } = parseDpkgStatus(status);
  assert.deepEqual(
    packages.map((p) => p.name),
    ['a'],
  );
  assert.deepEqual(packages[0].metadata, {
    kind: 'dpkg',
    source: 'asrc',
    sourceVersion: '2.0-0.1',
    arch: 'amd64',
    status: 'install ok installed',
    installedSizeBytes: 10240,
    depends: ['libc6 (>= 2.34)', 'b | c'],
  });
  assert.equal(problems.length, 3);
  assert.match(problems[0], /package b is half-installed/);
  assert.match(problems[1], /package d has no Version/);
  assert.match(problems[2], /no Package field/);
});

test(
  'distroless status.d: one package per file, .md5sums skipped, os marked distroless',
  { skip: corpusSkip(`${SYFT}/image-distroless-deb`) },
  async () => {
    const dir = corpusPath(`${SYFT}/image-distroless-deb/var/lib/dpkg/status.d`)!;
    const files = readdirSync(dir).map((n) => ({ path: `/var/lib/dpkg/status.d/${n}`, source: join(dir, n) }));
    assert.ok(files.some((f) => f.path.endsWith('.md5sums')));
    const facts = await analyzeFiles([createDpkgAnalyzer()], files, 1);
    assert.ok(facts.every((f) => !f.path.endsWith('.md5sums')));
    const inv = buildInventory([
      ...facts,
      { kind: 'os', path: '/etc/os-release', os: { id: 'debian', versionId: '11', path: '/etc/os-release' }, layer: 0 },
    ]);
    const text = readFileSync(join(dir, 'libsqlite3-0'), 'utf8');
    const version = /^Version: (.+)$/m.exec(text)![1];
    assert.deepEqual(
      inv.packages.map((p) => `${p.name} ${p.version}`),
      [`libsqlite3-0 ${version}`],
    );
    assert.deepEqual(inv.packages[0].locations, [{ path: '/var/lib/dpkg/status.d/libsqlite3-0', layer: 1 }]);
    assert.equal(inv.os?.distroless, true);
  },
);

test(
  'status.d corpus files: every stanza with Package and Version becomes a package, the rest problems',
  { skip: corpusSkip(`${SYFT}/var/lib/dpkg/status.d`) },
  async () => {
    const dir = corpusPath(`${SYFT}/var/lib/dpkg/status.d`)!;
    for (const name of readdirSync(dir)) {
      const text = readFileSync(join(dir, name), 'utf8');
      const facts = await analyzeFiles(
        [createDpkgAnalyzer()],
        [{ path: `/var/lib/dpkg/status.d/${name}`, source: join(dir, name) }],
      );
      const pkgs = facts.flatMap((f) => (f.kind === 'packages' ? f.packages : []));
      const stanzas = text.split(/\n\s*\n/).filter((s) => s.trim() !== '');
      const complete = stanzas.filter(
        (s) =>
          /^Package: *\S/m.test(s) &&
          /^Version: *\S/m.test(s) &&
          !/^Status: .*(deinstall|not-installed|config-files)/m.test(s),
      );
      assert.equal(pkgs.length, complete.length, name);
      const problems = facts.filter((f) => f.kind === 'problem');
      assert.equal(
        problems.length,
        stanzas.length - complete.length - stanzas.filter((s) => /^Status: .*config-files/m.test(s)).length,
        name,
      );
      for (const p of problems)
        assert.match((p as { message: string }).message, new RegExp(`^/var/lib/dpkg/status.d/${name}: `));
    }
  },
);

test('info/*.list files become owned-files facts joined to the package (name or name:arch)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-dpkg-'));
  try {
    writeFileSync(
      join(dir, 'status'),
      'Package: libfoo1\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n\nPackage: bar\n' +
        'Status: install ok installed\nVersion: 2\nArchitecture: all\n',
    );
    writeFileSync(join(dir, 'libfoo1:amd64.list'), '/.\n/usr\n/usr/lib/libfoo.so.1\n');
    writeFileSync(join(dir, 'bar.list'), '/.\n/usr/bin/bar\n');
    const facts = await analyzeFiles(
      [createDpkgAnalyzer()],
      [
        { path: '/var/lib/dpkg/status', source: join(dir, 'status') },
        { path: '/var/lib/dpkg/info/libfoo1:amd64.list', source: join(dir, 'libfoo1:amd64.list') },
        { path: '/var/lib/dpkg/info/bar.list', source: join(dir, 'bar.list') },
      ],
    );
    const inv = buildInventory(facts, { files: true });
    assert.deepEqual(
      inv.packages.map((p) => [p.name, p.files]),
      [
        ['bar', ['/usr/bin/bar']],
        ['libfoo1', ['/usr', '/usr/lib/libfoo.so.1']],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
