import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import AjvDraft04 from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { pipelineReport, FIXTURE_FILES } from '../../test/support/report-fixture.ts';
import { reporterFor, sbomReporterFor, REPORT_FORMATS, SBOM_FORMATS, renderTable } from './index.ts';
import type { ReporterOptions } from './index.ts';
import type { ScanReport } from '../core/report.ts';
import type { Package } from '../core/package.ts';
import { UsageError } from '../core/errors.ts';

const addFormats = addFormatsModule.default;
const SKIP =
  corpusSkip(FIXTURE_FILES.dpkgStatus) ||
  corpusSkip(FIXTURE_FILES.advisories) ||
  corpusSkip('schemas/bom-1.6.schema.json');
/** A report made by the real pipeline (analysis, matching, policy) from a real image and real advisories. */
const report = (): Promise<ScanReport> => pipelineReport({ corpus: corpusPath('') as string });

async function render(format: string, r: ScanReport, options: ReporterOptions = {}, sbom = false): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await (sbom ? sbomReporterFor(format) : reporterFor(format)).write(r, out, options);
  out.end();
  return Buffer.concat(chunks).toString('utf8');
}

const schema = (name: string): object => JSON.parse(readFileSync(corpusPath(`schemas/${name}`) as string, 'utf8'));

function cdxValidator(): (d: unknown) => string[] {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // formats ajv-formats lacks: accepted as strings (the structural checks still apply)
  for (const f of ['iri-reference', 'idn-email', 'iri']) ajv.addFormat(f, true);
  ajv.addSchema(schema('spdx.schema.json'));
  ajv.addSchema(schema('jsf-0.82.schema.json'));
  const v = ajv.compile(schema('bom-1.6.schema.json'));
  return (d) => (v(d) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
}

test('every listed format has a reporter; unknown formats are a UsageError', () => {
  for (const f of REPORT_FORMATS) assert.equal(reporterFor(f).format, f);
  for (const f of SBOM_FORMATS) assert.equal(sbomReporterFor(f).format, f);
  assert.throws(() => reporterFor('xml'), UsageError);
  assert.throws(() => sbomReporterFor('sarif'), UsageError);
});

test('json output validates against docs/report.schema.json and round-trips', { skip: SKIP }, async () => {
  const r = await report();
  const text = await render('json', r);
  const doc = JSON.parse(text);
  assert.deepEqual(doc, JSON.parse(JSON.stringify(r)));
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(
    JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'report.schema.json'), 'utf8')),
  );
  assert.ok((validate as (d: unknown) => boolean)(doc), JSON.stringify(validate.errors?.slice(0, 5)));
  // the schema is not vacuous: a wrong severity is rejected
  doc.findings[0].severity = 'severe';
  assert.equal(validate(doc), false);
});

