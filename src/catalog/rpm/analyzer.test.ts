// rpm databases from Syft's and Grype's test data (BerkeleyDB hash), and SQLite databases converted from them by
// rpm itself, checked against `rpm -qa --dbpath` on the same files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { corpusPath, corpusSkip } from '../../../test/support/corpus.ts';
import { analyzeFiles } from '../../../test/support/walk-root.ts';
import { createRpmAnalyzer } from './analyzer.ts';

const hasRpm = ((): boolean => {
  try {
    execFileSync('rpm', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const rpmSkip = hasRpm ? false : 'rpm is not installed (apt-get install rpm)';

const DBS = [
  'conformance/syft/syft/pkg/cataloger/redhat/testdata/Packages',
  'conformance/syft/cmd/syft/internal/test/integration/testdata/image-pkg-coverage/pkgs/var/lib/rpm/Packages',
  'conformance/grype/test/integration/testdata/image-centos-match-coverage/var/lib/rpm/Packages',
  'conformance/grype/test/integration/testdata/image-sles-match-coverage/var/lib/rpm/Packages',
];

const QF = '%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t[%{FILENAMES}\\n]\\n';

/** `name version arch source files…` per package, as rpm prints them. */
function rpmQuery(dbDir: string): string[] {
  const out = execFileSync('rpm', ['-qa', '--dbpath', dbDir, '--qf', `@@${QF}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .split('@@')
    .filter((s) => s.trim() !== '')
    .map((s) =>
      s
        .trim()
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .join(' '),
    )
    .filter((s) => !s.startsWith('gpg-pubkey\t'))
    .sort();
}

async function ours(image: string, source: string): Promise<{ rows: string[]; problems: string[] }> {
  const facts = await analyzeFiles([createRpmAnalyzer()], [{ path: image, source }]);
  const rows = facts
    .flatMap((f) => (f.kind === 'packages' ? f.packages : []))
    .map((p) => {
      const m = p.metadata as Extract<typeof p.metadata, { kind: 'rpm' }>;
      return [
        `${p.name}\t${p.version}\t${m.arch}\t${m.sourceRpm ?? '(none)'}\t${p.files?.[0] ?? ''}`,
        ...(p.files ?? []).slice(1),
      ].join(' ');
    })
    .sort();
  return { rows, problems: facts.filter((f) => f.kind === 'problem').map((f) => (f as { message: string }).message) };
}

for (const rel of DBS) {
  test(
    `rpm BerkeleyDB ${rel.slice('conformance/'.length)} matches rpm -qa`,
    { skip: corpusSkip(rel) || rpmSkip },
    async () => {
      const src = corpusPath(rel)!;
      const got = await ours('/var/lib/rpm/Packages', src);
      assert.deepEqual(got.problems, []);
      assert.deepEqual(got.rows, rpmQuery(dirname(src)));
      assert.ok(got.rows.length > 0);
    },
  );
}

test(
  'rpm SQLite database (converted by rpmdb --rebuilddb) matches rpm -qa',
  { skip: corpusSkip(DBS[0]) || rpmSkip },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zerocve-rpmdb-test-'));
    try {
      copyFileSync(corpusPath(DBS[0])!, join(dir, 'Packages'));
      execFileSync('rpmdb', ['--rebuilddb', '--dbpath', dir, '--define', '_db_backend sqlite'], { stdio: 'ignore' });
      const got = await ours('/usr/lib/sysimage/rpm/rpmdb.sqlite', join(dir, 'rpmdb.sqlite'));
      assert.deepEqual(got.problems, []);
      assert.deepEqual(got.rows, rpmQuery(dir));
      assert.ok(got.rows.length > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('truncated or foreign rpm databases are problems, not crashes', { skip: corpusSkip(DBS[0]) }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-rpmdb-test-'));
  try {
    const db = readFileSync(corpusPath(DBS[0])!);
    const cases: [string, Buffer, RegExp][] = [
      ['/var/lib/rpm/Packages', db.subarray(0, 8192), /truncated|overflow chain/],
      [
        '/var/lib/rpm/Packages',
        Buffer.from('not a database at all, just text'.repeat(40)),
        /cannot read rpm database: not a Berkeley DB hash file/,
      ],
      ['/var/lib/rpm/rpmdb.sqlite', db, /cannot read rpm database: not an SQLite database/],
      ['/var/lib/rpm/Packages.db', db, /NDB rpm database format is not supported/],
    ];
    for (const [image, bytes, re] of cases) {
      const file = join(dir, 'db');
      writeFileSync(file, bytes);
      const facts = await analyzeFiles([createRpmAnalyzer()], [{ path: image, source: file }]);
      const problems = facts.filter((f) => f.kind === 'problem').map((f) => (f as { message: string }).message);
      assert.ok(
        problems.some((m) => re.test(m) && m.startsWith(`${image}: `)),
        `${image}: ${problems.join(' | ')}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
