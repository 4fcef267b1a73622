// OS release files: corpus os-release files read as a shell reads them, one-line release files, precedence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusPath, corpusSkip } from '../../../test/support/corpus.ts';
import { buildInventory } from '../index.ts';
import { analyzeFiles } from '../../../test/support/walk-root.ts';
import { createOsAnalyzer } from './analyzer.ts';

const OS_RELEASES = [
  'conformance/grype/test/integration/testdata/image-alpine-match-coverage/etc/os-release',
  'conformance/grype/test/integration/testdata/image-centos-match-coverage/etc/os-release',
  'conformance/grype/test/integration/testdata/image-debian-match-coverage/usr/lib/os-release',
  'conformance/grype/test/integration/testdata/image-sles-match-coverage/etc/os-release',
  'conformance/syft/syft/pkg/cataloger/debian/testdata/image-dpkg/etc/os-release',
];

for (const rel of OS_RELEASES) {
  test(
    `os-release ${rel.split('/').slice(-4, -2).join('/')} reads as sh reads it`,
    { skip: corpusSkip(rel) },
    async () => {
      const src = corpusPath(rel)!;
      const inv = buildInventory(await analyzeFiles([createOsAnalyzer()], [{ path: '/etc/os-release', source: src }]));
      const sh = execFileSync('sh', ['-c', '. "$1"; printf "%s|%s|%s" "$ID" "$VERSION_ID" "$PRETTY_NAME"', 'sh', src], {
        encoding: 'utf8',
      });
      // a CRLF file keeps its \r in sh; os-release values never contain one
      assert.equal(`${inv.os?.id}|${inv.os?.versionId}|${inv.os?.prettyName ?? ''}`, sh.replace(/\r/g, ''));
    },
  );
}

test('one-line release files and precedence', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zerocve-os-'));
  try {
    const cases: { files: Record<string, string>; want: [string, string] }[] = [
      { files: { '/etc/redhat-release': 'Rocky Linux release 9.3 (Blue Onyx)\n' }, want: ['rocky', '9.3'] },
      { files: { '/etc/redhat-release': 'Red Hat Enterprise Linux release 8.9 (Ootpa)\n' }, want: ['rhel', '8.9'] },
      { files: { '/etc/system-release': 'Amazon Linux release 2 (Karoo)\n' }, want: ['amzn', '2'] },
      { files: { '/etc/alpine-release': '3.19.1\n' }, want: ['alpine', '3.19.1'] },
      { files: { '/etc/debian_version': '12.5\n' }, want: ['debian', '12.5'] },
      // os-release wins; a Debian testing os-release without VERSION_ID takes no number from debian_version's codename
      {
        files: { '/etc/os-release': 'ID=wolfi\nVERSION_ID=20230201\n', '/etc/alpine-release': '3.18\n' },
        want: ['wolfi', '20230201'],
      },
      {
        files: {
          '/etc/os-release': 'ID="debian"\nPRETTY_NAME="Debian GNU/Linux trixie/sid"\n',
          '/etc/debian_version': 'trixie/sid\n',
        },
        want: ['debian', ''],
      },
      { files: { '/usr/lib/os-release': 'ID=debian\n', '/etc/debian_version': '12.5\n' }, want: ['debian', '12.5'] },
      { files: { '/etc/os-release': 'ID=chainguard\nVERSION_ID="20230214"\n' }, want: ['chainguard', '20230214'] },
    ];
    for (const c of cases) {
      const files = Object.entries(c.files).map(([path, body], i) => {
        const source = join(dir, `f${i}`);
        writeFileSync(source, body);
        return { path, source };
      });
      const inv = buildInventory(await analyzeFiles([createOsAnalyzer()], files));
      assert.deepEqual([inv.os?.id, inv.os?.versionId], c.want, JSON.stringify(c.files));
    }
    writeFileSync(join(dir, 'bad'), 'Something Linux 7\n');
    const facts = await analyzeFiles([createOsAnalyzer()], [{ path: '/etc/redhat-release', source: join(dir, 'bad') }]);
    assert.equal(facts[0].kind, 'problem');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