test(
  'cyclonedx-json is valid CycloneDX 1.6 with image, OS, packages, model, dependencies and vulnerabilities',
  { skip: SKIP },
  async () => {
    const r = await report();
    const bom = JSON.parse(await render('cyclonedx-json', r));
    assert.deepEqual(cdxValidator()(bom), []);
    assert.notDeepEqual(
      cdxValidator()({ ...bom, components: [{ type: 'gadget', name: 'x' }] }),
      [],
      'validator is not vacuous',
    );
    assert.equal(bom.specVersion, '1.6');
    assert.match(bom.serialNumber, /^urn:uuid:[0-9a-f-]{36}$/);
    assert.equal(bom.metadata.timestamp, r.createdAt);
    assert.equal(bom.metadata.component.type, 'container');
    assert.equal(bom.metadata.component.version, r.image.source.manifestDigest);
    const os = bom.components.find((c: { type: string }) => c.type === 'operating-system');
    assert.equal(os.name, 'ubuntu');
    assert.equal(os.version, '18.04');
    const model = bom.components.find((c: { type: string }) => c.type === 'machine-learning-model');
    assert.equal(model.hashes[0].content, r.inventory.models[0].sha256);
    const libs = bom.components.filter((c: { type: string }) => c.type === 'library');
    assert.equal(libs.length, r.inventory.packages.length);
    const fdisk = libs.find((c: { name: string }) => c.name === 'fdisk');
    const prop = (c: { properties: { name: string; value: string }[] }, n: string): string | undefined =>
      c.properties.find((p) => p.name === n)?.value;
    assert.equal(prop(fdisk, 'zerocve:source-package'), 'util-linux');
    assert.equal(prop(fdisk, 'zerocve:layer'), '0');
    assert.match(fdisk.purl, /^pkg:deb\/ubuntu\/fdisk@/);
    // apt Depends on libapt-pkg5.0 (installed): resolved to a dependency edge
    const apt = libs.find((c: { name: string }) => c.name === 'apt');
    const aptDeps = bom.dependencies.find((d: { ref: string }) => d.ref === apt['bom-ref']);
    assert.ok(aptDeps.dependsOn.some((ref: string) => ref.startsWith('deb:libapt-pkg5.0@')));
    // vulnerabilities: active findings plus the suppressed one with a VEX analysis
    assert.equal(bom.vulnerabilities.length, r.findings.length + r.suppressed.length);
    const urllib3 = bom.vulnerabilities.find((v: { id: string }) => v.id === 'CVE-2023-43804');
    assert.ok(
      urllib3.ratings.some((x: { method: string; score: number }) => x.method === 'CVSSv31' && x.score === 8.1),
    );
    assert.match(urllib3.recommendation, /2\.0\.6/);
    assert.ok(libs.some((c: { 'bom-ref': string }) => c['bom-ref'] === urllib3.affects[0].ref));
    const sup = bom.vulnerabilities.find((v: { analysis?: unknown }) => v.analysis);
    assert.equal(sup.id, r.suppressed[0].finding.id);
    assert.equal(sup.analysis.state, 'not_affected');
    assert.equal(sup.analysis.justification, 'code_not_reachable');
  },
);

test(
  'cyclonedx-json gives each suppressed finding a VEX analysis state: not_affected, resolved, accepted by policy',
  { skip: SKIP },
  async () => {
    const r = await pipelineReport({ corpus: corpusPath('') as string });
    // five real findings of the pipeline, suppressed in each way below
    r.suppressed = [...r.suppressed.map((s) => s.finding), ...r.findings.splice(0, 5 - r.suppressed.length)].map(
      (finding) => ({ finding, by: '', reason: '' }),
    );
    assert.equal(r.suppressed.length, 5);
    // reasons exactly as src/policy/apply.ts writes them
    const as = [
      { by: 'vex', reason: 'not_affected: vulnerable_code_not_in_execute_path', rule: 'app.openvex.json#0' },
      { by: 'vex', reason: 'not_affected: component_not_present: removed by slim', rule: 'app.openvex.json#1' },
      { by: 'vex', reason: 'fixed', rule: 'app.openvex.json#2' },
      { by: 'ignore-file', reason: 'not reachable from our service', rule: '.zerocveignore:3' },
      { by: 'ignore-unfixed', reason: 'no fixed version (not-fixed)' },
    ];
    r.suppressed = r.suppressed.map((s, i) => ({ finding: s.finding, ...as[i] }));
    const bom = JSON.parse(await render('cyclonedx-json', r));
    assert.deepEqual(cdxValidator()(bom), []);
    const analysisOf = (i: number): Record<string, unknown> => {
      const f = r.suppressed[i].finding;
      const v = bom.vulnerabilities.find(
        (x: { 'bom-ref': string }) => x['bom-ref'] === `vuln:${f.id}:suppressed:${f.package.id}`,
      );
      assert.ok(v, `suppressed ${f.id} is in the BOM`);
      return v.analysis;
    };
    assert.deepEqual(analysisOf(0), {
      state: 'not_affected',
      justification: 'code_not_reachable',
      detail: 'VEX: not_affected: vulnerable_code_not_in_execute_path (app.openvex.json#0)',
    });
    assert.equal(analysisOf(1).state, 'not_affected');
    assert.equal(analysisOf(1).justification, 'code_not_present');
    assert.deepEqual(analysisOf(2), { state: 'resolved', detail: 'VEX: fixed (app.openvex.json#2)' });
    assert.deepEqual(analysisOf(3), {
      state: 'exploitable',
      response: ['will_not_fix'],
      detail: 'accepted by policy: not reachable from our service (.zerocveignore:3)',
    });
    assert.deepEqual(analysisOf(4), { detail: 'suppressed by ignore-unfixed: no fixed version (not-fixed)' });
    // the schema check is not vacuous for analysis: an invented state is rejected
    const bad = structuredClone(bom);
    bad.vulnerabilities.find((v: { analysis?: unknown }) => v.analysis).analysis.state = 'accepted';
    assert.notDeepEqual(cdxValidator()(bad), []);
  },
);

