// `zerocve db import|status` end to end: the real CLI on real advisory data from the shared corpus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fixtureImage, fixtureSkip } from '../support/images.ts';
import { corpusPath, corpusSkip } from '../support/corpus.ts';
import { dbStatus, zerocve } from './support.ts';

const GO = 'vulndata/go-vulndb/data/osv';
const PYPA = 'vulndata/pypa-advisory-database/vulns';

test(
  'importing one OSV input after another keeps both; re-importing the first replaces only it',
  { skip: corpusSkip(GO) || corpusSkip(PYPA), timeout: 300_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'zerocve-db-e2e-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const db = join(dir, 'zerocve.db');
    const go = corpusPath(GO)!;
    const pypa = corpusPath(PYPA)!;
    const status = () => dbStatus(db);

    let r = await zerocve(['db', 'import', '--db', db, '--quiet', go]);
    assert.equal(r.code, 0, r.stderr);
    const afterGo = await status();
    assert.equal(afterGo.sources.length, 1);
    const goSource = afterGo.sources[0];
    assert.equal(goSource.name, `osv:${resolve(go)}`, 'an offline OSV input is named after its path');
    assert.ok(goSource.advisories > 4000);

    r = await zerocve(['db', 'import', '--db', db, '--quiet', pypa]);
    assert.equal(r.code, 0, r.stderr);
    const afterBoth = await status();
    assert.deepEqual(afterBoth.sources.map((s) => s.name).sort(), [`osv:${resolve(go)}`, `osv:${resolve(pypa)}`]);
    assert.deepEqual(
      afterBoth.sources.find((s) => s.name === goSource.name),
      { ...afterBoth.sources.find((s) => s.name === goSource.name)!, advisories: goSource.advisories },
      'the Go records imported first are still there',
    );
    const pypaCount = afterBoth.sources.find((s) => s.name !== goSource.name)!.advisories;
    assert.ok(pypaCount > 2000);
    assert.equal(afterBoth.advisories, goSource.advisories + pypaCount);

    // re-importing A replaces A's rows only: no duplicates, B untouched
    r = await zerocve(['db', 'import', '--db', db, '--quiet', go]);
    assert.equal(r.code, 0, r.stderr);
    const again = await status();
    assert.equal(again.advisories, goSource.advisories + pypaCount);
    assert.equal(again.sources.length, 2);

    // the table lists every source with its counts
    r = await zerocve(['db', 'status', '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${resolve(go).replace(/[/.]/g, '\\$&')}\\s+${goSource.advisories} advisories`));
    assert.match(r.stdout, new RegExp(`${resolve(pypa).replace(/[/.]/g, '\\$&')}\\s+${pypaCount} advisories`));
  },
);

const NVD = 'conformance/grype/grype/db/v6/build/transformers/nvd/testdata';

interface ScanReport {
  findings: { id: string; severity: string; severitySource: string; package: { name: string } }[];
  summary: { passed: boolean };
}

test(
  'a stale bookworm image with Debian and NVD data imported: OS findings carry NVD severities and --fail-on high fails',
  { skip: fixtureSkip() || corpusSkip(NVD), timeout: 600_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'zerocve-db-sev-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const fx = await fixtureImage('python3');
    // Debian tracker JSON (the shape of security-tracker.debian.org/tracker/data/json) for source packages of the
    // fixture. The corpus has no NVD record for a package in this image, so the CVE ids are those of the real NVD
    // records below, placed on the image's packages; what is under test is the severity each finding gets.
    const tracker = {
      openssl: {
        'CVE-2022-0543': {
          description: 'stand-in',
          releases: {
            bookworm: { status: 'open', repositories: { bookworm: '3.0.11-1~deb12u2' }, urgency: 'not yet assigned' },
          },
        },
        'CVE-2023-0464': {
          description: 'no NVD record imported for this one',
          releases: {
            bookworm: { status: 'open', repositories: { bookworm: '3.0.9-1' }, urgency: 'not yet assigned' },
          },
        },
      },
      zlib: {
        'CVE-2018-1000222': {
          description: 'stand-in',
          releases: {
            bookworm: { status: 'open', repositories: { bookworm: '1:1.2.13.dfsg-1' }, urgency: 'not yet assigned' },
          },
        },
      },
      perl: {
        'CVE-2024-26663': {
          description: 'stand-in; Debian rated it',
          releases: { bookworm: { status: 'open', repositories: { bookworm: '5.36.0-7+deb12u1' }, urgency: 'low' } },
        },
      },
    };
    const trackerFile = join(dir, 'tracker.json');
    writeFileSync(trackerFile, JSON.stringify(tracker));
    // an NVD JSON 2.0 yearly-feed-shaped file holding the real corpus records
    const cves = ['cve-2022-0543.json', 'single-package-multi-distro.json', 'cve-2024-26663-standalone-os.json'].map(
      (n) => {
        const d = JSON.parse(readFileSync(join(corpusPath(NVD)!, n), 'utf8')) as { cve?: object };
        return { cve: d.cve ?? d };
      },
    );
    const nvdFile = join(dir, 'nvdcve-2.0-2022.json.gz');
    writeFileSync(
      nvdFile,
      gzipSync(
        JSON.stringify({
          format: 'NVD_CVE',
          version: '2.0',
          timestamp: '2026-12-01T00:00:00.000',
          vulnerabilities: cves,
        }),
      ),
    );
    const scan = async (db: string): Promise<{ code: number; report: ScanReport }> => {
      const r = await zerocve([
        'scan',
        fx.target,
        '--db',
        db,
        '--no-cache',
        '--quiet',
        '-f',
        'json',
        '--fail-on',
        'high',
      ]);
      assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
      return { code: r.code, report: JSON.parse(r.stdout) as ScanReport };
    };

    // Debian data alone: the tracker rates none of these, so --fail-on high passes an image with a critical CVE
    const debianOnly = join(dir, 'debian.db');
    let r = await zerocve(['db', 'import', '--db', debianOnly, '--quiet', trackerFile]);
    assert.equal(r.code, 0, r.stderr);
    const before = await scan(debianOnly);
    const sev = (rep: ScanReport, id: string) => rep.findings.find((f) => f.id === id);
    assert.equal(sev(before.report, 'CVE-2022-0543')?.severity, 'unknown');
    assert.equal(before.code, 0);

    // with NVD: NVD's scores rate the findings Debian did not rate; Debian's urgency stays where it is given
    const db = join(dir, 'both.db');
    r = await zerocve(['db', 'import', '--db', db, '--quiet', trackerFile, nvdFile]);
    assert.equal(r.code, 0, r.stderr);
    const after = await scan(db);
    assert.deepEqual(
      ['CVE-2022-0543', 'CVE-2018-1000222', 'CVE-2024-26663', 'CVE-2023-0464'].map((id) => {
        const f = sev(after.report, id);
        return [id, f?.package.name.replace(/\d.*$/, ''), f?.severity, f?.severitySource];
      }),
      [
        ['CVE-2022-0543', 'libssl', 'critical', 'nvd:cvss-3.1'],
        ['CVE-2018-1000222', 'zlib', 'high', 'nvd:cvss-3.0'],
        ['CVE-2024-26663', 'perl-base', 'low', 'vendor:debian'],
        ['CVE-2023-0464', 'libssl', 'unknown', 'none'],
      ],
    );
    assert.equal(after.code, 1, '--fail-on high fails the image');
    assert.equal(after.report.summary.passed, false);
  },
);
