// `zerocve scan dir:ROOT --merge trivy.json --merge grype.json` through the real CLI: a Debian 10 root file system
// holding the two vulnerable packages of Trivy's debian-buster golden (a dpkg status file in Debian's format), scanned
// against Trivy's fixture database converted into a real zerocve store, with the golden itself and a Grype-format
// report of it as peers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { TRIVY_TESTDATA, buildTrivyFixtureDb } from '../../test/support/trivy-fixture.ts';
import type { PeerComparison } from '../core/peer.ts';
import { grypeReportFromTrivy } from './testing.ts';

const SKIP = corpusSkip(`${TRIVY_TESTDATA}/fixtures/db`);
const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'zerocve.js');
let dir = '';

const STATUS = `Package: bash
Essential: yes
Status: install ok installed
Priority: required
Section: shells
Installed-Size: 6439
Maintainer: Matthias Klose <doko@debian.org>
Architecture: amd64
Multi-Arch: foreign
Version: 5.0-4
Description: GNU Bourne Again SHell

Package: libidn2-0
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 280
Maintainer: Debian Libidn team <help-libidn@gnu.org>
Architecture: amd64
Multi-Arch: same
Source: libidn2
Version: 2.0.5-1
Description: Internationalized domain names (IDNA2008/TR46) library

`;

before(async () => {
  if (SKIP) return;
  dir = mkdtempSync(join(tmpdir(), 'zerocve-peers-cli-'));
  const root = join(dir, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
  writeFileSync(
    join(root, 'etc/os-release'),
    'PRETTY_NAME="Debian GNU/Linux 10 (buster)"\nNAME="Debian GNU/Linux"\nVERSION_ID="10"\n' +
      'VERSION="10 (buster)"\nVERSION_CODENAME=buster\nID=debian\n',
  );
  writeFileSync(join(root, 'etc/debian_version'), '10.1\n');
  writeFileSync(join(root, 'var/lib/dpkg/status'), STATUS);
  await buildTrivyFixtureDb(join(dir, 'db.sqlite'));
  const golden = corpusPath(`${TRIVY_TESTDATA}/debian-buster.json.golden`)!;
  writeFileSync(
    join(dir, 'grype.json'),
    JSON.stringify(grypeReportFromTrivy(JSON.parse(readFileSync(golden, 'utf8')))),
  );
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const run = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1', ZEROCVE_SKIP_DB_UPDATE: '1' },
  });

test(
  "zerocve scan --merge: zerocve, Trivy and Grype agree on the golden image's two vulnerabilities",
  { skip: SKIP },
  () => {
    const golden = corpusPath(`${TRIVY_TESTDATA}/debian-buster.json.golden`)!;
    const common = [
      'scan',
      `dir:${join(dir, 'root')}`,
      '--db',
      join(dir, 'db.sqlite'),
      '--no-cache',
      '--quiet',
      '--scanners',
      'vuln',
      '--merge',
      golden,
      '--merge',
      join(dir, 'grype.json'),
    ];
    const json = run(...common, '-f', 'json');
    assert.equal(json.status, 0, json.stderr);
    const peers = JSON.parse(json.stdout).sections.peers as PeerComparison;
    assert.deepEqual(peers.tools, ['zerocve', 'trivy', 'grype']);
    assert.deepEqual(peers.rows.map((r) => [r.id, r.package, r.version, r.reportedBy, r.disagreement]).sort(), [
      ['CVE-2019-18224', 'libidn2-0', '2.0.5-1', ['zerocve', 'trivy', 'grype'], undefined],
      ['CVE-2019-18276', 'bash', '5.0-4', ['zerocve', 'trivy', 'grype'], undefined],
    ]);
    assert.equal(peers.agreement.allAgree, 2);
    const table = run(...common, '-f', 'table');
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /Other scanners \(zerocve, trivy, grype\)/);
    assert.match(table.stdout, /CVE-2019-18276\s+bash 5\.0-4\s+zerocve,trivy,grype\s+agree/);
  },
);

test(
  'zerocve scan --merge with a file that is not a peer report fails with exit 3 before scanning, naming it',
  { skip: SKIP },
  () => {
    const bad = join(dir, 'not-a-report.json');
    writeFileSync(bad, '{"bomFormat": "CycloneDX"}');
    const r = run(
      'scan',
      `dir:${join(dir, 'root')}`,
      '--db',
      join(dir, 'db.sqlite'),
      '--no-cache',
      '--quiet',
      '--merge',
      bad,
    );
    assert.equal(r.status, 3, r.stderr);
    assert.ok(r.stderr.includes(`${bad}: is a CycloneDX document, not a Trivy or Grype JSON report`), r.stderr);
  },
);
