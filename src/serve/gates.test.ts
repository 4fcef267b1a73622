// The gate wiring's pure parts: the --admission-policy document and the hook secret comparison.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { admissionPolicyFrom, secretMatches } from './gates.ts';
import { DEFAULT_ADMISSION_POLICY } from './k8s-admission.ts';
import { InputError } from '../core/errors.ts';

test('the admission policy file: defaults, every key, and one clear error per mistake', () => {
  assert.deepEqual(admissionPolicyFrom(parse(''), 'p.yaml'), DEFAULT_ADMISSION_POLICY);
  const p = admissionPolicyFrom(
    parse(
      'mode: audit\n' +
        'require: { golden: true, belowSeverity: high, maxScanAgeHours: 24 }\n' +
        'unknownImage: warn-and-scan\nexemptNamespaces: [ops]\nexemptImages: ["registry.k8s.io/*"]\n',
    ),
    'p.yaml',
  );
  assert.deepEqual(p, {
    mode: 'audit',
    require: { golden: true, belowSeverity: 'high', maxScanAgeHours: 24 },
    unknownImage: 'warn-and-scan',
    exemptNamespaces: ['ops'],
    exemptImages: ['registry.k8s.io/*'],
  });
  // keys left out keep the defaults
  assert.deepEqual(admissionPolicyFrom({ mode: 'audit' }, 'p.yaml').require, DEFAULT_ADMISSION_POLICY.require);
  for (const [doc, re] of [
    [{ mode: 'strict' }, /'mode' must be enforce or audit/],
    [{ unknownImage: 'allow' }, /'unknownImage'/],
    [{ require: { belowSeverity: 'severe' } }, /belowSeverity/],
    [{ require: { maxScanAgeHours: -1 } }, /maxScanAgeHours/],
    [{ require: { goldenOnly: true } }, /unknown key 'require.goldenOnly'/],
    [{ exemptNamespaces: 'kube-system' }, /'exemptNamespaces' must be a list/],
    [{ modes: 'audit' }, /unknown key 'modes'/],
    [[1], /must be a mapping/],
  ] as const)
    assert.throws(
      () => admissionPolicyFrom(doc, 'p.yaml'),
      (e: unknown) => e instanceof InputError && re.test(e.message) && e.message.startsWith('p.yaml: '),
    );
});

test('the hook secret matches only itself', () => {
  assert.equal(secretMatches('sesame', 'sesame'), true);
  assert.equal(secretMatches('sesam', 'sesame'), false);
  assert.equal(secretMatches('sesame ', 'sesame'), false);
  assert.equal(secretMatches('', 'sesame'), false);
});
