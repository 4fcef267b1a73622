// The base-image split in every output that carries it: JSON (valid against the report schema), SARIF 2.1.0 and
// CycloneDX 1.6 (valid against their official schemas), and the table's summary lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import AjvDraft04 from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { pipelineReport } from '../../test/support/report-fixture.ts';
import { reporterFor } from './index.ts';
import type { ScanReport } from '../core/report.ts';

const addFormats = addFormatsModule.default;
const SKIP =
  corpusSkip('conformance/trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar') ||
  corpusSkip('schemas/bom-1.6.schema.json');
const schema = (name: string): object => JSON.parse(readFileSync(corpusPath(`schemas/${name}`) as string, 'utf8'));

async function render(format: string, r: ScanReport): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await reporterFor(format).write(r, out, { width: 200 });
  out.end();
  return Buffer.concat(chunks).toString('utf8');
}

/** The test report with its first package and that package's findings from the base, everything else the app's. */
async function splitReport(): Promise<ScanReport> {
  const r = await pipelineReport({ corpus: corpusPath('') as string });
  const basePkg = r.findings[0].package.id;
  r.inventory.packages = r.inventory.packages.map((p) => ({ ...p, fromBase: p.id === basePkg }));
  r.findings = r.findings.map((f) => ({ ...f, fromBase: f.package.id === basePkg }));
  r.suppressed = r.suppressed.map((s) => ({
    ...s,
    finding: { ...s.finding, fromBase: s.finding.package.id === basePkg },
  }));
  r.image = {
    ...r.image,
    annotations: { 'org.opencontainers.image.base.name': 'docker.io/library/debian:12' },
    base: { name: 'docker.io/library/debian:12', digest: `sha256:${'a'.repeat(64)}`, layers: 1, via: 'annotation' },
  };
  const zero = { critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 };
  const count = (fs: typeof r.findings) => {
    const c = { ...zero };
    for (const f of fs) c[f.severity]++;
    return c;
  };
  r.summary.base = {
    findingsFromBase: count(r.findings.filter((f) => f.fromBase)),
    findingsFromApp: count(r.findings.filter((f) => !f.fromBase)),
    packagesFromBase: 1,
    packagesFromApp: r.inventory.packages.length - 1,
  };
  return r;
}

test(
  'base split: JSON is valid against the report schema, which rejects a malformed base',
  { skip: SKIP },
  async () => {
    const r = await splitReport();
    const doc = JSON.parse(await render('json', r));
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(
      JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'report.schema.json'), 'utf8')),
    );
    assert.ok((validate as (d: unknown) => boolean)(doc), JSON.stringify(validate.errors?.slice(0, 5)));
    assert.equal(doc.findings[0].fromBase, true);
    doc.image.base.via = 'guess';
    assert.equal(validate(doc), false);
  },
);

test('base split: SARIF results and run carry it, and stay valid SARIF 2.1.0', { skip: SKIP }, async () => {
  const r = await splitReport();
  const doc = JSON.parse(await render('sarif', r));
  const ajv = new AjvDraft04.default({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(schema('sarif-schema-2.1.0.json'));
  assert.ok((validate as (d: unknown) => boolean)(doc), JSON.stringify(validate.errors?.slice(0, 5)));
  assert.deepEqual(doc.runs[0].properties.baseImage, r.image.base);
  const baseName = r.findings[0].package.name;
  const flagged = doc.runs[0].results.filter((x: { properties: { fromBase?: boolean } }) => x.properties.fromBase);
  assert.ok(flagged.length > 0);
  for (const x of doc.runs[0].results)
    assert.equal(typeof x.properties.fromBase, 'boolean', `every result says where it came from: ${x.message.text}`);
  for (const x of flagged) assert.ok(x.message.text.startsWith(`${baseName} `), x.message.text);
});

test(
  'base split: CycloneDX components, vulnerabilities and the image carry it, valid CycloneDX 1.6',
  { skip: SKIP },
  async () => {
    const r = await splitReport();
    const bom = JSON.parse(await render('cyclonedx-json', r));
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    for (const f of ['iri-reference', 'idn-email', 'iri']) ajv.addFormat(f, true);
    ajv.addSchema(schema('spdx.schema.json'));
    ajv.addSchema(schema('jsf-0.82.schema.json'));
    const v = ajv.compile(schema('bom-1.6.schema.json'));
    assert.ok((v as (d: unknown) => boolean)(bom), JSON.stringify(v.errors?.slice(0, 5)));
    type Props = { properties?: { name: string; value: string }[] };
    const prop = (o: Props, n: string) => o.properties?.find((p) => p.name === n)?.value;
    assert.equal(prop(bom.metadata.component, 'zerocve:base-image'), 'docker.io/library/debian:12');
    assert.equal(prop(bom.metadata.component, 'zerocve:base-layers'), '1');
    const values = bom.components.map((c: Props) => prop(c, 'zerocve:from-base')).filter(Boolean);
    assert.equal(values.filter((x: string) => x === 'true').length, 1);
    assert.equal(values.filter((x: string) => x === 'false').length, r.inventory.packages.length - 1);
    for (const vuln of bom.vulnerabilities) assert.match(prop(vuln, 'zerocve:from-base') ?? '', /^(true|false|mixed)$/);
  },
);

test('base split: the table summary names the base and splits findings and packages', { skip: SKIP }, async () => {
  const r = await splitReport();
  const text = await render('table', r);
  assert.match(text, /Base +docker\.io\/library\/debian:12 \(1 of \d+ layers, from annotation\)/);
  const nb = r.findings.filter((f) => f.fromBase).length;
  assert.match(
    text,
    new RegExp(
      `findings ${nb} from base, ${r.findings.length - nb} from app; packages 1 from base, ` +
        `${r.inventory.packages.length - 1} from app`,
    ),
  );
  // without a base, no such lines
  const plain = await pipelineReport({ corpus: corpusPath('') as string });
  assert.doesNotMatch(await render('table', plain), /^Base /m);
});
