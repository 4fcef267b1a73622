// The `--merge` section in every reporter: a real fixture report (testing.ts) beside a Trivy JSON report written from
// its findings the way Trivy reports them (CVE ids, upper-case severities, `, `-joined fixed versions), with one
// severity changed, one finding left out and one Trivy-only finding, read back through src/peers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { pipelineReport } from '../../test/support/report-fixture.ts';
import { reporterFor, renderTable, renderMarkdown } from './index.ts';
import type { ScanReport } from '../core/report.ts';
import { readPeerReport, mergePeerFindings } from '../peers/index.ts';

const addFormats = addFormatsModule.default;
const SKIP =
  corpusSkip('conformance/trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar') ||
  corpusSkip('vulndata/pypa-advisory-database/vulns');
const tmp = mkdtempSync(join(tmpdir(), 'zerocve-report-peers-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function withPeers(): Promise<ScanReport> {
  const r = await pipelineReport({ corpus: corpusPath('') as string });
  const [first, second, ...rest] = r.findings;
  const vuln = (f: ScanReport['findings'][number], severity = f.severity) => ({
    VulnerabilityID: [f.id, ...f.aliases].find((i) => i.startsWith('CVE-')) ?? f.id,
    PkgName: f.package.name,
    PkgIdentifier: { PURL: f.package.purl },
    InstalledVersion: f.installedVersion,
    FixedVersion: f.fixedVersions.join(', '),
    Status: f.fixedVersions.length ? 'fixed' : 'affected',
    Severity: severity.toUpperCase(),
  });
  const trivy = {
    SchemaVersion: 2,
    ArtifactName: 'fixture-image',
    Trivy: { Version: '0.0.0-test' },
    Metadata: { ImageID: r.image.configDigest },
    Results: [
      {
        Target: 'Python',
        Class: 'lang-pkgs',
        Type: 'python-pkg',
        Vulnerabilities: [
          vuln(first, first.severity === 'low' ? 'critical' : 'low'), // a different severity
          ...rest.map((f) => vuln(f)), // `second` left out: only zerocve
          {
            VulnerabilityID: 'CVE-2099-0001',
            PkgName: '<script>alert(1)</script>',
            InstalledVersion: '1|0',
            Severity: 'HIGH',
            Status: 'affected',
            PkgIdentifier: { PURL: 'pkg:pypi/evil@1' },
          },
        ],
      },
    ],
  };
  const path = join(tmp, 'trivy.json');
  writeFileSync(path, JSON.stringify(trivy));
  assert.ok(second);
  r.sections = {
    ...r.sections,
    peers: mergePeerFindings(r.findings, [await readPeerReport(path)], {
      image: { configDigest: r.image.configDigest },
    }),
  };
  return r;
}

async function render(format: string, r: ScanReport): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await reporterFor(format).write(r, out, { width: 120 });
  out.end();
  return Buffer.concat(chunks).toString('utf8');
}

test(
  'table: the other-scanners section shows who reported each finding and why they differ, within width',
  { skip: SKIP },
  async () => {
    const r = await withPeers();
    const rows = (r.sections!.peers as ReturnType<typeof mergePeerFindings>).rows;
    assert.equal(rows.length, r.findings.length + 1);
    const first = r.findings[0];
    for (const width of [60, 120]) for (const l of renderTable(r, { width })) assert.ok([...l].length <= width, l);
    const lines = renderTable(r, { width: 400 });
    const head = lines.findIndex((l) => l.startsWith('Other scanners (zerocve, trivy)'));
    assert.ok(head > 0, 'section header');
    const section = lines.slice(head);
    assert.ok(section.some((l) => /^\s+ID\s+PACKAGE\s+REPORTED BY\s+DISAGREEMENT$/.test(l)));
    assert.ok(
      section.some(
        (l) =>
          l.includes(first.package.name) &&
          l.includes('zerocve,trivy') &&
          l.includes(`severity: zerocve ${first.severity}, trivy`),
      ),
    );
    assert.ok(section.some((l) => l.includes(r.findings[1].package.name) && /zerocve\s+only zerocve/.test(l)));
    assert.ok(section.some((l) => l.includes('<script>alert(1)</script> 1|0') && /trivy\s+only trivy/.test(l)));
    assert.ok(
      section.some((l) => / agree$/.test(l)),
      'agreeing rows are listed too',
    );
    assert.match(section[1], /all agree \d+, all report but differ 1, only zerocve 1, only peers 1/);
    // disagreements come first
    const firstAgree = section.findIndex((l) => / agree$/.test(l));
    assert.ok(section.slice(firstAgree).every((l) => !/only zerocve|only trivy|severity:/.test(l)));
  },
);

test('a report without --merge has no other-scanners section', { skip: SKIP }, async () => {
  const r = await pipelineReport({ corpus: corpusPath('') as string });
  assert.ok(!renderTable(r).some((l) => l.startsWith('Other scanners')));
  assert.ok(!renderMarkdown(r).some((l) => l.includes('Other scanners')));
});

test('markdown and html: a "Reported by" column, hostile peer data escaped', { skip: SKIP }, async () => {
  const r = await withPeers();
  const md = await render('markdown', r);
  assert.ok(md.includes('| ID | Package | Installed | Reported by | Disagreement |'));
  assert.ok(md.includes('| zerocve, trivy | ✅ agree |'));
  assert.ok(md.includes('| trivy | only trivy |'));
  assert.ok(!md.includes('<script>'));
  assert.ok(md.includes('1\\|0'), 'pipes escaped in cells');
  const html = await render('html', r);
  assert.match(html, /<section id="peers"><h2>Other scanners: zerocve, trivy<\/h2>/);
  assert.ok(html.includes('<th>Reported by</th>'));
  assert.equal((html.match(/<tr data-agree=/g) ?? []).length, r.findings.length + 1);
  assert.equal((html.match(/<script>/g) ?? []).length, 1, 'only our own script');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
});

test(
  'json: sections.peers validates against the report schema; the schema is not vacuous',
  { skip: SKIP },
  async () => {
    const r = await withPeers();
    const doc = JSON.parse(await render('json', r));
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(
      JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'report.schema.json'), 'utf8')),
    );
    assert.ok((validate as (d: unknown) => boolean)(doc), JSON.stringify(validate.errors?.slice(0, 5)));
    assert.equal(doc.sections.peers.rows.length, r.findings.length + 1);
    doc.sections.peers.rows[0].reportedBy = ['snyk'];
    assert.equal(validate(doc), false);
    delete doc.sections.peers.rows[0].reportedBy;
    doc.sections.peers.rows[0].reportedBy = ['zerocve'];
    doc.sections.peers.agreement.allAgree = -1;
    assert.equal(validate(doc), false);
  },
);