test('spdx-json is valid SPDX 2.3: image DESCRIBES, CONTAINS packages with purls', { skip: SKIP }, async () => {
  const r = await report();
  const doc = JSON.parse(await render('spdx-json', r));
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(schema('spdx-2.3.schema.json'));
  assert.ok((validate as (d: unknown) => boolean)(doc), JSON.stringify(validate.errors?.slice(0, 5)));
  assert.equal(doc.spdxVersion, 'SPDX-2.3');
  const describes = doc.relationships.filter((x: { relationshipType: string }) => x.relationshipType === 'DESCRIBES');
  assert.deepEqual(
    describes.map((x: { relatedSpdxElement: string }) => x.relatedSpdxElement),
    ['SPDXRef-Image'],
  );
  const ids = new Set(doc.packages.map((p: { SPDXID: string }) => p.SPDXID));
  assert.equal(ids.size, doc.packages.length, 'SPDXIDs are unique');
  for (const rel of doc.relationships) {
    assert.ok(rel.spdxElementId === 'SPDXRef-DOCUMENT' || ids.has(rel.spdxElementId), rel.spdxElementId);
  }
  const contained = doc.relationships.filter(
    (x: { relationshipType: string }) => x.relationshipType === 'CONTAINS',
  ).length;
  assert.equal(contained, r.inventory.packages.length + 1 /* os */ + r.inventory.models.length);
  const pkgs = doc.packages.filter((p: { externalRefs?: { referenceType: string }[]; SPDXID: string }) =>
    p.SPDXID.startsWith('SPDXRef-Package-'),
  );
  assert.equal(pkgs.length, r.inventory.packages.length);
  for (const p of pkgs) assert.equal(p.externalRefs[0].referenceCategory, 'PACKAGE-MANAGER');
  const fdisk = pkgs.find((p: { name: string }) => p.name === 'fdisk');
  assert.match(fdisk.supplier, /^Person: /);
  const torch = pkgs.find((p: { name: string }) => p.name === 'torch');
  assert.equal(torch.supplier, 'NOASSERTION');
});

