// Vectors of Apache Maven's ComparableVersionTest (maven-artifact), as facts: orders, equalities, edge cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalMaven, compareMaven, createMavenScheme } from './maven.ts';

function ascending(chain: string[]): void {
  for (let i = 0; i < chain.length; i++) {
    for (let j = i + 1; j < chain.length; j++) {
      assert.equal(compareMaven(chain[i], chain[j]), -1, `${chain[i]} < ${chain[j]}`);
      assert.equal(compareMaven(chain[j], chain[i]), 1, `${chain[j]} > ${chain[i]}`);
    }
  }
}
function equal(a: string, b: string): void {
  assert.equal(compareMaven(a, b), 0, `${a} == ${b}`);
  assert.equal(compareMaven(b, a), 0, `${b} == ${a}`);
}
function less(a: string, b: string): void {
  assert.equal(compareMaven(a, b), -1, `${a} < ${b}`);
  assert.equal(compareMaven(b, a), 1, `${b} > ${a}`);
}

test('maven: qualifier order', () => {
  ascending([
    '1-alpha2snapshot',
    '1-alpha2',
    '1-alpha-123',
    '1-beta-2',
    '1-beta123',
    '1-m2',
    '1-m11',
    '1-rc',
    '1-cr2',
    '1-rc123',
    '1-SNAPSHOT',
    '1',
    '1-sp',
    '1-sp2',
    '1-sp123',
    '1-abc',
    '1-def',
    '1-pom-1',
    '1-1-snapshot',
    '1-1',
    '1-2',
    '1-123',
  ]);
});

test('maven: number order', () => {
  ascending([
    '2.0',
    '2.0.a',
    '2-1',
    '2.0.2',
    '2.0.123',
    '2.1.0',
    '2.1-a',
    '2.1b',
    '2.1-c',
    '2.1-1',
    '2.1.0.1',
    '2.2',
    '2.123',
    '11.a2',
    '11.a11',
    '11.b2',
    '11.b11',
    '11.m2',
    '11.m11',
    '11',
    '11.a',
    '11b',
    '11c',
    '11m',
  ]);
});

test('maven: equal versions', () => {
  const pairs: [string, string][] = [
    ['1', '1'],
    ['1', '1.0'],
    ['1', '1.0.0'],
    ['1.0', '1.0.0'],
    ['1', '1-0'],
    ['1', '1.0-0'],
    ['1.0', '1.0-0'],
    ['1a', '1-a'],
    ['1a', '1.0-a'],
    ['1a', '1.0.0-a'],
    ['1.0a', '1-a'],
    ['1.0.0a', '1-a'],
    ['1x', '1-x'],
    ['1x', '1.0-x'],
    ['1x', '1.0.0-x'],
    ['1.0x', '1-x'],
    ['1.0.0x', '1-x'],
    ['1cr', '1rc'],
    ['1a1', '1-alpha-1'],
    ['1b2', '1-beta-2'],
    ['1m3', '1-milestone-3'],
    ['1X', '1x'],
    ['1A', '1a'],
    ['1B', '1b'],
    ['1M', '1m'],
    ['1Cr', '1Rc'],
    ['1cR', '1rC'],
    ['1m3', '1Milestone3'],
    ['1m3', '1MileStone3'],
    ['1m3', '1MILESTONE3'],
    // same order though not the same tokens
    ['1ga', '1'],
    ['1release', '1'],
    ['1final', '1'],
    ['1Ga', '1'],
    ['1GA', '1'],
    ['1RELEASE', '1'],
    ['1RELeaSE', '1'],
    ['1Final', '1'],
    ['1FinaL', '1'],
    ['1FINAL', '1'],
    ['1-abcdefghijklmnopqrstuvwxyz', '1-ABCDEFGHIJKLMNOPQRSTUVWXYZ'],
    ['1.0.0-alpha1', '1.0.0-ALPHA1'],
    ['1.a', '1.A'],
    ['1.é', '1.É'],
  ];
  for (const [a, b] of pairs) equal(a, b);
});

