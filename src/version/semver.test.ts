import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../core/errors.ts';
import { compareSemver, createSemverScheme } from './semver.ts';

test('semver: precedence chain from semver.org §11', () => {
  const chain = [
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0',
    '2.0.0',
    '2.1.0',
    '2.1.1',
  ];
  for (let i = 0; i < chain.length; i++) {
    for (let j = 0; j < chain.length; j++)
      assert.equal(compareSemver(chain[i], chain[j]), Math.sign(i - j) || 0, `${chain[i]} vs ${chain[j]}`);
  }
});

test('semver: build metadata ignored, leading v tolerated, short forms', () => {
  const table: [string, string, -1 | 0 | 1][] = [
    ['1.0.0+build.1', '1.0.0+build.2', 0],
    ['1.0.0-alpha+001', '1.0.0-alpha', 0],
    ['v1.2.3', '1.2.3', 0],
    ['1.2', '1.2.0', 0],
    ['1', '1.0.1', -1],
    ['1.10.0', '1.9.0', 1],
    ['0.0.0-0', '0.0.0', -1],
    ['1.0.0-x-y-z.--', '1.0.0-x-y-z.-', 1],
  ];
  for (const [a, b, r] of table) assert.equal(compareSemver(a, b), r, `${a} vs ${b}`);
});

test('semver: invalid versions', () => {
  const s = createSemverScheme();
  for (const bad of ['', 'a.b.c', '1.2.3.4', '1.2.3-', '1.2.3-a..b', '1.2.3+', 'vv1.0.0']) {
    assert.equal(s.valid(bad), false, bad);
    assert.throws(() => s.compare(bad, '1.0.0'), InputError, bad);
  }
});