test(
  'sarif is valid SARIF 2.1.0: one rule per id, one result per finding, located at the package file',
  { skip: SKIP },
  async () => {
    const r = await report();
    const doc = JSON.parse(await render('sarif', r));
    const ajv = new AjvDraft04.default({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(schema('sarif-schema-2.1.0.json'));
    assert.ok((validate as (d: unknown) => boolean)(doc), JSON.stringify(validate.errors?.slice(0, 5)));
    const run = doc.runs[0];
    assert.equal(run.tool.driver.rules.length, new Set(r.findings.map((f) => f.id)).size);
    assert.equal(run.results.length, r.findings.length);
    for (const res of run.results) {
      const f = r.findings.find((x) => x.id === res.ruleId);
      assert.ok(f);
      assert.equal(res.locations[0].physicalLocation.artifactLocation.uri, f.package.locations[0].path.slice(1));
      assert.ok(res.message.text.includes(`${f.installedVersion} → ${f.fixedVersions[0]}`), res.message.text);
      assert.equal(res.level, f.severity === 'high' ? 'error' : 'warning');
      const rule = run.tool.driver.rules[res.ruleIndex];
      assert.equal(rule.id, f.id);
      assert.equal(Number(rule.properties['security-severity']), f.cvss[0].score);
    }
  },
);

test('sbom formats carry the inventory only; --files adds owned files', { skip: SKIP }, async () => {
  const r = await report();
  r.inventory.packages[0].files = ['/usr/bin/fdisk-owned-test'];
  const bom = JSON.parse(await render('cyclonedx-json', r, {}, true));
  assert.equal(bom.vulnerabilities, undefined);
  assert.deepEqual(cdxValidator()(bom), []);
  assert.ok(!JSON.stringify(bom).includes('fdisk-owned-test'));
  const withFiles = JSON.parse(await render('cyclonedx-json', r, { files: true }, true));
  assert.ok(JSON.stringify(withFiles).includes('/usr/bin/fdisk-owned-test'));
  const spdx = JSON.parse(await render('spdx-json', r, { files: true }, true));
  assert.ok(spdx.files.some((f: { fileName: string }) => f.fileName === '/usr/bin/fdisk-owned-test'));
  const json = JSON.parse(await render('json', r, {}, true));
  assert.equal(json.kind, 'sbom');
  assert.equal(json.inventory.packages.length, r.inventory.packages.length);
  assert.equal(json.findings, undefined);
  assert.equal(json.inventory.packages[0].files, undefined);
});

const hostile: Package = {
  id: 'python:<script>alert(1)</script>@1.0:/x',
  type: 'python',
  name: '<script>alert(1)</script>',
  version: '1.0"><img src=x onerror=alert(2)>',
  purl: 'pkg:pypi/evil@1.0',
  locations: [{ path: '/x/<b>|pipe|', layer: 1 }],
  metadata: { kind: 'python', format: 'dist-info', sitePackages: '/x' },
};

test('html is self-contained and escapes hostile data', { skip: SKIP }, async () => {
  const r = await report();
  r.inventory.packages.push(hostile);
  r.findings.push({
    ...r.findings[0],
    id: 'CVE-0000-<script>',
    package: { ...hostile },
    installedVersion: hostile.version,
    title: '</script><script>alert(3)</script>',
  });
  const html = await render('html', r);
  assert.ok(!/<script>alert/.test(html), 'no raw injected script');
  assert.ok(!html.includes('<img src=x'), 'no raw injected element');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.equal((html.match(/<script>/g) ?? []).length, 1, 'exactly our own inline script');
  assert.ok(
    !/\b(src|href)="https?:/.test(html.replace(/<a href="https?:[^"]*" rel="noreferrer noopener">/g, '')),
    'no external resources',
  );
  assert.match(html, /<svg id="severity-chart"/);
  assert.equal((html.match(/<tr data-severity=/g) ?? []).length, r.findings.length);
  const md = await render('markdown', r);
  assert.ok(!md.includes('<script>'), 'markdown neutralizes HTML');
  assert.ok(!md.includes('|pipe|'), 'markdown escapes pipes in cells');
});

test('table: colour only when asked, every line within width', { skip: SKIP }, async () => {
  const r = await report();
  for (const width of [40, 80, 132]) {
    const plain = await render('table', r, { width });
    assert.ok(!plain.includes('\x1b['), 'no ANSI without color');
    for (const l of plain.split('\n')) assert.ok([...l].length <= width, `line longer than ${width}: ${l}`);
  }
  const coloured = await render('table', r, { color: true, width: 100 });
  assert.ok(coloured.includes('\x1b[31mHIGH'));
  // findings grouped by package, worst first: the medium (aiohttp) group comes after every high group
  const lines = renderTable(r, { width: 200 });
  const aiohttp = lines.findIndex((l) => l.startsWith('aiohttp '));
  const urllib3 = lines.findIndex((l) => l.startsWith('urllib3 '));
  assert.ok(urllib3 > 0 && aiohttp > urllib3);
  assert.ok(lines.some((l) => l.includes('2.0.5 → 2.0.6')));
});

// Golden files: the fixed fixture report rendered; reviewed by hand. Regenerate with UPDATE_GOLDEN=1.
for (const [format, file, options] of [
  ['table', 'scan.table.golden', { width: 100 }],
  ['markdown', 'scan.markdown.golden', {}],
] as const) {
  test(`golden: ${format}`, { skip: SKIP }, async () => {
    const text = await render(format, await report(), options);
    const path = join(import.meta.dirname, 'testdata', file);
    if (process.env.UPDATE_GOLDEN) writeFileSync(path, text);
    assert.ok(existsSync(path), `golden file missing: ${path} (run with UPDATE_GOLDEN=1)`);
    assert.equal(text, readFileSync(path, 'utf8'));
  });
}
