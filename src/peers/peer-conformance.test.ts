// End to end on real data: zerocve's findings from the real matcher over Trivy's fixture database (converted into a
// real zerocve store, see test/support/trivy-fixture.ts) beside the Trivy golden report itself, read from its file, and
// beside a Grype-format report of the same findings (written by testing.ts; the corpus has no Grype report).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import {
  TRIVY_TESTDATA,
  GOLDENS,
  goldenInventory,
  readGolden,
  buildTrivyFixtureDb,
  inScope,
} from '../../test/support/trivy-fixture.ts';
import { openStore, type Store } from '../vulndb/index.ts';
import { matchSnapshot } from '../match/index.ts';
import type { Finding } from '../core/finding.ts';
import { readPeerReport, mergePeerFindings } from './index.ts';
import { grypeReportFromTrivy } from './testing.ts';

const SKIP = corpusSkip(`${TRIVY_TESTDATA}/fixtures/db`);
let dir = '';
let store: Store | undefined;

before(async () => {
  if (SKIP) return;
  dir = mkdtempSync(join(tmpdir(), 'zerocve-peers-e2e-'));
  await buildTrivyFixtureDb(join(dir, 'db.sqlite'));
  store = openStore(join(dir, 'db.sqlite'));
});
after(() => {
  store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const zerocveFindings = (name: string): Finding[] => {
  const { findings, problems } = matchSnapshot(goldenInventory(readGolden(name)), store!);
  assert.deepEqual(problems, []);
  return findings;
};

test(
  'zerocve beside each Trivy golden: every in-scope vulnerability reported by both, same version and fix',
  { skip: SKIP },
  async () => {
    let agreeing = 0;
    for (const name of GOLDENS) {
      const path = corpusPath(`${TRIVY_TESTDATA}/${name}.json.golden`)!;
      const golden = readGolden(name);
      const findings = zerocveFindings(name);
      const c = mergePeerFindings(findings, [await readPeerReport(path)]);
      assert.deepEqual(c.tools, ['zerocve', 'trivy']);
      const inScopeKeys = new Set<string>();
      for (const r of golden.Results)
        if (inScope(r))
          for (const v of r.Vulnerabilities ?? [])
            inScopeKeys.add(`${v.VulnerabilityID} ${v.PkgName}@${v.InstalledVersion}`);
      const both = c.rows.filter((r) => r.reportedBy.length === 2);
      assert.deepEqual(
        both.map((r) => `${r.id} ${r.package}@${r.version}`).sort(),
        [...inScopeKeys].sort(),
        `${name}: rows reported by both`,
      );
      for (const r of both) {
        assert.ok(!r.kinds?.some((k) => k !== 'severity'), `${name}: ${r.id} ${r.package}: ${r.disagreement}`);
        // a severity difference shows each scanner's own rating
        const z = findings.find((f) => f.id === r.id && f.package.name === r.package)!;
        const t = golden.Results.flatMap((x) => x.Vulnerabilities ?? []).find(
          (v) => v.VulnerabilityID === r.id && v.PkgName === r.package,
        )!;
        assert.deepEqual(r.severities, { zerocve: z.severity, trivy: t.Severity?.toLowerCase() });
        assert.equal(r.kinds?.includes('severity') ?? false, z.severity !== t.Severity?.toLowerCase());
      }
      // the only rows not shared are Trivy's findings outside zerocve's ecosystems (fluentd-gems' Ruby gem)
      for (const r of c.rows.filter((x) => x.reportedBy.length === 1)) {
        assert.deepEqual([r.reportedBy, r.type], [['trivy'], 'gem'], `${name}: ${r.id} ${r.package}`);
      }
      assert.equal(c.agreement.onlyZerocve, 0);
      agreeing += c.agreement.allAgree;
    }
    assert.ok(agreeing >= 25, `${agreeing} rows where zerocve and Trivy fully agree`);
  },
);

test(
  'three scanners: zerocve, the Trivy golden and a Grype report of it meet through GHSA ↔ CVE',
  { skip: SKIP },
  async () => {
    for (const name of ['pipenv', 'debian-buster', 'alpine-39']) {
      const trivyPath = corpusPath(`${TRIVY_TESTDATA}/${name}.json.golden`)!;
      const grypePath = join(dir, `${name}.grype.json`);
      const grypeDoc = grypeReportFromTrivy(JSON.parse(readFileSync(trivyPath, 'utf8')));
      writeFileSync(grypePath, JSON.stringify(grypeDoc));
      const findings = zerocveFindings(name);
      const c = mergePeerFindings(findings, [await readPeerReport(trivyPath), await readPeerReport(grypePath)]);
      assert.deepEqual(c.tools, ['zerocve', 'trivy', 'grype']);
      assert.equal(
        c.rows.length,
        new Set(findings.map((f) => `${f.id} ${f.package.name}@${f.installedVersion}`)).size,
        name,
      );
      for (const r of c.rows)
        assert.deepEqual(r.reportedBy, ['zerocve', 'trivy', 'grype'], `${name}: ${r.id} ${r.package}`);
      assert.deepEqual(c.agreement.onlyPeers + c.agreement.onlyZerocve + c.agreement.partial, 0);
      assert.deepEqual(
        c.totals.map((t) => t.rows),
        [c.rows.length, c.rows.length, c.rows.length],
      );
      if (name === 'pipenv') {
        // Grype names these by GHSA; the row keeps the CVE and lists the GHSA as an alias
        const rows = c.rows.map((r) => [r.id, r.aliases]).sort();
        assert.deepEqual(rows, [
          ['CVE-2019-14806', ['GHSA-gq9m-qvpx-68hc']],
          ['CVE-2020-28724', ['GHSA-3p3h-qghp-hvh2']],
        ]);
      }
    }
  },
);

test(
  'a Grype report of an older image (other installed versions, a missing finding) shows the disagreements',
  { skip: SKIP },
  async () => {
    const trivyPath = corpusPath(`${TRIVY_TESTDATA}/distroless-python27.json.golden`)!;
    const doc = grypeReportFromTrivy(JSON.parse(readFileSync(trivyPath, 'utf8'))) as {
      matches: {
        vulnerability: { id: string; severity: string; fix: { versions: string[] } };
        artifact: { name: string; version: string };
      }[];
      source: { target: { imageID: string } };
    };
    // the older image: openssl one revision behind, and a db that had no fix for CVE-2019-1563 yet
    for (const m of doc.matches) if (m.artifact.name === 'openssl') m.artifact.version = '1.1.0j-1~deb9u1';
    for (const m of doc.matches) if (m.vulnerability.id === 'CVE-2019-1563') m.vulnerability.fix.versions = [];
    doc.matches = doc.matches.filter(
      (m) => !(m.vulnerability.id === 'CVE-2019-1551' && m.artifact.name === 'libssl1.1'),
    );
    doc.source.target.imageID = 'sha256:0000000000000000000000000000000000000000000000000000000000000000';
    const grypePath = join(dir, 'older.grype.json');
    writeFileSync(grypePath, JSON.stringify(doc));
    const findings = zerocveFindings('distroless-python27');
    const golden = JSON.parse(readFileSync(trivyPath, 'utf8')) as { Metadata: { ImageID: string } };
    const c = mergePeerFindings(findings, [await readPeerReport(grypePath)], {
      image: { configDigest: golden.Metadata.ImageID },
    });
    const by = (id: string, pkg: string) => c.rows.find((r) => r.id === id && r.package === pkg)!;
    assert.deepEqual(by('CVE-2019-1551', 'libssl1.1').kinds, ['only-one']);
    assert.deepEqual(by('CVE-2019-1551', 'openssl').kinds, ['package-version']);
    assert.deepEqual(by('CVE-2019-1551', 'openssl').versions, { zerocve: '1.1.0k-1~deb9u1', grype: '1.1.0j-1~deb9u1' });
    assert.deepEqual(by('CVE-2019-1563', 'openssl').kinds, ['package-version', 'fixed-version']);
    assert.deepEqual(by('CVE-2019-1563', 'libssl1.1').kinds, ['fixed-version']);
    assert.match(
      by('CVE-2019-1563', 'libssl1.1').disagreement!,
      /^fixed version: zerocve 1\.1\.0l-1~deb9u1; grype none$/,
    );
    assert.equal(c.agreement.onlyZerocve, 1);
    assert.ok(c.warnings.some((w) => w.message.includes(`zerocve scanned ${golden.Metadata.ImageID}`)));
  },
);
