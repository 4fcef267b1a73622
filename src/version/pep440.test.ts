import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { corpusPath, corpusSkip } from '../../test/support/corpus.ts';
import { InputError } from '../core/errors.ts';
import { comparePep440, createPep440Scheme, normalizePep440, parsePep440 } from './pep440.ts';

const VECTORS = 'version-vectors/pep440/pep440_vectors.json';
interface Vectors {
  sorted_versions: string[];
  invalid_versions: string[];
  normalized: { input: string; normalized: string }[];
  equalities: [string, string][];
}
const load = (): Vectors => JSON.parse(readFileSync(corpusPath(VECTORS)!, 'utf8')) as Vectors;

test('pep440: packaging ordering vectors (every pair)', { skip: corpusSkip(VECTORS) }, () => {
  const { sorted_versions: s } = load();
  assert.ok(s.length > 80);
  for (let i = 0; i < s.length; i++) {
    for (let j = 0; j < s.length; j++)
      assert.equal(comparePep440(s[i], s[j]), Math.sign(i - j) || 0, `${s[i]} vs ${s[j]}`);
  }
});

test('pep440: packaging equalities, invalid strings and normalisation', { skip: corpusSkip(VECTORS) }, () => {
  const v = load();
  for (const [a, b] of v.equalities) assert.equal(comparePep440(a, b), 0, `${a} == ${b}`);
  const scheme = createPep440Scheme();
  for (const bad of v.invalid_versions) {
    assert.equal(scheme.valid(bad), false, bad);
    assert.throws(() => parsePep440(bad), InputError, bad);
  }
  assert.ok(v.normalized.length > 100);
  for (const { input, normalized } of v.normalized) assert.equal(normalizePep440(input), normalized, input);
});

test('pep440: spec examples', () => {
  const table: [string, string, -1 | 0 | 1][] = [
    ['1.0', '1.0.0', 0], // trailing zeros
    ['1!0.1', '2.0', 1], // epoch
    ['1.0.dev1', '1.0a1', -1], // dev of the release before its pre-releases
    ['1.0a1.dev1', '1.0a1', -1],
    ['1.0.post1.dev1', '1.0.post1', -1],
    ['1.0', '1.0.post1.dev1', -1],
    ['1.0+abc', '1.0+5', -1], // alphanumeric local segments before numeric ones
    ['1.0+abc.5', '1.0+abc', 1],
    ['1.0', '1.0+local', -1],
    ['2.1.0', '2.0.9', 1],
    ['V1.0', 'v1.0', 0],
  ];
  for (const [a, b, r] of table) assert.equal(comparePep440(a, b), r, `${a} vs ${b}`);
  assert.deepEqual(parsePep440('1!2.3rc4.post5.dev6+ubuntu.1'), {
    epoch: 1,
    release: [2, 3],
    pre: { label: 'rc', n: 4 },
    post: 5,
    dev: 6,
    local: ['ubuntu', '1'],
  });
  assert.throws(() => comparePep440('x.y.z-foo', '1.0'), { message: "pep440: invalid version 'x.y.z-foo'" });
});
