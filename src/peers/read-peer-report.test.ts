import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { InputError } from '../core/errors.ts';
import { readPeerReport } from './index.ts';
import { grypeReportFromTrivy } from './testing.ts';

const TESTDATA = 'conformance/trivy/integration/testdata';
const tmp = mkdtempSync(join(tmpdir(), 'zerocve-peers-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface TrivyVuln {
  VulnerabilityID: string;
  PkgName: string;
  InstalledVersion: string;
  FixedVersion?: string;
  Severity: string;
  VendorIDs?: string[];
}
type TrivyDoc = {
  SchemaVersion?: number;
  ArtifactName?: string;
  Metadata?: { ImageID?: string };
  Results?: { Vulnerabilities?: TrivyVuln[] }[];
};
const vulnsOf = (doc: TrivyDoc): TrivyVuln[] => (doc.Results ?? []).flatMap((r) => r.Vulnerabilities ?? []);

test(
  'every Trivy JSON golden reads with as many findings as it lists vulnerabilities',
  { skip: corpusSkip(TESTDATA) },
  async () => {
    const dir = corpusPath(TESTDATA)!;
    let reports = 0;
    let withFindings = 0;
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.json.golden'))) {
      const path = join(dir, name);
      const doc = JSON.parse(readFileSync(path, 'utf8')) as TrivyDoc;
      if (doc.SchemaVersion !== 2) {
        // CycloneDX / SPDX goldens are not Trivy JSON reports: refused, naming the file
        await assert.rejects(
          readPeerReport(path),
          (e: Error) => e instanceof InputError && e.message.startsWith(`${path}: `) && !e.message.includes('\n'),
          name,
        );
        continue;
      }
      const r = await readPeerReport(path);
      reports++;
      const want = vulnsOf(doc);
      assert.equal(r.tool, 'trivy', name);
      assert.equal(r.findings.length, want.length, `${name}: findings`);
      assert.equal(r.target, doc.ArtifactName, name);
      if (want.length) withFindings++;
      want.forEach((v, i) => {
        const f = r.findings[i];
        assert.equal(f.id, v.VulnerabilityID, name);
        assert.equal(f.name, v.PkgName, name);
        assert.equal(f.version, v.InstalledVersion, name);
        assert.equal(f.severity, v.Severity.toLowerCase(), name);
        assert.deepEqual(f.fixedVersions, v.FixedVersion ? v.FixedVersion.split(', ') : [], name);
        assert.deepEqual(f.aliases, v.VendorIDs ?? [], name);
      });
    }
    assert.ok(reports >= 60, `read ${reports} Trivy reports`);
    assert.ok(withFindings >= 40, `${withFindings} with findings`);
  },
);

test(
  'Trivy fields: ecosystem from purl or result type, fix state from Status, image id',
  { skip: corpusSkip(TESTDATA) },
  async () => {
    const deb = await readPeerReport(corpusPath(`${TESTDATA}/debian-buster.json.golden`)!);
    assert.equal(deb.imageId, 'sha256:c2c03a296d2329a4f3ab72a7bf38b78a8a80108204d326b0139d6af700e152d1');
    const bash = deb.findings.find((f) => f.id === 'CVE-2019-18276')!;
    assert.deepEqual([bash.ecosystem, bash.fixState, bash.fixedVersions], ['deb', 'not-fixed', []]);
    const idn = deb.findings.find((f) => f.name === 'libidn2-0')!;
    assert.deepEqual([idn.fixState, idn.aliases, idn.severity], ['fixed', ['DSA-4613-1'], 'critical']);
    const py = await readPeerReport(corpusPath(`${TESTDATA}/pipenv.json.golden`)!);
    assert.ok(py.findings.every((f) => f.ecosystem === 'python'));
    const rpm = await readPeerReport(corpusPath(`${TESTDATA}/almalinux-8.json.golden`)!);
    assert.ok(rpm.findings.every((f) => f.ecosystem === 'rpm'));
  },
);

