// The gate wiring's pure parts: the --admission-policy document, the hook secret comparison, and the one identity
// of an image in catalog keys and scan targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { admissionPolicyFrom, secretMatches } from './gates.ts';
import { DEFAULT_ADMISSION_POLICY } from './k8s-admission.ts';
import { InputError } from '../core/errors.ts';
import { catalogFromBody } from './http.ts';
import { parseCatalogFile } from './catalog-file.ts';
import { splitReference } from './jobs.ts';

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

test('catalog keys and scan targets: one identity per image, however spelled', () => {
  assert.equal(catalogFromBody('nginx', { tier: 'golden' }).repository, 'docker.io/library/nginx');
  assert.equal(catalogFromBody('host:5000/ml/x', { tier: 'golden' }).repository, 'host:5000/ml/x');
  const e = catalogFromBody('index.docker.io/library/python', { tier: 'deprecated', replacement: 'python' });
  assert.deepEqual([e.repository, e.replacement], ['docker.io/library/python', 'docker.io/library/python']);
  assert.equal(catalogFromBody('a', { tier: 'golden', replacement: 'reg/b:1' }).replacement, 'reg/b:1');
  assert.throws(
    () =>
      parseCatalogFile(
        'images:\n  - repository: nginx\n    tier: golden\n  - repository: docker.io/library/nginx\n' +
          '    tier: golden\n',
        'c.yaml',
      ),
    /images\[1\]: docker\.io\/library\/nginx is listed twice/,
  );
  const D = `sha256:${'a'.repeat(64)}`;
  for (const [target, want] of [
    ['nginx', { repository: 'docker.io/library/nginx', tag: 'latest' }],
    ['registry:index.docker.io/library/nginx:1.27', { repository: 'docker.io/library/nginx', tag: '1.27' }],
    [`host:5000/x@${D}`, { repository: 'host:5000/x', digest: D }],
    [`host:5000/x:v1@${D}`, { repository: 'host:5000/x', tag: 'v1', digest: D }],
    ['oci-dir:/tmp/layout:latest', {}],
  ] as const)
    assert.deepEqual(splitReference(target), want, target);
});
