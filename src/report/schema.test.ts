// The JSON report's schema (docs/report.schema.json) and the ScanReport type (src/core/report.ts) say the same thing:
// the TypeScript compiler reads the type, and every property, optionality, array, record, enum and union member is
// compared with the schema both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadType, compareTypeWithSchema } from '../../test/support/type-schema.ts';
import { REPORT_SCHEMA_VERSION } from '../core/report.ts';

const REPORT_TS = join(import.meta.dirname, '..', 'core', 'report.ts');
const SCHEMA = join(import.meta.dirname, '..', '..', 'docs', 'report.schema.json');
const schema = (): Record<string, any> => JSON.parse(readFileSync(SCHEMA, 'utf8'));
const real = loadType(REPORT_TS, 'ScanReport');

test('docs/report.schema.json describes ScanReport exactly, all the way down', () => {
  const r = compareTypeWithSchema(real.checker, real.type, schema());
  assert.deepEqual(r.errors, []);
  assert.ok(r.objectsCompared > 50, `walked ${r.objectsCompared} object types`);
  assert.equal(schema().properties.schemaVersion.const, REPORT_SCHEMA_VERSION);
});

test('a field added to the type and missing from the schema fails the check (top level and deep)', () => {
  const probe = loadType(
    REPORT_TS,
    'Probe',
    `import type { ScanReport } from './report.ts';
     import type { ReportSections, SecretHit } from './analysis.ts';
     export interface Probe extends Omit<ScanReport, 'sections'> {
       addedField: string;
       sections?: Omit<ReportSections, 'secrets'> & { secrets?: (SecretHit & { entropy: number })[] };
     }`,
  );
  const errors = compareTypeWithSchema(probe.checker, probe.type, schema()).errors;
  assert.ok(errors.includes('$.addedField: in the type, not in the schema'), errors.join('\n'));
  assert.ok(errors.includes('$.sections.secrets[].entropy: in the type, not in the schema'), errors.join('\n'));
});

test('a field in the schema and not in the type fails the check, and so does a changed optionality or enum', () => {
  const s = schema();
  s.$defs.secretHit.properties.entropy = { type: 'number' };
  s.properties.bloat.required = s.properties.bloat.required.filter((x: string) => x !== 'shadowedBytes');
  s.$defs.reportWarning.properties.code.enum.push('made-up-code');
  delete s.$defs.deviceCodeSummary.properties.prunableBytes;
  const errors = compareTypeWithSchema(real.checker, real.type, s).errors;
  for (const e of [
    '$.sections.secrets[].entropy: in the schema, not in the type',
    '$.bloat.shadowedBytes: required in the type, optional in the schema',
    '$.sections.gpu.prunableBytes: in the type, not in the schema',
  ])
    assert.ok(errors.includes(e), `${e}\nnot in:\n${errors.join('\n')}`);
  // a shared definition is reported once, at the first path that reaches it (warnings or sections.peers.warnings)
  assert.ok(
    errors.some((e) => /warnings\[\]\.code: 'made-up-code' in the schema, not in the type$/.test(e)),
    errors.join('\n'),
  );
});