test('maven: pairwise order', () => {
  const pairs: [string, string][] = [
    ['1', '2'],
    ['1.5', '2'],
    ['1', '2.5'],
    ['1.0', '1.1'],
    ['1.1', '1.2'],
    ['1.0.0', '1.1'],
    ['1.0.1', '1.1'],
    ['1.1', '1.2.0'],
    ['1.0-alpha-1', '1.0'],
    ['1.0-alpha-1', '1.0-alpha-2'],
    ['1.0-alpha-1', '1.0-beta-1'],
    ['1.0-beta-1', '1.0-SNAPSHOT'],
    ['1.0-SNAPSHOT', '1.0'],
    ['1.0-alpha-1-SNAPSHOT', '1.0-alpha-1'],
    ['1.0', '1.0-1'],
    ['1.0-1', '1.0-2'],
    ['1.0.0', '1.0-1'],
    ['2.0-1', '2.0.1'],
    ['2.0.1-klm', '2.0.1-lmn'],
    ['2.0.1', '2.0.1-xyz'],
    ['2.0.1', '2.0.1-123'],
    ['2.0.1-xyz', '2.0.1-123'],
    // leading zeroes
    ['0.7', '2'],
    ['0.2', '1.0.7'],
    // digits are greater than letters and than non-ASCII digits or characters
    ['é', '1'],
    ['\u{1D7E4}', '1'],
    ['J', '7'],
    ['c', '7'],
    ['\u0668', '1'],
    ['\u0668', '9'],
    ['aardvark', 'zebra'],
    ['zebra', 'ζέβρα'],
    // MNG-5568: transitive
    ['6.1.0rc3', '6.1.0'],
    ['6.1.0rc3', '6.1H.5-beta'],
    ['6.1.0', '6.1H.5-beta'],
    // MNG-6572: long numbers
    ['20190126.230843', '1234567890.12345'],
    ['1234567890.12345', '123456789012345.1H.5-beta'],
    ['20190126.230843', '123456789012345.1H.5-beta'],
    ['123456789012345.1H.5-beta', '12345678901234567890.1H.5-beta'],
    ['1234567890.12345', '12345678901234567890.1H.5-beta'],
    ['20190126.230843', '12345678901234567890.1H.5-beta'],
    // MNG-6964
    ['1-0.alpha', '1'],
    ['1-0.beta', '1'],
    ['1-0.alpha', '1-0.beta'],
    // MNG-7714
    ['1.0.final-redhat', '1.0-sp1-redhat'],
    ['1.0.final-redhat', '1.0-sp-1-redhat'],
    ['1.0.final-redhat', '1.0-sp.1-redhat'],
  ];
  for (const [a, b] of pairs) less(a, b);
});

test('maven: leading zeroes do not count', () => {
  const ones = Array.from({ length: 19 }, (_, i) => '0'.repeat(18 - i) + '1');
  const zeros = Array.from({ length: 19 }, (_, i) => '0'.repeat(19 - i));
  for (const group of [ones, zeros]) for (const a of group) for (const b of group) equal(a, b);
});

test('maven: MNG-7644 — .X counts as -X', () => {
  for (const x of ['abc', 'alpha', 'a', 'beta', 'b', 'def', 'milestone', 'm', 'RC']) {
    less(`1.0.0.${x}1`, `1.0.0-${x}2`);
    equal(`2-${x}`, `2.0.${x}`);
    equal(`2-${x}`, `2.0.0.${x}`);
    equal(`2.0.${x}`, `2.0.0.${x}`);
  }
});

test('maven: canonical forms (MNG-7700) are stable', () => {
  assert.equal(canonicalMaven('0.x'), 'x');
  assert.equal(canonicalMaven('0.2'), '0.2');
  for (const v of ['0.x', '0-x', '0.rc', '0-1', '1.0-alpha', '1.0-alpha-1', '2.0.1-klm', '1-1-snapshot', '11.a2']) {
    const c = canonicalMaven(v);
    assert.equal(canonicalMaven(c), c, v);
    assert.equal(compareMaven(c, v), 0, v);
  }
});

test('maven: real release lines of the advisories', () => {
  // log4j-core, jackson-databind, snakeyaml, commons-text versions as published
  less('2.14.1', '2.15.0');
  less('2.15.0-rc1', '2.15.0');
  less('2.12.6', '2.12.6.1');
  less('2.13.2', '2.13.2.1');
  less('2.13.2.1', '2.13.2.2');
  less('1.33', '2.0');
  less('1.9', '1.10.0');
  less('2.4.0-rc1', '2.4.0');
  const s = createMavenScheme();
  assert.equal(s.valid('2.14.1'), true);
  assert.equal(s.valid(''), false);
  assert.equal(s.valid('1'.repeat(2000)), false);
  assert.throws(() => s.compare('1'.repeat(2000), '1'), /maven: invalid version/);
});