test(
  'a Grype JSON report reads: GHSA ids with related CVEs, fix state, artifact purl type, source target',
  { skip: corpusSkip(TESTDATA) },
  async () => {
    for (const name of ['debian-buster', 'pipenv', 'alpine-39', 'almalinux-8', 'fluentd-gems']) {
      const trivy = JSON.parse(readFileSync(corpusPath(`${TESTDATA}/${name}.json.golden`)!, 'utf8')) as TrivyDoc;
      const path = join(tmp, `${name}.grype.json`);
      writeFileSync(path, JSON.stringify(grypeReportFromTrivy(trivy), null, 1));
      const r = await readPeerReport(path);
      assert.equal(r.tool, 'grype');
      assert.equal(r.target, trivy.ArtifactName);
      assert.equal(r.imageId, trivy.Metadata?.ImageID);
      assert.equal(r.findings.length, vulnsOf(trivy).length, name);
      for (const [i, v] of vulnsOf(trivy).entries()) {
        const f = r.findings[i];
        assert.ok(
          f.id === v.VulnerabilityID || f.aliases.includes(v.VulnerabilityID),
          `${name}: ${f.id} relates to ${v.VulnerabilityID}`,
        );
        assert.equal(f.severity, v.Severity.toLowerCase());
        assert.equal(f.fixState === 'fixed', !!v.FixedVersion);
      }
    }
    const py = await readPeerReport(join(tmp, 'pipenv.grype.json'));
    assert.deepEqual(py.findings.map((f) => [f.id, f.aliases, f.ecosystem]).sort(), [
      ['GHSA-3p3h-qghp-hvh2', ['CVE-2020-28724'], 'python'],
      ['GHSA-gq9m-qvpx-68hc', ['CVE-2019-14806'], 'python'],
    ]);
    const gems = await readPeerReport(join(tmp, 'fluentd-gems.grype.json'));
    assert.ok(gems.findings.some((f) => f.ecosystem === 'gem'));
  },
);

const BAD: [string, string, RegExp][] = [
  ['not-json.json', '{"SchemaVersion": 2, ', /: not JSON: /],
  ['old-trivy.json', '{"SchemaVersion": 1, "Results": []}', /unsupported Trivy SchemaVersion 1 \(expected 2\)/],
  [
    'no-id.json',
    '{"SchemaVersion": 2, "Results": [{"Type": "debian", "Vulnerabilities": [{"PkgName": "bash"}]}]}',
    /Results\[0\]\.Vulnerabilities\[0\]: missing VulnerabilityID/,
  ],
  ['bad-results.json', '{"SchemaVersion": 2, "Results": {}}', /Results is not an array/],
  [
    'grype-no-artifact.json',
    '{"matches": [{"vulnerability": {"id": "CVE-1"}}], "source": {}}',
    /matches\[0\]: missing artifact\.name/,
  ],
  [
    'cyclonedx.json',
    '{"bomFormat": "CycloneDX", "specVersion": "1.6"}',
    /is a CycloneDX document, not a Trivy or Grype JSON report/,
  ],
  ['array.json', '[1, 2]', /neither a Trivy nor a Grype JSON report/],
];

for (const [file, text, message] of BAD) {
  test(`bad input ${file} is an InputError naming the file on one line`, async () => {
    const path = join(tmp, file);
    writeFileSync(path, text);
    await assert.rejects(readPeerReport(path), (e: Error) => {
      assert.ok(e instanceof InputError, e.message);
      assert.ok(e.message.startsWith(`${path}: `), e.message);
      assert.match(e.message, message);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  });
}

test('a missing file and an oversized file are InputErrors', async () => {
  const missing = join(tmp, 'absent.json');
  await assert.rejects(
    readPeerReport(missing),
    (e: Error) =>
      e instanceof InputError &&
      e.message.startsWith(`${missing}: cannot read peer report`) &&
      (e as InputError).cause !== undefined,
  );
  const big = join(tmp, 'big.json');
  writeFileSync(big, JSON.stringify({ SchemaVersion: 2, Results: [] }));
  await assert.rejects(readPeerReport(big, { maxBytes: 10 }), /over the 10-byte limit/);
  assert.equal((await readPeerReport(big)).findings.length, 0);
});
